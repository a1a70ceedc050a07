import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FixedType, OverflowMode, RoundingMode } from '../../src/ir/types.js';
import { add, cppType, fixedType, formatType, fx, intType, mul, quantize, quantizeArray, quantizeCodes, rawFromNumber, resultType, sub, toNumber, typeRange } from '../../src/fixed/index.js';
import { AP_TYPES_DIR, haveGxx } from './cpp-driver.js';

const F = (w: number, i: number, q: RoundingMode = 'TRN', o: OverflowMode = 'WRAP', n = 0): FixedType => fixedType(true, w, i, q, o, n);
const U = (w: number, i: number, q: RoundingMode = 'TRN', o: OverflowMode = 'WRAP', n = 0): FixedType => fixedType(false, w, i, q, o, n);

describe('quantization modes (hand-computed, ap_fixed<8,4>: LSB 1/16)', () => {
  // Ties at +x.5 and -x.5 LSB: 2.03125 = 2 + 0.5 LSB, -2.03125, and 2.09375 = 2.0625 + 0.5 LSB (odd code below).
  const cases: [RoundingMode, number, number, number, number][] = [
    //  mode          +2.03125  -2.03125  +2.09375  -2.09375
    ['TRN', 2, -2.0625, 2.0625, -2.125],
    ['TRN_ZERO', 2, -2, 2.0625, -2.0625],
    ['RND', 2.0625, -2, 2.125, -2.0625],
    ['RND_ZERO', 2, -2, 2.0625, -2.0625],
    ['RND_MIN_INF', 2, -2.0625, 2.0625, -2.125],
    ['RND_INF', 2.0625, -2.0625, 2.125, -2.125],
    ['RND_CONV', 2, -2, 2.125, -2.125],
  ];
  for (const [q, a, b, c, d] of cases) {
    it(`${q} on exact ties`, () => {
      const t = F(8, 4, q);
      expect([quantize(2.03125, t), quantize(-2.03125, t), quantize(2.09375, t), quantize(-2.09375, t)]).toEqual([a, b, c, d]);
    });
  }
  it('non-ties round to nearest in every RND mode and never move exact values', () => {
    for (const q of ['RND', 'RND_ZERO', 'RND_MIN_INF', 'RND_INF', 'RND_CONV'] as RoundingMode[]) {
      expect(quantize(2.04, F(8, 4, q))).toBe(2.0625);
      expect(quantize(-2.02, F(8, 4, q))).toBe(-2);
      expect(quantize(-1.9375, F(8, 4, q))).toBe(-1.9375);
    }
  });
});

