/*
 * The error bounds of --trace (trace.ts states the rule): what each kernel's `errorBound` builds on. A layer's bound
 * is sum_i L_i * e_i + own(max |x_f|), L_i the amplification of input i's error, `own` what its own types lose.
 */
import { type FixedType, fracBits, type Graph, type IRNode, type Tensor, toFloat64 } from 'firmflow';
import type { HlsLayer } from '../lowered.js';

export interface ErrorBound {
  /** Amplification of each activation input's error (by activation input position). */
  L: number[];
  /** Own error given the max |x_f| of the first input of the sample. */
  own: (maxXf: number) => number;
  /**
   * A decision rather than arithmetic: 'argmax' (a one-hot of the largest input) or 'sign' (two levels by the
   * input's sign). Its bound is whether the input error could flip the decision.
   */
  decision?: 'argmax' | 'sign';
  /**
   * A bound that depends on the sample's values rather than on its largest input (LayerNorm's gain is 1/sigma of
   * each row): when present it is the bound, and L and own are not used.
   */
  sample?(v: SampleValues): number;
}

/** What a sample-dependent bound reads of one sample. */
export interface SampleValues {
  /** Observed max |x_q - x_f| of each activation input over the sample (NaN: unknown). */
  errors: number[];
  /** The fixed-point values of activation input i over the sample. */
  fixed(i: number): Float64Array;
  /** The float model's values of activation input i over the sample (undefined: it has no such tensor). */
  float(i: number): Float64Array | undefined;
}

/** One layer as its kernel's `errorBound` sees it. */
export interface BoundContext {
  graph: Graph;
  node: IRNode;
  hls: HlsLayer;
  /** The result type's own loss: its rounding step, or a whole step when the model rounds this tensor too. */
  qR: number;
  /** 1 per activation input (the amplification of copies). */
  ones: number[];
  /** The accumulator type, if the layer has one. */
  accum?: FixedType;
  /** Constant input `i` (undefined when absent or computed). */
  konst(i: number): Tensor | undefined;
}

export function boundContext(graph: Graph, node: IRNode, hls: HlsLayer, refQuantized: boolean): BoundContext {
  const R = graph.tensor(node.outputs[0]).precision!;
  // When the model quantizes this tensor too, both sides round: they can differ by a whole step.
  const qR = refQuantized ? 2 ** -fracBits(R) : roundingStep(R);
  const acts = node.inputs.filter((t) => t !== '' && !graph.isConstant(t));
  return {
    graph, node, hls, qR, ones: acts.map(() => 1), accum: hls.types['accum'],
    konst: (i) => (node.inputs[i] && graph.isConstant(node.inputs[i]) ? graph.tensor(node.inputs[i]) : undefined),
  };
}

/** Bound of a layer that copies, selects or converts values: each input's error passes unamplified. */
export function copyBound(b: BoundContext): ErrorBound {
  const R = b.graph.tensor(b.node.outputs[0]).precision;
  return { L: b.ones, own: () => (R ? b.qR : 0) };
}

/** Rounding step of a conversion to t: a full LSB for truncating modes, half for rounding ones. */
export function roundingStep(t: FixedType): number {
  const lsb = 2 ** -fracBits(t);
  return t.rounding === 'TRN' || t.rounding === 'TRN_ZERO' ? lsb : lsb / 2;
}

export function floatOf(t: Tensor | undefined): Float64Array | undefined {
  return t?.data ? toFloat64(t.data) : undefined;
}

/** A constant's values as quantized (its codes in `type`), or its float values when it has no codes. */
export function codeValues(t: Tensor, type: FixedType): Float64Array {
  const c = t.meta['hlsCodes'] as ArrayLike<number | bigint> | undefined;
  if (!c) return floatOf(t)!;
  const s = 2 ** -fracBits(type);
  return Float64Array.from({ length: c.length }, (_, i) => Number(c[i]) * s);
}

/** max_n sum_k |a[k][n]| of a K x N matrix (row-major). */
export function maxColAbsSum(a: Float64Array, K: number, N: number): number {
  let m = 0;
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.abs(a[k * N + n]);
    if (s > m) m = s;
  }
  return m;
}

export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Error an inexact accumulator adds over `terms` additions (zero when it holds every sum exactly). */
export function accumLoss(A: FixedType, terms: number, b: BoundContext): number {
  const x = b.graph.tensor(b.node.inputs[0]).precision!;
  const w = b.hls.types['weight'] ?? b.hls.types['scale'];
  if (!w) return 0;
  if (fracBits(A) >= fracBits(x) + fracBits(w)) return 0;
  return (terms + 2) * roundingStep(A);
}

/** Multiply-accumulate over constant weights with N output columns (Dense, Conv). */
export function macBound(b: BoundContext, N: number): ErrorBound {
  const w = b.konst(1)!, bias = b.konst(2);
  const K = w.data!.length / N;
  const wq = codeValues(w, w.precision!), wf = floatOf(w)!;
  const dw = Float64Array.from(wq, (v, i) => v - wf[i]);
  const L = maxColAbsSum(wq, K, N);
  const dW = maxColAbsSum(dw, K, N);
  const dB = bias ? maxAbsDiff(codeValues(bias, bias.precision!), floatOf(bias)!) : 0;
  const accErr = b.accum ? accumLoss(b.accum, K, b) : 0;
  return { L: [L], own: (xf) => b.qR + dW * xf + dB + accErr };
}

/**
 * Average pooling: sum times the quantized 1/n. Windows (`pixels` 0): entry n of inv_count_codes holds 1/n (entry
 * 0 unused); global pooling: one entry, 1/pixels.
 */
export function averageBound(b: BoundContext, pixels: number): ErrorBound {
  const S = b.hls.types['scale'];
  const inv = (b.hls.params['inv_count_codes'] as number[] | undefined) ?? [];
  let L = 1, d = 0;
  inv.forEach((c, i) => {
    const n = pixels ? pixels : i;
    if (n === 0) return;
    const f = n * c * 2 ** -fracBits(S);
    L = Math.max(L, f);
    d = Math.max(d, Math.abs(f - 1));
  });
  return { L: [L], own: (xf) => b.qR + d * xf + (b.accum ? roundingStep(b.accum) : 0) };
}
