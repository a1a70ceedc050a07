import type { GraphPass } from 'firmflow';
import { analyseGraph, applyFusions, planFusions, type FusionPlan } from '../quantize.js';
import { setup, stateOf, timed } from './state.js';

const EMPTY_PLAN = (): FusionPlan => ({ relu: new Map(), bias: new Map(), absorbed: new Set() });

/**
 * Checks the whole graph against what the AIE kernels implement, as it will be after fusion, and refuses every
 * unsupported node and quantization at once (nothing is rewritten or written before this passes).
 */
export const aieCheck: GraphPass = {
  name: 'aie-check',
  match: 'graph',
  description: 'refuse, all at once and by node name, what the AIE backend cannot implement',
  transform(g, ctx) {
    const { device, opts } = setup(g, ctx);
    timed(g, 'legalize', () => analyseGraph(g, opts, device, planFusions(g)));
    return false;
  },
};

/** Folds a constant Add after a MatMul as its bias and a ReLU after a Dense/MatMul into the kernel's epilogue. */
export const aieFuse: GraphPass = {
  name: 'aie-fuse',
  match: 'graph',
  description: 'bias folding and ReLU fusion into Dense/MatMul',
  transform(g) {
    return timed(g, 'legalize', () => applyFusions(g, planFusions(g)));
  },
};

/** Annotates every node with its AIE kernel, integer types, shifts, rounding and quantized constants. */
export const aieQuantize: GraphPass = {
  name: 'aie-quantize',
  match: 'graph',
  description: 'int8/int16 (or bf16) types, srs shifts and weight codes for the AIE kernels',
  transform(g) {
    const { device, opts } = stateOf(g);
    const layers = timed(g, 'legalize', () => analyseGraph(g, opts, device, EMPTY_PLAN()));
    for (const [name, layer] of layers) g.node(name).meta['aie'] = layer;
    return layers.size;
  },
};
