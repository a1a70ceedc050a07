import { convertRaw, type FixedType, fracBits } from 'firmflow';

/*
 * Bulk conversion of integer codes from one fixed-point scale to a type: the ap_fixed assignment rule of
 * src/fixed (convertRaw), specialised per type so the hot loops of the emulator run on doubles. A code c with
 * |c| < 2^53 scaled by a power of two stays exact, floor() and the remainder are exact, and fmod by 2^W (WRAP) is
 * exact, so this path gives convertRaw's result whenever the source codes are exact doubles and the target is at
 * most 53 bits wide. WRAP with saturation bits and WRAP_SM (rare, awkward bit games) go through convertRaw itself.
 * The unit tests compare every mode against convertRaw.
 */

/** Converts n codes of src (value = code * 2^-srcFrac) into out (codes of the target type); returns how many overflowed. */
export type CodeConverter = (src: ArrayLike<number>, out: Float64Array | number[], n: number, srcOffset?: number, outOffset?: number) => number;

export interface TypeLimits {
  frac: number;
  max: number;
  min: number;
  mod: number;
}

export function typeLimits(t: FixedType): TypeLimits {
  const mod = 2 ** t.width;
  return { frac: fracBits(t), max: t.signed ? mod / 2 - 1 : mod - 1, min: t.signed ? -mod / 2 : 0, mod };
}

/** Types whose codes the emulator keeps in doubles: at most 53 bits. */
export const fitsDouble = (t: FixedType): boolean => t.width <= 53;

function fastEligible(t: FixedType): boolean {
  return t.width <= 53 && (t.satBits ?? 0) === 0 && t.overflow !== 'WRAP_SM';
}

/**
 * A converter from codes with `srcFrac` fractional bits to type t. With `exactIn` the caller guarantees every
 * source value is representable in t (same or fewer fractional bits, inside the range) and the converter copies.
 */
export function makeConverter(srcFrac: number, t: FixedType): CodeConverter {
  const { frac, max, min, mod } = typeLimits(t);
  const sh = frac - srcFrac;
  const scale = 2 ** sh;
  if (!fastEligible(t)) {
    return (src, out, n, so = 0, oo = 0) => {
      let over = 0;
      for (let i = 0; i < n; i++) {
        const c = BigInt(src[so + i]);
        const r = convertRaw(c, srcFrac, t);
        if (!inRangeAfterRounding(c, srcFrac, t)) over++;
        out[oo + i] = Number(r);
      }
      return over;
    };
  }
  const symMin = t.signed ? (t.width === 1 ? -1 : min + 1) : 0;
  const ov = t.overflow;
  const half = mod / 2;
  // Out-of-range handling shared by every rounding mode; returns the final code.
  const fit = (q: number): number => {
    switch (ov) {
      case 'SAT': return q > max ? max : min;
      case 'SAT_ZERO': return 0;
      case 'SAT_SYM': return q > max ? max : symMin;
      default: {
        let u = q % mod;
        if (u < 0) u += mod;
        return t.signed && u >= half ? u - mod : u;
      }
    }
  };
  const symLow = ov === 'SAT_SYM' && t.signed;
  if (sh >= 0) {
    return (src, out, n, so = 0, oo = 0) => {
      let over = 0;
      for (let i = 0; i < n; i++) {
        let q = src[so + i] * scale;
        if (q > max || q < min) { q = fit(q); over++; }
        else if (symLow && q === min) q = symMin;
        out[oo + i] = q + 0;
      }
      return over;
    };
  }
  const round = rounder(t.rounding);
  return (src, out, n, so = 0, oo = 0) => {
    let over = 0;
    for (let i = 0; i < n; i++) {
      let q = round(src[so + i] * scale);
      if (q > max || q < min) { q = fit(q); over++; }
      else if (symLow && q === min) q = symMin;
      out[oo + i] = q + 0;
    }
    return over;
  };
}

/** Rounds an exact scaled value to an integer with an ap_fixed quantization mode. */
export function rounder(mode: FixedType['rounding']): (v: number) => number {
  switch (mode) {
    case 'TRN': return Math.floor;
    case 'TRN_ZERO': return (v) => (v < 0 ? Math.ceil(v) : Math.floor(v));
    case 'RND': return (v) => Math.floor(v + 0.5);
    case 'RND_ZERO': return (v) => { const f = Math.floor(v), r = v - f; return r > 0.5 || (r === 0.5 && v < 0) ? f + 1 : f; };
    case 'RND_MIN_INF': return (v) => { const f = Math.floor(v); return v - f > 0.5 ? f + 1 : f; };
    case 'RND_INF': return (v) => { const f = Math.floor(v), r = v - f; return r > 0.5 || (r === 0.5 && v > 0) ? f + 1 : f; };
    case 'RND_CONV': return (v) => { const f = Math.floor(v), r = v - f; return r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f; };
  }
}

/** Whether the exact value, rounded to t's LSB, lies inside t's range (no overflow handling needed). */
function inRangeAfterRounding(c: bigint, srcFrac: number, t: FixedType): boolean {
  const wide: FixedType = { ...t, width: t.width + 1100, integer: t.integer + 1100, overflow: 'WRAP', satBits: undefined };
  const q = convertRaw(c, srcFrac, wide);
  const { max, min } = typeLimits(t);
  return q <= BigInt(max) && q >= BigInt(min);
}

/** One code converted (slow path helper for scalars and the BigInt accumulators). */
export function convertOne(code: number | bigint, srcFrac: number, t: FixedType): number {
  return Number(convertRaw(typeof code === 'bigint' ? code : BigInt(code), srcFrac, t));
}

/** Value of the largest code magnitude of a type (bounds for exactness checks). */
export function maxAbsCode(t: FixedType): number {
  const { max, min } = typeLimits(t);
  return Math.max(max, -min);
}

/** Whether converting the exact code `c` (frac srcFrac) to t needs its overflow mode (for BigInt paths). */
export function overflowsBig(c: bigint, srcFrac: number, t: FixedType): boolean {
  return !inRangeAfterRounding(c, srcFrac, t);
}

/**
 * Converts the exact product of two codes (fractional bits srcFrac together) to t: in doubles while the product is
 * below 2^53 (exact), in BigInt beyond (wide tables and constants: 32-bit x 32-bit products need 64 bits).
 * Returns the code; `over` counts products that needed t's overflow mode.
 */
export function productConverter(srcFrac: number, t: FixedType): { convert: (a: number, b: number) => number; overflows: () => number } {
  const conv = makeConverter(srcFrac, t);
  const one = new Float64Array(1), res = new Float64Array(1);
  let over = 0;
  return {
    convert(a, b) {
      const p = a * b;
      if (p < 9007199254740992 && p > -9007199254740992) {
        one[0] = p;
        over += conv(one, res, 1);
        return res[0];
      }
      const big = BigInt(a) * BigInt(b);
      if (overflowsBig(big, srcFrac, t)) over++;
      return Number(convertRaw(big, srcFrac, t));
    },
    overflows() { const o = over; over = 0; return o; },
  };
}
