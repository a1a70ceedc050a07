import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, runCli as run } from 'firmflow';
import { useVitisFull } from '../helpers.js';

/* `firmflow report <dir>` on a converted project, with vendor reports copied into the paths the tools write. */

const F = join(import.meta.dirname, 'fixtures');

function capture() {
  let o = '', e = '';
  return { io: { out: (t: string) => { o += t; }, err: (t: string) => { e += t; }, isTTY: false }, out: () => o, err: () => e };
}

async function written(backend: 'Vitis' | 'Vivado'): Promise<string> {
  await useVitisFull();
  const dir = join(mkdtempSync(join(tmpdir(), 'firmflow-report-')), 'jet');
  const p = await convert('models/jet_tagger.onnx', { backend, part: 'xcu250-figd2104-2L-e' });
  await p.write(dir);
  return dir;
}

describe('firmflow report', () => {
  it('shows the estimate alone before synthesis', async () => {
    const dir = await written('Vitis');
    const c = capture();
    expect(await run(['node', 'firmflow', 'report', dir], c.io)).toBe(0);
    expect(c.out()).toMatch(/^jet_tagger \(Vitis, io_parallel\) on xcu250-figd2104-2L-e at 200\.0 MHz/);
    expect(c.out()).toMatch(/no vendor reports found \(run vitis_hls -f build_prj\.tcl/);
    expect(c.out()).toMatch(/latency \(cycles\)\s+\d+\s+-/);
    const j = capture();
    expect(await run(['node', 'firmflow', 'report', dir, '--json', '--part', 'xc7z020', '--clock', '10'], j.io)).toBe(0);
    const r = JSON.parse(j.out());
    expect(r.schema).toBe('firmflow.fpga-report');
    expect(r.estimate.part.name).toBe('xc7z020');
    expect(r.estimate.clockPeriod).toBe(10);
    expect(r.csynth).toBeUndefined();
    expect(r.total.dsp.actual).toBeUndefined();
  });

  it('puts the vendor figures beside the estimate, per layer where the report has modules', async () => {
    const dir = await written('Vivado');
    const rep = join(dir, 'jet_tagger_prj', 'solution1', 'syn', 'report');
    mkdirSync(rep, { recursive: true });
    for (const f of readdirSync(join(F, 'vivado2019'))) copyFileSync(join(F, 'vivado2019', f), join(rep, f));
    mkdirSync(join(dir, 'jet_tagger_prj', 'solution1', 'sim', 'report'), { recursive: true });
    copyFileSync(join(F, 'vivado2019_cosim.rpt'), join(dir, 'jet_tagger_prj', 'solution1', 'sim', 'report', 'jet_tagger_cosim.rpt'));

    const j = capture();
    expect(await run(['node', 'firmflow', 'report', dir, '--json'], j.io)).toBe(0);
    const r = JSON.parse(j.out());
    expect(r.backend).toBe('Vivado');
    expect(r.actualSource).toBe('csynth');
    expect(r.total.latency.actual).toBe(12);
    expect(r.total.ii.actual).toBe(1);
    expect(r.total.cosimLatency).toBe(12);
    expect(r.total.dsp).toMatchObject({ actual: 2118, estimate: r.estimate.total.resources.dsp });
    expect(r.total.dsp.error).toBeCloseTo((r.estimate.total.resources.dsp - 2118) / 2118, 12);
    const byNode = Object.fromEntries(r.layers.map((l: { node: string }) => [l.node, l]));
    expect(byNode['/fc1/Gemm'].module).toBe('dense_latency_ap_fixed_ap_fixed_16_6_5_3_0_cfg_fc1_Gemm_s');
    expect(byNode['/fc1/Gemm'].dsp.actual).toBe(606);
    expect(byNode['/fc1/Gemm'].latency.actual).toBe(2);
    expect(byNode['/relu1/Relu'].lut.actual).toBe(576);
    expect(byNode['/fc2/Gemm'].dsp.actual).toBe(1011);
    expect(byNode['/Softmax'].bram18k.actual).toBe(4);
    // layers the report has no module for keep their estimate only
    expect(byNode['/fc3/Gemm'].module).toBeUndefined();
    expect(byNode['/fc3/Gemm'].dsp.actual).toBeUndefined();

    // Vivado's post-synthesis utilization wins over the HLS estimate of resources
    copyFileSync(join(F, 'vivado2019_utilization_synth.rpt'), join(dir, 'vivado_synth.rpt'));
    const t = capture();
    expect(await run(['node', 'firmflow', 'report', dir], t.io)).toBe(0);
    expect(t.out()).toMatch(/synthesis report: jet_tagger_prj\/solution1\/syn\/report\/jet_tagger_csynth\.xml \(vivado_hls 2019\.2\), estimated clock 4\.292 ns/);
    expect(t.out()).toMatch(/co-simulation: .*jet_tagger_cosim\.rpt \(VHDL NA, Verilog Pass\)/);
    expect(t.out()).toMatch(/utilization: vivado_synth\.rpt/);
    expect(t.out()).toMatch(/latency, co-simulation\s+12/);
    expect(t.out()).toMatch(/DSP\s+\d+\s+2050\s+[+-]\d+%/);
    expect(t.out()).toMatch(/\/fc1\/Gemm\s+dense_latency\s+\d+\s+2\s+1\s+1\s+\d+\s+606/);
  });

  it('names the broken report file', async () => {
    const dir = await written('Vitis');
    const rep = join(dir, 'jet_tagger_prj', 'solution1', 'syn', 'report');
    mkdirSync(rep, { recursive: true });
    copyFileSync(join(F, 'truncated_csynth.xml'), join(rep, 'jet_tagger_csynth.xml'));
    const c = capture();
    expect(await run(['node', 'firmflow', 'report', dir], c.io)).toBe(1);
    expect(c.err()).toMatch(/jet_tagger_csynth\.xml:\d+: malformed XML/);
    expect(c.err()).not.toMatch(/at .*\.ts:\d+/);
  });
});
