import type { FixedType } from '../ir/types.js';

/**
 * Quantizes a real value to a fixed-point type with its rounding and overflow modes (ap_fixed semantics,
 * for widths up to 53 bits where doubles are exact). Returns the real value of the result.
 */
export function quantize(x: number, t: FixedType): number {
  const frac = t.width - t.integer;
  const scaled = x * 2 ** frac;
  let q = roundScaled(scaled, t.rounding);
  const max = t.signed ? 2 ** (t.width - 1) - 1 : 2 ** t.width - 1;
  const min = t.signed ? -(2 ** (t.width - 1)) : 0;
  if (q > max || q < min) {
    switch (t.overflow) {
      case 'SAT': q = q > max ? max : min; break;
      case 'SAT_ZERO': q = 0; break;
      case 'SAT_SYM': q = q > max ? max : t.signed ? -max : 0; break;
      default: {
        const m = 2 ** t.width;
        q = ((q % m) + m) % m;
        if (t.signed && q > max) q -= m;
      }
    }
  } else if (t.overflow === 'SAT_SYM' && t.signed && q === min) {
    q = -max;
  }
  return q * 2 ** -frac;
}

function roundScaled(v: number, mode: FixedType['rounding']): number {
  const f = Math.floor(v);
  const r = v - f;
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

/** Quantizes every element in place. */
export function quantizeArray(data: Float64Array, t: FixedType): Float64Array {
  for (let i = 0; i < data.length; i++) data[i] = quantize(data[i], t);
  return data;
}
