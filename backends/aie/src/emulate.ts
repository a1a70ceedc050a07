/*
 * What the AI Engine computes, in TypeScript: the integer arithmetic of the AIE kernels on a lowered graph
 * (node.meta.aie), so `project.emulate(inputs)` returns the codes the generated kernels produce.
 *
 * Numbers (docs/design/aie-backend.md, "Numerics"):
 * - Tensors are int8/int16 codes with a power-of-two scale, real = code * 2^-frac.
 * - Dense/MatMul accumulate exactly: int8 x int8 in acc32 (32-bit lanes; two's-complement wrap, emulated with
 *   `| 0`), int16 operands in acc64 (held in doubles: exact below 2^53, far above any real layer's range). Cascade
 *   partial sums are modular additions, so the order along the chain does not change the result.
 * - Bias codes are at the product scale and start the accumulator. The output is srs(acc, shift) with the layer's
 *   rounding mode and saturation, per output column when the weights are per-channel; a fused ReLU is max(0, .)
 *   after srs (the same as before it: srs is monotonic and srs(0) = 0); a narrow output type (int4, uint6, ...
 *   held in int8/int16 codes) is then clamped to its own range (`epilogue`).
 * - Add aligns both operands to the finer scale by left shifts (exact), adds, then srs to the output scale.
 * - int8 Softmax and LayerNorm: the integer algorithms below (softmaxTables, layerNormConstants); their tables are
 *   computed here once and emitted by the writer as constants, never recomputed in C++.
 * - Sigmoid / Tanh: a table lookup (activation.ts), int8 codes -> output codes or bf16 -> bf16, exact by construction.
 * - bf16 Softmax and LayerNorm: fp32 algorithms with every rounding fixed (softmaxRowBf16, layerNormRowBf16), bit
 *   exact against the kernels.
 * - bf16 mode: inputs and weights rounded to bf16 (nearest even), fp32 accumulation in ascending k, output rounded
 *   to bf16. The hardware's bf16 mmul sums in its own order, so bf16 emulation is close but not bit exact.
 */
import type { Graph, IRNode } from 'firmflow';
import { FirmflowError } from 'firmflow';
import type { AieDataType, AieLayer, AieRounding } from './lowered.js';
import { codeType } from './quantize.js';
import { bf16ActivationLookup, bf16ActivationTable, intActivationTable, type ActivationFn } from './activation.js';

// ---------------------------------------------------------------------------------------------- shift-round-saturate

/** Value range of an integer type. */
export function intRange(t: AieDataType): { min: number; max: number } {
  if (t === 'int8') return { min: -128, max: 127 };
  if (t === 'int16') return { min: -32768, max: 32767 };
  if (t === 'int32') return { min: -2147483648, max: 2147483647 };
  if (t === 'bf16') return { min: -Infinity, max: Infinity };
  throw new Error(`no integer range for ${t as string}`);
}

/**
 * x / 2^shift rounded by `mode` (aie::rounding_mode), as an exact integer. A negative shift is an exact left shift.
 * `x` must be an integer with |x| < 2^53.
 */
export function roundShift(x: number, shift: number, mode: AieRounding): number {
  if (shift <= 0) return shift === 0 ? x : x * 2 ** -shift;
  const p = 2 ** shift;
  const q = Math.floor(x / p);
  const r = x - q * p; // 0 <= r < p
  if (r === 0) return q;
  switch (mode) {
    case 'floor': return q;
    case 'ceil': return q + 1;
    default: break;
  }
  const half = p / 2;
  if (r > half) return q + 1;
  if (r < half) return q;
  // An exact tie between q and q + 1.
  switch (mode) {
    case 'positive_inf': return q + 1;
    case 'negative_inf': return q;
    case 'symmetric_inf': return x > 0 ? q + 1 : q;
    case 'symmetric_zero': return x > 0 ? q : q + 1;
    case 'conv_even': return (q & 1) === 0 ? q : q + 1;
    case 'conv_odd': return (q & 1) !== 0 ? q : q + 1;
    default: throw new Error(`unknown rounding mode '${mode as string}'`);
  }
}

/** Two's-complement wrap to `bits` bits (the srs result without saturation). */
function wrapBits(v: number, bits: number): number {
  const m = 2 ** bits;
  let r = v - Math.floor(v / m) * m;
  if (r >= m / 2) r -= m;
  return r;
}

/**
 * Values srs clipped or wrapped (and int32 clamps inside LayerNorm) since the process started: emulateGraph reads
 * the difference around each layer to give `onLayer` that layer's overflow count (for the trace).
 */
let overflowCount = 0;

/** Shift-round-saturate of one accumulator value into `out` type: what `acc.to_vector<T>(shift)` returns. */
export function srs(x: number, shift: number, mode: AieRounding, out: AieDataType, saturate = true): number {
  const v = roundShift(x, shift, mode);
  const { min, max } = intRange(out);
  if (v >= min && v <= max) return v;
  overflowCount++;
  if (saturate) return v < min ? min : max;
  return wrapBits(v, out === 'int8' ? 8 : out === 'int32' ? 32 : 16);
}

