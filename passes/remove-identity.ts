import type { NodePass } from '../src/pipeline/pass.js';
import { bypass } from './rewrite.js';

/** Identity and inference-mode Dropout pass their first input through: readers take that input directly. */
export const removeIdentity: NodePass = {
  name: 'remove-identity',
  match: ['Identity', 'Dropout'],
  description: 'remove Identity and Dropout nodes',
  transform(node, graph) {
    if (node.inputs[0] === '' || node.inputs[0] === undefined) return false;
    // Only the first output of Dropout carries data; a mask that someone reads keeps the node.
    if (node.outputs.slice(1).some((o) => o !== '' && (graph.consumers(o).length || graph.isGraphOutput(o)))) return false;
    return bypass(graph, node);
  },
};
