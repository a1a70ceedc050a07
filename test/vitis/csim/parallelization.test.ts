import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type ConvertOptions, ModelBuilder } from 'firmflow';
import { HostSimulation } from '../../../backends/vitis/project.js';
import { buildProject, useVitisFull } from '../helpers.js';
import { numbers } from '../models.js';

/*
 * Parallelization factor of convolutions (issue 4 §2): PF output pixels per pipeline step. It changes the schedule
 * only, so every factor computes the same bits. The host build normally runs integer fast paths (nnet_host.h);
 * the factor lives in the synthesizable kernel bodies, so those builds define NNET_HOST_REFERENCE and run exactly
 * what HLS synthesizes. The default (fast) build, the reference builds with PF 4 (io_stream: 8- and 6-pixel rows, so
 * the last step of a 6-pixel row is partial) and PF 2 (io_parallel) and the emulator must all agree.
 */
function convNet(): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 3, 8, 8]);
  m.initializer('w1', numbers(8 * 3 * 9, 41, 0.4), [8, 3, 3, 3]).initializer('b1', numbers(8, 42, 0.1), [8]);
  m.node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv1' });
  m.node('Relu', ['c1'], ['r1']);
  m.initializer('w2', numbers(4 * 8 * 9, 43, 0.3), [4, 8, 3, 3]).initializer('b2', numbers(4, 44, 0.1), [4]);
  m.node('Conv', ['r1', 'w2', 'b2'], ['y'], { kernel_shape: [3, 3] }, { name: 'conv2' });
  m.output('y', 'float32', ['N', 4, 6, 6]);
  return m.toBytes();
}

async function referenceBuild(model: Uint8Array, options: Partial<ConvertOptions>): Promise<{ sim: HostSimulation; dir: string; diagnostics: string }> {
  await useVitisFull();
  const project = await convert(model, { backend: 'Vitis', projectName: 'pf', ...options });
  const dir = join(mkdtempSync(join(tmpdir(), 'firmflow-pf-')), 'prj');
  await project.write(dir);
  const sim = new HostSimulation(dir);
  const build = await sim.compile({ extraFlags: ['-DNNET_HOST_REFERENCE'] });
  return { sim, dir, diagnostics: build.diagnostics };
}

describe('convolution parallelization factor', () => {
  it('PF 1 (fast host path), PF 4 (io_stream) and PF 2 (io_parallel) give identical bits, equal to the emulator', async () => {
    const model = convNet();
    const N = 6;
    const x = Float32Array.from(numbers(N * 3 * 64, 45, 2));
    const feed = { x: { shape: [N, 3, 8, 8], data: x } };
    await useVitisFull(); // once, before the builds run side by side
    const [fast, pf4, pf2] = await Promise.all([
      buildProject(model, { io: 'stream' }),
      referenceBuild(model, { io: 'stream', config: { LayerType: { Conv: { ParallelizationFactor: 4 } } } }),
      referenceBuild(model, { io: 'parallel', config: { LayerType: { Conv: { ParallelizationFactor: 2 } } } }),
    ]);
    for (const d of [fast.build.diagnostics, pf4.diagnostics, pf2.diagnostics]) expect(d).toBe('');
    expect(readFileSync(join(pf4.dir, 'firmware', 'parameters.h'), 'utf8')).toMatch(/static const unsigned parallelization = 4;/);
    expect(readFileSync(join(pf2.dir, 'firmware', 'parameters.h'), 'utf8')).toMatch(/static const unsigned parallelization = 2;/);
    const y1 = (await fast.sim.predict(feed))['y'];
    const y4 = (await pf4.sim.predict(feed))['y'];
    const y2 = (await pf2.sim.predict(feed))['y'];
    const emu = (fast.project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)(feed)['y'];
    expect(y1.shape).toEqual([N, 4, 6, 6]);
    expect(Array.from(y4.data)).toEqual(Array.from(y1.data));
    expect(Array.from(y2.data)).toEqual(Array.from(y1.data));
    expect(Array.from(y1.data)).toEqual(Array.from(emu.data));
    expect(new Set(y1.data).size).toBeGreaterThan(50); // real, varied outputs
  }, 180_000);
});
