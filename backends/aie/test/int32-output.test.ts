/*
 * int32 outputs of the integer AIE kernels: a final Dense/MatMul whose float graph output has no quantizer (QONNX /
 * Brevitas exports end that way) writes its exact accumulator as int32 codes on a 2^-F grid (quantize.ts
 * int32Product): F = frac_in + frac_w, or finer when a float bias needs it, within the int32 bound.
 * (a) ../shared/models/qonnx_style_mlp as exported: the emulator against the manifest's float32 reference outputs
 *     (within its stated tolerance; the measured error is float32 rounding), the host model (g++) bit for bit.
 * (b) an int8 QDQ MLP whose last layer (per-channel weights, bias, no output quantizer) runs on a forced 2 x 2
 *     cascade: the emulator against the exact float64 product and onnxruntime (within float32 rounding), the host
 *     model bit for bit.
 * (c) refusals: a hidden layer without a quantizer, a float output another layer reads, an accumulator past int32.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convert, interpret, loadModel, runFlows } from 'firmflow';
import { ModelBuilder } from 'firmflow';
import { openProject } from '../src/index.js';
import type { AieLayer } from '../src/lowered.js';
import { hasCxx, hostEqualsEmulator, scratchDir, type HostOutputs } from './harness.js';
import { minstd as rng } from './random.js';
import { traceGraph } from '../src/trace.js';

const SHARED = join(import.meta.dirname, '../../../../shared/models');
const hasShared = existsSync(join(SHARED, 'qonnx_style_mlp.onnx'));
if (!hasShared) console.warn(`[int32-output.test] ${SHARED}/qonnx_style_mlp.onnx is absent: the shared-model tests are skipped.`);
const tmp = scratchDir('ff-aie-int32-');

type Feed = Record<string, { shape: number[]; data: Float32Array }>;

/** Park-Miller generator in [0, 1): fixed-seed constants and inputs. */

const layersOf = (g: { nodes: Map<string, { name: string; meta: Record<string, unknown> }> }): Map<string, AieLayer> =>
  new Map([...g.nodes.values()].filter((n) => n.meta['aie']).map((n) => [n.name, n.meta['aie'] as AieLayer]));

/** The optimized IR before the AIE lowering (the trace's float model, with the model's own quantizers). */
function optimized(bytes: Uint8Array): ReturnType<typeof loadModel> {
  const g = loadModel(bytes);
  runFlows(g, ['optimize']);
  return g;
}

/** The core's float interpreter (float64) on the optimized model, its quantizers applied. */
function exactReference(bytes: Uint8Array, feed: Feed): Float64Array {
  const g = optimized(bytes);
  const [k, v] = Object.entries(feed)[0];
  const res = interpret(g, { [k]: { shape: v.shape, data: Float64Array.from(v.data) } }, { float32: false });
  return Float64Array.from(res['y'].data);
}

