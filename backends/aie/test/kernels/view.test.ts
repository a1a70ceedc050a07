import { describe, expect, it } from 'vitest';
import { Graph } from 'firmflow';
import type { AieGraphMeta } from '../../src/lowered.js';
import { view } from '../../src/kernels/view.js';
import { buildProjectModel } from '../../src/writer/model.js';
import { emitted, emulate, fx, layer, lower, onGrid, reference, refusal, traceRow } from './kit.js';

/**
 * x [N, 16] -> ReLU 'pre' -> t -> Split (axis 1: 6 | 10) or Slice (columns 2..10) -> ReLU per part -> outputs. All
 * int8 at 2^-4: the views move codes, the ReLUs are the kernels around them.
 */
function viewGraph(op: 'Split' | 'Slice', sample: (number | string)[] = ['N', 16], attrs?: Record<string, unknown>, partShapes?: (number | string)[][]): () => Graph {
  return () => {
    const g = new Graph(op);
    const t = (name: string, shape: (number | string)[]): void => { g.addTensor({ name, shape, precision: fx(8, 4) }); };
    t('x', sample);
    t('t', sample);
    g.addNode({ name: 'pre', op: 'Relu', inputs: ['x'], outputs: ['t'] });
    const cols = op === 'Split' ? [6, 10] : [8];
    const parts = (partShapes ?? cols.map((c) => [...sample.slice(0, -1), c])).map((shape, i) => ({ name: `s${i}`, shape }));
    for (const { name, shape } of parts) t(name, shape);
    if (op === 'Split') g.addNode({ name: 'view', op, attrs: attrs ?? { axis: 1, split: [6, 10] }, inputs: ['t'], outputs: ['s0', 's1'] });
    else g.addNode({ name: 'view', op, attrs: attrs ?? { starts: [2], ends: [10], axes: [1], steps: [1] }, inputs: ['t'], outputs: ['s0'] });
    parts.forEach(({ name, shape }, i) => {
      t(`y${i}`, shape);
      g.addNode({ name: `r${i}`, op: 'Relu', inputs: [name], outputs: [`y${i}`] });
    });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.outputs = parts.map((_, i) => ({ name: `y${i}`, tensor: `y${i}` }));
    return g;
  };
}

describe('kernel view (Split, Slice, Concat, reshapes)', () => {
  it('legalizes a Split and a Slice to regions of their input, computed once', () => {
    expect(layer(lower(viewGraph('Split')), 'view')).toMatchObject({
      kernel: 'view', attrs: { axis: 1, split: [6, 10] },
      regions: [{ tensor: 's0', src: 't', colOff: 0, rowOff: 0 }, { tensor: 's1', src: 't', colOff: 6, rowOff: 0 }],
    });
    expect(layer(lower(viewGraph('Slice')), 'view').regions).toEqual([{ tensor: 's0', src: 't', colOff: 2, rowOff: 0 }]);
  });

  it('refuses regions that interleave in memory, by name', () => {
    expect(refusal(viewGraph('Split', ['N', 4, 16], { axis: 1, split: [2, 2] }, [['N', 2, 16], ['N', 2, 16]]))).toContain("node 'view' (Split): splits axis 1 of [8,4,16]; its parts interleave in memory");
    expect(refusal(viewGraph('Slice', ['N', 4, 16], { starts: [1, 2], ends: [3, 10], axes: [1, 2], steps: [1, 1] }, [['N', 2, 8]]))).toContain("node 'view' (Slice): slices 2 axes; a view slices one");
  });

  it('emulates the parts as copies of the input, bit for bit the float interpreter', () => {
    for (const op of ['Split', 'Slice'] as const) {
      const feed = onGrid([16], 4, 51);
      const g = lower(viewGraph(op));
      const y0 = emulate(g, { x: feed }, 'y0');
      expect(Array.from(y0.data)).toEqual(Array.from(reference(viewGraph(op), { x: feed }, 'y0')));
      expect(y0.data[1]).toBe(Math.max(0, feed.data[op === 'Split' ? 1 : 3]));
    }
  });

  it('traces exactly: a view adds no error', () => {
    const row = traceRow(lower(viewGraph('Split')), { x: onGrid([16], 4, 52) }, 'view');
    expect(row.bound).toBe(0);
    expect(row.maxAbsError).toBe(0);
  });

  it('has no kernel: the memory plan and the writer read the region (the second part at column 6 of t)', () => {
    const g = lower(viewGraph('Split'));
    expect(emitted(g, 'view')).toBeUndefined();
    const meta = g.meta['aie'] as AieGraphMeta;
    const buf = meta.sharedBuffers.find((b) => b.tensor === 't')!;
    const r1 = layer(g, 'r1').placement!.kernels[0].id;
    expect(buf.readers.find((r) => r.to.startsWith(r1))!.access.offset[0]).toBe(6);
    const shared = buildProjectModel(g, 'proj').shared.find((b) => b.name === `mt_${g.tensor('t').id}`)!;
    expect(shared.readers.find((r) => r.endpoint.startsWith(`k_${r1}`))!.access.offset).toEqual([6, 0, 0]);
  });

  it('costs nothing: no program, no cycles', () => {
    expect(view.perf).toEqual({ programBytes: { view: 0 } });
    expect(layer(lower(viewGraph('Split')), 'view').perf).toBeUndefined();
  });
});
