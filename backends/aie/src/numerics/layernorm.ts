/*
 * The LayerNorm kernels' arithmetic (int8 and bf16): constants computed here once and emitted by the writer, and the
 * row algorithms the emulator runs, exactly as the kernels do them.
 */
import type { AieDataType, AieLayer, AieRounding } from '../lowered.js';
import { bf16Round } from './bf16.js';
import { countOverflows, log2Floor, roundShift, srs } from './srs.js';

// ---------------------------------------------------------------------------------------------- layernorm (bf16)

export interface LayerNormBf16Constants {
  /** Row length. */
  L: number;
  /** fp32 epsilon, scale and bias (the model's values rounded to nearest fp32; beta 0 without a bias input). */
  eps: number;
  gamma: Float32Array;
  beta: Float32Array;
}

/** The bf16 LayerNorm's constants, computed once here and emitted by the writer (EPS, the gamma and beta arrays). */
export function layerNormBf16Constants(layer: AieLayer, L: number): LayerNormBf16Constants {
  const eps = Math.fround(Number(layer.attrs['epsilon'] ?? 1e-5));
  const gamma = layer.params?.gamma ? Float32Array.from(layer.params.gamma) : new Float32Array(L).fill(1);
  const beta = layer.params?.beta ? Float32Array.from(layer.params.beta) : new Float32Array(L);
  if (gamma.length !== L || beta.length !== L) throw new Error(`layernorm: gamma/beta length ${gamma.length}/${beta.length} != ${L}`);
  return { L, eps, gamma, beta };
}

/**
 * bf16 LayerNorm of one row (length L), exactly as the kernel (firmflow::LayerNormBf16) does it. Every step is one
 * IEEE fp32 operation, rounded to nearest even (here: the exact double result of fp32 operands rounded by
 * Math.fround, which equals the correctly rounded fp32 result for + - * / and sqrt since 53 >= 2 * 24 + 2):
 *   S   = fp32 sum of x_j in ascending j;        mu = S / L
 *   d_j = x_j - mu;  Q = fp32 sum of (d_j * d_j) in ascending j, each square rounded before the add
 *   v   = Q / L;  w = v + eps;  s = sqrt(w);  r = 1 / s
 *   y_j = bf16((d_j * r) * gamma_j + beta_j)     (three roundings to fp32, then one to bf16)
 * A constant row of bf16 values (L <= 2^16) sums exactly, so mu = x, d = 0, v = 0 and y = bf16(beta), as in ONNX.
 */
export function layerNormRowBf16(x: ArrayLike<number>, off: number, c: LayerNormBf16Constants, dst: Float32Array, doff: number): void {
  const L = c.L;
  const fr = Math.fround;
  let S = 0;
  for (let j = 0; j < L; j++) S = fr(S + x[off + j]);
  const mu = fr(S / L);
  let Q = 0;
  for (let j = 0; j < L; j++) {
    const d = fr(x[off + j] - mu);
    Q = fr(Q + fr(d * d));
  }
  const v = fr(Q / L);
  const w = fr(v + c.eps);
  const r = fr(1 / fr(Math.sqrt(w)));
  for (let j = 0; j < L; j++) {
    const d = fr(x[off + j] - mu);
    dst[doff + j] = bf16Round(fr(fr(fr(d * r) * c.gamma[j]) + c.beta[j]));
  }
}

// ---------------------------------------------------------------------------------------------- layernorm (int8)

/** Fractional bits of the normalized value n_j. */
export const LAYERNORM_NORM_FRAC = 12;
/** The reciprocal square root table: RSQ[i] ~ 2^21 / sqrt(Vn) for Vn in [2^13, 2^15), bucketed by Vn >> 4. */
export const LAYERNORM_RSQ_BITS = 21;
const RSQ_LO = 1 << 9; // (2^13) >> 4
const RSQ_HI = 1 << 11; // (2^15) >> 4

let rsqTable: Int16Array | undefined;
/** RSQ[i] = round(2^21 / sqrt(16 * (i + 512) + 8)), i in 0..1535: the bucket's centre. */
export function layerNormRsqrtTable(): Int16Array {
  if (!rsqTable) {
    rsqTable = new Int16Array(RSQ_HI - RSQ_LO);
    for (let i = 0; i < rsqTable.length; i++) rsqTable[i] = Math.round(2 ** LAYERNORM_RSQ_BITS / Math.sqrt(16 * (i + RSQ_LO) + 8));
  }
  return rsqTable;
}

export interface LayerNormConstants {
  /** Row length. */
  L: number;
  /** round(eps * L^2 * 2^(2 fa)): epsilon in the units of V below. */
  epsV: number;
  /** Fractional bits of gammaQ. */
  gammaFrac: number;
  gammaQ: Int16Array;
  /** beta at the scale of n_j * gammaQ (2^-(12 + gammaFrac)). */
  betaQ: Int32Array;
  rsqrt: Int16Array;
}

