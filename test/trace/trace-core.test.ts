import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import {
  compareLayer, feedOf, formatTraceNumber, formatTraceTable, LayerComparison, outputErrors, recordFloat, summarizeTrace, traceRow,
  type TraceLayerSummary,
} from '../../src/trace/index.js';

/* The trace core both backends use: statistics on hand-made values, the table with a backend's own column, feeds, float recording. */

const f64 = (...v: number[]): Float64Array => Float64Array.from(v);

describe('compareLayer', () => {
  // Two samples of two values each (exact binary fractions: every statistic below is exact).
  const fixed = f64(1, 2, 3, 4);
  const float = f64(1, 2.5, 3, 3.75);

  it('gives the worst error/bound ratio, its bound, the samples exceeding, the mean and the ranges', () => {
    const { stats, traces } = compareLayer([fixed], [float], 2, (s) => [0.25, 0.5][s], 1e-9);
    expect(stats).toEqual({ maxAbsError: 0.5, meanAbsError: 0.1875, bound: 0.25, ratio: 2, samplesExceeding: 1, fixedRange: [1, 4], floatRange: [1, 3.75] });
    expect([...traces[0].maxErr]).toEqual([0.5, 0.25]);
    expect([...traces[0].maxXf]).toEqual([2.5, 3.75]);
    expect([...traces[0].maxXq]).toEqual([2, 4]);
  });

  it('takes the largest error over several outputs (a Split) per sample', () => {
    const { stats } = compareLayer([fixed, f64(0, 0, 0, 0)], [float, f64(0, 1, 0, 0)], 2, () => 1, 1e-9);
    expect(stats.maxAbsError).toBe(1);
    expect(stats.ratio).toBe(1);
    expect(stats.samplesExceeding).toBe(0);
    expect(stats.meanAbsError).toBe(1.75 / 8);
  });

  it('allows the slack relative to the bound and to the float values, and no more', () => {
    const q = f64(1 + 2e-9), fl = f64(1);
    // error 2e-9 against a bound of 1e-9: slack 1e-9 * (1e-3 + 1) covers it; slack 1e-10 does not.
    expect(compareLayer([q], [fl], 1, () => 1e-9, 1e-9).stats.samplesExceeding).toBe(0);
    expect(compareLayer([q], [fl], 1, () => 1e-9, 1e-10).stats.samplesExceeding).toBe(1);
  });

  it('reports n/a statistics (NaN) when the float model lacks the tensor, keeping the fixed-point range', () => {
    const { stats, traces } = compareLayer([fixed], [undefined], 2, () => 1, 1e-9);
    expect(stats).toEqual({ maxAbsError: NaN, meanAbsError: NaN, bound: NaN, ratio: NaN, samplesExceeding: 0, fixedRange: [1, 4], floatRange: [NaN, NaN] });
    expect([...traces[0].maxErr]).toEqual([NaN, NaN]);
    expect([...traces[0].maxXq]).toEqual([2, 4]);
  });
});

