/*
 * `firmflow predict <aieProject> --trace` and the per-layer trace of `firmflow bench`: every AIE layer's output (the
 * integer emulator, emulate.ts) next to the float model's, with a sound error bound, the layers whose values were
 * saturated, and the first layer whose error its arithmetic does not explain.
 *
 * The rule (per sample, in the max norm over the layer's output). With e_i = max |x_q,i - x_f,i| the observed
 * error of runtime input i (fixed-point value minus the float model's):
 *
 *     |y_q - y_f|  <=  sum_i L_i * e_i  +  own  (+ rho_ref)
 *
 * L_i bounds how much the float function can amplify an input error; `own` is what the AIE arithmetic itself loses
 * on its actual inputs, proven from the kernel's algorithm (never measured); rho_ref is the rounding of the float
 * model's own quantizer on the output (a QDQ reference rounds too: half an LSB for its round-to-nearest modes, one
 * LSB for TRN). Both sides saturating to the same range is 1-Lipschitz and explained; a value the AIE clipped (or
 * wrapped) where the float model did not is explained by nothing, which is the point: the first layer whose error
 * exceeds its bound is where the firmware stops tracking the model (an overflow, a wrong shift, a bad table).
 *
 * int8/int16 mode. rho = the srs rounding step of the output scale 2^-fo: half an LSB for the round-to-nearest
 * modes (conv_even, conv_odd, positive_inf, negative_inf, symmetric_inf, symmetric_zero), one LSB for floor and
 * ceil; 0 when the kernel only shifts left (no bits dropped).
 * - Graph input: the host's conversion (round half to even, saturate): rho_in = half an input LSB.
 * - Dense: W_q x_q + b_q - (W_f x_f + b_f) = W_q (x_q - x_f) + (W_q - W_f) x_f + (b_q - b_f). Propagation: the
 *   first term evaluated on the actual input error vector, max |W_q (x_q - x_f)|, which is at most L e with
 *   L = max_n sum_k |w_q[k][n]| and, unlike L e, does not hide a systematic error smaller than the worst case;
 *   own = rho + max_n sum_k |w_q - w_f|[k][n] * max|x_f| + max_n |b_q - b_f| (constants' quantization, 0 against a
 *   QDQ model whose scales are powers of two). The accumulation is exact (acc32/acc64 hold every sum, see
 *   `accFor`); a fused ReLU is 1-Lipschitz and commutes with srs.
 * - MatMul of two runtime operands: A_q B_q - A_f B_f = (A_q - A_f) B_q + A_f (B_q - B_f), evaluated on the
 *   sample's matrices (at most e_A * max_n sum_k |B_q[k][n]| + e_B * max_m sum_k |A_f[m][k]|, which is used when
 *   the operands' batch axes differ); own = rho.
 * - Add: L = 1 per operand; own = rho + max |c_q - c_f| for a constant operand.
 * - ReLU, Transpose, views (Reshape, Flatten, Squeeze, Unsqueeze, Slice, Split): L = 1; Concat: the largest of its
 *   operands' errors; own = rho when the kernel requantizes to a coarser scale, else 0.
 * - Sigmoid / Tanh (table lookups, activation.ts): L = 1/4 (Sigmoid), 1 (Tanh); own = the entry's single rounding
 *   of the exact value (srsStep of the output grid; bf16: u |y|).
 * - Softmax (int8): L = 1/2 (the Jacobian diag(p) - p p^T has max-norm 2 p_i (1 - p_i) <= 1/2); own = rho + 2^-13
 *   + (1 + n) * 2^-15 for a row of n. Proof sketch: int8 input codes differ by at most 255, so the table is never
 *   clamped and each EXP entry is 2^14 exp(-d 2^-fa) within 0.5 (EXP[0] exact); with T = sum exp and S = sum EXP,
 *   |EXP_j / S - t_j / T| <= 2^-15 + n 2^-15 (S >= 2^14); the normalization (Sn = S >> (p - 14) truncated, r =
 *   floor(2^28 / Sn)) gives e_j * r * 2^-(p+14) in (EXP_j / S - 2^-13, EXP_j / S + 2^-14 / (1 - 2^-14)).
 * - LayerNorm (int8), per row, n_j the exactly normalized input: propagation |gamma_j| (2 + |n_j(x_q)|) e / sigma(x_f)
 *   (centering moves an error at most 2e, sigma = sqrt(var + eps) is 1-Lipschitz in the max norm); own = rho +
 *   max_j [ (|c_j / sqrt(V)| * delta_rsq + |c_j| |V^-1/2 - V_eps^-1/2| + rho_n) |gamma_q,j| + |n_j| |gamma_q,j -
 *   gamma_j| + |beta_q,j - beta_j| ], where delta_rsq is the reciprocal square root table's largest relative error
 *   over every value its bucket serves (enumerated once over all 1536 buckets, the truncation V -> Vn included:
 *   RSQ_DELTA below), the second term is the quantized epsilon (epsV) against the model's, rho_n the rounding of
 *   the normalized value to 2^-12, and gamma_q, beta_q the kernel's constants (layerNormConstants).
 *
 * bf16 mode: sound bounds from bf16 rounding (u = 2^-8, round to nearest even) and fp32 accumulation (u = 2^-24),
 * valid for any summation order (the hardware's mmul order differs from the emulator's): Dense/MatMul own =
 * u/(1-u) * max|y_q| + gamma_{K+1} (sum |x_q| |w_q| + |b|) with gamma_m = m 2^-24 / (1 - m 2^-24) (Higham), plus
 * the weights' bf16 rounding against the float weights as above; Add own = (2^-8 + 2^-23) / (1 - 2^-8) * max|y_q|;
 * ReLU, Transpose and views are exact; the input conversion loses 2^-8 max|x|. A tiny absolute 2^-126 covers
 * underflow. bf16 Softmax and LayerNorm: see their bounds below (softmax case; layerNormBf16Bound).
 *
 * The float model is `options.reference` (the optimized IR before the AIE lowering, whose tensors keep their names:
 * what `firmflow bench` passes), run by the core's float interpreter with the model's own quantizers (a QDQ model's
 * Q/DQ pairs); or, by default, the lowered graph itself as a pure float model: no activation quantizers, the
 * graph's float constants, or for a reopened project (whose manifest holds only the integer codes) the dequantized
 * codes, so constants' quantization is then not part of the comparison.
 */
