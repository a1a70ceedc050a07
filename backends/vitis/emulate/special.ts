import { convertRaw, fracBits, rawFromNumber, type FixedType } from '../../../src/fixed/index.js';
import { overflowsBig } from './convert.js';
import { constCodes, constType, product, role, unsupported, type BuildContext, type EmuKernel } from './kernel.js';
import { tableReader } from './tables.js';

export { buildSoftsign } from './elementwise.js';

/** Default type of LayerNormalization's 1/n factor when the lowering names none (ufixed<18,0,RND,SAT>). */
const INV_N_TYPE: FixedType = { signed: false, width: 18, integer: 0, rounding: 'RND', overflow: 'SAT' };

/**
 * LayerNormalization over the last axis (templates/vitis/nnet/nnet_layernorm.h), in BigInt because the squared
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

/** Rescale as the kernel computes it (nnet_activation.h op_rescale): y = result(x * scale[c]). */
export function buildRescale(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, role(ctx, 'scale'));
  const sc = Array.from(constCodes(sT, sType), BigInt);
  const n = product(x.shape);
  const inner = typeof ctx.hls.params['n_inner'] === 'number' ? (ctx.hls.params['n_inner'] as number) : n;
  const C = typeof ctx.hls.params['n_chan'] === 'number' ? (ctx.hls.params['n_chan'] as number) : 1;
  const F = fracBits(x.type) + fracBits(sType);
  const R = ctx.out.type;
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        for (let i = 0; i < n; i++) {
          const c = C === 1 ? 0 : Math.floor(i / inner) % C;
          const v = BigInt(X[s * n + i]) * sc[sc.length === 1 ? 0 : c];
          if (overflowsBig(v, F, R)) over++;
          Y[s * n + i] = Number(convertRaw(v, F, R));
        }
      }
      return over;
    },
  };
}
