import { describe, expect, it } from 'vitest';
import { Graph } from 'firmflow';
import { transpose } from '../../src/kernels/transpose.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, onGrid, reference, refusal, traceRow } from './kit.js';

/** x [N, 4, 8] -> Transpose(perm) -> y, int8 at 2^-4. */
function transposeGraph(perm = [0, 2, 1]): () => Graph {
  return () => {
    const g = new Graph('tr');
    const inS = ['N', 4, 8];
    g.addTensor({ name: 'x', shape: inS, precision: fx(8, 4) });
    g.addTensor({ name: 'y', shape: perm.map((p) => inS[p]), precision: fx(8, 4) });
    g.addNode({ name: 'tr', op: 'Transpose', attrs: { perm }, inputs: ['x'], outputs: ['y'] });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.outputs = [{ name: 'y', tensor: 'y' }];
    return g;
  };
}

describe('kernel transpose', () => {
  it('legalizes a swap of the last two axes as a pass-through of codes', () => {
    expect(layer(lower(transposeGraph()), 'tr')).toMatchObject({ kernel: 'transpose', dtype: { a: 'int8', out: 'int8' }, frac: { a: 4, out: 4 }, shift: 0, attrs: { perm: [0, 2, 1] } });
  });

  it('refuses any other permutation', () => {
    expect(refusal(transposeGraph([1, 0, 2]))).toContain("node 'tr' (Transpose): perm [1,0,2]: the AIE transposes only the last two axes");
  });

  it('emulates y[b][j][i] = x[b][i][j], bit for bit the float interpreter', () => {
    const feed = onGrid([4, 8], 4, 6);
    const out = emulate(lower(transposeGraph()), { x: feed });
    expect(out.shape).toEqual([8, 8, 4]);
    for (const [i, j] of [[0, 0], [1, 5], [3, 7]]) expect(out.data[j * 4 + i]).toBe(feed.data[i * 8 + j]);
    expect(Array.from(out.data)).toEqual(Array.from(reference(transposeGraph(), { x: feed })));
  });

  it('traces exactly: bound 0, error 0', () => {
    const row = traceRow(lower(transposeGraph()), { x: onGrid([4, 8], 4, 7) }, 'tr');
    expect(row.bound).toBe(0);
    expect(row.maxAbsError).toBe(0);
  });

  it('emits transpose<cfg> over whole matrices', () => {
    const g = lower(transposeGraph());
    const m = emitted(g, 'tr')!;
    const t = layer(g, 'tr').tiling!;
    expect(m.config.lines).toContain(`static constexpr unsigned BATCH = ${t.tileM}, ROWS = 4, COLS = 8;`);
    expect(m.kernels[0].cls).toBe(`fn:firmflow::transpose<${m.config.name}>`);
    expect(m.kernels[0].outDims[0]).toBe(t.tileM * 32);
  });

  it('models two vector passes over its matrices', () => {
    const l = layer(lower(transposeGraph()), 'tr');
    const t = l.tiling!;
    expect(t.M).toBe(8);
    expect(t.K).toBe(32);
    const expected = 2 * Math.ceil((t.tileM * 32) / 64) + AIE_ML.overheads.kernelCallCycles;
    expect(transpose.perf.vectorCycles!(AIE_ML, 'int8', t.tileM, 32)).toBe(expected);
    expect(l.perf!.terms['compute']).toBe(expected);
  });
});
