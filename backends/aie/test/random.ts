/** The tests' fixed-seed generator (a 32-bit LCG): values in [0, 1), the same sequence on every machine. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The Park-Miller minimal standard generator: values in (0, 1), the same sequence on every machine. */
export function minstd(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}
