/*
 * What the AI Engine computes, in TypeScript: the integer arithmetic of the AIE kernels on a lowered graph
 * (node.meta.aie), so `project.emulate(inputs)` returns the codes the generated kernels produce. This module feeds
 * the graph inputs (quantized as the host does) and runs each layer's kernel module (kernels/<kind>.ts `emulate`);
 * the arithmetic they share is in numerics/.
 *
 * Numbers (docs/design/aie-backend.md, "Numerics"):
 * - Tensors are int8/int16 codes with a power-of-two scale, real = code * 2^-frac.
 * - Dense/MatMul accumulate exactly: int8 x int8 in acc32 (32-bit lanes; two's-complement wrap, emulated with
 *   `| 0`), int16 operands in acc64 (held in doubles: exact below 2^53, far above any real layer's range). Cascade
 *   partial sums are modular additions, so the order along the chain does not change the result.
 * - Bias codes are at the product scale and start the accumulator. The output is srs(acc, shift) with the layer's
 *   rounding mode and saturation, per output column when the weights are per-channel; a fused ReLU is max(0, .)
 *   after srs (the same as before it: srs is monotonic and srs(0) = 0); a narrow output type (int4, uint6, ...
 *   held in int8/int16 codes) is then clamped to its own range (`epilogue`).
 * - Add aligns both operands to the finer scale by left shifts (exact), adds, then srs to the output scale.
 * - int8 Softmax and LayerNorm: the integer algorithms of numerics/softmax.ts and numerics/layernorm.ts; their
 *   tables are computed there once and emitted by the writer as constants, never recomputed in C++.
 * - Sigmoid / Tanh: a table lookup (numerics/activation.ts), int8 codes -> output codes or bf16 -> bf16, exact by
 *   construction.
 * - bf16 Softmax and LayerNorm: fp32 algorithms with every rounding fixed (softmaxRowBf16, layerNormRowBf16), bit
 *   exact against the kernels.
 * - bf16 mode: inputs and weights rounded to bf16 (nearest even), fp32 accumulation in ascending k, output rounded
 *   to bf16. The hardware's bf16 mmul sums in its own order, so bf16 emulation is close but not bit exact.
 */
import { feedOf, type FeedInputs, FirmflowError, sizeOf, type Graph, type IRNode, type TensorFeed } from 'firmflow';
import { kernelOf } from './kernels/index.js';
import { codeType } from './legalize/context.js';
import type { AieDataType, AieLayer } from './lowered.js';
import { bf16Round } from './numerics/bf16.js';
import { intRange, overflows } from './numerics/srs.js';
import type { EmuValue } from './numerics/values.js';

// The arithmetic engines the kernels share, and the kernels' own algorithms, for the tests and the public API.
export { bf16Bits, bf16FromBits, bf16Round } from './numerics/bf16.js';
export { epilogue, int32Epilogue, intRange, roundShift, srs } from './numerics/srs.js';
export * from './numerics/softmax.js';
export * from './numerics/layernorm.js';
export { denseCodes } from './kernels/product.js';
export type { EmuValue } from './numerics/values.js';

/** One input: the JSON layout of ../shared/models ({ shape, data }), or bare data (samples back to back). */
export type AieFeed = TensorFeed;
export type AieInputs = FeedInputs;

export interface AieEmuOutput {
  /** Shape with the sample axis first. */
  shape: number[];
  dtype: string;
  /** Real values (codes * 2^-frac). */
  data: Float64Array;
  /** The output codes, as the AIE writes them to its output PLIO. */
  codes: Int32Array | Float32Array;
  frac: number;
  type: AieDataType;
}

export interface AieEmulateOptions {
  /** Inputs are already integer codes (as the PLIO text files hold them), not real values. */
  codes?: boolean;
  /**
   * Called with each layer's output (the first one of a Split), for per-layer comparisons, and the number of values
   * the layer saturated or wrapped (srs beyond the output type's range, LayerNorm's int32 clamp).
   */
  onLayer?: (node: IRNode, value: EmuValue, overflows: number) => void;
  /** Filled with every tensor the emulation computes: graph inputs (as codes) and every layer output, all Split outputs included. */
  tensors?: Map<string, EmuValue>;
}

function layerOf(node: IRNode): AieLayer {
  const l = node.meta['aie'] as AieLayer | undefined;
  if (!l) throw new FirmflowError('aie.emulate', `node '${node.name}' (${node.op}) has no AIE lowering (node.meta.aie); was the graph converted for backend AIE?`, { node: node.name });
  return l;
}

