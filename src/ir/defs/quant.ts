/**
 * IR op definitions for quantizers: ONNX QuantizeLinear / DequantizeLinear and QONNX Quant / BipolarQuant.
 *
 * The float kernels reproduce what a float32 executor computes (onnxruntime for the ONNX ops, qonnx's numpy
 * code for the QONNX ops): every arithmetic step is rounded to float32 whatever the interpreter's mode, because
 * a quantizer's result flips a whole level when x / scale lands on the other side of a rounding tie. The shared
 * QDQ/Quant lowering pass turns these nodes into precision annotations; these kernels are the reference it
 * must agree with.
 */
import type { IRNode, Tensor } from '../graph.js';
import { registerIROp, type EvalContext, type IROpDef, type InferredTensor, type RtTensor } from '../ops.js';
import { broadcastShapes, normAxis, broadcastStrides } from '../shape.js';
import type { DType, Shape } from '../types.js';
import { formatShape } from '../types.js';

const f32 = Math.fround;

/** Integer ranges of the integer types QuantizeLinear may produce. */
export const INT_RANGES: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
};

/** Round half to even (numpy's round, ONNX's Round and QuantizeLinear). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---------------------------------------------------------------------------------------------- QDQ

/**
 * Where each element's scale and zero point come from: per tensor (a scalar or one-element scale) or per axis
 * (a 1-D scale of length shape[axis]). Returns the channel index function's parameters.
 */
function perAxisLayout(shape: readonly number[], scaleLen: number, axisAttr: unknown): { inner: number; count: number } | null {
  if (scaleLen === 1) return null;
  const axis = normAxis(typeof axisAttr === 'number' ? axisAttr : 1, shape.length);
  if (shape[axis] !== scaleLen) throw new Error(`per-axis scale has ${scaleLen} entries, axis ${axis} of ${formatShape(shape)} has ${shape[axis]}`);
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { inner, count: scaleLen };
}

function checkQdqParams(x: Tensor, scale: Tensor, zp: Tensor | undefined, axisAttr: unknown): void {
  const n = scale.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
  if (scale.shape.length > 1 || !(n >= 1)) throw new Error(`scale ${formatShape(scale.shape)} must be a scalar or a 1-D tensor (per-axis); block quantization is not supported`);
  if (zp && (zp.shape.length !== scale.shape.length || zp.shape.some((d, i) => d !== scale.shape[i]))) {
    throw new Error(`zero point ${formatShape(zp.shape)} must have the shape of the scale ${formatShape(scale.shape)}`);
  }
  if (n > 1) {
    const axis = normAxis(typeof axisAttr === 'number' ? axisAttr : 1, x.shape.length);
    if (x.shape[axis] !== n) throw new Error(`per-axis scale has ${n} entries, axis ${axis} of ${formatShape(x.shape)} has ${String(x.shape[axis])}`);
  }
}

/**
 * IR 'QuantizeLinear': inputs [x, scale, zeroPoint?], attrs {axis, dtype}.
 * q = saturate(roundHalfEven(float32(x / scale)) + zeroPoint) into `dtype` (int8, uint8, int16, uint16, int32);
 * the output tensor has that dtype. scale (float32) and zeroPoint (of type dtype, default 0) are constants: a
 * scalar or one-element tensor (per tensor), or 1-D of length x.shape[axis] (per axis). `axis` is normalized
 * (non-negative) and only means something per axis.
 */
function quantizeInfer(node: IRNode, [x, scale, zp]: (Tensor | undefined)[]): InferredTensor[] {
  const dtype = node.attrs['dtype'] as DType;
  if (!INT_RANGES[dtype]) throw new Error(`output type ${String(dtype)} is not supported (int8, uint8, int16, uint16, int32)`);
  if (zp && zp.dtype !== dtype) throw new Error(`zero point type ${zp.dtype} differs from output type ${dtype}`);
  checkQdqParams(x!, scale!, zp, node.attrs['axis']);
  return [{ shape: x!.shape, dtype }];
}