import { FirmflowError, Graph, ensureBuiltinIROps, fracBits, interpret, quantizeArray, type FixedType, type IRNode, type TraceLayerSummary, type TraceReportLike } from 'firmflow';
import {
  LAYERNORM_NORM_FRAC, LAYERNORM_RSQ_BITS, bf16FromBits, emulateGraph, intRange, layerNormBf16Constants, layerNormConstants, layerNormRsqrtTable,
  type AieInputs, type EmuValue,
} from './emulate.js';
import type { AieLayer, AieRounding } from './lowered.js';
import { ACTIVATION_LIPSCHITZ, type ActivationFn } from './activation.js';

export interface AieTraceOptions {
  /**
   * The float model: the optimized IR before the AIE lowering (loadModel + the `optimize` flow), whose tensors
   * carry the same names; its quantizers (QDQ) are applied. Default: the lowered graph as a pure float model.
   */
  reference?: Graph;
  /** Relative slack on the bound for float64 rounding in the reference (default 1e-9). */
  slack?: number;
}

/** A row of the trace: the core's trace row; an AIE layer's output saturates or wraps (aie.saturate). */
export interface AieTraceLayer extends TraceLayerSummary {
  /** Position in the graph's topological order (-1: a graph input's conversion). */
  index: number;
  /** AIE kernel kind ('' for a graph input). */
  kernel: string;
  /** Output tensor (the first one of a Split; the comparison covers all). */
  tensor: string;
  /** Output type: 'int8 f=4' (codes * 2^-4) or 'bf16'. */
  type: string;
  /** The bound of the sample with the largest error / bound ratio (Infinity when an input's error is unknown). */
  bound: number;
  /** Values the layer saturated (or wrapped), over all samples: srs beyond the output type, LayerNorm's int32 clamp. */
  overflows: number;
  overflowKind?: 'saturated' | 'wrapped';
}

export interface AieTraceReport extends TraceReportLike<AieTraceLayer> {
  /** Which float model was used. */
  reference: 'model' | 'lowered graph (float)';
  /** The table `firmflow predict --trace` prints. */
  text: string;
}

const U_BF16 = 2 ** -8;
const U_F32 = 2 ** -24;
const TINY = 2 ** -126;

/** srs rounding step at 2^-frac: a whole LSB for floor/ceil, half for the round-to-nearest modes. */
export function srsStep(mode: AieRounding, frac: number): number {
  const lsb = 2 ** -frac;
  return mode === 'floor' || mode === 'ceil' ? lsb : lsb / 2;
}

/** Rounding step of a model quantizer (a FixedType): a whole LSB for truncation, half for rounding modes. */
function quantizerStep(t: FixedType): number {
  const lsb = 2 ** -fracBits(t);
  return t.rounding === 'TRN' || t.rounding === 'TRN_ZERO' ? lsb : lsb / 2;
}

/** fp32 accumulation error factor for m terms (Higham's gamma_m). */
function gammaF32(m: number): number {
  return (m * U_F32) / (1 - m * U_F32);
}

let rsqDelta: number | undefined;
/**
 * Largest relative error of the LayerNorm reciprocal square root: RSQ[i] * 2^-21 * sqrt(v) - 1 over every v the
 * bucket serves, v in [16 (i + 512), 16 (i + 512) + 16) (Vn in the bucket, plus the bits of V below 2^s that the
 * truncation V -> Vn drops). The function is monotone in v, so the bucket's ends bound it.
 */
export function layerNormRsqrtError(): number {
  if (rsqDelta === undefined) {
    const t = layerNormRsqrtTable();
    let d = 0;
    for (let i = 0; i < t.length; i++) {
      const r = t[i] * 2 ** -LAYERNORM_RSQ_BITS;
      const lo = 16 * (i + 512);
      d = Math.max(d, Math.abs(r * Math.sqrt(lo) - 1), Math.abs(r * Math.sqrt(lo + 16) - 1));
    }
    rsqDelta = d * (1 + 1e-12);
  }
  return rsqDelta;
}

function layerOf(node: IRNode): AieLayer {
  const l = node.meta['aie'] as AieLayer | undefined;
  if (!l) throw new FirmflowError('aie.trace', `node '${node.name}' (${node.op}) has no AIE lowering (node.meta.aie); was the graph converted for backend AIE?`, { node: node.name });
  return l;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function realOf(v: EmuValue): Float64Array {
  if (v.dtype === 'bf16') return Float64Array.from(v.data);
  const s = 2 ** -v.frac;
  return Float64Array.from(v.data, (c) => c * s);
}

/** Real values of a layer's integer weights [K][N] (per-column scales), or bf16 patterns. */
function weightValues(layer: AieLayer, N: number): Float64Array {
  const c = layer.weightsCodes!;
  if (layer.dtype.out === 'bf16' || layer.dtype.w === 'bf16') return Float64Array.from(c, bf16FromBits);
  const fw = layer.frac.w ?? 0;
  return Float64Array.from(c, (v, i) => v * 2 ** -(typeof fw === 'number' ? fw : fw[i % N]));
}

function biasValues(layer: AieLayer, N: number): Float64Array | undefined {
  if (layer.dtype.out === 'bf16') return layer.biasFloat ? Float64Array.from(layer.biasFloat) : undefined;
  if (!layer.biasCodes) return undefined;
  const fa = layer.frac.a, fw = layer.frac.w ?? 0, fb = layer.frac.b;
  const at = (n: number): number => {
    if (typeof fb === 'number') return fb;
    if (Array.isArray(fb)) return fb[n];
    return fa + (typeof fw === 'number' ? fw : fw[n]);
  };
  return Float64Array.from(layer.biasCodes, (v, n) => v * 2 ** -at(n % N));
}

/** max_n sum_k |a[k][n]| over the K x N matrices stored back to back in `a`. */
function maxColAbsSum(a: ArrayLike<number>, K: number, N: number, from = 0, to = a.length): number {
  let m = 0;
  const col = new Float64Array(N);
  for (let base = from; base + K * N <= to; base += K * N) {
    col.fill(0);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) col[n] += Math.abs(a[base + k * N + n]);
    for (let n = 0; n < N; n++) if (col[n] > m) m = col[n];
  }
  return m;
}

/**
 * max_{m,n} |sum_k w[k][n] (xq[m][k] - xf[m][k])|: the float layer's linear map applied to the actual input error,
 * which never exceeds L * e = max_n sum_k |w[k][n]| * max |xq - xf| and is exact where L * e is a worst case.
 */
