import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, manifest, readCase, WIDE_FLOAT_OPTIONS } from '../../helpers/shared-models.js';
import { buildProject } from '../helpers.js';

/*
 * Every reference model whose ops the backend implements: convert, compile, predict at fixed<32,16> with wide
 * softmax tables; the C simulation must be within the 1e-3 of the reference (float models) or equal to it
 * (quantized models with power-of-two scales), and equal to the emulator bit for bit.
 */
const WIDE = WIDE_FLOAT_OPTIONS;

describe.skipIf(!HAVE_SHARED)('reference models (../shared/models) in C simulation', () => {
  for (const m of manifest()) {
    it(m.name, async (ctx) => {
      const c = readCase(m);
      let b;
      try {
        b = await buildProject(c.path, (m.quantized ? {} : WIDE) as never);
      } catch (e) {
        const msg = (e as Error).message;
        // Models with ops outside this issue are refused before anything is written; say which.
        if (/no HLS kernel|not supported|cannot|unsupported/i.test(msg) && (e as { name?: string }).name === 'FirmflowError') ctx.skip();
        throw e;
      }
      expect(b.build.diagnostics).toBe('');
      const out = await b.sim.predict(c.inputs as never);
      const emu = (b.project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)(c.inputs);
      for (const [name, ref] of Object.entries(c.outputs)) {
        const got = out[name];
        expect(got.shape.slice(1).reduce((a, d) => a * d, 1)).toBe(ref.shape.slice(1).reduce((a, d) => a * d, 1));
        let err = 0;
        for (let i = 0; i < ref.data.length; i++) err = Math.max(err, Math.abs(got.data[i] - ref.data[i]));
        expect(err, `${m.name} output ${name}: C simulation vs reference`).toBeLessThanOrEqual(m.quantized ? m.tolerance.atol : 1e-3);
        let diff = 0;
        for (let i = 0; i < got.data.length; i++) if (got.data[i] !== emu[name].data[i]) diff++;
        expect(diff, `${m.name} output ${name}: values where the C simulation and the emulator differ`).toBe(0);
      }
    });
  }
});
