/**
 * ONNX handlers for quantizers: QuantizeLinear / DequantizeLinear (default domain) and the QONNX Quant /
 * BipolarQuant custom ops, which qonnx, FINN and Brevitas export under three domain names with one meaning.
 * What the IR ops compute is documented in src/ir/defs/quant.ts.
 *
 * Quantizers on constants (weights, biases) fold into float constants while loading. So that the passes can
 * still give such a weight its exact precision, the folded tensor keeps a `meta.quantizer` note
 * (QuantizerNote below).
 */
import { quoted } from '../../errors.js';
import type { Tensor } from '../../ir/graph.js';
import { normAxis } from '../../ir/shape.js';
import type { DType } from '../../ir/types.js';
import { formatShape } from '../../ir/types.js';
import { INT_RANGES, QONNX_ROUNDING_MODES, type QonnxRoundingMode } from '../../ir/defs/quant.js';
import { registerOpHandler, type LowerContext, type OpHandler } from '../handlers.js';
import { ONNX_DTYPES, ONNX_DTYPE_NAMES, toNumberArray } from '../tensor.js';

export const QONNX_DOMAINS = ['qonnx.custom_op.general', 'finn.custom_op.general', 'onnx.brevitas'];
/**
 * Versions of the QONNX domains read as their (only) version 1. Brevitas and some converters stamp custom
 * domains with the default-domain opset number, so any version up to the current ONNX opset is accepted.
 */
const QONNX_OPSETS: [number, number] = [1, 23];

/**
 * What a constant-folded quantizer did to a constant, kept on the folded tensor as `tensor.meta.quantizer`.
 * The tensor holds the dequantized float values (or, for a folded QuantizeLinear, the integers); the note says
 * which integer grid they lie on: value = (q - zeropt) * scale with q in the integer range of `bits`/`signed`/
 * `narrow`.
 * - `scale` / `zeropt` are flat values; per channel they broadcast onto the tensor from `scaleShape` /
 *   `zeroptShape` (numpy broadcasting; [] or [1] means per tensor). For QuantizeLinear / DequantizeLinear,
 *   `axis` names the channel axis instead (undefined: per tensor) and the shapes are [n].
 * - BipolarQuant: bits 1, signed, values +-scale (q is +-1, zeropt 0); roundingMode 'SIGN'.
 * - A Conv on channels-last data transposes its weight once; the note's shapes are permuted along with it.
 */
export interface QuantizerNote {
  op: 'Quant' | 'BipolarQuant' | 'QuantizeLinear' | 'DequantizeLinear';
  signed: boolean;
  narrow: boolean;
  bits: number;
  scale: number[];
  scaleShape: number[];
  zeropt: number[];
  zeroptShape: number[];
  axis?: number;
  roundingMode: QonnxRoundingMode | 'SIGN';
}

function noteFolded(ctx: LowerContext, onnxOut: string, note: QuantizerNote): void {
  const t = ctx.tensor(onnxOut);
  t.meta['quantizer'] = note;
}

function requireConstant(ctx: LowerContext, onnxName: string, what: string): Tensor {
  const t = ctx.tensor(onnxName);
  if (!t.data) ctx.fail(`${what} (${quoted(onnxName)}) must be a constant (an initializer or computable from initializers); runtime quantization parameters are not supported`);
  return t;
}

function bitsOf(dtype: DType): { bits: number; signed: boolean } {
  const [lo, hi] = INT_RANGES[dtype]!;
  return { bits: Math.round(Math.log2(hi - lo + 1)), signed: lo < 0 };
}

// ---------------------------------------------------------------------------------------------- QDQ

function qdqCommon(ctx: LowerContext, dataName: string): { scale: Tensor; zp?: Tensor; axis: number; perAxis: boolean } {
  const node = ctx.node;
  const x = ctx.tensor(dataName);
  const scale = requireConstant(ctx, node.inputs[1], 'scale');
  const zpName = node.inputs[2] ?? '';
  const zp = zpName !== '' ? requireConstant(ctx, zpName, 'zero point') : undefined;
  const n = scale.data!.length;
  if (scale.shape.length > 1) ctx.fail(`scale ${formatShape(scale.shape)} has rank ${scale.shape.length}; blocked quantization is not supported (per-tensor or per-axis only)`);
  if (n > 1 && node.opset < 13) ctx.fail(`scale has ${n} elements; opset ${node.opset} allows only a per-tensor (scalar) scale`);
  // The axis matters only per axis; per tensor, ONNX ignores it (it may not even fit a low-rank input).
  let axis = 0;
  try {
    axis = normAxis(node.attrs['axis'] as number, Math.max(1, x.shape.length));
  } catch (e) {
    if (n > 1) return ctx.fail(`attribute axis: ${(e as Error).message}`);
  }
  if (n > 1 && x.shape[axis] !== n) ctx.fail(`per-axis scale has ${n} entries, axis ${axis} of input ${formatShape(x.shape)} has ${String(x.shape[axis])}`);
  return { scale, zp, axis, perAxis: n > 1 };
}

