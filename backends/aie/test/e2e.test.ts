import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from 'firmflow';
import * as ort from 'onnxruntime-node';
import { DIM, SEQ, transformerBlock } from './transformer-model.js';

const MODELS = join(import.meta.dirname, '../../../../shared/models');
const has = existsSync(join(MODELS, 'qdq_int8_mlp_pow2.onnx'));
if (!has) console.warn(`skipping AIE end-to-end tests: ${MODELS} (the shared reference models) is absent`);

type Tensors = Record<string, { shape: number[]; data: number[] }>;

describe.skipIf(!has)('AIE emulator on the QDQ int8 MLP (power-of-two scales)', () => {
  it('equals the reference outputs bit for bit', async () => {
    const project = await convert(join(MODELS, 'qdq_int8_mlp_pow2.onnx'), { backend: 'AIE' });
    const inputs = JSON.parse(readFileSync(join(MODELS, 'qdq_int8_mlp_pow2.inputs.json'), 'utf8')) as Tensors;
    const ref = JSON.parse(readFileSync(join(MODELS, 'qdq_int8_mlp_pow2.outputs.json'), 'utf8')) as Tensors;
    const emulate = project['emulate'] as (i: Tensors) => Record<string, { shape: number[]; data: Float64Array; codes: ArrayLike<number> }>;
    const out = emulate(inputs);
    expect(out['y'].shape).toEqual([16, 5]);
    const want = Float32Array.from(ref['y'].data);
    let diff = 0;
    for (let i = 0; i < want.length; i++) if (Math.fround(out['y'].data[i]) !== want[i]) diff++;
    expect(diff).toBe(0);
    // The reference saturates 2 outputs at the int8 limit (manifest: quantizer stats); the emulator must too.
    expect(Array.from(out['y'].codes).filter((c) => c === 127 || c === -128).length).toBe(2);
  });

  it('reports the analytic performance model', async () => {
    const project = await convert(join(MODELS, 'qdq_int8_mlp_pow2.onnx'), { backend: 'AIE' });
    const r = (project['report'] as () => { text: string; perf: { tilesUsed: number; macsPerIteration: number; latency: { cycles: number } } })();
    // 8 rows per iteration x (16*32 + 32*16 + 16*5) MACs
    expect(r.perf.macsPerIteration).toBe(8 * (16 * 32 + 32 * 16 + 16 * 5));
    expect(r.perf.tilesUsed).toBeGreaterThan(0);
    expect(r.perf.latency.cycles).toBeGreaterThan(0);
    expect(r.text).toMatch(/throughput: .*samples\/s/);
  });
});

describe('AIE emulator on the int8 transformer-style block', () => {
  it('stays within 2 output LSB of the float model (integer softmax and layernorm)', async () => {
    const bytes = transformerBlock();
    const project = await convert(bytes, { backend: 'AIE', projectName: 'attn' });
    const n = 16;
    const x = Float32Array.from({ length: n * SEQ * DIM }, (_, i) => Math.sin(i * 0.37) * 3);
    const emulate = project['emulate'] as (i: Tensors | Record<string, { shape: number[]; data: Float32Array }>) => Record<string, { shape: number[]; data: Float64Array }>;
    const out = emulate({ x: { shape: [n, SEQ, DIM], data: x } });
    const session = await ort.InferenceSession.create(bytes);
    const ref = (await session.run({ x: new ort.Tensor('float32', x, [n, SEQ, DIM]) }))['y'].data as Float32Array;
    expect(out['y'].shape).toEqual([n, SEQ, DIM]);
    let max = 0;
    let differ = 0;
    for (let i = 0; i < ref.length; i++) {
      const d = Math.abs(ref[i] - out['y'].data[i]);
      max = Math.max(max, d);
      if (d > 0) differ++;
    }
    // Output scale 2^-4: at most 2 LSB anywhere (measured: 2 LSB, 153 of 2048 values differ).
    expect(max).toBeLessThanOrEqual(2 * 2 ** -4);
    expect(differ / ref.length).toBeLessThan(0.1);
  });
});

describe('AIE emulator on Concat and Slice views (QDQ int8, power-of-two scales)', () => {
  it('equals onnxruntime bit for bit', async () => {
    const { qdqConcatSlice } = await import('./host-models.js');
    const model = qdqConcatSlice();
    const project = await convert(model, { backend: 'AIE' });
    let s = 12345;
    const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const n = 13;
    const x = Float32Array.from({ length: n * 16 }, () => Math.round((rnd() * 2 - 1) * 60) / 16);
    const emulate = project['emulate'] as (i: Tensors) => Record<string, { shape: number[]; data: Float64Array; codes: ArrayLike<number> }>;
    const out = emulate({ x: { shape: [n, 16], data: Array.from(x) } });
    const sess = await ort.InferenceSession.create(model);
    const ref = await sess.run({ x: new ort.Tensor('float32', x, [n, 16]) });
    const want = ref['y'].data as Float32Array;
    expect(out['y'].shape).toEqual([n, 5]);
    expect(Array.from(out['y'].data, (v) => Math.fround(v))).toEqual(Array.from(want));
    // Integer codes: the reference's values on the 2^-4 grid.
    expect(Array.from(out['y'].codes)).toEqual(Array.from(want, (v) => Math.round(v * 16)));
    expect(new Set(Array.from(out['y'].codes)).size).toBeGreaterThan(5);
  });
});

describe('AIE emulator on views at the graph ports', () => {
  it('Slice of the input, Concat output and a Slice of it equal onnxruntime bit for bit', async () => {
    const { qdqViewsAtPorts } = await import('./host-models.js');
    const model = qdqViewsAtPorts();
    const project = await convert(model, { backend: 'AIE' });
    let s = 99;
    const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const n = 6;
    const x = Float32Array.from({ length: n * 16 }, () => Math.round((rnd() * 2 - 1) * 60) / 16);
    const emulate = project['emulate'] as (i: Tensors) => Record<string, { shape: number[]; data: Float64Array; codes: ArrayLike<number> }>;
    const out = emulate({ x: { shape: [n, 16], data: Array.from(x) } });
    const ref = await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', x, [n, 16]) });
    expect(out['y'].shape).toEqual([n, 16]);
    expect(out['z'].shape).toEqual([n, 8]);
    for (const k of ['y', 'z']) expect(Array.from(out[k].codes), k).toEqual(Array.from(ref[k].data as Float32Array, (v) => Math.round(v * 16)));
  });
});
