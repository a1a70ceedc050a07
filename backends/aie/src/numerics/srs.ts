/*
 * The integer epilogue every AIE kernel shares: shift-round-saturate (aie::to_vector with a shift), the fused ReLU
 * and a narrow quantizer's clamp, with a process-wide count of the values srs clipped or wrapped (the trace reads it
 * around each layer).
 */
import type { AieDataType, AieLayer, AieRounding } from '../lowered.js';


/** Value range of an integer type. */
export function intRange(t: AieDataType): { min: number; max: number } {
  if (t === 'int8') return { min: -128, max: 127 };
  if (t === 'int16') return { min: -32768, max: 32767 };
  if (t === 'int32') return { min: -2147483648, max: 2147483647 };
  if (t === 'bf16') return { min: -Infinity, max: Infinity };
  throw new Error(`no integer range for ${t as string}`);
}

/**
 * x / 2^shift rounded by `mode` (aie::rounding_mode), as an exact integer. A negative shift is an exact left shift.
 * `x` must be an integer with |x| < 2^53.
 */
export function roundShift(x: number, shift: number, mode: AieRounding): number {
  if (shift <= 0) return shift === 0 ? x : x * 2 ** -shift;
  const p = 2 ** shift;
  const q = Math.floor(x / p);
  const r = x - q * p; // 0 <= r < p
  if (r === 0) return q;
  switch (mode) {
    case 'floor': return q;
    case 'ceil': return q + 1;
    default: break;
  }
  const half = p / 2;
  if (r > half) return q + 1;
  if (r < half) return q;
  // An exact tie between q and q + 1.
  switch (mode) {
    case 'positive_inf': return q + 1;
    case 'negative_inf': return q;
    case 'symmetric_inf': return x > 0 ? q + 1 : q;
    case 'symmetric_zero': return x > 0 ? q : q + 1;
    case 'conv_even': return (q & 1) === 0 ? q : q + 1;
    case 'conv_odd': return (q & 1) !== 0 ? q : q + 1;
    default: throw new Error(`unknown rounding mode '${mode as string}'`);
  }
}

/** Two's-complement wrap to `bits` bits (the srs result without saturation). */
export function wrapBits(v: number, bits: number): number {
  const m = 2 ** bits;
  let r = v - Math.floor(v / m) * m;
  if (r >= m / 2) r -= m;
  return r;
}

/**
 * Values srs clipped or wrapped (and int32 clamps inside LayerNorm) since the process started: emulateGraph reads
 * the difference around each layer to give `onLayer` that layer's overflow count (for the trace).
 */
let overflowCount = 0;

/** Shift-round-saturate of one accumulator value into `out` type: what `acc.to_vector<T>(shift)` returns. */
export function srs(x: number, shift: number, mode: AieRounding, out: AieDataType, saturate = true): number {
  const v = roundShift(x, shift, mode);
  const { min, max } = intRange(out);
  if (v >= min && v <= max) return v;
  overflowCount++;
  if (saturate) return v < min ? min : max;
  return wrapBits(v, out === 'int8' ? 8 : out === 'int32' ? 32 : 16);
}

/**
 * What a kernel's epilogue writes for one accumulator value: srs to the output type, the fused ReLU, then a narrow
 * output quantizer's clamp (layer.clamp: int4 / uint6 codes in int8, uint8 in int16). With a clamp the srs
 * saturates (SAT / SAT_SYM) and the clamp range lies inside the output type, so clamping the rounded value directly
 * is the same; ReLU and the clamp commute (min <= 0 <= max). A value the clamp moves counts as saturated.
 */
export function epilogue(x: number, shift: number, layer: Pick<AieLayer, 'dtype' | 'rounding' | 'saturate' | 'fusedRelu' | 'clamp'>): number {
  const c = layer.clamp;
  if (!c) {
    const v = srs(x, shift, layer.rounding, layer.dtype.out, layer.saturate);
    return layer.fusedRelu && v < 0 ? 0 : v;
  }
  let v = roundShift(x, shift, layer.rounding);
  if (layer.fusedRelu && v < 0) v = 0;
  if (v >= c.min && v <= c.max) return v;
  overflowCount++;
  return v < c.min ? c.min : c.max;
}

/**
 * The epilogue of an int32 output (layer.upshift set: a float graph output with no quantizer), as the kernel does
 * it: srs to int32 with shift 0 (saturating; nothing is rounded), back into an accumulator shifted left by `up`,
 * plus the bias on the output grid (acc32 lanes wrap to 32 bits after each step, acc64 lanes do not), srs to int32
 * again, then the fused ReLU. Within the legalization's bound (quantize.ts int32Product) no step overflows and the
 * result is P * 2^up + B exactly.
 */
export function int32Epilogue(x: number, up: number, bias: number, layer: Pick<AieLayer, 'dtype' | 'rounding' | 'saturate' | 'fusedRelu'>): number {
  const acc32 = layer.dtype.acc === 'acc32';
  const lane = (v: number): number => {
    if (!acc32) return v;
    const w = wrapBits(v, 32);
    if (w !== v) overflowCount++;
    return w;
  };
  const v0 = srs(x, 0, layer.rounding, 'int32', layer.saturate);
  const v = srs(lane(lane(v0 * 2 ** up) + bias), 0, layer.rounding, 'int32', layer.saturate);
  return layer.fusedRelu && v < 0 ? 0 : v;
}

/** Values clipped or wrapped so far (emulateGraph reads the difference around each layer). */
export function overflows(): number {
  return overflowCount;
}

/** Records `n` values a kernel's own arithmetic saturated (a table entry, LayerNorm's int32 clamp). */
export function countOverflows(n: number): void {
  overflowCount += n;
}

/** Round half to even of a real value. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** floor(log2 v) of a positive integer, exactly (no floating-point log). */
export function log2Floor(v: number): number {
  let p = 0;
  while (2 ** (p + 1) <= v) p++;
  return p;
}
