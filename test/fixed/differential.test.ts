import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixedType, OverflowMode, RoundingMode } from '../../src/ir/types.js';
import { add, compare, convertRaw, div, fracBits, mul, neg, quantizeCode, rawFromNumber, ROUNDING_MODES, shiftLeft, shiftRight, sub, toInt, rawToNumber, type Fx } from '../../src/fixed/index.js';
import { Driver, haveGxx } from './cpp-driver.js';
import { mulberry32 } from '../../src/util/random.js';

/*
 * Differential test: the g++-compiled host headers (backends/vitis/templates/ap_types) against the TypeScript library,
 * bit for bit. Every exhaustive case set is enumerated the same way on both sides; codes are compared as
 * unsigned W-bit patterns.
 */

const HAVE_GXX = haveGxx();
if (!HAVE_GXX) console.warn('[firmflow tests] g++ not found: the C++/TypeScript differential test is skipped.');

const OVERFLOWS: { o: OverflowMode; n: number }[] = [
  { o: 'SAT', n: 0 }, { o: 'SAT_ZERO', n: 0 }, { o: 'SAT_SYM', n: 0 },
  { o: 'WRAP', n: 0 }, { o: 'WRAP', n: 1 }, { o: 'WRAP', n: 2 },
  { o: 'WRAP_SM', n: 0 }, { o: 'WRAP_SM', n: 1 }, { o: 'WRAP_SM', n: 2 },
];

const T = (signed: boolean, width: number, integer: number, rounding: RoundingMode = 'TRN', overflow: OverflowMode = 'WRAP', satBits = 0): FixedType =>
  satBits ? { signed, width, integer, rounding, overflow, satBits } : { signed, width, integer, rounding, overflow };

/** Every mode combination for W <= 8 and I negative, 0, between, W and beyond W. */
function smallTypes(widths: number[]): FixedType[] {
  const out: FixedType[] = [];
  for (const w of widths) {
    for (const i of [-2, 0, Math.ceil(w / 2), w, w + 3]) {
      for (const s of [true, false]) {
        for (const q of ROUNDING_MODES) {
          for (const { o, n } of OVERFLOWS) {
            if (o === 'WRAP_SM' && !s) continue;
            out.push(T(s, w, i, q, o, n));
          }
        }
      }
    }
  }
  return out;
}

const hexCode = (raw: bigint, t: FixedType): string => BigInt.asUintN(t.width, raw).toString(16);
const outCode = (raw: bigint, t: FixedType): string => (t.width <= 64 ? BigInt.asUintN(t.width, raw).toString() : BigInt.asUintN(t.width, raw).toString(16));
const allCodes = (t: FixedType): bigint[] => {
  const n = 1n << BigInt(t.width);
  const out: bigint[] = [];
  for (let u = 0n; u < n; u++) out.push(t.signed && u >= n / 2n ? u - n : u);
  return out;
};

// Deterministic PRNG so failures reproduce.
const rng = mulberry32;
function randomCode(t: FixedType, r: () => number): bigint {
  let u = 0n;
  for (let b = 0; b < t.width; b += 16) u = (u << 16n) | BigInt(Math.floor(r() * 65536));
  u = BigInt.asUintN(t.width, u);
  return t.signed ? BigInt.asIntN(t.width, u) : u;
}
function doubleBits(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16);
}

interface Job { input: string; expected: string; what: string }

