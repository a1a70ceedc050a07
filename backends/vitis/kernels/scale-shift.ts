/* ScaleShift (folded BatchNormalization, per-channel affine): y = scale[c] * x + shift[c] along one axis. */
import { sizeOf } from 'firmflow';
import { buildScaleShift } from '../emulate/elementwise.js';
import { constCodes, elementSchedule, scaleCost } from '../estimate/cost.js';
import { denseAccum } from '../passes/precision-rules.js';
import { num, requireActivation, requireConst, sample, Unsupported } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const scaleShift: VitisKernel = {
  name: 'scale-shift',
  ops: ['ScaleShift'],
  header: 'nnet_activation.h',
  stream: 'flow',

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

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => scaleCost(c, constCodes(l, 1))),
};