function qdqNote(op: QuantizerNote['op'], dtype: DType, scale: Tensor, zp: Tensor | undefined, axis: number, perAxis: boolean): QuantizerNote {
  const { bits, signed } = bitsOf(dtype);
  const s = toNumberArray(scale.data!);
  return {
    op, bits, signed, narrow: false,
    scale: s, scaleShape: [s.length],
    zeropt: zp ? toNumberArray(zp.data!) : [0], zeroptShape: [zp ? zp.data!.length : 1],
    axis: perAxis ? axis : undefined,
    roundingMode: 'ROUND',
  };
}

function validateBlock(node: { attrs: Record<string, unknown> }): string[] {
  const b = node.attrs['block_size'];
  return typeof b === 'number' && b !== 0 ? [`block quantization (block_size=${b}) is not supported`] : [];
}

const QUANTIZE_LINEAR: OpHandler = {
  op: 'QuantizeLinear',
  opsets: [10, 23],
  inputs: [{ name: 'x' }, { name: 'y_scale', constant: true }, { name: 'y_zero_point', optional: true, constant: true }],
  attributes: {
    axis: { type: 'int', default: 1 },
    saturate: { type: 'int', default: 1 },
    block_size: { type: 'int', default: 0 },
    output_dtype: { type: 'int', default: 0 },
  },
  summary: 'affine quantization (per tensor or per axis) to int8/uint8/int16/uint16/int32',
  validate(node) {
    const problems = validateBlock(node);
    const od = node.attrs['output_dtype'] as number;
    if (od !== 0 && !INT_RANGES[ONNX_DTYPES[od]]) problems.push(`output_dtype ${ONNX_DTYPE_NAMES[od] ?? od} is not supported (int8, uint8, int16, uint16, int32)`);
    return problems;
  },
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    const { scale, zp, axis, perAxis } = qdqCommon(ctx, node.inputs[0]);
    const od = node.attrs['output_dtype'] as number;
    const dtype: DType = zp ? zp.dtype : od !== 0 ? ONNX_DTYPES[od] : 'uint8';
    if (!INT_RANGES[dtype]) ctx.fail(`output type ${dtype} is not supported (int8, uint8, int16, uint16, int32)`);
    if (zp && od !== 0 && ONNX_DTYPES[od] !== zp.dtype) ctx.fail(`output_dtype ${ONNX_DTYPE_NAMES[od]} differs from the zero point's type ${zp.dtype}`);
    const inputs = [x.name, scale.name, ...(zp ? [zp.name] : [])];
    const out = node.outputs[0];
    if (!ctx.emit('QuantizeLinear', inputs, [out], { axis, dtype })) noteFolded(ctx, out, qdqNote('QuantizeLinear', dtype, scale, zp, axis, perAxis));
  },
};

const DEQUANTIZE_LINEAR: OpHandler = {
  op: 'DequantizeLinear',
  opsets: [10, 23],
  inputs: [{ name: 'x' }, { name: 'x_scale', constant: true }, { name: 'x_zero_point', optional: true, constant: true }],
  attributes: {
    axis: { type: 'int', default: 1 },
    block_size: { type: 'int', default: 0 },
    output_dtype: { type: 'int', default: 0 },
  },
  summary: 'affine dequantization (per tensor or per axis) to float32',
  validate(node) {
    const problems = validateBlock(node);
    const od = node.attrs['output_dtype'] as number;
    if (od !== 0 && od !== 1) problems.push(`output_dtype ${ONNX_DTYPE_NAMES[od] ?? od} is not supported (float32 only)`);
    return problems;
  },
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    if (!INT_RANGES[x.dtype]) ctx.fail(`input ${quoted(node.inputs[0])} has type ${x.dtype}; only int8, uint8, int16, uint16 and int32 can be dequantized`);
    const { scale, zp, axis, perAxis } = qdqCommon(ctx, node.inputs[0]);
    if (scale.dtype !== 'float32') ctx.fail(`scale has type ${scale.dtype}; only float32 scales are supported`);
    const inputs = [x.name, scale.name, ...(zp ? [zp.name] : [])];
    const out = node.outputs[0];
    if (!ctx.emit('DequantizeLinear', inputs, [out], { axis })) noteFolded(ctx, out, qdqNote('DequantizeLinear', x.dtype, scale, zp, axis, perAxis));
  },
};

