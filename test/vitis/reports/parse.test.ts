import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCosimReport, parseCsynthXml, parseUtilizationReport, parseXml, readCosimReport, readCsynthReport, readUtilizationReport, reportPaths } from '../../../backends/vitis/reports/index.js';

/* Vendor reports in several tools' versions (fixtures written in the vendors' documented formats). */

const F = join(import.meta.dirname, 'fixtures');

describe('csynth XML', () => {
  it('reads a Vivado HLS 2019.2 report and its per-module reports (DSP48E)', () => {
    const r = readCsynthReport(join(F, 'vivado2019', 'jet_tagger_csynth.xml'));
    expect(r).toMatchObject({ version: '2019.2', tool: 'vivado_hls', top: 'jet_tagger', part: 'xcu250-figd2104-2L-e', targetClock: 5, estimatedClock: 4.292, clockUncertainty: 0.62 });
    expect(r.latency).toEqual({ best: 12, average: 12, worst: 12, intervalMin: 1, intervalMax: 1 });
    expect(r.resources).toEqual({ bram18k: 4, dsp: 2118, ff: 12562, lut: 109753, uram: 0 });
    expect(r.available).toEqual({ bram18k: 5376, dsp: 12288, ff: 3456000, lut: 1728000, uram: 1280 });
    expect(r.modules.map((m) => m.name)).toEqual([
      'dense_latency_ap_fixed_ap_fixed_16_6_5_3_0_cfg_fc1_Gemm_s', 'relu_ap_fixed_ap_fixed_cfg_relu1_Relu_s',
      'dense_latency_ap_fixed_ap_fixed_16_6_5_3_0_cfg_fc2_Gemm_s', 'softmax_stable_ap_fixed_ap_ufixed_16_0_5_3_0_cfg_Softmax_s',
    ]);
    expect(r.modules[0]).toMatchObject({ instance: 'grp_dense_latency_ap_fixed_ap_fixed_16_6_5_3_0_cfg_fc1_Gemm_s_fu_88', latency: { worst: 2, intervalMax: 1 }, resources: { dsp: 606, lut: 20110, ff: 2411, bram18k: 0 } });
    expect(r.modules[3].resources).toEqual({ bram18k: 4, dsp: 5, ff: 702, lut: 690, uram: 0 });
  });

  it('reads a Vitis HLS 2022.2 report with ModuleInformation (DSP, FlowTarget)', () => {
    const file = join(F, 'vitis2022_csynth.xml');
    const r = parseCsynthXml(readFileSync(file, 'utf8'), file);
    expect(r).toMatchObject({ version: '2022.2', tool: 'vitis_hls', top: 'jet_tagger', estimatedClock: 3.645, clockUncertainty: 1.35 });
    expect(r.latency).toEqual({ best: 11, average: 11, worst: 11, intervalMin: 1, intervalMax: 1 });
    expect(r.resources).toEqual({ bram18k: 4, dsp: 3650, ff: 10324, lut: 61233, uram: 0 });
    // the top's own Module entry is not listed as a sub-module
    expect(r.modules.map((m) => [m.name.replace(/^dense_latency_.*cfg_/, ''), m.resources.dsp, m.latency.worst])).toEqual([['fc1_Gemm_s', 1010, 2], ['fc4_Gemm_s', 160, 2]]);
  });

  it("reads a Vivado HLS 2018.2 report: 'undef' average latency, no URAM", () => {
    const file = join(F, 'vivado2018_csynth.xml');
    const r = parseCsynthXml(readFileSync(file, 'utf8'), file);
    expect(r.latency).toEqual({ best: 22, worst: 22, intervalMin: 2, intervalMax: 2 });
    expect(r.resources).toEqual({ bram18k: 2, dsp: 954, ff: 26121, lut: 31704 });
    expect(r.tool).toBe('vivado_hls');
    expect(r.modules).toEqual([]);
  });

  it('names the file and the line of a malformed or foreign report', () => {
    expect(() => readCsynthReport(join(F, 'truncated_csynth.xml'))).toThrow(/truncated_csynth\.xml:\d+: malformed XML: <SummaryOfOverallLatency> is never closed/);
    expect(() => readCsynthReport(join(F, 'not_a_report.xml'))).toThrow(/not_a_report\.xml: not an HLS synthesis report \(root element <project>/);
    expect(() => readCsynthReport(join(F, 'missing_csynth.xml'))).toThrow(/missing_csynth\.xml: cannot read the synthesis report \(ENOENT\)/);
    expect(() => parseXml('<a><b></a>', 'x.xml')).toThrow(/x\.xml:1: malformed XML: <\/a> does not close <b>/);
    expect(() => parseCsynthXml('<profile><ReportVersion><Version>2020.1</Version></ReportVersion></profile>', 'empty.xml')).toThrow(/empty\.xml: no PerformanceEstimates/);
    expect(parseXml('<a x="1 &amp; 2"><![CDATA[<raw>]]>&lt;t&gt;<!-- c --></a>', 'e.xml')).toEqual({ name: 'a', attrs: { x: '1 & 2' }, children: [], text: '<raw><t>' });
  });
});

describe('co-simulation report', () => {
  it('reads the Vivado HLS and the Vitis HLS table layouts', () => {
    const v = readCosimReport(join(F, 'vivado2019_cosim.rpt'));
    expect(v.rows).toEqual([
      { language: 'VHDL', status: 'NA', latency: { min: undefined, avg: undefined, max: undefined }, interval: { min: undefined, avg: undefined, max: undefined } },
      { language: 'Verilog', status: 'Pass', latency: { min: 12, avg: 12, max: 12 }, interval: { min: 1, avg: 1, max: 1 } },
    ]);
    const w = readCosimReport(join(F, 'vitis2022_cosim.rpt'));
    expect(w.rows[1]).toEqual({ language: 'Verilog', status: 'Pass', latency: { min: 11, avg: 11, max: 11 }, interval: { min: 1, avg: 1, max: 1 }, totalCycles: 110 });
  });

  it('refuses a report without a complete result row', () => {
    expect(() => readCosimReport(join(F, 'bad_cosim.rpt'))).toThrow(/bad_cosim\.rpt: co-simulation row .* has 3 columns/);
    expect(() => parseCosimReport('nothing here', 'none.rpt')).toThrow(/none\.rpt: no co-simulation result rows/);
  });
});

describe('Vivado utilization report', () => {
  it('reads UltraScale (CLB) and 7-series (Slice, Prohibited column, half block RAM tiles) layouts', () => {
    const u = readUtilizationReport(join(F, 'vivado2019_utilization_synth.rpt'));
    expect(u).toMatchObject({ design: 'jet_tagger', device: 'xcu250figd2104-2L' });
    expect(u.tool).toMatch(/^Vivado v\.2019\.2/);
    expect(u.resources).toEqual({ lut: 88512, ff: 11240, bram18k: 4, uram: 0, dsp: 2050 });
    expect(u.available).toEqual({ lut: 1728000, ff: 3456000, bram18k: 5376, uram: 1280, dsp: 12288 });
    const z = readUtilizationReport(join(F, 'vivado2022_utilization_7series.rpt'));
    expect(z.resources).toEqual({ lut: 20668, ff: 23097, bram18k: 7, dsp: 9 });
    expect(z.available).toEqual({ lut: 53200, ff: 106400, bram18k: 280, dsp: 220 });
  });

  it('refuses a file without a utilization table', () => {
    expect(() => readUtilizationReport(join(F, 'not_a_utilization.rpt'))).toThrow(/not_a_utilization\.rpt: no utilization table/);
    expect(() => parseUtilizationReport('| Site Type | Used | Available |\n| DSPs | x | 10 |', 'u.rpt')).toThrow(/u\.rpt: 'DSPs' has no used count/);
  });
});

describe('report paths', () => {
  it('follow the tool flavour (Vitis first for Vitis projects, Vivado first for Vivado)', () => {
    const v = reportPaths('/p', 'net', 'Vitis');
    expect(v.csynth[0]).toBe('/p/net_prj/solution1/syn/report/net_csynth.xml');
    expect(v.csynth).toContain('/p/net_prj/solution1/syn/report/csynth.xml');
    expect(v.cosim[0]).toBe('/p/net_prj/solution1/sim/report/net_cosim.rpt');
    expect(v.utilization[0]).toBe('/p/vivado_synth.rpt');
    expect(reportPaths('/p', 'net', 'Vivado').csynth[0]).toBe('/p/net_prj/solution1/syn/report/net_csynth.xml');
  });
});
