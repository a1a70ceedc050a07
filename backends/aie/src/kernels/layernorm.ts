/*
 * LayerNorm over the last axis. int8: sums of codes, a reciprocal square root table and srs steps, all integer
 * (numerics/layernorm.ts: layerNormConstants, layerNormRow); bf16: fp32 arithmetic with every rounding fixed
 * (layerNormRowBf16). The constants (gamma, beta, the table, epsilon) are computed once and emitted by the writer.
 */
import { FirmflowError, type IRNode } from 'firmflow';
import type { CppName } from '../writer/names.js';
import { numbers, type LegalizeContext } from '../legalize/context.js';
import { int8InOut, lastAxisOnly, legalizeElementwise, type LayerDraft } from '../legalize/elementwise.js';
import { gammaF32, srsStep, U_BF16, U_F32, type TraceContext } from '../numerics/error.js';
import {
  LAYERNORM_NORM_FRAC, layerNormBf16Constants, layerNormConstants, layerNormRow, layerNormRowBf16, layerNormRsqrtError, layerNormRsqrtTable,
} from '../numerics/layernorm.js';
import { checkFrac, type EmuValue } from '../numerics/values.js';
import { vectorPassCycles } from '../perf.js';
import { fp32Literal } from '../writer/cpp.js';
import { emitRowParallel } from '../writer/row-parallel.js';
import type { AieKernel, EmulateContext } from './contract.js';

/** bf16 LayerNorm's per-row scalar fp32 work: the mean and variance divisions, the square root and its reciprocal. */
const BF16_ROW_CYCLES = 120;

export const layernorm: AieKernel = {
  name: 'layernorm',
  ops: { LayerNormalization: 'layernorm' },
  layout: 'rows',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, { prepare, checkTypes: int8InOut, fullRangeOutput: true }),
  floatConstants: (_g, node, l) => [
    { tensor: node.inputs[1], values: l.params?.gamma ? Float64Array.from(l.params.gamma) : undefined },
    { tensor: node.inputs[2], values: l.params?.beta ? Float64Array.from(l.params.beta) : undefined },
  ],
  emulate,
  traceBound: (ctx) => (ctx.bf ? bf16Bound(ctx) : intBound(ctx)),
  emit: (ctx) => emitRowParallel(ctx, ({ base, tileM, cols, outShape }) => {
    const { layer, model: L } = ctx;
    const cfg = L.config.name, id = L.id;
    L.library = 'normalize.h';
    let cls: string, ctorArgs: CppName[];
    if (layer.dtype.a === 'bf16') {
      const c = layerNormBf16Constants(layer, cols);
      L.config.lines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, `static constexpr float EPS = ${fp32Literal(c.eps)};`);
      L.arrays.push({ name: ctx.names.array(id, 'gamma'), ctype: 'float', values: c.gamma }, { name: ctx.names.array(id, 'beta'), ctype: 'float', values: c.beta });
      cls = `firmflow::LayerNormBf16<${cfg}>`;
      ctorArgs = [ctx.names.array(id, 'gamma'), ctx.names.array(id, 'beta')];
      L.summary = `layernorm (bf16) ${outShape.join('x')}`;
    } else {
      const c = layerNormConstants(layer, cols);
      L.config.lines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, `static constexpr long long EPS_V = ${c.epsV}LL;`,
        `static constexpr int NORM_FRAC = 12, RSQ_BITS = 21, GAMMA_FRAC = ${c.gammaFrac}, OUT_FRAC = ${layer.frac.out};`);
      L.arrays.push({ name: ctx.names.array(id, 'gamma'), ctype: 'int16', values: c.gammaQ }, { name: ctx.names.array(id, 'beta'), ctype: 'int32', values: c.betaQ }, { name: ctx.names.array(id, 'rsqrt'), ctype: 'int16', values: c.rsqrt });
      cls = `firmflow::LayerNorm<${cfg}>`;
      ctorArgs = [ctx.names.array(id, 'gamma'), ctx.names.array(id, 'beta'), ctx.names.array(id, 'rsqrt')];
      L.summary = `layernorm ${outShape.join('x')}`;
    }
    L.instantiations.push(cls);
    return { cls, ctorArgs };
  }),
  perf: {
    programBytes: { layernorm: 3584 },
    // What the writer emits: fp32 gamma and beta (bf16), or int16 gamma, int32 beta and the rsqrt table (int).
    tableBytes: (layer, width) => (layer.dtype.a === 'bf16' ? width * 8 : width * (2 + 4) + layerNormRsqrtTable().byteLength),
    // int: four vector passes and a reciprocal square root per row. bf16 computes in fp32 lanes: 9 vector operations
    // per element over three passes (sum; subtract, square, add; subtract, two multiplies, add and the bf16
    // conversion) and per row two divisions and a square root.
    vectorCycles: (d, dtype, rows, width) => (dtype === 'bf16'
      ? Math.ceil((rows * width) / (d.vectorBits / 32)) * 9 + rows * BF16_ROW_CYCLES + d.overheads.kernelCallCycles
      : vectorPassCycles(d, dtype, rows, width, 4, 48)),
  },
};

