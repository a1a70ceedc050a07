import { describe, expect, it } from 'vitest';
import { markPareto, paretoFront, sweepCsv, type SweepResult } from '../../src/bench/sweep.js';
import { precisionList } from '../../src/cli/sweep.js';

/* The Pareto front of the sweep on hand-made points, its CSV, and the precision list parser. */

function point(precision: string, reuseFactor: number, mean: number, latency: number, dsp: number, lut: number, error: string | null = null): SweepResult {
  return {
    point: { precision, reuseFactor }, error, maxAbsError: mean * 4, meanAbsError: mean, argmaxAgreement: 1 - mean,
    estimate: { latencyCycles: latency, latencyNs: latency * 5, ii: reuseFactor, dsp, lut, ff: 100, bram18k: 0 }, bitExact: null, pareto: false, ms: 1,
  };
}

describe('Pareto front (all objectives minimized)', () => {
  it('keeps exactly the non-dominated points', () => {
    // a dominates d (better everywhere); b and c trade off against a; e equals a (ties are not domination).
    const objs = [
      [1, 10], // a
      [0.5, 20], // b
      [2, 5], // c
      [1.5, 12], // d: dominated by a
      [1, 10], // e: equal to a
      [3, 6], // f: dominated by c
      [NaN, 1], // g: unknown accuracy, never on the front
    ];
    expect(paretoFront(objs)).toEqual([true, true, true, false, true, false, false]);
  });

  it('in one objective, only the minimum survives', () => {
    expect(paretoFront([[3], [1], [2], [1]])).toEqual([false, true, false, true]);
  });

  it('marks sweep results on (mean error, latency, DSP, LUT); failed points are off the front', () => {
    const r = [
      point('fixed<16,6>', 1, 0.001, 12, 400, 9000), // most accurate, fastest: front
      point('fixed<16,6>', 4, 0.001, 20, 100, 9500), // fewer DSPs: front
      point('fixed<12,4>', 1, 0.01, 12, 400, 7000), // fewer LUTs: front
      point('fixed<12,4>', 4, 0.01, 20, 100, 9600), // dominated by (16,6, reuse 4)
      point('fixed<8,3>', 1, 0, 0, 0, 0, 'conversion failed'),
    ];
    markPareto(r);
    expect(r.map((x) => x.pareto)).toEqual([true, true, true, false, false]);
    markPareto(r, 'max');
    expect(r.map((x) => x.pareto)).toEqual([true, true, true, false, false]);
  });

  it('without estimates the front is on accuracy alone', () => {
    const r = [point('a<1>', 1, 0.2, 0, 0, 0), point('b<1>', 1, 0.1, 0, 0, 0)];
    for (const x of r) x.estimate = null;
    markPareto(r);
    expect(r.map((x) => x.pareto)).toEqual([false, true]);
  });

  it('writes CSV with quoted precisions and empty cells for unknowns', () => {
    const r = [point('fixed<16,6>', 2, 0.5, 12, 4, 90)];
    r[0].pareto = true;
    r[0].estimate!.bram18k = null;
    const lines = sweepCsv(r).trim().split('\n');
    expect(lines[0]).toBe('precision,reuse_factor,max_abs_error,mean_abs_error,argmax_agreement,latency_cycles,latency_ns,ii,dsp,lut,ff,bram18k,bit_exact,pareto,error');
    expect(lines[1]).toBe('"fixed<16,6>",2,2,0.5,0.5,12,60,2,4,90,100,,,true,');
  });
});

describe('sweep --precision list', () => {
  it('splits on commas outside angle brackets and checks each precision', () => {
    expect(precisionList("fixed<16,6>,fixed<12,4>, ap_fixed<18,8,AP_RND,AP_SAT>")).toEqual(['fixed<16,6>', 'fixed<12,4>', 'ap_fixed<18,8,AP_RND,AP_SAT>']);
    expect(() => precisionList('fixed<16,6>,float')).toThrow(/not a precision/);
  });
});
