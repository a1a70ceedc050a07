import { describe, expect, it } from 'vitest';
import { Graph } from 'firmflow';
import { layernorm } from '../../src/kernels/layernorm.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, onGrid, refusal, traceRow } from './kit.js';

const GAMMA = Float32Array.from({ length: 16 }, (_, j) => 0.5 + j / 32);
const BETA = Float32Array.from({ length: 16 }, () => 0.25);

/** x [N, 16] (int8, 2^-4) -> LayerNormalization(gamma, beta) -> y (int8, 2^-5); gamma a runtime input when asked. */
function lnGraph(runtimeScale = false): () => Graph {
  return () => {
    const g = new Graph('ln');
    g.addTensor({ name: 'x', shape: ['N', 16], precision: fx(8, 4) });
    g.addTensor({ name: 'gamma', shape: [16], ...(runtimeScale ? { precision: fx(8, 6) } : { data: GAMMA }) });
    g.addTensor({ name: 'beta', shape: [16], data: BETA });
    g.addTensor({ name: 'y', shape: ['N', 16], precision: fx(8, 5) });
    g.addNode({ name: 'ln', op: 'LayerNormalization', attrs: { axis: 1, epsilon: 1e-5 }, inputs: ['x', 'gamma', 'beta'], outputs: ['y'] });
    g.inputs = [{ name: 'x', tensor: 'x' }, ...(runtimeScale ? [{ name: 'gamma', tensor: 'gamma' }] : [])];
    g.outputs = [{ name: 'y', tensor: 'y' }];
    return g;
  };
}

describe('kernel layernorm', () => {
  it('legalizes along the last axis with its scale and bias as real numbers', () => {
    const l = layer(lower(lnGraph()), 'ln');
    expect(l).toMatchObject({ kernel: 'layernorm', attrs: { axis: 1, epsilon: 1e-5 }, dtype: { a: 'int8', out: 'int8' }, frac: { a: 4, out: 5 } });
    expect(Array.from(l.params!.gamma!)).toEqual(Array.from(GAMMA));
  });

  it('refuses a runtime scale', () => {
    expect(refusal(lnGraph(true))).toContain("node 'ln' (LayerNormalization): scale and bias must be constants");
  });

  it('emulates a constant row as beta exactly (0.25 = code 8 at 2^-5)', () => {
    const feed = onGrid([16], 4, 41, 60);
    feed.data.fill(1.25, 0, 16);
    const out = emulate(lower(lnGraph()), { x: feed });
    expect(Array.from(out.codes.slice(0, 16))).toEqual(new Array(16).fill(8));
  });

  it('traces within its bound against the float LayerNorm', () => {
    const row = traceRow(lower(lnGraph()), { x: onGrid([16], 4, 42, 60) }, 'ln');
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
    expect(row.bound).toBeLessThan(0.1);
    expect(row.exceeds).toBe(false);
  });

  it('emits LayerNorm<cfg> with gamma, beta and the reciprocal square root table', () => {
    const m = emitted(lower(lnGraph()), 'ln')!;
    expect(m.arrays.map((a) => [a.name, a.ctype, a.values.length])).toEqual([[`${m.id}_gamma`, 'int16', 16], [`${m.id}_beta`, 'int32', 16], [`${m.id}_rsqrt`, 'int16', 1536]]);
    expect(m.config.lines.some((s) => s.startsWith('static constexpr int NORM_FRAC = 12, RSQ_BITS = 21, GAMMA_FRAC = '))).toBe(true);
    expect(m.kernels[0].ctorArgs).toEqual([`${m.id}_gamma`, `${m.id}_beta`, `${m.id}_rsqrt`]);
  });

  it('models four passes and a reciprocal square root per row; keeps 3168 bytes of constants', () => {
    const l = layer(lower(lnGraph()), 'ln');
    const t = l.tiling!;
    const expected = 4 * Math.ceil((t.tileM * 16) / 64) + 48 * t.tileM + AIE_ML.overheads.kernelCallCycles;
    expect(l.perf!.terms['compute']).toBe(expected);
    expect(layernorm.perf.tableBytes!(l, 16)).toBe(16 * 6 + 1536 * 2);
  });
});
