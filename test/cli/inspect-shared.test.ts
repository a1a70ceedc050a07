import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { resetPlugins } from '../../src/registry/index.js';
import { HAVE_SHARED, manifest, readCase } from '../helpers/shared-models.js';

function fakeIo(): Io & { o: string; e: string } {
  const io = { o: '', e: '', isTTY: false, out: (t: string) => { io.o += t; }, err: (t: string) => { io.e += t; } };
  return io;
}

describe.skipIf(!HAVE_SHARED)('firmflow inspect over ../shared/models', () => {
  resetPlugins({ cwd: '/', envPlugins: '' });
  for (const m of manifest()) {
    it(`${m.name}: loads, runs the shared passes and reports its inputs and outputs`, async () => {
      const c = readCase(m);
      const io = fakeIo();
      expect(await run(['node', 'firmflow', 'inspect', c.path, '--json'], io), io.e).toBe(0);
      const rep = JSON.parse(io.o);
      // Ports are the model's own names, shapes agree with the reference data past the batch axis.
      for (const [ports, ref] of [[rep.loaded.inputs, c.inputs], [rep.loaded.outputs, c.outputs]] as const) {
        expect(ports.map((p: { name: string }) => p.name).filter((n: string) => n in ref).sort()).toEqual(Object.keys(ref).sort());
        for (const p of ports.filter((q: { name: string }) => q.name in ref)) {
          expect(p.shape.slice(1)).toEqual(ref[p.name].shape.slice(1));
        }
      }
      expect(rep.loaded.totals.nodes).toBeGreaterThan(0);
      expect(rep.loaded.totals.nodes).toBe(rep.loaded.nodes.length);
      // The total counts each constant once, even when several nodes read it.
      const consts = new Map<string, number>();
      for (const n of rep.loaded.nodes) for (const t of n.inputs) if (t.constant) consts.set(t.name, t.shape.reduce((a: number, b: number) => a * b, 1));
      expect(rep.loaded.totals.parameters).toBe([...consts.values()].reduce((a, b) => a + b, 0));
      expect(rep.sharedFlows).toEqual(['optimize']);
      expect(rep.optimized.totals.nodes).toBeGreaterThan(0);
      const text = fakeIo();
      expect(await run(['node', 'firmflow', 'inspect', c.path], text), text.e).toBe(0);
      expect(text.o).toMatch(/after the shared passes \(optimize\):/);
    });
  }
});

if (!HAVE_SHARED) it.skip('../shared/models is absent: inspect over the shared models is skipped', () => {});
