import { fracBits, rawFromNumber } from 'firmflow';
import { softmaxExpSplit } from '../tables.js';
import { convertOne, maxAbsCode, productConverter } from './convert.js';
import { product, unsupported, type BuildContext, type EmuKernel } from './kernel.js';
import { tableReader } from './tables.js';

/*
 * Softmax over the last axis (docs/design/vitis-backend.md, "Softmax"). Stable: m = max x; t_j = min(m - x_j, t_max)
 * (exact code differences); e_j = exp_t(exp_table[i] * exp_fine[f]) with i, f the coarse and fine bits of t_j (the
 * largest element gets exactly 1.0); s = sum e_j (exact in exp_sum); inv = inv_table[idx(s)];
 * y_j = result(e_j * inv). Argmax: a one-hot of the first largest input. Products of wide table entries exceed 2^53
 * and are formed in BigInt (productConverter).
 */
export function buildSoftmax(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const shape = x.shape;
  const rank = shape.length + 1;
  const axisAttr = typeof ctx.node.attrs['axis'] === 'number' ? (ctx.node.attrs['axis'] as number) : -1;
  const axis = (axisAttr < 0 ? axisAttr + rank : axisAttr) - 1;
  if (axis < 0) unsupported(ctx, 'softmax over the batch axis cannot be emulated per sample');
  const len = shape[axis];
  const inner = product(shape.slice(axis + 1));
  const outer = product(shape.slice(0, axis));
  const n = product(shape);
  const fx = fracBits(x.type);
  const impl = String(ctx.hls.params['implementation'] ?? (ctx.hls.kernel.includes('argmax') ? 'argmax' : 'stable'));
  const R = ctx.out.type;
  const e = new Float64Array(len);
  if (impl === 'argmax') {
    const one = Number(rawFromNumber(1, R));
    return {
      node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
      run([X], Y, batch) {
        Y.fill(0, 0, n * batch);
        for (let s = 0; s < batch; s++) {
          for (let o = 0; o < outer; o++) {
            for (let i = 0; i < inner; i++) {
              const base = s * n + o * len * inner + i;
              let best = 0;
              for (let k = 1; k < len; k++) if (X[base + k * inner] > X[base + best * inner]) best = k;
              Y[base + best * inner] = one;
            }
          }
        }
        return 0;
      },
    };
  }
  const expT = ctx.hls.tables?.['exp_table'], fineT = ctx.hls.tables?.['exp_fine'], invT = ctx.hls.tables?.['inv_table'];
  if (!expT || !fineT || !invT) unsupported(ctx, 'has no exp/exp_fine/inv tables in its HLS annotation');
  const coarse = Float64Array.from(expT.codes), fine = Float64Array.from(fineT.codes);
  const split = softmaxExpSplit(expT, fineT, fx);
  const { shift, fineShift, tMax } = split;
  const p = 2 ** Math.max(0, shift), fp = 2 ** fineShift, up = 2 ** Math.max(0, -shift);
  const fe = fracBits(expT.type), ff = fracBits(fineT.type);
  const twoLevel = fine.length > 1 && shift >= 0;
  const expOf = productConverter(fe + ff, expT.type);
  // The sum lives in exp_sum (exact by default: it has the table's fractional bits and room for len ones).
  const es = ctx.hls.types['exp_sum'];
  const exactSum = !es || (fracBits(es) >= fe && maxAbsCode(es) * 2 ** (fe - fracBits(es)) >= len * maxAbsCode(expT.type));
  const fsum = exactSum ? fe : fracBits(es!);
  const inv = tableReader(invT, fsum);
  const fi = fracBits(invT.type);
  const out = productConverter(fe + fi, R);
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      for (let s = 0; s < batch; s++) {
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const base = s * n + o * len * inner + i;
            let m = X[base];
            for (let k = 1; k < len; k++) { const v = X[base + k * inner]; if (v > m) m = v; }
            let sum = 0;
            for (let k = 0; k < len; k++) {
              let t = m - X[base + k * inner];
              if (t > tMax) t = tMax;
              let v: number;
              if (shift < 0) v = coarse[t * up];
              else {
                const hi = Math.floor(t / p);
                v = twoLevel ? expOf.convert(coarse[hi], fine[Math.floor((t - hi * p) / fp)]) : coarse[hi];
              }
              e[k] = v;
              sum += v;
            }
            const iv = inv.codes[inv.index(exactSum ? sum : convertOne(sum, fe, es!))];
            for (let k = 0; k < len; k++) Y[base + k * inner] = out.convert(e[k], iv);
          }
        }
      }
      return expOf.overflows() + out.overflows();
    },
  };
}
