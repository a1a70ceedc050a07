import type { NodePass } from '../src/pipeline/pass.js';
import { forwardThrough, transparent } from './layout.js';
import { isIdentityPerm, samePrecision, transposePerm } from './rewrite.js';

/**
 * A Transpose with the identity permutation goes; two Transposes in a row become one (or none when they cancel,
 * like Keras' NHWC -> NCHW -> ... -> NHWC pairs around convolutions once those run channels-last); identical
 * Transposes of one tensor become one.
 */
export const cancelTransposes: NodePass = {
  name: 'cancel-transposes',
  match: ['Transpose'],
  description: 'remove identity Transposes and merge consecutive ones',
  transform(node, graph) {
    const p2 = transposePerm(graph, node);
    if (isIdentityPerm(p2)) return transparent(graph, node) && forwardThrough(graph, node, node.inputs[0]) && (graph.removeNode(node.name), true);
    // Twins: another Transpose of the same tensor with the same permutation (one per converted reader of a
    // graph input) gives its readers this node's output instead.
    let merged = false;
    for (const twin of graph.consumers(node.inputs[0])) {
      if (twin === node || twin.op !== 'Transpose' || !samePerm(transposePerm(graph, twin), p2)) continue;
      const a = graph.tensor(node.outputs[0]), b = graph.tensor(twin.outputs[0]);
      if (!samePrecision(a.precision, b.precision) || a.quant !== b.quant) continue;
      graph.replaceAllUses(twin.outputs[0], node.outputs[0]);
      graph.removeNode(twin.name);
      merged = true;
    }
    if (merged) return true;
    const first = graph.producer(node.inputs[0]);
    if (!first || first.op !== 'Transpose') return false;
    if (!transparent(graph, first) || !transparent(graph, node)) return false;
    const p1 = transposePerm(graph, first);
    const combined = p2.map((i) => p1[i]);
    const x = first.inputs[0];
    if (isIdentityPerm(combined)) {
      if (!forwardThrough(graph, node, x)) return false;
      graph.removeNode(node.name);
    } else {
      graph.replaceNode(node.name, [{ name: node.name, op: 'Transpose', attrs: { ...node.attrs, perm: combined }, inputs: [x], outputs: [...node.outputs], origin: node.origin, meta: node.meta }]);
    }
    if (!graph.consumers(first.outputs[0]).length && !graph.isGraphOutput(first.outputs[0])) graph.removeNode(first.name);
    return true;
  },
};

function samePerm(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
