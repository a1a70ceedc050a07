import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from 'firmflow';
import * as ort from 'onnxruntime-node';
import { qdqMlp } from './host-models.js';
import { QdqModelBuilder } from './qdq-builder.js';
import { scratchDir } from './harness.js';
import { lcg } from './random.js';

/*
 * Two review findings: (1) a constant Add after a MatMul of two runtime operands was folded into the MatMul as a bias
 * that neither the emulator nor the kernel applied (silently wrong numbers); it now stays an Add layer of its own, so
 * the result is right where the MatMul's output is quantized and refused by name where it is not. (2) A device given
 * as an inline description (no file) could not be written once a Dense streamed its weights from memory tiles.
 */
const S = 2 ** -4;

function matmulBias(quantizedProduct: boolean): Uint8Array {
  const m = new QdqModelBuilder(17, 3);
  m.input('a', 'float32', ['N', 4, 8]).input('b', 'float32', ['N', 8, 4]).output('y', 'float32', ['N', 4, 4]);
  const a = m.qdq('a', S, 'a_q'), b = m.qdq('b', S, 'b_q');
  m.node('MatMul', [a, b], ['prod']);
  const p = quantizedProduct ? m.qdq('prod', 2 ** -2, 'prod_q') : 'prod';
  m.initializer('bias_raw', Float32Array.from([0.25, -0.5, 1, -1.25]), [4]);
  m.node('Add', [p, m.qdq('bias_raw', 2 ** -2, 'bias')], ['sum']);
  m.qdq('sum', 2 ** -2, 'y');
  return m.toBytes();
}

describe('a constant Add after a runtime MatMul', () => {
  it('is computed (not dropped) when the product is quantized: emulator == onnxruntime bit for bit', async () => {
    const bytes = matmulBias(true);
    const r = lcg(11);
    const n = 5;
    const feeds = {
      a: { shape: [n, 4, 8], data: Float32Array.from({ length: n * 32 }, () => Math.round((r() * 2 - 1) * 24) * S) },
      b: { shape: [n, 8, 4], data: Float32Array.from({ length: n * 32 }, () => Math.round((r() * 2 - 1) * 24) * S) },
    };
    const project = await convert(bytes, { backend: 'AIE', aie: { batch: 1 } });
    const out = (project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)(feeds)['y'].data;
    const sess = await ort.InferenceSession.create(bytes);
    const ref = (await sess.run({ a: new ort.Tensor('float32', feeds.a.data, feeds.a.shape), b: new ort.Tensor('float32', feeds.b.data, feeds.b.shape) }))['y'].data as Float32Array;
    expect(Array.from(out, (v) => Math.fround(v))).toEqual(Array.from(ref));
  });

  it('is refused by name when the product has no quantizer (it was folded into the MatMul and lost)', async () => {
    await expect(convert(matmulBias(false), { backend: 'AIE', aie: { batch: 1 } })).rejects.toThrow(/node 'MatMul[^']*' \(MatMul\): output 'prod' has no quantizer/);
  });
});

describe('an inline device description', () => {
  it('writes a project whose Dense streams its weights from memory tiles', async () => {
    const file = join(import.meta.dirname, '../devices/aie-ml-vek280.json');
    expect(existsSync(file)).toBe(true);
    const device = { ...JSON.parse(readFileSync(file, 'utf8')), name: 'MyBoard' };
    const project = await convert(qdqMlp([16, 32, 8]), { backend: 'AIE', device, aie: { layers: { MatMul_4: { weights: 'memtile', casLength: 1, casNum: 1 } } } });
    const dir = join(scratchDir('ff-aie-inline-'), 'prj');
    await (project['write'] as (d: string) => Promise<unknown>)(dir);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    expect(graph).toContain('adf::input_gmio');
    expect(graph).toMatch(/on MyBoard|MyBoard/);
  });
});
