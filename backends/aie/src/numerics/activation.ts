/*
 * Sigmoid and Tanh on the AIE: pure table lookups, the tables computed here once (in double precision) and emitted by
 * the writer, so the kernel, the emulator and the trace share one source of truth and the result is exact by
 * construction:
 * - int mode (int8 input codes): OUT[c + 128] = the output quantizer's rounding of f(c 2^-frac.a) 2^frac.out,
 *   saturated (or wrapped) to the output type and clamped to a narrow quantizer's range: any output scale and type.
 * - bf16 mode: the result is bf16(f(x)) (round to nearest even of the exact value) for every bf16 input. A table
 *   indexed by sign, exponent field E in [E0, E1) and the 7 mantissa bits holds those values; below E0 every input
 *   gives 0.5 (Sigmoid) or x itself (Tanh), from E1 on (infinities included) the saturation values 1 / 0 (Sigmoid)
 *   and +-1 (Tanh). E0 and E1 are found by enumerating all 65536 bf16 inputs (`bf16ActivationTable`), so the three
 *   rules together equal bf16(f(x)) on every finite and infinite input; a NaN is passed through.
 * A table value is wrong only when f(x) computed in double (error below 2^-52 relative) lies that close to a
 * rounding boundary; test/sigmoid-tanh.test.ts measures the distance of every entry from its boundaries.
 */
import type { AieIntType, AieLayer, AieRounding } from '../lowered.js';
import { bf16Bits, bf16FromBits, bf16RoundExact } from './bf16.js';
import { wrapBits } from './srs.js';

export type ActivationFn = 'sigmoid' | 'tanh';
export const ACTIVATION_OPS: Record<string, ActivationFn> = { Sigmoid: 'sigmoid', Tanh: 'tanh' };

