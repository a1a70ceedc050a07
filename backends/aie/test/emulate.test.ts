import { describe, expect, it } from 'vitest';
import { bf16Bits, bf16FromBits, bf16Round, denseCodes, layerNormConstants, layerNormRow, layerNormRsqrtTable, roundShift, softmaxRow, softmaxTables, srs } from '../src/emulate.js';
import type { AieLayer, AieRounding } from '../src/lowered.js';

// x / 4 for x = 6 (1.5), -6 (-1.5), 10 (2.5), -10 (-2.5), 7 (1.75), -7 (-1.75), 5 (1.25), -5 (-1.25), 8 (2)
const XS = [6, -6, 10, -10, 7, -7, 5, -5, 8];
const EXPECTED: Record<AieRounding, number[]> = {
  floor: [1, -2, 2, -3, 1, -2, 1, -2, 2],
  ceil: [2, -1, 3, -2, 2, -1, 2, -1, 2],
  positive_inf: [2, -1, 3, -2, 2, -2, 1, -1, 2],
  negative_inf: [1, -2, 2, -3, 2, -2, 1, -1, 2],
  symmetric_inf: [2, -2, 3, -3, 2, -2, 1, -1, 2],
  symmetric_zero: [1, -1, 2, -2, 2, -2, 1, -1, 2],
  conv_even: [2, -2, 2, -2, 2, -2, 1, -1, 2],
  conv_odd: [1, -1, 3, -3, 2, -2, 1, -1, 2],
};

describe('AIE shift-round-saturate', () => {
  for (const [mode, want] of Object.entries(EXPECTED) as [AieRounding, number[]][]) {
    it(`rounds x / 4 with ${mode}`, () => {
      expect(XS.map((x) => roundShift(x, 2, mode))).toEqual(want);
      expect(XS.map((x) => srs(x, 2, mode, 'int8'))).toEqual(want);
    });
  }

  it('saturates to the output type, or wraps without saturation', () => {
    expect(srs(1000, 2, 'conv_even', 'int8')).toBe(127);
    expect(srs(-1000, 2, 'conv_even', 'int8')).toBe(-128);
    expect(srs(1000, 2, 'conv_even', 'int8', false)).toBe(-6); // 250 - 256
    expect(srs(-1000, 2, 'conv_even', 'int8', false)).toBe(6);
    expect(srs(2 ** 20, 2, 'floor', 'int16')).toBe(32767);
    expect(srs(-(2 ** 20), 2, 'floor', 'int16')).toBe(-32768);
  });

  it('treats shift 0 as exact and a negative shift as an exact left shift', () => {
    expect(srs(-77, 0, 'floor', 'int8')).toBe(-77);
    expect(roundShift(-3, -2, 'floor')).toBe(-12);
  });

  it('rounds acc64 values beyond 32 bits exactly', () => {
    // 2^40 + 2^9 + 2^8 (a tie at shift 9: ...1.5 -> even 2^31 + 2)
    expect(roundShift(2 ** 40 + 2 ** 9 + 2 ** 8, 9, 'conv_even')).toBe(2 ** 31 + 2);
    expect(roundShift(2 ** 40 + 2 ** 9 + 2 ** 8, 9, 'floor')).toBe(2 ** 31 + 1);
  });
});

const layer = (over: Partial<AieLayer>): Pick<AieLayer, 'dtype' | 'shift' | 'rounding' | 'saturate' | 'fusedRelu'> => ({
  dtype: { a: 'int8', w: 'int8', out: 'int8', acc: 'acc32' }, shift: 2, rounding: 'conv_even', saturate: true, fusedRelu: false, ...over,
});

describe('AIE dense arithmetic', () => {
  const x = [1, 2, 3];
  const w = Int8Array.from([1, -1, 2, 0, 3, 1]); // K-major [3][2]
  it('accumulates with the bias at the product scale, then srs per tensor', () => {
    // acc = [14 + 2, 2 - 1] = [16, 1]; / 4 -> [4, 0.25 -> 0]
    expect(Array.from(denseCodes(x, 1, 3, 2, w, Int32Array.from([2, -1]), layer({})))).toEqual([4, 0]);
  });
  it('applies per-column shifts and the fused ReLU', () => {
    expect(Array.from(denseCodes(x, 1, 3, 2, w, Int32Array.from([2, -1]), layer({ shift: [1, 0] })))).toEqual([8, 1]);
    expect(Array.from(denseCodes(x, 1, 3, 2, w, Int32Array.from([-30, -5]), layer({ shift: 1, fusedRelu: true })))).toEqual([0, 0]);
    expect(Array.from(denseCodes(x, 1, 3, 2, w, Int32Array.from([-30, -5]), layer({ shift: 1 })))).toEqual([-8, -2]); // -16/2, -3/2 -> -2 (even)
  });
  it('wraps the 32-bit accumulator like acc32 lanes', () => {
    const K = 140000;
    const xs = new Int32Array(K).fill(127);
    const ws = new Int8Array(K).fill(127);
    // 16129 * 140000 = 2258060000 wraps to -2036907296; / 2^24 = -121.41 -> -121
    expect(Array.from(denseCodes(xs, 1, K, 1, ws, undefined, layer({ shift: 24 })))).toEqual([-121]);
    expect(Array.from(denseCodes(xs, 1, K, 1, Int16Array.from(ws), undefined, layer({ shift: 24, dtype: { a: 'int16', w: 'int16', out: 'int16', acc: 'acc64' } })))).toEqual([135]); // 2258060000 / 2^24 = 134.59
  });
});

