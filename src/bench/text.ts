import { fmt } from './html.js';
import type { BenchReport } from './types.js';

/** Table of columns two spaces apart, numbers right-aligned. */
function table(rows: string[][], right: (i: number) => boolean, indent = '  '): string {
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i] ?? 0, c.length); });
  return rows.map((r) => indent + r.map((c, i) => (right(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd()).join('\n');
}

const pct = (v: number | null): string => (v === null ? '–' : v === 1 ? '100%' : `${(v * 100).toFixed(2)}%`);
const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const rate = (t: { samplesPerSecond: number } | null): string => (t ? `${Math.round(t.samplesPerSecond).toLocaleString('en-US')} samples/s` : '–');

/** What `firmflow bench` prints (warnings apart: the CLI prints them on stderr). */
export function formatBench(r: BenchReport): string {
  const s = r.accuracy.summary;
  const lines: string[] = [];
  const ref = r.reference.executor === 'onnxruntime' ? `onnxruntime ${r.reference.version ?? ''}`.trim() : r.reference.executor === 'interpreter' ? 'float interpreter' : 'none';
  const inputs = r.settings.inputSource === 'file' ? 'from the input file' : `random, seed ${r.settings.seed}, ${r.settings.ranges.map((x) => `${x.input} in [${fmt(x.min, 7)}, ${fmt(x.max, 7)}]`).join(', ')}`;
  lines.push(`${r.model.name} on ${r.model.backend}: ${r.settings.samples} samples (${inputs}); reference ${ref}`);
  if (r.reference.note) lines.push(`  note: ${r.reference.note}`);
  lines.push('');
  lines.push('accuracy against the reference');
  const acc = [['output', 'C sim max|err|', 'emulator max|err|', 'mean|err|', 'argmax agree', 'emulator vs C sim']];
  for (const o of r.accuracy.outputs) {
    const p = o.emulator ?? o.csim;
    acc.push([o.name, fmt(o.csim?.maxAbsError), fmt(o.emulator?.maxAbsError), fmt(p?.meanAbsError), o.classifier ? pct(p?.argmaxAgreement ?? null) : 'n/a',
      o.bitExact ? (o.bitExact.equal ? 'bit-exact' : `${o.bitExact.mismatches} differ`) : '–']);
  }
  lines.push(table(acc, (i) => i >= 1 && i <= 4));
  if (r.trace) {
    lines.push(r.trace.firstUnexplained
      ? `  first layer whose error its precision does not explain: ${r.trace.firstUnexplained}`
      : '  every layer\'s error is explained by its precision (emulator trace)');
    if (r.trace.overflowed.length) lines.push(`  overflows: ${r.trace.overflowed.map((o) => `${o.layer} ${o.count} ${o.kind}`).join(', ')}`);
  }
  lines.push('');
  lines.push('timings');
  const c = r.timings.compile;
  lines.push(table([
    ['convert', ms(r.timings.convertMs)], ['write', ms(r.timings.writeMs)], ['compile (g++)', c ? (c.cached ? 'cached' : ms(c.ms)) : '–'],
    ['C simulation', `${rate(r.timings.csim)}${r.timings.csim ? ` (${ms(r.timings.csim.ms)})` : ''}`],
    ['emulator', `${rate(r.timings.emulator)}${r.timings.emulator ? ` (${ms(r.timings.emulator.ms)})` : ''}`],
    ['reference', `${rate(r.timings.reference)}`],
  ], () => false));
  const e = r.estimates;
  lines.push('');
  if (e) {
    lines.push(`estimates (${e.source}${e.part ? `, ${e.part}` : ''}${e.clockPeriodNs ? ` at ${e.clockPeriodNs} ns` : ''})`);
    const t = e.total, u = e.utilization;
    const util = (k: 'dsp' | 'lut' | 'ff' | 'bram18k'): string => (u && u[k] !== null ? ` (${pct(u[k])})` : '');
    const fpga = t.dsp !== null || t.lut !== null || !e.resources?.length;
    const res = fpga
      ? `DSP ${fmt(t.dsp)}${util('dsp')}, LUT ${fmt(t.lut)}${util('lut')}, FF ${fmt(t.ff)}${util('ff')}, BRAM18K ${fmt(t.bram18k)}${util('bram18k')}`
      : e.resources!.map((x) => `${x.name} ${fmt(x.used)}${x.available !== null ? `/${fmt(x.available)}` : ''}${x.fraction !== null ? ` (${pct(x.fraction)})` : ''}`).join(', ');
    lines.push(`  latency ${fmt(t.latencyCycles)} cycles = ${fmt(t.latencyNs)} ns, II ${fmt(t.ii)}, ${fmt(t.samplesPerSecond)} samples/s; ${res}${e.fits === false ? '; DOES NOT FIT the part' : ''}`);
    if (e.bottleneck) lines.push(`  bottleneck: ${e.bottleneck}`);
  } else lines.push('estimates: none (the backend does not estimate latency and resources)');
  lines.push('');
  lines.push('layers');
  // Targets without DSP/LUT figures (AIE) show their own named resources instead.
  const other = r.layers.some((l) => l.estimate?.resources) && !r.layers.some((l) => l.estimate?.dsp != null || l.estimate?.lut != null)
    ? [...new Set(r.layers.flatMap((l) => Object.keys(l.estimate?.resources ?? {})))]
    : null;
  const lr = [['#', 'layer', 'op', 'precision', 'max|err|', 'err/bound', 'cycles', ...(other ?? ['DSP', 'LUT'])]];
  for (const l of r.layers) {
    const res = other ? other.map((k) => fmt(l.estimate?.resources?.[k])) : [fmt(l.estimate?.dsp), fmt(l.estimate?.lut)];
    lr.push([String(l.index), l.name, l.op, l.precision ?? '–', fmt(l.trace?.maxAbsError), fmt(l.trace?.ratio), fmt(l.estimate?.latencyCycles), ...res]);
  }
  lines.push(table(lr, (i) => i === 0 || i >= 4));
  return `${lines.join('\n')}\n`;
}
