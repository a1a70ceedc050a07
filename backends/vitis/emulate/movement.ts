import { broadcastStrides, type FixedType, fracBits, sameType, sizeOf } from 'firmflow';
import { makeConverter, typeLimits } from './convert.js';
import { type BuildContext, type EmuKernel } from './kernel.js';

/*
 * The gather core of the kernels that only move values (Transpose, Reshape, Concat, Pad, Resize): each output
 * element of a sample reads one input element (or the pad constant), converted to the result type. The per-sample
 * gather map is computed once by the kernel; converting is a copy when the types agree.
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
export function gatherKernel(ctx: BuildContext, src: Uint8Array | null, map: Int32Array, padCode = 0): EmuKernel {
  const outN = map.length;
  const ins = ctx.acts;
  const sizes = ins.map((a) => sizeOf(a.shape));
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
  const n = sizeOf(outS);
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
