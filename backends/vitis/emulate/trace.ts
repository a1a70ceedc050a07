import { FirmflowError, type FixedType, type FloatFeed, formatTraceTable, formatType, fracBits, type Graph, LayerComparison, outputErrors, quantizeArray, recordFloat, summarizeTrace, type TraceLayerSummary, type TraceReportLike, traceRow, typeRange } from 'firmflow';
import { MODEL_PRECISION_KEY } from '../passes/precision.js';
import { hlsOf } from '../lowered.js';
import { kernelFor } from '../kernels/index.js';
import { boundContext, copyBound, roundingStep } from './bounds.js';
import { type Emulator, emulatorFor, type EmuInputs, permuteSamples } from './emulator.js';

export { roundingStep };

/*
 * --trace: every layer's fixed-point output next to the float interpreter's, and which layer's error its
 * precision does not explain.
 *
 * The rule (sound, per sample, in the max norm). A layer with inputs x_i and output y computes y_q from its
 * fixed-point inputs; the float model computes y_f. With e_i = max |x_q,i - x_f,i| the observed error of input i,
 *
 *     |y_q - y_f|  <=  sum_i L_i * e_i  +  own
 *
 * where L_i bounds how much the layer's float function can amplify an input error (a Lipschitz constant in the
 * max norm: sum_k |w_q[k][n]| for Dense/Conv, 1 for copies, Relu and max pooling, 1/4 for Sigmoid, 1/2 for
 * Softmax ...), and `own` is what the layer's own types lose: the rounding step of the result type (one LSB for
 * truncating modes, half an LSB for rounding ones), the quantization of its constants times the largest float
 * input (sum_k |w_q - w|[k][n] * max|x_f| + |b_q - b|), an accumulator that is not exact (one accumulator LSB
 * per addition), and for table lookups the table type's rounding step plus the function's slope times half a
 * table bin. LayerNorm's gain depends on each row's spread (1/sigma), so its bound is computed from the sample's
 * values (`ErrorBound.sample`, kernels/layernorm.ts). A value outside a type's range is not explained by anything: saturation and wrapping break the
 * bound, which is the point - the first layer whose error exceeds its bound is where the firmware stops tracking
 * the model (an overflow, a table whose range is too small, or a bug), and every later layer inherits its error.
 * Layers whose values needed their type's overflow mode are listed with counts.
 */

export interface TraceOptions {
  /**
   * The float model to compare with: the optimized IR before the backend's lowering (loadModel + the `optimize`
   * flow), whose tensors carry the same names. Default: the lowered graph itself with every fixed-point annotation
   * ignored, which is the float model unless the model has quantizers of its own.
   */
  reference?: Graph;
  /** Relative slack on the bound for float rounding in the reference (default 1e-9). */
  slack?: number;
}

/** A row of the trace: the core's trace row, with overflow modes of the HLS types (SAT_ZERO sets to zero). */
export interface TraceLayer extends TraceLayerSummary {
  /** Position in the firmware's top function (-1: a graph input's conversion to the input type). */
  index: number;
  /** Result type (configuration spelling). */
  type: string;
  /** Values that needed an overflow mode in this layer (result or accumulator), over all samples. */
  overflows: number;
  overflowKind?: 'saturated' | 'wrapped' | 'set to zero';
}

/** Graph inputs (conversion of the float inputs to the input type) and then every layer, in firmware order. */
export type TraceReport = TraceReportLike<TraceLayer>;

function overflowKind(t: FixedType): TraceLayer['overflowKind'] {
  return t.overflow === 'SAT_ZERO' ? 'set to zero' : t.overflow.startsWith('SAT') ? 'saturated' : 'wrapped';
}

/**
 * Emulates `inputs` and runs the float model on them, layer by layer; returns the comparison (see the file
 * comment for the bound).
 */