function quantizeEval(node: IRNode, [x, scale, zp]: (RtTensor | undefined)[], _ctx: EvalContext): RtTensor[] {
  const [lo, hi] = INT_RANGES[node.attrs['dtype'] as DType]!;
  const pa = perAxisLayout(x!.shape, scale!.data.length, node.attrs['axis']);
  const X = x!.data, S = scale!.data, Z = zp?.data;
  const Y = new Float64Array(X.length);
  for (let i = 0; i < X.length; i++) {
    const ch = pa ? Math.floor(i / pa.inner) % pa.count : 0;
    const q = roundHalfEven(f32(f32(X[i]) / f32(S[ch]))) + (Z ? Z[ch] : 0);
    Y[i] = q < lo ? lo : q > hi ? hi : q;
  }
  return [{ shape: x!.shape, data: Y }];
}

/**
 * IR 'DequantizeLinear': inputs [q, scale, zeroPoint?], attrs {axis}. y = float32(float32(q - zeroPoint) * scale),
 * float32 output; scale and zeroPoint as for QuantizeLinear.
 */
function dequantizeInfer(node: IRNode, [q, scale, zp]: (Tensor | undefined)[]): InferredTensor[] {
  if (zp && zp.dtype !== q!.dtype) throw new Error(`zero point type ${zp.dtype} differs from input type ${q!.dtype}`);
  checkQdqParams(q!, scale!, zp, node.attrs['axis']);
  return [{ shape: q!.shape, dtype: 'float32' }];
}

function dequantizeEval(node: IRNode, [q, scale, zp]: (RtTensor | undefined)[], _ctx: EvalContext): RtTensor[] {
  const pa = perAxisLayout(q!.shape, scale!.data.length, node.attrs['axis']);
  const Q = q!.data, S = scale!.data, Z = zp?.data;
  const Y = new Float64Array(Q.length);
  for (let i = 0; i < Q.length; i++) {
    const ch = pa ? Math.floor(i / pa.inner) % pa.count : 0;
    Y[i] = f32(f32(Q[i] - (Z ? Z[ch] : 0)) * f32(S[ch]));
  }
  return [{ shape: q!.shape, data: Y }];
}

// ---------------------------------------------------------------------------------------------- QONNX

export const QONNX_ROUNDING_MODES = ['ROUND', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'HALF_UP', 'HALF_DOWN'] as const;
export type QonnxRoundingMode = (typeof QONNX_ROUNDING_MODES)[number];

/**
 * qonnx's rounding functions on float32 values. HALF_UP / HALF_DOWN are qonnx's sign(x) * floor(|x| + 0.5) and
 * sign(x) * ceil(|x| - 0.5) with the +-0.5 evaluated in float32 as numpy does on float32 arrays (so 0.49999997
 * rounds to 1 under HALF_UP, exactly like qonnx).
 */
export function qonnxRound(mode: QonnxRoundingMode): (x: number) => number {
  switch (mode) {
    case 'ROUND': return roundHalfEven;
    case 'CEIL': return Math.ceil;
    case 'FLOOR': return Math.floor;
    case 'UP': return (x) => Math.sign(x) * Math.ceil(Math.abs(x));
    case 'DOWN': return Math.trunc;
    case 'HALF_UP': return (x) => Math.sign(x) * Math.floor(f32(Math.abs(x) + 0.5));
    case 'HALF_DOWN': return (x) => Math.sign(x) * Math.ceil(f32(Math.abs(x) - 0.5));
  }
}

/** Integer range of a QONNX Quant: [-2^(b-1) + narrow, 2^(b-1) - 1] signed, [0, 2^b - 1 - narrow] unsigned. */
export function quantRange(bits: number, signed: boolean, narrow: boolean): [number, number] {
  return signed ? [-(2 ** (bits - 1)) + (narrow ? 1 : 0), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1 - (narrow ? 1 : 0)];
}

function broadcastOnto(x: Shape, others: Shape[], what: string): void {
  const b = broadcastShapes(x, ...others);
  if (b.length !== x.length || b.some((d, i) => d !== x[i])) {
    throw new Error(`${what} ${others.map(formatShape).join(', ')} must broadcast onto the input ${formatShape(x)} without enlarging it`);
  }
}

