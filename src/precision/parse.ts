import { FirmflowError } from '../errors.js';
import type { FixedType, OverflowMode, RoundingMode } from '../ir/types.js';
import { OVERFLOW_MODES, ROUNDING_MODES, validateType } from '../fixed/types.js';

/** A configured precision: an exact type, or `auto` (inferred, see infer.ts). */
export type PrecisionSpec = FixedType | 'auto';

const TYPE_RE = /^(ap_)?(u)?(fixed|int)\s*<\s*([^>]*)>$/i;

/**
 * Parses `fixed<W,I>`, `fixed<W,I,RND_CONV,SAT>`, `fixed<W,I,Q,O,N>`, `ufixed<...>`, `int<W>`, `uint<W>`, their
 * `ap_` spellings (modes with or without the `AP_` prefix) and `auto`. `where` names the configuration key in
 * errors. `int<W>` converts like C++ ap_int (truncation toward zero).
 */
export function parsePrecision(text: string, where = 'precision'): PrecisionSpec {
  const s = String(text).trim();
  if (/^auto$/i.test(s)) return 'auto';
  const m = TYPE_RE.exec(s);
  if (!m) {
    throw new FirmflowError('config.precision', `${where}: cannot read precision '${text}': not a precision (expected fixed<W,I>, fixed<W,I,Q,O>, ufixed<...>, int<W>, uint<W>, their ap_ spellings, or auto)${/<[^>]*$/.test(s) ? "; in a YAML flow mapping { ... } quote the type, e.g. 'fixed<16,6>'" : ''}`);
  }
  const signed = !m[2];
  const isInt = m[3].toLowerCase() === 'int';
  const args = m[4].split(',').map((a) => a.trim()).filter((a) => a !== '');
  const num = (a: string, what: string): number => {
    if (!/^-?\d+$/.test(a)) throw new FirmflowError('config.precision', `${where}: ${what} '${a}' in '${text}' is not an integer`);
    return Number(a);
  };
  let t: FixedType;
  if (isInt) {
    if (args.length !== 1) throw new FirmflowError('config.precision', `${where}: '${text}' takes exactly one argument, the width`);
    const w = num(args[0], 'width');
    t = { signed, width: w, integer: w, rounding: 'TRN_ZERO', overflow: 'WRAP' };
  } else {
    if (args.length < 2 || args.length > 5) throw new FirmflowError('config.precision', `${where}: '${text}' needs 2 to 5 arguments: W, I[, rounding[, overflow[, saturation bits]]]`);
    const mode = <T extends string>(a: string | undefined, list: readonly T[], what: string): T | undefined => {
      if (a === undefined) return undefined;
      const k = a.toUpperCase().replace(/^AP_/, '');
      if (!(list as readonly string[]).includes(k)) throw new FirmflowError('config.precision', `${where}: unknown ${what} mode '${a}' in '${text}' (expected one of ${list.join(', ')})`);
      return k as T;
    };
    t = {
      signed,
      width: num(args[0], 'width'),
      integer: num(args[1], 'integer bits'),
      rounding: mode<RoundingMode>(args[2], ROUNDING_MODES, 'rounding') ?? 'TRN',
      overflow: mode<OverflowMode>(args[3], OVERFLOW_MODES, 'overflow') ?? 'WRAP',
    };
    if (args[4] !== undefined) t.satBits = num(args[4], 'saturation bits');
  }
  // ap_fixed's own limit (AP_INT_MAX_W).
  if (t.width > MAX_WIDTH) throw new FirmflowError('config.precision', `${where}: width ${t.width} in '${text}' is above ${MAX_WIDTH}, the widest type the HLS libraries take`);
  validateType(t, `${where} ('${text}')`);
  return t;
}

const MAX_WIDTH = 1024;

/**
 * Checks a precision string as an option value (explicit types only, not `auto`): the reason it is not one, or
 * undefined. The same parser as parsePrecision, with the message free of a key prefix (callers name the key).
 */
export function checkPrecision(s: string): string | undefined {
  if (/^\s*auto\s*$/i.test(s)) return `'${s}' is not a precision here: 'auto' is for per-role configurations; give a type such as fixed<16,6>`;
  // The parser's messages start with the key they are given; here there is none, so the mark is cut off again.
  const mark = '\u0001';
  try {
    parsePrecision(s, mark);
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(`${mark} (`, '').replace(/^('.*?')\): /, '$1: ').replace(`${mark}: `, '');
  }
}
