/* ScaleShift (folded BatchNormalization, per-channel affine): y = scale[c] * x + shift[c] along one axis. */
import { convertRaw, fracBits, sizeOf } from 'firmflow';
import { accumLoss, codeValues, floatOf, maxAbsDiff } from '../emulate/bounds.js';
import { maxAbsCode, overflowsBig } from '../emulate/convert.js';
import { holdsExactly, viaScratch } from '../emulate/elementwise.js';
import { constCodes, constType, role, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { elementSchedule, layerConstCodes, scaleCost } from '../estimate/cost.js';
import { denseAccum } from '../passes/precision-rules.js';
import { num, requireActivation, requireConst, sample, Unsupported } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const scaleShift: VitisKernel = {
  name: 'scale-shift',
  ops: ['ScaleShift'],
  header: 'nnet_activation.h',
  stream: 'flow',
  dataRoles: ['result', 'scale', 'shift'],
  streaming: true,

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'scale');
    if (node.inputs[2]) requireConst(node, graph, 2, 'shift');
    const s = sample(x);
    const axis = num(node.attrs['axis'], 1);
    if (axis < 1 || axis > s.length) throw new Unsupported(`it scales along axis ${axis}, the batch axis`);
    const nChan = s[axis - 1];
    return { kernel: 'scale_shift', params: { n_in: sizeOf(s), n_chan: nChan, n_inner: sizeOf(s.slice(axis)), has_shift: node.inputs[2] ? 1 : 0 } };
  },

  constRoles: { 1: 'scale', 2: 'shift' },
  precision(ctx) {
    const s = ctx.tensor(1)!, h = ctx.tensor(2);
    const acc = denseAccum(ctx.input, s.meta['hlsCodes'] as ArrayLike<number>, ctx.types['scale'], 1, s.data!.length, h?.meta['hlsCodes'] as ArrayLike<number> | undefined, h ? ctx.types['shift'] : undefined);
    return (ctx.types['accum'] = ctx.accum(acc.type));
  },

  emit(e) {
    const { b, l } = e;
    const s = l.inputs[1], h = e.optional(2);
    const S = b.constant(s, 'scale'), H = h ? b.constant(h, 'shift') : undefined;
    return e.activation('op_scale_shift', {
      n_chan: e.num('n_chan'), inner: e.num('n_inner'), has_shift: !!H, n_scale: sizeOf(s.shape as number[]), n_shift: H ? sizeOf(h!.shape as number[]) : 1,
      accum_t: e.roleType('accum'), scale_t: S.typeName, shift_t: H ? H.typeName : S.typeName,
    }, S.name, H ? H.name : undefined);
  },

  emulate: buildScaleShift,

  errorBound(b) {
    const s = b.konst(1)!, h = b.konst(2);
    const sq = codeValues(s, s.precision!);
    const L = Math.max(...Array.from(sq, Math.abs));
    const dS = maxAbsDiff(sq, floatOf(s)!), dH = h ? maxAbsDiff(codeValues(h, h.precision!), floatOf(h)!) : 0;
    const accErr = b.accum ? accumLoss(b.accum, 1, b) : 0;
    return { L: [L], own: (xf) => b.qR + dS * xf + dH + accErr };
  },

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => scaleCost(c, layerConstCodes(l, 1))),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/elementwise.ts)

/**
 * ScaleShift: y = result(x * scale[c] + shift[c]), the sum formed exactly (the accumulator type holds it; a
 * narrower accumulator applies its modes to the product and to the sum, as `acc = x * s; acc += shift`).
 */
function buildScaleShift(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1), hT = ctx.consts.get(2);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, role(ctx, 'scale'));
  const hType = hT ? constType(hT, role(ctx, 'shift')) : undefined;
  const sc = constCodes(sT, sType), sh = hT ? constCodes(hT, hType!) : undefined;
  const rank = x.shape.length;
  const axisAttr = typeof ctx.node.attrs['axis'] === 'number' ? (ctx.node.attrs['axis'] as number) : 1;
  const axis = (axisAttr < 0 ? axisAttr + rank + 1 : axisAttr) - 1;
  const C = x.shape[axis];
  const inner = sizeOf(x.shape.slice(axis + 1));
  const n = sizeOf(x.shape);
  const fx = fracBits(x.type), fs = fracBits(sType), fh = hType ? fracBits(hType) : fx + fs;
  const F = Math.max(fx + fs, fh);
  const ps = 2 ** (F - fx - fs), hs = 2 ** (F - fh);
  const accum = ctx.hls.types['accum'];
  let maxS = 0, maxH = 0;
  for (const v of sc) maxS = Math.max(maxS, Math.abs(v));
  if (sh) for (const v of sh) maxH = Math.max(maxH, Math.abs(v));
  const bound = maxAbsCode(x.type) * maxS * ps + maxH * hs;
  const lossless = !accum || holdsExactly(accum, F, bound);
  const chan = new Int32Array(n);
  for (let i = 0; i < n; i++) chan[i] = Math.floor(i / inner) % C;
  const sAt = (c: number): number => sc[sc.length === 1 ? 0 : c];
  const hAt = (c: number): number => (sh ? sh[sh.length === 1 ? 0 : c] : 0);
  if (lossless && bound < 2 ** 53) {
    return viaScratch(ctx, F, n, ([X], T, batch) => {
      for (let s = 0; s < batch; s++) {
        const o = s * n;
        for (let i = 0; i < n; i++) { const c = chan[i]; T[o + i] = X[o + i] * sAt(c) * ps + hAt(c) * hs; }
      }
    });
  }
  const A = accum!;
  const fa = fracBits(A), R = ctx.out.type;
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        for (let i = 0; i < n; i++) {
          const c = chan[i];
          const exact = (BigInt(X[s * n + i]) * BigInt(sAt(c)) << BigInt(F - fx - fs)) + (BigInt(hAt(c)) << BigInt(F - fh));
          if (overflowsBig(exact, F, A)) over++;
          const t = convertRaw(exact, F, A);
          if (overflowsBig(t, fa, R)) over++;
          Y[s * n + i] = Number(convertRaw(t, fa, R));
        }
      }
      return over;
    },
  };
}
