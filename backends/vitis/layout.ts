import { FirmflowError } from 'firmflow';

/** Applies a batch-inclusive permutation (perm[0] === 0) to `samples` samples of per-sample shape `shape`. */
export function permuteSamples<T extends Float32Array | Float64Array = Float64Array>(
  data: ArrayLike<number>, samples: number, shape: number[], perm: number[], out?: T,
): T {
  if (perm[0] !== 0) throw new FirmflowError('vitis.emulate', `layout permutation [${perm.join(', ')}] moves the batch axis`);
  const p = perm.slice(1).map((a) => a - 1);
  const outS = p.map((a) => shape[a]);
  const inStr: number[] = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { inStr[i] = acc; acc *= shape[i]; }
  const n = acc;
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < outS.length; d++) s += idx[d] * inStr[p[d]];
    map[i] = s;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  const dst = (out ?? new Float64Array(samples * n)) as T;
  for (let s = 0; s < samples; s++) for (let i = 0; i < n; i++) dst[s * n + i] = data[s * n + map[i]];
  return dst;
}
