/*
 * Views: Reshape, Flatten, Squeeze, Unsqueeze, Slice, Split and Concat move no data on the AIE. Each tensor they
 * make is a region of its root tensor's buffer (a block of columns or of rows), computed once here at legalization
 * (layer.regions) and read by the memory plan and the writer; the emulator copies the codes.
 */
import { sizeOf, type Graph, type IRNode } from 'firmflow';
import { resolveShape, viewSource, type LegalizeContext } from '../legalize/context.js';
import { legalizeElementwise, type LayerDraft } from '../legalize/elementwise.js';
import type { AieLayer, AieViewRegion } from '../lowered.js';
import { movementBound } from '../numerics/error.js';
import { requant, runtimeShape, type EmuValue } from '../numerics/values.js';
import type { AieKernel, EmulateContext } from './contract.js';

export const view: AieKernel = {
  name: 'view',
  ops: { Concat: 'view', Slice: 'view', Split: 'view', Reshape: 'view', Flatten: 'view', Squeeze: 'view', Unsqueeze: 'view' },
  layout: 'region',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, {
    inputs: (_c, node) => node.inputs.filter((i) => i !== ''),
    prepare,
    passThrough: true,
    uniformInputs: true,
  }),
  emulate,
  traceBound: movementBound,
  // Views move no data: their tensors are regions of their root's buffer (writer/model.ts collectViews).
  emit: () => undefined,
  perf: { programBytes: { view: 0 } },
};

function prepare(ctx: LegalizeContext, n: IRNode, lay: LayerDraft): boolean {
  const g = ctx.g;
  const xName = n.inputs[0];
  if (n.op === 'Concat') lay.attrs['axis'] = Number(n.attrs['axis']);
  if (n.op === 'Slice') {
    const steps = (n.attrs['steps'] as number[] | undefined) ?? [];
    if (steps.some((s) => s !== 1)) return !!ctx.refuse.fail(n, `steps ${JSON.stringify(steps)}: only contiguous slices (Split) are views`);
    lay.attrs['axes'] = (n.attrs['axes'] as number[]) ?? [];
    lay.attrs['starts'] = (n.attrs['starts'] as number[]) ?? [];
    lay.attrs['ends'] = (n.attrs['ends'] as number[]) ?? [];
  }
  if (n.op === 'Split') {
    // Every part is a region of the input's buffer: a block of columns (last axis) or of rows (the outermost
    // non-unit axis). Along any other axis the parts interleave in memory and would need copies.
    const inS = resolveShape(g.tensor(xName).shape, ctx.batch);
    const rank = inS.length;
    const axis = Number(n.attrs['axis']);
    const sizes = (n.attrs['split'] as number[] | undefined) ?? [];
    if (axis !== rank - 1 && inS.slice(0, axis).some((d) => d !== 1)) {
      return !!ctx.refuse.fail(n, `splits axis ${axis} of ${JSON.stringify(inS)}; its parts interleave in memory: only a split of the last axis or of the outermost non-unit axis is a view`);
    }
    const empty = n.outputs.findIndex((o, i) => o !== '' && sizes[i] === 0 && (g.consumers(o).length > 0 || g.isGraphOutput(o)));
    if (empty >= 0) return !!ctx.refuse.fail(n, `output '${n.outputs[empty]}' is an empty part (size 0 along axis ${axis}); AIE buffers cannot be empty`);
    lay.outputs = n.outputs.filter((o) => o !== '');
    lay.attrs['axis'] = axis;
    lay.attrs['split'] = sizes;
  }
  if (n.op !== 'Concat') {
    // Output ports are fed by kernels: a region of a graph input that is itself a graph output has none.
    const src = viewSource(ctx, xName);
    const through = lay.outputs.find((o) => g.isGraphOutput(o));
    if (through && g.isGraphInput(src)) return !!ctx.refuse.fail(n, `output '${through}' is a graph output and a region of graph input '${src}' with no AIE kernel between them; pass it around the AIE graph`);
  } else {
    // Likewise a Concat of graph inputs only, written to a graph output: no kernel writes any of it.
    const out0 = lay.outputs[0];
    const srcs = lay.inputs.map((i) => viewSource(ctx, i));
    if (g.isGraphOutput(out0) && srcs.every((s) => g.isGraphInput(s))) {
      return !!ctx.refuse.fail(n, `output '${out0}' is a graph output made only of graph inputs (${srcs.map((s) => `'${s}'`).join(', ')}) with no AIE kernel between them; concatenate them outside the AIE graph`);
    }
  }
  const regions = regionsOf(n, lay);
  if (typeof regions === 'string') return !!ctx.refuse.fail(n, regions);
  lay.regions = regions;
  return true;
}