/**
 * What a kernel's epilogue writes for one accumulator value: srs to the output type, the fused ReLU, then a narrow
 * output quantizer's clamp (layer.clamp: int4 / uint6 codes in int8, uint8 in int16). With a clamp the srs
 * saturates (SAT / SAT_SYM) and the clamp range lies inside the output type, so clamping the rounded value directly
 * is the same; ReLU and the clamp commute (min <= 0 <= max). A value the clamp moves counts as saturated.
 */
export function epilogue(x: number, shift: number, layer: Pick<AieLayer, 'dtype' | 'rounding' | 'saturate' | 'fusedRelu' | 'clamp'>): number {
  const c = layer.clamp;
  if (!c) {
    const v = srs(x, shift, layer.rounding, layer.dtype.out, layer.saturate);
    return layer.fusedRelu && v < 0 ? 0 : v;
  }
  let v = roundShift(x, shift, layer.rounding);
  if (layer.fusedRelu && v < 0) v = 0;
  if (v >= c.min && v <= c.max) return v;
  overflowCount++;
  return v < c.min ? c.min : c.max;
}

/**
 * The epilogue of an int32 output (layer.upshift set: a float graph output with no quantizer), as the kernel does
 * it: srs to int32 with shift 0 (saturating; nothing is rounded), back into an accumulator shifted left by `up`,
 * plus the bias on the output grid (acc32 lanes wrap to 32 bits after each step, acc64 lanes do not), srs to int32
 * again, then the fused ReLU. Within the legalization's bound (quantize.ts int32Product) no step overflows and the
 * result is P * 2^up + B exactly.
 */
export function int32Epilogue(x: number, up: number, bias: number, layer: Pick<AieLayer, 'dtype' | 'rounding' | 'saturate' | 'fusedRelu'>): number {
  const acc32 = layer.dtype.acc === 'acc32';
  const lane = (v: number): number => {
    if (!acc32) return v;
    const w = wrapBits(v, 32);
    if (w !== v) overflowCount++;
    return w;
  };
  const v0 = srs(x, 0, layer.rounding, 'int32', layer.saturate);
  const v = srs(lane(lane(v0 * 2 ** up) + bias), 0, layer.rounding, 'int32', layer.saturate);
  return layer.fusedRelu && v < 0 ? 0 : v;
}

// ---------------------------------------------------------------------------------------------- bf16

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds to bf16 (nearest, ties to even), returned as a number. */
export function bf16Round(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000) return f32[0]; // inf / nan pass through
  const lsb = (b >>> 16) & 1;
  u32[0] = ((b + 0x7fff + lsb) & 0xffff0000) >>> 0;
  return f32[0];
}

