import { FirmflowError, type Graph, type GraphPass } from 'firmflow';
import type { AieOptions } from '../lowered.js';
import { analyseGraph, applyFusions, firstLayer, firstQuantizer, planFusions, type FusionPlan } from '../quantize.js';
import { setup, stateOf, timed } from './state.js';

const EMPTY_PLAN = (): FusionPlan => ({ relu: new Map(), absorbed: new Set() });

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
    refuseIntOnFloat(g, opts);
    refuseBf16OnQuantized(g, opts);
    timed(g, 'legalize', () => analyseGraph(g, opts, device, planFusions(g)));
    return false;
  },
};

/**
 * aie.mode 'int' on a model without any quantizer: one error naming the first layer, rather than every node's
 * missing scales (the per-node list stays for a model that is partly quantized).
 */
function refuseIntOnFloat(g: Graph, opts: AieOptions): void {
  if (opts.mode !== 'int' || firstQuantizer(g)) return;
  const n = firstLayer(g);
  const what = n ? `node '${n.name}' (${n.op}${n.origin && n.origin.name !== n.name ? `, from ONNX ${n.origin.op} '${n.origin.name}'` : ''})` : `graph '${g.name}'`;
  const reason = `${what}: aie.mode 'int' needs int8/int16 tensors with power-of-two scales, but the model carries no quantizers (float input, weights and output); quantize it (QuantizeLinear/DequantizeLinear or QONNX Quant with power-of-two scales) or use aie.mode 'bf16' (the default, aie.mode 'auto', picks bf16 for a float model)`;
  throw new FirmflowError('aie.unsupported', `the AIE backend cannot implement graph '${g.name}' in integer mode:\n  - ${reason}`, [{ node: n?.name ?? g.name, op: n?.op ?? '', reason }]);
}

/**
 * aie.mode 'bf16' on a model that carries quantizers: refused, naming the quantizer. A quantizer's clipping and
 * rounding are part of the model's meaning, and the bf16 kernels do not apply them (they would compute the float
 * model the quantizers were trained away from).
 */
function refuseBf16OnQuantized(g: Graph, opts: AieOptions): void {
  if (opts.mode !== 'bf16') return;
  const q = firstQuantizer(g);
  if (!q) return;
  const reason = `${q}: aie.mode 'bf16' would drop the model's quantizers (their clipping and rounding are part of the model, and the bf16 kernels do not apply them); use aie.mode 'int' or 'auto' (integer kernels for a quantized model)`;
  throw new FirmflowError('aie.unsupported', `the AIE backend cannot implement graph '${g.name}' in bf16 mode:\n  - ${reason}`, [{ node: q, op: '', reason }]);
}

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
