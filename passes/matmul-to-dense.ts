import type { NodePass } from '../src/pipeline/pass.js';

/** MatMul by a constant 2-D matrix is a Dense layer without bias (the weight is already [K, N]). */
export const matmulToDense: NodePass = {
  name: 'matmul-to-dense',
  match: ['MatMul'],
  description: 'MatMul with a constant 2-D weight -> Dense',
  transform(node, graph) {
    const [a, b] = node.inputs;
    const bt = graph.tensor(b);
    if (!bt.data || bt.shape.length !== 2 || graph.isConstant(a)) return false;
    graph.replaceNode(node.name, [{ name: node.name, op: 'Dense', inputs: [a, b, ''], outputs: [...node.outputs], origin: node.origin, meta: node.meta }]);
    return true;
  },
};
