import type { NodePass } from '../src/pipeline/pass.js';
import { forwardThrough, transparent } from './layout.js';
import { isIdentityPerm, transposePerm } from './rewrite.js';

/**
 * A Transpose with the identity permutation goes; two Transposes in a row become one (or none when they cancel,
 * like Keras' NHWC -> NCHW -> ... -> NHWC pairs around convolutions once those run channels-last).
 */
export const cancelTransposes: NodePass = {
  name: 'cancel-transposes',
  match: ['Transpose'],
  description: 'remove identity Transposes and merge consecutive ones',
  transform(node, graph) {
    const p2 = transposePerm(graph, node);
    if (isIdentityPerm(p2)) return transparent(graph, node) && forwardThrough(graph, node, node.inputs[0]) && (graph.removeNode(node.name), true);
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
