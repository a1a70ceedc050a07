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
