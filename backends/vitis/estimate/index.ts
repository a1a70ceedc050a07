/*
 * FPGA latency and resource estimates of a lowered graph (docs/fpga-estimates.md): per layer and in total, with
 * the fraction used of the chosen part. `estimate(graph, options)` is the entry point; `project.estimate()` (a
 * converted project) and the reopened project's estimate() call it with the project's part and clock.
 */
import { FirmflowError, type Graph, type Project, type ResolvedOptions, sizeOf } from 'firmflow';
import { toolFlavor } from '../flavors.js';
import { kernelFor } from '../kernels/index.js';
import { readLoweredGraph, sampleShape, type LoweredGraph } from '../lowered.js';
import { estimateLayer } from './layers.js';
import { add, COEF, fifo, MODEL_VERSION, round, zero } from './model.js';
import { findPart } from './parts.js';
import { ESTIMATE_SCHEMA, ESTIMATE_SCHEMA_VERSION, type Estimate, type EstimateOptions, type Resources } from './types.js';

export * from './types.js';
export { findPart, listParts } from './parts.js';
export { MODEL_VERSION } from './model.js';

export interface EstimateGraphOptions extends EstimateOptions {
  /** Backend name (for the default part and the report). */
  backend?: string;
  projectName?: string;
}

function interfaceAndFifos(lg: LoweredGraph): { res: Resources; notes: string[] } {
  let res = zero();
  const notes: string[] = [];
  const bits = (shape: number[], width: number) => sizeOf(shape) * width;
  if (lg.info.io === 'io_parallel') {
    // input registers (ARRAY_RESHAPE) and output valid registers
    for (const p of [...lg.inputs, ...lg.outputs]) res = add(res, { ff: bits(p.shape, p.precision.width) + 1 });
    return { res, notes };
  }
  // io_stream: one FIFO per activation stream between layers (depth in beats, width = beat bits)
  let fifos = 0;
  for (const t of lg.graph.tensors.values()) {
    const s = t.meta['hlsStream'] as { pack: number; beats: number; depth: number } | undefined;
    if (!s || t.data || !t.precision) continue;
    const isPort = lg.inputs.some((p) => p.tensor === t) || lg.outputs.some((p) => p.tensor === t);
    if (isPort) { res = add(res, { lut: 4, ff: s.pack * t.precision.width }); continue; }
    res = add(res, fifo(Math.max(1, s.depth), s.pack * t.precision.width));
    fifos++;
    void sampleShape;
  }
  if (fifos) notes.push(`${fifos} FIFOs between layers`);
  return { res, notes };
}

/** Estimates a graph lowered by the Vitis/Vivado flows. */
export function estimate(graph: Graph, options: EstimateGraphOptions = {}): Estimate {
  const lg = readLoweredGraph(graph);
  const backend = options.backend ?? lg.info.backend ?? 'Vitis';
  const partNumber = options.part ?? toolFlavor(backend).defaultPart;
  const part = findPart(partNumber);
  const period = options.clockPeriod ?? 5;
  if (!(typeof period === 'number' && Number.isFinite(period) && period > 0)) {
    throw new FirmflowError('vitis.estimate', `clock period must be a positive number of ns, got ${String(period)}`);
  }
  const ctx = { part, period };
  const layers = lg.layers.map((l) => estimateLayer(l, ctx));
  const io = lg.info.io;
  const iface = interfaceAndFifos(lg);
  let total = round(layers.reduce((acc, l) => add(acc, l.resources), zero()));
  total = round(add(total, iface.res));
  let latency: number;
  let ii: number;
  if (io === 'io_parallel') {
    // the top function is one pipeline: layers run one after the other, a new sample every max(II) cycles
    latency = layers.reduce((a, l) => a + l.latencyCycles, 0) + COEF.topCycles;
    ii = Math.max(1, ...layers.map((l) => l.ii));
  } else {
    // DATAFLOW: layers overlap; a layer that consumes its whole input before producing (dense, softmax, buffered)
    // adds its full latency, a streaming layer adds its pipeline depth; the slowest layer paces the rest.
    latency = 0;
    for (const l of layers) {
      const streaming = l.ii <= l.latencyCycles && kernelFor(l.op)?.streaming === true && l.storage.in !== 'bram';
      latency += streaming ? Math.max(1, l.latencyCycles - l.ii + 1) : l.latencyCycles;
    }
    ii = Math.max(1, ...layers.map((l) => l.ii));
    latency = Math.max(latency, ii);
  }
  const frac = (used: number, avail: number) => (avail > 0 ? used / avail : used > 0 ? Infinity : 0);
  const fractions = { dsp: frac(total.dsp, part.dsp), lut: frac(total.lut, part.lut), ff: frac(total.ff, part.ff), bram18k: frac(total.bram18k, part.bram18k), uram: frac(total.uram, part.uram) };
  const assumptions = [
    `${part.name} (${part.dspType}: ${part.dspType === 'DSP48E1' ? '25x18' : '27x18'} multipliers), clock ${period} ns with ${COEF.uncertainty * 100}% uncertainty`,
    'reuse factor 1: each multiplier sees one constant weight and is specialized (zero weights removed, powers of two wired, ' +
      `weights with <= ${COEF.constLutMaxDigits} signed digits as shift-add LUT logic, the rest in DSPs)`,
    `reuse factor > 1: shared multipliers, in LUTs when an operand has <= ${COEF.lutMultMaxWidth} bits`,
    'resource strategy: weights in block RAM (R words of n_in*n_out/R weights); tables replicated for parallel reads (2 per block RAM)',
    io === 'io_parallel' ? 'io_parallel: the top function is one pipeline; latency is the sum of the layers plus one register stage' : 'io_stream: layers overlap (DATAFLOW); FIFOs in SRLs up to 64 deep, else block RAM',
    'the estimate is of HLS synthesis (csynth), not of place and route',
  ];
  return {
    schema: ESTIMATE_SCHEMA,
    version: ESTIMATE_SCHEMA_VERSION,
    model: MODEL_VERSION,
    backend,
    ...(options.projectName ? { projectName: options.projectName } : {}),
    io,
    part,
    partNumber,
    clockPeriod: period,
    clockMHz: 1000 / period,
    layers,
    interface: round(iface.res),
    total: {
      latencyCycles: latency,
      latencyNs: latency * period,
      ii,
      throughput: 1e9 / (ii * period),
      resources: total,
      fractions,
      fits: Object.values(fractions).every((f) => f <= 1),
    },
    assumptions: [...assumptions, ...iface.notes],
  };
}

