import { describe, expect, it } from 'vitest';
import { interpret, loadModel } from 'firmflow';
import { buildProject } from '../helpers.js';
import { numbers } from '../models.js';
import { elementwiseZoo } from './models.js';

/*
 * Kernel coverage: the C simulation of layer norm, softsign, hard sigmoid, clip, softplus, elu, selu, sub, mul,
 * transpose, pad and prelu equals the emulator bit for bit (the arithmetic contract of docs/design/vitis-backend.md),
 * on inputs that reach every branch (negative and positive values, beyond the clip bounds and the tables' ranges).
 * One compiled project covers them all (io_parallel and io_stream: the stream build buffers these layers around the
 * same parallel kernels, so it is the same arithmetic through other plumbing).
 */
const N = 24;
const OUTS = ['y1', 'y2', 'y3'];

describe('kernel coverage: element-wise zoo', () => {
  const model = elementwiseZoo();
  const x = Float32Array.from(numbers(N * 48, 71, 9)); // [-9, 9): beyond every table's [-8, 8)
  x[0] = 0; x[1] = -0.5; x[2] = 0.75; x[3] = -8; x[4] = 8; x[5] = -1e-3; // exact bounds and zero

  for (const io of ['parallel', 'stream'] as const) {
    it(`io_${io}: C simulation == emulator on every output, close to the float model`, async () => {
      const p = await buildProject(model, { io });
      expect(p.build.diagnostics).toBe('');
      const sim = await p.sim.predict({ x: { shape: [N, 8, 6], data: x } });
      const emu = (p.project['emulate'] as (i: unknown) => Record<string, { shape: number[]; data: Float64Array }>)({ x: { shape: [N, 8, 6], data: x } });
      const ref = interpret(loadModel(model), { x: { shape: [N, 8, 6], data: Float64Array.from(x) } });
      for (const o of OUTS) {
        expect(sim[o].shape).toEqual(ref[o].shape);
        expect(Array.from(sim[o].data)).toEqual(Array.from(emu[o].data));
        // Default fixed<16,6> with 1024-entry tables: a few hundredths from the float model at most, where the
        // tables cover x (y2's Softplus table ends at 8: beyond, it holds its last entry, by design).
        let err = 0, nonzero = 0;
        for (let i = 0; i < ref[o].data.length; i++) {
          if (o === 'y2' && Math.abs(x[i % x.length]) >= 8) continue;
          err = Math.max(err, Math.abs(sim[o].data[i] - ref[o].data[i]));
          if (sim[o].data[i] !== 0) nonzero++;
        }
        expect(err, o).toBeLessThan(0.1);
        expect(nonzero, o).toBeGreaterThan(ref[o].data.length / 2);
      }
    }, 120_000);
  }
});