describe('overflow modes (hand-computed; the UG1399 examples use ap_fixed<4,4,AP_RND,O>)', () => {
  it('AP_SAT clamps to both ends', () => {
    expect([quantize(19, F(4, 4, 'RND', 'SAT')), quantize(-19, F(4, 4, 'RND', 'SAT'))]).toEqual([7, -8]);
    expect([quantize(19, U(4, 4, 'RND', 'SAT')), quantize(-19, U(4, 4, 'RND', 'SAT'))]).toEqual([15, 0]);
    expect(quantize(7.97, F(8, 4, 'RND', 'SAT'))).toBe(7.9375); // rounding up past max saturates
  });
  it('AP_SAT_ZERO gives 0 on overflow at either end', () => {
    expect([quantize(19, F(4, 4, 'RND', 'SAT_ZERO')), quantize(-19, F(4, 4, 'RND', 'SAT_ZERO')), quantize(19, U(4, 4, 'RND', 'SAT_ZERO'))]).toEqual([0, 0, 0]);
    expect(quantize(-8, F(4, 4, 'RND', 'SAT_ZERO'))).toBe(-8);
  });
  it('AP_SAT_SYM uses the symmetric minimum, also for an in-range most negative value', () => {
    expect([quantize(19, F(4, 4, 'RND', 'SAT_SYM')), quantize(-19, F(4, 4, 'RND', 'SAT_SYM'))]).toEqual([7, -7]);
    expect(quantize(-8, F(4, 4, 'TRN', 'SAT_SYM'))).toBe(-7);
    expect([quantize(19, U(4, 4, 'RND', 'SAT_SYM')), quantize(-19, U(4, 4, 'RND', 'SAT_SYM'))]).toEqual([15, 0]);
    expect(quantize(-3, F(1, 1, 'TRN', 'SAT_SYM'))).toBe(-1); // W = 1: the pattern 1 is both minimum and symmetric minimum
  });
  it('AP_WRAP keeps the low bits', () => {
    expect([quantize(31, F(4, 4, 'RND')), quantize(-19, F(4, 4, 'RND')), quantize(19, U(4, 4, 'RND')), quantize(-19, U(4, 4, 'RND'))]).toEqual([-1, -3, 3, 13]);
    expect(quantize(8.5, F(8, 4))).toBe(-7.5);
  });
  it('AP_WRAP with N saturation bits saturates the top N bits', () => {
    // 19 = 0b10011 into 4 bits: low bits 0011; N=1 forces the sign bit to the source sign (0): 3; N=2: 0111 -> 7.
    expect(quantize(19, F(4, 4, 'TRN', 'WRAP', 1))).toBe(3);
    expect(quantize(19, F(4, 4, 'TRN', 'WRAP', 2))).toBe(7);
    // -19 = ...101101: low bits 1101 (-3); N=1: sign 1 -> -3; N=2: bits 10 on top -> 1001 = -7.
    expect(quantize(-19, F(4, 4, 'TRN', 'WRAP', 1))).toBe(-3);
    expect(quantize(-19, F(4, 4, 'TRN', 'WRAP', 2))).toBe(-7);
    // unsigned: the top N bits become ones on any overflow: 19 -> 0011 -> N=2: 1111.
    expect(quantize(19, U(4, 4, 'TRN', 'WRAP', 2))).toBe(15);
  });
  it('AP_WRAP_SM wraps in sign-magnitude fashion', () => {
    // 9 = 0b01001 into 4 bits: kept 1001, deleted bit above = 0 differs from kept MSB 1 -> invert (0110), MSB := 0 -> 6.
    expect(quantize(9, F(4, 4, 'TRN', 'WRAP_SM'))).toBe(6);
    // -9 = ...10111: kept 0111, deleted bit 1 differs from MSB 0 -> invert (1000), MSB := 1 -> -8.
    expect(quantize(-9, F(4, 4, 'TRN', 'WRAP_SM'))).toBe(-8);
    // N = 1: 9 -> kept 1001, sign of the source 0 differs from MSB -> invert -> 0110 = 6, MSB := 0.
    expect(quantize(9, F(4, 4, 'TRN', 'WRAP_SM', 1))).toBe(6);
    expect(() => U(4, 4, 'TRN', 'WRAP_SM')).toThrow(/WRAP_SM/);
  });
});