function propagated(w: ArrayLike<number>, K: number, N: number, xq: ArrayLike<number>, xf: ArrayLike<number>): number {
  let m = 0;
  const acc = new Float64Array(N);
  for (let r = 0; r + K <= xq.length; r += K) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const d = xq[r + k] - xf[r + k];
      if (d === 0) continue;
      for (let n = 0; n < N; n++) acc[n] += w[k * N + n] * d;
    }
    for (let n = 0; n < N; n++) { const v = Math.abs(acc[n]); if (v > m) m = v; }
  }
  // Float64 rounding of the sums (K terms): relative K * 2^-53 of sum |w| |d| <= L * e.
  return m * (1 + K * 2 ** -52);
}

/**
 * max |(A_q - A_f) B_q + A_f (B_q - B_f)| over the elements of matrix pairs stored back to back: A_q B_q - A_f B_f
 * exactly, the float product's response to the actual operand errors (<= e_A max colsum |B_q| + e_B max rowsum |A_f|).
 */
function propagatedProduct(aq: ArrayLike<number>, af: ArrayLike<number>, bq: ArrayLike<number>, bf: ArrayLike<number>, M: number, K: number, N: number): number {
  let m = 0;
  const acc = new Float64Array(N);
  let scale = 0;
  for (let t = 0; (t + 1) * M * K <= aq.length; t++) {
    const ao = t * M * K, bo = t * K * N;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const da = aq[ao + i * K + k] - af[ao + i * K + k], a = af[ao + i * K + k];
        for (let n = 0; n < N; n++) {
          const term = da * bq[bo + k * N + n] + a * (bq[bo + k * N + n] - bf[bo + k * N + n]);
          acc[n] += term;
          scale = Math.max(scale, Math.abs(term));
        }
      }
      for (let n = 0; n < N; n++) { const v = Math.abs(acc[n]); if (v > m) m = v; }
    }
  }
  // Float64 rounding of the 2K-term sums.
  return m + 2 * K * K * scale * 2 ** -52;
}

/** max_m sum_k |a[m][k]| over rows of K. */
function maxRowAbsSum(a: ArrayLike<number>, K: number, from = 0, to = a.length): number {
  let m = 0;
  for (let r = from; r + K <= to; r += K) {
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.abs(a[r + k]);
    if (s > m) m = s;
  }
  return m;
}

function maxAbs(a: ArrayLike<number>, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) { const v = Math.abs(a[i]); if (v > m) m = v; }
  return m;
}

