/* Integer rounding of Rescale (QONNX Quant rounding modes) on exact codes. */


/** QONNX rounding modes in the order of nnet::rescale_rounding. */
export const RESCALE_ROUNDING = ['ROUND', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'HALF_UP', 'HALF_DOWN'] as const;
/** The integer nearest to p / 2^F (F >= 0) by a QONNX rounding mode, exactly (nnet_rescale.h round_codes). */
export function roundCodes(p: bigint, F: number, mode: string): bigint {
  if (F <= 0) return p << BigInt(-F);
  const S = BigInt(F);
  const half = 1n << (S - 1n);
  const fl = p >> S, ce = -((-p) >> S);
  const mag = p < 0n ? -p : p;
  switch (mode) {
    case 'CEIL': return ce;
    case 'FLOOR': return fl;
    case 'UP': return p < 0n ? fl : ce;
    case 'DOWN': return p < 0n ? ce : fl;
    case 'HALF_UP': { const r = (mag + half) >> S; return p < 0n ? -r : r; }
    case 'HALF_DOWN': { const r = -((half - mag) >> S); return p < 0n ? -r : r; }
    default: {
      const rem = p - (fl << S);
      return rem > half || (rem === half && (fl & 1n) === 1n) ? fl + 1n : fl;
    }
  }
}
