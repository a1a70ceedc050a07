import { describe, expect, it } from 'vitest';
import { Graph } from 'firmflow';
import { softmax } from '../../src/kernels/softmax.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, maxDiff, onGrid, reference, refusal, traceRow } from './kit.js';

/** x [N, 16] (int8, 2^-4) -> Softmax(axis) -> y (int8, 2^-7). */
function softmaxGraph(axis = 1): () => Graph {
  return () => {
    const g = new Graph('sm');
    g.addTensor({ name: 'x', shape: ['N', 16], precision: fx(8, 4) });
    g.addTensor({ name: 'y', shape: ['N', 16], precision: fx(8, 7) });
    g.addNode({ name: 'sm', op: 'Softmax', attrs: { axis }, inputs: ['x'], outputs: ['y'] });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.outputs = [{ name: 'y', tensor: 'y' }];
    return g;
  };
}

/** The trace's own error of the int8 softmax of a row of n: rho + 2^-13 + (1 + n) 2^-15 (see trace.ts). */
const OWN = 2 ** -8 + 2 ** -13 + 17 * 2 ** -15;

describe('kernel softmax', () => {
  it('legalizes along the last axis, int8 in and out', () => {
    expect(layer(lower(softmaxGraph()), 'sm')).toMatchObject({ kernel: 'softmax', attrs: { axis: 1 }, dtype: { a: 'int8', out: 'int8' }, frac: { a: 4, out: 7 } });
  });

  it('refuses another axis', () => {
    expect(refusal(softmaxGraph(0))).toContain("node 'sm' (Softmax): normalizes over axis 0; AIE Softmax works along the last axis only");
  });

  it('emulates the integer algorithm: a constant row gives 1/16 exactly (code 8); within its own error of the interpreter', () => {
    const feed = onGrid([16], 4, 31, 60);
    feed.data.fill(0.5, 0, 16);
    const g = lower(softmaxGraph());
    const out = emulate(g, { x: feed });
    expect(Array.from(out.codes.slice(0, 16))).toEqual(new Array(16).fill(8));
    const d = maxDiff(out.data, reference(softmaxGraph(), { x: feed }));
    // Against the interpreter's rounded result: the kernel's own error plus the interpreter's own rounding.
    expect(d).toBeLessThanOrEqual(OWN + 2 ** -8);
  });

  it('traces within its bound', () => {
    const row = traceRow(lower(softmaxGraph()), { x: onGrid([16], 4, 32, 60) }, 'sm');
    expect(row.bound).toBeCloseTo(OWN, 12);
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
  });

  it('emits Softmax<cfg> with the exponential table computed once', () => {
    const m = emitted(lower(softmaxGraph()), 'sm')!;
    expect(m.library).toBe('normalize.h');
    expect(m.config.lines).toContain('static constexpr int EXP_FRAC = 14, RECIP_BITS = 28;');
    expect(m.config.lines).toContain('static constexpr int OUT_FRAC = 7;');
    expect(m.arrays[0]).toMatchObject({ name: `${m.id}_exp`, ctype: 'int32' });
    expect(m.arrays[0].values[0]).toBe(2 ** 14);
    expect(m.arrays[0].values[16]).toBe(Math.round(2 ** 14 * Math.exp(-1)));
    expect(m.kernels[0].cls).toBe(`firmflow::Softmax<${m.config.name}>`);
  });

  it('models four vector passes, a reciprocal per row and 8 table lookups per cycle', () => {
    const l = layer(lower(softmaxGraph()), 'sm');
    const t = l.tiling!;
    const e = t.tileM * 16;
    const expected = 4 * Math.ceil(e / 64) + 40 * t.tileM + AIE_ML.overheads.kernelCallCycles + Math.ceil(e / 8);
    expect(softmax.perf.vectorCycles!(AIE_ML, 'int8', t.tileM, 16)).toBe(expected);
    expect(l.perf!.terms['compute']).toBe(expected);
    expect(softmax.perf.lutBytes!('int8')).toBe(1024);
  });
});