/** The last axis, and constant scale and bias (kept as real numbers; the kernels' constants derive from them). */
function prepare(ctx: LegalizeContext, n: IRNode, lay: LayerDraft): boolean {
  if (!lastAxisOnly(ctx, n, lay)) return false;
  const g = ctx.g;
  lay.attrs['epsilon'] = Number(n.attrs['epsilon'] ?? 1e-5);
  const [, sc, bi] = n.inputs;
  if (!g.isConstant(sc) || (bi && !g.isConstant(bi))) return !!ctx.refuse.fail(n, 'scale and bias must be constants');
  lay.params = { gamma: numbers(g.tensor(sc).data!), ...(bi ? { beta: numbers(g.tensor(bi).data!) } : {}) };
  return true;
}

function emulate(ctx: EmulateContext): EmuValue {
  const { layer, node } = ctx;
  const a = ctx.value(layer.inputs[0]);
  const L = a.shape[a.shape.length - 1];
  const rows = a.data.length / L;
  if (a.dtype === 'bf16') {
    const c = layerNormBf16Constants(layer, L);
    const o = new Float32Array(a.data.length);
    for (let r = 0; r < rows; r++) layerNormRowBf16(a.data, r * L, c, o, r * L);
    return { shape: [...a.shape], dtype: layer.dtype.out, frac: 0, data: o };
  }
  if (a.dtype !== 'int8') throw new FirmflowError('aie.emulate', `layernorm node '${node.name}': the AIE layernorm takes int8 or bf16 input, not ${a.dtype}`, { node: node.name });
  checkFrac(a, layer.frac.a, node);
  const fo = layer.frac.out;
  const c = layerNormConstants(layer, L);
  const o = new Int32Array(a.data.length);
  for (let r = 0; r < rows; r++) layerNormRow(a.data, r * L, c, fo, layer.rounding, layer.dtype.out, layer.saturate, o, r * L);
  return { shape: [...a.shape], dtype: layer.dtype.out, frac: fo, data: o };
}

/**
 * LayerNorm's bound per sample: the largest row bound (propagation through the exact normalization, plus the
 * integer algorithm's own error; see the file comment).
 */
function intBound(ctx: TraceContext): (s: number) => number {
  const { layer, node, rr } = ctx;
  const inV = ctx.inV[0], x = ctx.ins[0];
  const L = inV.shape[inV.shape.length - 1];
  const c = layerNormConstants(layer, L);
  const eps = Number(layer.attrs['epsilon'] ?? 1e-5);
  const gamma = ctx.refConst(node.inputs[1], L) ?? (layer.params?.gamma ? Float64Array.from(layer.params.gamma) : new Float64Array(L).fill(1));
  const beta = ctx.refConst(node.inputs[2], L) ?? (layer.params?.beta ? Float64Array.from(layer.params.beta) : new Float64Array(L));
  const gq = Float64Array.from(c.gammaQ, (v) => v * 2 ** -c.gammaFrac);
  const bq = Float64Array.from(c.betaQ, (v) => v * 2 ** -(LAYERNORM_NORM_FRAC + c.gammaFrac));
  const delta = layerNormRsqrtError();
  const fa = layer.frac.a, fo = layer.frac.out;
  const rhoN = srsStep(layer.rounding, LAYERNORM_NORM_FRAC);
  const oShift = LAYERNORM_NORM_FRAC + c.gammaFrac - fo;
  const rhoOut = oShift > 0 ? srsStep(layer.rounding, fo) : 0;
  const epsExact = eps * L * L * 2 ** (2 * fa);
  return (s) => {
    const xq = ctx.fixedOf(x, s)!, xf = ctx.floatOf(x, s);
    const e = ctx.err(x, s);
    let worst = 0;
    for (let r = 0; r + L <= xq.length; r += L) {
      // Codes of the row (exact integers) and the kernel's V against the model's epsilon.
      let sum = 0, sq = 0;
      for (let j = 0; j < L; j++) { const v = Math.round(xq[r + j] * 2 ** fa); sum += v; sq += v * v; }
      const V0 = L * sq - sum * sum;
      const V = V0 + c.epsV, Ve = V0 + epsExact;
      const iV = 1 / Math.sqrt(V), iVe = 1 / Math.sqrt(Ve);
      let own = 0, lip = 0;
      for (let j = 0; j < L; j++) {
        const cj = L * Math.round(xq[r + j] * 2 ** fa) - sum;
        const nV = Math.abs(cj) * iV, nE = Math.abs(cj) * iVe;
        const dn = nV * delta + Math.abs(cj) * Math.abs(iV - iVe) + rhoN;
        own = Math.max(own, dn * Math.abs(gq[j]) + nE * Math.abs(gq[j] - gamma[j]) + Math.abs(bq[j] - beta[j]));
        lip = Math.max(lip, Math.abs(gamma[j]) * (2 + nE));
      }
      worst = Math.max(worst, layerNormPropagation(lip, e, xf, r, L, eps) + own);
    }
    return worst + rhoOut + rr;
  };
}

