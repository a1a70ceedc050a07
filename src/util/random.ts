/**
 * Mulberry32: a tiny seeded generator of uniform numbers in [0, 1). Example weights, benchmarks and tests need
 * reproducible data, not statistical quality.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform generator (Box-Muller). */
export function normal(uniform: () => number): number {
  const u = Math.max(uniform(), 1e-12), v = uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** `n` deterministic float32 values, uniform in [-scale, scale). */
export function uniformFloat32(n: number, seed: number, scale = 1): Float32Array {
  const u = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (u() * 2 - 1) * scale;
  return out;
}
