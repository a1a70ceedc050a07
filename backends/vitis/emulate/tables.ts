import { type FixedType, fracBits } from 'firmflow';
import type { HlsTable } from '../lowered.js';

/**
 * Table lookup by the contract's index rule, floor((x - lo) * size / (hi - lo)) clamped to the table, with the
 * constants hoisted: size / (hi - lo) = 2^k, so idx = floor(code * 2^(k - F)) - lo * 2^k (tables.ts tableIndex is
 * the same rule one value at a time; the tests hold them equal).
 */
export interface TableReader {
  /** Entry codes as doubles. */
  codes: Float64Array;
  type: FixedType;
  /** Index of a code with `F` fractional bits. */
  index(code: number): number;
}

export function tableReader(table: HlsTable, inFrac: number): TableReader {
  const k = Math.log2(table.size / (table.hi - table.lo));
  const scale = 2 ** (k - inFrac);
  const off = table.lo * 2 ** k;
  const last = table.size - 1;
  return {
    codes: Float64Array.from(table.codes),
    type: table.type,
    index(code: number): number {
      const i = Math.floor(code * scale) - off;
      return i < 0 ? 0 : i > last ? last : i;
    },
  };
}

export const tableFrac = (t: HlsTable): number => fracBits(t.type);