/**
 * How much of an input error e a LayerNorm row passes on: lip e / sqrt(var(x_f) + eps), lip = max_j |gamma_j| (2 + |n_j|)
 * (the float row's spread is what the normalization divides by); Infinity when the float row is unknown.
 */
function layerNormPropagation(lip: number, e: number, xf: Float64Array | undefined, r: number, L: number, eps: number): number {
  if (e === 0) return 0;
  if (!xf) return Infinity;
  let m = 0, v2 = 0;
  for (let j = 0; j < L; j++) m += xf[r + j];
  m /= L;
  for (let j = 0; j < L; j++) v2 += (xf[r + j] - m) ** 2;
  return (lip * e) / Math.sqrt(v2 / L + eps);
}

/**
 * bf16 LayerNorm's bound per sample (the kernel is layerNormRowBf16): per row, with x the bf16 input (exact), mu, c_j
 * = x_j - mu, V = mean c^2, W = V + eps (the model's epsilon), R = W^-1/2 and n_j = c_j R all exact, u = 2^-24
 * and gamma_m = m u / (1 - m u), the kernel's fp32 steps are bounded one by one (Higham's model, each operation
 * exact times (1 + delta), |delta| <= u):
 *   sum:       |S - sum x| <= A = gamma_{L-1} sum |x|;       mean: |mu^ - mu| <= Em = A/L + u (|mu| + A/L)
 *   centred:   |d^_j - c_j| <= Ed_j = Em + u (|c_j| + Em)
 *   squares:   |Q^ - sum c^2| <= EQ = sum Ed_j (2 |c_j| + Ed_j) + gamma_L sum (|c_j| + Ed_j)^2 + L 2^-149 (underflow)
 *   variance:  |v^ - V| <= Ev = EQ/L + u (V + EQ/L);   |w^ - W| <= Ew = Ev + |eps32 - eps| + u (W + Ev + |eps32 - eps|)
 *   rsqrt:     r^ = R sqrt(W / w^) (1 + d2) / (1 + d1), so |r^/R - 1| <= rho (both sides of w^ in W -+ Ew; Ew < W)
 *   normalize: |n^_j - n_j| <= En_j = Ed_j R (1 + rho) + |c_j| R rho + u (|c_j| + Ed_j) R (1 + rho)
 *   scale:     Et_j = En_j |g_j| + u |g_j| (|n_j| + En_j);   shift: Ez_j = Et_j + u (|n_j g_j + b_j| + Et_j)
 * plus the fp32 constants against the model's (|n_j| |g32_j - gamma_j| + |b32_j - beta_j|), the bf16 output rounding
 * (u_bf16 |y|) and the propagation of the row's own input error D = x_q - x_f: with D'_j = D_j - mean D (the centred
 * error) and sigma_f = sqrt(var(x_f) + eps), n(x_q) - n(x_f) = D'/sigma_f + n(x_q) (sigma_f - sigma_q) / sigma_f, and
 * |sigma_q - sigma_f| <= RMS(D') (the RMS of the centred row is a norm), so |gamma_j| (|D'_j| + |n_j| RMS(D')) /
 * sigma_f per element: 0 for an error that shifts the whole row (a constant row stays constant).
 */
