// Sigmoid and Tanh on the AIE (activation.ts, elementwise.h LookupInt8 / LookupBf16): table lookups whose tables are
// computed once in TypeScript, so the kernels are exact by construction:
// - int mode: every int8 input code maps to the output quantizer's rounding of f(x) (bit-exact against onnxruntime's
//   float32 f then QuantizeLinear, except where onnxruntime's float32 value sits within its own rounding of a
//   rounding boundary: those elements are counted and checked one by one);
// - bf16 mode: the result is bf16(f(x)) of the bf16 input, checked on all 65536 bf16 inputs; against onnxruntime's
//   float32 f of the float32 input it is within half a bf16 ulp of |y| plus the input rounding's effect L |x - bf16(x)|
//   (L = 1/4 Sigmoid, 1 Tanh) plus onnxruntime's own float32 error (2^-20 |y| + 2^-23: its Sigmoid is accurate to
//   about 2^-24 absolute, e.g. 8.9e-8 for sigmoid(-17) = 4.1e-8, and returns 0 from x = -18 on, where the AIE table
//   gives bf16(sigmoid(x)) down to the bf16 subnormals);
// - the host run (g++ against the host model) equals the emulator bit for bit, whole and split over casNum 2 and 3.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convert, Graph, isFirmflowError, loadModel, ensureSharedFlows, runFlows, type FirmflowError } from 'firmflow';
import { ModelBuilder } from 'firmflow';
import {
  activationValue, bf16ActivationExact, bf16ActivationLookup, bf16ActivationTable, intActivationTable, type ActivationFn,
} from '../src/numerics/activation.js';
import { bf16FromBits, bf16Round, bf16RoundExact } from '../src/numerics/bf16.js';
import { compileHost, openProject } from '../src/index.js';
import type { AieGraphMeta, AieLayer } from '../src/lowered.js';
import { traceGraph } from '../src/trace.js';
import { hasCxx, scratchDir } from './harness.js';
import { fx, plan } from './planning/helpers.js';
import { QdqModelBuilder } from './qdq-builder.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-sigtanh-');

type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;
type Project = Awaited<ReturnType<typeof convert>> & { graph: Graph; emulate: (i: unknown, o?: unknown) => Out };

const layerOf = (p: Project, name: string): AieLayer => p.graph.node(name).meta['aie'] as AieLayer;

/** Distance of v from the nearest rounding boundary (a half-integer) of round-to-nearest. */
const fromBoundary = (v: number): number => Math.abs(v - Math.floor(v) - 0.5);