/** max |a - b| (0 when b is absent: the constant is compared with itself). */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number> | undefined): number {
  if (!b) return 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function toF64(d: ArrayLike<number | bigint> | undefined): Float64Array | undefined {
  if (!d) return undefined;
  return Float64Array.from({ length: d.length }, (_, i) => Number(d[i]));
}

/** The weight and bias tensors of a dense layer: Dense (x, W, b), or a MatMul with a constant operand (no bias). */
function denseConstants(g: Graph, node: IRNode): { weights?: string; bias?: string } {
  if (node.op === 'Dense') return { weights: node.inputs[1], bias: node.inputs[2] || undefined };
  return { weights: node.inputs.find((t) => t !== '' && g.isConstant(t)) };
}

type FeedData = { name: string; tensor: string; data: Float64Array; perSample: number[] };

/** The real input values by graph input, as the emulator reads them (JSON layout, bare arrays, one input bare). */
function feedsOf(graph: Graph, inputs: AieInputs, tensors: Map<string, EmuValue>, samples: number): FeedData[] {
  const only = graph.inputs.length === 1;
  return graph.inputs.map((port) => {
    let data: ArrayLike<number> | undefined;
    if (ArrayBuffer.isView(inputs) || Array.isArray(inputs)) data = only ? (inputs as ArrayLike<number>) : undefined;
    else {
      const rec = inputs as Record<string, unknown>;
      const f = (rec[port.name] ?? rec[port.tensor]) as { data?: ArrayLike<number> } | ArrayLike<number> | undefined;
      data = f === undefined ? undefined : ArrayBuffer.isView(f) || Array.isArray(f) ? (f as ArrayLike<number>) : (f as { data: ArrayLike<number> }).data;
    }
    if (!data) throw new FirmflowError('aie.trace', `no data for graph input '${port.name}'`, { input: port.name });
    const v = tensors.get(port.tensor)!;
    return { name: port.name, tensor: port.tensor, data: Float64Array.from(data as ArrayLike<number>, Number), perSample: v.shape.slice(1).length ? [...v.shape.slice(1)] : [v.data.length / samples] };
  });
}

/**
 * The lowered graph as a float model: the same nodes, constants from the graph's float data or, where a reopened
 * project has none, from the layers' codes (weights, bias, Add constant, LayerNorm gamma/beta).
 */
function floatGraph(g: Graph): Graph {
  const f = new Graph(g.name);
  const filled = new Map<string, Float64Array>();
  for (const node of g.topoOrder()) {
    const l = node.meta['aie'] as AieLayer | undefined;
    if (!l) continue;
    const N = Number(l.shapes?.output?.at(-1) ?? g.tensor(node.outputs[0]).shape.at(-1));
    const put = (name: string | undefined, v: Float64Array | undefined): void => {
      if (name && v && g.hasTensor(name) && g.isConstant(name) && !(g.tensor(name).data?.length)) filled.set(name, v);
    };
    if (l.kernel === 'dense' && l.weightsCodes) {
      const c = denseConstants(g, node);
      put(c.weights, weightValues(l, N));
      put(c.bias, biasValues(l, N));
    } else if (node.op === 'Add' && l.weightsCodes) {
      put(node.inputs.find((t) => t !== '' && g.isConstant(t)), l.dtype.out === 'bf16' ? Float64Array.from(l.weightsCodes, bf16FromBits) : Float64Array.from(l.weightsCodes, (c) => c * 2 ** -Number(l.frac.w ?? 0)));
    } else if (node.op === 'LayerNormalization') {
      put(node.inputs[1], l.params?.gamma ? Float64Array.from(l.params.gamma) : undefined);
      put(node.inputs[2], l.params?.beta ? Float64Array.from(l.params.beta) : undefined);
    }
  }
  for (const t of g.tensors.values()) {
    let data = t.data;
    if (g.isConstant(t.name) && !data?.length && g.consumers(t.name).length) {
      data = filled.get(t.name);
      if (!data) {
        const user = g.consumers(t.name)[0];
        throw new FirmflowError('aie.trace', `cannot rebuild the float model: constant '${t.name}' of node '${user.name}' (${user.op}) has no values in the project; pass the model as the trace's reference`, { node: user.name, tensor: t.name });
      }
    }
    f.addTensor({ name: t.name, shape: t.shape, dtype: t.dtype, data });
  }
  for (const n of g.topoOrder()) f.addNode({ name: n.name, op: n.op, attrs: n.attrs, inputs: n.inputs, outputs: n.outputs, origin: n.origin, meta: n.meta });
  f.inputs = g.inputs.map((p) => ({ ...p }));
  f.outputs = g.outputs.map((p) => ({ ...p }));
  return f;
}

/**
 * Float values of every tensor, sample-major. A model whose batch axis is a fixed number is run one sample at a
 * time. Without a reference the lowered graph runs as a float model; its fused bias (a MatMul's) and ReLU are
 * applied to the product's output in place, so consumers read the fused result, as in the firmware.
 */
function floatValues(lowered: Graph, reference: Graph | undefined, feeds: FeedData[], samples: number): Map<string, Float64Array> {
  // The float semantics of the IR ops (registered by the core's frontend; a reopened project may not have run it).
  ensureBuiltinIROps();
  const ref = reference ?? floatGraph(lowered);
  const out = new Map<string, Float64Array>();
  const fixedBatch = ref.inputs.some((p) => typeof ref.tensor(p.tensor).shape[0] === 'number' && ref.tensor(p.tensor).shape[0] !== samples);
  const chunk = fixedBatch ? 1 : samples;
  // Products whose IR op has no bias input (MatMul) carry a fused bias only in their layer.
  const fusedOf = new Map<string, { layer: AieLayer; bias: boolean }>();
  if (!reference) {
    for (const n of lowered.topoOrder()) {
      const l = n.meta['aie'] as AieLayer | undefined;
      const bias = !!l && (l.kernel === 'dense' || l.kernel === 'matmul') && !!(l.biasCodes || l.biasFloat) && n.op !== 'Dense';
      if (l && (l.fusedRelu || bias)) fusedOf.set(n.outputs[0], { layer: l, bias });
    }
  }
  for (const p of ref.inputs) {
    if (!feeds.some((f) => f.name === p.name)) throw new FirmflowError('aie.trace', `the reference model's input '${p.name}' is not an input of the AIE graph (${feeds.map((f) => f.name).join(', ')})`, { input: p.name });
  }
  for (let first = 0; first < samples; first += chunk) {
    const b = Math.min(chunk, samples - first);
    const feed: Record<string, { shape: number[]; data: Float64Array }> = {};
    for (const f of feeds) {
      if (!ref.inputs.some((p) => p.name === f.name)) continue;
      const n = prod(f.perSample);
      feed[f.name] = { shape: [b, ...f.perSample], data: f.data.slice(first * n, (first + b) * n) };
    }
    const record = (name: string, data: Float64Array): void => {
      const n = data.length / b;
      let all = out.get(name);
      if (!all) { all = new Float64Array(n * samples); out.set(name, all); }
      all.set(data, first * n);
    };
    for (const p of ref.inputs) {
      // The float model's input is what its own input quantizer makes of the feed (recorded under the AIE graph's
      // tensor of the same port too, should the names differ).
      const v = Float64Array.from(feed[p.name].data);
      const q = reference ? ref.tensor(p.tensor).precision : undefined;
      if (q) quantizeArray(v, q);
      record(p.tensor, v);
      const own = feeds.find((f) => f.name === p.name)!.tensor;
      if (own !== p.tensor) record(own, v);
    }
    interpret(ref, feed, {
      applyPrecision: reference !== undefined,
      onTensor: (name, v) => {
        const fused = fusedOf.get(name);
        if (fused) {
          const l = fused.layer;
          const N = v.shape[v.shape.length - 1];
          const bias = fused.bias ? biasValues(l, N) : undefined;
          for (let i = 0; i < v.data.length; i++) {
            let y = v.data[i] + (bias ? bias[i % N] : 0);
            if (l.fusedRelu && y < 0) y = 0;
            v.data[i] = y;
          }
        }
        record(name, v.data);
      },
    });
  }
  return out;
}

interface TensorTrace {
  maxErr: Float64Array;
  maxXf: Float64Array;
  maxXq: Float64Array;
}

/**
 * Emulates `inputs` (real values) on the lowered AIE graph and runs the float model on them; returns every layer's
 * comparison (see the file comment for the bounds).
 */
export function traceGraph(graph: Graph, inputs: AieInputs, options: AieTraceOptions = {}): AieTraceReport {
  const tensors = new Map<string, EmuValue>();
  const overflows = new Map<string, number>();
  emulateGraph(graph, inputs, { tensors, onLayer: (node, _v, over) => overflows.set(node.name, over) });
  const first = graph.inputs[0] ? tensors.get(graph.inputs[0].tensor) : undefined;
  const samples = first?.shape[0] ?? 0;
  if (!samples) throw new FirmflowError('aie.trace', 'the trace needs at least one sample');
  const slack = options.slack ?? 1e-9;
  const reference = options.reference;

  const feeds = feedsOf(graph, inputs, tensors, samples);
  const fixed = new Map<string, Float64Array>();
  for (const [name, v] of tensors) fixed.set(name, realOf(v));
  const float = floatValues(graph, reference, feeds, samples);

  // The float model's quantizer on a tensor (a QDQ reference), and its constants by name.
  const refPrecision = (t: string): FixedType | undefined => (reference?.hasTensor(t) ? reference.tensor(t).precision : undefined);
  const rhoRef = (ts: string[]): number => Math.max(0, ...ts.map((t) => { const q = refPrecision(t); return q ? quantizerStep(q) : 0; }));
  const refConst = (t: string | undefined, length: number): Float64Array | undefined => {
    if (!t) return undefined;
    const g = reference ?? graph;
    const d = g.hasTensor(t) && g.isConstant(t) ? toF64(g.tensor(t).data as ArrayLike<number | bigint> | undefined) : undefined;
    return d && d.length === length ? d : undefined;
  };

  const traces = new Map<string, TensorTrace>();
  const rows: AieTraceLayer[] = [];
  const err = (t: string, s: number): number => traces.get(t)?.maxErr[s] ?? NaN;
  const slice = (t: string, s: number, map: Map<string, Float64Array>): Float64Array | undefined => {
    const a = map.get(t);
    if (!a) return undefined;
    const n = a.length / samples;
    return a.subarray(s * n, (s + 1) * n);
  };

  /** Compares the outputs `ts` over every sample against `bound(s)`; records each output's trace. */
  const compare = (ts: string[], bound: (s: number) => number): Pick<AieTraceLayer, 'maxAbsError' | 'meanAbsError' | 'bound' | 'ratio' | 'samplesExceeding' | 'fixedRange' | 'floatRange'> => {
    const q = ts.map((t) => fixed.get(t)!);
    const f = ts.map((t) => float.get(t));
    const known = f.every((a, i) => a !== undefined && a.length === q[i].length);
    let maxAbsErr = 0, sum = 0, count = 0, worst = 0, worstBound = NaN, exceeding = 0;
    let qlo = Infinity, qhi = -Infinity, flo = Infinity, fhi = -Infinity;
    for (const a of q) for (let i = 0; i < a.length; i++) { if (a[i] < qlo) qlo = a[i]; if (a[i] > qhi) qhi = a[i]; }
    const perTensor = ts.map(() => ({ maxErr: new Float64Array(samples).fill(NaN), maxXf: new Float64Array(samples), maxXq: new Float64Array(samples) }));
    for (let s = 0; s < samples; s++) {
      let m = 0, yf = 0;
      ts.forEach((_, k) => {
        const a = q[k], n = a.length / samples;
        let mk = 0, xf = 0, xq = 0;
        for (let i = s * n; i < (s + 1) * n; i++) xq = Math.max(xq, Math.abs(a[i]));
        if (known) {
          const b = f[k]!;
          for (let i = s * n; i < (s + 1) * n; i++) {
            const d = Math.abs(a[i] - b[i]);
            sum += d;
            if (d > mk) mk = d;
            const af = Math.abs(b[i]);
            if (af > xf) xf = af;
            if (b[i] < flo) flo = b[i];
            if (b[i] > fhi) fhi = b[i];
          }
          count += n;
        }
        perTensor[k].maxErr[s] = known ? mk : NaN;
        perTensor[k].maxXf[s] = xf;
        perTensor[k].maxXq[s] = xq;
        m = Math.max(m, mk);
        yf = Math.max(yf, xf);
      });
      if (!known) continue;
      if (m > maxAbsErr) maxAbsErr = m;
      const b = bound(s);
      const r = m === 0 ? 0 : m / b;
      if (m > b * (1 + slack) + slack * (1e-3 + yf)) exceeding++;
      if (r > worst || Number.isNaN(worstBound)) { worst = r; worstBound = b; }
    }
    ts.forEach((t, k) => traces.set(t, perTensor[k]));
    if (!known) return { maxAbsError: NaN, meanAbsError: NaN, bound: NaN, ratio: NaN, samplesExceeding: 0, fixedRange: [qlo, qhi], floatRange: [NaN, NaN] };
    return { maxAbsError: maxAbsErr, meanAbsError: count ? sum / count : 0, bound: worstBound, ratio: worst, samplesExceeding: exceeding, fixedRange: [qlo, qhi], floatRange: [flo, fhi] };
  };

  const typeOf = (v: EmuValue): { type: string; range: [number, number] } => {
    if (v.dtype === 'bf16') return { type: 'bf16', range: [-Infinity, Infinity] };
    const r = intRange(v.dtype);
    return { type: `${v.dtype} f=${v.frac}`, range: [r.min * 2 ** -v.frac, r.max * 2 ** -v.frac] };
  };
  const addRow = (r: Omit<AieTraceLayer, 'exceeds'>): void => { rows.push({ ...r, exceeds: r.samplesExceeding > 0 }); };

  // Graph inputs: the host's conversion of the float feed (round half to even and saturate, or bf16 rounding).
  for (const f of feeds) {
    const v = tensors.get(f.tensor)!;
    const bf = v.dtype === 'bf16';
    const rho = bf ? 0 : 2 ** -v.frac / 2;
    const rr = rhoRef([f.tensor]);
    const stats = compare([f.tensor], (s) => (bf ? U_BF16 * maxAbs(f.data, s * (f.data.length / samples), (s + 1) * (f.data.length / samples)) + TINY : rho) + rr);
    let over = 0;
    if (!bf) {
      const { min, max } = intRange(v.dtype);
      const sc = 2 ** v.frac;
      for (let i = 0; i < f.data.length; i++) { const c = Math.round(f.data[i] * sc); if (c < min || c > max) over++; }
    }
    const { type, range } = typeOf(v);
    addRow({ index: -1, layer: `input ${f.name}`, node: '', op: 'Input', kernel: '', tensor: f.tensor, type, ...stats, overflows: over, overflowKind: over ? 'saturated' : undefined, typeRange: range });
  }

  graph.topoOrder().forEach((node, index) => {
    const layer = layerOf(node);
    const outs = node.outputs.filter((t) => t !== '' && tensors.has(t));
    const out = tensors.get(outs[0])!;
    const bf = layer.dtype.out === 'bf16';
    const fo = bf ? 0 : layer.frac.out;
    const ins = layer.inputs.filter((t) => tensors.has(t));
    const inV = ins.map((t) => tensors.get(t)!);
    const rho = (shifts: boolean): number => (bf || !shifts ? 0 : srsStep(layer.rounding, fo));
    const rr = rhoRef(outs);
    const bfOut = (s: number, u: number): number => (bf ? (u / (1 - U_BF16)) * maxAbs(slice(outs[0], s, fixed)!) + TINY : 0);
    let bound: (s: number) => number;
    switch (layer.kernel) {
      case 'dense': {
        const N = out.shape[out.shape.length - 1];
        const wq = weightValues(layer, N);
        const K = wq.length / N;
        const bq = biasValues(layer, N);
        const names = denseConstants(graph, node);
        const wf = refConst(names.weights, wq.length);
        const bfl = bq ? refConst(names.bias, bq.length) : undefined;
        const L = maxColAbsSum(wq, K, N);
        const dW = wf ? maxColAbsSum(Float64Array.from(wq, (v, i) => v - wf[i]), K, N) : 0;
        const dB = bq ? maxAbsDiff(bq, bfl) : 0;
        const bmax = bq ? maxAbs(bq) : 0;
        const x = ins[0];
        const shifts = typeof layer.shift === 'number' ? layer.shift > 0 : layer.shift.some((v) => v > 0);
        bound = (s) => {
          const xq = slice(x, s, fixed)!, xf = slice(x, s, float);
          const e = err(x, s);
          let own = rho(shifts) + rr + dB + (dW ? dW * (xf ? maxAbs(xf) : Infinity) : 0);
          if (bf) own += bfOut(s, U_BF16) + gammaF32(K + 1) * (L * maxAbs(xq) + bmax);
          return (e === 0 ? 0 : xf ? propagated(wq, K, N, xq, xf) : Infinity) + own;
        };
        break;
      }
      case 'matmul': {
        const [a, b] = ins;
        const av = inV[0], bv = inV[1];
        const K = av.shape[av.shape.length - 1], N = bv.shape[bv.shape.length - 1];
        const perSample = (v: EmuValue): boolean => v.shape[0] === samples && v.shape.length === out.shape.length;
        const part = (t: string, v: EmuValue, s: number, map: Map<string, Float64Array>): Float64Array | undefined => (perSample(v) ? slice(t, s, map) : map.get(t));
        const shifts = typeof layer.shift === 'number' ? layer.shift > 0 : layer.shift.some((v) => v > 0);
        // Operands with the same batch axes pair matrix for matrix: the exact propagation applies.
        const paired = perSample(av) && perSample(bv) && av.shape.slice(0, -2).join() === bv.shape.slice(0, -2).join();
        const M = av.shape[av.shape.length - 2];
        bound = (s) => {
          const aq = part(a, av, s, fixed)!, bq = part(b, bv, s, fixed)!, af = part(a, av, s, float), bfl = part(b, bv, s, float);
          const eA = err(a, s), eB = err(b, s);
          let own = rho(shifts) + rr;
          if (bf) own += bfOut(s, U_BF16) + gammaF32(K + 1) * maxRowAbsSum(aq, K) * maxAbs(bq);
          if (eA === 0 && eB === 0) return own;
          if (paired && af && bfl) return propagatedProduct(aq, af, bq, bfl, M, K, N) + own;
          const LA = maxColAbsSum(bq, K, N);
          const LB = af ? maxRowAbsSum(af, K) : Infinity;
          return (eA === 0 ? 0 : LA * eA) + (eB === 0 ? 0 : LB * eB) + own;
        };
        break;
      }
      case 'add': {
        let dC = 0;
        if (ins.length < 2 && layer.weightsCodes) {
          const cname = node.inputs.find((t) => t !== '' && graph.isConstant(t));
          const cq = bf ? Float64Array.from(layer.weightsCodes, bf16FromBits) : Float64Array.from(layer.weightsCodes, (c) => c * 2 ** -Number(layer.frac.w ?? 0));
          dC = maxAbsDiff(cq, refConst(cname, cq.length));
        }
        const F = Math.max(...inV.map((v) => v.frac), bf ? 0 : Number(layer.frac.w ?? -Infinity));
        bound = (s) => ins.reduce((t, i) => { const e = err(i, s); return t + (e === 0 ? 0 : e); }, 0) + dC + rho(F > fo) + rr + bfOut(s, U_BF16 + 2 * U_F32);
        break;
      }
      case 'softmax': {
        const n = inV[0].shape[inV[0].shape.length - 1];
        if (bf) {
          // bf16 (softmaxRowBf16): each e_j is off by at most 2^-9 + 2^-24 (d rounded to bf16: e^d |d| 2^-8 e^{|d| 2^-8}
          // <= 0.42 * 2^-8 for |d| < 32; 1 for |d| < 2^-9; the table's fp32 rounding), and the sum S >= 1 holds the
          // exact 1 of the maximum, so |e_j/S - ê_j/Ŝ| <= (1 + n)(2^-9 + 2^-24); the fp32 sum, reciprocal and product
          // add gamma_{n+2}; the bf16 output rounding u |y|. Softmax is 1/2-Lipschitz in the max norm.
          const own = (1 + n) * (2 ** -9 + U_F32) + gammaF32(n + 2);
          bound = (s) => { const e = err(ins[0], s); return (e === 0 ? 0 : 0.5 * e) + own + bfOut(s, U_BF16) + rr; };
          break;
        }
        const own = srsStep(layer.rounding, fo) + 2 ** -13 + (1 + n) * 2 ** -15;
        bound = (s) => { const e = err(ins[0], s); return (e === 0 ? 0 : 0.5 * e) + own + rr; };
        break;
      }
      case 'layernorm':
        if (bf) {
          bound = layerNormBf16Bound(layer, node, inV[0], ins[0], (t, s) => slice(t, s, fixed), (t, s) => slice(t, s, float), err, refConst, (s) => bfOut(s, U_BF16) + rr);
          break;
        }
        bound = layerNormBound(layer, node, inV[0], ins[0], (t, s) => slice(t, s, fixed), (t, s) => slice(t, s, float), err, refConst, rr);
        break;
      case 'activation': {
        // Sigmoid / Tanh: |f(a) - f(b)| <= L |a - b| (L = max |f'| = 1/4, 1); own = the table entry's one rounding of
        // the exact f (half an output LSB, or the rounding mode's step; bf16: u |y|), the entries being computed
        // in double (activation.ts).
        const L = ACTIVATION_LIPSCHITZ[layer.attrs['fn'] as ActivationFn];
        const own = bf ? 0 : srsStep(layer.rounding, fo);
        bound = (s) => { const e = err(ins[0], s); return (e === 0 ? 0 : L * e) + own + bfOut(s, U_BF16) + rr; };
        break;
      }
      case 'relu': case 'transpose': case 'view': {
        const requant = inV.some((v) => !bf && v.frac > fo);
        const concat = node.op === 'Concat';
        bound = (s) => {
          const es = ins.map((i) => err(i, s));
          const e = concat ? Math.max(...es) : es.reduce((a, b) => a + b, 0);
          return (e === 0 ? 0 : e) + rho(requant) + rr;
        };
        break;
      }
      default:
        throw new FirmflowError('aie.trace', `node '${node.name}': no error bound for AIE kernel '${(layer as AieLayer).kernel}'`, { node: node.name });
    }
    const guarded = (s: number): number => { const b = bound(s); return Number.isNaN(b) ? Infinity : b; };
    const stats = compare(outs, guarded);
    const over = overflows.get(node.name) ?? 0;
    const { type, range } = typeOf(out);
    addRow({
      index, layer: node.name, node: node.name, op: node.op, kernel: layer.kernel, tensor: outs[0], type, ...stats,
      overflows: over, overflowKind: over ? (layer.saturate ? 'saturated' : 'wrapped') : undefined, typeRange: range,
    });
  });

  const outputs: AieTraceReport['outputs'] = {};
  for (const p of graph.outputs) {
    const q = fixed.get(p.tensor), f = float.get(p.tensor);
    if (!q) continue;
    let m = 0, sum = 0;
    if (f && f.length === q.length) for (let i = 0; i < q.length; i++) { const d = Math.abs(q[i] - f[i]); sum += d; if (d > m) m = d; }
    else { m = NaN; sum = NaN; }
    outputs[p.name] = { maxAbsError: m, meanAbsError: sum / q.length };
  }
  const report: Omit<AieTraceReport, 'text'> = {
    samples,
    layers: rows,
    firstUnexplained: rows.find((r) => r.exceeds),
    overflowed: rows.filter((r) => r.overflows > 0).map((r) => ({ layer: r.layer, count: r.overflows, kind: r.overflowKind ?? '' })),
    outputs,
    reference: reference ? 'model' : 'lowered graph (float)',
  };
  return { ...report, text: formatAieTrace(report) };
}

/**
 * LayerNorm's bound per sample: the largest row bound (propagation through the exact normalization, plus the
 * integer algorithm's own error; see the file comment).
 */
function layerNormBound(
  layer: AieLayer, node: IRNode, inV: EmuValue, x: string,
  fixedOf: (t: string, s: number) => Float64Array | undefined, floatOf: (t: string, s: number) => Float64Array | undefined,
  err: (t: string, s: number) => number, refConst: (t: string | undefined, n: number) => Float64Array | undefined, rr: number,
): (s: number) => number {
  const L = inV.shape[inV.shape.length - 1];
  const c = layerNormConstants(layer, L);
  const eps = Number(layer.attrs['epsilon'] ?? 1e-5);
  const gamma = refConst(node.inputs[1], L) ?? (layer.params?.gamma ? Float64Array.from(layer.params.gamma) : new Float64Array(L).fill(1));
  const beta = refConst(node.inputs[2], L) ?? (layer.params?.beta ? Float64Array.from(layer.params.beta) : new Float64Array(L));
  const gq = Float64Array.from(c.gammaQ, (v) => v * 2 ** -c.gammaFrac);
  const bq = Float64Array.from(c.betaQ, (v) => v * 2 ** -(LAYERNORM_NORM_FRAC + c.gammaFrac));
  const delta = layerNormRsqrtError();
  const fa = layer.frac.a, fo = layer.frac.out;
  const rhoN = srsStep(layer.rounding, LAYERNORM_NORM_FRAC);
  const oShift = LAYERNORM_NORM_FRAC + c.gammaFrac - fo;
  const rhoOut = oShift > 0 ? srsStep(layer.rounding, fo) : 0;
  const epsExact = eps * L * L * 2 ** (2 * fa);
  return (s) => {
    const xq = fixedOf(x, s)!, xf = floatOf(x, s);
    const e = err(x, s);
    let worst = 0;
    for (let r = 0; r + L <= xq.length; r += L) {
      // Codes of the row (exact integers) and the kernel's V against the model's epsilon.
      let sum = 0, sq = 0;
      for (let j = 0; j < L; j++) { const v = Math.round(xq[r + j] * 2 ** fa); sum += v; sq += v * v; }
      const V0 = L * sq - sum * sum;
      const V = V0 + c.epsV, Ve = V0 + epsExact;
      const iV = 1 / Math.sqrt(V), iVe = 1 / Math.sqrt(Ve);
      let own = 0, lip = 0;
      for (let j = 0; j < L; j++) {
        const cj = L * Math.round(xq[r + j] * 2 ** fa) - sum;
        const nV = Math.abs(cj) * iV, nE = Math.abs(cj) * iVe;
        const dn = nV * delta + Math.abs(cj) * Math.abs(iV - iVe) + rhoN;
        own = Math.max(own, dn * Math.abs(gq[j]) + nE * Math.abs(gq[j] - gamma[j]) + Math.abs(bq[j] - beta[j]));
        lip = Math.max(lip, Math.abs(gamma[j]) * (2 + nE));
      }
      worst = Math.max(worst, layerNormPropagation(lip, e, xf, r, L, eps) + own);
    }
    return worst + rhoOut + rr;
  };
}

/**
 * How much of an input error e a LayerNorm row passes on: lip e / sqrt(var(x_f) + eps), lip = max_j |gamma_j| (2 + |n_j|)
 * (the float row's spread is what the normalization divides by); Infinity when the float row is unknown.
 */
function layerNormPropagation(lip: number, e: number, xf: Float64Array | undefined, r: number, L: number, eps: number): number {
  if (e === 0) return 0;
  if (!xf) return Infinity;
  let m = 0, v2 = 0;
  for (let j = 0; j < L; j++) m += xf[r + j];
  m /= L;
  for (let j = 0; j < L; j++) v2 += (xf[r + j] - m) ** 2;
  return (lip * e) / Math.sqrt(v2 / L + eps);
}

/**
 * bf16 LayerNorm's bound per sample (the kernel is layerNormRowBf16): per row, with x the bf16 input (exact), mu, c_j
 * = x_j - mu, V = mean c^2, W = V + eps (the model's epsilon), R = W^-1/2 and n_j = c_j R all exact, u = 2^-24
 * and gamma_m = m u / (1 - m u), the kernel's fp32 steps are bounded one by one (Higham's model, each operation
 * exact times (1 + delta), |delta| <= u):
 *   sum:       |S - sum x| <= A = gamma_{L-1} sum |x|;       mean: |mu^ - mu| <= Em = A/L + u (|mu| + A/L)
 *   centred:   |d^_j - c_j| <= Ed_j = Em + u (|c_j| + Em)
 *   squares:   |Q^ - sum c^2| <= EQ = sum Ed_j (2 |c_j| + Ed_j) + gamma_L sum (|c_j| + Ed_j)^2 + L 2^-149 (underflow)
 *   variance:  |v^ - V| <= Ev = EQ/L + u (V + EQ/L);   |w^ - W| <= Ew = Ev + |eps32 - eps| + u (W + Ev + |eps32 - eps|)
 *   rsqrt:     r^ = R sqrt(W / w^) (1 + d2) / (1 + d1), so |r^/R - 1| <= rho (both sides of w^ in W -+ Ew; Ew < W)
 *   normalize: |n^_j - n_j| <= En_j = Ed_j R (1 + rho) + |c_j| R rho + u (|c_j| + Ed_j) R (1 + rho)
 *   scale:     Et_j = En_j |g_j| + u |g_j| (|n_j| + En_j);   shift: Ez_j = Et_j + u (|n_j g_j + b_j| + Et_j)
 * plus the fp32 constants against the model's (|n_j| |g32_j - gamma_j| + |b32_j - beta_j|), the bf16 output rounding
 * (u_bf16 |y|) and the propagation of the row's own input error D = x_q - x_f: with D'_j = D_j - mean D (the centred
 * error) and sigma_f = sqrt(var(x_f) + eps), n(x_q) - n(x_f) = D'/sigma_f + n(x_q) (sigma_f - sigma_q) / sigma_f, and
 * |sigma_q - sigma_f| <= RMS(D') (the RMS of the centred row is a norm), so |gamma_j| (|D'_j| + |n_j| RMS(D')) /
 * sigma_f per element: 0 for an error that shifts the whole row (a constant row stays constant).
 */
function layerNormBf16Bound(
  layer: AieLayer, node: IRNode, inV: EmuValue, x: string,
  fixedOf: (t: string, s: number) => Float64Array | undefined, floatOf: (t: string, s: number) => Float64Array | undefined,
  err: (t: string, s: number) => number, refConst: (t: string | undefined, n: number) => Float64Array | undefined, outBound: (s: number) => number,
): (s: number) => number {
  const L = inV.shape[inV.shape.length - 1];
  const c = layerNormBf16Constants(layer, L);
  const eps = Number(layer.attrs['epsilon'] ?? 1e-5);
  const gamma = refConst(node.inputs[1], L) ?? (layer.params?.gamma ? Float64Array.from(layer.params.gamma) : new Float64Array(L).fill(1));
  const beta = refConst(node.inputs[2], L) ?? (layer.params?.beta ? Float64Array.from(layer.params.beta) : new Float64Array(L));
  const u = U_F32;
  const dEps = Math.abs(c.eps - eps);
  return (s) => {
    const xq = fixedOf(x, s)!, xf = floatOf(x, s);
    const e = err(x, s);
    let worst = 0;
    for (let r = 0; r + L <= xq.length; r += L) {
      let sum = 0, sumAbs = 0;
      for (let j = 0; j < L; j++) { sum += xq[r + j]; sumAbs += Math.abs(xq[r + j]); }
      const mu = sum / L;
      let V = 0;
      for (let j = 0; j < L; j++) V += (xq[r + j] - mu) ** 2;
      V /= L;
      const W = V + eps;
      const A = gammaF32(L - 1) * sumAbs;
      const Em = A / L + u * (Math.abs(mu) + A / L);
      let EQ = L * 2 ** -149, sq = 0;
      for (let j = 0; j < L; j++) {
        const cj = Math.abs(xq[r + j] - mu), Ed = Em + u * (cj + Em);
        EQ += Ed * (2 * cj + Ed);
        sq += (cj + Ed) ** 2;
      }
      EQ += gammaF32(L) * sq;
      const Ev = EQ / L + u * (V + EQ / L);
      const Ew = Ev + dEps + u * (W + Ev + dEps);
      if (!(Ew < W)) return Infinity;
      const R = 1 / Math.sqrt(W);
      const rho = Math.max(Math.sqrt(W / (W - Ew)) * (1 + u) / (1 - u) - 1, 1 - Math.sqrt(W / (W + Ew)) * (1 - u) / (1 + u));
      // The row's input error, centred: D_j = (x_q - x_f)_j - mean, its RMS, and sigma of the float row.
      let dMean = 0, rms = 0, sigmaF = 0;
      if (e !== 0 && xf) {
        let m = 0, v2 = 0;
        for (let j = 0; j < L; j++) { dMean += xq[r + j] - xf[r + j]; m += xf[r + j]; }
        dMean /= L;
        m /= L;
        for (let j = 0; j < L; j++) { rms += (xq[r + j] - xf[r + j] - dMean) ** 2; v2 += (xf[r + j] - m) ** 2; }
        rms = Math.sqrt(rms / L);
        sigmaF = Math.sqrt(v2 / L + eps);
      }
      let own = 0, prop = 0;
      for (let j = 0; j < L; j++) {
        const cj = Math.abs(xq[r + j] - mu), Ed = Em + u * (cj + Em);
        const n = cj * R, g = Math.abs(c.gamma[j]);
        const En = Ed * R * (1 + rho) + cj * R * rho + u * (cj + Ed) * R * (1 + rho);
        const Et = En * g + u * g * (n + En);
        const Ez = Et + u * (Math.abs(((xq[r + j] - mu) * R) * c.gamma[j] + c.beta[j]) + Et);
        own = Math.max(own, Ez + n * Math.abs(c.gamma[j] - gamma[j]) + Math.abs(c.beta[j] - beta[j]));
        if (e !== 0) prop = Math.max(prop, xf ? (Math.abs(gamma[j]) * (Math.abs(xq[r + j] - xf[r + j] - dMean) + n * rms)) / sigmaF : Infinity);
      }
      worst = Math.max(worst, prop + own);
    }
    return worst + outBound(s);
  };
}

/** The trace as a fixed-width table (what `firmflow predict --trace` prints). */
export function formatAieTrace(report: Omit<AieTraceReport, 'text'>): string {
  const fmt = (v: number): string => (Number.isNaN(v) ? 'n/a' : v === Infinity ? 'inf' : v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3));
  const head = ['#', 'layer', 'op', 'kernel', 'type', 'max|err|', 'mean|err|', 'bound', 'err/bound', 'overflows', ''];
  const body = report.layers.map((r) => [
    r.index < 0 ? 'in' : String(r.index), r.layer, r.op, r.kernel, r.type, fmt(r.maxAbsError), fmt(r.meanAbsError), fmt(r.bound), fmt(r.ratio),
    r.overflows ? `${r.overflows} ${r.overflowKind}` : '0', r === report.firstUnexplained ? '<- first unexplained' : r.exceeds ? '!' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 5 && i <= 9 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  lines.push('');
  lines.push(`${report.samples} sample${report.samples === 1 ? '' : 's'} against the ${report.reference === 'model' ? 'model (with its own quantizers)' : 'lowered graph run in float'}; bound = input errors times the layer's gain + its own rounding (srs step, constants, Softmax/LayerNorm tables).`);
  const f = report.firstUnexplained;
  if (f) {
    lines.push(`First layer whose error its arithmetic does not explain: '${f.layer}' (${f.op}, ${f.type}): max |err| ${fmt(f.maxAbsError)} > bound ${fmt(f.bound)} on ${f.samplesExceeding} sample(s)` +
      (f.overflows ? `; ${f.overflows} value(s) ${f.overflowKind}` : f.floatRange[1] > f.typeRange[1] || f.floatRange[0] < f.typeRange[0] ? '; float values exceed the type\'s range' : '') + '.');
  } else lines.push('Every layer\'s error is explained by its arithmetic.');
  if (report.overflowed.length) lines.push(`Overflows: ${report.overflowed.map((o) => `'${o.layer}' ${o.count} ${o.kind}`).join(', ')}.`);
  return lines.join('\n');
}

