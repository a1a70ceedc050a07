import { type FixedType, fracBits } from 'firmflow';
import type { HlsTable } from '../lowered.js';
import { tableIndexConstants } from '../tables.js';

/** Table lookup by the one index rule (tables.ts tableIndexConstants), its constants hoisted out of the loop. */
export interface TableReader {
  /** Entry codes as doubles. */
  codes: Float64Array;
  type: FixedType;
  /** Index of a code with `F` fractional bits. */
  index(code: number): number;
}

export function tableReader(table: HlsTable, inFrac: number): TableReader {
  const { shift, offset: off } = tableIndexConstants(table, inFrac);
  const scale = 2 ** -shift;
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
