import type { GraphPort } from '../ir/graph.js';
import type { TraceLayerSummary, TraceReportLike } from './report.js';

/*
 * The statistics of a trace: each layer's fixed-point outputs against the float model's, sample by sample, checked
 * against the bound the backend derives from the layer's arithmetic (per sample, in the max norm).
 */

/** Per-sample facts of one compared tensor, which the bounds of the layers reading it use. */
export interface TensorTrace {
  /** max |fixed - float| of each sample (NaN: the float model has no such tensor). */
  maxErr: Float64Array;
  /** max |float| and max |fixed| of each sample. */
  maxXf: Float64Array;
  maxXq: Float64Array;
}

export type LayerStats = Pick<TraceLayerSummary, 'maxAbsError' | 'meanAbsError' | 'bound' | 'ratio' | 'samplesExceeding' | 'fixedRange' | 'floatRange'>;

/**
 * Compares the fixed-point values of a layer's outputs (several for a Split: the error of a sample is the largest
 * over them) with the float model's. `bound(s)` is sample s's bound; an error exceeds it beyond `slack`, relative
 * to the bound and (for float64 rounding in the reference) to the sample's largest float value.
 */
export function compareLayer(
  fixed: readonly Float64Array[], float: readonly (Float64Array | undefined)[], samples: number, bound: (s: number) => number, slack: number,
): { stats: LayerStats; traces: TensorTrace[] } {
  const known = float.every((f, k) => f !== undefined && f.length === fixed[k].length);
  let maxAbsErr = 0, sum = 0, count = 0, worst = 0, worstBound = NaN, exceeding = 0;
  let qlo = Infinity, qhi = -Infinity, flo = Infinity, fhi = -Infinity;
  for (const a of fixed) for (let i = 0; i < a.length; i++) { if (a[i] < qlo) qlo = a[i]; if (a[i] > qhi) qhi = a[i]; }
  const traces = fixed.map(() => ({ maxErr: new Float64Array(samples).fill(NaN), maxXf: new Float64Array(samples), maxXq: new Float64Array(samples) }));
  for (let s = 0; s < samples; s++) {
    let m = 0, yf = 0;
    fixed.forEach((q, k) => {
      const n = q.length / samples;
      let mk = 0, xf = 0, xq = 0;
      for (let i = s * n; i < (s + 1) * n; i++) xq = Math.max(xq, Math.abs(q[i]));
      if (known) {
        const f = float[k]!;
        for (let i = s * n; i < (s + 1) * n; i++) {
          const d = Math.abs(q[i] - f[i]);
          sum += d;
          if (d > mk) mk = d;
          const af = Math.abs(f[i]);
          if (af > xf) xf = af;
          if (f[i] < flo) flo = f[i];
          if (f[i] > fhi) fhi = f[i];
        }
        count += n;
        traces[k].maxErr[s] = mk;
      }
      traces[k].maxXf[s] = xf;
      traces[k].maxXq[s] = xq;
      m = Math.max(m, mk);
      yf = Math.max(yf, xf);
    });
    if (!known) continue;
    if (m > maxAbsErr) maxAbsErr = m;
    const b = bound(s);
    const r = m === 0 ? 0 : m / b;
    if (m > b * (1 + slack) + slack * (1e-3 + yf)) exceeding++;
    if (r > worst || Number.isNaN(worstBound)) { worst = r; worstBound = b; }
  }
  if (!known) return { stats: { maxAbsError: NaN, meanAbsError: NaN, bound: NaN, ratio: NaN, samplesExceeding: 0, fixedRange: [qlo, qhi], floatRange: [NaN, NaN] }, traces };
  return {
    stats: { maxAbsError: maxAbsErr, meanAbsError: count ? sum / count : 0, bound: worstBound, ratio: worst, samplesExceeding: exceeding, fixedRange: [qlo, qhi], floatRange: [flo, fhi] },
    traces,
  };
}

/**
 * The comparisons of one trace, layer after layer: each layer's statistics and the per-sample errors of the tensors
 * compared so far (the inputs of the layers after it).
 */
export class LayerComparison {
  private readonly traces = new Map<string, TensorTrace>();

  constructor(
    private readonly fixed: ReadonlyMap<string, Float64Array>,
    private readonly float: ReadonlyMap<string, Float64Array>,
    readonly samples: number,
    private readonly slack: number,
  ) {}

  /** Compares the outputs `tensors` of a layer (see compareLayer); their traces are then known. */
  compare(tensors: readonly string[], bound: (s: number) => number): LayerStats {
    const { stats, traces } = compareLayer(tensors.map((t) => this.fixed.get(t)!), tensors.map((t) => this.float.get(t)), this.samples, bound, this.slack);
    tensors.forEach((t, k) => this.traces.set(t, traces[k]));
    return stats;
  }

  /** The per-sample facts of a compared tensor. */
  trace(tensor: string): TensorTrace | undefined {
    return this.traces.get(tensor);
  }

  /** Sample s's largest error on a compared tensor (NaN when unknown). */
  err(tensor: string, s: number): number {
    return this.traces.get(tensor)?.maxErr[s] ?? NaN;
  }
}

/** A row with `exceeds` set from its count of samples exceeding the bound. */
export function traceRow<L extends TraceLayerSummary>(row: Omit<L, 'exceeds'>): L {
  return { ...row, exceeds: row.samplesExceeding > 0 } as L;
}

/** Largest and mean |fixed - float| of each graph output (NaN when the float model lacks it). */
export function outputErrors(ports: readonly GraphPort[], fixed: ReadonlyMap<string, Float64Array>, float: ReadonlyMap<string, Float64Array>): TraceReportLike['outputs'] {
  const out: TraceReportLike['outputs'] = {};
  for (const p of ports) {
    const q = fixed.get(p.tensor), f = float.get(p.tensor);
    if (!q) continue;
    let m = 0, sum = 0;
    if (f && f.length === q.length) for (let i = 0; i < q.length; i++) { const d = Math.abs(q[i] - f[i]); sum += d; if (d > m) m = d; }
    else { m = NaN; sum = NaN; }
    out[p.name] = { maxAbsError: m, meanAbsError: sum / q.length };
  }
  return out;
}

/** The report of a trace's rows: the first unexplained layer, the overflows and the outputs' errors. */
export function summarizeTrace<L extends TraceLayerSummary>(samples: number, rows: L[], outputs: TraceReportLike['outputs']): TraceReportLike<L> {
  return {
    samples,
    layers: rows,
    firstUnexplained: rows.find((r) => r.exceeds),
    overflowed: rows.filter((r) => r.overflows > 0).map((r) => ({ layer: r.layer, count: r.overflows, kind: r.overflowKind ?? '' })),
    outputs,
  };
}
