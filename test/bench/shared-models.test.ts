import { beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/api.js';
import { renderHtml } from '../../src/bench/html.js';
import { bench } from '../../src/bench/run.js';
import { sweep } from '../../src/bench/sweep.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { HAVE_SHARED, manifest, readCase, WIDE_FLOAT_OPTIONS } from '../helpers/shared-models.js';
import { buildProject, useVitisFull } from '../vitis/helpers.js';
import { expectValid } from './helpers.js';

/*
 * `bench` on every reference model of ../shared/models that the FPGA backend implements, on the models' own 16
 * inputs: float models at fixed<32,16> with wide tables (as the C simulation acceptance test), quantized ones at
 * their own types. The C simulation and the emulator agree bit for bit, and both are within the stated tolerance
 * of onnxruntime (or of the float interpreter, for models onnxruntime cannot run).
 */
const WIDE = WIDE_FLOAT_OPTIONS;

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
      expect(r.estimates!.resources!.map((x) => x.name)).toEqual(['dsp', 'lut', 'ff', 'bram18k', 'uram']);
      expect(renderHtml(r)).toContain('id="layer-table"');
    });
  }
});

/*
 * Vivado: the same models through the emulator only (the host C simulation of Vivado projects is the Vitis one's
 * kernels under another top level; the jet tagger bench test compiles it), with the estimate, the HTML report and a
 * two-point sweep (reuse 1 and 2) of every model: accuracy from the emulator, latency and DSPs from the estimate.
 */
describe.skipIf(!HAVE_SHARED)('firmflow bench, report and sweep on the reference models (Vivado, emulator only)', () => {
  beforeAll(async () => { await useVitisFull(); });
  for (const m of manifest()) {
    it(m.name, async (ctx) => {
      const c = readCase(m);
      const options = { backend: 'Vivado', projectName: 'bench', ...(m.quantized ? {} : WIDE) } as never;
      let project;
      try {
        project = await convert(c.path, options);
      } catch (e) {
        if ((e as { name?: string }).name === 'FirmflowError' && /no HLS kernel|not supported|cannot|unsupported/i.test((e as Error).message)) ctx.skip();
        throw e;
      }
      const r = await bench({ project, referenceModel: c.path, inputs: c.inputs as never, csim: false });
      expectValid(r);
      expect(r.model.backend).toBe('Vivado');
      expect(r.timings.csim).toBeNull();
      const tol = m.quantized ? m.tolerance.atol : 1e-3;
      for (const o of r.accuracy.outputs) expect(o.emulator!.maxAbsError, `${m.name} ${o.name}`).toBeLessThanOrEqual(tol);
      const e = r.estimates!;
      expect(e.total.latencyCycles).toBeGreaterThan(0);
      // The generic resource list repeats the FPGA figures.
      expect(e.resources!.find((x) => x.name === 'dsp')?.used).toBe(e.total.dsp);
      expect(e.resources!.find((x) => x.name === 'lut')?.used).toBe(e.total.lut);
      const html = renderHtml(r);
      for (const id of ['layer-table', 'estimates-section', 'resources-table']) expect(html).toContain(`id="${id}"`);

      const s = await sweep({ model: c.path, convert: { backend: 'Vivado', ...(m.quantized ? {} : { config: WIDE.config }) } as never, lists: [{ axis: 'reuseFactor', values: [1, 2], label: 'the reuse factor', flag: '--reuse' }], precision: [m.quantized ? 'fixed<16,6>' : WIDE.precision], samples: 16, jobs: 0 });
      expect(s.results).toHaveLength(2);
      // Reuse 1 is valid for every layer; 2 is refused (as a failed point, not a failed sweep) where a layer's sizes
      // do not allow it.
      expect(s.results[0].error, m.name).toBeNull();
      for (const p of s.results) {
        if (p.error) {
          expect(p.error).toMatch(/invalid reuse factors? for backend Vivado/);
          expect(p.pareto).toBe(false);
          continue;
        }
        expect(p.estimate!.latencyCycles).toBeGreaterThan(0);
        expect(Number.isFinite(p.maxAbsError)).toBe(true);
      }
      expect(s.results.some((p) => p.pareto)).toBe(true);
    }, 120_000);
  }
});
