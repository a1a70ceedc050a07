/*
 * Quantization legalization: turns the optimized IR's fixed-point annotations into the integer arithmetic the AIE
 * kernels do (int8/int16 codes with power-of-two scales, srs shifts, accumulator widths), or bf16 in float mode.
 * Each node goes to its kernel module's `legalize` (kernels/); everything the AIE cannot do is collected and refused
 * at once, by node name, before any file is written.
 */
import { FirmflowError, type FixedType, type Graph, type IRNode } from 'firmflow';
import type { AieDevice } from './devices.js';
import { kernelForOp, SUPPORTED_OPS } from './kernels/index.js';
import { finalOutput, isPow2, numbers, Refusals, type FusionPlan, type LegalizeContext } from './legalize/context.js';
import type { AieGraphMeta, AieLayer, AieOptions } from './lowered.js';

export { SUPPORTED_OPS } from './kernels/index.js';
export { codeType, finalOutput, numbers, resolveShape, type ActType, type FusionPlan } from './legalize/context.js';
export { toBf16Bits } from './numerics/bf16.js';

const sole = (g: Graph, t: string): IRNode | undefined => {
  const c = g.consumers(t);
  return c.length === 1 && !g.isGraphOutput(t) ? c[0] : undefined;
};

/** Which Relu nodes fold into the products before them. */
export function planFusions(g: Graph): FusionPlan {
  const plan: FusionPlan = { relu: new Map(), absorbed: new Set() };
  for (const n of g.topoOrder()) {
    if (n.op !== 'Dense' && n.op !== 'MatMul') continue;
    const out = n.outputs[0];
    // No bias folds into a MatMul: an IR MatMul here multiplies two runtime operands (a constant one became a Dense,
    // bias included) and its kernel has no bias; a constant Add after it stays its own (broadcast) Add layer.
    const relu = sole(g, out);
    if (relu?.op === 'Relu') {
      const pt = g.tensor(out), rt = g.tensor(relu.outputs[0]);
      // max(0, q(x)) = q(max(0, x)) for a monotone rounding that keeps 0: fusing is exact unless two different
      // quantizers sit on either side of the Relu.
      if (!pt.quant && !rt.quant && (!pt.precision || !rt.precision || sameFixed(pt.precision, rt.precision))) {
        plan.relu.set(n.name, relu);
        plan.absorbed.add(relu.name);
      }
    }
  }
  return plan;
}

function sameFixed(a: FixedType, b: FixedType): boolean {
  return a.signed === b.signed && a.width === b.width && a.integer === b.integer && a.rounding === b.rounding && a.overflow === b.overflow;
}

/**
 * The first quantizer the model carries, described for the report, or undefined for a float model: a tensor with a
 * fixed-point type or an affine quantization (what QDQ / QONNX Quant nodes become in the optimized IR), or a
 * quantizer node the frontend kept (Rescale: a non-power-of-two scale; BipolarQuant and the like). `aie.mode`
 * 'auto' chooses integer kernels for such a model and bf16 for a float one.
 */
export function firstQuantizer(g: Graph): string | undefined {
  for (const n of g.topoOrder()) {
    if (n.op === 'Rescale' || /Quant/.test(n.op)) return `node '${n.name}' (${n.op})`;
  }
  for (const t of g.tensors.values()) {
    if (t.precision) return `tensor '${t.name}' (${t.precision.signed ? '' : 'u'}fixed<${t.precision.width},${t.precision.integer}>)`;
    if (t.quant) return `tensor '${t.name}' (scale ${+Number(t.quant.scale[0]).toPrecision(6)})`;
  }
  return undefined;
}

/** The first node of a float model the AIE would compute (for the refusal of aie.mode 'int'). */
export function firstLayer(g: Graph): IRNode | undefined {
  return g.topoOrder().find((n) => SUPPORTED_OPS[n.op] !== undefined && SUPPORTED_OPS[n.op] !== 'view') ?? g.topoOrder()[0];
}

