import type { FixedType } from '../ir/types.js';
import { fracBits, maxRaw, minRaw, negType, resultType } from './types.js';

/**
 * Exact fixed-point numerics with ap_fixed semantics. A value is its integer code `raw` (value = raw * 2^-F,
 * F = W - I) and its type. Codes are BigInt so any width is exact; the bulk helpers in quantize.ts use doubles
 * where 53 bits are enough. The conversion rule here and fx_convert in backends/vitis/templates/ap_types/ap_common.h are
 * the same algorithm; the differential test keeps them so.
 */
export interface Fx {
  raw: bigint;
  type: FixedType;
}

const bit = (x: bigint, i: number): boolean => i >= 0 && ((x >> BigInt(i)) & 1n) === 1n;

/** The code of the symmetric minimum (bits 100..01; equals the minimum -1 when W == 1). */
function symMin(t: FixedType): bigint {
  return t.width === 1 ? -1n : minRaw(t) + 1n;
}

/** Reads the low W bits of `u` (0 <= u < 2^W) as a code of type t. */
function fromBits(u: bigint, t: FixedType): bigint {
  return t.signed && bit(u, t.width - 1) ? u - (1n << BigInt(t.width)) : u;
}

/**
 * Converts the exact value src * 2^-srcFrac to type t: scale to t's LSB, round with t.rounding, fit with
 * t.overflow (and t.satBits for the WRAP variants). Returns the code.
 */
export function convertRaw(src: bigint, srcFrac: number, t: FixedType): bigint {
  const W = t.width;
  const sh = fracBits(t) - srcFrac;
  const srcneg = src < 0n;
  let q: bigint;
  let lD: boolean;
  if (sh >= 0) {
    q = src << BigInt(sh);
    lD = bit(q, W);
  } else {
    const k = -sh;
    const qb = bit(src, k - 1);
    const r = (src & ((1n << BigInt(k - 1)) - 1n)) !== 0n;
    q = src >> BigInt(k);
    lD = bit(q, W);
    let inc: boolean;
    switch (t.rounding) {
      case 'TRN': inc = false; break;
      case 'TRN_ZERO': inc = srcneg && (qb || r); break;
      case 'RND': inc = qb; break;
      case 'RND_ZERO': inc = qb && (srcneg || r); break;
      case 'RND_MIN_INF': inc = qb && r; break;
      case 'RND_INF': inc = qb && (!srcneg || r); break;
      case 'RND_CONV': inc = qb && ((q & 1n) === 1n || r); break;
    }
    if (inc) q += 1n;
  }
  const max = maxRaw(t), min = minRaw(t);
  if (q >= min && q <= max) {
    if (t.overflow === 'SAT_SYM' && t.signed && q === min) return symMin(t);
    return q;
  }
  const qneg = q < 0n;
  const mask = (1n << BigInt(W)) - 1n;
  const N = t.satBits ?? 0;
  switch (t.overflow) {
    case 'SAT': return qneg ? min : max;
    case 'SAT_SYM': return qneg ? (t.signed ? symMin(t) : 0n) : max;
    case 'SAT_ZERO': return 0n;
    case 'WRAP': {
      let u = q & mask;
      if (N > 0) {
        const setBit = (i: number, v: boolean): void => { if (i >= 0 && i < W) u = v ? u | (1n << BigInt(i)) : u & ~(1n << BigInt(i)); };
        if (t.signed) {
          setBit(W - 1, qneg);
          for (let b = Math.max(W - N, 0); b <= W - 2; b++) setBit(b, !qneg);
        } else {
          for (let b = Math.max(W - N, 0); b <= W - 1; b++) setBit(b, true);
        }
      }
      return fromBits(u, t);
    }
    case 'WRAP_SM': {
      let u = q & mask;
      const setBit = (i: number, v: boolean): void => { if (i >= 0 && i < W) u = v ? u | (1n << BigInt(i)) : u & ~(1n << BigInt(i)); };
      const ro = bit(u, W - 1);
      if (N === 0) {
        if (lD !== ro) {
          u = ~u & mask;
          setBit(W - 1, lD);
        }
      } else {
        if (N === 1 && qneg !== ro) u = ~u & mask;
        else if (N > 1) {
          if (bit(u, W - N) === qneg) u = ~u & mask;
          for (let b = Math.max(W - N, 0); b <= W - 2; b++) setBit(b, !qneg);
        }
        setBit(W - 1, qneg);
      }
      return fromBits(u, t);
    }
  }
}

/**
 * Splits a double into an exact integer mantissa and fraction count: x = m * 2^-frac. Infinities and NaN become
 * +-2^1024, beyond every range (they saturate, or wrap to zero), as the C++ headers do.
 */