/** Reads `t` (broadcast to `shape`) in row-major order of `shape`. */
function broadcastReader(t: RtTensor, shape: number[]): (i: number) => number {
  if (t.data.length === 1) { const v = t.data[0]; return () => v; }
  const n = shape.reduce((a, d) => a * d, 1);
  if (t.data.length === n) return (i) => t.data[i];
  const st = broadcastStrides(t.shape, shape);
  const r = shape.length;
  return (i) => {
    let off = 0, rem = i;
    for (let k = r - 1; k >= 0; k--) { off += (rem % shape[k]) * st[k]; rem = Math.floor(rem / shape[k]); }
    return t.data[off];
  };
}

/**
 * IR 'Quant' (QONNX): inputs [x, scale, zeropt, bitwidth], attrs {signed, narrow, roundingMode}.
 * q = float32(float32(x / scale) + zeropt), clamped to the integer range (quantRange) BEFORE rounding with
 * roundingMode (QONNX_ROUNDING_MODES; ROUND = half to even); y = float32(float32(q - zeropt) * scale).
 * bitwidth 1 with signed: q = q >= 0 ? 1 : -1 instead of clamp and round. scale and zeropt broadcast onto x
 * (per tensor or per channel); bitwidth is a scalar.
 */
function quantInfer(_node: IRNode, [x, scale, zp, bw]: (Tensor | undefined)[]): InferredTensor[] {
  broadcastOnto(x!.shape, [scale!.shape, zp!.shape], 'scale and zero point');
  if (bw!.shape.some((d) => d !== 1)) throw new Error(`bitwidth ${formatShape(bw!.shape)} must be a scalar`);
  return [{ shape: x!.shape, dtype: 'float32' }];
}

function quantEval(node: IRNode, [x, scale, zp, bw]: (RtTensor | undefined)[], _ctx: EvalContext): RtTensor[] {
  const signed = node.attrs['signed'] !== false;
  const narrow = node.attrs['narrow'] === true;
  const bits = bw!.data[0];
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new Error(`bitwidth ${bits} must be an integer from 1 to 32`);
  const round = qonnxRound((node.attrs['roundingMode'] ?? 'ROUND') as QonnxRoundingMode);
  const [lo, hi] = quantRange(bits, signed, narrow);
  const bipolar = bits === 1 && signed;
  const shape = x!.shape;
  const S = broadcastReader(scale!, shape), Z = broadcastReader(zp!, shape);
  const X = x!.data;
  const Y = new Float64Array(X.length);
  for (let i = 0; i < X.length; i++) {
    const s = f32(S(i)), z = f32(Z(i));
    let q = f32(f32(f32(X[i]) / s) + z);
    if (bipolar) q = q >= 0 ? 1 : -1;
    else q = round(q > hi ? hi : q < lo ? lo : q);
    Y[i] = f32(f32(q - z) * s);
  }
  return [{ shape, data: Y }];
}

/**
 * IR 'BipolarQuant' (QONNX): inputs [x, scale], y = (x >= 0 ? 1 : -1) * scale; 0 and -0.0 give +scale, NaN -scale.
 * scale broadcasts onto x.
 */
function bipolarInfer(_node: IRNode, [x, scale]: (Tensor | undefined)[]): InferredTensor[] {
  broadcastOnto(x!.shape, [scale!.shape], 'scale');
  return [{ shape: x!.shape, dtype: 'float32' }];
}

function bipolarEval(_node: IRNode, [x, scale]: (RtTensor | undefined)[], _ctx: EvalContext): RtTensor[] {
  const S = broadcastReader(scale!, x!.shape);
  const X = x!.data;
  const Y = new Float64Array(X.length);
  for (let i = 0; i < X.length; i++) Y[i] = f32((X[i] >= 0 ? 1 : -1) * f32(S(i)));
  return [{ shape: x!.shape, data: Y }];
}

const DEFS: IROpDef[] = [
  { op: 'QuantizeLinear', summary: 'ONNX affine quantization to an integer type', inferShape: quantizeInfer, evaluate: quantizeEval },
  { op: 'DequantizeLinear', summary: 'ONNX affine dequantization to float32', inferShape: dequantizeInfer, evaluate: dequantizeEval },
  { op: 'Quant', summary: 'QONNX integer fake-quantizer (float in, float out)', inferShape: quantInfer, evaluate: quantEval },
  { op: 'BipolarQuant', summary: 'QONNX binary (+-scale) quantizer', inferShape: bipolarInfer, evaluate: bipolarEval },
];

export function registerQuantOps(): void {
  for (const d of DEFS) registerIROp(d);
}