/** f in double precision (sigmoid without overflow of exp for either sign). */
export function activationValue(fn: ActivationFn, x: number): number {
  if (fn === 'tanh') return Math.tanh(x);
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** A real value rounded to an integer by an aie::rounding_mode (ties as the mode says). */
export function roundReal(v: number, mode: AieRounding): number {
  const q = Math.floor(v);
  const r = v - q;
  if (r === 0) return q;
  if (mode === 'floor') return q;
  if (mode === 'ceil') return q + 1;
  if (r > 0.5) return q + 1;
  if (r < 0.5) return q;
  switch (mode) {
    case 'positive_inf': return q + 1;
    case 'negative_inf': return q;
    case 'symmetric_inf': return v > 0 ? q + 1 : q;
    case 'symmetric_zero': return v > 0 ? q : q + 1;
    case 'conv_even': return q % 2 === 0 ? q : q + 1;
    case 'conv_odd': return q % 2 !== 0 ? q : q + 1;
    default: throw new Error(`unknown rounding mode '${mode as string}'`);
  }
}

/**
 * The int8 -> int8/int16 table of an int-mode Sigmoid/Tanh layer: entry c + 128 is the output code of input code c.
 * `saturated` counts the entries the output type or the clamp moved (for the trace's overflow column).
 */
export function intActivationTable(layer: Pick<AieLayer, 'attrs' | 'frac' | 'dtype' | 'rounding' | 'saturate' | 'clamp'>): { table: Int32Array; saturated: Uint8Array } {
  const fn = layer.attrs['fn'] as ActivationFn;
  const out = layer.dtype.out as AieIntType;
  const lo = out === 'int8' ? -128 : -32768, hi = out === 'int8' ? 127 : 32767;
  const table = new Int32Array(256);
  const saturated = new Uint8Array(256);
  for (let c = -128; c < 128; c++) {
    let v = roundReal(activationValue(fn, c * 2 ** -layer.frac.a) * 2 ** layer.frac.out, layer.rounding);
    if (v < lo || v > hi) { v = layer.saturate ? Math.min(hi, Math.max(lo, v)) : wrapBits(v, out === 'int8' ? 8 : 16); saturated[c + 128] = 1; }
    const k = layer.clamp;
    if (k && (v < k.min || v > k.max)) { v = Math.min(k.max, Math.max(k.min, v)); saturated[c + 128] = 1; }
    table[c + 128] = v;
  }
  return { table, saturated };
}

/** bf16 patterns of the saturation values and of Sigmoid's constant 0.5 below E0. */
export const BF16_ONE = 0x3f80, BF16_MINUS_ONE = 0xbf80, BF16_HALF = 0x3f00;

export interface Bf16ActivationTable {
  /** Exponent fields [e0, e1) the table covers; TABLE[(sign * (e1 - e0) + E - e0) * 128 + mantissa]. */
  e0: number;
  e1: number;
  /** bf16 bit patterns. */
  table: Uint16Array;
  /** Below e0: a constant pattern (Sigmoid: 0.5), or -1 for the input itself (Tanh). */
  below: number;
  /** From e1 on: the pattern for a positive and for a negative input. */
  satPos: number;
  satNeg: number;
}

/** bf16(f(x)) of a bf16 pattern, computed in double (the reference every table rule is checked against). */
export function bf16ActivationExact(fn: ActivationFn, bits: number): number {
  const x = bf16FromBits(bits);
  if (Number.isNaN(x)) return bits;
  return bf16Bits(bf16RoundExact(activationValue(fn, x)));
}

const cache = new Map<ActivationFn, Bf16ActivationTable>();

/** The bf16 table of `fn`: the narrowest exponent range [e0, e1) outside which the constant rules are exact. */
export function bf16ActivationTable(fn: ActivationFn): Bf16ActivationTable {
  const hit = cache.get(fn);
  if (hit) return hit;
  const below = fn === 'sigmoid' ? BF16_HALF : -1;
  const satPos = BF16_ONE, satNeg = fn === 'sigmoid' ? 0 : BF16_MINUS_ONE;
  let e0 = 256, e1 = 0;
  for (let e = 0; e < 256; e++) {
    for (let s = 0; s < 2; s++) {
      for (let m = 0; m < 128; m++) {
        const b = (s << 15) | (e << 7) | m;
        if (e === 255 && m !== 0) continue; // NaN passes through
        const y = bf16ActivationExact(fn, b);
        if (y !== (below < 0 ? b : below)) e0 = Math.min(e0, e);
        if (y !== (s ? satNeg : satPos)) e1 = Math.max(e1, e + 1);
      }
    }
  }
  const n = e1 - e0;
  const table = new Uint16Array(2 * n * 128);
  for (let s = 0; s < 2; s++) for (let e = e0; e < e1; e++) for (let m = 0; m < 128; m++) table[(s * n + e - e0) * 128 + m] = bf16ActivationExact(fn, (s << 15) | (e << 7) | m);
  const t: Bf16ActivationTable = { e0, e1, table, below, satPos, satNeg };
  cache.set(fn, t);
  return t;
}

/** What the bf16 kernel writes for one input pattern. */
export function bf16ActivationLookup(t: Bf16ActivationTable, b: number): number {
  if ((b & 0x7fff) > 0x7f80) return b;
  const e = (b >>> 7) & 0xff, s = b >>> 15;
  if (e < t.e0) return t.below < 0 ? b : t.below;
  if (e >= t.e1) return s ? t.satNeg : t.satPos;
  return t.table[(s * (t.e1 - t.e0) + e - t.e0) * 128 + (b & 0x7f)];
}

/** Bytes of the table a kernel keeps in its data memory. */
export function activationTableBytes(layer: Pick<AieLayer, 'attrs' | 'dtype'>): number {
  const fn = layer.attrs['fn'] as ActivationFn;
  if (layer.dtype.a === 'bf16') return bf16ActivationTable(fn).table.length * 2;
  return 256 * (layer.dtype.out === 'int16' ? 2 : 1);
}

/** Lipschitz constant of f (max |f'|). */
export const ACTIVATION_LIPSCHITZ: Record<ActivationFn, number> = { sigmoid: 0.25, tanh: 1 };