/**
 * Where each tensor of the view lives: a Concat's operands in its output's buffer, a Slice's output and each part of
 * a Split in their input's, a reshape's output at the start of its input's. Offsets are in columns (last axis) and
 * rows (all leading axes flattened); only the last axis or the outermost non-unit axis keeps a region contiguous.
 */
export function regionsOf(n: IRNode, lay: Pick<AieLayer, 'inputs' | 'outputs' | 'shapes' | 'attrs'>): AieViewRegion[] | string {
  const inS = lay.shapes.inputs[0];
  const outS = lay.shapes.output;
  const rowsBelow = (s: number[], axis: number): number => sizeOf(s.slice(axis + 1, -1));
  if (n.op === 'Concat') {
    const rank = outS.length;
    const axis = ((Number(lay.attrs['axis']) % rank) + rank) % rank;
    if (axis !== rank - 1 && sizeOf(outS.slice(0, axis)) !== 1) return `along axis ${axis} of ${JSON.stringify(outS)} its inputs interleave; only the last axis or the outermost non-unit axis is a view`;
    let acc = 0;
    return lay.inputs.map((t, i) => {
      const s = lay.shapes.inputs[i];
      const r = axis === rank - 1 ? { tensor: t, src: lay.outputs[0], colOff: acc, rowOff: 0 } : { tensor: t, src: lay.outputs[0], colOff: 0, rowOff: acc * rowsBelow(s, axis) };
      acc += s[axis];
      return r;
    });
  }
  if (n.op === 'Slice') {
    const axes = lay.attrs['axes'] as number[];
    const starts = lay.attrs['starts'] as number[];
    const cut = axes.map((a, i) => ({ a: a < 0 ? a + inS.length : a, s: starts[i] })).filter((x) => outS[x.a] !== inS[x.a]);
    if (cut.length > 1) return `slices ${cut.length} axes; a view slices one`;
    let colOff = 0, rowOff = 0;
    if (cut.length === 1) {
      const { a } = cut[0];
      const st = Math.min(Math.max(cut[0].s < 0 ? cut[0].s + inS[a] : cut[0].s, 0), inS[a]);
      if (a === inS.length - 1) colOff = st;
      else if (sizeOf(inS.slice(0, a)) === 1) rowOff = st * rowsBelow(inS, a);
      else return `a slice of axis ${a} of ${JSON.stringify(inS)} is not contiguous; only the last axis or the outermost non-unit axis is a view`;
    }
    return [{ tensor: lay.outputs[0], src: lay.inputs[0], colOff, rowOff }];
  }
  if (n.op === 'Split') {
    // Each part is a block of the input's columns (last axis) or rows (outermost non-unit axis), in order.
    const r = inS.length;
    const axis = ((Number(lay.attrs['axis']) % r) + r) % r;
    const sizes = lay.attrs['split'] as number[];
    const regions: AieViewRegion[] = [];
    let acc = 0;
    n.outputs.forEach((t, i) => {
      const at = acc;
      acc += sizes[i];
      if (t !== '') regions.push(axis === r - 1 ? { tensor: t, src: lay.inputs[0], colOff: at, rowOff: 0 } : { tensor: t, src: lay.inputs[0], colOff: 0, rowOff: at * rowsBelow(inS, axis) });
    });
    return regions;
  }
  // Reshape / Flatten / Squeeze / Unsqueeze: the same bytes in the same order.
  return [{ tensor: lay.outputs[0], src: lay.inputs[0], colOff: 0, rowOff: 0 }];
}

