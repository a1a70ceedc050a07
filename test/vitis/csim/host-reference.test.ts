import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convert, type ConvertOptions } from 'firmflow';
import { HostSimulation } from '../../../backends/vitis/project.js';
import { REPO } from '../../fixtures/project.js';
import { HAVE_SHARED, manifest, readCase, type JsonTensor, WIDE_FLOAT_OPTIONS } from '../../helpers/shared-models.js';
import { useVitisFull } from '../helpers.js';

/*
 * Issue 16: the host fast paths (integer-code Dense, convolutions, ReLU/Identity, in nnet_host.h) against the
 * synthesizable ap_fixed kernel bodies (-DNNET_HOST_REFERENCE), bit for bit, on every shared and bundled model the
 * backend implements. Inputs: the model's reference inputs, the same scaled by 16 (saturating accumulators and
 * results, and pushing the Dense sums past int32 onto the wide path) and by -0.01 (small codes, rounding).
 */

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function spread(inputs: Record<string, JsonTensor>): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(inputs)) {
    const n = t.data.length;
    const data = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) {
      data[i] = t.data[i];
      data[n + i] = t.data[i] * 16;
      data[2 * n + i] = t.data[i] * -0.01;
    }
    out[name] = { shape: [3 * t.shape[0], ...t.shape.slice(1)], data };
  }
  return out;
}

/** A fresh project folder (so the headers are today's) built with the given extra compiler flags. */
async function hostBuild(model: string, options: Partial<ConvertOptions>, extraFlags: string[]): Promise<HostSimulation> {
  await useVitisFull();
  const project = await convert(model, { backend: 'Vitis', projectName: 'ref', ...options });
  const root = mkdtempSync(join(tmpdir(), 'firmflow-host-ref-'));
  roots.push(root);
  await project.write(join(root, 'prj'));
  const sim = new HostSimulation(join(root, 'prj'));
  const build = await sim.compile({ extraFlags });
  expect(build.diagnostics).toBe('');
  return sim;
}

const BUNDLED = ['jet_tagger', 'small_cnn'].map((name) => ({
  name,
  path: join(REPO, 'models', `${name}.onnx`),
  inputs: JSON.parse(readFileSync(join(REPO, 'models', `${name}.inputs.json`), 'utf8')) as Record<string, JsonTensor>,
  quantized: false,
}));

const CASES = [
  ...BUNDLED,
  ...(HAVE_SHARED ? manifest().map((m) => ({ name: m.name, ...readCase(m), quantized: m.quantized })) : []),
];

describe('host fast paths == ap_fixed reference (-DNNET_HOST_REFERENCE), bit for bit', () => {
  for (const c of CASES) {
    for (const [label, options] of [['default precision', {}], ['fixed<32,16>', WIDE_FLOAT_OPTIONS]] as const) {
      if (label !== 'default precision' && c.quantized) continue;
      it(`${c.name}, ${label}`, async (ctx) => {
        let fast;
        try {
          fast = await hostBuild(c.path, options as never, []);
        } catch (e) {
          // Models with ops the backend does not implement are refused before anything is written.
          if ((e as { name?: string }).name === 'FirmflowError' && /no HLS kernel|not supported|cannot|unsupported/i.test((e as Error).message)) ctx.skip();
          throw e;
        }
        const ref = await hostBuild(c.path, options as never, ['-DNNET_HOST_REFERENCE']);
        const feed = spread(c.inputs);
        const [a, b] = [await fast.predict(feed as never), await ref.predict(feed as never)];
        expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
        for (const name of Object.keys(a)) {
          expect(a[name].data.length).toBeGreaterThan(0);
          let diff = 0;
          for (let i = 0; i < a[name].data.length; i++) if (!Object.is(a[name].data[i], b[name].data[i])) diff++;
          expect(diff, `${c.name} output ${name}: values where the fast and the reference build differ`).toBe(0);
        }
      });
    }
  }
});
