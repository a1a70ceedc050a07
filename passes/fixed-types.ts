import type { AffineQuant, FixedType, RoundingMode } from '../src/ir/types.js';
import { isPowerOfTwo } from './rewrite.js';

/**
 * ap_fixed rounding modes that give exactly QONNX's rounding of x / scale when the scale is a power of two (the
 * division is then exact, even in float32). CEIL and UP have no ap_fixed mode; qonnx evaluates HALF_UP /
 * HALF_DOWN as floor(|x| + 0.5) in float32, which differs from a true half-away rounding just below .5, so those
 * stay explicit too.
 */
export const EXACT_ROUNDING: Record<string, RoundingMode | undefined> = {
  ROUND: 'RND_CONV',
  FLOOR: 'TRN',
  DOWN: 'TRN_ZERO',
  ROUND_TO_ZERO: 'TRN_ZERO',
};

export interface QuantizerSpec {
  bits: number;
  signed: boolean;
  narrow: boolean;
  /** One value (per tensor) or one per channel. */
  scale: ArrayLike<number>;
  zeroPoint: ArrayLike<number>;
  roundingMode: string;
  axis?: number;
}

/** Per-tensor value of a parameter that may be given per channel with all entries equal. */
export function uniform(v: ArrayLike<number>): number | undefined {
  if (v.length === 0) return 0;
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return undefined;
  return v[0];
}

/**
 * The exact fixed-point type of a quantizer, or undefined when there is none: power-of-two scale (one for the
 * whole tensor), zero point 0, a rounding mode with an exact ap_fixed equivalent, and a range ap_fixed can
 * saturate to (narrow unsigned [0, 2^b - 2] has none). int8 with scale 2^-5 is signed width 8, integer 3.
 */
export function fixedTypeOf(q: QuantizerSpec): FixedType | undefined {
  const s = uniform(q.scale), z = uniform(q.zeroPoint);
  if (s === undefined || z !== 0 || !isPowerOfTwo(s)) return undefined;
  if (!Number.isInteger(q.bits) || q.bits < 2 || q.bits > 52) return undefined;
  const rounding = EXACT_ROUNDING[q.roundingMode];
  if (!rounding) return undefined;
  if (q.narrow && !q.signed) return undefined;
  return {
    signed: q.signed,
    width: q.bits,
    integer: q.bits + Math.round(Math.log2(s)),
    rounding,
    overflow: q.narrow ? 'SAT_SYM' : 'SAT',
  };
}

export function affineQuantOf(q: QuantizerSpec): AffineQuant {
  return {
    scale: Float64Array.from(q.scale),
    zeroPoint: q.zeroPoint.length ? Float64Array.from(q.zeroPoint) : new Float64Array(1),
    axis: q.scale.length > 1 ? q.axis : undefined,
    bits: q.bits,
    signed: q.signed,
    narrow: q.narrow,
  };
}

/** The type of a binary quantizer's output +-scale (a 2-bit signed type holds -2s..s exactly). */
export function bipolarTypeOf(scale: ArrayLike<number>): FixedType | undefined {
  const s = uniform(scale);
  if (s === undefined || !isPowerOfTwo(s)) return undefined;
  return { signed: true, width: 2, integer: 2 + Math.round(Math.log2(s)), rounding: 'RND_CONV', overflow: 'SAT' };
}

/** Bits and signedness of the integer types QuantizeLinear produces. */
export const QDQ_TYPES: Record<string, { bits: number; signed: boolean } | undefined> = {
  int8: { bits: 8, signed: true },
  uint8: { bits: 8, signed: false },
  int16: { bits: 16, signed: true },
  uint16: { bits: 16, signed: false },
  int32: { bits: 32, signed: true },
};
