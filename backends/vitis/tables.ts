/*
 * Lookup tables of the Vitis/Vivado backend: the single source of their contents. The writer emits these codes
 * and the emulator reads the same codes, so C simulation and emulation agree bit for bit
 * (docs/design/vitis-backend.md, "Table activations", "Softmax", "LayerNormalization").
 */
import { FirmflowError, type FixedType, fracBits, maxRaw, quantizeCodes } from 'firmflow';
import type { HlsTable } from './lowered.js';

export const DEFAULT_TABLE_SIZE = 1024;
/** Sigmoid, Tanh, Softplus: [-8, 8); Elu/Selu tables cover the negative part only: [-8, 0). */
export const DEFAULT_TABLE_RANGE: [number, number] = [-8, 8];
export const DEFAULT_NEGATIVE_RANGE: [number, number] = [-8, 0];
/** Default table type: fixed<18,8,RND,SAT>. */
export const DEFAULT_TABLE_TYPE: FixedType = { signed: true, width: 18, integer: 8, rounding: 'RND', overflow: 'SAT' };
/** Softmax exp / inv table type: ufixed<18,1,RND,SAT> (holds [0, 2), so 1.0 exactly). */
export const DEFAULT_SOFTMAX_TABLE_TYPE: FixedType = { signed: false, width: 18, integer: 1, rounding: 'RND', overflow: 'SAT' };
/** Softmax exp table range: [-2^4, 0). */
export const DEFAULT_EXP_RANGE: [number, number] = [-16, 0];
/** LayerNormalization inv_std table: [0, 2^3), ufixed<18,8,RND,SAT>. */
export const DEFAULT_INV_STD_RANGE: [number, number] = [0, 8];
export const DEFAULT_INV_STD_TYPE: FixedType = { signed: false, width: 18, integer: 8, rounding: 'RND', overflow: 'SAT' };

/** Codes array of a table type: Int32Array when the codes fit, Float64Array (exact to 53 bits) beyond. */
function codesArray(t: FixedType, n: number): Int32Array | Float64Array {
  if (t.width > 53) throw new FirmflowError('vitis.table', `table type of ${t.width} bits is wider than 53 bits; tables are stored as exact doubles`);
  // Int32Array holds signed codes up to 32 bits and unsigned ones up to 31 (ufixed<32,...> codes reach 2^32 - 1).
  return t.width <= (t.signed ? 32 : 31) ? new Int32Array(n) : new Float64Array(n);
}

/** Checks size (power of two) and range (hi - lo a power of two, lo a multiple of the step). */
export function checkTableGeometry(size: number, lo: number, hi: number, where: string): void {
  if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) throw new FirmflowError('vitis.table', `${where}: table size ${size} must be a power of two >= 2`);
  const w = hi - lo;
  if (!(w > 0) || 2 ** Math.round(Math.log2(w)) !== w) throw new FirmflowError('vitis.table', `${where}: table range [${lo}, ${hi}) must span a power of two`);
  const step = w / size;
  if (!Number.isInteger(lo / step)) throw new FirmflowError('vitis.table', `${where}: table range start ${lo} must be a multiple of the table step ${step} (range / size), so indexing is a shift`);
}

/** The centre of entry i: lo + (i + 0.5) * (hi - lo) / size (exact: powers of two). */
export function tableCentre(i: number, size: number, lo: number, hi: number): number {
  return lo + ((i + 0.5) * (hi - lo)) / size;
}

/**
 * A table of f over [lo, hi) with `size` entries: entry i = type(f(centre_i)), quantized with the type's rounding
 * and overflow modes.
 */
export function makeTable(f: (x: number) => number, size: number, lo: number, hi: number, type: FixedType, fn: string, where = fn): HlsTable {
  checkTableGeometry(size, lo, hi, where);
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) values[i] = f(tableCentre(i, size, lo, hi));
  const codes = quantizeCodes(values, type, codesArray(type, size));
  return { size, lo, hi, type, codes, fn };
}

/**
 * The one table index rule, floor((x - lo) * size / (hi - lo)) clamped to [0, size - 1], as the constants every
 * reader hoists (nnet::table_index in C++, the emulator's reader): size / (hi - lo) = 2^k, so for a code with F
 * fractional bits idx = floor(code * 2^-shift) - offset with shift = F - k and offset = lo * 2^k (both integers).
 */
