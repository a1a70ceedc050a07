import type { GraphPass } from 'firmflow';
import { kernelFor } from '../kernels/index.js';
import { describe, hls, layerConfig } from './common.js';

/**
 * Builds the lookup tables of the kernels that read tables (table activations, Softmax, LayerNormalization; each
 * kernel's buildTables, contents from tables.ts) with the configured sizes, ranges and types, into HlsLayer.tables
 * and HlsLayer.types.
 */
export const buildTables: GraphPass = {
  name: 'vitis-tables',
  match: 'graph',
  description: 'compute lookup tables (sigmoid, tanh, softplus, elu, selu, softmax exp/inverse, layer-norm inv_std)',
  transform(graph) {
    let changes = 0;
    for (const node of graph.nodes.values()) {
      const layer = hls(node);
      const kernel = layer ? kernelFor(node.op) : undefined;
      if (!layer || !kernel?.buildTables) continue;
      kernel.buildTables({ node, layer, config: layerConfig(node), where: describe(node) });
      if (layer.tables) changes++;
    }
    return changes;
  },
};
