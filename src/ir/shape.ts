import type { Dim, Shape } from './types.js';
import { formatShape } from './types.js';

/** Numpy-style broadcast of shapes; symbolic dims broadcast with 1 or with themselves. */
export function broadcastShapes(...shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (d !== e) throw new Error(`shapes ${shapes.map(formatShape).join(' and ')} do not broadcast`);
    }
    out.push(d);
  }
  return out;
}

/** Normalizes a possibly negative axis for a tensor of `rank`, with a clear error. */
export function normAxis(axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Row-major strides of a static shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Strides for reading a tensor of `shape` broadcast to `out` (0 on broadcast axes). */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const st = strides(shape);
  const res = new Array<number>(out.length).fill(0);
  const off = out.length - shape.length;
  for (let i = 0; i < shape.length; i++) res[off + i] = shape[i] === 1 ? 0 : st[i];
  return res;
}