function emulate(ctx: EmulateContext): EmuValue {
  const { graph, node, layer, samples } = ctx;
  const ins = layer.inputs.map((t) => ctx.value(t));
  const a = ins[0]?.shape ?? [];
  let shape: number[];
  if (node.op === 'Concat') {
    let axis = Number(node.attrs['axis'] ?? layer.attrs['axis'] ?? -1);
    if (axis < 0) axis += a.length;
    shape = [...a];
    shape[axis] = ins.reduce((t, x) => t + (x.shape[axis] ?? 0), 0);
  } else if (node.op === 'Split' || node.op === 'Slice') shape = runtimeShape(graph, ctx.outName, samples);
  else shape = runtimeShape(graph, ctx.outName, samples, ins[0] ? ins[0].data.length : 0);
  const fo = layer.dtype.out === 'bf16' ? 0 : layer.frac.out;
  return moveView(node, layer, ins, shape, fo, graph, samples, ctx.store);
}

/** Concat / Split / Reshape-like views: data movement only (and a requantization when scales differ). */
function moveView(node: IRNode, layer: AieLayer, ins: EmuValue[], outShape: number[], fo: number, graph: Graph, samples: number, store: (t: string, v: EmuValue) => void): EmuValue {
  const op = node.op;
  if (op === 'Concat') {
    const r = outShape.length;
    let axis = Number(node.attrs['axis'] ?? layer.attrs['axis'] ?? -1);
    if (axis < 0) axis += r;
    const outer = sizeOf(outShape.slice(0, axis));
    const inner = sizeOf(outShape.slice(axis + 1));
    const o = layer.dtype.out === 'bf16' ? new Float32Array(sizeOf(outShape)) : new Int32Array(sizeOf(outShape));
    let at = 0;
    for (const v of ins) {
      const d = requant(v, layer, fo);
      const len = v.shape[axis] * inner;
      for (let i = 0; i < outer; i++) o.set(d.subarray(i * len, (i + 1) * len), i * outShape[axis] * inner + at);
      at += len;
    }
    return { shape: outShape, dtype: layer.dtype.out, frac: fo, data: o };
  }
  if (op === 'Split' || op === 'Slice') {
    // Every output is a block along one axis; the first output is returned, the others stored directly.
    const a = ins[0];
    const r = a.shape.length;
    const axes = layer.attrs['axes'];
    let axis = Number(Array.isArray(axes) && axes.length ? axes[0] : node.attrs['axis'] ?? layer.attrs['axis'] ?? 0);
    if (axis < 0) axis += r;
    const outer = sizeOf(a.shape.slice(0, axis));
    const inner = sizeOf(a.shape.slice(axis + 1));
    const d = requant(a, layer, fo);
    let at = 0;
    let first: EmuValue | undefined;
    const outs = op === 'Split' ? node.outputs : [node.outputs[0]];
    if (op === 'Slice') {
      const starts = layer.attrs['starts'];
      let st = Array.isArray(starts) && starts.length ? starts[0] : 0;
      if (st < 0) st += a.shape[axis];
      at = Math.max(0, Math.min(st, a.shape[axis])) * inner;
    }
    for (const name of outs) {
      if (name === '') continue;
      const s = runtimeShape(graph, name, samples);
      const len = s[axis] * inner;
      const o = layer.dtype.out === 'bf16' ? new Float32Array(outer * len) : new Int32Array(outer * len);
      for (let i = 0; i < outer; i++) o.set(d.subarray(i * a.shape[axis] * inner + at, i * a.shape[axis] * inner + at + len), i * len);
      at += len;
      const v: EmuValue = { shape: s, dtype: layer.dtype.out, frac: fo, data: o };
      if (!first) first = v;
      else store(name, v);
    }
    return first!;
  }
  return { shape: outShape, dtype: layer.dtype.out, frac: fo, data: requant(ins[0], layer, fo) };
}