export function splitDouble(x: number): { m: bigint; frac: number } {
  if (!Number.isFinite(x)) return { m: Number.isNaN(x) || x > 0 ? 1n : -1n, frac: -1024 };
  if (x === 0) return { m: 0n, frac: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0), lo = buf.getUint32(4);
  const e = (hi >>> 20) & 0x7ff;
  let man = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let frac: number;
  if (e === 0) frac = 1074;
  else {
    man |= 1n << 52n;
    frac = 1075 - e;
  }
  return { m: x < 0 ? -man : man, frac };
}

/** Code of the double x in type t (ap_fixed construction from double). */
export function rawFromNumber(x: number, t: FixedType): bigint {
  const { m, frac } = splitDouble(x);
  return convertRaw(m, frac, t);
}

/** m * 2^e as a double, rounded to nearest-even once (exponents far outside the double range included). */
export function ldexpBig(m: bigint, e: number): number {
  if (m === 0n) return 0;
  const neg = m < 0n;
  let a = neg ? -m : m;
  const bits = a.toString(2).length;
  if (bits > 64) {
    // Keep 64 bits plus a sticky bit, so Number() rounds once and correctly.
    const drop = bits - 64;
    const sticky = (a & ((1n << BigInt(drop)) - 1n)) !== 0n ? 1n : 0n;
    a = (a >> BigInt(drop)) | sticky;
    e += drop;
  }
  let v = Number(a);
  // Scale in steps so intermediate powers of two stay finite.
  while (e > 0) { const s = Math.min(e, 1000); v *= 2 ** s; e -= s; }
  while (e < 0) { const s = Math.min(-e, 1000); v *= 2 ** -s; e += s; }
  return neg ? -v : v;
}

/** Value of a code as a double (round to nearest even when W > 53, as to_double()). */
export const rawToNumber = (raw: bigint, t: FixedType): number => ldexpBig(raw, -fracBits(t));

export function fx(x: number, t: FixedType): Fx {
  return { raw: rawFromNumber(x, t), type: t };
}

/** Assignment to another type (applies the target's modes). */
export function cast(a: Fx, t: FixedType): Fx {
  return { raw: convertRaw(a.raw, fracBits(a.type), t), type: t };
}

export const toNumber = (a: Fx): number => rawToNumber(a.raw, a.type);

function aligned(a: Fx, f: number): bigint {
  return a.raw << BigInt(f - fracBits(a.type));
}

/** Exact sum in the vendor's result type. */
export function add(a: Fx, b: Fx): Fx {
  const t = resultType('add', a.type, b.type);
  const f = fracBits(t);
  return { raw: aligned(a, f) + aligned(b, f), type: t };
}

export function sub(a: Fx, b: Fx): Fx {
  const t = resultType('sub', a.type, b.type);
  const f = fracBits(t);
  return { raw: aligned(a, f) - aligned(b, f), type: t };
}

export function mul(a: Fx, b: Fx): Fx {
  return { raw: a.raw * b.raw, type: resultType('mul', a.type, b.type) };
}

export function neg(a: Fx): Fx {
  return { raw: -a.raw, type: negType(a.type) };
}

/** Quotient truncated toward zero, in the vendor's division type (kept to its width by wrapping, as C++). */
export function div(a: Fx, b: Fx): Fx {
  const t = resultType('div', a.type, b.type);
  if (b.raw === 0n) throw new RangeError('fixed-point division by zero');
  const q = (a.raw << BigInt(Math.max(fracBits(b.type), 0))) / b.raw;
  return { raw: convertRaw(q, fracBits(t), t), type: t };
}

/** -1, 0 or 1 comparing exact values. */
export function compare(a: Fx, b: Fx): number {
  const f = Math.max(fracBits(a.type), fracBits(b.type));
  const x = aligned(a, f), y = aligned(b, f);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Shift of the stored bits keeping the type (bits shifted out are lost; `>>` is arithmetic for signed types). */
export function shiftLeft(a: Fx, n: number): Fx {
  if (n < 0) return shiftRight(a, -n);
  const mask = (1n << BigInt(a.type.width)) - 1n;
  return { raw: fromBits((a.raw << BigInt(n)) & mask, a.type), type: a.type };
}

export function shiftRight(a: Fx, n: number): Fx {
  if (n < 0) return shiftLeft(a, -n);
  return { raw: a.raw >> BigInt(n), type: a.type };
}

/** C-style to_int(): the value truncated toward zero, low 32 bits as a signed int. */
export function toInt(a: Fx): number {
  const f = fracBits(a.type);
  let v: bigint;
  if (f <= 0) v = a.raw << BigInt(-f);
  else {
    v = a.raw >> BigInt(f);
    if (a.raw < 0n && (a.raw & ((1n << BigInt(f)) - 1n)) !== 0n) v += 1n;
  }
  return Number(BigInt.asIntN(32, v));
}

/** Bits hi..lo of the stored word as an unsigned integer (`.range(hi, lo)`). */
export function range(a: Fx, hi: number, lo: number): bigint {
  const u = a.raw & ((1n << BigInt(a.type.width)) - 1n);
  return (u >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
}