describe.skipIf(!hasShared)('qonnx_style_mlp (../shared/models) as exported: float output y written as int32 codes', () => {
  const read = (f: string): Record<string, { shape: number[]; data: number[] }> => (hasShared ? JSON.parse(readFileSync(join(SHARED, f), 'utf8')) : {});
  const bytes = hasShared ? new Uint8Array(readFileSync(join(SHARED, 'qonnx_style_mlp.onnx'))) : new Uint8Array();
  const manifest = hasShared ? JSON.parse(readFileSync(join(SHARED, 'manifest.json'), 'utf8')).models.find((m: { name: string }) => m.name === 'qonnx_style_mlp') : undefined;
  const inputs = read('qonnx_style_mlp.inputs.json');
  const outputs = read('qonnx_style_mlp.outputs.json');
  const feed = (): Feed => ({ x: { shape: inputs['x'].shape, data: Float32Array.from(inputs['x'].data) } });

  it("converts with aie.mode 'auto' (int); the emulator equals the manifest reference within its tolerance", async () => {
    const p = await convert(bytes, { backend: 'AIE', projectName: 'qonnx32' });
    expect((p as unknown as { report(): { mode: string } }).report().mode).toBe('int');
    const l3 = layersOf(p.graph as never).get('fc3_gemm')!;
    // uint8 input at 2^-4 x int8 weights at 2^-7: product grid 2^-11; the float32 biases need a finer grid (up to
    // 2^-30), and the int32 bound (255 * max column sum of |w codes| * 2^u + |B| < 2^31) allows 2^-24.
    expect(l3.dtype).toEqual({ a: 'int16', w: 'int8', out: 'int32', acc: 'acc32' });
    expect(l3.frac.out).toBe(MEASURED_QONNX.frac);
    expect(l3.upshift).toBe(MEASURED_QONNX.frac - 11);
    expect(l3.shift).toBe(0);
    const emu = p.emulate(feed()) as unknown as HostOutputs;
    expect(emu['y'].type).toBe('int32');
    const want = outputs['y'].data;
    const { atol, rtol } = manifest.tolerance as { atol: number; rtol: number };
    let worst = 0, worstRatio = 0;
    Array.from(emu['y'].data).forEach((v, i) => {
      const e = Math.abs(v - want[i]);
      worst = Math.max(worst, e);
      worstRatio = Math.max(worstRatio, e / (atol + rtol * Math.abs(want[i])));
    });
    expect(worstRatio).toBeLessThanOrEqual(1);
    // Float32 rounding of the reference: its Gemm rounds each of 16 partial sums and the bias add to float32; the
    // measured worst case is below one float32 ulp at |y| in [8, 16) (2^-20 = 9.5e-7), 0.7% of the tolerance.
    console.log(`qonnx_style_mlp int32 output: max |emulator - reference| = ${worst}, ${worstRatio} of the manifest tolerance`);
    expect(worst).toBeLessThan(2 ** -20);
    expect(worst).toBe(MEASURED_QONNX.maxAbsError);
    // Against the exact (float64) model the only error is the bias's rounding onto the 2^-24 grid.
    const exact = exactReference(bytes, feed());
    const dev = Math.max(...Array.from(emu['y'].data, (v, i) => Math.abs(v - exact[i])));
    expect(dev).toBeLessThanOrEqual(2 ** -25);
    expect(dev).toBe(MEASURED_QONNX.exactError);
    // The trace explains it: own error of fc3_gemm is the bias rounding, every layer within its bound.
    const t = traceGraph(p.graph, feed(), { reference: optimized(bytes) });
    expect(t.layers.every((l) => !l.exceeds)).toBe(true);
    const row = t.layers.find((l) => l.node === 'fc3_gemm')!;
    expect(row.type).toBe(`int32 f=${MEASURED_QONNX.frac}`);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
  });

  it.skipIf(!hasCxx)('host model (g++) equals the emulator bit for bit', async () => {
    await hostEqualsEmulator(join(tmp, 'qonnx32_host'), bytes, feed());
  }, 180_000);
});

/** fc3_gemm: output grid 2^-24; max |emulator - manifest reference| (float32 rounding of the reference); max |emulator - float64 model| (the biases rounded onto 2^-24: at most half an LSB). */
const MEASURED_QONNX = { frac: 24, maxAbsError: 5.669441218714155e-7, exactError: 2 ** -25 };

// ----------------------------------------------------------------------------------------------------- QDQ int8

const S_X = 2 ** -4;
/** Per-column weight scales of the last layer (2^-6, 2^-7, 2^-8 repeating): per-column upshifts 2, 1, 0. */
const colScale = (c: number): number => 2 ** -(6 + (c % 3));

function qdq(m: ModelBuilder, x: string, y: string, scale: number | number[], axis?: number): void {
  const scales = typeof scale === 'number' ? [scale] : scale;
  const dims = scales.length > 1 ? [scales.length] : [];
  m.initializer(`${y}_s`, Float32Array.from(scales), dims);
  m.initializer(`${y}_z`, new Int8Array(scales.length), dims);
  const attrs = axis !== undefined ? { axis } : {};
  m.node('QuantizeLinear', [x, `${y}_s`, `${y}_z`], [`${y}_q`], attrs, { name: `${y}_quant` });
  m.node('DequantizeLinear', [`${y}_q`, `${y}_s`, `${y}_z`], [y], attrs, { name: `${y}_dequant` });
}

/**
 * x[N,64] -> QDQ 2^-4 -> fc1 (int8 weights 2^-7, bias, ReLU) -> QDQ 2^-4 -> fc2 (int8 weights per column, bias on
 * the 2^-12 grid) -> y: float, no quantizer.
 */
