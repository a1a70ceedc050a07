import { sameShape } from '../src/ir/graph.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { bypass } from './rewrite.js';

/** Reshape-like nodes whose output shape is their input shape move no data: readers take the input directly. */
export const removeNoopReshape: NodePass = {
  name: 'remove-noop-reshape',
  match: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'],
  description: 'remove Reshape/Flatten/Squeeze/Unsqueeze that keep the shape',
  transform(node, graph) {
    const x = graph.tensor(node.inputs[0]), y = graph.tensor(node.outputs[0]);
    if (!sameShape(x.shape, y.shape)) return false;
    return bypass(graph, node);
  },
};