export function trace(graph: Graph, inputs: EmuInputs, options: TraceOptions = {}): TraceReport {
  const emu = emulatorFor(graph);
  const { codes, samples } = emu.prepareInputs(inputs);
  if (samples === 0) throw new FirmflowError('vitis.emulate', 'trace needs at least one sample');
  const { fixed, overflows } = fixedValues(graph, emu, codes, samples);

  const refGraph = options.reference ?? graph;
  const float = floatValues(refGraph, options.reference === undefined, emu, inputs, samples);
  const refPrecision = (tensor: string): FixedType | undefined => (options.reference
    ? (refGraph.hasTensor(tensor) ? refGraph.tensor(tensor).precision : undefined)
    : modelPrecision(graph, tensor));
  // The float input is the float32 feed (in the firmware's layout), before conversion to the input type; the
  // model's own input quantizer (a precision on the reference's input) is part of the float model.
  for (const [t, v] of floatInputs(emu, inputs, samples)) {
    const q = refPrecision(t);
    float.set(t, q ? quantizeArray(v, q) : v);
  }

  const cmp = new LayerComparison(fixed, float, samples, options.slack ?? 1e-9);
  const rows: TraceLayer[] = [];
  for (const p of emu.inputs) {
    const qIn = refPrecision(p.tensor) ? 2 ** -fracBits(p.type) : roundingStep(p.type);
    const stats = cmp.compare([p.tensor], () => qIn);
    const over = countOutside(float.get(p.tensor)!, p.type);
    const r = typeRange(p.type);
    rows.push(traceRow<TraceLayer>({ index: -1, layer: `input ${p.name}`, node: '', op: 'Input', kernel: '', tensor: p.tensor, type: formatType(p.type), ...stats, overflows: over, overflowKind: over ? overflowKind(p.type) : undefined, typeRange: [r.min, r.max] }));
  }

  for (const k of emu.kernels) {
    const node = k.node;
    const hls = hlsOf(node);
    const R = graph.tensor(k.output).precision!;
    const bc = boundContext(graph, node, hls, refPrecision(k.output) !== undefined);
    const b = kernelFor(node.op)?.errorBound?.(bc) ?? copyBound(bc);
    const ins = k.inputs.map((t) => cmp.trace(t));
    const argmax = b.decision === 'argmax';
    if (argmax) oneHotReference(float, k.output, emu.size(k.output), samples);
    const boundOf = (s: number): number => {
      if (b.decision) return flipBound(float.get(k.inputs[0]), ins[0]?.maxErr[s] ?? NaN, emu.size(k.inputs[0]), s, argmax);
      if (b.sample) {
        const bound = b.sample({ errors: ins.map((tr) => (tr ? tr.maxErr[s] : NaN)), fixed: (i) => sampleOf(fixed, k.inputs[i], s)!, float: (i) => sampleOf(float, k.inputs[i], s) });
        return Number.isNaN(bound) ? Infinity : bound;
      }
      let total = b.own(ins[0]?.maxXf[s] ?? 0);
      ins.forEach((tr, i) => { const e = tr ? tr.maxErr[s] : NaN; total += e === 0 ? 0 : b.L[i] * e; });
      return Number.isNaN(total) ? Infinity : total;
    };
    const stats = cmp.compare([k.output], boundOf);
    const over = overflows.get(k.output) ?? 0;
    const r = typeRange(R);
    rows.push(traceRow<TraceLayer>({
      index: hls.index, layer: hls.layerName, node: node.name, op: node.op, kernel: hls.kernel, tensor: k.output,
      type: formatType(R), ...stats, overflows: over, overflowKind: over ? overflowKind(R) : undefined, typeRange: [r.min, r.max],
    }));
  }
  return summarizeTrace(samples, rows, outputErrors(emu.outputs, fixed, float));

  function sampleOf(values: Map<string, Float64Array>, tensor: string, s: number): Float64Array | undefined {
    const v = values.get(tensor);
    const n = emu.size(tensor);
    return v && v.length === n * samples ? v.subarray(s * n, (s + 1) * n) : undefined;
  }
}

/** Real values of every layer output and graph input (firmware layout, all samples) and each layer's overflows. */
function fixedValues(graph: Graph, emu: Emulator, codes: Map<string, Float64Array>, samples: number): { fixed: Map<string, Float64Array>; overflows: Map<string, number> } {
  const fixed = new Map<string, Float64Array>();
  const overflows = new Map<string, number>();
  emu.runCodes(codes, samples, {
    onLayer(k, out, batch, first, over) {
      const n = emu.size(k.output);
      let all = fixed.get(k.output);
      if (!all) { all = new Float64Array(n * samples); fixed.set(k.output, all); }
      const s = 2 ** -fracBits(graph.tensor(k.output).precision!);
      for (let i = 0; i < batch * n; i++) all[first * n + i] = out[i] * s;
      overflows.set(k.output, (overflows.get(k.output) ?? 0) + over);
    },
  });
  for (const p of emu.inputs) {
    const c = codes.get(p.tensor)!, s = 2 ** -fracBits(p.type);
    fixed.set(p.tensor, Float64Array.from(c, (v) => v * s));
  }
  return { fixed, overflows };
}

