import type { Graph, IRNode } from '../src/ir/graph.js';
import { normAxis } from '../src/ir/shape.js';
import { constValues, numAttr, passError } from './rewrite.js';

/**
 * Per-channel affine form y = x * a[c] + b[c] of a BatchNormalization (inference) or ScaleShift node, computed in
 * float64, with the channel axis. Undefined when a parameter is not constant.
 */
export function affineOf(graph: Graph, node: IRNode, pass: string): { a: Float64Array; b: Float64Array; axis: number } | undefined {
  const x = graph.tensor(node.inputs[0]);
  const rank = x.shape.length;
  if (node.op === 'BatchNormalization') {
    if (rank < 2) throw passError(pass, node, `input of rank ${rank} has no channel axis`);
    const [, s, bias, mean, v] = node.inputs;
    const vals = [s, bias, mean, v].map((t) => (t ? constValues(graph, t) : undefined));
    if (vals.some((d) => d === undefined)) return undefined;
    const [scale, shift, mu, variance] = vals as Float64Array[];
    const C = x.shape[1];
    if (typeof C !== 'number' || [scale, shift, mu, variance].some((d) => d.length !== C)) {
      throw passError(pass, node, `parameters must each hold ${String(C)} values (channel axis 1 of [${x.shape.join(', ')}])`);
    }
    const eps = numAttr(node, 'epsilon', 1e-5);
    const a = new Float64Array(C), b = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      a[c] = scale[c] / Math.sqrt(variance[c] + eps);
      b[c] = shift[c] - mu[c] * a[c];
    }
    return { a, b, axis: 1 };
  }
  const axis = normAxis(numAttr(node, 'axis', 1), rank);
  const C = x.shape[axis];
  if (typeof C !== 'number') return undefined;
  const scale = constValues(graph, node.inputs[1]);
  const shift = node.inputs[2] ? constValues(graph, node.inputs[2]) : new Float64Array(1);
  if (!scale || !shift) return undefined;
  const a = new Float64Array(C), b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    a[c] = scale[scale.length === 1 ? 0 : c];
    b[c] = shift[shift.length === 1 ? 0 : c];
  }
  return { a, b, axis };
}