const pct = (f: number) => (Number.isFinite(f) ? `${(f * 100).toFixed(f < 0.1 ? 2 : 1)}%` : 'n/a');

/** A printable table of an estimate. */
export function formatEstimate(e: Estimate): string {
  // A chosen reuse factor is marked '*' (see the note under the table).
  const rows = e.layers.map((l) => [l.name, l.kernel, `${l.reuseFactor}${l.reuseFactorChosen ? '*' : ''}`, String(l.latencyCycles), String(l.ii), String(l.resources.dsp), String(l.resources.lut), String(l.resources.ff), String(l.resources.bram18k)]);
  const t = e.total;
  rows.push(['total', '', '', String(t.latencyCycles), String(t.ii), String(t.resources.dsp), String(t.resources.lut), String(t.resources.ff), String(t.resources.bram18k)]);
  rows.push([`of ${e.part.name}`, '', '', '', '', pct(t.fractions.dsp), pct(t.fractions.lut), pct(t.fractions.ff), pct(t.fractions.bram18k)]);
  const head = ['layer', 'kernel', 'RF', 'latency', 'II', 'DSP', 'LUT', 'FF', 'BRAM18K'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [
    `${e.projectName ?? 'design'} on ${e.partNumber} at ${e.clockMHz.toFixed(1)} MHz (${e.io}): latency ${t.latencyCycles} cycles = ${t.latencyNs.toFixed(1)} ns, II ${t.ii} (${(t.throughput / 1e6).toFixed(2)} M samples/s)${t.fits ? '' : '  -- DOES NOT FIT the part'}`,
    line(head), line(head.map((_, i) => '-'.repeat(widths[i]))), ...rows.map(line),
    ...(e.layers.some((l) => l.reuseFactorChosen) ? ['* reuse factor chosen: none was configured, and 1 is over the io_parallel limit of 4096 multipliers'] : []), '',
  ].join('\n');
}

/** Part and clock of a project's resolved options. */
export function projectTarget(options: Record<string, unknown> | undefined): EstimateOptions {
  const o: EstimateOptions = {};
  if (options && typeof options['part'] === 'string') o.part = options['part'];
  if (options && typeof options['clockPeriod'] === 'number') o.clockPeriod = options['clockPeriod'];
  return o;
}

/** Project extension (Backend.extendProject): project.estimate(options?) on the converted project. */
export function extendProject(project: Project, graph: Graph, options: ResolvedOptions): void {
  project.estimate = (o: EstimateOptions = {}): Estimate =>
    estimate(graph, {
      backend: options.backend,
      projectName: project.projectName,
      ...projectTarget(options),
      ...o,
    });
}
