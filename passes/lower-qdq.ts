import type { Graph, IRNode } from '../src/ir/graph.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { affineQuantOf, fixedTypeOf, QDQ_TYPES, type QuantizerSpec } from './fixed-types.js';
import { constValues, forwardTensor, soleConsumer } from './rewrite.js';

function sameValues(a: Float64Array | undefined, b: Float64Array | undefined): boolean {
  if (!a || !b) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * A QuantizeLinear -> DequantizeLinear pair with the same scale and zero point is a fake quantizer. With a
 * power-of-two scale and zero point 0 it is an exact fixed-point type: the type goes onto the tensor being
 * quantized (or onto a FixedCast when that tensor has other readers) and both nodes disappear. Any other pair
 * becomes one Rescale node whose output carries the affine grid.
 */
export const lowerQdq: NodePass = {
  name: 'lower-qdq',
  match: ['DequantizeLinear'],
  description: 'QuantizeLinear -> DequantizeLinear pairs -> fixed-point types (or Rescale)',
  transform(dq, graph) {
    const q = graph.producer(dq.inputs[0]);
    if (!q || q.op !== 'QuantizeLinear' || soleConsumer(graph, dq.inputs[0]) !== dq) return false;
    const [x, s1, z1 = ''] = q.inputs;
    const [, s2, z2 = ''] = dq.inputs;
    const sv = constValues(graph, s1), zv = z1 === '' ? new Float64Array(1) : constValues(graph, z1);
    if (!sv || !zv) return false;
    if (!sameValues(sv, constValues(graph, s2)) || !sameValues(zv, z2 === '' ? new Float64Array(1) : constValues(graph, z2))) return false;
    if (sv.length > 1 && (q.attrs['axis'] ?? 1) !== (dq.attrs['axis'] ?? 1)) return false;
    const kind = QDQ_TYPES[String(q.attrs['dtype'])];
    if (!kind) return false;
    const spec: QuantizerSpec = { ...kind, narrow: false, scale: sv, zeroPoint: zv, roundingMode: 'ROUND', axis: q.attrs['axis'] as number | undefined };
    return replaceQuantizer(graph, [q, dq], x, dq.outputs[0], spec, () => ({
      inputs: [x, s1, z1],
      attrs: { bits: kind.bits, signed: kind.signed, narrow: false, roundingMode: 'ROUND', axis: (q.attrs['axis'] as number | undefined) ?? 1, zeroPointBeforeRounding: false },
    }));
  },
};

/**
 * Replaces the quantizer nodes `nodes` (reading `x`, writing `y`) by a fixed-point type when the quantizer has
 * one, else by the Rescale node `rescale` describes (when given; it may add the constants it needs). Shared with the QONNX lowering.
 */
export function replaceQuantizer(
  graph: Graph,
  nodes: IRNode[],
  x: string,
  y: string,
  spec: QuantizerSpec,
  rescale: (() => { inputs: string[]; attrs: Record<string, number | string | boolean> }) | undefined,
): boolean {
  const yt = graph.tensor(y);
  const last = nodes[nodes.length - 1];
  const fixed = fixedTypeOf(spec);
  if (fixed) {
    if (yt.precision || yt.quant) return false;
    yt.precision = fixed;
    if (forwardTensor(graph, y, x, nodes[0])) {
      for (const n of [...nodes].reverse()) graph.removeNode(n.name);
      return true;
    }
    removeChain(graph, nodes);
    graph.addNode({ name: last.name, op: 'FixedCast', inputs: [x], outputs: [y], origin: last.origin });
    return true;
  }
  if (!rescale || yt.quant) return false;
  const r = rescale();
  removeChain(graph, nodes);
  graph.addNode({ name: last.name, op: 'Rescale', attrs: r.attrs, inputs: r.inputs, outputs: [y], origin: last.origin });
  yt.quant = affineQuantOf(spec);
  return true;
}

/** Removes the chain, keeping its final output tensor (which the replacement writes). */
function removeChain(graph: Graph, nodes: IRNode[]): void {
  const last = nodes[nodes.length - 1];
  graph.removeNode(last.name, false);
  for (const n of nodes.slice(0, -1).reverse()) graph.removeNode(n.name);
}