/** The value of a bf16 bit pattern (as stored in weightsCodes in bf16 mode). */
export function bf16FromBits(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** The bf16 bit pattern of a number (rounded to nearest even). */
export function bf16Bits(x: number): number {
  f32[0] = bf16Round(x);
  return u32[0] >>> 16;
}

// ---------------------------------------------------------------------------------------------- softmax (bf16)

/** bf16 exponent fields of the softmax table: |d| in [2^-9, 2^5); below, exp(d) is taken as 1, from 32 on as 0. */
export const SOFTMAX_BF16_E0 = 118, SOFTMAX_BF16_E1 = 132;
export const SOFTMAX_BF16_TABLE = (SOFTMAX_BF16_E1 - SOFTMAX_BF16_E0) * 128;

/**
 * The bf16 softmax's table: EXP[(E - E0) * 128 + M] = fp32(exp(-v)) for the bf16 value v = 1.M * 2^(E - 127), the
 * exponent fields E0 <= E < E1 (computed once here and emitted; the kernel only looks values up).
 */
let bf16Table: Float32Array | undefined;
export function softmaxBf16Table(): Float32Array {
  if (bf16Table) return bf16Table;
  const t = new Float32Array(SOFTMAX_BF16_TABLE);
  for (let e = SOFTMAX_BF16_E0; e < SOFTMAX_BF16_E1; e++) {
    for (let m = 0; m < 128; m++) t[(e - SOFTMAX_BF16_E0) * 128 + m] = Math.exp(-(1 + m / 128) * 2 ** (e - 127));
  }
  bf16Table = t;
  return t;
}

/**
 * bf16 softmax of one row, exactly as the kernel does it (every step an fp32 or bf16 rounding, reproducible):
 *   m = max x_j;  d_j = bf16(fp32(x_j - m)) <= 0;  e_j = 1 if |d_j| < 2^-9, 0 if |d_j| >= 32, else EXP[bits(d_j)]
 *   S = fp32 sum of e_j in ascending j (>= 1: the maximum contributes exp(0) = 1);  r = fp32(1 / S)
 *   y_j = bf16(fp32(e_j * r))
 */
export function softmaxRowBf16(x: ArrayLike<number>, off: number, L: number, table: Float32Array, dst: Float32Array, doff: number, e: Float32Array): void {
  let m = x[off];
  for (let j = 1; j < L; j++) if (x[off + j] > m) m = x[off + j];
  let S = 0;
  for (let j = 0; j < L; j++) {
    const bits = bf16Bits(Math.fround(x[off + j] - m));
    const ex = (bits >>> 7) & 0xff;
    const v = ex < SOFTMAX_BF16_E0 ? 1 : ex >= SOFTMAX_BF16_E1 ? 0 : table[(ex - SOFTMAX_BF16_E0) * 128 + (bits & 0x7f)];
    e[j] = v;
    S = Math.fround(S + v);
  }
  const r = Math.fround(1 / S);
  for (let j = 0; j < L; j++) dst[doff + j] = bf16Round(Math.fround(e[j] * r));
}

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

// ---------------------------------------------------------------------------------------------- softmax (int8)

/** Fractional bits of the exponential table entries (EXP[0] = 2^SOFTMAX_EXP_FRAC = 1.0). */
export const SOFTMAX_EXP_FRAC = 14;
/** Bits of the normalized reciprocal: r = floor(2^SOFTMAX_RECIP_BITS / Sn), Sn in [2^14, 2^15). */
export const SOFTMAX_RECIP_BITS = 28;

/**
 * int8 softmax over the last axis, exactly as the kernel does it:
 *   d_j = max(x) - x_j                    (0..255)
 *   e_j = EXP[d_j]                        EXP[d] = round(2^14 * exp(-d * 2^-fa)), from softmaxTables
 *   S   = sum_j e_j                       (>= 2^14: the maximum contributes EXP[0])
 *   p   = floor(log2 S);  Sn = S >> (p - 14) in [2^14, 2^15);  r = floor(2^28 / Sn) in (2^13, 2^14]
 *   y_j = srs(e_j * r, p + 14 - fo)       (e_j * r < 2^28: int16 x int16 in acc32)
 * One scalar division per row; everything per element is a table load, a multiply and an srs.
 */
export function softmaxTables(fracIn: number): { exp: Int32Array } {
  const exp = new Int32Array(256);
  for (let d = 0; d < 256; d++) exp[d] = Math.round(2 ** SOFTMAX_EXP_FRAC * Math.exp(-d * 2 ** -fracIn));
  return { exp };
}

function log2Floor(v: number): number {
  let p = 0;
  while (2 ** (p + 1) <= v) p++;
  return p;
}

export function softmaxRow(x: ArrayLike<number>, off: number, L: number, exp: Int32Array, fo: number, mode: AieRounding, out: AieDataType, sat: boolean, dst: Int32Array, doff: number, e: Int32Array): void {
  let m = -Infinity;
  for (let j = 0; j < L; j++) if (x[off + j] > m) m = x[off + j];
  let S = 0;
  for (let j = 0; j < L; j++) {
    const d = m - x[off + j];
    e[j] = exp[d > 255 ? 255 : d];
    S += e[j];
  }
  const p = log2Floor(S);
  const Sn = Math.floor(S / 2 ** (p - SOFTMAX_EXP_FRAC));
  const r = Math.floor(2 ** SOFTMAX_RECIP_BITS / Sn);
  const shift = p + SOFTMAX_RECIP_BITS - SOFTMAX_EXP_FRAC - fo;
  for (let j = 0; j < L; j++) dst[doff + j] = srs(e[j] * r, shift, mode, out, sat);
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
  overflowCount++;
  return v > 0 ? 2147483647 : -2147483648;
}

// ---------------------------------------------------------------------------------------------- the emulator

/** A tensor during emulation: integer codes (or bf16 values in bf16 mode) in row-major order. */
export interface EmuValue {
  shape: number[];
  dtype: AieDataType;
  /** Fractional bits (0 in bf16 mode). */
  frac: number;
  data: Int32Array | Float32Array;
}

/** One input: the JSON layout of ../shared/models ({ shape, data }), or bare data (samples back to back). */
export type AieFeed = { shape?: number[]; data: ArrayLike<number>; dtype?: string } | ArrayLike<number>;
export type AieInputs = Record<string, AieFeed> | ArrayLike<number>;

export interface AieEmuOutput {
  /** Shape with the sample axis first. */
  shape: number[];
  dtype: string;
  /** Real values (codes * 2^-frac). */
  data: Float64Array;
  /** The output codes, as the AIE writes them to its output PLIO. */
  codes: Int32Array | Float32Array;
  frac: number;
  type: AieDataType;
}

export interface AieEmulateOptions {
  /** Inputs are already integer codes (as the PLIO text files hold them), not real values. */
  codes?: boolean;
  /**
   * Called with each layer's output (the first one of a Split), for per-layer comparisons, and the number of values
   * the layer saturated or wrapped (srs beyond the output type's range, LayerNorm's int32 clamp).
   */
  onLayer?: (node: IRNode, value: EmuValue, overflows: number) => void;
  /** Filled with every tensor the emulation computes: graph inputs (as codes) and every layer output, all Split outputs included. */
  tensors?: Map<string, EmuValue>;
}

function layerOf(node: IRNode): AieLayer {
  const l = node.meta['aie'] as AieLayer | undefined;
  if (!l) throw new FirmflowError('aie.emulate', `node '${node.name}' (${node.op}) has no AIE lowering (node.meta.aie); was the graph converted for backend AIE?`, { node: node.name });
  return l;
}

function fracOf(f: number | number[] | undefined, what: string, node: IRNode): number {
  if (typeof f === 'number') return f;
  throw new FirmflowError('aie.emulate', `node '${node.name}': ${what} has no single fractional bit count`, { node: node.name });
}

function prod(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/**
 * Shape of a graph tensor at run time: symbolic axes take the sample count; a fixed shape whose size does not
 * match `size` (a model declared with batch 1, fed many samples) takes the sample count on its first axis.
 */
function runtimeShape(graph: Graph, tensor: string, samples: number, size?: number): number[] {
  const s = graph.tensor(tensor).shape.map((d) => (typeof d === 'number' ? d : samples));
  if (size !== undefined && prod(s) !== size && s.length > 0) s[0] = size / prod(s.slice(1));
  return s;
}

/** Quantizes real input values the way the host does before writing them to the PLIO: nearest even, saturate. */
export function quantizeInput(x: ArrayLike<number>, frac: number, dtype: AieDataType): Int32Array | Float32Array {
  if (dtype === 'bf16') {
    const o = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) o[i] = bf16Round(x[i]);
    return o;
  }
  const { min, max } = intRange(dtype);
  const o = new Int32Array(x.length);
  const sc = 2 ** frac;
  for (let i = 0; i < x.length; i++) {
    // x * 2^frac is exact in double for float32 inputs, so rounding the exact product is QuantizeLinear's rounding.
    const v = x[i] * sc;
    let r = Math.round(v);
    if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
    o[i] = r < min ? min : r > max ? max : r;
  }
  return o;
}

function feedOf(inputs: AieInputs, name: string, only: boolean): { data: ArrayLike<number>; shape?: number[] } | undefined {
  if (!inputs || typeof inputs !== 'object') return undefined;
  if (ArrayBuffer.isView(inputs) || Array.isArray(inputs)) return only ? { data: inputs as ArrayLike<number> } : undefined;
  const f = (inputs as Record<string, AieFeed>)[name];
  if (f === undefined) return undefined;
  if (ArrayBuffer.isView(f) || Array.isArray(f)) return { data: f as ArrayLike<number> };
  const o = f as { shape?: number[]; data: ArrayLike<number> };
  return { data: o.data, shape: o.shape };
}

/** Element type, fractional bits of a graph input: from its consumers' AIE layers. */
function inputFormat(graph: Graph, tensor: string): { dtype: AieDataType; frac: number } {
  for (const c of graph.consumers(tensor)) {
    const l = c.meta['aie'] as AieLayer | undefined;
    if (!l) continue;
    const k = l.inputs.indexOf(tensor);
    if (k === 1 && (l.kernel === 'matmul') && typeof l.frac.w === 'number') return { dtype: l.dtype.w ?? l.dtype.a, frac: l.frac.w };
    if (k === 1 && l.kernel === 'add' && typeof l.frac.w === 'number') return { dtype: l.dtype.w ?? l.dtype.a, frac: l.frac.w };
    return { dtype: l.dtype.a, frac: l.frac.a };
  }
  const p = graph.tensor(tensor).precision;
  const c = p && codeType(p);
  if (p && c && typeof c !== 'string') return { dtype: c.dtype, frac: p.width - p.integer };
  throw new FirmflowError('aie.emulate', `graph input '${tensor}' feeds no AIE kernel`, { tensor });
}

function broadcastIndex(outShape: number[], inShape: number[]): Int32Array {
  const n = prod(outShape);
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

function broadcastShape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

function shiftAt(shift: number | number[], n: number): number {
  return typeof shift === 'number' ? shift : shift[n];
}

/** Dense: rows of x [M][K] times weights [K][N] plus bias, srs per column. */
export function denseCodes(x: ArrayLike<number>, M: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, layer: Pick<AieLayer, 'dtype' | 'shift' | 'rounding' | 'saturate' | 'fusedRelu' | 'clamp' | 'upshift'>): Int32Array {
  if (layer.upshift !== undefined) return denseInt32(x, M, K, N, w, bias, layer, layer.upshift);
  const out = new Int32Array(M * N);
  const acc32 = layer.dtype.acc === 'acc32';
  const accI = new Int32Array(N);
  const accF = new Float64Array(N);
  const perCol = typeof layer.shift !== 'number';
  const s0 = typeof layer.shift === 'number' ? layer.shift : 0;
  for (let m = 0; m < M; m++) {
    if (acc32) {
      for (let n = 0; n < N; n++) accI[n] = bias ? bias[n] | 0 : 0;
      for (let k = 0; k < K; k++) {
        const xv = x[m * K + k];
        if (xv === 0) continue;
        const wo = k * N;
        for (let n = 0; n < N; n++) accI[n] = (accI[n] + xv * w[wo + n]) | 0;
      }
      for (let n = 0; n < N; n++) {
        out[m * N + n] = epilogue(accI[n], perCol ? shiftAt(layer.shift, n) : s0, layer);
      }
    } else {
      for (let n = 0; n < N; n++) accF[n] = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) {
        const xv = x[m * K + k];
        if (xv === 0) continue;
        const wo = k * N;
        for (let n = 0; n < N; n++) accF[n] += xv * w[wo + n];
      }
      for (let n = 0; n < N; n++) {
        out[m * N + n] = epilogue(accF[n], perCol ? shiftAt(layer.shift, n) : s0, layer);
      }
    }
  }
  return out;
}

/** Dense/MatMul with an int32 output: the products alone in the accumulator, the bias added after the upshift. */
function denseInt32(x: ArrayLike<number>, M: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, layer: Pick<AieLayer, 'dtype' | 'rounding' | 'saturate' | 'fusedRelu'>, upshift: number | number[]): Int32Array {
  const out = new Int32Array(M * N);
  const acc32 = layer.dtype.acc === 'acc32';
  const acc = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const xv = x[m * K + k];
      if (xv === 0) continue;
      const wo = k * N;
      if (acc32) for (let n = 0; n < N; n++) acc[n] = (acc[n] + xv * w[wo + n]) | 0;
      else for (let n = 0; n < N; n++) acc[n] += xv * w[wo + n];
    }
    for (let n = 0; n < N; n++) out[m * N + n] = int32Epilogue(acc[n], shiftAt(upshift, n), bias ? bias[n] : 0, layer);
  }
  return out;
}

