/* FixedCast, a model's own quantizer: the input converted to the quantizer's fixed-point type. */
import { sizeOf } from 'firmflow';
import { fracBits } from 'firmflow';
import { viaScratch } from '../emulate/elementwise.js';
import { addDelay, COEF } from '../estimate/model.js';
import { elementSchedule } from '../estimate/cost.js';
import { requireActivation, sample } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const fixedCast: VitisKernel = {
  name: 'fixed-cast',
  ops: ['FixedCast'],
  header: 'nnet_activation.h',
  stream: 'flow',
  streaming: true,
  plan(node, graph) {
    return { kernel: 'fixed_cast', params: { n_in: sizeOf(sample(requireActivation(node, graph, 0))) } };
  },
  // Its result is the quantizer's type, whatever the configuration's data type.
  defaultResult: 'model',
  emit: (e) => e.activation('op_linear'),
  // The quantizer's conversion of the input codes, the result type's rounding and overflow modes.
  emulate(ctx) {
    const x = ctx.acts[0];
    const n = sizeOf(x.shape);
    return viaScratch(ctx, fracBits(x.type), n, ([X], T, b) => { T.set(X.subarray(0, n * b)); });
  },
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => {
    c.lut(c.par * c.conv);
    c.steps = [{ ns: addDelay(c.win, c.part) }, { ns: COEF.mux }];
  }),
};
