import { broadcastStrides, type FixedType, fracBits, nearestIndexMap, rawFromNumber, sameType, strides } from 'firmflow';
import { makeConverter, typeLimits } from './convert.js';
import { product, unsupported, type BuildContext, type EmuKernel } from './kernel.js';

/*
 * Ops that only move values (Transpose, Reshape, Flatten, Squeeze/Unsqueeze, Concat, Pad, Resize nearest): each
 * output element of a sample reads one input element (or the pad constant), converted to the result type. The
 * per-sample gather map is computed once; converting is a copy when the types agree.
 */

/** Whether every value of `from` is representable in `to` unchanged. */
export function holds(to: FixedType, from: FixedType): boolean {
  if (sameType(to, from)) return true;
  const a = typeLimits(from), b = typeLimits(to);
  if (fracBits(to) < fracBits(from)) return false;
  const s = 2 ** (b.frac - a.frac);
  return a.max * s <= b.max && a.min * s >= b.min;
}

/** A kernel gathering `map[i]` of input `src[i]` (-1: the pad code) per sample. */
function gatherKernel(ctx: BuildContext, src: Uint8Array | null, map: Int32Array, padCode = 0): EmuKernel {
  const outN = map.length;
  const ins = ctx.acts;
  const sizes = ins.map((a) => product(a.shape));
  const exact = ins.map((a) => holds(ctx.out.type, a.type));
  const convs = ins.map((a) => makeConverter(fracBits(a.type), ctx.out.type));
  const one = new Float64Array(1);
  const tmp = new Float64Array(1);
  return {
    node: ctx.node, inputs: ins.map((a) => a.tensor.name), output: ctx.out.tensor.name,
    run(X, Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        const yo = s * outN;
        for (let i = 0; i < outN; i++) {
          const m = map[i];
          if (m < 0) { Y[yo + i] = padCode; continue; }
          const k = src ? src[i] : 0;
          const v = X[k][s * sizes[k] + m];
          if (exact[k]) Y[yo + i] = v;
          else { one[0] = v; over += convs[k](one, tmp, 1); Y[yo + i] = tmp[0]; }
        }
      }
      return over;
    },
  };
}

export function buildCopy(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = product(x.shape);
  if (n !== product(ctx.out.shape)) unsupported(ctx, `input of ${n} values per sample and output of ${product(ctx.out.shape)} differ`);
  const map = new Int32Array(n);
  for (let i = 0; i < n; i++) map[i] = i;
  if (!holds(ctx.out.type, x.type)) return gatherKernel(ctx, null, map);
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) { Y.set(X.subarray(0, n * batch)); return 0; },
  };
}

export function buildTranspose(ctx: BuildContext): EmuKernel {
  const perm = ctx.node.attrs['perm'] as number[];
  if (!Array.isArray(perm) || perm[0] !== 0) unsupported(ctx, 'a transpose that moves the batch axis cannot be emulated per sample');
  const p = perm.slice(1).map((a) => a - 1);
  const inS = ctx.acts[0].shape;
  const outS = ctx.out.shape;
  const inStr = strides(inS);
  const n = product(outS);
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < outS.length; d++) src += idx[d] * inStr[p[d]];
    map[i] = src;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  return gatherKernel(ctx, null, map);
}

export function buildConcat(ctx: BuildContext): EmuKernel {
  if (ctx.consts.size) unsupported(ctx, 'constant inputs of Concat are not emulated');
  const rank = ctx.out.shape.length;
  let axis = ctx.node.attrs['axis'] as number;
  axis = (axis < 0 ? axis + rank + 1 : axis) - 1; // per-sample axis (the batch axis is dropped)
  if (axis < 0) unsupported(ctx, 'concatenation along the batch axis cannot be emulated per sample');
  const outS = ctx.out.shape;
  const inner = product(outS.slice(axis + 1));
  const outer = product(outS.slice(0, axis));
  const n = product(outS);
  const map = new Int32Array(n);
  const src = new Uint8Array(n);
  let off = 0;
  ctx.acts.forEach((a, k) => {
    const len = a.shape[axis] * inner;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < len; j++) {
        const dst = o * outS[axis] * inner + off + j;
        map[dst] = o * len + j;
        src[dst] = k;
      }
    }
    off += len;
  });
  return gatherKernel(ctx, src, map);
}

export function buildPad(ctx: BuildContext): EmuKernel {
  const pads = ctx.node.attrs['pads'] as number[];
  const r = pads.length / 2;
  if (pads[0] !== 0 || pads[r] !== 0) unsupported(ctx, 'padding the batch axis cannot be emulated per sample');
  const inS = ctx.acts[0].shape, outS = ctx.out.shape;
  const begin = pads.slice(1, r);
  const inStr = strides(inS);
  const n = product(outS);
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let srcI = 0, ok = true;
    for (let d = 0; d < outS.length; d++) {
      const s = idx[d] - begin[d];
      if (s < 0 || s >= inS[d]) { ok = false; break; }
      srcI += s * inStr[d];
    }
    map[i] = ok ? srcI : -1;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  const value = typeof ctx.node.attrs['value'] === 'number' ? (ctx.node.attrs['value'] as number) : 0;
  return gatherKernel(ctx, null, map, Number(rawFromNumber(value, ctx.out.type)));
}

export function buildResize(ctx: BuildContext): EmuKernel {
  const inS = ctx.acts[0].shape, outS = ctx.out.shape;
  const scales = ctx.node.attrs['scales'] as number[];
  const sizes = ctx.node.attrs['sizes'] as number[] | null | undefined;
  const ctm = String(ctx.node.attrs['coordinateTransformationMode'] ?? 'half_pixel');
  const nm = String(ctx.node.attrs['nearestMode'] ?? 'round_prefer_floor');
  const maps = outS.map((o, d) => nearestIndexMap(inS[d], o, sizes ? Math.fround(o / inS[d]) : scales[d + 1], ctm, nm));
  const inStr = strides(inS);
  const n = product(outS);
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < outS.length; d++) s += maps[d][idx[d]] * inStr[d];
    map[i] = s;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  return gatherKernel(ctx, null, map);
}

/** Per-sample index maps reading a (per-sample or constant) operand broadcast to the output's per-sample shape. */
export function broadcastMap(operandShape: number[], isConst: boolean, outS: number[]): Int32Array {
  // Constants carry the full rank (their axis 0 lines up with the batch axis); activations drop the batch axis.
  const full = [1, ...outS];
  let shape: number[];
  if (isConst) {
    shape = operandShape.length > outS.length ? operandShape : operandShape;
    if (shape.length === full.length && shape[0] !== 1) throw new Error(`constant of shape [${shape.join(', ')}] would broadcast over the batch axis`);
  } else shape = [1, ...operandShape];
  const st = broadcastStrides(shape, full).slice(1);
  const n = product(outS);
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < outS.length; d++) s += idx[d] * st[d];
    map[i] = s;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  return map;
}
