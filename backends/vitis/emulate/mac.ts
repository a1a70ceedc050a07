import { convertRaw, type FixedType, fracBits } from 'firmflow';
import { makeConverter, maxAbsCode, overflowsBig, type CodeConverter } from './convert.js';

/*
 * The multiply-accumulate core of Dense and Conv: y[n] = result(accum(b[n]) + sum_k accum(x[k] * w[k][n])).
 *
 * When the accumulator loses nothing (enough fractional bits for every product and the bias, and a range that
 * holds the largest possible sum), the order of additions does not matter and the exact sum is all that counts.
 * Three ways to get it, chosen once per layer from static bounds:
 * - 'double': every partial sum is an integer below 2^53, so plain double arithmetic is exact;
 * - 'split': the input codes are cut into limbs of L bits so each limb's sum stays below 2^53; the limb sums are
 *   recombined per output in BigInt (cost: one pass per limb, BigInt work per output only, not per product);
 * - 'sequential': the accumulator rounds or overflows, so the kernel's exact sequence is replayed in BigInt:
 *   acc = accum(b); for k in order: acc = accum(acc + accum(x[k] * w[k][n])) (zero inputs add nothing and are
 *   skipped, as an exact zero product changes no accumulator).
 */

export type MacMode = 'double' | 'split' | 'sequential';

export interface MacSpec {
  K: number;
  N: number;
  /** Weight codes, K-major ([k][n]). */
  w: Float64Array;
  wType: FixedType;
  /** Bias codes (N) or undefined. */
  b?: Float64Array;
  bType?: FixedType;
  xType: FixedType;
  accum: FixedType;
  result: FixedType;
}

export class MacEngine {
  readonly mode: MacMode;
  readonly K: number;
  readonly N: number;
  /** Fractional bits of the exact sums (double/split). */
  private readonly P: number;
  private readonly w: Float64Array;
  private readonly b: Float64Array;
  private readonly acc: Float64Array;
  private readonly conv: CodeConverter;
  // split mode
  private readonly limbBits: number;
  private readonly limbs: number;
  private readonly limbAcc: Float64Array[] = [];
  private readonly limbX: Float64Array[] = [];
  // sequential mode
  private readonly spec: MacSpec;
  private readonly wBig: bigint[] = [];
  private readonly bAcc: bigint[] = [];

