import { describe, expect, it } from 'vitest';
import { estimate } from '../../../backends/vitis/estimate/index.js';
import { convert } from 'firmflow';
import { useVitisFull } from '../helpers.js';

/* project.estimate() on a converted project (the whole plugin registered, as discovery loads it). */

const JET = 'models/jet_tagger.onnx';

describe('project.estimate()', () => {
  it('is attached to converted projects with their part and clock', async () => {
    await useVitisFull();
    const p = await convert(JET, { backend: 'Vitis', part: 'xczu9eg-ffvb1156-2-e', clockPeriod: 4 });
    const e = (p['estimate'] as (o?: object) => ReturnType<typeof estimate>)();
    expect(e.part.name).toBe('xczu9eg');
    expect(e.clockPeriod).toBe(4);
    expect(e.clockMHz).toBe(250);
    expect(e.total).toEqual(estimate(p.graph, { part: 'xczu9eg', clockPeriod: 4 }).total);
    const other = (p['estimate'] as (o?: object) => ReturnType<typeof estimate>)({ part: 'xcu250' });
    expect(other.part.name).toBe('xcu250');
  });
});