export function tableIndexConstants(table: Pick<HlsTable, 'size' | 'lo' | 'hi'>, inFrac: number): { shift: number; offset: number } {
  const k = Math.log2(table.size / (table.hi - table.lo));
  if (!Number.isInteger(k)) throw new Error(`table size ${table.size} over [${table.lo}, ${table.hi}) is not a power-of-two scale`);
  return { shift: inFrac - k, offset: table.lo * 2 ** k };
}

/** Index of the entry for a value given by its integer code in `inType` (tableIndexConstants, one value). */
export function tableIndex(code: number, inType: FixedType, table: Pick<HlsTable, 'size' | 'lo' | 'hi'>): number {
  const { shift, offset } = tableIndexConstants(table, fracBits(inType));
  const idx = Math.floor(code * 2 ** -shift) - offset;
  return idx < 0 ? 0 : idx >= table.size ? table.size - 1 : idx;
}

// ----------------------------------------------------------------------------------------------- functions

export const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
export const softplus = (x: number): number => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Default Selu constants (ONNX, float32 values). */
export const SELU_ALPHA = 1.67326319217681884765625;
export const SELU_GAMMA = 1.05070102214813232421875;

/**
 * The function a lookup table samples: `f`, its name for comments (`fn`), and whether the table covers only x < 0
 * (Elu, Selu: x >= 0 is computed exactly).
 */
export interface TableFunction {
  f: (x: number) => number;
  fn: string;
  negativeOnly: boolean;
}

/** The table of a function over `range` (default: the whole default range, or its negative part). */
export function functionTable(spec: TableFunction, size = DEFAULT_TABLE_SIZE, range?: [number, number], type: FixedType = DEFAULT_TABLE_TYPE, where = spec.fn): HlsTable {
  const [lo, hi] = range ?? (spec.negativeOnly ? DEFAULT_NEGATIVE_RANGE : DEFAULT_TABLE_RANGE);
  return makeTable(spec.f, size, lo, hi, type, spec.fn, where);
}

/**
 * Softmax (stable) exp tables, two levels (docs/design/vitis-backend.md, "Softmax"). With t = max(x) - x_j >= 0 (the
 * exact difference of codes), exp(-t) = exp(-t_c) * exp(-t_f) where t_c is t cut to the coarse table's step and
 * t_f < step the rest. The configured range [lo, 0) of x - max(x) becomes t in [0, -lo): the coarse table holds
 * exp(-i * step) (entry 0 exactly 1.0), the fine one exp(-j * step / fineSize) for the next bits of t (entry 0 exactly
 * 1.0), so the largest input gets exactly 1 and every smaller one less, down to the input's own resolution.
 */
export function softmaxExpTable(size = DEFAULT_TABLE_SIZE, range: [number, number] = DEFAULT_EXP_RANGE, type: FixedType = DEFAULT_SOFTMAX_TABLE_TYPE, where = 'Softmax'): HlsTable {
  if (range[1] !== 0) throw new FirmflowError('vitis.table', `${where}: the softmax exp table covers x - max(x) <= 0, so its range must end at 0, got [${range[0]}, ${range[1]})`);
  checkTableGeometry(size, range[0], range[1], where);
  const span = -range[0];
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.exp(-(i * span) / size);
  const codes = quantizeCodes(values, type, codesArray(type, size));
  if (codes[0] !== 2 ** fracBits(type)) throw new FirmflowError('vitis.table', `${where}: the exp table type cannot hold 1.0 exactly`);
  return { size, lo: 0, hi: span, type, codes, fn: 'exp(-t)' };
}

/** Most index bits the fine exp table takes from t (2^10 entries at most). */
export const SOFTMAX_FINE_MAX_BITS = 10;

/**
 * The fine exp table of a coarse one for inputs with `inFrac` fractional bits: 2^L entries over [0, step) with
 * L = min(inFrac - k, SOFTMAX_FINE_MAX_BITS) (step = 2^-k), entry j = exp(-j * step / 2^L); one entry (1.0) when the
 * coarse table already resolves every input code.
 */
