import { FirmflowError } from '../errors.js';
import type { FixedType, OverflowMode, RoundingMode } from '../ir/types.js';

export type { FixedType, OverflowMode, RoundingMode };

export const ROUNDING_MODES: readonly RoundingMode[] = ['TRN', 'TRN_ZERO', 'RND', 'RND_ZERO', 'RND_MIN_INF', 'RND_INF', 'RND_CONV'];
export const OVERFLOW_MODES: readonly OverflowMode[] = ['WRAP', 'SAT', 'SAT_ZERO', 'SAT_SYM', 'WRAP_SM'];

/**
 * Builds a descriptor. Defaults are the vendor's (AP_TRN, AP_WRAP). Integer types (ap_int/ap_uint) are the case
 * integer === width with TRN_ZERO rounding: a C++ ap_int converts like a C cast, truncating toward zero.
 */
export function fixedType(signed: boolean, width: number, integer: number, rounding: RoundingMode = 'TRN', overflow: OverflowMode = 'WRAP', satBits = 0): FixedType {
  const t: FixedType = { signed, width, integer, rounding, overflow };
  if (satBits) t.satBits = satBits;
  validateType(t);
  return t;
}

export const intType = (width: number, signed = true): FixedType => fixedType(signed, width, width, 'TRN_ZERO', 'WRAP');

/** True for the types C++ spells ap_int/ap_uint. */
export const isIntType = (t: FixedType): boolean => t.integer === t.width && t.rounding === 'TRN_ZERO' && t.overflow === 'WRAP' && !(t.satBits ?? 0);

export function validateType(t: FixedType, where = 'fixed-point type'): void {
  if (!Number.isInteger(t.width) || t.width < 1) throw new FirmflowError('fixed.type', `${where}: width ${t.width} must be an integer >= 1`);
  if (!Number.isInteger(t.integer)) throw new FirmflowError('fixed.type', `${where}: integer bits ${t.integer} must be an integer`);
  if (!ROUNDING_MODES.includes(t.rounding)) throw new FirmflowError('fixed.type', `${where}: unknown rounding mode '${t.rounding}'`);
  if (!OVERFLOW_MODES.includes(t.overflow)) throw new FirmflowError('fixed.type', `${where}: unknown overflow mode '${t.overflow}'`);
  if (!t.signed && t.overflow === 'WRAP_SM') throw new FirmflowError('fixed.type', `${where}: unsigned types cannot use WRAP_SM (the vendor rejects ap_ufixed with AP_WRAP_SM)`);
  if (t.satBits !== undefined && (!Number.isInteger(t.satBits) || t.satBits < 0)) throw new FirmflowError('fixed.type', `${where}: saturation bits ${t.satBits} must be an integer >= 0`);
}

/** Fractional bits F = W - I (negative when I > W). */
export const fracBits = (t: FixedType): number => t.width - t.integer;

export function maxRaw(t: FixedType): bigint {
  return t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n;
}
export function minRaw(t: FixedType): bigint {
  return t.signed ? -(1n << BigInt(t.width - 1)) : 0n;
}
/** Largest and smallest representable values, and the step. */
export function typeRange(t: FixedType): { min: number; max: number; lsb: number } {
  const f = fracBits(t);
  return { min: Number(minRaw(t)) * 2 ** -f, max: Number(maxRaw(t)) * 2 ** -f, lsb: 2 ** -f };
}

export const sameType = (a: FixedType, b: FixedType): boolean =>
  a.signed === b.signed && a.width === b.width && a.integer === b.integer && a.rounding === b.rounding && a.overflow === b.overflow && (a.satBits ?? 0) === (b.satBits ?? 0);

/** C++ spelling, e.g. `ap_fixed<16,6,AP_RND_CONV,AP_SAT>`, `ap_uint<8>`. Default modes are left out. */
export function cppType(t: FixedType): string {
  if (isIntType(t)) return `${t.signed ? 'ap_int' : 'ap_uint'}<${t.width}>`;
  const modes = t.rounding !== 'TRN' || t.overflow !== 'WRAP' || (t.satBits ?? 0) !== 0;
  const args = [String(t.width), String(t.integer)];
  if (modes) {
    args.push(`AP_${t.rounding}`);
    if (t.overflow !== 'WRAP' || (t.satBits ?? 0) !== 0) args.push(`AP_${t.overflow}`);
    if ((t.satBits ?? 0) !== 0) args.push(String(t.satBits));
  }
  return `${t.signed ? 'ap_fixed' : 'ap_ufixed'}<${args.join(',')}>`;
}

/** Configuration spelling, e.g. `fixed<16,6,RND_CONV,SAT>`, `int<8>`; parsePrecision() reads it back. */
export function formatType(t: FixedType): string {
  if (isIntType(t)) return `${t.signed ? 'int' : 'uint'}<${t.width}>`;
  const modes = t.rounding !== 'TRN' || t.overflow !== 'WRAP' || (t.satBits ?? 0) !== 0;
  const args = [String(t.width), String(t.integer)];
  if (modes) {
    args.push(t.rounding);
    if (t.overflow !== 'WRAP' || (t.satBits ?? 0) !== 0) args.push(t.overflow);
    if ((t.satBits ?? 0) !== 0) args.push(String(t.satBits));
  }
  return `${t.signed ? 'fixed' : 'ufixed'}<${args.join(',')}>`;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'logic';

/**
 * The vendor's full-precision result type of `a op b` (modes are the defaults, AP_TRN/AP_WRAP, as in C++):
 * mul W1+W2 / I1+I2; add I = max(I1 + (S2 && !S1), I2 + (S1 && !S2)) + 1 with F = max(F1, F2); sub the same but
 * always signed; div W = S2 + W1 + max(F2, 0), I = S2 + I1 + F2; logic as add without the carry bit.
 */
export function resultType(op: BinaryOp, a: FixedType, b: FixedType): FixedType {
  const s1 = a.signed, s2 = b.signed;
  const f1 = fracBits(a), f2 = fracBits(b);
  const il = Math.max(a.integer + (s2 && !s1 ? 1 : 0), b.integer + (s1 && !s2 ? 1 : 0));
  const f = Math.max(f1, f2);
  switch (op) {
    case 'mul': return { signed: s1 || s2, width: a.width + b.width, integer: a.integer + b.integer, rounding: 'TRN', overflow: 'WRAP' };
    case 'add': return { signed: s1 || s2, width: il + 1 + f, integer: il + 1, rounding: 'TRN', overflow: 'WRAP' };
    case 'sub': return { signed: true, width: il + 1 + f, integer: il + 1, rounding: 'TRN', overflow: 'WRAP' };
    case 'logic': return { signed: s1 || s2, width: il + f, integer: il, rounding: 'TRN', overflow: 'WRAP' };
    case 'div': {
      const b2 = s2 ? 1 : 0;
      return { signed: s1 || s2, width: b2 + a.width + Math.max(f2, 0), integer: b2 + a.integer + f2, rounding: 'TRN', overflow: 'WRAP' };
    }
  }
}

/** Type of unary minus: one more integer bit, always signed. */
export const negType = (a: FixedType): FixedType => ({ signed: true, width: a.width + 1, integer: a.integer + 1, rounding: 'TRN', overflow: 'WRAP' });

/** The smallest type that holds every value of both (for joining branches, e.g. Concat/Max inputs). */
export function unionType(a: FixedType, b: FixedType): FixedType {
  const l = resultType('logic', a, b);
  return { ...l, rounding: a.rounding, overflow: a.overflow };
}
