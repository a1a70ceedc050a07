import type { Attrs, Dim, Shape } from './types.js';
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

/** Number of elements of a static shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A numeric attribute, or `fallback` when absent. */
export function numAttr(attrs: Attrs, key: string, fallback: number): number {
  const v = attrs[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number') throw new Error(`attribute ${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** An integer-list attribute, or `fallback` when absent. */
export function intsAttr(attrs: Attrs, key: string, fallback?: number[]): number[] {
  const v = attrs[key];
  if (v === undefined || v === null) {
    if (fallback) return fallback;
    throw new Error(`attribute ${key} is missing`);
  }
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'number' || !Number.isInteger(e))) throw new Error(`attribute ${key} must be a list of integers, got ${JSON.stringify(v)}`);
  return v as number[];
}

/**
 * Product of dims that may hold the (single) symbolic batch dimension: a number when all are numbers, the symbol
 * when the others multiply to 1. Anything else (N*k) cannot be written as a shape whose only dynamic entry is the
 * batch, and is an error naming `what`.
 */
export function dimProduct(dims: readonly Dim[], what: string): Dim {
  let n = 1;
  let sym: string | undefined;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (sym === undefined) sym = d;
    else throw new Error(`${what} multiplies two dynamic dimensions (${sym} and ${d})`);
  }
  if (sym === undefined) return n;
  if (n === 1) return sym;
  throw new Error(`${what} would be ${sym}*${n}; only the batch dimension itself may be dynamic (fix the batch size with inputShapes)`);
}

/** Normalizes a list of axes (negative allowed) for `rank`, rejecting duplicates; returns them sorted. */
export function normAxes(axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normAxis(a, rank, what));
  const set = new Set(out);
  if (set.size !== out.length) throw new Error(`${what} [${axes.join(', ')}] repeats an axis`);
  return [...set].sort((x, y) => x - y);
}
