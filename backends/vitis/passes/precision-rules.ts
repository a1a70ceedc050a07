/*
 * The precision rules the kernels share (passes/precision.ts applies them; each kernel's `precision` hook picks
 * its own): constant types and codes, exact accumulators, default factor types.
 */
import { FirmflowError, type FixedType, formatType, fracBits, type Graph, type IRNode, quantizeCodes, rawFromNumber, sameType, type Tensor } from 'firmflow';
import type { PrecisionSetting } from '../layer-config.js';
import { describe, warn } from './common.js';
/**
 * tensor.meta key of the precision a model's own quantizer gave a tensor (before lowering chose its type): the
 * float model keeps these quantizers (trace's default reference; kept in firmflow.json).
 */
export const MODEL_PRECISION_KEY = 'hlsModelPrecision';
/** Widest exact result given by default between a model's quantizers (activations the emulator carries in doubles). */
export const MAX_EXACT_RESULT = 53;
/** Width of weights and other constants whose type is derived from their values ('auto'). */
export const AUTO_CONST_WIDTH = 16;
/** Accumulators derived exactly are capped at this width (dropping fractional bits) unless configured. */
export const ACCUM_CAP = 64;
/** Type of small constant factors (LeakyRelu alpha, HardSigmoid alpha/beta, Selu gamma, Clip bounds, PRelu slope). */
export const DEFAULT_SCALE_TYPE: FixedType = { signed: true, width: 18, integer: 8, rounding: 'RND', overflow: 'SAT' };
/** Type of 1/count factors of average pooling. */
export const AVG_SCALE_TYPE: FixedType = { signed: false, width: 18, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' };
/**
 * The types of an average over `taps` inputs (pooling, global pooling): the accumulator holding the exact sum of
 * `taps` input codes (through `accum`, which applies a configured or capped width) and the type of the 1/n factors.
 */
export function averageTypes(input: FixedType, taps: number, accum: (exact: FixedType) => FixedType, scale: PrecisionSetting | undefined): { accum: FixedType; scale: FixedType } {
  const [lo, hi] = codeRange(input);
  return { accum: accum(typeForCodes(lo * BigInt(taps), hi * BigInt(taps), fracBits(input))), scale: configuredType(scale) ?? AVG_SCALE_TYPE };
}

/** Width of Rescale's scale and 1/scale when derived from their values. */
export const RESCALE_CONST_WIDTH = 24;

const bitlen = (v: bigint): number => (v <= 0n ? 0 : v.toString(2).length);

/** The smallest type (with F fractional bits) holding every integer code in [lo, hi]. */
export function typeForCodes(lo: bigint, hi: bigint, frac: number): FixedType {
  const signed = lo < 0n;
  const width = Math.max(1, signed ? Math.max(bitlen(hi), bitlen(-lo - 1n)) + 1 : bitlen(hi));
  return { signed, width, integer: width - frac, rounding: 'TRN', overflow: 'WRAP' };
}

/** Code range of a type. */
export function codeRange(t: FixedType): [bigint, bigint] {
  return t.signed ? [-(1n << BigInt(t.width - 1)), (1n << BigInt(t.width - 1)) - 1n] : [0n, (1n << BigInt(t.width)) - 1n];
}

/**
 * The type of constants derived from their values: `width` bits, signed, enough integer bits for the largest
 * magnitude (2^(I-1) > max|v|), the rest fractional; round to nearest even, saturate.
 */
export function autoConstType(data: ArrayLike<number>, width = AUTO_CONST_WIDTH): FixedType {
  let m = 0;
  for (let i = 0; i < data.length; i++) { const a = Math.abs(Number(data[i])); if (a > m) m = a; }
  const integer = m === 0 ? 1 : Math.floor(Math.log2(m)) + 2;
  return { signed: true, width, integer, rounding: 'RND_CONV', overflow: 'SAT' };
}

/** Integer codes of values in t: Int32Array up to 32 bits, Float64Array to 53, BigInt64Array beyond (<= 64). */
export function codesFor(data: ArrayLike<number>, t: FixedType): Int32Array | Float64Array | BigInt64Array {
  const src = data instanceof Float64Array || data instanceof Float32Array ? data : Float64Array.from(data as ArrayLike<number>, Number);
  if (t.width <= (t.signed ? 32 : 31)) return quantizeCodes(src, t, new Int32Array(src.length)) as Int32Array;
  if (t.width <= 53) return quantizeCodes(src, t, new Float64Array(src.length)) as Float64Array;
  if (t.width > 64) throw new FirmflowError('vitis.precision', `constants of ${t.width}-bit type ${formatType(t)} cannot be stored (at most 64 bits)`);
  const out = new BigInt64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = rawFromNumber(src[i], t);
  return out;
}

/** Code of one value (a double; exact up to 53 bits). */
export function codeOf(v: number, t: FixedType): number {
  return Number(rawFromNumber(v, t));
}

function bigCode(codes: ArrayLike<number | bigint>, i: number): bigint {
  const c = codes[i];
  return typeof c === 'bigint' ? c : BigInt(c);
}

/**
 * Exact accumulator of y[n] = b[n] + sum_k x[k] * w[k][n] over x in type X, w given by its codes [K, N] (row-major)
 * in type W and b by its codes in type B: the range of every product, every partial sum and the bias.
 * Returns the type and the code bounds of the full sums (at the accumulator's fractional bits).
 */
export function denseAccum(x: FixedType, wCodes: ArrayLike<number | bigint>, wType: FixedType, K: number, N: number, bCodes?: ArrayLike<number | bigint>, bType?: FixedType): { type: FixedType; lo: bigint; hi: bigint } {
  const fp = fracBits(x) + fracBits(wType);
  const f = bType ? Math.max(fp, fracBits(bType)) : fp;
  const [xlo, xhi] = codeRange(x);
  const pos = new Array<bigint>(N).fill(0n), neg = new Array<bigint>(N).fill(0n);
  const small = wType.width <= (wType.signed ? 32 : 31);
  if (small) {
    // Column sums in doubles are exact (|code| < 2^31, K < 2^22).
    const p = new Float64Array(N), q = new Float64Array(N);
    for (let k = 0; k < K; k++) {
      const o = k * N;
      for (let n = 0; n < N; n++) { const w = wCodes[o + n] as number; if (w > 0) p[n] += w; else q[n] += w; }
    }
    for (let n = 0; n < N; n++) { pos[n] = BigInt(p[n]); neg[n] = BigInt(q[n]); }
  } else {
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) { const w = bigCode(wCodes, k * N + n); if (w > 0n) pos[n] += w; else neg[n] += w; }
  }
  const sp = BigInt(f - fp);
  let lo = 0n, hi = 0n;
  for (let n = 0; n < N; n++) {
    const smax = (xhi * pos[n] + xlo * neg[n]) << sp;
    const smin = (xlo * pos[n] + xhi * neg[n]) << sp;
    const b = bCodes && bType ? bigCode(bCodes, n) << BigInt(f - fracBits(bType)) : 0n;
    const h = smax + (b > 0n ? b : 0n), l = smin + (b < 0n ? b : 0n);
    if (h > hi) hi = h;
    if (l < lo) lo = l;
  }
  return { type: typeForCodes(lo, hi, f), lo, hi };
}

