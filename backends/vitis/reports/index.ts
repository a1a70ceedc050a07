/*
 * `firmflow report <dir>`: the estimate of a written project beside what the vendor tools reported, when the user
 * has run them: HLS synthesis (csynth XML), co-simulation and Vivado utilization. Report paths differ between the
 * Vitis and Vivado flavours (ToolFlavor.csynthReport / cosimReport).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Graph } from 'firmflow';
import { toolFlavor } from '../flavors.js';
import { estimate, projectTarget } from '../estimate/index.js';
import type { Compared, ComparedLayer, CsynthReport, Estimate, EstimateOptions, ProjectReport, ReportModule, Resources } from '../estimate/types.js';
import { readManifest } from '../project.js';
import { readCsynthReport } from './csynth.js';
import { readCosimReport, readUtilizationReport } from './text.js';

export { parseCsynthXml, readCsynthReport } from './csynth.js';
export { parseCosimReport, parseUtilizationReport, readCosimReport, readUtilizationReport } from './text.js';
export { parseXml } from './xml.js';

/** Where the reports of a project may be, in order of preference. */
export function reportPaths(dir: string, name: string, backend: string): { csynth: string[]; cosim: string[]; utilization: string[] } {
  const flavor = toolFlavor(backend);
  const prj = join(dir, `${name}_prj`);
  const sub = (p: string) => join(prj, p.replace(/\{top\}/g, name));
  const other = toolFlavor(flavor.backend === 'Vitis' ? 'Vivado' : 'Vitis');
  const csynth = [sub(flavor.csynthReport), sub(other.csynthReport), join(prj, flavor.solution, 'syn', 'report', 'csynth.xml')];
  const cosim = [sub(flavor.cosimReport), sub(other.cosimReport)];
  const utilization = [join(dir, 'vivado_synth.rpt'), join(dir, 'utilization.rpt'), join(dir, 'vivado_utilization.rpt')];
  // export_design -flow syn|impl writes report_utilization tables under the solution's impl folder
  for (const d of [join(prj, flavor.solution, 'impl', 'verilog', 'report'), join(prj, flavor.solution, 'impl', 'report', 'verilog'), join(prj, flavor.solution, 'impl', 'vhdl', 'report')]) {
    if (!existsSync(d)) continue;
    const files = readdirSync(d).filter((f) => /utilization.*\.rpt$/.test(f)).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
    utilization.push(...files.map((f) => join(d, f)));
  }
  return { csynth: [...new Set(csynth)], cosim: [...new Set(cosim)], utilization };
}

/** Post-route before post-place before post-synthesis. */
function rank(f: string): number {
  return /routed/.test(f) ? 0 : /placed/.test(f) ? 1 : 2;
}

const cmp = (estimateV: number | undefined, actual: number | undefined): Compared => ({
  ...(estimateV !== undefined ? { estimate: estimateV } : {}),
  ...(actual !== undefined ? { actual } : {}),
  ...(estimateV !== undefined && actual !== undefined && actual !== 0 ? { error: (estimateV - actual) / actual } : {}),
});

/** The report module of each layer: module names carry the layer's config struct `cfg_<node id>`. */
function matchModules(e: Estimate, graph: Graph, modules: ReportModule[]): Map<string, ReportModule> {
  const ids = new Map<string, string>();
  for (const n of graph.nodes.values()) ids.set(n.name, n.id.toLowerCase());
  const byNode = new Map<string, ReportModule>();
  for (const m of modules) {
    const name = m.name.toLowerCase();
    let best: { node: string; len: number } | undefined;
    for (const l of e.layers) {
      const id = ids.get(l.node);
      if (!id) continue;
      const at = name.indexOf(`cfg_${id}`);
      if (at < 0) continue;
      const after = name[at + 4 + id.length];
      if (after !== undefined && after !== '_') continue;
      if (!best || id.length > best.len) best = { node: l.node, len: id.length };
    }
    if (best && !byNode.has(best.node)) byNode.set(best.node, m);
  }
  return byNode;
}

const worst = (l: { worst?: number; best?: number }) => l.worst ?? l.best;