function bf16Bound(ctx: TraceContext): (s: number) => number {
  const { layer, node } = ctx;
  const inV = ctx.inV[0], x = ctx.ins[0];
  const outBound = (s: number): number => ctx.bfOut(s, U_BF16) + ctx.rr;
  const L = inV.shape[inV.shape.length - 1];
  const c = layerNormBf16Constants(layer, L);
  const eps = Number(layer.attrs['epsilon'] ?? 1e-5);
  const gamma = ctx.refConst(node.inputs[1], L) ?? (layer.params?.gamma ? Float64Array.from(layer.params.gamma) : new Float64Array(L).fill(1));
  const beta = ctx.refConst(node.inputs[2], L) ?? (layer.params?.beta ? Float64Array.from(layer.params.beta) : new Float64Array(L));
  const u = U_F32;
  const dEps = Math.abs(c.eps - eps);
  return (s) => {
    const xq = ctx.fixedOf(x, s)!, xf = ctx.floatOf(x, s);
    const e = ctx.err(x, s);
    let worst = 0;
    for (let r = 0; r + L <= xq.length; r += L) {
      let sum = 0, sumAbs = 0;
      for (let j = 0; j < L; j++) { sum += xq[r + j]; sumAbs += Math.abs(xq[r + j]); }
      const mu = sum / L;
      let V = 0;
      for (let j = 0; j < L; j++) V += (xq[r + j] - mu) ** 2;
      V /= L;
      const W = V + eps;
      const A = gammaF32(L - 1) * sumAbs;
      const Em = A / L + u * (Math.abs(mu) + A / L);
      let EQ = L * 2 ** -149, sq = 0;
      for (let j = 0; j < L; j++) {
        const cj = Math.abs(xq[r + j] - mu), Ed = Em + u * (cj + Em);
        EQ += Ed * (2 * cj + Ed);
        sq += (cj + Ed) ** 2;
      }
      EQ += gammaF32(L) * sq;
      const Ev = EQ / L + u * (V + EQ / L);
      const Ew = Ev + dEps + u * (W + Ev + dEps);
      if (!(Ew < W)) return Infinity;
      const R = 1 / Math.sqrt(W);
      const rho = Math.max(Math.sqrt(W / (W - Ew)) * (1 + u) / (1 - u) - 1, 1 - Math.sqrt(W / (W + Ew)) * (1 - u) / (1 + u));
      // The row's input error, centred: D_j = (x_q - x_f)_j - mean, its RMS, and sigma of the float row.
      let dMean = 0, rms = 0, sigmaF = 0;
      if (e !== 0 && xf) {
        let m = 0, v2 = 0;
        for (let j = 0; j < L; j++) { dMean += xq[r + j] - xf[r + j]; m += xf[r + j]; }
        dMean /= L;
        m /= L;
        for (let j = 0; j < L; j++) { rms += (xq[r + j] - xf[r + j] - dMean) ** 2; v2 += (xf[r + j] - m) ** 2; }
        rms = Math.sqrt(rms / L);
        sigmaF = Math.sqrt(v2 / L + eps);
      }
      let own = 0, prop = 0;
      for (let j = 0; j < L; j++) {
        const cj = Math.abs(xq[r + j] - mu), Ed = Em + u * (cj + Em);
        const n = cj * R, g = Math.abs(c.gamma[j]);
        const En = Ed * R * (1 + rho) + cj * R * rho + u * (cj + Ed) * R * (1 + rho);
        const Et = En * g + u * g * (n + En);
        const Ez = Et + u * (Math.abs(((xq[r + j] - mu) * R) * c.gamma[j] + c.beta[j]) + Et);
        own = Math.max(own, Ez + n * Math.abs(c.gamma[j] - gamma[j]) + Math.abs(c.beta[j] - beta[j]));
        if (e !== 0) prop = Math.max(prop, xf ? (Math.abs(gamma[j]) * (Math.abs(xq[r + j] - xf[r + j] - dMean) + n * rms)) / sigmaF : Infinity);
      }
      worst = Math.max(worst, prop + own);
    }
    return worst + outBound(s);
  };
}