/**
 * The exact accumulator of a multiply-accumulate over constant weights w (N output columns) and bias b (Dense, Conv):
 * the column sums of the weight codes bound every partial sum. Depthwise: the rows of the [k, M] weights are the taps.
 */
export function macAccumType(x: FixedType, w: Tensor, wType: FixedType, N: number, b?: Tensor, bType?: FixedType): FixedType {
  const rows = (w.data!.length / N) | 0;
  return denseAccum(x, w.meta['hlsCodes'] as ArrayLike<number>, wType, rows, N, b?.meta['hlsCodes'] as ArrayLike<number> | undefined, b ? bType : undefined).type;
}

/** Caps an exact accumulator at ACCUM_CAP bits by dropping fractional bits; returns the dropped count. */
export function capAccum(t: FixedType): { type: FixedType; dropped: number } {
  if (t.width <= ACCUM_CAP) return { type: t, dropped: 0 };
  const dropped = t.width - ACCUM_CAP;
  return { type: { ...t, width: ACCUM_CAP }, dropped };
}

/** A configured type (not absent, not 'auto'). */
export const configuredType = (p: PrecisionSetting | undefined): FixedType | undefined => (p && p !== 'auto' ? p : undefined);

/** Type of small constant factors of element-wise kernels: the configured 'scale' role, else DEFAULT_SCALE_TYPE. */
export const scaleFactorType = (p: PrecisionSetting | undefined): FixedType => configuredType(p) ?? DEFAULT_SCALE_TYPE;