/** Quantizes real input values the way the host does before writing them to the PLIO: nearest even, saturate. */
export function quantizeInput(x: ArrayLike<number>, frac: number, dtype: AieDataType): Int32Array | Float32Array {
  if (dtype === 'bf16') {
    const o = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) o[i] = bf16Round(x[i]);
    return o;
  }
  const { min, max } = intRange(dtype);
  const o = new Int32Array(x.length);
  const sc = 2 ** frac;
  for (let i = 0; i < x.length; i++) {
    // x * 2^frac is exact in double for float32 inputs, so rounding the exact product is QuantizeLinear's rounding.
    const v = x[i] * sc;
    let r = Math.round(v);
    if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
    o[i] = r < min ? min : r > max ? max : r;
  }
  return o;
}

/** Element type, fractional bits of a graph input: from its consumers' AIE layers. */
function inputFormat(graph: Graph, tensor: string): { dtype: AieDataType; frac: number } {
  for (const c of graph.consumers(tensor)) {
    const l = c.meta['aie'] as AieLayer | undefined;
    if (!l) continue;
    const k = l.inputs.indexOf(tensor);
    // A second runtime operand (MatMul's B, Add's other input) has the layer's operand type.
    if (k === 1 && typeof l.frac.w === 'number') return { dtype: l.dtype.w ?? l.dtype.a, frac: l.frac.w };
    return { dtype: l.dtype.a, frac: l.frac.a };
  }
  const p = graph.tensor(tensor).precision;
  const c = p && codeType(p);
  if (p && c && typeof c !== 'string') return { dtype: c.dtype, frac: p.width - p.integer };
  throw new FirmflowError('aie.emulate', `graph input '${tensor}' feeds no AIE kernel`, { tensor });
}

/**
 * Emulates the AIE graph on inputs: real values (quantized like the host does) or codes. Returns every graph
 * output with real values and codes, keyed by output name.
 */
export function emulateGraph(graph: Graph, inputs: AieInputs, options: AieEmulateOptions = {}): Record<string, AieEmuOutput> {
  const values = options.tensors ?? new Map<string, EmuValue>();
  let samples = -1;
  const only = graph.inputs.length === 1;
  for (const port of graph.inputs) {
    const feed = feedOf(inputs, [port.name, port.tensor], only);
    if (!feed) throw new FirmflowError('aie.emulate', `no data for graph input '${port.name}' (inputs given: ${inputs && typeof inputs === 'object' && !ArrayBuffer.isView(inputs) && !Array.isArray(inputs) ? Object.keys(inputs).join(', ') || 'none' : 'an array'})`, { input: port.name });
    const t = graph.tensor(port.tensor);
    const per = sizeOf(t.shape.slice(1).map((d) => (typeof d === 'number' ? d : 1)));
    const n = feed.shape ? feed.shape[0] : feed.data.length / per;
    if (!Number.isInteger(n) || n * per !== feed.data.length) {
      throw new FirmflowError('aie.emulate', `graph input '${port.name}': ${feed.data.length} values are not a whole number of samples of ${per}`, { input: port.name });
    }
    if (samples >= 0 && n !== samples) throw new FirmflowError('aie.emulate', `graph inputs have different sample counts (${samples} and ${n} for '${port.name}')`, { input: port.name });
    samples = n;
    const fmt = inputFormat(graph, port.tensor);
    let data: Int32Array | Float32Array;
    if (options.codes) data = fmt.dtype === 'bf16' ? Float32Array.from(feed.data) : Int32Array.from(feed.data);
    else data = quantizeInput(feed.data, fmt.frac, fmt.dtype);
    values.set(port.tensor, { shape: [n, ...t.shape.slice(1).map((d) => (typeof d === 'number' ? d : 1))], dtype: fmt.dtype, frac: fmt.dtype === 'bf16' ? 0 : fmt.frac, data });
  }
  const get = (name: string, node: IRNode): EmuValue => {
    const v = values.get(name);
    if (!v) throw new FirmflowError('aie.emulate', `node '${node.name}' reads '${name}', which nothing computed`, { node: node.name });
    return v;
  };

  for (const node of graph.topoOrder()) {
    const layer = layerOf(node);
    const before = overflows();
    const outName = layer.outputs[0] ?? node.outputs[0];
    const out = kernelOf(layer.kernel).emulate({ graph, node, layer, samples, outName, value: (t) => get(t, node), store: (t, v) => values.set(t, v) });
    if (out.data.length !== sizeOf(out.shape)) throw new Error(`aie emulate: node '${node.name}' produced ${out.data.length} values for shape [${out.shape}]`);
    values.set(outName, out);
    options.onLayer?.(node, out, overflows() - before);
  }

  const result: Record<string, AieEmuOutput> = {};
  for (const port of graph.outputs) {
    const v = values.get(port.tensor);
    if (!v) throw new FirmflowError('aie.emulate', `graph output '${port.name}' was not computed`, { output: port.name });
    const data = new Float64Array(v.data.length);
    const sc = 2 ** -v.frac;
    for (let i = 0; i < data.length; i++) data[i] = v.data[i] * sc;
    result[port.name] = { shape: v.shape, dtype: 'float32', data, codes: v.data, frac: v.frac, type: v.dtype };
  }
  return result;
}

