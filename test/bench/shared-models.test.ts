import { describe, expect, it } from 'vitest';
import { bench } from '../../src/bench/run.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { HAVE_SHARED, manifest, readCase } from '../helpers/shared-models.js';
import { buildProject } from '../vitis/helpers.js';
import { expectValid } from './helpers.js';

/*
 * `bench` on every reference model of ../shared/models that the FPGA backend implements, on the models' own 16
 * inputs: float models at fixed<32,16> with wide tables (as the C simulation acceptance test), quantized ones at
 * their own types. The C simulation and the emulator agree bit for bit, and both are within the stated tolerance
 * of onnxruntime (or of the float interpreter, for models onnxruntime cannot run).
 */
const WIDE = {
  precision: 'fixed<32,16>',
  config: {
    LayerType: {
      Softmax: { TableSize: 65536, Precision: { exp_table: 'ufixed<32,1,RND,SAT>', inv_table: 'ufixed<32,1,RND,SAT>' } },
      Sigmoid: { TableSize: 65536, Precision: { table: 'fixed<32,2,RND,SAT>' } },
      Selu: { TableSize: 65536, Precision: { table: 'fixed<32,4,RND,SAT>' } },
    },
  },
};

describe.skipIf(!HAVE_SHARED)('firmflow bench on the reference models (../shared/models)', () => {
  for (const m of manifest()) {
    it(m.name, async (ctx) => {
      const c = readCase(m);
      let b;
      try {
        b = await buildProject(c.path, { projectName: 'bench', ...(m.quantized ? {} : WIDE) } as never);
      } catch (e) {
        // Models with ops the backend does not implement are refused before anything is written.
        if ((e as { name?: string }).name === 'FirmflowError' && /no HLS kernel|not supported|cannot|unsupported/i.test((e as Error).message)) ctx.skip();
        throw e;
      }
      const r = await bench({ project: b.project, outputDir: b.dir, referenceModel: c.path, inputs: c.inputs as never });
      expectValid(r);
      expect(r.settings.samples).toBe(16);
      expect(r.timings.compile?.cached).toBe(true);
      // onnxruntime runs every model without custom-domain ops (QONNX quantizers); those fall back to the interpreter.
      const custom = [...loadModel(c.path).nodes.values()].some((n) => n.origin?.domain && n.origin.domain !== 'ai.onnx');
      expect(r.reference.executor).toBe(custom ? 'interpreter' : 'onnxruntime');
      if (custom) expect(r.reference.note).toMatch(/custom domain/);
      expect(r.accuracy.summary.bitExact).toBe(true);
      const tol = m.quantized ? m.tolerance.atol : 1e-3;
      for (const o of r.accuracy.outputs) {
        expect(o.bitExact!.mismatches, `${m.name} ${o.name}`).toBe(0);
        expect(o.emulator!.maxAbsError, `${m.name} ${o.name}: emulator vs reference`).toBeLessThanOrEqual(tol);
        expect(o.csim!.maxAbsError).toBe(o.emulator!.maxAbsError);
        if (o.classifier) expect(o.emulator!.argmaxAgreement).toBe(1);
      }
      expect(r.layers.length).toBeGreaterThan(0);
      expect(r.layers.every((l) => l.trace !== null)).toBe(true);
    });
  }
});
