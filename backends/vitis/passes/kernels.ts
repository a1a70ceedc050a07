import type { Graph, GraphPass, IRNode } from 'firmflow';
import type { LayerConfig } from '../layer-config.js';
import { kernelFor } from '../kernels/index.js';
import type { HlsIO, HlsLayer, HlsStrategy } from '../lowered.js';
import { CONFIG_KEY, UNSUPPORTED_KEY, perSample } from './common.js';
import { type KernelPlan, Unsupported } from './planning.js';

export type { KernelPlan };
export { SUPPORTED_OPS } from '../kernels/index.js';

/** The kernel of a node of the optimized IR, or the reason there is none. */
export function planKernel(node: IRNode, graph: Graph, strategy: HlsStrategy = 'latency'): KernelPlan | string {
  const kernel = kernelFor(node.op);
  if (!kernel) return `no HLS kernel implements op ${node.op}${node.origin && node.origin.op !== node.op ? ` (from ONNX ${node.origin.op})` : ''}`;
  try {
    for (const o of node.outputs) if (o !== '' && typeof perSample(graph.tensor(o)) === 'string') return perSample(graph.tensor(o)) as string;
    // Kernels compute the first output only (LayerNormalization's Mean / InvStdDev outputs have none).
    const extra = node.outputs.slice(1).filter((o) => o !== '' && (graph.consumers(o).length > 0 || graph.isGraphOutput(o)));
    if (extra.length) return `its extra output${extra.length > 1 ? 's' : ''} ${extra.map((o) => `'${o}'`).join(', ')} ${extra.length > 1 ? 'are' : 'is'} used, but the kernel computes only the first`;
    return kernel.plan(node, graph, strategy);
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
}

/**
 * Annotates every node with its kernel, sizes, strategy, io type and position (node.meta.hls); a node without a
 * kernel gets node.meta.hlsUnsupported instead, reported (all at once) by vitis-check-kernels.
 */
export const selectKernels: GraphPass = {
  name: 'vitis-kernels',
  match: 'graph',
  description: 'choose the C++ kernel and its sizes for every node',
  transform(graph) {
    const io: HlsIO = (graph.meta['hls'] as { io: HlsIO }).io;
    let index = 0;
    for (const node of graph.topoOrder()) {
      const cfg = node.meta[CONFIG_KEY] as LayerConfig;
      const plan = planKernel(node, graph, cfg.strategy);
      if (typeof plan === 'string') {
        node.meta[UNSUPPORTED_KEY] = plan;
        delete node.meta['hls'];
        continue;
      }
      const layer: HlsLayer = {
        kernel: plan.kernel,
        index: index++,
        reuseFactor: plan.mult ? cfg.reuseFactor : 1,
        strategy: cfg.strategy,
        io,
        types: {},
        params: plan.params,
        layerName: node.origin?.name || node.name,
      };
      if (plan.mult) {
        layer.params['n_mult_in'] = plan.mult.nIn;
        layer.params['n_mult_out'] = plan.mult.nOut;
      }
      if (cfg.parallelization !== undefined && kernelFor(node.op)!.parallelization) layer.parallelization = cfg.parallelization;
      node.meta['hls'] = layer;
    }
    return index;
  },
};
