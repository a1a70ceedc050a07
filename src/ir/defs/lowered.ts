import type { IRNode, Tensor } from '../graph.js';
import { registerIROp, type IROpDef, type RtTensor } from '../ops.js';
import { normAxis } from '../shape.js';
import type { Attrs, Dim } from '../types.js';
import { formatShape } from '../types.js';
import { round32 } from './elementwise.js';
import { QONNX_ROUNDING_MODES, qonnxRound, quantRange, type QonnxRoundingMode } from './quant.js';

/*
 * IR ops created by the shared passes (passes/). They are the forms backends lower from:
 *
 * - 'Dense' (x[..., K], W[K, N], b[N] optional) -> [..., N]: y = x @ W + b. No attributes. W is stored K-major
 *   (rows are the input features), so a backend walks it in the order the inputs arrive.
 * - 'ScaleShift' (x, scale[C], shift[C] optional) {axis}: y = x * scale[c] + shift[c] with c the index along
 *   `axis` (a BatchNormalization that could not be folded, in either layout).
 * - 'Rescale' (x, scale, zeroPoint?) {bits, signed, narrow, roundingMode, axis, zeroPointBeforeRounding}: fake
 *   quantization onto an affine integer grid that is not an exact fixed-point type (scale not a power of two,
 *   non-zero zero point, or a rounding mode ap_fixed lacks), replacing a QuantizeLinear -> DequantizeLinear pair
 *   or a QONNX Quant. q = clamp(round(x / scale) + zp) (ONNX order) or clamp(round(x / scale + zp)) when
 *   zeroPointBeforeRounding (QONNX order; the two differ on ties for odd zero points); y = (q - zp) * scale, every
 *   step in float32 like the kernels it replaces. Integer range: quantRange(bits, signed, narrow). scale and
 *   zeroPoint are scalars or 1-D per-channel vectors along `axis`. roundingMode is QONNX's (ROUND = half to even,
 *   CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN). The output tensor carries the grid as `tensor.quant`.
 * - 'FixedCast' (x) -> y: y has the values of x; the fixed-point type on y's `precision` does the quantization.
 *   Used where a quantizer's type cannot be put on the tensor it reads (that tensor has other readers or another
 *   type already).
 */

const intAttr = (attrs: Attrs, k: string, d: number): number => (typeof attrs[k] === 'number' ? (attrs[k] as number) : d);

function need(t: Tensor | undefined, what: string, node: IRNode): Tensor {
  if (!t) throw new Error(`${node.op} '${node.name}': input ${what} is missing`);
  return t;
}

function dimEq(a: Dim, b: Dim): boolean {
  return a === b;
}

const dense: IROpDef = {
  op: 'Dense',
  summary: 'fully connected layer y = x @ W + b (W is [K, N])',
  inferShape(node, [x, w, b]) {
    const xt = need(x, 'x', node), wt = need(w, 'W', node);
    if (xt.shape.length < 1) throw new Error(`Dense '${node.name}': input ${formatShape(xt.shape)} has no feature axis`);
    if (wt.shape.length !== 2) throw new Error(`Dense '${node.name}': weight ${formatShape(wt.shape)} must be 2-D [K, N]`);
    const k = xt.shape[xt.shape.length - 1];
    if (!dimEq(k, wt.shape[0])) throw new Error(`Dense '${node.name}': input ${formatShape(xt.shape)} has ${k} features, weight ${formatShape(wt.shape)} expects ${wt.shape[0]}`);
    if (b && (b.shape.length !== 1 || !dimEq(b.shape[0], wt.shape[1]))) {
      throw new Error(`Dense '${node.name}': bias ${formatShape(b.shape)} must be [${wt.shape[1]}]`);
    }
    return [{ shape: [...xt.shape.slice(0, -1), wt.shape[1]], dtype: xt.dtype }];
  },
  evaluate(_node, [x, w, b], ctx) {
    const K = w!.shape[0], N = w!.shape[1];
    const rows = K === 0 ? 0 : x!.data.length / K;
    const out = new Float64Array(rows * N);
    const W = w!.data, X = x!.data;
    // Products summed in k order, bias last: the order of a MatMul followed by an Add.
    for (let r = 0; r < rows; r++) {
      const o = r * N;
      for (let k = 0; k < K; k++) {
        const xv = X[r * K + k];
        const wo = k * N;
        for (let n = 0; n < N; n++) out[o + n] += xv * W[wo + n];
      }
      if (b) for (let n = 0; n < N; n++) out[o + n] += b.data[n];
    }
    return [{ shape: [...x!.shape.slice(0, -1), N], data: round32(out, ctx) }];
  },
};

/** Size of the axis and the product of the axes after it, for per-channel loops. */
function channelGeometry(shape: readonly number[], axis: number): { C: number; inner: number } {
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { C: shape[axis], inner };
}

function checkChannelParam(node: IRNode, x: Tensor, axis: number, p: Tensor | undefined, what: string): void {
  if (!p) return;
  const C = x.shape[axis];
  const n = p.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
  if (!(n === 1 || (typeof C === 'number' && n === C) || (p.shape.length === 1 && dimEq(p.shape[0], C)))) {
    throw new Error(`${node.op} '${node.name}': ${what} ${formatShape(p.shape)} must hold 1 or ${C} values (axis ${axis} of ${formatShape(x.shape)})`);
  }
}