/**
 * int8 LayerNorm over the last axis (length L), exactly as the kernel does it:
 *   sum = Σ x,  sq = Σ x²,  c_j = L x_j - sum                       (x_j - mean, times L)
 *   V   = L sq - sum² + epsV                                          (L² (var + eps), in code units²)
 *   s   = floor(log2 V) - 13, minus 1 if odd;  Vn = V >> s (or << -s) in [2^13, 2^15)
 *   n_j = srs(c_j * RSQ[(Vn >> 4) - 512], 21 + s/2 - 12)             (normalized value, 12 fractional bits)
 *   y_j = srs(n_j * gammaQ_j + betaQ_j, 12 + gammaFrac - fo)
 * V, c_j * RSQ and n_j * gammaQ_j are 64-bit on the AIE (acc64); they stay below 2^53 here.
 */
export function layerNormConstants(layer: AieLayer, L: number): LayerNormConstants {
  const eps = Number(layer.attrs['epsilon'] ?? 1e-5);
  const gamma = layer.params?.gamma ?? new Float64Array(L).fill(1);
  const beta = layer.params?.beta ?? new Float64Array(L);
  if (gamma.length !== L || beta.length !== L) throw new Error(`layernorm: gamma/beta length ${gamma.length}/${beta.length} != ${L}`);
  let gmax = 0;
  let bmax = 0;
  for (let j = 0; j < L; j++) {
    gmax = Math.max(gmax, Math.abs(gamma[j]));
    bmax = Math.max(bmax, Math.abs(beta[j]));
  }
  // As many fractional bits as keep |gammaQ| < 2^15 and |betaQ| < 2^31.
  let gammaFrac = 14 - (gmax > 0 ? Math.ceil(Math.log2(gmax + 2 ** -20)) : 0);
  if (bmax > 0) gammaFrac = Math.min(gammaFrac, 30 - LAYERNORM_NORM_FRAC - Math.ceil(Math.log2(bmax + 2 ** -20)));
  gammaFrac = Math.max(-16, Math.min(gammaFrac, 18));
  const gammaQ = new Int16Array(L);
  const betaQ = new Int32Array(L);
  for (let j = 0; j < L; j++) {
    gammaQ[j] = Math.max(-32768, Math.min(32767, Math.round(gamma[j] * 2 ** gammaFrac)));
    betaQ[j] = Math.round(beta[j] * 2 ** (LAYERNORM_NORM_FRAC + gammaFrac));
  }
  const fa = layer.frac.a;
  const epsV = Math.max(1, Math.round(eps * L * L * 2 ** (2 * fa)));
  return { L, epsV, gammaFrac, gammaQ, betaQ, rsqrt: layerNormRsqrtTable() };
}

export function layerNormRow(x: ArrayLike<number>, off: number, c: LayerNormConstants, fo: number, mode: AieRounding, out: AieDataType, sat: boolean, dst: Int32Array, doff: number): void {
  const L = c.L;
  let sum = 0;
  let sq = 0;
  for (let j = 0; j < L; j++) {
    const v = x[off + j];
    sum += v;
    sq += v * v;
  }
  const V = L * sq - sum * sum + c.epsV;
  let s = log2Floor(V) - 13;
  if (s & 1) s -= 1;
  const Vn = s >= 0 ? Math.floor(V / 2 ** s) : V * 2 ** -s;
  const rsq = c.rsqrt[Math.floor(Vn / 16) - RSQ_LO];
  const nShift = LAYERNORM_RSQ_BITS + s / 2 - LAYERNORM_NORM_FRAC;
  const oShift = LAYERNORM_NORM_FRAC + c.gammaFrac - fo;
  for (let j = 0; j < L; j++) {
    const cj = L * x[off + j] - sum;
    const n = clampI32(roundShift(cj * rsq, nShift, mode));
    dst[doff + j] = srs(n * c.gammaQ[j] + c.betaQ[j], oShift, mode, out, sat);
  }
}

function clampI32(v: number): number {
  if (v <= 2147483647 && v >= -2147483648) return v;
  countOverflows(1);
  return v > 0 ? 2147483647 : -2147483648;
}


let rsqDelta: number | undefined;
/**
 * Largest relative error of the LayerNorm reciprocal square root: RSQ[i] * 2^-21 * sqrt(v) - 1 over every v the
 * bucket serves, v in [16 (i + 512), 16 (i + 512) + 16) (Vn in the bucket, plus the bits of V below 2^s that the
 * truncation V -> Vn drops). The function is monotone in v, so the bucket's ends bound it.
 */
export function layerNormRsqrtError(): number {
  if (rsqDelta === undefined) {
    const t = layerNormRsqrtTable();
    let d = 0;
    for (let i = 0; i < t.length; i++) {
      const r = t[i] * 2 ** -LAYERNORM_RSQ_BITS;
      const lo = 16 * (i + 512);
      d = Math.max(d, Math.abs(r * Math.sqrt(lo) - 1), Math.abs(r * Math.sqrt(lo + 16) - 1));
    }
    rsqDelta = d * (1 + 1e-12);
  }
  return rsqDelta;
}
