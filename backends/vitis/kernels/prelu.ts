/* PRelu: x >= 0 ? x : slope * x, the slope a constant broadcast to x (nnet_merge.h with the op_prelu functor). */
import { autoConstType, DEFAULT_SCALE_TYPE, configuredType, numeric } from '../passes/precision-rules.js';
import { sizeOf } from 'firmflow';
import { buildPRelu } from '../emulate/elementwise.js';
import { addDelay, COEF } from '../estimate/model.js';
import { constCodes, elementSchedule } from '../estimate/cost.js';
import { broadcastShapes, requireActivation, requireConst } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';
import { emitMerge } from './merge.js';

export const prelu: VitisKernel = {
  name: 'prelu',
  ops: ['PRelu'],
  header: 'nnet_merge.h',
  stream: 'merge',

  plan(node, graph) {
    requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'slope');
    const { shapes, out } = broadcastShapes(node, graph);
    return { kernel: 'prelu', params: { n_in: sizeOf(out), out_shape: out, slope_shape: shapes[1] } };
  },

  constRoles: { 1: 'scale' },
  // The slope is a factor: the model's type, else the factors' default (derived from the values only for 'auto').
  constType(ctx, role, t) {
    const set = ctx.config.precision[role];
    return configuredType(set) ?? (set === 'auto' ? autoConstType(numeric(t)) : t.precision ?? DEFAULT_SCALE_TYPE);
  },

  emit: (e) => emitMerge(e, 'op_prelu'),
  emulate: buildPRelu,

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => {
    c.constScale(constCodes(l, 1), (i) => i);
    c.lut(c.par * (c.wout + c.conv));
    c.steps.push({ ns: COEF.mux }, { ns: addDelay(c.wout, c.part) });
  }),
};
