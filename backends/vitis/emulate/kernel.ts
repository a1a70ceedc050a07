import { FirmflowError, type FixedType, fracBits, type Graph, type IRNode, quantizeCodes, type Tensor } from 'firmflow';
import type { HlsLayer } from '../lowered.js';
import { sampleShape } from '../lowered.js';

/*
 * The emulator's unit of work: one lowered node compiled into a closure over pre-arranged constants. Activations
 * travel as integer codes (value = code * 2^-frac of the tensor's precision) in Float64Arrays holding a chunk of
 * samples back to back, so every kernel loops over typed arrays and allocates nothing per sample.
 */

/** A compiled layer: reads its activation inputs and writes its output, for `batch` samples. */
export interface EmuKernel {
  node: IRNode;
  /** Activation input tensor names, in the order `run` receives them. */
  inputs: string[];
  output: string;
  /**
   * Computes the output codes of `batch` samples. Returns the number of values that overflowed a type on the way
   * (saturated or wrapped in the result or accumulator type), for --trace.
   */
  run(inputs: Float64Array[], out: Float64Array, batch: number): number;
}

/** What a kernel builder gets about its node. */
export interface BuildContext {
  graph: Graph;
  node: IRNode;
  hls: HlsLayer;
  /** Activation inputs (non-constant), with their per-sample shapes and types. */
  acts: { tensor: Tensor; shape: number[]; type: FixedType; index: number }[];
  /** Constant inputs by input position. */
  consts: Map<number, Tensor>;
  out: { tensor: Tensor; shape: number[]; type: FixedType };
}

export function buildContext(graph: Graph, node: IRNode, hls: HlsLayer): BuildContext {
  const acts: BuildContext['acts'] = [];
  const consts = new Map<number, Tensor>();
  node.inputs.forEach((name, index) => {
    if (name === '') return;
    const t = graph.tensor(name);
    if (t.data !== undefined) consts.set(index, t);
    else acts.push({ tensor: t, shape: sampleShape(t), type: typeOf(t), index });
  });
  const o = graph.tensor(node.outputs[0]);
  return { graph, node, hls, acts, consts, out: { tensor: o, shape: sampleShape(o), type: typeOf(o) } };
}

export function typeOf(t: Tensor): FixedType {
  if (!t.precision) throw new FirmflowError('vitis.emulate', `tensor '${t.name}' has no precision: the graph was not lowered by the vitis flows`);
  if (t.precision.width > 53) {
    throw new FirmflowError('vitis.emulate', `tensor '${t.name}' has a ${t.precision.width}-bit type; the emulator carries activations of at most 53 bits`);
  }
  return t.precision;
}

/** A role type of the layer, with a clear error when the lowering did not set it. */
export function role(ctx: BuildContext, name: string): FixedType {
  const t = ctx.hls.types[name];
  if (!t) throw new FirmflowError('vitis.emulate', `${ctx.node.op} '${ctx.node.name}' has no '${name}' type in its HLS annotation`);
  return t;
}

/**
 * Integer codes of a constant in `type`: the lowering's codes (the single source of truth the C++ also reads),
 * or, for a constant the lowering did not quantize, its values quantized to `type` here.
 */
export function constCodes(t: Tensor, type: FixedType): Float64Array {
  const c = t.meta['hlsCodes'] as Int32Array | Float64Array | BigInt64Array | undefined;
  if (c) {
    if (c instanceof BigInt64Array) {
      const out = new Float64Array(c.length);
      for (let i = 0; i < c.length; i++) {
        const v = Number(c[i]);
        if (!Number.isSafeInteger(v)) throw new FirmflowError('vitis.emulate', `constant '${t.name}' has codes wider than 53 bits, which the emulator does not carry`);
        out[i] = v;
      }
      return out;
    }
    return Float64Array.from(c);
  }
  if (!t.data) throw new Error(`tensor '${t.name}' is not a constant`);
  const src = t.data instanceof BigInt64Array || t.data instanceof BigUint64Array ? Array.from(t.data, Number) : t.data;
  return quantizeCodes(src, type, new Float64Array(src.length)) as Float64Array;
}

/** The type a constant's codes are in: its own precision (set by the lowering), else the role's. */
export function constType(t: Tensor, fallback: FixedType): FixedType {
  return t.precision ?? fallback;
}

export function numParam(ctx: BuildContext, key: string, fallback?: number): number {
  const v = ctx.hls.params[key];
  if (typeof v === 'number') return v;
  if (fallback !== undefined) return fallback;
  throw new FirmflowError('vitis.emulate', `${ctx.node.op} '${ctx.node.name}' has no numeric parameter '${key}' in its HLS annotation`);
}

export const frac = fracBits;

export function unsupported(ctx: BuildContext, why: string): never {
  throw new FirmflowError('vitis.emulate', `${ctx.node.op} '${ctx.node.name}': ${why}`);
}
