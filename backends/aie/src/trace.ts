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
 * - Sigmoid / Tanh (table lookups, numerics/activation.ts): L = 1/4 (Sigmoid), 1 (Tanh); own = the entry's single rounding
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
import { feedOf, FirmflowError, type FloatFeed, formatTraceTable, fracBits, Graph, LayerComparison, outputErrors, quantizeArray, recordFloat, summarizeTrace, traceRow, type FixedType, type IRNode, type TraceLayerSummary, type TraceReportLike } from 'firmflow';
import { emulateGraph, intRange, type AieInputs, type EmuValue } from './emulate.js';
import { kernelOf } from './kernels/index.js';
import { biasValues } from './kernels/product.js';
import type { AieLayer } from './lowered.js';
import { maxAbs, srsStep, TINY, U_BF16 } from './numerics/error.js';

export { srsStep } from './numerics/error.js';
export { layerNormRsqrtError } from './numerics/layernorm.js';

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

/** Rounding step of a model quantizer (a FixedType): a whole LSB for truncation, half for rounding modes. */
function quantizerStep(t: FixedType): number {
  const lsb = 2 ** -fracBits(t);
  return t.rounding === 'TRN' || t.rounding === 'TRN_ZERO' ? lsb : lsb / 2;
}

function layerOf(node: IRNode): AieLayer {
  const l = node.meta['aie'] as AieLayer | undefined;
  if (!l) throw new FirmflowError('aie.trace', `node '${node.name}' (${node.op}) has no AIE lowering (node.meta.aie); was the graph converted for backend AIE?`, { node: node.name });
  return l;
}


function realOf(v: EmuValue): Float64Array {
  if (v.dtype === 'bf16') return Float64Array.from(v.data);
  const s = 2 ** -v.frac;
  return Float64Array.from(v.data, (c) => c * s);
}

function toF64(d: ArrayLike<number | bigint> | undefined): Float64Array | undefined {
  if (!d) return undefined;
  return Float64Array.from({ length: d.length }, (_, i) => Number(d[i]));
}

