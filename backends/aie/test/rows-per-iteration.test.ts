import { describe, expect, it } from 'vitest';
import { convert } from 'firmflow';
import { JET_TAGGER, qdqMlp } from './host-models.js';

/*
 * Samples per graph iteration: aie.batch binds a symbolic batch axis; a model whose inputs have a literal leading
 * axis runs that many samples per iteration, and the plan, the report and the performance figures say so.
 */
type Report = { rowsPerIteration: number; text: string; perf: { macsPerIteration: number; throughput: { iterationsPerSecond: number; samplesPerSecond: number } } };
const macs = (rows: number): number => rows * JET_TAGGER.slice(1).reduce((a, n, i) => a + JET_TAGGER[i] * n, 0);

describe('AIE rows per iteration', () => {
  it('follows aie.batch for a symbolic batch and the literal leading axis otherwise', async () => {
    const bytes = qdqMlp(JET_TAGGER);
    const cases: { opts: Record<string, unknown>; rows: number }[] = [
      { opts: {}, rows: 8 },
      { opts: { aie: { batch: 4 } }, rows: 4 },
      { opts: { inputShapes: { x: [1, 16] }, aie: { batch: 4 } }, rows: 1 },
      { opts: { inputShapes: { x: [3, 16] } }, rows: 3 },
    ];
    for (const c of cases) {
      const project = await convert(bytes, { backend: 'AIE', ...c.opts });
      const r = (project['report'] as () => Report)();
      expect(r.rowsPerIteration, JSON.stringify(c.opts)).toBe(c.rows);
      expect(r.perf.macsPerIteration).toBe(macs(c.rows));
      expect(r.perf.throughput.samplesPerSecond).toBeCloseTo(r.perf.throughput.iterationsPerSecond * c.rows, 6);
      expect(r.text).toContain(`${c.rows} row${c.rows === 1 ? '' : 's'} per iteration`);
    }
  });
});