export function softmaxFineTable(coarse: HlsTable, inFrac: number, type: FixedType = coarse.type, maxBits = SOFTMAX_FINE_MAX_BITS): HlsTable {
  const k = Math.log2(coarse.size / coarse.hi);
  const L = Math.max(0, Math.min(inFrac - k, maxBits));
  const size = 2 ** L, step = 2 ** -k;
  const values = new Float64Array(size);
  for (let j = 0; j < size; j++) values[j] = Math.exp(-(j * step) / size);
  const codes = quantizeCodes(values, type, codesArray(type, size));
  return { size, lo: 0, hi: step, type, codes, fn: 'exp(-t) fine' };
}

/**
 * How the kernel splits t (a code with `inFrac` fractional bits) between the two exp tables: t is clamped to tMax
 * (the last code inside the coarse range); with shift = inFrac - k >= 0, i = t >> shift and
 * j = (t & (2^shift - 1)) >> fineShift; with shift < 0, i = t << -shift and j = 0.
 */
export interface SoftmaxExpSplit { shift: number; fineShift: number; tMax: number }

export function softmaxExpSplit(coarse: HlsTable, fine: HlsTable, inFrac: number): SoftmaxExpSplit {
  const k = Math.log2(coarse.size / coarse.hi);
  const shift = inFrac - k;
  const L = Math.log2(fine.size);
  const tMax = shift >= 0 ? coarse.size * 2 ** shift - 1 : (coarse.size - 1) / 2 ** -shift;
  return { shift, fineShift: shift >= 0 ? shift - L : 0, tMax: Math.floor(tMax) };
}

/** Coarse and fine entry indices of t (the kernel's rule, one value at a time). */
export function softmaxExpIndex(t: number, split: SoftmaxExpSplit): [number, number] {
  const c = t > split.tMax ? split.tMax : t;
  if (split.shift >= 0) {
    const p = 2 ** split.shift;
    const i = Math.floor(c / p);
    return [i, Math.floor((c - i * p) / 2 ** split.fineShift)];
  }
  return [c * 2 ** -split.shift, 0];
}

/** The inverse-table range for sums of n exp entries: [0, 2^q) with 2^q >= n + 1. */
export function softmaxInvRange(n: number): [number, number] {
  return [0, 2 ** Math.max(0, Math.ceil(Math.log2(n + 1)))];
}

/** Softmax inverse table over [0, 2^q): entry i = 1 / centre_i; entry 0 (never used) holds the type's maximum. */
export function softmaxInvTable(n: number, size = DEFAULT_TABLE_SIZE, range: [number, number] = softmaxInvRange(n), type: FixedType = DEFAULT_SOFTMAX_TABLE_TYPE, where = 'Softmax'): HlsTable {
  if (range[0] !== 0) throw new FirmflowError('vitis.table', `${where}: the softmax inverse table must start at 0, got [${range[0]}, ${range[1]})`);
  if (range[1] < n + 1) throw new FirmflowError('vitis.table', `${where}: the softmax inverse table range [0, ${range[1]}) must reach past ${n} (the largest sum of ${n} exp values)`);
  const t = makeTable((x) => 1 / x, size, range[0], range[1], type, 'inv', where);
  t.codes[0] = Number(maxRaw(type));
  return t;
}

/**
 * The exact type of the sum of n entries of an exp table: unsigned, the table's fractional bits, integer bits for
 * n times the largest entry.
 */
export function expSumType(n: number, exp: HlsTable): FixedType {
  let max = 0;
  for (let i = 0; i < exp.codes.length; i++) if (exp.codes[i] > max) max = exp.codes[i];
  const f = fracBits(exp.type);
  const bits = Math.max(1, Math.ceil(Math.log2(n * max + 1)));
  return { signed: false, width: bits, integer: bits - f, rounding: 'TRN', overflow: 'WRAP' };
}

/** LayerNormalization: table of 1 / sqrt(v + epsilon) over [0, 2^r). */
export function invStdTable(epsilon: number, size = DEFAULT_TABLE_SIZE, range: [number, number] = DEFAULT_INV_STD_RANGE, type: FixedType = DEFAULT_INV_STD_TYPE, where = 'LayerNormalization'): HlsTable {
  if (range[0] !== 0) throw new FirmflowError('vitis.table', `${where}: the inv_std table covers variances >= 0, so its range must start at 0, got [${range[0]}, ${range[1]})`);
  return makeTable((v) => 1 / Math.sqrt(v + epsilon), size, range[0], range[1], type, `inv_sqrt(eps=${epsilon})`, where);
}