describe('LayerComparison, rows and the report', () => {
  const fixed = new Map([['x', f64(1, 2)], ['y', f64(3, 5)]]);
  const float = new Map([['x', f64(1, 2.25)], ['y', f64(3, 4)]]);
  const cmp = new LayerComparison(fixed, float, 1, 1e-9);
  const base = { node: '', kernel: '', type: 't', overflows: 0, typeRange: [-8, 8] as [number, number] };
  const rx = traceRow<TraceLayerSummary>({ index: -1, layer: 'input x', op: 'Input', tensor: 'x', ...base, ...cmp.compare(['x'], () => 0.25) });
  const ry = traceRow<TraceLayerSummary>({ index: 0, layer: 'fc', op: 'Dense', tensor: 'y', ...base, overflows: 3, overflowKind: 'saturated', ...cmp.compare(['y'], (s) => 2 * cmp.err('x', s)) });
  const report = summarizeTrace(1, [rx, ry], outputErrors([{ name: 'out', tensor: 'y' }], fixed, float));

  it('feeds a layer the errors of the tensors compared before it', () => {
    expect(cmp.err('x', 0)).toBe(0.25);
    expect(cmp.err('z', 0)).toBeNaN();
    expect(ry.bound).toBe(0.5);
    expect(ry.ratio).toBe(2);
  });

  it('marks rows exceeding their bound, the first unexplained layer, the overflows and the outputs', () => {
    expect([rx.exceeds, ry.exceeds]).toEqual([false, true]);
    expect(report.firstUnexplained).toBe(ry);
    expect(report.overflowed).toEqual([{ layer: 'fc', count: 3, kind: 'saturated' }]);
    expect(report.outputs).toEqual({ out: { maxAbsError: 1, meanAbsError: 0.5 } });
  });

  it('formats the table with a backend column after op, numbers right-aligned, and the summary lines', () => {
    const text = formatTraceTable(report, { columns: [{ head: 'kernel', cell: (r) => (r.index < 0 ? '' : 'mac') }], legend: '; bound = test.', explainedBy: 'arithmetic' });
    expect(text.split('\n')).toEqual([
      '#   layer    op     kernel  type  max|err|  mean|err|  bound  err/bound    overflows',
      '--  -------  -----  ------  ----  --------  ---------  -----  ---------  -----------  --------------------',
      'in  input x  Input          t        0.250      0.125  0.250       1.00            0',
      '0   fc       Dense  mac     t         1.00      0.500  0.500       2.00  3 saturated  <- first unexplained',
      '',
      '1 sample; bound = test.',
      "First layer whose error its arithmetic does not explain: 'fc' (Dense, t): max |err| 1.00 > bound 0.500 on 1 sample(s); 3 value(s) saturated.",
      "Overflows: 'fc' 3 saturated.",
    ]);
  });

  it('says when every error is explained, and notes a range the float values exceed', () => {
    const ok = summarizeTrace(2, [rx], {});
    expect(formatTraceTable(ok, { legend: '.', explainedBy: 'precision' }).split('\n').slice(-2)).toEqual(['2 samples.', "Every layer's error is explained by its precision."]);
    const wide = traceRow<TraceLayerSummary>({ ...ry, overflows: 0, overflowKind: undefined, floatRange: [0, 9] });
    const last = formatTraceTable(summarizeTrace(1, [wide], {}), { legend: '.', explainedBy: 'precision' }).split('\n').at(-1);
    expect(last).toBe("First layer whose error its precision does not explain: 'fc' (Dense, t): max |err| 1.00 > bound 0.500 on 1 sample(s); float values exceed the type's range.");
  });

  it('prints numbers in three digits, exponents outside [1e-3, 1e4), inf and n/a', () => {
    expect([0, 1 / 3, 12345, 2e-4, Infinity, NaN].map(formatTraceNumber)).toEqual(['0', '0.333', '1.23e+4', '2.00e-4', 'inf', 'n/a']);
  });
});

describe('feedOf', () => {
  it('reads bare arrays for a single input, the JSON layout, and looks keys up in order', () => {
    expect(feedOf([1, 2], ['x'], true)).toEqual({ data: [1, 2] });
    expect(feedOf([1, 2], ['x'], false)).toBeUndefined();
    expect(feedOf({ x: { shape: [1, 2], data: [3, 4], dtype: 'float32' } }, ['x'], false)).toEqual({ data: [3, 4], shape: [1, 2] });
    expect(feedOf({ t: f64(5) }, ['x', 't'], false)).toEqual({ data: f64(5) });
    expect(feedOf({ y: [1] }, ['x'], true)).toBeUndefined();
  });
});

describe('recordFloat', () => {
  /** y = x + relu(x), over three values per sample, with the given batch axis. */
  function graph(batch: number | string): Graph {
    const g = new Graph('t');
    g.addTensor({ name: 'x', shape: [batch, 3] });
    g.addTensor({ name: 'h', shape: [batch, 3] });
    g.addTensor({ name: 'y', shape: [batch, 3] });
    g.addNode({ name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['h'] });
    g.addNode({ name: 'add', op: 'Add', inputs: ['x', 'h'], outputs: ['y'] });
    g.inputs = [{ name: 'in', tensor: 'x' }];
    g.outputs = [{ name: 'out', tensor: 'y' }];
    return g;
  }
  const feeds = [{ name: 'in', data: f64(-1, 2, 3, 4, -5, 6), perSample: [3] }];

  it('records inputs and every tensor, sample-major; a tensor hook changes what later nodes read', () => {
    const chunks: number[] = [];
    const out = recordFloat(graph('N'), feeds, 2, {
      input: (_n, _t, d) => { chunks.push(d.length); d[0] = 0; },
      tensor: (name, v) => { if (name === 'h') for (let i = 0; i < v.data.length; i++) v.data[i] *= 2; },
    });
    expect(chunks).toEqual([6]);
    expect([...out.get('x')!]).toEqual([0, 2, 3, 4, -5, 6]);
    expect([...out.get('h')!]).toEqual([0, 4, 6, 8, 0, 12]);
    expect([...out.get('y')!]).toEqual([0, 6, 9, 12, -5, 18]);
    expect([...feeds[0].data]).toEqual([-1, 2, 3, 4, -5, 6]);
  });

  it('runs a model with a fixed batch one sample at a time, with the same values', () => {
    const chunks: number[] = [];
    const out = recordFloat(graph(1), feeds, 2, { input: (_n, _t, d) => chunks.push(d.length) });
    expect(chunks).toEqual([3, 3]);
    expect([...out.get('y')!]).toEqual([-1, 4, 6, 8, -5, 12]);
  });

  it('names a missing input', () => {
    expect(() => recordFloat(graph('N'), [], 1)).toThrow("missing value for input 'in' of the float model");
  });
});
