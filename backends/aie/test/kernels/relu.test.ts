import { describe, expect, it } from 'vitest';
import { Graph, type FixedType } from 'firmflow';
import { relu } from '../../src/kernels/relu.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, onGrid, reference, refusal, traceRow } from './kit.js';

/** x (int8, 2^-4) -> ReLU -> y of type `out`, 16 wide. */
function reluGraph(out: FixedType = fx(8, 3)): () => Graph {
  return () => {
    const g = new Graph('relu');
    g.addTensor({ name: 'x', shape: ['N', 16], precision: fx(8, 4) });
    g.addTensor({ name: 'y', shape: ['N', 16], precision: out });
    g.addNode({ name: 'act', op: 'Relu', inputs: ['x'], outputs: ['y'] });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.outputs = [{ name: 'y', tensor: 'y' }];
    return g;
  };
}

describe('kernel relu', () => {
  it('legalizes to an srs from the input grid to the coarser output grid', () => {
    const l = layer(lower(reluGraph()), 'act');
    expect(l).toMatchObject({ kernel: 'relu', dtype: { a: 'int8', out: 'int8' }, frac: { a: 4, out: 3 }, shift: 1, rounding: 'conv_even', saturate: true, fusedRelu: true });
  });

  it('refuses an output grid finer than the input (an srs cannot shift left)', () => {
    expect(refusal(reluGraph(fx(8, 5)))).toContain("node 'act' (Relu): output 'y' has 5 fractional bits, finer than the input's; an srs cannot shift left");
  });

  it('emulates max(0, x) then conv_even rounding: hand-computed codes, and bit for bit the float interpreter', () => {
    const g = lower(reluGraph());
    const feed = onGrid([16], 4, 3);
    // Codes 13, 15, 14, -5: 6.5 -> 6 and 7.5 -> 8 (ties to even), 7, and 0.
    feed.data.set([13 / 16, 15 / 16, 14 / 16, -5 / 16]);
    const out = emulate(g, { x: feed });
    expect(Array.from(out.codes.slice(0, 4))).toEqual([6, 8, 7, 0]);
    expect(Array.from(out.data)).toEqual(Array.from(reference(reluGraph(), { x: feed })));
  });

  it('traces within its bound: half an output LSB (the srs), no input error', () => {
    const row = traceRow(lower(reluGraph()), { x: onGrid([16], 4, 9) }, 'act');
    expect(row.bound).toBe(2 ** -4);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.exceeds).toBe(false);
  });

  it('emits the relu kernel function with its shifts', () => {
    const g = lower(reluGraph());
    const m = emitted(g, 'act')!;
    const cfg = m.config.name;
    expect(m.library).toBe('elementwise.h');
    expect(m.config.lines).toContain('static constexpr int SHIFT = 1, UPSHIFT = 0;');
    expect(m.config.lines).toContain('static constexpr aie::rounding_mode ROUNDING = aie::rounding_mode::conv_even;');
    expect(m.kernels.map((k) => k.cls)).toEqual(m.kernels.map(() => `fn:firmflow::relu<${cfg}>`));
    expect(m.kernels.reduce((a, k) => a + k.outDims[0]!, 0)).toBeGreaterThanOrEqual(8 * 16);
  });

  it('models one vector pass per 64 int8 lanes plus the call', () => {
    const g = lower(reluGraph());
    const l = layer(g, 'act');
    const t = l.tiling!;
    const expected = Math.ceil((t.tileM * 16) / 64) + AIE_ML.overheads.kernelCallCycles;
    expect(relu.perf.vectorCycles!(AIE_ML, 'int8', t.tileM, 16)).toBe(expected);
    expect(l.perf!.terms['compute']).toBe(expected);
    expect(l.perf!.kernels).toBe(t.casNum);
  });
});
