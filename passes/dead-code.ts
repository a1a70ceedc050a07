import type { GraphPass } from '../src/pipeline/pass.js';

/** Removes nodes that feed no graph output, and tensors nobody reads. */
export const deadCodeElimination: GraphPass = {
  name: 'dead-code-elimination',
  match: 'graph',
  description: 'remove nodes and tensors that reach no graph output',
  transform: (graph) => graph.removeDeadCode(),
};
