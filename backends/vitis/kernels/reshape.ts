/*
 * Reshape, Flatten, Squeeze, Unsqueeze: the values of a sample in the same order, so a copy (io_parallel) or a
 * repacking of beats (io_stream). The result keeps the input's type by default.
 */
import { sizeOf } from 'firmflow';
import { gatherKernel, holds } from '../emulate/movement.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { elementSchedule, movementCore } from '../estimate/cost.js';
import { sampleShape } from '../lowered.js';
import { requireActivation, sameBatch, sample } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const reshape: VitisKernel = {
  name: 'reshape',
  ops: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'],
  header: 'nnet_transform.h',
  stream: 'flow',
  streaming: true,

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    sameBatch(node, graph);
    const y = graph.tensor(node.outputs[0]);
    return { kernel: 'reshape', params: { n_in: sizeOf(sample(x)), in_shape: sample(x), out_shape: sample(y) } };
  },

  defaultResult: 'exact',
  precision: (ctx) => ctx.input,

  emit(e) {
    if (!e.stream) return e.activation('op_linear');
    const n = sizeOf(sampleShape(e.x));
    e.config('nnet::activ_config', { n_in: n, n_chan: 1, inner: 1 });
    return { cppKernel: 'nnet::repack_stream', lines: e.call(`nnet::repack_stream<${e.io()}, ${n}>`, [e.input(e.x), e.out]) };
  },

  emulate: buildCopy,
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => movementCore(c, false)),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/movement.ts)

function buildCopy(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = sizeOf(x.shape);
  if (n !== sizeOf(ctx.out.shape)) unsupported(ctx, `input of ${n} values per sample and output of ${sizeOf(ctx.out.shape)} differ`);
  const map = new Int32Array(n);
  for (let i = 0; i < n; i++) map[i] = i;
  if (!holds(ctx.out.type, x.type)) return gatherKernel(ctx, null, map);
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) { Y.set(X.subarray(0, n * batch)); return 0; },
  };
}
