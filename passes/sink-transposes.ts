import type { Graph, IRNode } from '../src/ir/graph.js';
import { UNARY } from '../src/ir/defs/elementwise.js';
import { normAxis } from '../src/ir/shape.js';
import type { Attrs } from '../src/ir/types.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { transparent } from './layout.js';
import { addInferredNode, addTransposedConstant, inferOutput, invertPerm, soleConsumer, transposePerm } from './rewrite.js';

/** Element-wise ops of two broadcast inputs a Transpose can move through. */
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'PRelu']);
/** Per-channel ops whose `axis` follows the data through a Transpose. */
const AXIS_OPS = new Set(['ScaleShift', 'Rescale']);
/** Reductions whose `axes` follow the data through a Transpose. */
const REDUCE_OPS = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd']);
/**
 * Ops that work along named axes of any layout: nearest Resize (one scale and index map per axis), Softmax and
 * LogSoftmax (one axis), reductions. A Transpose moves through them with their axes permuted.
 */
const AGNOSTIC = new Set(['Resize', 'Softmax', 'LogSoftmax', ...REDUCE_OPS]);

function sinkable(n: IRNode): boolean {
  return n.op in UNARY || n.op === 'FixedCast' || BINARY.has(n.op) || AXIS_OPS.has(n.op) || AGNOSTIC.has(n.op) || n.op === 'Pad' || n.op === 'Concat';
}

/**
 * The attributes of an axis-agnostic node moved from transposed data (axis k) to the untransposed data (axis
 * perm[k]), and the permutation its output then needs; undefined when the node cannot move (a Resize would have
 * to scale the batch axis).
 */
function permuteAgnostic(n: IRNode, perm: number[]): { attrs: Attrs; outPerm: number[] } | undefined {
  const rank = perm.length;
  const attrs: Attrs = { ...n.attrs };
  if (n.op === 'Resize') {
    if (perm[0] !== 0) return undefined;
    const scales = n.attrs['scales'] as number[];
    const sizes = n.attrs['sizes'] as number[] | null | undefined;
    const s = new Array<number>(rank), z = new Array<number>(rank);
    perm.forEach((p, k) => { s[p] = scales[k]; if (sizes) z[p] = sizes[k]; });
    attrs['scales'] = s;
    if (sizes) attrs['sizes'] = z;
    return { attrs, outPerm: perm };
  }
  if (n.op === 'Softmax' || n.op === 'LogSoftmax') {
    attrs['axis'] = perm[normAxis(typeof n.attrs['axis'] === 'number' ? n.attrs['axis'] : -1, rank)];
    return { attrs, outPerm: perm };
  }
  // Reductions: the reduced axes map through perm; without keepdims the output Transpose permutes the kept axes.
  const axes = (n.attrs['axes'] as number[]).map((a) => normAxis(a, rank));
  const mapped = axes.map((a) => perm[a]).sort((a, b) => a - b);
  attrs['axes'] = mapped;
  if ((typeof n.attrs['keepdims'] === 'number' ? n.attrs['keepdims'] : 1) !== 0) return { attrs, outPerm: perm };
  const keptIn = [...Array(rank).keys()].filter((a) => !mapped.includes(a));
  const outPerm = [...Array(rank).keys()].filter((k) => !axes.includes(k)).map((k) => keptIn.indexOf(perm[k]));
  return { attrs, outPerm };
}

/**
 * Moves a Transpose below the element-wise node that alone reads it (Relu, Selu, a ScaleShift with its axis
 * remapped, a Pad with its pads permuted, an Add of a constant that is transposed to match, a nearest Resize with
 * its scales permuted, a Softmax or reduction with its axes remapped ...), so the channels-first round trips that
 * channels-last conversion leaves around activations meet and cancel. Binary nodes move only when their other
 * input is a constant or comes through the same permutation; Concat when all of its inputs do.
 *
 * A Split moves a Transpose onto each of its parts when each part goes on into another Transpose (a channels-first
 * Split between two converted convolutions), so the pairs cancel.
 *
 * At the model's inputs the direction is reversed for the axis-agnostic ops (Resize, Softmax, reductions): a
 * Transpose after such a node that reads a graph input moves above it, so the node runs in the layout of the
 * convolutions after it and the one Transpose left sits on the input, where a backend can absorb it into the
 * port's layout. (A Transpose of a graph input is therefore not sunk through these ops, or the two rules would
 * undo each other.)
 */
