import { FirmflowError, sizeOf, strides } from 'firmflow';

/*
 * The one permutation rule of the backend: a batch-inclusive permutation (ONNX Transpose `perm`, port layouts)
 * applied per sample, as a gather map. Transpose's emulation and the port layout conversions both use it.
 */

/** The per-sample permutation of a batch-inclusive one (perm[0] === 0): output axis a reads input axis p[a]. */
export function samplePerm(perm: readonly number[]): number[] {
  return perm.slice(1).map((a) => a - 1);
}

/** The permutation undoing `perm` (inv[perm[i]] = i): the firmware's layout back to the model's. */
export function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((a, i) => { inv[a] = i; });
  return inv;
}

/** Gather map of a per-sample permutation `p` of `shape`: output element i is input element map[i]. */
export function permutationMap(shape: readonly number[], p: readonly number[]): Int32Array {
  const outS = p.map((a) => shape[a]);
  const inStr = strides(shape as number[]);
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < outS.length; d++) s += idx[d] * inStr[p[d]];
    map[i] = s;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  return map;
}

/** Applies a batch-inclusive permutation (perm[0] === 0) to `samples` samples of per-sample shape `shape`. */
export function permuteSamples<T extends Float32Array | Float64Array = Float64Array>(
  data: ArrayLike<number>, samples: number, shape: number[], perm: number[], out?: T,
): T {
  if (perm[0] !== 0) throw new FirmflowError('vitis.emulate', `layout permutation [${perm.join(', ')}] moves the batch axis`);
  const map = permutationMap(shape, samplePerm(perm));
  const n = map.length;
  const dst = (out ?? new Float64Array(samples * n)) as T;
  for (let s = 0; s < samples; s++) for (let i = 0; i < n; i++) dst[s * n + i] = data[s * n + map[i]];
  return dst;
}