function denseBf16(x: ArrayLike<number>, M: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, relu: boolean): Float32Array {
  const out = new Float32Array(M * N);
  const acc = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) acc[n] = bias ? Math.fround(bias[n]) : 0;
    for (let k = 0; k < K; k++) {
      const xv = x[m * K + k];
      for (let n = 0; n < N; n++) acc[n] = Math.fround(acc[n] + Math.fround(xv * w[k * N + n]));
    }
    for (let n = 0; n < N; n++) {
      const v = bf16Round(acc[n]);
      out[m * N + n] = relu && v < 0 ? 0 : v;
    }
  }
  return out;
}

/**
 * Emulates the AIE graph on inputs: real values (quantized like the host does) or codes. Returns every graph
 * output with real values and codes, keyed by output name.
 */
export function emulateGraph(graph: Graph, inputs: AieInputs, options: AieEmulateOptions = {}): Record<string, AieEmuOutput> {
  const values = options.tensors ?? new Map<string, EmuValue>();
  let samples = -1;
  const only = graph.inputs.length === 1;
  for (const port of graph.inputs) {
    const feed = feedOf(inputs, port.name, only) ?? feedOf(inputs, port.tensor, only);
    if (!feed) throw new FirmflowError('aie.emulate', `no data for graph input '${port.name}' (inputs given: ${inputs && typeof inputs === 'object' && !ArrayBuffer.isView(inputs) && !Array.isArray(inputs) ? Object.keys(inputs).join(', ') || 'none' : 'an array'})`, { input: port.name });
    const t = graph.tensor(port.tensor);
    const per = prod(t.shape.slice(1).map((d) => (typeof d === 'number' ? d : 1)));
    const n = feed.shape ? feed.shape[0] : feed.data.length / per;
    if (!Number.isInteger(n) || n * per !== feed.data.length) {
      throw new FirmflowError('aie.emulate', `graph input '${port.name}': ${feed.data.length} values are not a whole number of samples of ${per}`, { input: port.name });
    }
    if (samples >= 0 && n !== samples) throw new FirmflowError('aie.emulate', `graph inputs have different sample counts (${samples} and ${n} for '${port.name}')`, { input: port.name });
    samples = n;
    const fmt = inputFormat(graph, port.tensor);
    let data: Int32Array | Float32Array;
    if (options.codes) data = fmt.dtype === 'bf16' ? Float32Array.from(feed.data) : Int32Array.from(feed.data);
    else data = quantizeInput(feed.data, fmt.frac, fmt.dtype);
    values.set(port.tensor, { shape: [n, ...t.shape.slice(1).map((d) => (typeof d === 'number' ? d : 1))], dtype: fmt.dtype, frac: fmt.dtype === 'bf16' ? 0 : fmt.frac, data });
  }
  const get = (name: string, node: IRNode): EmuValue => {
    const v = values.get(name);
    if (!v) throw new FirmflowError('aie.emulate', `node '${node.name}' reads '${name}', which nothing computed`, { node: node.name });
    return v;
  };

  for (const node of graph.topoOrder()) {
    const layer = layerOf(node);
    const overflowsBefore = overflowCount;
    const outName = layer.outputs[0] ?? node.outputs[0];
    const first = values.get(layer.inputs[0]);
    const outShape = shapeOut(layer, node, graph, samples, layer.inputs.map((n) => values.get(n)?.shape ?? []), first ? first.data.length : 0, outName);
    const bf = layer.dtype.out === 'bf16';
    const fo = bf ? 0 : layer.frac.out;
    const result = (data: Int32Array | Float32Array, shape = outShape): EmuValue => ({ shape, dtype: layer.dtype.out, frac: fo, data });
    let out: EmuValue;
    switch (layer.kernel) {
      case 'dense': {
        const x = get(layer.inputs[0], node);
        const K = x.shape[x.shape.length - 1];
        const M = x.data.length / K;
        const N = outShape[outShape.length - 1];
        if (!layer.weightsCodes) throw new FirmflowError('aie.emulate', `dense node '${node.name}' has no weight codes`, { node: node.name });
        if (bf) {
          const w = Float32Array.from(layer.weightsCodes, bf16FromBits);
          out = result(denseBf16(x.data, M, K, N, w, layer.biasFloat, layer.fusedRelu));
        } else {
          checkFrac(x, layer.frac.a, node);
          out = result(denseCodes(x.data, M, K, N, layer.weightsCodes, layer.biasCodes, layer));
        }
        break;
      }
      case 'matmul': {
        const a = get(layer.inputs[0], node);
        const b = get(layer.inputs[1], node);
        out = result(matmul(a, b, layer, outShape, node));
        break;
      }
      case 'add': {
        const a = get(layer.inputs[0], node);
        let b: EmuValue;
        if (layer.inputs.length > 1) b = get(layer.inputs[1], node);
        else {
          const cname = node.inputs.find((t) => t !== '' && graph.isConstant(t));
          if (!layer.weightsCodes || !cname) throw new FirmflowError('aie.emulate', `add node '${node.name}' has one runtime input and no constant operand`, { node: node.name });
          const cs = graph.tensor(cname).shape.map(Number);
          b = { shape: cs, dtype: layer.dtype.w ?? layer.dtype.a, frac: bf ? 0 : fracOf(layer.frac.w, 'the constant operand', node), data: bf ? Float32Array.from(layer.weightsCodes, bf16FromBits) : Int32Array.from(layer.weightsCodes) };
        }
        out = result(addValues(a, b, layer, outShape));
        break;
      }
      case 'relu': {
        const a = get(layer.inputs[0], node);
        const o = bf ? new Float32Array(a.data.length) : new Int32Array(a.data.length);
        const sh = a.frac - fo;
        for (let i = 0; i < a.data.length; i++) {
          const v = a.data[i] > 0 ? a.data[i] : 0;
          o[i] = bf ? v : epilogue(v, sh, layer);
        }
        out = result(o);
        break;
      }
      case 'activation': {
        // Sigmoid / Tanh: the kernel's table lookup (activation.ts), nothing else.
        const a = get(layer.inputs[0], node);
        const fn = layer.attrs['fn'] as ActivationFn;
        if (bf) {
          const t = bf16ActivationTable(fn);
          out = result(Float32Array.from(a.data, (v) => bf16FromBits(bf16ActivationLookup(t, bf16Bits(v)))));
          break;
        }
        if (a.dtype !== 'int8') throw new FirmflowError('aie.emulate', `${fn} node '${node.name}': the AIE table lookup takes int8 or bf16 input, not ${a.dtype}`, { node: node.name });
        checkFrac(a, layer.frac.a, node);
        const { table, saturated } = intActivationTable(layer);
        const o = new Int32Array(a.data.length);
        for (let i = 0; i < o.length; i++) {
          o[i] = table[a.data[i] + 128];
          overflowCount += saturated[a.data[i] + 128];
        }
        out = result(o);
        break;
      }
      case 'softmax': {
        const a = get(layer.inputs[0], node);
        const L = a.shape[a.shape.length - 1];
        if (a.dtype === 'bf16') {
          const table = softmaxBf16Table();
          const o = new Float32Array(a.data.length);
          const e = new Float32Array(L);
          for (let r = 0; r < a.data.length / L; r++) softmaxRowBf16(a.data, r * L, L, table, o, r * L, e);
          out = result(o);
          break;
        }
        if (a.dtype !== 'int8') throw new FirmflowError('aie.emulate', `softmax node '${node.name}': the AIE softmax takes int8 or bf16 input, not ${a.dtype}`, { node: node.name });
        const { exp } = softmaxTables(a.frac);
        const o = new Int32Array(a.data.length);
        const e = new Int32Array(L);
        for (let r = 0; r < a.data.length / L; r++) softmaxRow(a.data, r * L, L, exp, fo, layer.rounding, layer.dtype.out, layer.saturate, o, r * L, e);
        out = result(o);
        break;
      }
      case 'layernorm': {
        const a = get(layer.inputs[0], node);
        if (a.dtype === 'bf16') {
          const L = a.shape[a.shape.length - 1];
          const c = layerNormBf16Constants(layer, L);
          const o = new Float32Array(a.data.length);
          for (let r = 0; r < a.data.length / L; r++) layerNormRowBf16(a.data, r * L, c, o, r * L);
          out = result(o);
          break;
        }
        if (a.dtype !== 'int8') throw new FirmflowError('aie.emulate', `layernorm node '${node.name}': the AIE layernorm takes int8 or bf16 input, not ${a.dtype}`, { node: node.name });
        checkFrac(a, layer.frac.a, node);
        const L = a.shape[a.shape.length - 1];
        const c = layerNormConstants(layer, L);
        const o = new Int32Array(a.data.length);
        for (let r = 0; r < a.data.length / L; r++) layerNormRow(a.data, r * L, c, fo, layer.rounding, layer.dtype.out, layer.saturate, o, r * L);
        out = result(o);
        break;
      }
      case 'transpose': {
        const a = get(layer.inputs[0], node);
        const s = a.shape;
        const R = s[s.length - 2];
        const C = s[s.length - 1];
        const B = a.data.length / (R * C);
        const o = requant(a, layer, fo);
        const t = bf ? new Float32Array(o.length) : new Int32Array(o.length);
        for (let b = 0; b < B; b++) for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) t[b * R * C + j * R + i] = o[b * R * C + i * C + j];
        out = result(t);
        break;
      }
      case 'view': {
        out = view(node, layer, layer.inputs.map((n) => get(n, node)), outShape, fo, graph, samples, values);
        break;
      }
      default:
        throw new FirmflowError('aie.emulate', `node '${node.name}': unknown AIE kernel '${(layer as AieLayer).kernel}'`, { node: node.name });
    }
    if (out.data.length !== prod(out.shape)) throw new Error(`aie emulate: node '${node.name}' produced ${out.data.length} values for shape [${out.shape}]`);
    values.set(outName, out);
    options.onLayer?.(node, out, overflowCount - overflowsBefore);
  }

  const result: Record<string, AieEmuOutput> = {};
  for (const port of graph.outputs) {
    const v = values.get(port.tensor);
    if (!v) throw new FirmflowError('aie.emulate', `graph output '${port.name}' was not computed`, { output: port.name });
    const data = new Float64Array(v.data.length);
    const sc = 2 ** -v.frac;
    for (let i = 0; i < data.length; i++) data[i] = v.data[i] * sc;
    result[port.name] = { shape: v.shape, dtype: 'float32', data, codes: v.data, frac: v.frac, type: v.dtype };
  }
  return result;
}

