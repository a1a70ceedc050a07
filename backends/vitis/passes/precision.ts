import { FirmflowError, type FixedType, formatType, type Graph, type GraphPass, type IRNode, sameType, type Tensor } from 'firmflow';
import { hlsConfig, type HlsConfig, type PrecisionSetting, type Role } from '../config.js';
import { kernelFor, type PrecisionContext } from '../kernels/index.js';
import type { HlsLayer } from '../lowered.js';
import { describe, hls, layerConfig, warn } from './common.js';
import { inputTypeFor } from './input-types.js';
import { quantizerType } from './quantizer-types.js';
import {
  accumType, AUTO_CONST_WIDTH, autoConstType, codesFor, constTypeOf, exactConstType, MAX_EXACT_RESULT, MODEL_PRECISION_KEY, numeric, typeConstant,
} from './precision-rules.js';

export * from './precision-rules.js';

/**
 * Gives every tensor its precision and every node its types (docs/design/vitis-backend.md, "Configuration"):
 * graph inputs the input precision, constants their role type (quantized once to integer codes in
 * tensor.meta.hlsCodes), accumulators the exact type, results the configured / model / default type. What differs
 * per op is its kernel's (kernels/*.ts: constRoles, constType, precision, defaultResult, adjustResult).
 */
export const applyPrecision: GraphPass = {
  name: 'vitis-precision',
  match: 'graph',
  description: 'assign fixed-point types per role, quantize constants to codes, derive exact accumulators',
  transform(graph, ctx) {
    const config = hlsConfig(ctx.options, graph);
    const data = config.model.data;
    let changes = 0;
    // Tensors whose values are exact fixed-point numbers of the model: a quantizer's output (the type the shared
    // passes put on it), or an exact result computed from such tensors (see lowerNode).
    const exactModel = new Set<string>();
    // Constants a quantizer typed (weights through QDQ / Quant / BipolarQuant): their type is the model's.
    const quantized = new Map<string, FixedType>();
    for (const t of graph.tensors.values()) if (t.data && t.precision) quantized.set(t.name, t.precision);
    for (const p of graph.inputs) {
      const t = graph.tensor(p.tensor);
      const named = config.model.inputs[p.name];
      if (t.precision) {
        t.meta[MODEL_PRECISION_KEY] = t.precision;
        exactModel.add(t.name);
        t.precision = quantizerType(graph, undefined, p.name, t.precision, named, true);
      } else t.precision = named ?? inputTypeFor(graph, t.name, data);
      changes++;
    }
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      const outType = layer ? lowerNode(node, layer, graph, data, exactModel, { config, quantized }) : undefined;
      for (const o of node.outputs) {
        if (o === '') continue;
        const t = graph.tensor(o);
        t.precision = outType ?? t.precision ?? data;
      }
      changes++;
    }
    // Constants nothing lowered reads (read by nodes without a kernel): their own type, for completeness.
    for (const t of graph.tensors.values()) {
      if (t.data && !t.precision) t.precision = autoConstType(numeric(t));
      if (t.data && !t.meta['hlsCodes']) t.meta['hlsCodes'] = codesFor(numeric(t), t.precision!);
    }
    return changes;
  },
};

/**
 * Lowers one node's types; returns its result type. `exactModel` holds the tensors whose values are exact
 * fixed-point numbers from the model's quantizers; a node reading only such tensors computes exactly by default
 * (constants the model left in float get a type holding their float32 values exactly, the result without a quantizer
 * of its own the exact result type), so quantized models reproduce their reference: a later quantizer rounds the
 * exact value, as the model does, and an unquantized output is the exact sum.
 */
/** What lowerNode needs to keep the model's quantizers: the configuration and the constants quantizers typed. */
interface QuantizerFacts {
  config: HlsConfig;
  quantized: Map<string, FixedType>;
}

