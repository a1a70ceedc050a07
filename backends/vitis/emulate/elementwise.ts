import { convertRaw, type FixedType, fracBits, rawFromNumber, sizeOf } from 'firmflow';
import { makeConverter, maxAbsCode, overflowsBig } from './convert.js';
import { constCodes, constType, type BuildContext, type EmuKernel } from './kernel.js';
import { broadcastMap } from './movement.js';

/*
 * The element-wise emulation core the kernels share (activations, merges, ScaleShift, BipolarQuant): each computes
 * an exact intermediate code per element into a scratch buffer (at a fixed number of fractional bits) and converts
 * the whole buffer to the result type in one pass, so the rounding and overflow rule lives in one place (convert.ts).
 */

/** A kernel from a per-chunk "exact intermediate" function at `frac` fractional bits. */
export function viaScratch(ctx: BuildContext, frac: number, n: number, fill: (X: Float64Array[], T: Float64Array, batch: number) => void): EmuKernel {
  const conv = makeConverter(frac, ctx.out.type);
  let T = new Float64Array(0);
  return {
    node: ctx.node, inputs: ctx.acts.map((a) => a.tensor.name), output: ctx.out.tensor.name,
    run(X, Y, batch) {
      const len = n * batch;
      if (T.length < len) T = new Float64Array(len);
      fill(X, T, batch);
      return conv(T, Y, len);
    },
  };
}

/** 2^53: beyond it a double no longer holds every integer, so exact intermediates go to BigInt. */
export const EXACT = 2 ** 53;

/**
 * The BigInt twin of viaScratch for layers whose exact intermediate can exceed 2^53 (wide data times wide factors):
 * `elem` gives element i's exact code (at `frac` fractional bits) of the chunk, converted to the result one by one.
 */
export function viaBig(ctx: BuildContext, frac: number, n: number, elem: (X: Float64Array[], i: number) => bigint): EmuKernel {
  const R = ctx.out.type;
  return {
    node: ctx.node, inputs: ctx.acts.map((a) => a.tensor.name), output: ctx.out.tensor.name,
    run(X, Y, batch) {
      let over = 0;
      for (let i = 0; i < n * batch; i++) {
        const v = elem(X, i);
        if (overflowsBig(v, frac, R)) over++;
        Y[i] = Number(convertRaw(v, frac, R));
      }
      return over;
    },
  };
}

/**
 * A constant factor of role `scale` (LeakyRelu alpha, HardSigmoid alpha/beta, Selu gamma, Clip bounds): the
 * lowering's code in params[`${key}_code`] when it records one, else the attribute quantized to the scale type
 * (the same quantizeCodes rule the lowering applies).
 */
export function scaleCode(ctx: BuildContext, key: string, value: number, type: FixedType): number {
  const p = ctx.hls.params[`${key}_code`];
  if (typeof p === 'number') return p;
  return Number(rawFromNumber(value, type));
}

export const attrNum = (ctx: BuildContext, k: string, d: number): number => (typeof ctx.node.attrs[k] === 'number' ? (ctx.node.attrs[k] as number) : d);

/** An operand of a binary op: activation (per sample) or constant (shared), with its broadcast map. */
export interface Operand { act: number; codes?: Float64Array; type: FixedType; map: Int32Array; size: number; identity: boolean }

export function operands(ctx: BuildContext): Operand[] {
  const outS = ctx.out.shape;
  const n = sizeOf(outS);
  const res: Operand[] = [];
  const roleNames = ['input', 'input1', 'input2'];
  ctx.node.inputs.forEach((name, idx) => {
    if (name === '') return;
    const a = ctx.acts.findIndex((t) => t.index === idx);
    if (a >= 0) {
      const act = ctx.acts[a];
      const map = broadcastMap(act.shape, false, outS);
      res.push({ act: a, type: act.type, map, size: sizeOf(act.shape), identity: sizeOf(act.shape) === n });
    } else {
      const t = ctx.consts.get(idx)!;
      const type = constType(t, ctx.hls.types[roleNames[idx]] ?? ctx.out.type);
      res.push({ act: -1, codes: constCodes(t, type), type, map: broadcastMap(t.shape as number[], true, outS), size: 0, identity: false });
    }
  });
  return res;
}

/** Whether an accumulator holds every exact value with `frac` fractional bits up to |code| <= bound. */
export function holdsExactly(A: FixedType, frac: number, bound: number): boolean {
  return A.signed && fracBits(A) >= frac && bound * 2 ** (fracBits(A) - frac) <= maxAbsCode(A);
}