/** The output shape of a kernel from its inputs' run-time shapes. */
function shapeOut(layer: AieLayer, node: IRNode, graph: Graph, samples: number, ins: number[][], firstSize: number, outName: string): number[] {
  const a = ins[0] ?? [];
  switch (layer.kernel) {
    case 'dense': {
      const N = layer.shapes?.output?.length ? layer.shapes.output[layer.shapes.output.length - 1] : Number(graph.tensor(outName).shape.at(-1));
      return [...a.slice(0, -1), N];
    }
    case 'matmul': {
      const b = ins[1] ?? [];
      return [...broadcastShape(a.slice(0, -2), b.slice(0, -2)), a[a.length - 2], b[b.length - 1]];
    }
    case 'add':
      if (ins.length > 1) return broadcastShape(a, ins[1]);
      return broadcastShape(a, graph.tensor(node.inputs.find((t) => t !== '' && graph.isConstant(t)) ?? node.inputs[0]).shape.map(Number));
    case 'relu': case 'activation': case 'softmax': case 'layernorm':
      return [...a];
    case 'transpose':
      return [...a.slice(0, -2), a[a.length - 1], a[a.length - 2]];
    default: {
      if (node.op === 'Concat') {
        let axis = Number(node.attrs['axis'] ?? layer.attrs['axis'] ?? -1);
        if (axis < 0) axis += a.length;
        const s = [...a];
        s[axis] = ins.reduce((t, x) => t + (x[axis] ?? 0), 0);
        return s;
      }
      if (node.op === 'Split' || node.op === 'Slice') return runtimeShape(graph, outName, samples);
      return runtimeShape(graph, outName, samples, firstSize);
    }
  }
}

