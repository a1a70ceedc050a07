import type { IRNode } from '../src/ir/graph.js';
import { UNARY } from '../src/ir/defs/elementwise.js';
import { normAxis } from '../src/ir/shape.js';
import type { Attrs } from '../src/ir/types.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { transparent } from './layout.js';
import { addTransposedConstant, inferOutput, invertPerm, soleConsumer, transposePerm } from './rewrite.js';

/** Element-wise ops of two broadcast inputs a Transpose can move through. */
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Pow', 'PRelu']);
/** Per-channel ops whose `axis` follows the data through a Transpose. */
const AXIS_OPS = new Set(['ScaleShift', 'Rescale']);

function sinkable(n: IRNode): boolean {
  return n.op in UNARY || n.op === 'FixedCast' || BINARY.has(n.op) || AXIS_OPS.has(n.op) || n.op === 'Pad' || n.op === 'Concat';
}

/**
 * Moves a Transpose below the element-wise node that alone reads it (Relu, Selu, a ScaleShift with its axis
 * remapped, a Pad with its pads permuted, an Add of a constant that is transposed to match ...), so the
 * channels-first round trips that channels-last conversion leaves around activations meet and cancel. Binary nodes
 * move only when their other input is a constant or comes through the same permutation; Concat when all of its
 * inputs do.
 */
export const sinkTransposes: NodePass = {
  name: 'sink-transposes',
  match: ['Transpose'],
  description: 'move Transposes below element-wise nodes',
  transform(t, graph) {
    const next = soleConsumer(graph, t.outputs[0]);
    if (!next || !sinkable(next) || next.outputs.length !== 1) return false;
    const perm = transposePerm(graph, t);
    const rank = perm.length;
    const y = graph.tensor(next.outputs[0]);
    if (y.shape.length !== rank) return false;

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
    graph.addNode({ name: graph.freshNodeName(t.name), op: 'Transpose', attrs: { perm }, inputs: [mid.name], outputs: [out], origin: t.origin });
    for (const m of moved) if (graph.nodes.has(m.name) && !graph.consumers(m.outputs[0]).length) graph.removeNode(m.name);
    return true;
  },
};

function sameArray(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

