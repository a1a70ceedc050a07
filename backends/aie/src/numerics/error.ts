/* Error arithmetic the kernels' trace bounds share: unit roundoffs, rounding steps and max norms. */
import type { Graph, IRNode } from 'firmflow';
import type { AieLayer, AieRounding } from '../lowered.js';
import type { EmuValue } from './values.js';

export const U_BF16 = 2 ** -8;
export const U_F32 = 2 ** -24;
export const TINY = 2 ** -126;

/** srs rounding step at 2^-frac: a whole LSB for floor/ceil, half for the round-to-nearest modes. */
export function srsStep(mode: AieRounding, frac: number): number {
  const lsb = 2 ** -frac;
  return mode === 'floor' || mode === 'ceil' ? lsb : lsb / 2;
}

/** fp32 accumulation error factor for m terms (Higham's gamma_m). */
export function gammaF32(m: number): number {
  return (m * U_F32) / (1 - m * U_F32);
}

export function maxAbs(a: ArrayLike<number>, from = 0, to = a.length): number {
  let m = 0;
  for (let i = from; i < to; i++) { const v = Math.abs(a[i]); if (v > m) m = v; }
  return m;
}

/** max |a - b| (0 when b is absent: the constant is compared with itself). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number> | undefined): number {
  if (!b) return 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}


/** What the trace gives a kernel to bound its output error per sample (see trace.ts for the rule). */
export interface TraceContext {
  graph: Graph;
  node: IRNode;
  layer: AieLayer;
  samples: number;
  /** Runtime inputs the emulation computed, and their values. */
  ins: string[];
  inV: EmuValue[];
  /** The layer's output value (the first one of a Split). */
  out: EmuValue;
  /** bf16 layer, and the output's fractional bits (0 in bf16). */
  bf: boolean;
  fo: number;
  /** Observed max error of tensor t in sample s (NaN when unknown, 0 when exact). */
  err(t: string, s: number): number;
  /** Real values of tensor t in sample s (fixed-point emulation / float model); the whole tensor without s. */
  fixedOf(t: string, s?: number): Float64Array | undefined;
  floatOf(t: string, s?: number): Float64Array | undefined;
  /** The float model's constant t when it has `length` values. */
  refConst(t: string | undefined, length: number): Float64Array | undefined;
  /** The srs rounding step of the output grid when the kernel drops bits (`shifts`), else 0. */
  rho(shifts: boolean): number;
  /** Rounding of the float model's own quantizer on the output. */
  rr: number;
  /** bf16 output rounding of sample s at unit roundoff u (0 in int mode). */
  bfOut(s: number, u: number): number;
}

/**
 * Kernels that move or clip values (ReLU, Transpose, views): L = 1 per input (Concat: the largest of its operands'
 * errors); own = the srs rounding when the kernel requantizes to a coarser grid.
 */
export function movementBound(ctx: TraceContext): (s: number) => number {
  const requant = ctx.inV.some((v) => !ctx.bf && v.frac > ctx.fo);
  const concat = ctx.node.op === 'Concat';
  return (s) => {
    const es = ctx.ins.map((i) => ctx.err(i, s));
    const e = concat ? Math.max(...es) : es.reduce((a, b) => a + b, 0);
    return (e === 0 ? 0 : e) + ctx.rho(requant) + ctx.rr;
  };
}
