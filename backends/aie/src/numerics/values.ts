/*
 * Values during emulation and what every kernel's emulate needs of them: run-time shapes, broadcasting, the check of
 * an input's grid, and the requantization of codes to an output grid.
 */
import { FirmflowError, sizeOf, type Graph, type IRNode } from 'firmflow';
import type { AieDataType, AieLayer } from '../lowered.js';
import { srs } from './srs.js';

/** A tensor during emulation: integer codes (or bf16 values in bf16 mode) in row-major order. */
export interface EmuValue {
  shape: number[];
  dtype: AieDataType;
  /** Fractional bits (0 in bf16 mode). */
  frac: number;
  data: Int32Array | Float32Array;
}

export function fracOf(f: number | number[] | undefined, what: string, node: IRNode): number {
  if (typeof f === 'number') return f;
  throw new FirmflowError('aie.emulate', `node '${node.name}': ${what} has no single fractional bit count`, { node: node.name });
}

/**
 * Shape of a graph tensor at run time: symbolic axes take the sample count; a fixed shape whose size does not
 * match `size` (a model declared with batch 1, fed many samples) takes the sample count on its first axis.
 */
export function runtimeShape(graph: Graph, tensor: string, samples: number, size?: number): number[] {
  const s = graph.tensor(tensor).shape.map((d) => (typeof d === 'number' ? d : samples));
  if (size !== undefined && sizeOf(s) !== size && s.length > 0) s[0] = size / sizeOf(s.slice(1));
  return s;
}

export function broadcastIndex(outShape: number[], inShape: number[]): Int32Array {
  const n = sizeOf(outShape);
  const idx = new Int32Array(n);
  const r = outShape.length;
  const ish = [...new Array(r - inShape.length).fill(1), ...inShape];
  const istr = new Array(r).fill(0);
  let s = 1;
  for (let d = r - 1; d >= 0; d--) {
    istr[d] = ish[d] === 1 ? 0 : s;
    s *= ish[d];
  }
  const ctr = new Array(r).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let d = 0; d < r; d++) o += ctr[d] * istr[d];
    idx[i] = o;
    for (let d = r - 1; d >= 0; d--) {
      if (++ctr[d] < outShape[d]) break;
      ctr[d] = 0;
    }
  }
  return idx;
}

export function broadcastShape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

export function shiftAt(shift: number | number[], n: number): number {
  return typeof shift === 'number' ? shift : shift[n];
}

export function checkFrac(v: EmuValue, expected: number, node: IRNode): void {
  if (v.dtype !== 'bf16' && v.frac !== expected) {
    throw new FirmflowError('aie.emulate', `node '${node.name}': its input has ${v.frac} fractional bits but the kernel expects ${expected}`, { node: node.name });
  }
}

/** Codes of `a` moved to the output scale (srs; exact when only bits are added). */
export function requant(a: EmuValue, layer: AieLayer, fo: number): Int32Array | Float32Array {
  if (a.dtype === 'bf16' || (a.frac === fo && a.dtype === layer.dtype.out)) return a.data;
  const o = new Int32Array(a.data.length);
  for (let i = 0; i < o.length; i++) o[i] = srs(a.data[i], a.frac - fo, layer.rounding, layer.dtype.out, layer.saturate);
  return o;
}

