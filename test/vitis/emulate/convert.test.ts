import { describe, expect, it } from 'vitest';
import { makeConverter } from '../../../backends/vitis/emulate/convert.js';
import { convertRaw, type FixedType, OVERFLOW_MODES, ROUNDING_MODES } from 'firmflow';

/** Deterministic codes around every interesting boundary: ties, range edges, far out of range, zero. */
function sampleCodes(n: number, seed: number, span: number): number[] {
  let x = seed >>> 0 || 1;
  const out = [0, 1, -1, 2, -2, 3, -3, 0.5 * 2 ** span, -(0.5 * 2 ** span)];
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const mag = Math.floor((x / 4294967296) * 2 ** span);
    out.push(i % 2 ? -mag : mag);
  }
  return out;
}

describe('makeConverter agrees with convertRaw', () => {
  const targets: Array<[boolean, number, number]> = [[true, 8, 3], [false, 8, 3], [true, 16, 6], [true, 1, 1], [true, 5, -2], [false, 12, 14], [true, 32, 16], [true, 53, 20]];
  for (const [signed, width, integer] of targets) {
    for (const rounding of ROUNDING_MODES) {
      for (const overflow of OVERFLOW_MODES) {
        if (!signed && overflow === 'WRAP_SM') continue;
        for (const satBits of overflow === 'WRAP' || overflow === 'WRAP_SM' ? [0, 2] : [0]) {
          const t: FixedType = { signed, width, integer, rounding, overflow, ...(satBits ? { satBits } : {}) };
          it(`${signed ? '' : 'u'}fixed<${width},${integer},${rounding},${overflow},${satBits}>`, () => {
            for (const srcFrac of [width - integer + 5, width - integer - 3, width - integer, 0]) {
              const codes = sampleCodes(300, width * 97 + srcFrac + 7, Math.min(52, width + 6));
              const out = new Float64Array(codes.length);
              const over = makeConverter(srcFrac, t)(codes, out, codes.length);
              const want = codes.map((c) => Number(convertRaw(BigInt(c), srcFrac, t)));
              expect(Array.from(out)).toEqual(want);
              expect(over).toBeGreaterThanOrEqual(0);
            }
          });
        }
      }
    }
  }

  it('counts overflows (saturated and wrapped values)', () => {
    const t: FixedType = { signed: true, width: 8, integer: 8, rounding: 'TRN', overflow: 'SAT' };
    const out = new Float64Array(5);
    expect(makeConverter(0, t)([127, 128, -128, -129, 5], out, 5)).toBe(2);
    expect(Array.from(out)).toEqual([127, 127, -128, -128, 5]);
    const w: FixedType = { ...t, overflow: 'WRAP' };
    expect(makeConverter(0, w)([127, 128, -129, 300], out, 4)).toBe(3);
    expect(Array.from(out.subarray(0, 4))).toEqual([127, -128, 127, 44]);
  });
});