describe.skipIf(!HAVE_GXX)('C++ ap_types headers agree with the TypeScript library bit for bit', () => {
  const drv = new Driver();
  const jobs: Job[] = [];
  let outputs: string[] = [];
  let fastPathMismatches: string[] = [];

  beforeAll(() => {
    const tStart = Date.now();
    const r = rng(12345);
    // 1. The conversion rule for every mode combination, W <= 8, I in {-2, 0, W/2, W, W+3}, both signs (runtime-spec
    //    core, which every typed conversion forwards to): a dense grid of every multiple of a quarter LSB across
    //    twice the type's range (exact ties, every representable value, overflow on both sides), wrap-around
    //    multiples, and every code of several source types (casts).
    const X = drv.spec();
    const Q_IDX: Record<RoundingMode, number> = { RND: 0, RND_ZERO: 1, RND_MIN_INF: 2, RND_INF: 3, RND_CONV: 4, TRN: 5, TRN_ZERO: 6 };
    const O_IDX: Record<OverflowMode, number> = { SAT: 0, SAT_ZERO: 1, SAT_SYM: 2, WRAP: 3, WRAP_SM: 4 };
    const specOf = (t: FixedType): string => `${t.width} ${t.integer} ${t.signed ? 1 : 0} ${Q_IDX[t.rounding]} ${O_IDX[t.overflow]} ${t.satBits ?? 0}`;
    const sources = [T(true, 8, 3), T(false, 8, 5), T(true, 7, -1), T(true, 8, 10), T(false, 6, 6), T(true, 9, 2)];
    const grid = (t: FixedType, f2: number, s2: boolean, k0: number, k1: number, what: string): void => {
      const exp: string[] = [];
      for (let k = k0; k <= k1; k++) exp.push(outCode(convertRaw(BigInt(k), f2, t), t));
      jobs.push({ input: `${X} ${specOf(t)} ${f2} ${s2 ? 1 : 0} g ${k0} ${k1}`, expected: exp.join(' '), what });
    };
    for (const t of smallTypes([1, 2, 3, 4, 5, 6, 7, 8])) {
      const f = fracBits(t);
      const kmax = 2 ** (t.width + 2) + 5;
      grid(t, f + 2, true, -kmax, kmax, `grid -> ${JSON.stringify(t)}`);
      grid(t, 1 - t.integer, true, -9, 9, `wrap multiples -> ${JSON.stringify(t)}`);
      for (const a of sources) {
        const lo = a.signed ? -(2 ** (a.width - 1)) : 0, hi = a.signed ? 2 ** (a.width - 1) - 1 : 2 ** a.width - 1;
        grid(t, fracBits(a), a.signed, lo, hi, `cast ${JSON.stringify(a)} -> ${JSON.stringify(t)}`);
      }
      for (let k = -kmax; k <= kmax; k++) {
        const x = k * 2 ** (-f - 2);
        const fast = quantizeCode(x, t);
        const raw = convertRaw(BigInt(k), f + 2, t);
        if (BigInt(fast) !== raw && fastPathMismatches.length < 10) fastPathMismatches.push(`${JSON.stringify(t)} x=${x}: fast ${fast}, exact ${raw}`);
      }
    }
    // 2. The typed public API (ap_fixed/ap_ufixed constructors from double, assignment between types) on a
    //    diagonal of the same space: each (W, I, sign) with three rotating mode pairs.
    const specials = [0, -0, 1e300, -1e300, 5e-324, -5e-324, Infinity, -Infinity, 2 ** 60 + 2 ** 8, -(2 ** 53) - 2, 0.1, -0.7];
    const all = smallTypes([1, 2, 3, 4, 5, 6, 7, 8]);
    const diagonal = all.filter((_, i) => i % 37 === 0 || i % 41 === 0);
    diagonal.forEach((t, idx) => {
      const f = fracBits(t);
      const kmax = 2 ** (t.width + 2) + 5;
      const exp: string[] = [];
      for (let k = -kmax; k <= kmax; k++) exp.push(outCode(convertRaw(BigInt(k), f + 2, t), t));
      jobs.push({ input: `${drv.fromDoubles(t)} g ${-kmax} ${kmax} ${-f - 2}`, expected: exp.join(' '), what: `typed double grid -> ${JSON.stringify(t)}` });
      const xs = [...specials, ...Array.from({ length: 30 }, () => (r() - 0.5) * 2 ** Math.floor(r() * 20 - 8))];
      jobs.push({ input: `${drv.fromBits(t)} b ${xs.length} ${xs.map(doubleBits).join(' ')}`, expected: xs.map((x) => outCode(rawFromNumber(x, t), t)).join(' '), what: `typed random doubles -> ${JSON.stringify(t)}` });
      const a = sources[idx % sources.length];
      const codes = allCodes(a);
      jobs.push({
        input: `${drv.cast(a, t)} ${codes.length} ${codes.map((c) => hexCode(c, a)).join(' ')}`,
        expected: codes.map((c) => outCode(convertRaw(c, fracBits(a), t), t)).join(' '),
        what: `typed cast ${JSON.stringify(a)} -> ${JSON.stringify(t)}`,
      });
    });
    // 4. Arithmetic and comparisons between small types: all operand pairs (sampled when the product is large).
    const operands = [T(true, 4, 2), T(false, 4, 2), T(true, 5, -1), T(false, 3, 5), T(true, 6, 6, 'TRN_ZERO'), T(false, 3, 3, 'TRN_ZERO'), T(true, 8, 3), T(true, 1, 1)];
    for (const a of operands) {
      for (const b of operands) {
        let pairs: [bigint, bigint][] = [];
        if (a.width + b.width <= 10) for (const x of allCodes(a)) for (const y of allCodes(b)) pairs.push([x, y]);
        else pairs = Array.from({ length: 600 }, () => [randomCode(a, r), randomCode(b, r)]);
        const enc = pairs.map(([x, y]) => `${hexCode(x, a)} ${hexCode(y, b)}`).join(' ');
        for (const op of ['+', '-', '*'] as const) {
          const f = op === '+' ? add : op === '-' ? sub : mul;
          const res = pairs.map(([x, y]) => f({ raw: x, type: a }, { raw: y, type: b }));
          const rt = res[0].type;
          jobs.push({
            input: `${drv.binop(op, a, b)} ${pairs.length} ${enc}`,
            expected: `T${rt.width},${rt.integer},${rt.signed ? 1 : 0} ` + res.map((z) => outCode(z.raw, z.type)).join(' '),
            what: `${JSON.stringify(a)} ${op} ${JSON.stringify(b)}`,
          });
        }
        const nz = pairs.filter(([, y]) => y !== 0n);
        if (nz.length) {
          const res = nz.map(([x, y]) => div({ raw: x, type: a }, { raw: y, type: b }));
          const rt = res[0].type;
          jobs.push({
            input: `${drv.binop('/', a, b)} ${nz.length} ${nz.map(([x, y]) => `${hexCode(x, a)} ${hexCode(y, b)}`).join(' ')}`,
            expected: `T${rt.width},${rt.integer},${rt.signed ? 1 : 0} ` + res.map((z) => outCode(z.raw, z.type)).join(' '),
            what: `${JSON.stringify(a)} / ${JSON.stringify(b)}`,
          });
        }
        jobs.push({
          input: `${drv.binop('cmp', a, b)} ${pairs.length} ${enc}`,
          expected: pairs.map(([x, y]) => {
            const c = compare({ raw: x, type: a }, { raw: y, type: b });
            return String((c < 0 ? 1 : 0) | (c === 0 ? 2 : 0) | (c > 0 ? 4 : 0) | (c <= 0 ? 8 : 0) | (c >= 0 ? 16 : 0) | (c !== 0 ? 32 : 0));
          }).join(' '),
          what: `compare ${JSON.stringify(a)} ${JSON.stringify(b)}`,
        });
      }
    }
    // 5. Randomized wide types (multiword beyond 64 bits): arithmetic, casts with modes, doubles, unary ops.
    const wide = [T(true, 16, 6), T(false, 31, 1), T(true, 33, 40), T(true, 64, 20), T(false, 64, 64, 'TRN_ZERO'), T(true, 65, 3), T(true, 100, 50), T(false, 127, -5), T(true, 128, 64), T(true, 200, 90)];
    for (const a of wide) {
      for (const b of wide) {
        if (r() < 0.5 && a !== b) continue;
        const pairs: [bigint, bigint][] = Array.from({ length: 40 }, () => [randomCode(a, r), randomCode(b, r)]);
        const enc = pairs.map(([x, y]) => `${hexCode(x, a)} ${hexCode(y, b)}`).join(' ');
        for (const op of ['+', '-', '*'] as const) {
          const f = op === '+' ? add : op === '-' ? sub : mul;
          const res = pairs.map(([x, y]) => f({ raw: x, type: a }, { raw: y, type: b }));
          const rt = res[0].type;
          jobs.push({ input: `${drv.binop(op, a, b)} ${pairs.length} ${enc}`, expected: `T${rt.width},${rt.integer},${rt.signed ? 1 : 0} ` + res.map((z) => outCode(z.raw, z.type)).join(' '), what: `wide ${JSON.stringify(a)} ${op} ${JSON.stringify(b)}` });
        }
        jobs.push({
          input: `${drv.binop('cmp', a, b)} ${pairs.length} ${enc}`,
          expected: pairs.map(([x, y]) => { const c = compare({ raw: x, type: a }, { raw: y, type: b }); return String((c < 0 ? 1 : 0) | (c === 0 ? 2 : 0) | (c > 0 ? 4 : 0) | (c <= 0 ? 8 : 0) | (c >= 0 ? 16 : 0) | (c !== 0 ? 32 : 0)); }).join(' '),
          what: `wide compare ${JSON.stringify(a)} ${JSON.stringify(b)}`,
        });
      }
      for (const d of smallTypes([5]).filter((_, i) => i % 7 === 0).concat(smallTypes([8]).filter((_, i) => i % 11 === 0))) {
        const codes = Array.from({ length: 20 }, () => randomCode(a, r));
        jobs.push({ input: `${X} ${specOf(d)} ${fracBits(a)} ${a.signed ? 1 : 0} l ${codes.length} ${codes.map((c) => BigInt.asUintN(256, c).toString(16)).join(' ')}`, expected: codes.map((c) => outCode(convertRaw(c, fracBits(a), d), d)).join(' '), what: `wide spec cast ${JSON.stringify(a)} -> ${JSON.stringify(d)}` });
      }
      const targets = [T(true, 12, 4, 'RND_CONV', 'SAT'), T(false, 70, 30, 'RND', 'SAT_SYM'), T(true, 130, 60, 'RND_INF', 'WRAP', 3), T(true, 40, 10, 'RND_MIN_INF', 'WRAP_SM'), T(true, 96, 96, 'TRN_ZERO', 'SAT_ZERO'), T(false, 70, 70, 'TRN_ZERO'), T(false, 8, 2, 'RND_ZERO', 'WRAP')];
      for (const d of targets) {
        const codes = Array.from({ length: 60 }, () => randomCode(a, r));
        jobs.push({ input: `${drv.cast(a, d)} ${codes.length} ${codes.map((c) => hexCode(c, a)).join(' ')}`, expected: codes.map((c) => outCode(convertRaw(c, fracBits(a), d), d)).join(' '), what: `wide cast ${JSON.stringify(a)} -> ${JSON.stringify(d)}` });
      }
      const xs = Array.from({ length: 40 }, () => (r() - 0.5) * 2 ** Math.floor(r() * 140 - 60));
      jobs.push({ input: `${drv.fromBits(a)} b ${xs.length} ${xs.map(doubleBits).join(' ')}`, expected: xs.map((x) => outCode(rawFromNumber(x, a), a)).join(' '), what: `wide doubles -> ${JSON.stringify(a)}` });
    }
    // 6. Unary minus, to_double, to_int and shifts (every code of small types, random codes of wide ones).
    for (const a of [...operands, ...wide]) {
      const codes = a.width <= 8 ? allCodes(a) : Array.from({ length: 50 }, () => randomCode(a, r));
      const shifts = codes.map((_, i) => i % (a.width + 2));
      const n0 = neg({ raw: codes[0], type: a }).type;
      const exp = codes.map((c, i) => {
        const x: Fx = { raw: c, type: a };
        const m = neg(x);
        const d = rawToNumber(c, a);
        const hex = cHexFloat(d);
        return `${outCode(m.raw, m.type)} ${hex} ${toInt(x)} ${outCode(shiftLeft(x, shifts[i]).raw, a)} ${outCode(shiftRight(x, shifts[i]).raw, a)}`;
      });
      jobs.push({ input: `${drv.unary(a)} ${codes.length} ${codes.map((c, i) => `${hexCode(c, a)} ${shifts[i]}`).join(' ')}`, expected: `T${n0.width},${n0.integer} ` + exp.join(' '), what: `unary ${JSON.stringify(a)}` });
    }
    const t0 = Date.now();
    drv.compile();
    const t1 = Date.now();
    outputs = drv.run(jobs.map((j) => j.input));
    console.log(`differential: ${jobs.length} case lines, generate ${t0 - tStart} ms, compile ${t1 - t0} ms, run ${Date.now() - t1} ms`);
  });

  afterAll(() => drv.dispose());

  it('the TypeScript double fast path equals the exact BigInt conversion', () => {
    expect(fastPathMismatches).toEqual([]);
  });

  it('every case agrees', () => {
    expect(outputs.length).toBe(jobs.length);
    const bad: string[] = [];
    jobs.forEach((j, i) => {
      const got = outputs[i].trim();
      if (got !== j.expected) {
        const g = got.split(' '), e = j.expected.split(' ');
        const k = g.findIndex((v, n) => v !== e[n]);
        bad.push(`${j.what}: first difference at item ${k}: C++ ${g[k]} vs TS ${e[k]}`);
      }
    });
    expect(bad.slice(0, 15)).toEqual([]);
    expect(jobs.length).toBeGreaterThan(5000);
  });
});

/** printf("%a") spelling of a double, as glibc writes it. */
function cHexFloat(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0x0p+0' : '0x0p+0';
  const s = d < 0 ? '-' : '';
  let a = Math.abs(d);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e < -1022) {
    // subnormal: glibc prints 0x0.xxxp-1022
    const m = a / 2 ** -1022;
    return `${s}0x0.${fracHex(m)}p-1022`;
  }
  const m = a / 2 ** e;
  const fh = fracHex(m - 1);
  return `${s}0x1${fh ? '.' + fh : ''}p${e >= 0 ? '+' : ''}${e}`;
}
function fracHex(f: number): string {
  let out = '';
  for (let i = 0; i < 13 && f > 0; i++) {
    f *= 16;
    const d = Math.floor(f);
    out += d.toString(16);
    f -= d;
  }
  return out;
}
