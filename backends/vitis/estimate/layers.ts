/*
 * Per-layer estimates: latency, initiation interval and resources of one call of a kernel of the lowered graph,
 * following the kernel library's loop structure (backends/vitis/templates/nnet). Each kernel's `estimate` gives
 * its core and schedule from the cost primitives of cost.ts and model.ts; docs/fpga-estimates.md describes the model.
 */
import { FirmflowError } from 'firmflow';
import { kernelFor } from '../kernels/index.js';
import type { LoweredLayer } from '../lowered.js';
import { finishEstimate, type LayerContext } from './cost.js';
import type { LayerEstimate } from './types.js';

export type { LayerContext } from './cost.js';

/** Estimate of one layer. */
export function estimateLayer(l: LoweredLayer, ctx: LayerContext): LayerEstimate {
  const kernel = kernelFor(l.node.op);
  if (!kernel) throw new FirmflowError('vitis.estimate', `node '${l.node.name}' (${l.node.op}): no kernel estimates op ${l.node.op}`);
  return finishEstimate(l, ctx, kernel.estimate(l, ctx));
}