function qdqMlpFloatOut(K2 = 32, N2 = 48): { bytes: Uint8Array; w2: Float32Array; b2: Float32Array } {
  const r = rng(29);
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 64]);
  qdq(m, 'x', 'xq', S_X);
  m.initializer('w1', Float32Array.from({ length: 64 * K2 }, () => Math.round((r() * 2 - 1) * 100) * 2 ** -7), [64, K2]);
  qdq(m, 'w1', 'w1q', 2 ** -7);
  m.initializer('b1', Float32Array.from({ length: K2 }, () => Math.round((r() * 2 - 1) * 300) * 2 ** -11), [K2]);
  m.node('MatMul', ['xq', 'w1q'], ['mm1'], {}, { name: 'fc1' });
  m.node('Add', ['mm1', 'b1'], ['add1'], {}, { name: 'fc1_bias' });
  m.node('Relu', ['add1'], ['relu1'], {}, { name: 'fc1_relu' });
  qdq(m, 'relu1', 'h', S_X);
  const w2 = Float32Array.from({ length: K2 * N2 }, (_, i) => Math.round((r() * 2 - 1) * 120) * colScale(i % N2));
  m.initializer('w2', w2, [K2, N2]);
  qdq(m, 'w2', 'w2q', Array.from({ length: N2 }, (_, c) => colScale(c)), 1);
  const b2 = Float32Array.from({ length: N2 }, () => Math.round((r() * 2 - 1) * 4000) * 2 ** -12);
  m.initializer('b2', b2, [N2]);
  m.node('MatMul', ['h', 'w2q'], ['mm2'], {}, { name: 'fc2' });
  m.node('Add', ['mm2', 'b2'], ['y'], {}, { name: 'fc2_bias' });
  m.output('y', 'float32', ['N', N2]);
  return { bytes: m.toBytes(), w2, b2 };
}

describe('int8 QDQ MLP with a float output: int32 codes on a 2 x 2 cascade, per-column weight scales', () => {
  const { bytes, w2, b2 } = qdqMlpFloatOut();
  const rows = 40;
  const r = rng(3);
  const x = Float32Array.from({ length: rows * 64 }, () => (r() * 2 - 1) * 6);
  const feed: Feed = { x: { shape: [rows, 64], data: x } };
  const options = { aie: { layers: { fc2: { casLength: 2, casNum: 2 } } } };

  it('legalizes fc2 to int32 codes at 2^-12 (per-column upshifts 2, 1, 0) with the cascade forced', async () => {
    const p = await convert(bytes, { backend: 'AIE', projectName: 'qdq32', ...options } as never);
    const l = layersOf(p.graph as never).get('fc2')!;
    expect(l.dtype.out).toBe('int32');
    expect(l.frac.out).toBe(12);
    expect(l.upshift).toEqual(Array.from({ length: 48 }, (_, c) => 2 - (c % 3)));
    expect(l.biasCodes).toEqual(Int32Array.from(b2, (v) => v * 2 ** 12));
    expect([l.tiling!.casLength, l.tiling!.casNum]).toEqual([2, 2]);
  });

  it('emulator equals the exact product and onnxruntime within float32 rounding', async () => {
    const p = await convert(bytes, { backend: 'AIE', projectName: 'qdq32', ...options } as never);
    const emu = p.emulate(feed) as unknown as HostOutputs;
    const y = Array.from(emu['y'].data);
    // Exact: the float64 interpreter of the QDQ model.
    expect(y).toEqual(Array.from(exactReference(bytes, feed)));
    const session = await ort.InferenceSession.create(bytes);
    const ref = (await session.run({ x: new ort.Tensor('float32', x, [rows, 64]) }))['y'].data as Float32Array;
    // onnxruntime accumulates 32 products and the bias in float32: within (K + 1) 2^-24 (sum |h w| + |b|) per value,
    // |h| <= 8 (int8 at 2^-4).
    const N = 48, K = 32;
    let worst = 0;
    for (let i = 0; i < y.length; i++) {
      const c = i % N;
      let s = 0;
      for (let k = 0; k < K; k++) s += 8 * Math.abs(w2[k * N + c]);
      const tol = (K + 1) * 2 ** -24 * (s + Math.abs(b2[c]));
      const e = Math.abs(y[i] - ref[i]);
      expect(e, `value ${i}`).toBeLessThanOrEqual(tol);
      worst = Math.max(worst, e);
    }
    expect(worst).toBe(MEASURED_QDQ_ORT);
    // Against the QDQ model (its quantizers applied, as `firmflow bench` traces): every layer within its bound, fc2's
    // own error 0 (exact int32 codes, no srs rounding).
    const t = traceGraph(p.graph, feed, { reference: optimized(bytes) });
    expect(t.layers.every((row) => !row.exceeds)).toBe(true);
    const row = t.layers.find((l) => l.node === 'fc2')!;
    expect(row.type).toBe('int32 f=12');
    expect(row.maxAbsError).toBe(0);
  });

  it.skipIf(!hasCxx)('host model (g++) equals the emulator bit for bit', async () => {
    const emu = await hostEqualsEmulator(join(tmp, 'qdq32_host'), bytes, feed, options);
    expect(emu['y'].frac).toBe(12);
  }, 180_000);

  it('the written project holds int32 PLIO files (4 values a 128-bit line) and an INT32_OUT kernel', async () => {
    const dir = join(tmp, 'qdq32_files');
    const p = await convert(bytes, { backend: 'AIE', projectName: 'qdq32f', ...options } as never);
    await p.write(dir);
    const files = spawnSync('find', [dir, '-name', '*.txt', '-path', '*golden*'], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const lines = readFileSync(f, 'utf8').trim().split('\n');
      expect(lines.every((l) => l.split(' ').length === 4)).toBe(true);
    }
    const cfg = spawnSync('grep', ['-rh', 'INT32_OUT = true', dir], { encoding: 'utf8' }).stdout;
    expect(cfg).toContain('INT32_OUT = true');
  });
});