/** Compares an estimate with the reports found in `dir`. */
export function compareReports(dir: string, graph: Graph, e: Estimate, name: string, backend: string): ProjectReport {
  const paths = reportPaths(dir, name, backend);
  const first = (c: string[]) => c.find((f) => existsSync(f));
  const csynthFile = first(paths.csynth), cosimFile = first(paths.cosim), utilFile = first(paths.utilization);
  const csynth: CsynthReport | undefined = csynthFile ? readCsynthReport(csynthFile) : undefined;
  const cosim = cosimFile ? readCosimReport(cosimFile) : undefined;
  const utilization = utilFile ? readUtilizationReport(utilFile) : undefined;
  const modules = csynth ? matchModules(e, graph, csynth.modules) : new Map<string, ReportModule>();
  const layers: ComparedLayer[] = e.layers.map((l) => {
    const m = modules.get(l.node);
    return {
      name: l.name, node: l.node, kernel: l.kernel, ...(m ? { module: m.name } : {}),
      latency: cmp(l.latencyCycles, m ? worst(m.latency) : undefined),
      ii: cmp(l.ii, m?.latency.intervalMax ?? m?.latency.intervalMin),
      dsp: cmp(l.resources.dsp, m?.resources.dsp), lut: cmp(l.resources.lut, m?.resources.lut),
      ff: cmp(l.resources.ff, m?.resources.ff), bram18k: cmp(l.resources.bram18k, m?.resources.bram18k),
    };
  });
  const actual: Partial<Resources> = utilization?.resources ?? csynth?.resources ?? {};
  const verilog = cosim?.rows.find((r) => /verilog/i.test(r.language) && r.latency.max !== undefined) ?? cosim?.rows.find((r) => r.latency.max !== undefined);
  const t = e.total;
  const total: ProjectReport['total'] = {
    latency: cmp(t.latencyCycles, csynth ? worst(csynth.latency) : undefined),
    ii: cmp(t.ii, csynth?.latency.intervalMax ?? csynth?.latency.intervalMin),
    ...(verilog?.latency.max !== undefined ? { cosimLatency: verilog.latency.max } : {}),
    dsp: cmp(t.resources.dsp, actual.dsp), lut: cmp(t.resources.lut, actual.lut), ff: cmp(t.resources.ff, actual.ff),
    bram18k: cmp(t.resources.bram18k, actual.bram18k), uram: cmp(t.resources.uram, actual.uram),
  };
  const report: ProjectReport = {
    schema: 'firmflow.fpga-report', version: 1, dir, backend, projectName: name, estimate: e,
    ...(csynth ? { csynth } : {}), ...(cosim ? { cosim } : {}), ...(utilization ? { utilization } : {}),
    searched: [...paths.csynth, ...paths.cosim, ...paths.utilization.slice(0, 3)].map((p) => relative(dir, p)),
    layers, total,
    ...(utilization ? { actualSource: 'utilization' as const } : csynth ? { actualSource: 'csynth' as const } : {}),
    text: '',
  };
  report.text = formatReport(report);
  return report;
}

const fmt = (c: Compared): [string, string, string] => [
  c.estimate === undefined ? '' : String(c.estimate),
  c.actual === undefined ? '-' : String(c.actual),
  c.error === undefined ? '' : `${c.error >= 0 ? '+' : ''}${(c.error * 100).toFixed(0)}%`,
];

function table(head: string[], rows: string[][], left = 1): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i < left ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i]))).join('  ').trimEnd();
  return [line(head), line(head.map((_, i) => '-'.repeat(widths[i]))), ...rows.map(line)];
}