function checkFrac(v: EmuValue, expected: number, node: IRNode): void {
  if (v.dtype !== 'bf16' && v.frac !== expected) {
    throw new FirmflowError('aie.emulate', `node '${node.name}': its input has ${v.frac} fractional bits but the kernel expects ${expected}`, { node: node.name });
  }
}

/** Codes of `a` moved to the output scale (srs; exact when only bits are added). */
function requant(a: EmuValue, layer: AieLayer, fo: number): Int32Array | Float32Array {
  if (a.dtype === 'bf16' || (a.frac === fo && a.dtype === layer.dtype.out)) return a.data;
  const o = new Int32Array(a.data.length);
  for (let i = 0; i < o.length; i++) o[i] = srs(a.data[i], a.frac - fo, layer.rounding, layer.dtype.out, layer.saturate);
  return o;
}

function matmul(a: EmuValue, b: EmuValue, layer: AieLayer, outShape: number[], node: IRNode): Int32Array | Float32Array {
  const M = a.shape[a.shape.length - 2];
  const K = a.shape[a.shape.length - 1];
  const N = b.shape[b.shape.length - 1];
  if (b.shape[b.shape.length - 2] !== K) throw new FirmflowError('aie.emulate', `matmul node '${node.name}': inner sizes differ (${K} and ${b.shape[b.shape.length - 2]})`, { node: node.name });
  const batchShape = outShape.slice(0, -2);
  const nb = prod(batchShape);
  const ai = broadcastIndex(batchShape, a.shape.slice(0, -2));
  const bi = broadcastIndex(batchShape, b.shape.slice(0, -2));
  const bf = layer.dtype.out === 'bf16';
  const out = bf ? new Float32Array(nb * M * N) : new Int32Array(nb * M * N);
  if (!bf) {
    checkFrac(a, layer.frac.a, node);
    checkFrac(b, fracOf(layer.frac.w, 'the second operand', node), node);
  }
  for (let t = 0; t < nb; t++) {
    const x = a.data.subarray(ai[t] * M * K, (ai[t] + 1) * M * K);
    const w = b.data.subarray(bi[t] * K * N, (bi[t] + 1) * K * N);
    const r = bf ? denseBf16(x, M, K, N, w, undefined, layer.fusedRelu) : denseCodes(x, M, K, N, w, undefined, layer);
    out.set(r, t * M * N);
  }
  return out;
}

