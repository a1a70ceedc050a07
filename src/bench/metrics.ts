import type { ErrorStats, Histogram } from './types.js';

/** Error of `got` against `ref` (same length, `samples` samples); argmax agreement when `classifier`. */
export function errorStats(got: ArrayLike<number>, ref: ArrayLike<number>, samples: number, classifier: boolean): ErrorStats {
  if (got.length !== ref.length) throw new Error(`cannot compare ${got.length} values with ${ref.length} reference values`);
  let max = 0, sum = 0, sq = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - ref[i]);
    if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
    sum += d;
    sq += d * d;
  }
  const n = Math.max(got.length, 1);
  return {
    maxAbsError: max,
    meanAbsError: sum / n,
    rmsError: Math.sqrt(sq / n),
    argmaxAgreement: classifier ? argmaxAgreement(got, ref, samples) : null,
  };
}

/** Index of the first largest value of each sample. */
export function argmaxes(v: ArrayLike<number>, samples: number): Int32Array {
  const n = v.length / samples;
  const out = new Int32Array(samples);
  for (let s = 0; s < samples; s++) {
    let best = s * n;
    for (let i = s * n + 1; i < (s + 1) * n; i++) if (v[i] > v[best]) best = i;
    out[s] = best - s * n;
  }
  return out;
}

/** Fraction of samples whose argmax agrees. */
export function argmaxAgreement(got: ArrayLike<number>, ref: ArrayLike<number>, samples: number): number {
  if (samples === 0) return 1;
  const a = argmaxes(got, samples), b = argmaxes(ref, samples);
  let same = 0;
  for (let s = 0; s < samples; s++) if (a[s] === b[s]) same++;
  return same / samples;
}

/** Values that differ (bitwise equality of doubles; NaN equals NaN) and the largest difference. */
export function compareExact(a: ArrayLike<number>, b: ArrayLike<number>): { equal: boolean; mismatches: number; maxAbsDifference: number } {
  let mismatches = Math.abs(a.length - b.length), max = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i] || (Number.isNaN(a[i]) && Number.isNaN(b[i]))) continue;
    mismatches++;
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return { equal: mismatches === 0, mismatches, maxAbsDifference: max };
}

/**
 * Histogram of signed errors got - ref over `bins` equal bins symmetric about zero, spanning the largest error
 * (values that are exactly equal are also counted apart, as `zeros`).
 */
export function errorHistogram(pairs: { got: ArrayLike<number>; ref: ArrayLike<number> }[], source: Histogram['source'], bins = 40): Histogram {
  let m = 0, total = 0, zeros = 0;
  for (const { got, ref } of pairs) {
    for (let i = 0; i < got.length; i++) {
      const d = got[i] - ref[i];
      if (Number.isFinite(d)) m = Math.max(m, Math.abs(d));
    }
  }
  const span = m > 0 ? m : 1;
  const edges = Array.from({ length: bins + 1 }, (_, i) => -span + (2 * span * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const { got, ref } of pairs) {
    for (let i = 0; i < got.length; i++) {
      const d = got[i] - ref[i];
      if (!Number.isFinite(d)) continue;
      total++;
      if (d === 0) zeros++;
      counts[Math.min(bins - 1, Math.max(0, Math.floor(((d + span) / (2 * span)) * bins)))]++;
    }
  }
  return { source, edges, counts, zeros, total };
}
