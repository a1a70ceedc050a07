import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFirmflowError } from '../../../src/errors.js';
import { ModelBuilder } from '../../../src/onnx/builder.js';
import { hlsOf, readLoweredGraph } from '../../../backends/vitis/lowered.js';
import { lower } from '../helpers.js';
import { chain, convNet, mlp } from '../models.js';

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (!isFirmflowError(e)) throw e;
    return { code: e.code, message: e.message, details: e.details };
  }
  throw new Error('expected a refusal');
}

describe('the io_parallel limit of 4096', () => {
  it('refuses too many multipliers per cycle, suggesting io_stream or the smallest valid reuse factor that fits', async () => {
    const model = mlp([128, 64, 10]);
    const r = await refusal(lower(model));
    expect(r.code).toBe('vitis.limit');
    expect(r.message).toContain("layer 'fc1' (Dense, from Gemm): 128 x 64 multiplications at reuse factor 1 unroll 8192 multipliers per cycle, more than 4096; use a reuse factor of at least 2 (the smallest valid one that fits), or io_stream");
    expect(r.details).toEqual([{ layer: 'fc1', node: 'fc1', multipliers: 8192, reuseFactor: 1, minimumReuseFactor: 2 }]);
    // Accepted with that reuse factor, and in io_stream.
    const p = await lower(model, { config: { LayerName: { fc1: { ReuseFactor: 2 } } } });
    expect(hlsOf(p.graph.node('fc1')).reuseFactor).toBe(2);
    const s = await lower(model, { io: 'stream' });
    expect(hlsOf(s.graph.node('fc1')).kernel).toBe('dense_stream');
  });

  it('refuses arrays of more than 4096 elements per sample (every one, at once) and accepts them in io_stream', async () => {
    const model = convNet(1, 48, 48, 2, 3, 4);
    const config = { LayerName: { fc: { ReuseFactor: 8 } } };
    const r = await refusal(lower(model, { config }));
    expect(r.code).toBe('vitis.limit');
    // The conv output (48 x 48 x 2 = 4608) and what carries it on are too large; the input (2304) is not.
    expect(r.message).toMatch(/layer 'conv1' \(Conv\): its output '[^']+' has 4608 elements per sample, more than the 4096 an io_parallel array may be partitioned into; use io_stream/);
    expect((r.details as { layer: string; elements: number }[]).map((d) => [d.layer, d.elements])).toEqual([['conv1', 4608], ['relu1', 4608], ['flat', 4608]]);
    const big = await refusal(lower(convNet(2, 48, 48, 1, 1, 2), { config: { LayerName: { fc: { ReuseFactor: 8 } } } }));
    expect(big.message).toContain("graph input 'x' has 4608 elements per sample");
    const s = await lower(model, { io: 'stream', config });
    const kernels = readLoweredGraph(s.graph).layers.map((l) => l.hls.kernel);
    expect(kernels).toEqual(['conv2d_stream', 'relu_stream', 'reshape_stream', 'dense_stream']);
  });
});

describe('ops without a kernel', () => {
  it('are all named, with node and op, before anything is written', async () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 8]);
    m.node('Relu', ['x'], ['a'], {}, { name: 'ok_relu' });
    m.node('Exp', ['a'], ['b'], {}, { name: 'my_exp' });
    m.node('Sigmoid', ['b'], ['c'], {}, { name: 'ok_sigmoid' });
    m.node('Log', ['c'], ['d'], {}, { name: 'my_log' });
    m.node('Softmax', ['d'], ['y'], { axis: 0 }, { name: 'batch_softmax' });
    m.output('y', 'float32', ['N', 8]);
    const out = join(mkdtempSync(join(tmpdir(), 'firmflow-vitis-unsupported-')), 'prj');
    const r = await refusal(lower(m.toBytes(), { outputDir: out }));
    expect(r.code).toBe('vitis.unsupported');
    expect(r.message).toContain('backend Vitis cannot implement 3 nodes');
    expect(r.message).toContain("node 'my_exp' (Exp): no HLS kernel implements op Exp");
    expect(r.message).toContain("node 'my_log' (Log): no HLS kernel implements op Log");
    expect(r.message).toContain("node 'batch_softmax' (Softmax): softmax over axis 0 of 2; only the last axis is supported");
    expect(r.details).toEqual([
      { node: 'my_exp', op: 'Exp', reason: 'no HLS kernel implements op Exp' },
      { node: 'my_log', op: 'Log', reason: 'no HLS kernel implements op Log' },
      { node: 'batch_softmax', op: 'Softmax', reason: 'softmax over axis 0 of 2; only the last axis is supported' },
    ]);
    expect(existsSync(out)).toBe(false);
  });

  it('backend.supports() answers inspect with the same reasons', async () => {
    const p = await lower(chain(4, ['Relu', 'Sigmoid']));
    const b = p.backend;
    for (const n of p.graph.nodes.values()) expect(b.supports!(n, p.graph)).toBe(true);
  });
});

describe('overflow warnings from the static bound of the weights', () => {
  it('name the layer whose result type cannot hold sum |w| * max|x| + |b|', async () => {
    // fc1: weights in [-0.5, 0.5), 16 inputs; with inputs of fixed<8,3> (|x| <= 4) the bound is sum|w| * 4 + |b|.
    const model = mlp([16, 4], 'Relu');
    const quiet = await lower(model, { config: { LayerName: { x: { Precision: 'fixed<8,1,RND,SAT>' } } } });
    expect(quiet.warnings.filter((w) => w.includes('static bound'))).toEqual([]);
    const loud = await lower(model, { config: { LayerName: { x: { Precision: 'fixed<8,3,RND,SAT>' }, fc1: { Precision: { result: 'fixed<8,1,RND,SAT>' } } } } });
    const w = loud.warnings.filter((x) => x.includes('static bound'));
    expect(w.length).toBe(1);
    expect(w[0]).toMatch(/^layer 'fc1' \(Dense, from Gemm\): its result type fixed<8,1,RND,SAT> holds \[-1, 0\.99219\] but the static bound of its outputs is [\d.]+ \(sum \|w\| = [\d.]+ times max\|x\| = 4, plus \|bias\| = [\d.]+\); larger values saturate/);
  });
});