describe('int8 tables (intActivationTable)', () => {
  const layer = (fn: ActivationFn, fa: number, fo: number, out: 'int8' | 'int16' = 'int8', extra: Partial<AieLayer> = {}): AieLayer =>
    ({ attrs: { fn }, frac: { a: fa, out: fo }, dtype: { a: 'int8', out, acc: 'acc32' }, rounding: 'conv_even', saturate: true, ...extra }) as unknown as AieLayer;

  it('hand-checked entries: round half even of f(x) 2^frac_out, saturated to the output type', () => {
    const s = intActivationTable(layer('sigmoid', 4, 7)).table;
    expect(s[128]).toBe(64); // sigmoid(0) 128 = 64 exactly
    expect(s[128 + 16]).toBe(94); // sigmoid(1) 128 = 93.57
    expect(s[128 - 16]).toBe(34); // sigmoid(-1) 128 = 34.43
    expect(s[255]).toBe(127); // sigmoid(7.9375) 128 = 127.95 -> 128, saturated to 127
    expect(s[0]).toBe(0); // sigmoid(-8) 128 = 0.043
    const t = intActivationTable(layer('tanh', 5, 7)).table;
    expect(t[128]).toBe(0);
    expect(t[128 + 32]).toBe(97); // tanh(1) 128 = 97.48
    expect(t[0]).toBe(-128); // tanh(-4) 128 = -127.91
    expect(t[255]).toBe(127); // tanh(3.97) 128 = 127.91 -> 128, saturated
    // An exact tie: sigmoid(0) = 0.5 at frac_out 0 rounds to even (0); positive_inf rounds it up.
    expect(intActivationTable(layer('sigmoid', 4, 0)).table[128]).toBe(0);
    expect(intActivationTable(layer('sigmoid', 4, 0, 'int8', { rounding: 'positive_inf' })).table[128]).toBe(1);
    // int16 output codes at 2^-14, and a narrow (4-bit, codes [-8, 7]) output's clamp.
    const w = intActivationTable(layer('tanh', 4, 14, 'int16')).table;
    expect(w[128 + 8]).toBe(Math.round(Math.tanh(0.5) * 2 ** 14));
    const n = intActivationTable(layer('tanh', 4, 3, 'int8', { clamp: { min: -8, max: 7 } }));
    expect(n.table[255]).toBe(7);
    expect(n.table[0]).toBe(-8);
    expect(n.saturated[255]).toBe(1);
  });

  it('every entry of every (frac_in, frac_out) in 0..8 x 0..14 lies at least 1e-9 from a rounding boundary (double f is ample)', () => {
    let min = Infinity;
    for (const fn of ['sigmoid', 'tanh'] as const) {
      for (let fa = 0; fa <= 8; fa++) {
        for (let fo = 0; fo <= 14; fo++) {
          for (let c = -128; c < 128; c++) {
            if (c === 0) continue; // f(0) = 0.5 / 0: exact in double
            min = Math.min(min, fromBoundary(activationValue(fn, c * 2 ** -fa) * 2 ** fo));
          }
        }
      }
    }
    expect(min).toBeGreaterThan(1e-9);
  });
});

describe('bf16 tables (bf16ActivationTable)', () => {
  it('cover the exponent fields where f is not constant (sigmoid [119, 134): 7.5 KiB; tanh [123, 129): 3 KiB)', () => {
    const s = bf16ActivationTable('sigmoid'), t = bf16ActivationTable('tanh');
    expect([s.e0, s.e1, s.table.byteLength]).toEqual([119, 134, 7680]);
    expect([t.e0, t.e1, t.table.byteLength]).toEqual([123, 129, 3072]);
  });

  it.each(['sigmoid', 'tanh'] as const)('%s: the lookup equals bf16(f(x)) on all 65536 bf16 inputs; f in double is >= 2^-30 ulp from every rounding boundary', (fn) => {
    const t = bf16ActivationTable(fn);
    let mismatches = 0, minMargin = Infinity;
    for (let b = 0; b < 65536; b++) {
      const x = bf16FromBits(b);
      if (Number.isNaN(x)) { expect(bf16ActivationLookup(t, b)).toBe(b); continue; }
      const want = bf16ActivationExact(fn, b);
      if (bf16ActivationLookup(t, b) !== want) mismatches++;
      // The boundary check: f(x) scaled to its bf16 grid (normal results, and not an exact value).
      const y = Math.abs(activationValue(fn, x));
      if (y >= 2 ** -126 && x !== 0 && Number.isFinite(x)) {
        const q = 2 ** (Math.floor(Math.log2(y)) - 7);
        const m = fromBoundary(y / q);
        if (y !== 1 && y / q !== Math.round(y / q)) minMargin = Math.min(minMargin, m);
      }
    }
    expect(mismatches).toBe(0);
    expect(minMargin).toBeGreaterThan(2 ** -30);
  });

  it('hand-checked values: sigmoid(1) = 0.73046875, tanh(1) = 0.76171875, saturations, tanh(tiny) = x', () => {
    const s = bf16ActivationTable('sigmoid'), t = bf16ActivationTable('tanh');
    const f = (tb: typeof s, x: number): number => bf16FromBits(bf16ActivationLookup(tb, new Uint16Array(new Float32Array([x]).buffer)[1]));
    expect(f(s, 1)).toBe(0.73046875);
    expect(f(t, 1)).toBe(0.76171875);
    expect(f(s, 0)).toBe(0.5);
    expect(f(s, 2 ** -10)).toBe(0.5);
    expect(f(s, 10)).toBe(1);
    expect(f(s, -200)).toBe(0);
    expect(f(s, -Infinity)).toBe(0);
    expect(f(t, -Infinity)).toBe(-1);
    expect(f(t, 2 ** -20)).toBe(2 ** -20);
    expect(f(t, -3.5)).toBe(-1);
    // sigmoid(-90) = 8.2e-40 is a bf16 subnormal (grid 2^-133), rounded from double directly.
    expect(f(s, -90)).toBe(bf16RoundExact(Math.exp(-90) / (1 + Math.exp(-90))));
    expect(f(s, -90)).toBeGreaterThan(0);
  });
});

