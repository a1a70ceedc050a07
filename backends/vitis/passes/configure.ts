import { formatType, type GraphPass } from 'firmflow';
import { hlsConfig } from '../config.js';
import type { HlsGraphInfo, HlsPortLayout } from '../lowered.js';
import { CONFIG_KEY, perSample } from './common.js';
import { PORT_LAYOUTS_KEY } from './port-layout.js';

/**
 * Resolves and validates the whole HLS configuration (every key, every layer name) before anything is lowered,
 * stores each node's LayerConfig in node.meta.hlsConfig, the per-sample shape of every activation tensor in
 * tensor.meta.hlsShape, and the model-level facts in graph.meta.hls.
 */
export const configure: GraphPass = {
  name: 'vitis-configure',
  match: 'graph',
  description: 'resolve the per-layer HLS configuration (Model / LayerType / LayerName, options)',
  transform(graph, ctx) {
    const config = hlsConfig(ctx.options, graph);
    const ports = (graph.meta[PORT_LAYOUTS_KEY] ?? { inputs: [], outputs: [] }) as { inputs: HlsPortLayout[]; outputs: HlsPortLayout[] };
    delete graph.meta[PORT_LAYOUTS_KEY];
    const info: HlsGraphInfo = {
      io: config.model.io,
      backend: ctx.backend ?? 'Vitis',
      inputLayouts: ports.inputs,
      outputLayouts: ports.outputs,
      warnings: [],
      defaultPrecision: formatType(config.model.data),
    };
    graph.meta['hls'] = info;
    let changes = 1;
    for (const node of graph.nodes.values()) {
      node.meta[CONFIG_KEY] = config.layer(node);
      changes++;
    }
    for (const t of graph.tensors.values()) {
      if (t.data) continue;
      const s = perSample(t);
      if (typeof s !== 'string') t.meta['hlsShape'] = s;
    }
    return changes;
  },
};