// ---------------------------------------------------------------------------------------------- QONNX

const ROUNDING_ALIASES: Record<string, QonnxRoundingMode> = { HALF_EVEN: 'ROUND', ROUND_TO_ZERO: 'DOWN' };

function roundingMode(v: unknown): QonnxRoundingMode | undefined {
  const s = String(v).toUpperCase();
  if ((QONNX_ROUNDING_MODES as readonly string[]).includes(s)) return s as QonnxRoundingMode;
  return ROUNDING_ALIASES[s];
}

const QUANT: OpHandler = {
  op: 'Quant',
  domains: QONNX_DOMAINS,
  opsets: QONNX_OPSETS,
  inputs: [{ name: 'x' }, { name: 'scale', constant: true }, { name: 'zeropt', constant: true }, { name: 'bitwidth', constant: true }],
  attributes: {
    signed: { type: 'int', default: 1 },
    narrow: { type: 'int', default: 0 },
    rounding_mode: { type: 'string', default: 'ROUND' },
  },
  summary: 'QONNX integer quantizer (scale, zero point, bit width)',
  validate(node) {
    const problems: string[] = [];
    if (!roundingMode(node.attrs['rounding_mode'])) {
      problems.push(`rounding_mode ${quoted(String(node.attrs['rounding_mode']))} is not supported (${QONNX_ROUNDING_MODES.join(', ')})`);
    }
    for (const k of ['signed', 'narrow']) if (node.attrs[k] !== 0 && node.attrs[k] !== 1) problems.push(`${k} ${String(node.attrs[k])} must be 0 or 1`);
    return problems;
  },
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    const scale = requireConstant(ctx, node.inputs[1], 'scale');
    const zeropt = requireConstant(ctx, node.inputs[2], 'zero point');
    const bitwidth = requireConstant(ctx, node.inputs[3], 'bitwidth');
    const bw = toNumberArray(bitwidth.data!);
    if (bw.length !== 1) ctx.fail(`bitwidth ${formatShape(bitwidth.shape)} must be a single value`);
    const bits = bw[0];
    if (!Number.isInteger(bits) || bits < 1 || bits > 32) ctx.fail(`bitwidth ${bits} must be an integer from 1 to 32`);
    const s = toNumberArray(scale.data!);
    if (s.some((v) => !(v > 0) || !Number.isFinite(v))) ctx.fail(`scale must be positive and finite`);
    const z = toNumberArray(zeropt.data!);
    const signed = node.attrs['signed'] === 1, narrow = node.attrs['narrow'] === 1;
    const mode = roundingMode(node.attrs['rounding_mode'])!;
    const out = node.outputs[0];
    if (!ctx.emit('Quant', [x.name, scale.name, zeropt.name, bitwidth.name], [out], { signed, narrow, roundingMode: mode })) {
      noteFolded(ctx, out, {
        op: 'Quant', signed, narrow, bits, scale: s, scaleShape: scale.shape as number[], zeropt: z,
        zeroptShape: zeropt.shape as number[], roundingMode: mode,
      });
    }
  },
};

const BIPOLAR_QUANT: OpHandler = {
  op: 'BipolarQuant',
  domains: QONNX_DOMAINS,
  opsets: QONNX_OPSETS,
  inputs: [{ name: 'x' }, { name: 'scale', constant: true }],
  attributes: {},
  summary: 'QONNX binary quantizer: +-scale by the sign of x',
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    const scale = requireConstant(ctx, node.inputs[1], 'scale');
    const s = toNumberArray(scale.data!);
    if (s.some((v) => !(v > 0) || !Number.isFinite(v))) ctx.fail(`scale must be positive and finite`);
    const out = node.outputs[0];
    if (!ctx.emit('BipolarQuant', [x.name, scale.name], [out])) {
      noteFolded(ctx, out, {
        op: 'BipolarQuant', signed: true, narrow: false, bits: 1, scale: s, scaleShape: scale.shape as number[],
        zeropt: [0], zeroptShape: [], roundingMode: 'SIGN',
      });
    }
  },
};

export function registerQuantHandlers(): void {
  registerOpHandler(QUANTIZE_LINEAR);
  registerOpHandler(DEQUANTIZE_LINEAR);
  registerOpHandler(QUANT);
  registerOpHandler(BIPOLAR_QUANT);
}