/** The printable report: totals, then layers (actual per layer only where the synthesis report has modules). */
export function formatReport(r: ProjectReport): string {
  const e = r.estimate;
  const out: string[] = [];
  out.push(`${r.projectName} (${r.backend}, ${e.io}) on ${e.partNumber} at ${e.clockMHz.toFixed(1)} MHz`);
  if (r.csynth) out.push(`synthesis report: ${relative(r.dir, r.csynth.file)}${r.csynth.version ? ` (${r.csynth.tool ?? 'HLS'} ${r.csynth.version})` : ''}${r.csynth.estimatedClock !== undefined ? `, estimated clock ${r.csynth.estimatedClock} ns` : ''}`);
  if (r.cosim) out.push(`co-simulation: ${relative(r.dir, r.cosim.file)} (${r.cosim.rows.map((x) => `${x.language} ${x.status}`).join(', ')})`);
  if (r.utilization) out.push(`utilization: ${relative(r.dir, r.utilization.file)}${r.utilization.tool ? ` (${r.utilization.tool})` : ''}`);
  if (!r.csynth && !r.cosim && !r.utilization) out.push(`no vendor reports found (run ${toolFlavor(r.backend).tool} -f build_prj.tcl in ${r.dir}); estimate only`);
  out.push('');
  const t = r.total;
  const rows: string[][] = [
    ['latency (cycles)', ...fmt(t.latency)], ['II (cycles)', ...fmt(t.ii)],
    ...(t.cosimLatency !== undefined ? [['latency, co-simulation', '', String(t.cosimLatency), '']] : []),
    ['DSP', ...fmt(t.dsp)], ['LUT', ...fmt(t.lut)], ['FF', ...fmt(t.ff)], ['BRAM18K', ...fmt(t.bram18k)], ['URAM', ...fmt(t.uram)],
  ];
  out.push(...table(['total', 'estimate', r.actualSource === 'utilization' ? 'actual (Vivado)' : 'actual (HLS)', 'error'], rows));
  const f = e.total.fractions;
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 2 : 1)}%`;
  out.push(`estimate uses ${pct(f.dsp)} of the DSPs, ${pct(f.lut)} of the LUTs, ${pct(f.ff)} of the FFs, ${pct(f.bram18k)} of the block RAM of ${e.part.name}${e.total.fits ? '' : ' -- it does NOT fit'}; ${(e.total.latencyNs).toFixed(1)} ns, ${(e.total.throughput / 1e6).toFixed(2)} M samples/s`);
  out.push('');
  const anyLayer = r.layers.some((l) => l.module);
  const lrows = r.layers.map((l) => [l.name, l.kernel, ...fmt(l.latency).slice(0, 2), ...fmt(l.ii).slice(0, 2), ...fmt(l.dsp).slice(0, 2), ...fmt(l.lut).slice(0, 2), ...fmt(l.ff).slice(0, 2), ...fmt(l.bram18k).slice(0, 2)]);
  out.push(...table(['layer', 'kernel', 'lat', anyLayer ? 'act' : '', 'II', anyLayer ? 'act' : '', 'DSP', anyLayer ? 'act' : '', 'LUT', anyLayer ? 'act' : '', 'FF', anyLayer ? 'act' : '', 'BRAM', anyLayer ? 'act' : ''], anyLayer ? lrows : lrows.map((x) => x.map((c, i) => (i > 1 && i % 2 === 1 ? '' : c))), 2));
  out.push('');
  return out.join('\n');
}

/** The report of a written project folder (firmflow.json + the lowered graph in it). */
export function projectReport(dir: string, graph: Graph, options: EstimateOptions = {}): ProjectReport {
  const m = readManifest(dir);
  const e = estimate(graph, { backend: m.backend, projectName: m.projectName, ...projectTarget(m['options'] as Record<string, unknown> | undefined), ...options });
  return compareReports(dir, graph, e, m.projectName, m.backend);
}

/** Adds estimate() and report() to a reopened project (Backend.openProject). */
export function attachReports<T extends { dir: string; graph(): Graph }>(opened: T): T & { estimate(o?: EstimateOptions): Promise<Estimate>; report(o?: EstimateOptions): Promise<ProjectReport> } {
  let g: Graph | undefined;
  const graph = () => (g ??= opened.graph());
  const ext = opened as T & { estimate(o?: EstimateOptions): Promise<Estimate>; report(o?: EstimateOptions): Promise<ProjectReport> };
  ext.estimate = async (o = {}) => {
    const m = readManifest(opened.dir);
    return estimate(graph(), { backend: m.backend, projectName: m.projectName, ...projectTarget(m['options'] as Record<string, unknown> | undefined), ...o });
  };
  ext.report = async (o = {}) => projectReport(opened.dir, graph(), o);
  return ext;
}