// ------------------------------------------------------------------------------------------------- int8 QDQ models

/** x [N, 16] -> Q/DQ(2^-fa) -> f -> Q/DQ(2^-fo) -> y. */
function qdqAct(op: 'Sigmoid' | 'Tanh', fa: number, fo: number): Uint8Array {
  const m = new QdqModelBuilder(13, 1);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 16]);
  const xq = m.qdq('x', 2 ** -fa, 'xq');
  m.node(op, [xq], ['f'], {}, { name: `${op.toLowerCase()}_node` });
  m.qdq('f', 2 ** -fo, 'y');
  return m.toBytes();
}

/** x -> Q/DQ -> Dense(16x16) -> Q/DQ(2^-4) -> Sigmoid -> Q/DQ(2^-7) -> Dense(16x16) -> Q/DQ(2^-4) -> Tanh -> Q/DQ(2^-7). */
function qdqChain(): Uint8Array {
  const m = new QdqModelBuilder(13, 5);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 16]);
  const xq = m.qdq('x', 2 ** -4, 'xq');
  const h = m.dense(xq, 'fc1', 16, 16, false, 'h');
  m.node('Sigmoid', [h], ['s'], {}, { name: 'sig' });
  const sq = m.qdq('s', 2 ** -7, 'sq');
  const h2 = m.dense(sq, 'fc2', 16, 16, false, 'h2', { weightScale: 2 ** -5 });
  m.node('Tanh', [h2], ['t'], {}, { name: 'tanh' });
  m.qdq('t', 2 ** -7, 'y');
  return m.toBytes();
}

/** Every int8 code once (256 values on the input grid), then random values in +-9 (clipped codes included). */
function allCodes(fa: number, extraRows: number, seed: number): Float32Array {
  const r = lcg(seed);
  const x = new Float32Array(256 + extraRows * 16);
  for (let c = -128; c < 128; c++) x[c + 128] = c * 2 ** -fa;
  for (let i = 256; i < x.length; i++) x[i] = (r() * 2 - 1) * 9;
  return x;
}

async function runOrt(model: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model);
  return (await s.run({ x: new ort.Tensor('float32', x, [x.length / 16, 16]) }))['y'].data as Float32Array;
}

