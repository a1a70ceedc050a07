/*
 * bf16 arithmetic shared by the legalization, the kernels' emulation and the writer: the rounding of an fp32 value to
 * bf16 (what the hardware's conversions do), its bit patterns, and the single rounding of an exact (double) value
 * that the Sigmoid/Tanh tables use.
 */
import { roundHalfEven } from './srs.js';


const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds to bf16 (nearest, ties to even), returned as a number. */
export function bf16Round(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000) return f32[0]; // inf / nan pass through
  const lsb = (b >>> 16) & 1;
  u32[0] = ((b + 0x7fff + lsb) & 0xffff0000) >>> 0;
  return f32[0];
}

/** The value of a bf16 bit pattern (as stored in weightsCodes in bf16 mode). */
export function bf16FromBits(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** The bf16 bit pattern of a number (rounded to nearest even). */
export function bf16Bits(x: number): number {
  f32[0] = bf16Round(x);
  return u32[0] >>> 16;
}

/** The bf16 bit pattern of a number as a signed int16 (how bf16 weights are stored in layer.weightsCodes). */
export function toBf16Bits(x: number): number {
  return (bf16Bits(x) << 16) >> 16;
}

/** A double rounded once to bf16 (nearest, ties to even; bf16 subnormals below 2^-126 on the grid 2^-133). */
export function bf16RoundExact(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const q = 2 ** (Math.max(e, -126) - 7);
  const r = roundHalfEven(a / q) * q;
  return v < 0 ? -r : r;
}

