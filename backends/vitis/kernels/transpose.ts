/* Transpose of the per-sample axes (the batch axis stays first): a gather through the permuted input strides. */
import { sizeOf, strides } from 'firmflow';
import { gatherKernel } from '../emulate/movement.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { elementSchedule, movementCore } from '../estimate/cost.js';
import { permutationMap, samplePerm } from '../layout.js';
import { sampleShape } from '../lowered.js';
import { list, requireActivation, sample, Unsupported } from '../passes/planning.js';
import { fail } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const transpose: VitisKernel = {
  name: 'transpose',
  ops: ['Transpose'],
  header: 'nnet_transform.h',
  stream: 'flow',

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    const perm = list(node.attrs['perm']) ?? [];
    if (perm[0] !== 0) throw new Unsupported(`permutation [${perm.join(', ')}] moves the batch axis`);
    const y = graph.tensor(node.outputs[0]);
    return { kernel: 'transpose', params: { perm: samplePerm(perm), in_shape: sample(x), out_shape: sample(y), n_in: sizeOf(sample(x)) } };
  },

  defaultResult: 'exact',
  precision: (ctx) => ctx.input,

  emit(e) {
    const { node, x, ys } = e;
    const xs = sampleShape(x);
    const perm = samplePerm((node.attrs['perm'] as number[] | undefined) ?? []);
    if (xs.length > 4) fail(node, 'more than 4 axes per sample');
    const inStride = strides(xs);
    const d = [...new Array(4 - ys.length).fill(1), ...ys];
    const st = [...new Array(4 - ys.length).fill(0), ...perm.map((p) => inStride[p])];
    e.config('nnet::gather_config', { n_out: sizeOf(ys), d0: d[0], d1: d[1], d2: d[2], d3: d[3], s0: st[0], s1: st[1], s2: st[2], s3: st[3], in_t: e.xT });
    const call = (i: string, o: string): string[] => e.call(`nnet::gather<${e.xT}, ${e.yT}, ${e.cfg}>`, [i, o]);
    if (e.stream) return { cppKernel: 'nnet::gather (buffered)', lines: e.buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::gather', lines: call(e.input(x), e.out) };
  },

  emulate: buildTranspose,
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => movementCore(c, true)),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/movement.ts)

function buildTranspose(ctx: BuildContext): EmuKernel {
  const perm = ctx.node.attrs['perm'] as number[];
  if (!Array.isArray(perm) || perm[0] !== 0) unsupported(ctx, 'a transpose that moves the batch axis cannot be emulated per sample');
  return gatherKernel(ctx, null, permutationMap(ctx.acts[0].shape, samplePerm(perm)));
}