function lowerNode(node: IRNode, layer: HlsLayer, graph: Graph, data: FixedType, exactModel: Set<string>, q: QuantizerFacts): FixedType {
  const kernel = kernelFor(node.op)!;
  const configured = layerConfig(node);
  const named = q.config.namedRoles(node);
  const types: Record<string, FixedType> = {};
  layer.types = types;
  const out = graph.tensor(node.outputs[0]);
  const modelResult = out.precision;
  const acts = node.inputs.filter((i) => i !== '' && !graph.tensor(i).data);
  const exactIn = acts.length > 0 && acts.every((i) => exactModel.has(i));
  let cfg = configured;
  if (modelResult) {
    for (const o of node.outputs) if (o !== '') exactModel.add(o);
    // The model's own quantizer on this tensor: part of the float model that traces compare with.
    out.meta[MODEL_PRECISION_KEY] = modelResult;
    // The quantizer's type is the result, whatever is configured (a narrower type by name is refused).
    quantizerType(graph, node, 'its result', modelResult, configured.precision.result, named.includes('result'));
    const { result: _kept, ...rest } = configured.precision;
    cfg = { ...configured, precision: rest };
  }
  const P = cfg.precision;
  // Between the model's quantizers only settings naming the layer choose types (model- or type-wide ones would
  // move the quantized outputs): float constants are then typed exactly, accumulators and results exact.
  const own = (role: Role): boolean => named.includes(role);
  const constType = (t: Tensor, role: Role, width = AUTO_CONST_WIDTH): FixedType => {
    const fixed = q.quantized.get(t.name);
    if (fixed) return quantizerType(graph, node, `its ${role} '${t.name}'`, fixed, P[role], named.includes(role));
    if (exactIn && (!P[role] || !own(role)) && !t.precision) return exactConstType(numeric(t));
    return constTypeOf(t, P[role], width);
  };
  const ctx: PrecisionContext = {
    node, layer, graph, config: cfg, data, types, input: data, modelResult,
    tensor: (i) => (node.inputs[i] ? graph.tensor(node.inputs[i]) : undefined),
    typeConstant: (i, type) => typeConstant(node, i, graph, type).precision!,
    accum: (exact) => accumType(node, graph, exact, exactIn && !own('accum') ? undefined : P.accum),
    constType: (t, role) => constType(t, role),
  };

  // ---- inputs and constants
  const roles = kernel.constRoles ?? {};
  node.inputs.forEach((name, i) => {
    if (name === '') return;
    const t = graph.tensor(name);
    const key = i === 0 ? 'input' : `input${i}`;
    if (!t.data) { types[key] = t.precision ?? data; return; }
    if (kernel.ownsConstants) return;
    const role = roles[i];
    if (role) {
      const ty = kernel.constType ? kernel.constType(ctx, role, t) : constType(t, role);
      types[role] = typeConstant(node, i, graph, ty).precision!;
    } else {
      // Constant operand of Add/Sub/Mul/Concat: typed like a weight.
      types[key] = typeConstant(node, i, graph, constType(t, 'weight')).precision!;
    }
  });
  ctx.input = types['input'] ?? data;

  // ---- accumulators and factors: the exact result type, for result 'auto'
  const exact = kernel.precision?.(ctx);

  // ---- result
  const rule = kernel.defaultResult ?? 'data';
  let result: FixedType;
  const r = P.result;
  if (r && r !== 'auto') result = r;
  else if (r === 'auto') {
    if (!exact) throw new FirmflowError('config.value', `${describe(node)}: Precision.result 'auto' needs an exact result type, which ${node.op} has not (give a precision)`, { layer: layer.layerName, key: 'Precision.result' });
    result = exact;
  } else if (rule === 'model') {
    if (!modelResult) throw new FirmflowError('vitis.precision', `${describe(node)}: the quantizer's output has no fixed-point type`);
    result = modelResult;
  } else if (modelResult) result = modelResult;
  else if (rule === 'exact') result = exact ?? data;
  else result = data;
  if (exactIn && !modelResult && exact && !own('result') && r !== 'auto') {
    // Between the model's quantizers (or before an unquantized output) the default is the exact result.
    if (exact.width <= MAX_EXACT_RESULT) result = exact;
    else warn(graph, `${describe(node)}: its exact result needs ${exact.width} bits (more than ${MAX_EXACT_RESULT}); it uses ${formatType(result)} instead, so the model's quantized arithmetic is not reproduced exactly (configure Precision.result to choose)`);
  }
  if (exactIn && !modelResult && exact && sameType(result, exact)) for (const o of node.outputs) if (o !== '') exactModel.add(o);
  if (kernel.adjustResult) result = kernel.adjustResult(ctx, result);
  types['result'] = result;
  return result;
}
