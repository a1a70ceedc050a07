import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFirmflowError, ModelBuilder } from 'firmflow';
import { hlsOf, readLoweredGraph } from '../../../backends/vitis/lowered.js';
import { emulate } from '../../../backends/vitis/emulate/index.js';
import { lower } from '../helpers.js';
import { chain, convNet, mlp } from '../models.js';

const JET = join(import.meta.dirname, '..', '..', '..', 'models', 'jet_tagger.onnx');

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
  it('refuses too many multipliers per cycle at an explicit reuse factor, suggesting io_stream or the smallest valid one that fits', async () => {
    const model = mlp([128, 64, 10]);
    // Without a reuse factor the conversion chooses 2 (reuse-chosen.test.ts).
    expect(hlsOf((await lower(model)).graph.node('fc1')).reuseFactor).toBe(2);
    const r = await refusal(lower(model, { reuseFactor: 1 }));
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

describe('overflow warnings: calibration inputs at convert time, overflowing layers at emulation time', () => {
  /** x[N,16] -> fc1 (16x8) -> Relu -> fc2 (8x4), weights of `scale` times N(0,1)-ish values. */
  function scaled(scale: number): Uint8Array {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 16]);
    let s = 7;
    const r = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return (s / 2147483648 - 0.5) * 0.5 * scale; };
    m.initializer('w1', Float32Array.from({ length: 128 }, r), [16, 8]).initializer('b1', Float32Array.from({ length: 8 }, r), [8]);
    m.initializer('w2', Float32Array.from({ length: 32 }, r), [8, 4]);
    m.node('Gemm', ['x', 'w1', 'b1'], ['h'], {}, { name: 'fc1' }).node('Relu', ['h'], ['a'], {}, { name: 'act1' });
    m.node('MatMul', ['a', 'w2'], ['y'], {}, { name: 'fc2' });
    m.output('y', 'float32', ['N', 4]);
    return m.toBytes();
  }
  const normal = (n: number, seed: number): number[] => {
    let s = seed;
    const u = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return (s + 1) / 2147483649; };
    return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
  };
  const calibration = { x: { dtype: 'float32', shape: [200, 16], data: normal(200 * 16, 3) } };

  it('no warning without calibration data, however large the static bound', async () => {
    const p = await lower(scaled(100));
    expect(p.warnings.filter((w) => /overflow|saturate|outside/.test(w))).toEqual([]);
  });

  it('weights scaled x100: calibration inputs name the layers whose outputs leave fixed<16,6>', async () => {
    const p = await lower(scaled(100), { calibration } as never);
    const w = p.warnings.filter((x) => x.includes('calibration'));
    expect(w.length).toBeGreaterThan(0);
    expect(w[0]).toMatch(/^layer 'fc1' \(Dense, from Gemm\): on the 200 calibration samples its outputs reach \[-?[\d.]+, [\d.]+\], outside its result type fixed<16,6,RND_CONV,SAT> \(\[-32, 31\.999\]\); \d+ of 1600 values saturate/);
    // The same layers overflow in the emulator, which names them too.
    const msgs: string[] = [];
    emulate(p.graph, { x: calibration.x }, { onWarning: (m: string) => msgs.push(m) });
    expect(msgs.some((m) => m.startsWith("layer 'fc1' (Dense, from Gemm): "))).toBe(true);
  });

  it('the same model with x1 weights, and the bundled jet tagger with N(0,1) samples: no warning', async () => {
    const p = await lower(scaled(1), { calibration } as never);
    expect(p.warnings.filter((x) => x.includes('calibration'))).toEqual([]);
    const jet = await lower(JET, { calibration: { x: { dtype: 'float32', shape: [500, 16], data: normal(500 * 16, 5) } } } as never);
    expect(jet.warnings).toEqual([]);
  });

  it('a bad calibration option is an error naming the input', async () => {
    const r = await refusal(lower(scaled(1), { calibration: { y: { shape: [1, 16], data: normal(16, 1) } } } as never));
    expect(r.message).toBe("option 'calibration' has no values for input 'x' (given: y)");
  });
});