export function numeric(t: Tensor): Float64Array {
  const d = t.data!;
  if (d instanceof Float64Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, Number);
  return Float64Array.from(d as ArrayLike<number>);
}

/**
 * Gives a constant input its type and codes. A constant read by several nodes with different types is copied, so
 * each reader gets its own codes.
 */
export function typeConstant(node: IRNode, index: number, graph: Graph, type: FixedType): Tensor {
  let t = graph.tensor(node.inputs[index]);
  if (t.precision && t.meta['hlsCodes'] && !sameType(t.precision, type)) {
    const copy = graph.addConstant(`${t.name}_${node.id}`, t.shape as number[], t.data!, t.dtype);
    graph.setInput(node, index, copy.name);
    t = copy;
  }
  if (!t.precision || !sameType(t.precision, type) || !t.meta['hlsCodes']) {
    t.precision = type;
    t.meta['hlsCodes'] = codesFor(numeric(t), type);
  }
  return t;
}

/** Widest type given to a float constant between a model's quantizers (exactConstType). */
export const EXACT_CONST_MAX_WIDTH = 48;

/**
 * The narrowest type holding every value exactly (float32 values need at most 24 significant bits each), at most
 * EXACT_CONST_MAX_WIDTH bits (fractional bits dropped beyond, rounding to nearest even).
 */
export function exactConstType(data: ArrayLike<number>): FixedType {
  const base = autoConstType(data);
  let frac = 0;
  for (let i = 0; i < data.length; i++) {
    let v = Math.abs(Number(data[i]));
    if (v === 0 || !Number.isFinite(v)) continue;
    let f = 0;
    while (v !== Math.floor(v) && f < 160) { v *= 2; f++; }
    if (f > frac) frac = f;
  }
  const width = Math.min(EXACT_CONST_MAX_WIDTH, base.integer + frac);
  return { signed: true, width: Math.max(2, width), integer: base.integer, rounding: 'RND_CONV', overflow: 'SAT' };
}

/** Type of a constant of a role: configured > the model's exact type > derived from the values. */
export function constTypeOf(t: Tensor, set: PrecisionSetting | undefined, width = AUTO_CONST_WIDTH): FixedType {
  if (set && set !== 'auto') return set;
  if (!set && t.precision) return t.precision;
  return autoConstType(numeric(t), width);
}

export function bipolar(s: number): FixedType | undefined {
  const e = Math.log2(Math.abs(s));
  if (!Number.isInteger(e)) return undefined;
  return { signed: true, width: 2, integer: 2 + e, rounding: 'RND_CONV', overflow: 'SAT' };
}

/** The accumulator: configured, else the exact one capped at 64 bits (with a warning when capped). */
export function accumType(node: IRNode, graph: Graph, exact: FixedType, set: PrecisionSetting | undefined): FixedType {
  if (set && set !== 'auto') return set;
  const { type, dropped } = capAccum(exact);
  if (dropped > 0) {
    warn(graph, `${describe(node)}: the exact accumulator needs ${exact.width} bits; it is capped at ${ACCUM_CAP} (${formatType(type)}), dropping ${dropped} fractional bit${dropped > 1 ? 's' : ''} (configure Precision.accum to choose)`);
  }
  return type;
}
