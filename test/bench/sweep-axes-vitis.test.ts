import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sweep, sweepAxes, sweepCsv } from '../../src/bench/sweep.js';
import { REPO } from '../fixtures/project.js';
import { useVitisFull } from '../vitis/helpers.js';

/*
 * The Vitis backend's grid through its sweep hook (backends/vitis/sweep.ts): the axes it declares, and `--precision`
 * / `--reuse` (the API's precision / reuse) being the same axes as `--axis precision=... reuseFactor=...`.
 */

const JET = join(REPO, 'models/jet_tagger.onnx');

beforeAll(async () => {
  await useVitisFull();
});

describe('Vitis sweep axes', () => {
  it('declares precision and reuseFactor (no defaults) and the estimate figures', async () => {
    const l = await sweepAxes(JET, { backend: 'Vitis', reuseFactor: 2 });
    expect(l.axes.map((a) => [a.name, a.column, a.label, a.defaults, a.base])).toEqual([
      ['precision', 'precision', 'precision', [], undefined],
      ['reuseFactor', 'reuse_factor', 'reuse', [], 2],
    ]);
    expect(l.figures.filter((f) => f.goal).map((f) => f.name)).toEqual(['latencyCycles', 'dsp', 'lut']);
    await expect(sweep({ model: JET, convert: { backend: 'Vitis' }, samples: 4, jobs: 0 })).rejects.toThrow(/no default values for its sweep axes \(precision, reuseFactor\).*--precision LIST --reuse LIST/);
  });

  it('--precision/--reuse and --axis give the same points and numbers; an axis held at the base options', async () => {
    const common = { model: JET, samples: 32, range: [-4, 4] as [number, number], jobs: 0 };
    const a = await sweep({ ...common, convert: { backend: 'Vitis' }, precision: ['fixed<16,6>', 'fixed<10,4>'], lists: [{ axis: 'reuseFactor', values: [1, 4], label: 'the reuse factor', flag: '--reuse' }] });
    const b = await sweep({ ...common, convert: { backend: 'Vitis' }, axes: { precision: ['fixed<16,6>', 'fixed<10,4>'], reuseFactor: ['1', '4'] } });
    const strip = (r: typeof a): unknown[] => r.results.map(({ ms: _ms, ...x }) => x);
    expect(strip(b)).toEqual(strip(a));
    expect(sweepCsv(b.results, b)).toBe(sweepCsv(a.results, a));
    expect(a.results.map((r) => r.point)).toEqual([
      { precision: 'fixed<16,6>', reuseFactor: 1 }, { precision: 'fixed<16,6>', reuseFactor: 4 },
      { precision: 'fixed<10,4>', reuseFactor: 1 }, { precision: 'fixed<10,4>', reuseFactor: 4 },
    ]);
    for (const r of a.results) expect(r.estimate!['latencyCycles']!).toBeGreaterThan(0);
    // Only the reuse factor named: the precision is the base one (-O precision), shown in every row.
    const c = await sweep({ ...common, convert: { backend: 'Vitis', precision: 'fixed<10,4>' }, axes: { reuseFactor: [1, 4] } });
    expect(c.results.map((r) => r.point)).toEqual([{ precision: 'fixed<10,4>', reuseFactor: 1 }, { precision: 'fixed<10,4>', reuseFactor: 4 }]);
    expect(c.results.map((r) => r.meanAbsError)).toEqual(a.results.slice(2).map((r) => r.meanAbsError));
    await expect(sweep({ ...common, convert: { backend: 'Vitis', reuseFactor: 2 }, axes: { reuseFactor: [1, 4] } })).rejects.toThrow(/option 'reuseFactor' is set by the conversion options and swept as an axis/);
  });
});
