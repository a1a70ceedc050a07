/*
 * Resize, nearest mode: per-axis index maps computed once by the interpreter's own rule. Integer channels-last
 * upscaling by repetition takes nnet::upsample; anything else a gather through the maps.
 */
import { nearestIndexMap, sizeOf, strides } from 'firmflow';
import { gatherKernel } from '../emulate/movement.js';
import { type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { elementSchedule, movementCore } from '../estimate/cost.js';
import { sampleShape } from '../lowered.js';
import { list, requireActivation, sameBatch, sample } from '../passes/planning.js';
import { fail } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const resize: VitisKernel = {
  name: 'resize',
  ops: ['Resize'],
  header: 'nnet_transform.h',
  stream: 'flow',

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    sameBatch(node, graph);
    const s = sample(x), o = sample(graph.tensor(node.outputs[0]));
    const scales = list(node.attrs['scales']) ?? [];
    const sizes = list(node.attrs['sizes']);
    const ctm = String(node.attrs['coordinateTransformationMode'] ?? 'half_pixel');
    const nm = String(node.attrs['nearestMode'] ?? 'round_prefer_floor');
    // The index map of every axis is computed here once, by the interpreter's own rule, and emitted as is.
    const maps: Record<string, number[]> = {};
    s.forEach((d, i) => {
      const scale = sizes ? Math.fround(o[i] / d) : scales[i + 1];
      maps[`index_map_${i}`] = Array.from(nearestIndexMap(d, o[i], scale, ctm, nm));
    });
    return { kernel: 'resize_nearest', params: { in_shape: s, out_shape: o, ...maps } };
  },

  defaultResult: 'exact',
  precision: (ctx) => ctx.input,

  emit(e) {
    const { b, node, x, ys, P } = e;
    const xs = sampleShape(x);
    if (xs.length < 1 || xs.length > 3) fail(node, `nearest resizing of ${xs.length}-axis samples (at most 3 axes per sample)`);
    const maps = xs.map((d, i) => {
      const m = P[`index_map_${i}`] as number[] | undefined;
      if (!m) fail(node, `the lowering gave no 'index_map_${i}' parameter`);
      return m;
    });
    const f = xs.map((d, i) => ys[i] / d);
    const floorMaps = maps.every((m, i) => Number.isInteger(f[i]) && m.every((v, j) => v === Math.floor(j / f[i])));
    const nhwc = (xs.length === 3 || xs.length === 2) && f[f.length - 1] === 1 && floorMaps;
    if (nhwc && (e.stream || node.attrs['layout'] === 'NHWC' || xs.length >= 2)) {
      const twoD = xs.length === 3;
      e.config('nnet::upsample_config', {
        in_height: twoD ? xs[0] : 1, in_width: xs[xs.length - 2], n_chan: xs[xs.length - 1], scale_height: twoD ? f[0] : 1, scale_width: f[f.length - 2],
      });
      const fn = e.stream ? 'nnet::upsample_stream' : 'nnet::upsample';
      return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out]) };
    }
    const pad3 = <T,>(a: T[], v: T): T[] => [...new Array<T>(3 - a.length).fill(v), ...a];
    const d = pad3(ys, 1), ex = pad3(xs, 1);
    const names = pad3(maps, [0]).map((m, i) => {
      const n = b.names.nodeConst(node, `map${i}`);
      b.indexMap(n, m);
      return n;
    });
    e.config('nnet::resize_config', { n_out: sizeOf(ys), d0: d[0], d1: d[1], d2: d[2], e1: ex[1], e2: ex[2] });
    const call = (i: string, o: string): string[] => e.call(`nnet::resize_nearest<${e.xT}, ${e.yT}, ${e.cfg}>`, [i, o, ...names]);
    if (e.stream) return { cppKernel: 'nnet::resize_nearest (buffered)', lines: e.buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::resize_nearest', lines: call(e.input(x), e.out) };
  },

  emulate: buildResize,
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => movementCore(c, true)),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/movement.ts)

function buildResize(ctx: BuildContext): EmuKernel {
  const inS = ctx.acts[0].shape, outS = ctx.out.shape;
  const scales = ctx.node.attrs['scales'] as number[];
  const sizes = ctx.node.attrs['sizes'] as number[] | null | undefined;
  const ctm = String(ctx.node.attrs['coordinateTransformationMode'] ?? 'half_pixel');
  const nm = String(ctx.node.attrs['nearestMode'] ?? 'round_prefer_floor');
  const maps = outS.map((o, d) => nearestIndexMap(inS[d], o, sizes ? Math.fround(o / inS[d]) : scales[d + 1], ctm, nm));
  const inStr = strides(inS);
  const n = sizeOf(outS);
  const map = new Int32Array(n);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < outS.length; d++) s += maps[d][idx[d]] * inStr[d];
    map[i] = s;
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  return gatherKernel(ctx, null, map);
}