describe('int8 QDQ Sigmoid / Tanh against onnxruntime', () => {
  it.each([
    { op: 'Sigmoid' as const, fa: 4, fo: 7 }, { op: 'Sigmoid' as const, fa: 5, fo: 8 }, { op: 'Sigmoid' as const, fa: 2, fo: 3 },
    { op: 'Tanh' as const, fa: 5, fo: 7 }, { op: 'Tanh' as const, fa: 3, fo: 6 }, { op: 'Tanh' as const, fa: 6, fo: 2 },
  ])('$op, input 2^-$fa, output 2^-$fo: every int8 code, bit-exact except at onnxruntime float32 rounding boundaries', async ({ op, fa, fo }) => {
    const model = qdqAct(op, fa, fo);
    const p = (await convert(model, { backend: 'AIE', projectName: 'act' })) as Project;
    const l = layerOf(p, `${op.toLowerCase()}_node`);
    expect(l.kernel).toBe('activation');
    expect(l.attrs['fn']).toBe(op.toLowerCase());
    expect(l.dtype).toMatchObject({ a: 'int8', out: 'int8' });
    expect(l.frac).toMatchObject({ a: fa, out: fo });
    const x = allCodes(fa, 8, fa * 10 + fo);
    const emu = p.emulate({ x: { shape: [x.length / 16, 16], data: x } }, {});
    const ref = await runOrt(model, x);
    const fn = op === 'Sigmoid' ? 'sigmoid' : 'tanh';
    const codesIn = new Set<number>();
    let boundary = 0;
    for (let i = 0; i < ref.length; i++) {
      const xc = Math.max(-128, Math.min(127, Math.round(x[i] * 2 ** fa)));
      codesIn.add(xc);
      if (emu['y'].data[i] === ref[i]) continue;
      // Allowed only where the exact f(x) 2^fo is within float32 rounding (2^-21 relative) of a boundary, and off
      // by one code.
      const v = activationValue(fn, xc * 2 ** -fa) * 2 ** fo;
      expect(fromBoundary(v), `element ${i}: code ${xc}, emulator ${emu['y'].data[i]}, onnxruntime ${ref[i]}`).toBeLessThanOrEqual(2 ** -21 * Math.abs(v));
      expect(Math.abs(emu['y'].data[i] - ref[i])).toBe(2 ** -fo);
      boundary++;
    }
    expect(codesIn.size).toBe(256);
    // Measured: no element of these six tables lies that close to a boundary.
    expect(boundary).toBe(0);
  });

  it('Dense -> Sigmoid -> Dense -> Tanh: bit-exact against onnxruntime, and the trace explains every layer', async () => {
    const model = qdqChain();
    const p = (await convert(model, { backend: 'AIE', projectName: 'chain' })) as Project;
    expect(layerOf(p, 'sig').kernel).toBe('activation');
    expect(layerOf(p, 'tanh').kernel).toBe('activation');
    const x = allCodes(4, 32, 3);
    const feed = { x: { shape: [x.length / 16, 16], data: x } };
    const emu = p.emulate(feed, {});
    expect(Array.from(emu['y'].data)).toEqual(Array.from(await runOrt(model, x)));
    const ref = loadModel(model);
    ensureSharedFlows();
    runFlows(ref, ['optimize']);
    const t = traceGraph(p.graph, feed as never, { reference: ref });
    expect(t.firstUnexplained, t.text).toBeUndefined();
    for (const name of ['sig', 'tanh']) expect(t.layers.find((r) => r.node === name)!.maxAbsError).toBe(0);
  });

  it('an int16 input is refused by name (a 64 Ki-entry table); the input must be int8', () => {
    const g = new Graph('wide');
    g.addTensor({ name: 'x', shape: ['N', 8], precision: fx(16, 8) });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.addTensor({ name: 's', shape: ['N', 8], precision: fx(8, 7) });
    g.addNode({ name: 'wide_sigmoid', op: 'Sigmoid', inputs: ['x'], outputs: ['s'] });
    g.outputs = [{ name: 'y', tensor: 's' }];
    let e: FirmflowError | undefined;
    try { plan(g, {}, 'aie:legalize'); } catch (err) { if (isFirmflowError(err)) e = err; else throw err; }
    expect(e?.code).toBe('aie.unsupported');
    expect(e!.message).toContain("node 'wide_sigmoid' (Sigmoid): input 'x' is int16 (16-bit); the AIE Sigmoid looks int8 input codes up in a 256-entry table");
  });
});

// ------------------------------------------------------------------------------------------------- bf16 float models