function describeRescale(g: Graph, n: IRNode): string {
  const s = g.isConstant(n.inputs[1]) ? Array.from(numbers(g.tensor(n.inputs[1]).data!)) : [];
  const z = n.inputs[2] && g.isConstant(n.inputs[2]) ? Array.from(numbers(g.tensor(n.inputs[2]).data!)) : [0];
  const badScale = s.find((v) => !isPow2(v));
  const parts: string[] = [];
  if (badScale !== undefined) parts.push(`scale ${+badScale.toPrecision(8)} is not a power of two`);
  else if (s.length > 1) parts.push(`per-channel scales (${s.slice(0, 4).join(', ')}${s.length > 4 ? ', ...' : ''}) on an activation`);
  if (z.some((v) => v !== 0)) parts.push(`zero point ${z.find((v) => v !== 0)} is not 0`);
  if (!parts.length) parts.push(`rounding mode ${String(n.attrs['roundingMode'])} or range (${String(n.attrs['bits'])}-bit) has no fixed-point equivalent`);
  return `${parts.join('; ')}; the AIE lowering needs symmetric power-of-two scales`;
}

/**
 * Analyses every node under the fusion plan; returns the layers, or throws one FirmflowError listing every node
 * the AIE cannot implement (code 'aie.unsupported', details = the list).
 */
export function analyseGraph(g: Graph, opts: AieOptions, device: AieDevice, plan: FusionPlan): Map<string, AieLayer> {
  const refuse = new Refusals();
  const meta = g.meta['aie'] as AieGraphMeta | undefined;
  const ctx: LegalizeContext = { g, opts, device, plan, refuse, batch: meta?.batch ?? opts.batch, kindOf: (op) => SUPPORTED_OPS[op] };
  const layers = new Map<string, AieLayer>();
  for (const n of g.topoOrder()) {
    if (plan.absorbed.has(n.name)) continue;
    if (n.op === 'Rescale') {
      if (opts.mode === 'bf16') { refuse.fail(n, 'a non-power-of-two quantizer in bf16 mode (remove the quantizers for float mode)'); continue; }
      refuse.fail(n, describeRescale(g, n));
      continue;
    }
    const kernel = SUPPORTED_OPS[n.op];
    const k = kernelForOp(n.op);
    if (!kernel || !k) {
      refuse.fail(n, `op ${n.op} is not supported by the AIE backend (supported: Dense/Gemm, MatMul, Add, Relu, Sigmoid, Tanh, Softmax, LayerNormalization, Transpose of the last two axes, Concat/Slice/Split/Reshape as views)`);
      continue;
    }
    const l = k.legalize(ctx, n, kernel);
    if (l) layers.set(n.name, l);
  }
  if (refuse.items.length) {
    const list = refuse.items.map((r) => `  - ${r.reason}`).join('\n');
    throw new FirmflowError('aie.unsupported', `the AIE backend cannot implement ${refuse.items.length} node${refuse.items.length > 1 ? 's' : ''} of graph '${g.name}':\n${list}`, refuse.items);
  }
  return layers;
}

/** Applies the fusion plan to the graph: the product writes the Relu's output directly. */
export function applyFusions(g: Graph, plan: FusionPlan): number {
  let changes = 0;
  for (const n of g.topoOrder()) {
    const relu = plan.relu.get(n.name);
    if (!relu) continue;
    const out = finalOutput(plan, n);
    const fused = [...((n.meta['aieFused'] as string[] | undefined) ?? [])];
    fused.push(relu.name);
    const ro = g.tensor(relu.outputs[0]);
    const po = g.tensor(relu.inputs[0]);
    if (!ro.precision && po.precision) ro.precision = po.precision;
    g.removeNode(relu.name, false);
    const oldOut = n.outputs[0];
    g.replaceNode(n.name, [{ name: n.name, op: n.op, attrs: n.attrs, inputs: [...n.inputs], outputs: [out], origin: n.origin, meta: { ...n.meta, aieFused: fused, aieFusedRelu: true } }]);
    if (oldOut !== out && g.hasTensor(oldOut) && !g.producer(oldOut) && g.consumers(oldOut).length === 0 && !g.isGraphOutput(oldOut)) g.removeTensor(oldOut);
    changes++;
  }
  return changes;
}