/** Values outside a type's range (before conversion). */
function countOutside(v: Float64Array, t: FixedType): number {
  const r = typeRange(t);
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > r.max + 2 ** -fracBits(t) / 2 || v[i] < r.min - 2 ** -fracBits(t) / 2) n++;
  return n;
}

/**
 * Bound of a sign/argmax decision: 0 unless the input error could flip it. Argmax: the float top value and any
 * other within twice the input error; BipolarQuant: an input within the error of zero (then the output can differ
 * by the whole step, which the bound allows).
 */
function flipBound(xf: Float64Array | undefined, e: number, n: number, s: number, argmax: boolean): number {
  if (!xf || Number.isNaN(e)) return Infinity;
  if (argmax) {
    let best = -Infinity, second = -Infinity;
    for (let i = s * n; i < (s + 1) * n; i++) {
      if (xf[i] > best) { second = best; best = xf[i]; } else if (xf[i] > second) second = xf[i];
    }
    return best - second <= 2 * e ? 1 : 0;
  }
  let near = false;
  for (let i = s * n; i < (s + 1) * n; i++) if (Math.abs(xf[i]) <= e) near = true;
  return near ? Infinity : 0;
}

/** The float reference of an argmax softmax is the one-hot of the float softmax's first largest value. */
function oneHotReference(float: Map<string, Float64Array>, tensor: string, n: number, samples: number): void {
  const f = float.get(tensor);
  if (!f) return;
  for (let s = 0; s < samples; s++) {
    let best = s * n;
    for (let i = s * n; i < (s + 1) * n; i++) if (f[i] > f[best]) best = i;
    for (let i = s * n; i < (s + 1) * n; i++) f[i] = i === best ? 1 : 0;
  }
}

/** Float inputs (float32, firmware layout) by input tensor. */
function floatInputs(emu: Emulator, inputs: EmuInputs, samples: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const feeds = emu.feeds(inputs);
  for (const p of emu.inputs) {
    const data = Float64Array.from(Float32Array.from(feeds[p.name].data));
    out.set(p.tensor, p.layout ? permuteSamples(data, samples, p.layout.modelShape.slice(1) as number[], p.layout.perm) : data);
  }
  return out;
}

/**
 * Float values of every tensor of the reference for all samples, sample-major, from the float32 feeds. The lowered
 * graph as reference: its fixed-point types are ignored except those of the model's own quantizers (recorded by
 * the lowering), applied in place so later layers read the quantized values.
 */
function floatValues(ref: Graph, ignorePrecision: boolean, emu: Emulator, inputs: EmuInputs, samples: number): Map<string, Float64Array> {
  const feeds = emu.feeds(inputs);
  const floatFeeds: FloatFeed[] = ref.inputs.map((p) => {
    const f = feeds[p.name];
    if (!f) throw new FirmflowError('vitis.emulate', `missing value for input '${p.name}'`);
    const perSample = ref.tensor(p.tensor).shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN));
    return { name: p.name, data: Float64Array.from(Float32Array.from(f.data)), perSample };
  });
  const quantize = (name: string, data: Float64Array): void => { const q = modelPrecision(ref, name); if (q) quantizeArray(data, q); };
  return recordFloat(ref, floatFeeds, samples, ignorePrecision
    ? { applyPrecision: false, input: (_name, tensor, data) => quantize(tensor, data), tensor: (name, v) => quantize(name, v.data) }
    : { applyPrecision: true });
}

/** The precision a model's own quantizer gave a tensor of a lowered graph (the lowering records it). */
function modelPrecision(graph: Graph, tensor: string): FixedType | undefined {
  return graph.hasTensor(tensor) ? (graph.tensor(tensor).meta[MODEL_PRECISION_KEY] as FixedType | undefined) : undefined;
}

/** A fixed-width table of the trace (what `firmflow predict --trace` prints). */
export function formatTrace(report: TraceReport): string {
  return formatTraceTable(report, {
    legend: "; bound = sum of input errors times the layer's gain + its own rounding (result LSB, constants, tables).",
    explainedBy: 'precision',
    rangeNote: (f) => (f.fixedRange[1] > f.typeRange[1] * 0.999 || f.floatRange[1] > f.typeRange[1] ? '; float values reach the type\'s range' : ''),
  });
}