  constructor(spec: MacSpec) {
    this.spec = spec;
    const { K, N } = spec;
    this.K = K;
    this.N = N;
    const fx = fracBits(spec.xType), fw = fracBits(spec.wType), fb = spec.bType ? fracBits(spec.bType) : fx + fw;
    const pf = fx + fw;
    const P = Math.max(pf, spec.b ? fb : pf);
    this.P = P;
    const ws = 2 ** (P - pf), bs = 2 ** (P - fb);
    this.w = new Float64Array(K * N);
    for (let i = 0; i < K * N; i++) this.w[i] = spec.w[i] * ws;
    this.b = new Float64Array(N);
    if (spec.b) for (let n = 0; n < N; n++) this.b[n] = spec.b[n] * bs;
    this.acc = new Float64Array(N);
    // Largest |sum| in codes of 2^-P, from the largest input code and each column's absolute weight sum.
    let colMax = 0, bMax = 0, anyNeg = false;
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) { const v = this.w[k * N + n]; s += Math.abs(v); if (v < 0) anyNeg = true; }
      if (s > colMax) colMax = s;
      const bv = Math.abs(this.b[n]);
      if (bv > bMax) bMax = bv;
      if (this.b[n] < 0) anyNeg = true;
    }
    const xMax = maxAbsCode(spec.xType);
    const bound = xMax * colMax + bMax;
    const A = spec.accum, fa = fracBits(A);
    const aMax = maxAbsCode(A);
    const mayBeNegative = anyNeg || spec.xType.signed;
    const lossless = fa >= P && bound * 2 ** (fa - P) <= (A.signed ? aMax : mayBeNegative ? -1 : aMax);
    this.conv = makeConverter(P, spec.result);
    this.limbBits = 0;
    this.limbs = 0;
    if (lossless && bound < 2 ** 53) {
      this.mode = 'double';
    } else if (lossless && colMax < 2 ** 50) {
      this.mode = 'split';
      const L = Math.floor(52 - Math.log2(colMax + 1)) - 1;
      this.limbBits = L;
      this.limbs = Math.ceil((spec.xType.width + 1) / L);
      for (let j = 0; j < this.limbs; j++) { this.limbAcc.push(new Float64Array(N)); this.limbX.push(new Float64Array(K)); }
    } else {
      this.mode = 'sequential';
      for (let i = 0; i < K * N; i++) this.wBig.push(BigInt(spec.w[i]));
      for (let n = 0; n < N; n++) this.bAcc.push(spec.b ? convertRaw(BigInt(spec.b[n]), fb, A) : 0n);
    }
  }

  /** One output row: reads K codes of x from xo, writes N result codes to out at oo; returns overflows. */
  row(x: ArrayLike<number>, xo: number, out: Float64Array, oo: number): number {
    if (this.mode === 'double') {
      const { K, N, w, acc } = this;
      acc.set(this.b);
      for (let k = 0; k < K; k++) {
        const xv = x[xo + k];
        if (xv === 0) continue;
        const wo = k * N;
        for (let n = 0; n < N; n++) acc[n] += xv * w[wo + n];
      }
      return this.conv(acc, out, N, 0, oo);
    }
    if (this.mode === 'split') return this.rowSplit(x, xo, out, oo);
    return this.rowSequential(x, xo, out, oo);
  }

  private rowSplit(x: ArrayLike<number>, xo: number, out: Float64Array, oo: number): number {
    const { K, N, w, limbs, limbBits } = this;
    const base = 2 ** limbBits;
    // x = sum_j limb_j * 2^(j L): low limbs in [0, 2^L), the top limb carries the sign.
    for (let k = 0; k < K; k++) {
      let v = x[xo + k];
      for (let j = 0; j < limbs - 1; j++) {
        const hi = Math.floor(v / base);
        this.limbX[j][k] = v - hi * base;
        v = hi;
      }
      this.limbX[limbs - 1][k] = v;
    }
    for (let j = 0; j < limbs; j++) {
      const acc = this.limbAcc[j], xl = this.limbX[j];
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const xv = xl[k];
        if (xv === 0) continue;
        const wo = k * N;
        for (let n = 0; n < N; n++) acc[n] += xv * w[wo + n];
      }
    }
    let over = 0;
    const R = this.spec.result;
    for (let n = 0; n < N; n++) {
      let total = BigInt(this.b[n]);
      for (let j = 0; j < limbs; j++) total += BigInt(this.limbAcc[j][n]) << BigInt(j * limbBits);
      if (overflowsBig(total, this.P, R)) over++;
      out[oo + n] = Number(convertRaw(total, this.P, R));
    }
    return over;
  }

  private rowSequential(x: ArrayLike<number>, xo: number, out: Float64Array, oo: number): number {
    const { K, N } = this;
    const { accum: A, result: R, xType, wType } = this.spec;
    const fa = fracBits(A), pf = fracBits(xType) + fracBits(wType);
    let over = 0;
    for (let n = 0; n < N; n++) {
      let acc = this.bAcc[n];
      for (let k = 0; k < K; k++) {
        const xv = x[xo + k];
        if (xv === 0) continue;
        const p = BigInt(xv) * this.wBig[k * N + n];
        const pa = convertRaw(p, pf, A);
        if (overflowsBig(p, pf, A)) over++;
        const s = acc + pa;
        if (overflowsBig(s, fa, A)) over++;
        acc = convertRaw(s, fa, A);
      }
      if (overflowsBig(acc, fa, R)) over++;
      out[oo + n] = Number(convertRaw(acc, fa, R));
    }
    return over;
  }
}