describe('types, result types and exact arithmetic', () => {
  it('I negative and I > W', () => {
    expect(quantize(0.1, F(4, -2))).toBe(0.09375); // LSB 2^-6, range [-0.125, 0.109375]
    expect(typeRange(F(4, -2))).toEqual({ min: -0.125, max: 0.109375, lsb: 2 ** -6 });
    expect(quantize(100, F(4, 8))).toBe(96); // LSB 16
    expect(quantize(-100, F(4, 8, 'RND'))).toBe(-96);
  });
  it('result types follow the vendor rules for mixed signedness', () => {
    expect(resultType('add', F(8, 3), U(8, 3))).toMatchObject({ signed: true, width: 10, integer: 5 });
    expect(resultType('add', U(8, 3), U(6, 1))).toMatchObject({ signed: false, width: 9, integer: 4 });
    expect(resultType('sub', U(8, 3), U(6, 1))).toMatchObject({ signed: true, width: 9, integer: 4 });
    expect(resultType('mul', F(8, 3), U(6, 1))).toMatchObject({ signed: true, width: 14, integer: 4 });
  });
  it('arithmetic is exact in the result type', () => {
    const a = fx(1.25, F(16, 6)), b = fx(-2.5, F(16, 6));
    expect(toNumber(mul(a, b))).toBe(-3.125);
    expect(toNumber(add(a, b))).toBe(-1.25);
    expect(toNumber(sub(fx(0, U(4, 2)), fx(3.75, U(4, 2))))).toBe(-3.75);
    // 100-bit operands: exact beyond doubles
    const big = { raw: (1n << 99n) - 1n, type: F(101, 101) };
    expect(mul(big, big).raw).toBe(((1n << 99n) - 1n) ** 2n);
  });
  it('integer types convert like a C cast (toward zero) and print as ap_int', () => {
    expect(quantize(-2.7, intType(8))).toBe(-2);
    expect(quantize(300, intType(8, false))).toBe(44);
    expect(cppType(intType(8))).toBe('ap_int<8>');
    expect(formatType(F(16, 6, 'RND_CONV', 'SAT'))).toBe('fixed<16,6,RND_CONV,SAT>');
    expect(cppType(F(16, 6, 'RND_CONV', 'SAT'))).toBe('ap_fixed<16,6,AP_RND_CONV,AP_SAT>');
  });
  it('bulk quantization matches the scalar rule and handles wide types', () => {
    const t = F(10, 3, 'RND_CONV', 'SAT');
    const xs = Float64Array.from({ length: 1000 }, (_, i) => (i - 500) / 37);
    const q = quantizeArray(Float64Array.from(xs), t);
    xs.forEach((x, i) => expect(q[i]).toBe(quantize(x, t)));
    const codes = quantizeCodes([1.5, -1.5, 100], t);
    expect(Array.from(codes)).toEqual([1.5 * 128, -1.5 * 128, 511]);
    expect(quantize(1 / 3, F(80, 2, 'RND'))).toBe(Number(rawFromNumber(1 / 3, F(80, 2, 'RND'))) / 2 ** 78);
  });
});

describe.skipIf(!haveGxx())('host headers compile cleanly', () => {
  it('with -Wall -Wextra -Werror at C++14 and C++17', () => {
    const dir = mkdtempSync(join(tmpdir(), 'firmflow-hdr-'));
    try {
      const src = join(dir, 'use.cpp');
      writeFileSync(src, `#include "ap_int.h"
#include "ap_fixed.h"
#include "hls_stream.h"
#include <cstdio>
typedef ap_fixed<16, 6, AP_RND_CONV, AP_SAT> data_t;
int main() {
  data_t x = 1.25, y = -2.5;
  ap_fixed<32, 12> p = x * y;
  ap_int<70> big = ap_int<70>(1) << 68;
  ap_uint<8> u = 200;
  ap_fixed<24, 8> acc = 0;
  for (int i = 0; i < 4; ++i) acc += x * y;
  hls::stream<data_t> s;
  s.write(x);
  data_t z = s.read();
  bool ok = (p == -3.125) && (acc == -12.5) && (u > 100) && (z == x) && (big.range(69, 60).to_uint() == 256u) && x[0] == 0;
  int i = x.to_int();
  double d = y.to_double();
  std::printf("%d %d %g %d %d\\n", ok ? 1 : 0, i, d, (int)data_t::width, (int)data_t::iwidth);
  return ok ? 0 : 1;
}
`);
      for (const std of ['c++14', 'c++17']) {
        const exe = join(dir, `use-${std}`);
        execFileSync('g++', [`-std=${std}`, '-Wall', '-Wextra', '-Werror', '-O1', `-I${AP_TYPES_DIR}`, src, '-o', exe], { stdio: 'pipe' });
        expect(execFileSync(exe).toString().trim()).toBe('1 1 -2.5 16 6');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
