import { describe, expect, it } from 'vitest';
import { interpret, loadModel } from 'firmflow';
import { HAVE_SHARED, SHARED_MODELS, manifest, readCase } from '../../helpers/shared-models.js';
import { buildProject } from '../helpers.js';
import { mlp, numbers } from '../models.js';
import { join } from 'node:path';

/*
 * Host C simulation of dense models: the generated C++ compiles warning-free, every strategy and reuse factor
 * computes the same bits, and the C simulation agrees with the emulator bit for bit and with the float model.
 */

const argmax = (d: ArrayLike<number>, off: number, n: number): number => {
  let b = 0;
  for (let i = 1; i < n; i++) if (d[off + i] > d[off + b]) b = i;
  return b;
};

describe('dense models in C simulation', () => {
  const model = mlp([16, 32, 8], 'Relu', 'Softmax', 7);
  const x = Float32Array.from(numbers(64 * 16, 3, 2));

  it('compiles with -Wall -Wextra without a warning and predicts like the emulator, bit for bit', async () => {
    const b = await buildProject(model);
    expect(b.build.diagnostics).toBe('');
    const out = await b.sim.predict({ x: { shape: [64, 16], data: x } });
    const emu = (b.project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)?.({ x: { shape: [64, 16], data: x } });
    expect(out['y'].shape).toEqual([64, 8]);
    expect(emu).toBeDefined();
    expect(Array.from(out['y'].data)).toEqual(Array.from(emu!['y'].data));
    // Softmax rows sum to about one, and the class matches the float model's.
    const ref = interpret(loadModel(model), { x: { shape: [64, 16], data: x } })['y'];
    let agree = 0;
    for (let s = 0; s < 64; s++) if (argmax(out['y'].data, s * 8, 8) === argmax(ref.data, s * 8, 8)) agree++;
    expect(agree).toBeGreaterThanOrEqual(62);
  });

  it('gives identical results for latency and resource strategies and several reuse factors', async () => {
    const variants = [
      { strategy: 'latency' as const, reuseFactor: 1 },
      { strategy: 'latency' as const, reuseFactor: 2 },
      { strategy: 'resource' as const, reuseFactor: 4 },
      { strategy: 'resource' as const, reuseFactor: 32 },
    ];
    const outs: number[][] = [];
    for (const v of variants) {
      const b = await buildProject(model, v);
      expect(b.build.diagnostics).toBe('');
      outs.push(Array.from((await b.sim.predict({ x: { shape: [64, 16], data: x } }))['y'].data));
    }
    for (const o of outs.slice(1)) expect(o).toEqual(outs[0]);
  });
});

describe.skipIf(!HAVE_SHARED)('jet tagger (../shared/models) in C simulation', () => {
  const m = manifest().find((e) => e.name === 'jet_tagger_mlp');
  it('fixed<32,16> with wide softmax tables is within 1e-3 of the reference', async () => {
    const c = readCase(m!);
    const b = await buildProject(join(SHARED_MODELS, m!.onnx), {
      precision: 'fixed<32,16>',
      config: { LayerType: { Softmax: { TableSize: 65536, Precision: { exp_table: 'ufixed<32,1,RND,SAT>', inv_table: 'ufixed<32,1,RND,SAT>' } } } },
    } as never);
    expect(b.build.diagnostics).toBe('');
    const out = await b.sim.predict(c.inputs as never);
    const ref = c.outputs['y'].data;
    let err = 0;
    for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(out['y'].data[i] - ref[i]));
    expect(err).toBeLessThanOrEqual(1e-3);
  });

  it('default fixed<16,6> keeps the class of the reference on every sample', async () => {
    const c = readCase(m!);
    const b = await buildProject(join(SHARED_MODELS, m!.onnx));
    const out = await b.sim.predict(c.inputs as never);
    const ref = c.outputs['y'].data;
    for (let s = 0; s < 16; s++) expect(argmax(out['y'].data, s * 5, 5)).toBe(argmax(ref, s * 5, 5));
  });
});
