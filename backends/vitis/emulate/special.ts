import { convertRaw, type FixedType, fracBits, rawFromNumber } from 'firmflow';
import { overflowsBig } from './convert.js';
import { constCodes, constType, numParam, product, role, unsupported, type BuildContext, type EmuKernel } from './kernel.js';
import { tableReader } from './tables.js';

export { buildSoftsign } from './elementwise.js';

/**
 * Type of LayerNormalization's 1/n factor when the lowering names none: the contract's ufixed<32,1,RND_CONV,SAT>
 * (docs/design/vitis-backend.md), which the writer emits.
 */
const INV_N_TYPE: FixedType = { signed: false, width: 32, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' };

/**
 * LayerNormalization over the last axis (backends/vitis/templates/nnet/nnet_layernorm.h), in BigInt because the squared
 * deviations are twice as wide as the data:
 *   sum = accum(sum_i x_i) (one conversion per add); mean = accum(sum * inv_n);
 *   sq = accum(sum_i (x_i - mean)^2) (one conversion per add); var = accum(sq * inv_n);
 *   inv_std = table[idx(var)]; y_i = result((x_i - mean) * inv_std * gamma_i + beta_i) (exact, converted once).
 */
export function buildLayerNorm(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = x.shape[x.shape.length - 1];
  const rows = product(x.shape) / n;
  const A = role(ctx, 'accum');
  const table = ctx.hls.tables?.['table'];
  if (!table) unsupported(ctx, 'has no inv_std table in its HLS annotation');
  const gT = ctx.consts.get(1), bT = ctx.consts.get(2);
  if (!gT) unsupported(ctx, 'needs a constant scale (gamma)');
  const gType = constType(gT, role(ctx, 'scale'));
  const bType = bT ? constType(bT, role(ctx, 'shift')) : undefined;
  const gamma = Array.from(constCodes(gT, gType), BigInt);
  const beta = bT ? Array.from(constCodes(bT, bType!), BigInt) : undefined;
  const nType = ctx.hls.types['inv_n'] ?? INV_N_TYPE;
  const invN = typeof ctx.hls.params['inv_n_code'] === 'number' ? BigInt(ctx.hls.params['inv_n_code'] as number) : rawFromNumber(1 / n, nType);
  const fx = fracBits(x.type), fa = fracBits(A), fn = fracBits(nType), fg = fracBits(gType), fb = bType ? fracBits(bType) : 0;
  const ft = fracBits(table.type);
  const rd = tableReader(table, fa);
  const R = ctx.out.type;
  const toAcc = (v: bigint, f: number): bigint => convertRaw(v, f, A);
  // (x - mean): exact at max(fx, fa) fractional bits.
  const fd = Math.max(fx, fa);
  const fy = fd + ft + fg;
  const F = Math.max(fy, fb);
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let r = 0; r < rows * batch; r++) {
        const o = r * n;
        let sum = 0n;
        for (let i = 0; i < n; i++) sum = toAcc((sum << BigInt(fd - fa)) + (BigInt(X[o + i]) << BigInt(fd - fx)), fd);
        const mean = toAcc(sum * invN, fa + fn);
        const dev: bigint[] = [];
        for (let i = 0; i < n; i++) dev.push((BigInt(X[o + i]) << BigInt(fd - fx)) - (mean << BigInt(fd - fa)));
        let sq = 0n;
        for (let i = 0; i < n; i++) sq = toAcc((sq << BigInt(2 * fd - fa)) + dev[i] * dev[i], 2 * fd);
        const v = toAcc(sq * invN, fa + fn);
        const inv = BigInt(rd.codes[rd.index(Number(v))]);
        for (let i = 0; i < n; i++) {
          let t = (dev[i] * inv * gamma[i]) << BigInt(F - fy);
          if (beta) t += beta[i] << BigInt(F - fb);
          if (overflowsBig(t, F, R)) over++;
          Y[o + i] = Number(convertRaw(t, F, R));
        }
      }
      return over;
    },
  };
}

/** QONNX rounding modes in the order of nnet::rescale_rounding. */
export const RESCALE_ROUNDING = ['ROUND', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'HALF_UP', 'HALF_DOWN'] as const;

/** The integer nearest to p / 2^F (F >= 0) by a QONNX rounding mode, exactly (nnet_rescale.h round_codes). */
export function roundCodes(p: bigint, F: number, mode: string): bigint {
  if (F <= 0) return p << BigInt(-F);
  const S = BigInt(F);
  const half = 1n << (S - 1n);
  const fl = p >> S, ce = -((-p) >> S);
  const mag = p < 0n ? -p : p;
  switch (mode) {
    case 'CEIL': return ce;
    case 'FLOOR': return fl;
    case 'UP': return p < 0n ? fl : ce;
    case 'DOWN': return p < 0n ? ce : fl;
    case 'HALF_UP': { const r = (mag + half) >> S; return p < 0n ? -r : r; }
    case 'HALF_DOWN': { const r = -((half - mag) >> S); return p < 0n ? -r : r; }
    default: {
      const rem = p - (fl << S);
      return rem > half || (rem === half && (fl & 1n) === 1n) ? fl + 1n : fl;
    }
  }
}

/**
 * Rescale as nnet_rescale.h computes it: p = code(x) * code(inv_scale[c]) (exact, prod_frac fractional bits);
 * q = clamp(round(p / 2^F) + zp) (or clamp(round((p + zp 2^F) / 2^F)) when the zero point comes before rounding);
 * y = result((q - zp) * scale[c]).
 */
export function buildRescale(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, role(ctx, 'scale'));
  const sc = Array.from(constCodes(sT, sType), BigInt);
  const invCodes = ctx.hls.params['inv_scale_codes'];
  if (!Array.isArray(invCodes)) unsupported(ctx, "has no 'inv_scale_codes' in its HLS annotation");
  const inv = invCodes.map((c) => BigInt(c));
  const zp = (Array.isArray(ctx.hls.params['zero_point_codes']) ? (ctx.hls.params['zero_point_codes'] as number[]) : [0]).map((z) => BigInt(z));
  const F = numParam(ctx, 'prod_frac');
  const qmin = BigInt(numParam(ctx, 'q_min')), qmax = BigInt(numParam(ctx, 'q_max'));
  const before = numParam(ctx, 'zero_point_before_rounding', 0) === 1;
  const mode = String(ctx.hls.params['rounding_mode'] ?? 'ROUND');
  const n = product(x.shape);
  const inner = numParam(ctx, 'n_inner', n);
  const C = numParam(ctx, 'n_chan', 1);
  const fs = fracBits(sType);
  const R = ctx.out.type;
  const pick = <T>(a: T[], c: number): T => a[a.length === 1 ? 0 : c];
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        for (let i = 0; i < n; i++) {
          const c = C === 1 ? 0 : Math.floor(i / inner) % C;
          const z = pick(zp, c);
          const p = BigInt(X[s * n + i]) * pick(inv, c);
          let q = before ? roundCodes(p + (z << BigInt(Math.max(0, F))), F, mode) : roundCodes(p, F, mode) + z;
          if (q < qmin) q = qmin;
          if (q > qmax) q = qmax;
          const v = (q - z) * pick(sc, c);
          if (overflowsBig(v, fs, R)) over++;
          Y[s * n + i] = Number(convertRaw(v, fs, R));
        }
      }
      return over;
    },
  };
}
