import { convertRaw, fracBits, quantizeCodes, type FixedType } from '../../../src/fixed/index.js';
import { readWindow } from '../../../src/ir/defs/spatial.js';
import { makeConverter, typeLimits } from './convert.js';
import { role, unsupported, type BuildContext, type EmuKernel } from './kernel.js';

/*
 * Pooling on channels-last data (templates/vitis/nnet/nnet_pooling.h). Max: the largest tap inside the input,
 * converted to the result. Average: acc = accum(sum of the taps inside the input, one accum conversion per add),
 * y = result(acc * inv_count[n]) with inv_count[n] = scale(1 / n), n the taps inside the input (or the whole
 * window with countIncludePad). Global pooling is the same over all pixels of a channel.
 */

/** Codes of scale(1/n) for n = 0..max (entry 0 unused): the lowering's `inv_count_codes` parameter when present. */
function invCounts(ctx: BuildContext, max: number, scale: FixedType): Float64Array {
  const p = ctx.hls.params['inv_count_codes'] ?? ctx.hls.params['inv_count'];
  if (Array.isArray(p)) return Float64Array.from(p);
  const v = new Float64Array(max + 1);
  for (let n = 1; n <= max; n++) v[n] = 1 / n;
  return quantizeCodes(v, scale, new Float64Array(max + 1)) as Float64Array;
}

/** Adds `v` (frac fx) to the accumulator code `acc` (frac fa) with accum's overflow on each step, as `acc += x`. */
function accumulator(xType: FixedType, accum: FixedType): { add: (acc: number, v: number) => number; exact: boolean; scale: number } {
  const fx = fracBits(xType), fa = fracBits(accum);
  const scale = 2 ** (fa - fx);
  const lim = typeLimits(accum);
  if (fa >= fx) {
    return {
      exact: true, scale,
      add: (acc, v) => {
        const s = acc + v * scale;
        if (s <= lim.max && s >= lim.min) return s;
        return Number(convertRaw(BigInt(s), fa, accum));
      },
    };
  }
  return { exact: false, scale, add: (acc, v) => Number(convertRaw(BigInt(acc) * (1n << BigInt(fx - fa)) + BigInt(v), fx, accum)) };
}

interface Geometry { H: number; W: number; C: number; OH: number; OW: number; kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; global: boolean }

function geometry(ctx: BuildContext, global: boolean): Geometry {
  const x = ctx.acts[0];
  const oneD = x.shape.length === 2;
  const [H, W, C] = oneD ? [1, x.shape[0], x.shape[1]] : x.shape;
  if (global) return { H, W, C, OH: 1, OW: 1, kh: H, kw: W, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pl: 0, global };
  if (ctx.node.attrs['layout'] !== 'NHWC') unsupported(ctx, 'the emulator expects channels-last pooling (run the vitis flows)');
  const [OH, OW] = oneD ? [1, ctx.out.shape[0]] : ctx.out.shape;
  const win = readWindow(ctx.node.attrs, oneD ? 1 : 2);
  const pick = (a: number[], d: number): [number, number] => (oneD ? [d, a[0]] : [a[0], a[1]]);
  const [kh, kw] = pick(win.kernel, 1), [sh, sw] = pick(win.strides, 1), [dh, dw] = pick(win.dilations, 1);
  const [pt, pl] = oneD ? [0, win.pads[0]] : [win.pads[0], win.pads[1]];
  return { H, W, C, OH, OW, kh, kw, sh, sw, dh, dw, pt, pl, global };
}

export function buildPool(ctx: BuildContext, kind: 'max' | 'avg', global: boolean): EmuKernel {
  const g = geometry(ctx, global);
  const x = ctx.acts[0];
  const toResult = makeConverter(fracBits(x.type), ctx.out.type);
  const includePad = ctx.node.attrs['countIncludePad'] === true;
  const inSample = g.H * g.W * g.C, outSample = g.OH * g.OW * g.C;
  // Tap offsets per output pixel are rebuilt per pixel; windows are small, and global pooling is one window.
  const one = new Float64Array(1), res = new Float64Array(1);
  if (kind === 'max') {
    return {
      node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
      run([X], Y, batch) {
        let over = 0;
        for (let s = 0; s < batch; s++) {
          for (let oh = 0; oh < g.OH; oh++) {
            for (let ow = 0; ow < g.OW; ow++) {
              const yo = s * outSample + (oh * g.OW + ow) * g.C;
              for (let c = 0; c < g.C; c++) {
                let best = -Infinity;
                for (let a = 0; a < g.kh; a++) {
                  const ih = oh * g.sh + a * g.dh - g.pt;
                  if (ih < 0 || ih >= g.H) continue;
                  for (let b = 0; b < g.kw; b++) {
                    const iw = ow * g.sw + b * g.dw - g.pl;
                    if (iw < 0 || iw >= g.W) continue;
                    const v = X[s * inSample + (ih * g.W + iw) * g.C + c];
                    if (v > best) best = v;
                  }
                }
                one[0] = best === -Infinity ? 0 : best;
                over += toResult(one, res, 1);
                Y[yo + c] = res[0];
              }
            }
          }
        }
        return over;
      },
    };
  }
  const accum = role(ctx, 'accum');
  const scale = role(ctx, 'scale');
  const inv = invCounts(ctx, g.kh * g.kw, scale);
  const acc = accumulator(x.type, accum);
  const fa = fracBits(accum), fs = fracBits(scale);
  const conv = makeConverter(fa + fs, ctx.out.type);
  const window = g.kh * g.kw;
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        for (let oh = 0; oh < g.OH; oh++) {
          for (let ow = 0; ow < g.OW; ow++) {
            const yo = s * outSample + (oh * g.OW + ow) * g.C;
            for (let c = 0; c < g.C; c++) {
              let sum = 0, count = 0;
              for (let a = 0; a < g.kh; a++) {
                const ih = oh * g.sh + a * g.dh - g.pt;
                if (ih < 0 || ih >= g.H) continue;
                for (let b = 0; b < g.kw; b++) {
                  const iw = ow * g.sw + b * g.dw - g.pl;
                  if (iw < 0 || iw >= g.W) continue;
                  sum = acc.add(sum, X[s * inSample + (ih * g.W + iw) * g.C + c]);
                  count++;
                }
              }
              const n = g.global ? 0 : includePad ? window : count;
              const f = inv[g.global ? (inv.length > 1 ? window : 0) : n];
              one[0] = sum * f;
              if (!Number.isSafeInteger(one[0])) {
                const big = BigInt(sum) * BigInt(f);
                Y[yo + c] = Number(convertRaw(big, fa + fs, ctx.out.type));
              } else {
                over += conv(one, res, 1);
                Y[yo + c] = res[0];
              }
            }
          }
        }
      }
      return over;
    },
  };
}
