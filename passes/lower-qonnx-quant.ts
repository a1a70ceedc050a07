import type { Dim } from '../src/ir/types.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { bipolarTypeOf, type QuantizerSpec } from './fixed-types.js';
import { replaceQuantizer } from './lower-qdq.js';
import { addConstant, constValues } from './rewrite.js';

/**
 * Where a QONNX parameter (broadcast onto x) varies: per tensor (all values equal, or one value), or along one
 * axis of x. Undefined when it varies along several axes.
 */
function channelLayout(xShape: Dim[], pShape: Dim[], values: Float64Array): { axis?: number; values: Float64Array } | undefined {
  if (values.length === 0 || values.every((v) => v === values[0])) return { values: values.subarray(0, 1) };
  const off = xShape.length - pShape.length;
  const axes = pShape.map((d, i) => (d !== 1 ? i + off : -1)).filter((a) => a >= 0);
  if (axes.length !== 1 || axes[0] < 0) return undefined;
  return { axis: axes[0], values };
}

/**
 * QONNX Quant with constant parameters: power-of-two scale, zero point 0 and a rounding mode ap_fixed has becomes
 * an exact fixed-point type on the tensor (the node disappears); any other becomes a Rescale node (per tensor or
 * per channel) whose output carries the affine grid. The 1-bit signed (bipolar) case stays a Quant node.
 */
export const lowerQonnxQuant: NodePass = {
  name: 'lower-qonnx-quant',
  match: ['Quant'],
  description: 'QONNX Quant -> fixed-point types (or Rescale)',
  transform(node, graph) {
    const [x, s, z, b] = node.inputs;
    const sv = constValues(graph, s), zv = constValues(graph, z), bv = constValues(graph, b);
    if (!sv || !zv || !bv) return false;
    const bits = bv[0];
    const signed = node.attrs['signed'] !== false;
    const narrow = node.attrs['narrow'] === true;
    if (bits === 1 && signed) return false;
    const xs = graph.tensor(x).shape;
    const sl = channelLayout(xs, graph.tensor(s).shape, sv), zl = channelLayout(xs, graph.tensor(z).shape, zv);
    if (!sl || !zl || (sl.axis !== undefined && zl.axis !== undefined && sl.axis !== zl.axis)) return false;
    const axis = sl.axis ?? zl.axis;
    const roundingMode = String(node.attrs['roundingMode'] ?? 'ROUND');
    const spec: QuantizerSpec = { bits, signed, narrow, scale: sl.values, zeroPoint: zl.values, roundingMode, axis };
    const y = node.outputs[0];
    // Rescale takes scalars or 1-D per-channel vectors.
    const vec = (vals: Float64Array, like: string) =>
      addConstant(graph, `${node.name}_${like}`, vals.length === 1 ? [] : [vals.length], vals, 'float32').name;
    const rescale = () => ({
      inputs: [x, vec(sl.values, 'scale'), vec(zl.values, 'zeropt')],
      attrs: { bits, signed, narrow, roundingMode, axis: axis ?? 1, zeroPointBeforeRounding: true },
    });
    return replaceQuantizer(graph, [node], x, y, spec, rescale);
  },
};

/** BipolarQuant on activations stays a node; its output +-scale gets its exact type. */
export const typeBipolarQuant: NodePass = {
  name: 'type-bipolar-quant',
  match: ['BipolarQuant'],
  description: 'give BipolarQuant outputs their exact fixed-point type',
  transform(node, graph) {
    const y = graph.tensor(node.outputs[0]);
    if (y.precision || y.quant) return false;
    const sv = constValues(graph, node.inputs[1]);
    const t = sv && bipolarTypeOf(sv);
    if (!t) return false;
    y.precision = t;
    return true;
  },
};
