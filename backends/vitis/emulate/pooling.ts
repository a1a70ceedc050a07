import { convertRaw, type FixedType, fracBits, quantizeCodes, readWindow } from 'firmflow';
import { makeConverter, overflowsBig, typeLimits } from './convert.js';
import { role, unsupported, type BuildContext, type EmuKernel } from './kernel.js';

/*
 * Pooling on channels-last data (backends/vitis/templates/nnet/nnet_pooling.h). Max: the largest tap inside the input,
 * converted to the result. Average: acc = accum(sum of the taps inside the input, one accum conversion per add),
 * y = result(acc * inv_count[n]) with inv_count[n] = scale(1 / n), n the taps inside the input (or the whole
 * window with countIncludePad). Global pooling is the same over all pixels of a channel.
 */

/**
 * The lowering's `inv_count_codes`: scale(1/n) at index n = 1..taps for windows (entry 0 unused), one entry
 * scale(1/pixels) at index 0 for global pooling. Quantized here by the same rule when absent.
 */
function invCounts(ctx: BuildContext, max: number, scale: FixedType, global: boolean): Float64Array {
  const p = ctx.hls.params['inv_count_codes'];
  if (Array.isArray(p)) {
    if (p.length !== (global ? 1 : max + 1)) unsupported(ctx, `inv_count_codes has ${p.length} entries, expected ${global ? 1 : max + 1}`);
    return Float64Array.from(p);
  }
  if (global) return quantizeCodes([1 / max], scale, new Float64Array(1)) as Float64Array;
  const v = new Float64Array(max + 1);
  for (let n = 1; n <= max; n++) v[n] = 1 / n;
  const q = quantizeCodes(v, scale, new Float64Array(max + 1)) as Float64Array;
  q[0] = 0;
  return q;
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
  const inv = invCounts(ctx, g.kh * g.kw, scale, g.global);
  const acc = accumulator(x.type, accum);
  const fa = fracBits(accum), fs = fracBits(scale), fx = fracBits(x.type);
  const wide = accum.width > 53;
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
              let sum = 0, count = 0, sumBig = 0n;
              for (let a = 0; a < g.kh; a++) {
                const ih = oh * g.sh + a * g.dh - g.pt;
                if (ih < 0 || ih >= g.H) continue;
                for (let b = 0; b < g.kw; b++) {
                  const iw = ow * g.sw + b * g.dw - g.pl;
                  if (iw < 0 || iw >= g.W) continue;
                  const v = X[s * inSample + (ih * g.W + iw) * g.C + c];
                  // An accumulator wider than 53 bits is carried in BigInt: acc = accum(acc + x).
                  if (wide) sumBig = convertRaw((sumBig << BigInt(Math.max(0, fx - fa))) + (BigInt(v) << BigInt(Math.max(0, fa - fx))), Math.max(fa, fx), accum);
                  else sum = acc.add(sum, v);
                  count++;
                }
              }
              // Global pooling: the one entry 1/pixels; windows: 1/n for the n taps counted.
              const f = inv[g.global ? 0 : includePad ? window : count];
              one[0] = sum * f;
              if (wide || !Number.isSafeInteger(one[0])) {
                // The exact product exceeds 2^53: formed in BigInt.
                const big = (wide ? sumBig : BigInt(sum)) * BigInt(f);
                if (overflowsBig(big, fa + fs, ctx.out.type)) over++;
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