function addValues(a: EmuValue, b: EmuValue, layer: AieLayer, outShape: number[]): Int32Array | Float32Array {
  const n = prod(outShape);
  const ia = broadcastIndex(outShape, a.shape);
  const ib = broadcastIndex(outShape, b.shape);
  if (layer.dtype.out === 'bf16') {
    const o = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = bf16Round(a.data[ia[i]] + b.data[ib[i]]);
      o[i] = layer.fusedRelu && v < 0 ? 0 : v;
    }
    return o;
  }
  const F = Math.max(a.frac, b.frac);
  const sa = 2 ** (F - a.frac);
  const sb = 2 ** (F - b.frac);
  const sh = F - layer.frac.out;
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    o[i] = epilogue(a.data[ia[i]] * sa + b.data[ib[i]] * sb, sh, layer);
  }
  return o;
}

/** Concat / Split / Reshape-like views: data movement only (and a requantization when scales differ). */
function view(node: IRNode, layer: AieLayer, ins: EmuValue[], outShape: number[], fo: number, graph: Graph, samples: number, values: Map<string, EmuValue>): EmuValue {
  const op = node.op;
  if (op === 'Concat') {
    const r = outShape.length;
    let axis = Number(node.attrs['axis'] ?? layer.attrs['axis'] ?? -1);
    if (axis < 0) axis += r;
    const outer = prod(outShape.slice(0, axis));
    const inner = prod(outShape.slice(axis + 1));
    const o = layer.dtype.out === 'bf16' ? new Float32Array(prod(outShape)) : new Int32Array(prod(outShape));
    let at = 0;
    for (const v of ins) {
      const d = requant(v, layer, fo);
      const len = v.shape[axis] * inner;
      for (let i = 0; i < outer; i++) o.set(d.subarray(i * len, (i + 1) * len), i * outShape[axis] * inner + at);
      at += len;
    }
    return { shape: outShape, dtype: layer.dtype.out, frac: fo, data: o };
  }
  if (op === 'Split' || op === 'Slice') {
    // Every output is a block along one axis; the first output is returned, the others stored directly.
    const a = ins[0];
    const r = a.shape.length;
    const axes = layer.attrs['axes'];
    let axis = Number(Array.isArray(axes) && axes.length ? axes[0] : node.attrs['axis'] ?? layer.attrs['axis'] ?? 0);
    if (axis < 0) axis += r;
    const outer = prod(a.shape.slice(0, axis));
    const inner = prod(a.shape.slice(axis + 1));
    const d = requant(a, layer, fo);
    let at = 0;
    let first: EmuValue | undefined;
    const outs = op === 'Split' ? node.outputs : [node.outputs[0]];
    if (op === 'Slice') {
      const starts = layer.attrs['starts'];
      let st = Array.isArray(starts) && starts.length ? starts[0] : 0;
      if (st < 0) st += a.shape[axis];
      at = Math.max(0, Math.min(st, a.shape[axis])) * inner;
    }
    for (const name of outs) {
      if (name === '') continue;
      const s = runtimeShape(graph, name, samples);
      const len = s[axis] * inner;
      const o = layer.dtype.out === 'bf16' ? new Float32Array(outer * len) : new Int32Array(outer * len);
      for (let i = 0; i < outer; i++) o.set(d.subarray(i * a.shape[axis] * inner + at, i * a.shape[axis] * inner + at + len), i * len);
      at += len;
      const v: EmuValue = { shape: s, dtype: layer.dtype.out, frac: fo, data: o };
      if (!first) first = v;
      else values.set(name, v);
    }
    return first!;
  }
  return { shape: outShape, dtype: layer.dtype.out, frac: fo, data: requant(ins[0], layer, fo) };
}
