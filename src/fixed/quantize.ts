import type { FixedType } from '../ir/types.js';
import { rawFromNumber, rawToNumber } from './fixed.js';

/*
 * Double-precision fast path of the conversion rule in fixed.ts. Exact whenever W <= 52 (codes, scaled values
 * and the rounding remainder are all exact doubles); wider types, the WRAP-with-saturation-bits and WRAP_SM modes,
 * and values whose scaling would leave the normal double range fall back to the BigInt path.
 */

function fastEligible(t: FixedType): boolean {
  return t.width <= 52 && (t.satBits ?? 0) === 0 && t.overflow !== 'WRAP_SM' && Math.abs(t.width - t.integer) <= 900;
}

function roundScaled(v: number, mode: FixedType['rounding']): number {
  const f = Math.floor(v);
  const r = v - f; // exact for doubles
  if (r === 0) return v;
  switch (mode) {
    case 'TRN': return f;
    case 'TRN_ZERO': return v < 0 ? f + 1 : f;
    case 'RND': return r >= 0.5 ? f + 1 : f;
    case 'RND_ZERO': return r > 0.5 || (r === 0.5 && v < 0) ? f + 1 : f;
    case 'RND_MIN_INF': return r > 0.5 ? f + 1 : f;
    case 'RND_INF': return r > 0.5 || (r === 0.5 && v > 0) ? f + 1 : f;
    case 'RND_CONV': return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
  }
}

/** Code (integer) of x in type t, as a double; requires fastEligible(t). */
function fastCode(x: number, t: FixedType, scale: number, max: number, min: number, mod: number): number {
  const scaled = x * scale;
  if (!(Math.abs(scaled) < 2 ** 1000) || (x !== 0 && Math.abs(scaled) < 2 ** -1000) || (x !== 0 && Math.abs(x) < 2 ** -1000)) {
    return Number(rawFromNumber(x, t));
  }
  let q = roundScaled(scaled, t.rounding);
  if (q > max || q < min) {
    switch (t.overflow) {
      case 'SAT': return q > max ? max : min;
      case 'SAT_ZERO': return 0;
      case 'SAT_SYM': return q > max ? max : t.signed ? (t.width === 1 ? -1 : min + 1) : 0;
      default: {
        q = ((q % mod) + mod) % mod;
        return t.signed && q > max ? q - mod : q;
      }
    }
  }
  if (t.overflow === 'SAT_SYM' && t.signed && q === min) return t.width === 1 ? -1 : min + 1;
  return q === 0 ? 0 : q; // no negative zero
}

function limits(t: FixedType): { scale: number; max: number; min: number; mod: number } {
  const mod = 2 ** t.width;
  return {
    scale: 2 ** (t.width - t.integer),
    max: t.signed ? mod / 2 - 1 : mod - 1,
    min: t.signed ? -mod / 2 : 0,
    mod,
  };
}

/** Integer code of x in t (value = code * 2^-(W-I)); a double, exact for W <= 53. */
export function quantizeCode(x: number, t: FixedType): number {
  if (!fastEligible(t)) return Number(rawFromNumber(x, t));
  const l = limits(t);
  return fastCode(x, t, l.scale, l.max, l.min, l.mod);
}

/**
 * Quantizes a real value to a fixed-point type with its rounding and overflow modes (ap_fixed construction from
 * a double). Returns the real value of the result (rounded to nearest-even when W > 53).
 */
export function quantize(x: number, t: FixedType): number {
  if (!fastEligible(t)) return rawToNumber(rawFromNumber(x, t), t);
  const l = limits(t);
  return fastCode(x, t, l.scale, l.max, l.min, l.mod) / l.scale;
}

/** Quantizes every element in place. */
export function quantizeArray(data: Float64Array, t: FixedType): Float64Array {
  if (!fastEligible(t)) {
    for (let i = 0; i < data.length; i++) data[i] = rawToNumber(rawFromNumber(data[i], t), t);
    return data;
  }
  const { scale, max, min, mod } = limits(t);
  const inv = 1 / scale;
  for (let i = 0; i < data.length; i++) data[i] = fastCode(data[i], t, scale, max, min, mod) * inv;
  return data;
}

/** Quantizes `src` into `out` as integer codes (for emitting weights, or integer kernels). */
export function quantizeCodes(src: ArrayLike<number>, t: FixedType, out: Float64Array | Int32Array = new Float64Array(src.length)): Float64Array | Int32Array {
  if (out instanceof Int32Array && t.width > 32) throw new RangeError(`codes of ${t.width}-bit type do not fit an Int32Array`);
  if (!fastEligible(t)) {
    for (let i = 0; i < src.length; i++) out[i] = Number(rawFromNumber(src[i], t));
    return out;
  }
  const { scale, max, min, mod } = limits(t);
  for (let i = 0; i < src.length; i++) out[i] = fastCode(src[i], t, scale, max, min, mod);
  return out;
}

/** Values of integer codes. */
export function codesToValues(codes: ArrayLike<number>, t: FixedType, out: Float64Array = new Float64Array(codes.length)): Float64Array {
  const inv = 2 ** -(t.width - t.integer);
  for (let i = 0; i < codes.length; i++) out[i] = codes[i] * inv;
  return out;
}

/** Counts how many elements a quantization changes beyond the type's range (overflow diagnostics). */
export function countOverflows(data: ArrayLike<number>, t: FixedType): number {
  const { scale, max, min } = limits(t);
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    const s = Math.floor(data[i] * scale);
    if (s > max || s < min) n++;
  }
  return n;
}
