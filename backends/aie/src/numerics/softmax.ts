/*
 * The Softmax kernels' arithmetic (int8 and bf16): tables computed here once and emitted by the writer, and the row
 * algorithms the emulator runs, exactly as the kernels do them.
 */
import type { AieDataType, AieRounding } from '../lowered.js';
import { bf16Bits, bf16Round } from './bf16.js';
import { log2Floor, srs } from './srs.js';

// ---------------------------------------------------------------------------------------------- softmax (bf16)

/** bf16 exponent fields of the softmax table: |d| in [2^-9, 2^5); below, exp(d) is taken as 1, from 32 on as 0. */
export const SOFTMAX_BF16_E0 = 118, SOFTMAX_BF16_E1 = 132;
export const SOFTMAX_BF16_TABLE = (SOFTMAX_BF16_E1 - SOFTMAX_BF16_E0) * 128;

/**
 * The bf16 softmax's table: EXP[(E - E0) * 128 + M] = fp32(exp(-v)) for the bf16 value v = 1.M * 2^(E - 127), the
 * exponent fields E0 <= E < E1 (computed once here and emitted; the kernel only looks values up).
 */
let bf16Table: Float32Array | undefined;
export function softmaxBf16Table(): Float32Array {
  if (bf16Table) return bf16Table;
  const t = new Float32Array(SOFTMAX_BF16_TABLE);
  for (let e = SOFTMAX_BF16_E0; e < SOFTMAX_BF16_E1; e++) {
    for (let m = 0; m < 128; m++) t[(e - SOFTMAX_BF16_E0) * 128 + m] = Math.exp(-(1 + m / 128) * 2 ** (e - 127));
  }
  bf16Table = t;
  return t;
}

/**
 * bf16 softmax of one row, exactly as the kernel does it (every step an fp32 or bf16 rounding, reproducible):
 *   m = max x_j;  d_j = bf16(fp32(x_j - m)) <= 0;  e_j = 1 if |d_j| < 2^-9, 0 if |d_j| >= 32, else EXP[bits(d_j)]
 *   S = fp32 sum of e_j in ascending j (>= 1: the maximum contributes exp(0) = 1);  r = fp32(1 / S)
 *   y_j = bf16(fp32(e_j * r))
 */
export function softmaxRowBf16(x: ArrayLike<number>, off: number, L: number, table: Float32Array, dst: Float32Array, doff: number, e: Float32Array): void {
  let m = x[off];
  for (let j = 1; j < L; j++) if (x[off + j] > m) m = x[off + j];
  let S = 0;
  for (let j = 0; j < L; j++) {
    const bits = bf16Bits(Math.fround(x[off + j] - m));
    const ex = (bits >>> 7) & 0xff;
    const v = ex < SOFTMAX_BF16_E0 ? 1 : ex >= SOFTMAX_BF16_E1 ? 0 : table[(ex - SOFTMAX_BF16_E0) * 128 + (bits & 0x7f)];
    e[j] = v;
    S = Math.fround(S + v);
  }
  const r = Math.fround(1 / S);
  for (let j = 0; j < L; j++) dst[doff + j] = bf16Round(Math.fround(e[j] * r));
}

// ---------------------------------------------------------------------------------------------- softmax (int8)

/** Fractional bits of the exponential table entries (EXP[0] = 2^SOFTMAX_EXP_FRAC = 1.0). */
export const SOFTMAX_EXP_FRAC = 14;
/** Bits of the normalized reciprocal: r = floor(2^SOFTMAX_RECIP_BITS / Sn), Sn in [2^14, 2^15). */
export const SOFTMAX_RECIP_BITS = 28;

/**
 * int8 softmax over the last axis, exactly as the kernel does it:
 *   d_j = max(x) - x_j                    (0..255)
 *   e_j = EXP[d_j]                        EXP[d] = round(2^14 * exp(-d * 2^-fa)), from softmaxTables
 *   S   = sum_j e_j                       (>= 2^14: the maximum contributes EXP[0])
 *   p   = floor(log2 S);  Sn = S >> (p - 14) in [2^14, 2^15);  r = floor(2^28 / Sn) in (2^13, 2^14]
 *   y_j = srs(e_j * r, p + 14 - fo)       (e_j * r < 2^28: int16 x int16 in acc32)
 * One scalar division per row; everything per element is a table load, a multiply and an srs.
 */
export function softmaxTables(fracIn: number): { exp: Int32Array } {
  const exp = new Int32Array(256);
  for (let d = 0; d < 256; d++) exp[d] = Math.round(2 ** SOFTMAX_EXP_FRAC * Math.exp(-d * 2 ** -fracIn));
  return { exp };
}

export function softmaxRow(x: ArrayLike<number>, off: number, L: number, exp: Int32Array, fo: number, mode: AieRounding, out: AieDataType, sat: boolean, dst: Int32Array, doff: number, e: Int32Array): void {
  let m = -Infinity;
  for (let j = 0; j < L; j++) if (x[off + j] > m) m = x[off + j];
  let S = 0;
  for (let j = 0; j < L; j++) {
    const d = m - x[off + j];
    e[j] = exp[d > 255 ? 255 : d];
    S += e[j];
  }
  const p = log2Floor(S);
  const Sn = Math.floor(S / 2 ** (p - SOFTMAX_EXP_FRAC));
  const r = Math.floor(2 ** SOFTMAX_RECIP_BITS / Sn);
  const shift = p + SOFTMAX_RECIP_BITS - SOFTMAX_EXP_FRAC - fo;
  for (let j = 0; j < L; j++) dst[doff + j] = srs(e[j] * r, shift, mode, out, sat);
}

