import { sameShape } from '../src/ir/graph.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { forwardTensor, soleConsumer } from './rewrite.js';

const RESHAPES = ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'];

/**
 * Chains of reshape-like nodes (Reshape, Flatten, Squeeze, Unsqueeze) move no data, so only the final shape
 * matters: a chain that ends in the shape it started from goes entirely, and two in a row become one Reshape.
 */
export const collapseReshapes: NodePass = {
  name: 'collapse-reshapes',
  match: RESHAPES,
  description: 'collapse chains of reshapes',
  transform(node, graph) {
    const first = graph.producer(node.inputs[0]);
    if (!first || !RESHAPES.includes(first.op) || soleConsumer(graph, node.inputs[0]) !== node) return false;
    const mid = graph.tensor(node.inputs[0]);
    if (mid.precision || mid.quant) return false;
    const x = first.inputs[0];
    if (sameShape(graph.tensor(x).shape, graph.tensor(node.outputs[0]).shape)) {
      if (!forwardTensor(graph, node.outputs[0], x, first)) return false;
      graph.removeNode(node.name);
      graph.removeNode(first.name);
      return true;
    }
    // The IR Reshape's shape is the final output shape, so any reshape-like node can be restated as one.
    const shape = [...graph.tensor(node.outputs[0]).shape];
    graph.replaceNode(node.name, [{ name: node.name, op: 'Reshape', attrs: { shape }, inputs: [x], outputs: [...node.outputs], origin: node.origin, meta: node.meta }]);
    graph.removeNode(first.name);
    return true;
  },
};
