/*
 * Concat of activations along a per-sample axis: each input copied into its slice of the result (concat_part);
 * in io_stream two inputs joined along the last axis beat by beat.
 */
import { type FixedType, sameType, sizeOf, unionType } from 'firmflow';
import { gatherKernel } from '../emulate/movement.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { elementSchedule, movementCore } from '../estimate/cost.js';
import { sampleShape } from '../lowered.js';
import { num, sample, Unsupported } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const concat: VitisKernel = {
  name: 'concat',
  ops: ['Concat'],
  header: 'nnet_transform.h',
  stream: 'merge',

  plan(node, graph) {
    const y = graph.tensor(node.outputs[0]);
    let axis = num(node.attrs['axis'], 0);
    if (axis < 0) axis += y.shape.length;
    if (axis === 0) throw new Unsupported('it concatenates along the batch axis');
    const shapes = node.inputs.map((i) => {
      const t = graph.tensor(i);
      if (t.data) throw new Unsupported(`constant operand '${i}' (expected activations)`);
      return sample(t);
    });
    return { kernel: 'concat', params: { axis: axis - 1, n_inputs: shapes.length, out_shape: sample(y), ...Object.fromEntries(shapes.map((s, i) => [`in${i}_shape`, s])) } };
  },

  // Every input's values, exactly: the union of their types.
  defaultResult: 'exact',
  precision: (ctx): FixedType => ctx.node.inputs.map((_, i) => ctx.types[i === 0 ? 'input' : `input${i}`]).reduce((u, t) => (sameType(u, t) ? u : unionType(u, t))),

  emit(e) {
    const { b, l, node, y, ys } = e;
    const rank = ys.length;
    let axis = typeof node.attrs['axis'] === 'number' ? (node.attrs['axis'] as number) : 0;
    if (axis < 0) axis += y.shape.length;
    axis -= 1;
    const parts = l.inputs.map((t) => sampleShape(t));
    const outer = sizeOf(ys.slice(0, axis));
    const outInner = sizeOf(ys.slice(axis));
    let offset = 0;
    const cfgs: string[] = [];
    parts.forEach((s, i) => {
      const c = b.names.configPart(node, i);
      const inner = sizeOf(s.slice(axis));
      e.config('nnet::concat_config', { n_outer: outer, in_inner: inner, out_inner: outInner, offset, in_t: b.act(l.inputs[i]) }, c);
      cfgs.push(c);
      offset += inner;
    });
    const part = (t: number, a: string, o: string): string[] => e.call(`nnet::concat_part<${b.act(l.inputs[t])}, ${e.yT}, ${cfgs[t]}>`, [a, o]);
    if (e.stream) {
      if (axis === rank - 1 && l.inputs.length === 2 && l.inputs.every((t) => b.streamInfo(t).pack === sampleShape(t)[rank - 1]) && b.streamInfo(y).pack === ys[rank - 1]) {
        e.config('nnet::concat_stream_config', { n_beats: outer });
        return { cppKernel: 'nnet::concat_last_stream', lines: e.call(`nnet::concat_last_stream<${e.beat(l.inputs[0])}, ${e.beat(l.inputs[1])}, ${e.beat(y)}, ${e.cfg}>`, [e.input(l.inputs[0]), e.input(l.inputs[1]), e.out]) };
      }
      return { cppKernel: 'nnet::concat_part (buffered)', lines: e.buffered((ins, o) => ins.flatMap((a, i) => part(i, a, o))) };
    }
    return { cppKernel: 'nnet::concat_part', lines: l.inputs.flatMap((t, i) => part(i, e.input(t), e.out)) };
  },

  emulate: buildConcat,
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => movementCore(c, true)),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/movement.ts)

function buildConcat(ctx: BuildContext): EmuKernel {
  if (ctx.consts.size) unsupported(ctx, 'constant inputs of Concat are not emulated');
  const rank = ctx.out.shape.length;
  let axis = ctx.node.attrs['axis'] as number;
  axis = (axis < 0 ? axis + rank + 1 : axis) - 1; // per-sample axis (the batch axis is dropped)
  if (axis < 0) unsupported(ctx, 'concatenation along the batch axis cannot be emulated per sample');
  const outS = ctx.out.shape;
  const inner = sizeOf(outS.slice(axis + 1));
  const outer = sizeOf(outS.slice(0, axis));
  const n = sizeOf(outS);
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