export const sinkTransposes: NodePass = {
  name: 'sink-transposes',
  match: ['Transpose'],
  description: 'move Transposes below element-wise nodes',
  transform(t, graph) {
    if (hoist(t, graph)) return true;
    const next = soleConsumer(graph, t.outputs[0]);
    if (next?.op === 'Split') return throughSplit(t, next, graph);
    if (!next || !sinkable(next) || next.outputs.length !== 1) return false;
    const perm = transposePerm(graph, t);
    const rank = perm.length;
    const y = graph.tensor(next.outputs[0]);
    let outPerm = perm;
    if (AGNOSTIC.has(next.op) && graph.isGraphInput(t.inputs[0])) return false;
    if (y.shape.length !== rank && !REDUCE_OPS.has(next.op)) return false;

    const inputs = [...next.inputs];
    const attrs: Attrs = { ...next.attrs };
    const moved: IRNode[] = [];
    if (BINARY.has(next.op) || next.op === 'Concat') {
      for (let i = 0; i < inputs.length; i++) {
        const name = inputs[i];
        const p = graph.producer(name);
        if (p && p.op === 'Transpose' && soleConsumer(graph, name) === next && sameArray(transposePerm(graph, p), perm)) {
          moved.push(p);
          inputs[i] = p.inputs[0];
        } else if (graph.isConstant(name) && next.op !== 'Concat') {
          const c = graph.tensor(name);
          if (c.shape.length > rank) return false;
          inputs[i] = addTransposedConstant(graph, `${name}_t`, c, invertPerm(perm)).name;
        } else {
          return false;
        }
      }
      // Concat along axis k of the transposed data is concat along axis perm[k] of the original.
      if (next.op === 'Concat') attrs['axis'] = perm[normAxis(typeof attrs['axis'] === 'number' ? attrs['axis'] : 0, rank)];
    } else {
      if (inputs.slice(1).some((n) => n !== '' && !graph.isConstant(n))) return false;
      if (AGNOSTIC.has(next.op)) {
        const p = permuteAgnostic(next, perm);
        if (!p) return false;
        Object.assign(attrs, p.attrs);
        outPerm = p.outPerm;
      }
      inputs[0] = t.inputs[0];
      moved.push(t);
      if (AXIS_OPS.has(next.op)) attrs['axis'] = perm[normAxis(typeof attrs['axis'] === 'number' ? attrs['axis'] : 1, rank)];
      if (next.op === 'Pad') {
        // Axis k of the transposed data is axis perm[k] of the original: its pads move there.
        const pads = attrs['pads'] as number[];
        const moved = new Array<number>(2 * rank);
        perm.forEach((p, k) => { moved[p] = pads[k]; moved[rank + p] = pads[rank + k]; });
        attrs['pads'] = moved;
      }
    }
    if (!moved.includes(t) || !moved.every((m) => transparent(graph, m))) return false;
    // The new node computes the untransposed result; a Transpose after it gives readers what they had.
    const mid = inferOutput(graph, next.op, inputs, attrs, `${next.outputs[0]}_pre`);
    mid.precision = y.precision;
    mid.quant = y.quant;
    const out = next.outputs[0];
    graph.removeNode(next.name, false);
    graph.addNode({ name: next.name, op: next.op, attrs, inputs, outputs: [mid.name], origin: next.origin, meta: next.meta });
    graph.addNode({ name: graph.freshNodeName(t.name), op: 'Transpose', attrs: { perm: outPerm }, inputs: [mid.name], outputs: [out], origin: t.origin });
    for (const m of moved) if (graph.nodes.has(m.name) && !graph.consumers(m.outputs[0]).length) graph.removeNode(m.name);
    return true;
  },
};

/**
 * Transpose -> Split becomes Split (along the permuted axis) -> one Transpose per part, but only when every part is
 * read by a Transpose alone: those pairs then merge or cancel (cancel-transposes), so the count never grows. Other
 * Splits stop the Transpose.
 */
function throughSplit(t: IRNode, split: IRNode, graph: Graph): boolean {
  const parts = split.outputs.filter((o) => o !== '');
  if (!parts.length || !parts.every((o) => soleConsumer(graph, o)?.op === 'Transpose')) return false;
  if (!transparent(graph, t)) return false;
  const perm = transposePerm(graph, t);
  const x = graph.tensor(t.inputs[0]);
  const axis = perm[normAxis(typeof split.attrs['axis'] === 'number' ? split.attrs['axis'] : 0, perm.length)];
  const sizes = split.attrs['split'] as number[];
  const mids = split.outputs.map((o, i) => {
    if (o === '') return '';
    const y = graph.tensor(o);
    const shape = [...x.shape];
    shape[axis] = sizes[i];
    const mid = graph.addTensor({ name: graph.freshTensorName(`${o}_pre`), shape, dtype: y.dtype });
    mid.precision = y.precision;
    mid.quant = y.quant;
    return mid.name;
  });
  const outs = [...split.outputs];
  graph.removeNode(split.name, false);
  graph.removeNode(t.name);
  graph.addNode({ name: split.name, op: 'Split', attrs: { ...split.attrs, axis }, inputs: [x.name], outputs: mids, origin: split.origin, meta: split.meta });
  outs.forEach((o, i) => {
    if (o !== '') graph.addNode({ name: graph.freshNodeName(t.name), op: 'Transpose', attrs: { perm }, inputs: [mids[i]], outputs: [o], origin: t.origin });
  });
  return true;
}

/** The input-side rule: graph input -> agnostic node -> Transpose becomes graph input -> Transpose -> node. */
function hoist(t: IRNode, graph: Graph): boolean {
  const prev = graph.producer(t.inputs[0]);
  if (!prev || !AGNOSTIC.has(prev.op) || REDUCE_OPS.has(prev.op) || prev.outputs.length !== 1) return false;
  if (soleConsumer(graph, prev.outputs[0]) !== t || !graph.isGraphInput(prev.inputs[0])) return false;
  if (prev.inputs.slice(1).some((n) => n !== '' && !graph.isConstant(n))) return false;
  const x = graph.tensor(prev.inputs[0]), mid = graph.tensor(prev.outputs[0]);
  if (mid.precision || mid.quant || !transparent(graph, t)) return false;
  const perm = transposePerm(graph, t);
  // The node then reads the transposed input: its axis k is axis perm[k] of the data it read before, so its
  // attributes move by the inverse permutation.
  const p = permuteAgnostic(prev, invertPerm(perm));
  if (!p || !sameArray(p.outPerm, invertPerm(perm))) return false;
  const tin = addInferredNode(graph, 'Transpose', [x.name], { perm }, `${t.name}_in`, t.origin);
  const yName = t.outputs[0];
  graph.removeNode(t.name, false);
  graph.removeNode(prev.name);
  graph.addNode({ name: prev.name, op: prev.op, attrs: p.attrs, inputs: [tin.output.name, ...prev.inputs.slice(1)], outputs: [yName], origin: prev.origin, meta: prev.meta });
  return true;
}

function sameArray(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