/** Float x [N, 16] -> f -> y, or Dense(16x16) -> f -> y when `dense`. */
function floatAct(op: 'Sigmoid' | 'Tanh', dense: boolean): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 16]);
  let t = 'x';
  if (dense) {
    const r = lcg(17);
    m.initializer('w', Float32Array.from({ length: 256 }, () => r() - 0.5), [16, 16]);
    m.node('MatMul', ['x', 'w'], ['h']);
    t = 'h';
  }
  m.node(op, [t], ['y'], {}, { name: 'act' });
  return m.toBytes();
}

/** Values over many binades: |x| from 2^-12 to 100, both signs, and a few exact zeros. */
function wideInputs(n: number, seed: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : (r() < 0.5 ? -1 : 1) * 2 ** (-12 + 18.7 * r())));
}

/** onnxruntime's own float32 error on Sigmoid / Tanh (measured; see the top of this file). */
const ORT_ERR = (y: number): number => 2 ** -20 * Math.abs(y) + 2 ** -23;
const hulp = (y: number): number => (y === 0 ? 2 ** -134 : 2 ** (Math.max(Math.floor(Math.log2(Math.abs(y))), -126) - 8));

describe('bf16 Sigmoid / Tanh against onnxruntime (float models, aie.mode auto)', () => {
  it.each(['Sigmoid', 'Tanh'] as const)('%s: within half a bf16 ulp + L |x - bf16(x)| + onnxruntime\'s own error; exactly bf16(f(x)) on bf16 inputs', async (op) => {
    const model = floatAct(op, false);
    const p = (await convert(model, { backend: 'AIE', projectName: 'bf' })) as Project;
    expect(layerOf(p, 'act').dtype).toMatchObject({ a: 'bf16', out: 'bf16' });
    const L = op === 'Sigmoid' ? 0.25 : 1;
    const x = wideInputs(16 * 64, 9);
    const emu = p.emulate({ x: { shape: [64, 16], data: x } }, {});
    const ref = await runOrt(model, x);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const tol = hulp(ref[i]) * (1 + 2 ** -7) + L * Math.abs(x[i] - bf16Round(x[i])) + ORT_ERR(ref[i]);
      const d = Math.abs(emu['y'].data[i] - ref[i]);
      expect(d, `element ${i}: x ${x[i]}`).toBeLessThanOrEqual(tol);
      worst = Math.max(worst, d / tol);
    }
    expect(worst).toBeGreaterThan(0.3);
    // Inputs on the bf16 grid: the emulator is bf16(f(x)) exactly; onnxruntime's float32 f rounds to another bf16
    // only where the exact f(x) lies within onnxruntime's own error of a bf16 rounding boundary. Every such element
    // is checked to be one; measured: 84 of 1024 for Sigmoid, all in its tail (|y| < 2^-9, where onnxruntime's 2^-24
    // absolute error is one or more bf16 ulps; 70 of them below 2^-20, where it returns 0 or nearly), none for Tanh.
    const xb = Float32Array.from(x, bf16Round);
    const eb = p.emulate({ x: { shape: [64, 16], data: xb } }, {});
    const rb = await runOrt(model, xb);
    const fn = op === 'Sigmoid' ? 'sigmoid' : 'tanh';
    let differ = 0;
    for (let i = 0; i < xb.length; i++) {
      const y = activationValue(fn, xb[i]);
      expect(eb['y'].data[i], `element ${i}`).toBe(bf16RoundExact(y));
      if (eb['y'].data[i] === bf16Round(rb[i])) continue;
      differ++;
      const q = 2 * hulp(y);
      expect(fromBoundary(Math.abs(y) / q) * q, `element ${i}: x ${xb[i]}, onnxruntime ${rb[i]}`).toBeLessThanOrEqual(ORT_ERR(y));
      expect(Math.abs(y)).toBeLessThan(2 ** -9);
    }
    expect(differ).toBe(op === 'Sigmoid' ? 84 : 0);
  });

  it('Dense -> Sigmoid: the trace explains the Sigmoid (gain 1/4 of the Dense error + its own rounding)', async () => {
    const model = floatAct('Sigmoid', true);
    const p = (await convert(model, { backend: 'AIE', projectName: 'bfd' })) as Project;
    const x = wideInputs(16 * 16, 4).map((v) => Math.max(-3, Math.min(3, v)));
    const feed = { x: { shape: [16, 16], data: x } };
    const ref = loadModel(model);
    ensureSharedFlows();
    runFlows(ref, ['optimize']);
    const t = traceGraph(p.graph, feed as never, { reference: ref });
    expect(t.firstUnexplained, t.text).toBeUndefined();
    const row = t.layers.find((r) => r.node === 'act')!;
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.ratio).toBeLessThan(1);
  });
});