const scaleShift: IROpDef = {
  op: 'ScaleShift',
  summary: 'per-channel y = x * scale[c] + shift[c] along `axis`',
  inferShape(node, [x, scale, shift]) {
    const xt = need(x, 'x', node);
    const axis = normAxis(intAttr(node.attrs, 'axis', 1), xt.shape.length, `ScaleShift '${node.name}' axis`);
    checkChannelParam(node, xt, axis, need(scale, 'scale', node), 'scale');
    checkChannelParam(node, xt, axis, shift, 'shift');
    return [{ shape: xt.shape, dtype: xt.dtype }];
  },
  evaluate(node, [x, scale, shift], ctx) {
    const axis = normAxis(intAttr(node.attrs, 'axis', 1), x!.shape.length);
    const { C, inner } = channelGeometry(x!.shape, axis);
    const out = new Float64Array(x!.data.length);
    const s = scale!.data, h = shift?.data;
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / inner) % C;
      const v = x!.data[i] * s[s.length === 1 ? 0 : c];
      out[i] = h ? v + h[h.length === 1 ? 0 : c] : v;
    }
    return [{ shape: x!.shape, data: round32(out, ctx) }];
  },
};

const f32 = Math.fround;

const rescale: IROpDef = {
  op: 'Rescale',
  summary: 'fake quantization to an affine integer grid (non power-of-two scale, non-zero zero point, or a rounding ap_fixed lacks)',
  inferShape(node, [x, scale, zp]) {
    const xt = need(x, 'x', node);
    const mode = node.attrs['roundingMode'] ?? 'ROUND';
    if (typeof mode !== 'string' || !(QONNX_ROUNDING_MODES as readonly string[]).includes(mode)) {
      throw new Error(`Rescale '${node.name}': unknown roundingMode '${String(mode)}' (${QONNX_ROUNDING_MODES.join(', ')})`);
    }
    const bits = intAttr(node.attrs, 'bits', 8);
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new Error(`Rescale '${node.name}': bits ${bits} outside 1..32`);
    const axis = xt.shape.length ? normAxis(intAttr(node.attrs, 'axis', 1), xt.shape.length, `Rescale '${node.name}' axis`) : 0;
    const params = [need(scale, 'scale', node), zp].filter((t): t is Tensor => t !== undefined);
    for (const p of params) {
      if (p.shape.length > 1) throw new Error(`Rescale '${node.name}': scale and zero point must be scalars or 1-D, got ${formatShape(p.shape)}`);
      if (xt.shape.length) checkChannelParam(node, xt, axis, p, p === scale ? 'scale' : 'zero point');
    }
    return [{ shape: xt.shape, dtype: xt.dtype }];
  },
  evaluate(node, [x, scale, zp], ctx) {
    const rank = x!.shape.length;
    const axis = rank ? normAxis(intAttr(node.attrs, 'axis', 1), rank) : 0;
    const { C, inner } = rank ? channelGeometry(x!.shape, axis) : { C: 1, inner: 1 };
    const round = qonnxRound(((node.attrs['roundingMode'] as string | undefined) ?? 'ROUND') as QonnxRoundingMode);
    const [lo, hi] = quantRange(intAttr(node.attrs, 'bits', 8), node.attrs['signed'] !== false, node.attrs['narrow'] === true);
    const before = node.attrs['zeroPointBeforeRounding'] === true;
    const s = scale!.data, z = zp?.data;
    const out = new Float64Array(x!.data.length);
    // float32 steps, as the QuantizeLinear/DequantizeLinear and Quant kernels this node replaces.
    for (let i = 0; i < out.length; i++) {
      const c = Math.floor(i / inner) % C;
      const sc = f32(s[s.length === 1 ? 0 : c]);
      const zz = z ? f32(z[z.length === 1 ? 0 : c]) : 0;
      const v = f32(f32(x!.data[i]) / sc);
      let q: number;
      if (before) {
        q = f32(v + zz);
        q = round(q < lo ? lo : q > hi ? hi : q);
      } else {
        q = round(v) + zz;
        q = q < lo ? lo : q > hi ? hi : q;
      }
      out[i] = f32(f32(q - zz) * sc);
    }
    return [{ shape: x!.shape, data: round32(out, ctx) }];
  },
};

const fixedCast: IROpDef = {
  op: 'FixedCast',
  summary: "passes x through; the output tensor's fixed-point precision quantizes it",
  inferShape: (node, [x]) => {
    const xt = need(x, 'x', node);
    return [{ shape: xt.shape, dtype: xt.dtype }];
  },
  // A copy: the interpreter quantizes outputs in place.
  evaluate: (_n, [x]): RtTensor[] => [{ shape: x!.shape, data: Float64Array.from(x!.data) }],
};

export function registerLoweredOps(): void {
  for (const def of [dense, scaleShift, rescale, fixedCast]) registerIROp(def);
}