describe('AIE int8 softmax and layernorm constants', () => {
  it('builds the exponential table at 2^14 for 1.0', () => {
    const { exp } = softmaxTables(4);
    expect(exp[0]).toBe(16384);
    expect(exp[16]).toBe(Math.round(16384 * Math.exp(-1))); // d = 16 codes = 1.0 at 4 fractional bits
    expect(exp[16]).toBe(6027);
  });
  it('builds the reciprocal square root table', () => {
    const t = layerNormRsqrtTable();
    expect(t.length).toBe(1536);
    expect(t[768]).toBe(14651); // 2^21 / sqrt(16 * 1280 + 8) = 14651.47
    expect(t[0]).toBe(Math.round(2 ** 21 / Math.sqrt(8200)));
  });
  it('quantizes gamma and beta onto a common scale', () => {
    const c = layerNormConstants({ frac: { a: 0, out: 6 }, attrs: { epsilon: 1e-9 }, params: { gamma: Float64Array.from([1, 0.5]), beta: Float64Array.from([0, 0.25]) } } as unknown as AieLayer, 2);
    expect(c.gammaFrac).toBe(13);
    expect(Array.from(c.gammaQ)).toEqual([8192, 4096]);
    expect(Array.from(c.betaQ)).toEqual([0, 0.25 * 2 ** 25]);
    expect(c.epsV).toBe(1);
  });
});

describe('AIE int8 softmax and layernorm rows', () => {
  it('softmax of equal inputs is 1/L', () => {
    // e = 16384 each, S = 2^16, p = 16, Sn = 2^14, r = 2^14, y = 2^28 / 2^(16 + 14 - 7) = 32 = 0.25 at 2^-7
    const out = new Int32Array(4);
    softmaxRow([5, 5, 5, 5], 0, 4, softmaxTables(4).exp, 7, 'conv_even', 'int8', true, out, 0, new Int32Array(4));
    expect(Array.from(out)).toEqual([32, 32, 32, 32]);
  });
  it('softmax of [0, -16] at 4 fractional bits', () => {
    // e = [16384, 6027], S = 22411, p = 14, Sn = 22411, r = floor(2^28 / 22411) = 11977
    // y0 = 16384 * 11977 / 2^(14 + 14 - 7) = 93.57 -> 94; y1 = 6027 * 11977 / 2^21 = 34.42 -> 34
    const out = new Int32Array(2);
    softmaxRow([0, -16], 0, 2, softmaxTables(4).exp, 7, 'conv_even', 'int8', true, out, 0, new Int32Array(2));
    expect(Array.from(out)).toEqual([94, 34]);
  });
  it('layernorm of [1, -1]', () => {
    // V = 2 * 2 - 0 + 1 = 5, s = -12, Vn = 20480, RSQ[768] = 14651, n = 2 * 14651 / 2^3 = 3662.75 -> 3663
    // y = 3663 * 8192 / 2^(12 + 13 - 6) = 57.23 -> 57
    const c = layerNormConstants({ frac: { a: 0, out: 6 }, attrs: { epsilon: 1e-9 }, params: { gamma: Float64Array.from([1, 1]), beta: Float64Array.from([0, 0]) } } as unknown as AieLayer, 2);
    const out = new Int32Array(2);
    layerNormRow([1, -1], 0, c, 6, 'conv_even', 'int8', true, out, 0);
    expect(Array.from(out)).toEqual([57, -57]);
  });
});

describe('bf16', () => {
  it('rounds to nearest even on the 16-bit boundary', () => {
    expect(bf16Round(1 + 2 ** -8)).toBe(1); // tie -> even mantissa
    expect(bf16Round(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6); // tie -> even
    expect(bf16FromBits(bf16Bits(-2.5))).toBe(-2.5);
    expect(bf16Bits(1)).toBe(0x3f80);
  });
});