// ------------------------------------------------------------------------------------------------- host runs

describe.skipIf(!hasCxx)('host run (g++) == emulator bit for bit', () => {
  it.each([
    { mode: 'int', casNum: 1 }, { mode: 'int', casNum: 2 }, { mode: 'int', casNum: 3 },
    { mode: 'bf16', casNum: 1 }, { mode: 'bf16', casNum: 2 }, { mode: 'bf16', casNum: 3 },
  ])('$mode, Sigmoid and Tanh over $casNum kernel(s)', async ({ mode, casNum }) => {
    const name = `act_${mode}_${casNum}`;
    const model = mode === 'int' ? qdqChain() : floatSigTanh();
    const p = (await convert(model, { backend: 'AIE', projectName: name, aie: { layers: { sig: { casNum }, tanh: { casNum } } } } as never)) as Project;
    for (const n of ['sig', 'tanh']) {
      const l = layerOf(p, n);
      expect(l.kernel).toBe('activation');
      expect(l.tiling!.casNum).toBe(casNum);
      expect(l.placement!.kernels.length).toBe(casNum);
      expect(l.buffers!.some((b) => b.name === 'const' && b.bytes > 0)).toBe(true);
    }
    const meta = p.graph.meta['aie'] as AieGraphMeta;
    expect(meta.perf!.layers.find((l) => l.node === 'sig')!.kernels).toBe(casNum);
    const dir = join(tmp, name);
    await p.write(dir);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    expect(graph).toContain(mode === 'int' ? 'firmflow::LookupInt8<' : 'firmflow::LookupBf16<');
    const b = compileHost(dir);
    expect(b.warnings).toBe('');
    const opened = await openProject(dir);
    const rows = 37; // not a whole number of iterations, uneven over 2 and 3 kernels
    const x = mode === 'int' ? allCodes(4, rows - 16, casNum) : wideInputs(rows * 16, casNum).map((v) => Math.max(-20, Math.min(20, v)));
    const feed = { x: { shape: [rows, 16], data: x } };
    const host = (await opened.predict!(feed as never, {})) as unknown as Out;
    const emu = p.emulate(feed, {});
    expect(Array.from(host['y'].codes)).toEqual(Array.from(emu['y'].codes));
    expect(Array.from(host['y'].data)).toEqual(Array.from(emu['y'].data));
    const again = (await opened.emulate!(feed as never, {})) as unknown as Out;
    expect(Array.from(again['y'].data)).toEqual(Array.from(emu['y'].data));
  });
});

/** Float x -> Sigmoid -> MatMul -> Tanh -> y (bf16 mode), nodes named 'sig' and 'tanh'. */
function floatSigTanh(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  const r = lcg(23);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 16]);
  m.initializer('w', Float32Array.from({ length: 256 }, () => 2 * r() - 1), [16, 16]);
  m.node('Sigmoid', ['x'], ['s'], {}, { name: 'sig' });
  m.node('MatMul', ['s', 'w'], ['h']);
  m.node('Tanh', ['h'], ['y'], {}, { name: 'tanh' });
  return m.toBytes();
}