/** The real input values by graph input, as the emulator reads them (JSON layout, bare arrays, one input bare). */
function feedsOf(graph: Graph, inputs: AieInputs, tensors: Map<string, EmuValue>, samples: number): (FloatFeed & { tensor: string })[] {
  const only = graph.inputs.length === 1;
  return graph.inputs.map((port) => {
    const data = feedOf(inputs, [port.name, port.tensor], only)?.data;
    if (!data) throw new FirmflowError('aie.trace', `no data for graph input '${port.name}'`, { input: port.name });
    const v = tensors.get(port.tensor)!;
    return { name: port.name, tensor: port.tensor, data: Float64Array.from(data, Number), perSample: v.shape.slice(1).length ? [...v.shape.slice(1)] : [v.data.length / samples] };
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
    for (const { tensor: name, values: v } of kernelOf(l.kernel).floatConstants?.(g, node, l) ?? []) {
      if (name && v && g.hasTensor(name) && g.isConstant(name) && !(g.tensor(name).data?.length)) filled.set(name, v);
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
 * Float values of every tensor, sample-major. Without a reference the lowered graph runs as a float model; its
 * fused bias (a MatMul's) and ReLU are applied to the product's output in place, so consumers read the fused
 * result, as in the firmware.
 */
function floatValues(lowered: Graph, reference: Graph | undefined, feeds: (FloatFeed & { tensor: string })[], samples: number): Map<string, Float64Array> {
  const ref = reference ?? floatGraph(lowered);
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
  const out = recordFloat(ref, feeds.filter((f) => ref.inputs.some((p) => p.name === f.name)), samples, {
    applyPrecision: reference !== undefined,
    // The float model's input is what its own input quantizer makes of the feed.
    input: (_name, tensor, data) => { const q = reference ? ref.tensor(tensor).precision : undefined; if (q) quantizeArray(data, q); },
    tensor: (name, v) => {
      const fused = fusedOf.get(name);
      if (!fused) return;
      const l = fused.layer;
      const N = v.shape[v.shape.length - 1];
      const bias = fused.bias ? biasValues(l, N) : undefined;
      for (let i = 0; i < v.data.length; i++) {
        let y = v.data[i] + (bias ? bias[i % N] : 0);
        if (l.fusedRelu && y < 0) y = 0;
        v.data[i] = y;
      }
    },
  });
  // The AIE graph's tensor of an input port holds the same values, should the names differ.
  for (const p of ref.inputs) {
    const own = feeds.find((f) => f.name === p.name)!.tensor;
    if (own !== p.tensor) out.set(own, out.get(p.tensor)!);
  }
  return out;
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

  const cmp = new LayerComparison(fixed, float, samples, options.slack ?? 1e-9);
  const rows: AieTraceLayer[] = [];
  const err = (t: string, s: number): number => cmp.err(t, s);
  const slice = (t: string, s: number, map: Map<string, Float64Array>): Float64Array | undefined => {
    const a = map.get(t);
    if (!a) return undefined;
    const n = a.length / samples;
    return a.subarray(s * n, (s + 1) * n);
  };

  const typeOf = (v: EmuValue): { type: string; range: [number, number] } => {
    if (v.dtype === 'bf16') return { type: 'bf16', range: [-Infinity, Infinity] };
    const r = intRange(v.dtype);
    return { type: `${v.dtype} f=${v.frac}`, range: [r.min * 2 ** -v.frac, r.max * 2 ** -v.frac] };
  };
  const addRow = (r: Omit<AieTraceLayer, 'exceeds'>): void => { rows.push(traceRow<AieTraceLayer>(r)); };

  // Graph inputs: the host's conversion of the float feed (round half to even and saturate, or bf16 rounding).
  for (const f of feeds) {
    const v = tensors.get(f.tensor)!;
    const bf = v.dtype === 'bf16';
    const rho = bf ? 0 : 2 ** -v.frac / 2;
    const rr = rhoRef([f.tensor]);
    const stats = cmp.compare([f.tensor], (s) => (bf ? U_BF16 * maxAbs(f.data, s * (f.data.length / samples), (s + 1) * (f.data.length / samples)) + TINY : rho) + rr);
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
    const bound = kernelOf(layer.kernel).traceBound({
      graph, node, layer, samples, ins, inV, out, bf, fo, err, rr,
      fixedOf: (t, s) => (s === undefined ? fixed.get(t) : slice(t, s, fixed)),
      floatOf: (t, s) => (s === undefined ? float.get(t) : slice(t, s, float)),
      refConst, rho, bfOut,
    });
    const guarded = (s: number): number => { const b = bound(s); return Number.isNaN(b) ? Infinity : b; };
    const stats = cmp.compare(outs, guarded);
    const over = overflows.get(node.name) ?? 0;
    const { type, range } = typeOf(out);
    addRow({
      index, layer: node.name, node: node.name, op: node.op, kernel: layer.kernel, tensor: outs[0], type, ...stats,
      overflows: over, overflowKind: over ? (layer.saturate ? 'saturated' : 'wrapped') : undefined, typeRange: range,
    });
  });

  const report: Omit<AieTraceReport, 'text'> = {
    ...summarizeTrace(samples, rows, outputErrors(graph.outputs, fixed, float)),
    reference: reference ? 'model' : 'lowered graph (float)',
  };
  return { ...report, text: formatAieTrace(report) };
}

/** The trace as a fixed-width table (what `firmflow predict --trace` prints). */
export function formatAieTrace(report: Omit<AieTraceReport, 'text'>): string {
  return formatTraceTable(report, {
    columns: [{ head: 'kernel', cell: (r) => r.kernel }],
    legend: ` against the ${report.reference === 'model' ? 'model (with its own quantizers)' : 'lowered graph run in float'}; bound = input errors times the layer's gain + its own rounding (srs step, constants, Softmax/LayerNorm tables).`,
    explainedBy: 'arithmetic',
  });
}