/** Max |emulator - onnxruntime| on the 40 samples: onnxruntime's float32 rounding. */
const MEASURED_QDQ_ORT = 0;

// ----------------------------------------------------------------------------------------------------- refusals

describe('int32 outputs: what stays refused, by name', () => {
  it('a hidden layer with no quantizer, and a float graph output another layer reads', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 16]);
    qdq(m, 'x', 'xq', S_X);
    m.initializer('w1', Float32Array.from({ length: 16 * 8 }, (_, i) => ((i % 9) - 4) * 2 ** -7), [16, 8]);
    qdq(m, 'w1', 'w1q', 2 ** -7);
    m.node('MatMul', ['xq', 'w1q'], ['h'], {}, { name: 'hidden' });
    m.initializer('w2', Float32Array.from({ length: 8 * 4 }, (_, i) => ((i % 5) - 2) * 2 ** -7), [8, 4]);
    qdq(m, 'w2', 'w2q', 2 ** -7);
    m.node('MatMul', ['h', 'w2q'], ['y'], {}, { name: 'last' });
    m.output('y', 'float32', ['N', 4]);
    const e = await convert(m.toBytes(), { backend: 'AIE' }).then(() => undefined, (err: unknown) => err as Error & { code: string });
    expect(e?.code).toBe('aie.unsupported');
    expect(e!.message).toMatch(/node 'hidden' \(Dense[^)]*\): output 'h' has no quantizer/);
    // 'last' reads the unquantized 'h' as its input: refused too.
    expect(e!.message).toMatch(/node 'last' \(Dense[^)]*\): tensor 'h' \(output of 'hidden'\) has no quantizer/);

    // The same float tensor as a graph output and the input of another layer.
    const m2 = new ModelBuilder({ opsets: { '': 13 } });
    m2.input('x', 'float32', ['N', 16]);
    qdq(m2, 'x', 'xq', S_X);
    m2.initializer('w1', Float32Array.from({ length: 16 * 8 }, (_, i) => ((i % 9) - 4) * 2 ** -7), [16, 8]);
    qdq(m2, 'w1', 'w1q', 2 ** -7);
    m2.node('MatMul', ['xq', 'w1q'], ['h'], {}, { name: 'first' });
    m2.node('Relu', ['h'], ['y2'], {}, { name: 'act' });
    m2.output('h', 'float32', ['N', 8]);
    m2.output('y2', 'float32', ['N', 8]);
    const e2 = await convert(m2.toBytes(), { backend: 'AIE' }).then(() => undefined, (err: unknown) => err as Error & { code: string });
    expect(e2?.code).toBe('aie.unsupported');
    expect(e2!.message).toMatch(/node 'first' \(Dense[^)]*\): output 'h' has no quantizer/);
  });

  it('an accumulator that can leave int32 (int16 x int16, K = 8) is refused naming the bound', async () => {
    const QONNX = 'qonnx.custom_op.general';
    const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
    const quant = (x: string, y: string, scale: number, bits: number): void => {
      m.initializer(`${y}_s`, new Float32Array([scale]), []);
      m.initializer(`${y}_z`, new Float32Array([0]), []);
      m.initializer(`${y}_b`, new Float32Array([bits]), []);
      m.node('Quant', [x, `${y}_s`, `${y}_z`, `${y}_b`], [y], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, { domain: QONNX, name: `${y}_quant` });
    };
    m.input('x', 'float32', ['N', 8]);
    quant('x', 'xq', 2 ** -8, 16);
    m.initializer('w', Float32Array.from({ length: 4 * 8 }, (_, i) => (i % 2 ? 1.75 : -1.8)), [4, 8]);
    quant('w', 'wq', 2 ** -14, 16);
    m.node('Gemm', ['xq', 'wq'], ['y'], { transB: 1 }, { name: 'wide' });
    m.output('y', 'float32', ['N', 4]);
    const e = await convert(m.toBytes(), { backend: 'AIE' }).then(() => undefined, (err: unknown) => err as Error & { code: string });
    expect(e?.code).toBe('aie.unsupported');
    expect(e!.message).toMatch(/node 'wide' \(Dense[^)]*\): output 'y' is a float graph output with no quantizer, written as int32 codes at 2\^-22: its accumulator can reach \d+ \(input codes up to 32768/);
  });
});
