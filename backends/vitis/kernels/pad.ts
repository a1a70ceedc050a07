/* Pad (constant mode, no cropping) of the per-sample axes; in io_stream spatial padding of pixels streams natively. */
import { quantizeCodes, rawFromNumber, sizeOf, strides } from 'firmflow';
import { gatherKernel } from '../emulate/movement.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { elementSchedule, movementCore } from '../estimate/cost.js';
import { precisionOf, sampleShape } from '../lowered.js';
import { list, num, requireActivation, sample, Unsupported } from '../passes/planning.js';
import { fail } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const pad: VitisKernel = {
  name: 'pad',
  ops: ['Pad'],
  header: 'nnet_transform.h',
  stream: 'flow',

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    const s = sample(x);
    const r = x.shape.length;
    const pads = list(node.attrs['pads']) ?? [];
    if (pads[0] !== 0 || pads[r] !== 0) throw new Unsupported('it pads the batch axis');
    const begin = pads.slice(1, r), end = pads.slice(r + 1);
    if ([...begin, ...end].some((p) => p < 0)) throw new Unsupported('negative pads (cropping) are not supported');
    return { kernel: 'pad', params: { in_shape: s, out_shape: sample(graph.tensor(node.outputs[0])), pad_begin: begin, pad_end: end, value: num(node.attrs['value'], 0) } };
  },

  defaultResult: 'exact',
  precision: (ctx) => ctx.input,

  emit(e) {
    const { b, node, x, y, ys, P } = e;
    const xs = sampleShape(x);
    const begin = (P['pad_begin'] as number[] | undefined) ?? [];
    const end = (P['pad_end'] as number[] | undefined) ?? [];
    if (xs.length > 4) fail(node, 'more than 4 axes per sample');
    const value = e.num('value', 0);
    const pv = b.nodeConst(node, 'pad_value', precisionOf(y), quantizeCodes([value], precisionOf(y)));
    const spatialOnly = (xs.length === 3 || xs.length === 2) && begin[begin.length - 1] === 0 && end[end.length - 1] === 0;
    if (e.stream && spatialOnly && b.streamInfo(x).pack === xs[xs.length - 1] && b.streamInfo(y).pack === ys[ys.length - 1]) {
      const twoD = xs.length === 3;
      e.config('nnet::pad_stream_config', {
        in_height: twoD ? xs[0] : 1, in_width: xs[xs.length - 2], n_chan: xs[xs.length - 1],
        pad_top: twoD ? begin[0] : 0, pad_bottom: twoD ? end[0] : 0, pad_left: begin[begin.length - 2], pad_right: end[end.length - 2], pad_t: pv.typeName,
      });
      return { cppKernel: 'nnet::pad_stream', lines: e.call(`nnet::pad_stream<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, pv.name]) };
    }
    const fill4 = (a: number[], f: number): number[] => [...new Array(4 - a.length).fill(f), ...a];
    const d = fill4(ys, 1), ex = fill4(xs, 1), bg = fill4(begin, 0);
    e.config('nnet::pad_config', {
      n_out: sizeOf(ys), d0: d[0], d1: d[1], d2: d[2], d3: d[3], e0: ex[0], e1: ex[1], e2: ex[2], e3: ex[3], b0: bg[0], b1: bg[1], b2: bg[2], b3: bg[3], pad_t: pv.typeName,
    });
    const call = (i: string, o: string): string[] => e.call(`nnet::pad<${e.xT}, ${e.yT}, ${e.cfg}>`, [i, o, pv.name]);
    if (e.stream) return { cppKernel: 'nnet::pad (buffered)', lines: e.buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::pad', lines: call(e.input(x), e.out) };
  },

  emulate: buildPad,
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => movementCore(c, true)),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/movement.ts)

function buildPad(ctx: BuildContext): EmuKernel {
  const pads = ctx.node.attrs['pads'] as number[];
  const r = pads.length / 2;
  if (pads[0] !== 0 || pads[r] !== 0) unsupported(ctx, 'padding the batch axis cannot be emulated per sample');
  const inS = ctx.acts[0].shape, outS = ctx.out.shape;
  const begin = pads.slice(1, r);
  const inStr = strides(inS);
  const n = sizeOf(outS);
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
