import { normAxes, normAxis } from '../../ir/shape.js';
import type { Dim, DType } from '../../ir/types.js';
import type { LowerContext } from '../handlers.js';

/**
 * Helpers shared by the handler files: reading ONNX operands that firmflow needs as constants (axes, shapes,
 * bounds), and the symbolic shape values that let `x.view(x.size(0), -1)` keep a dynamic batch.
 */

/** IR tensor name of input `i` of the node ('' when absent). */
export function inputName(ctx: LowerContext, i: number): string {
  const n = ctx.node.inputs[i];
  return n === undefined || n === '' ? '' : ctx.tensor(n).name;
}

/** Whether optional input `i` is given. */
export function hasInput(ctx: LowerContext, i: number): boolean {
  const n = ctx.node.inputs[i];
  return n !== undefined && n !== '';
}

/** Rank of input `i`. */
export function rankOf(ctx: LowerContext, i: number): number {
  return ctx.tensor(ctx.node.inputs[i]).shape.length;
}

/**
 * An axes list that is an attribute before `inputFrom` and an optional constant input afterwards (Squeeze,
 * Unsqueeze, ReduceMean ...). Undefined when neither is given.
 */
export function axesOperand(ctx: LowerContext, inputIndex: number): number[] | undefined {
  const attr = ctx.node.attrs['axes'];
  if (hasInput(ctx, inputIndex)) {
    if (attr !== undefined) ctx.fail("gives axes both as attribute and as input");
    return ctx.constantValues(ctx.node.inputs[inputIndex], 'axes');
  }
  return Array.isArray(attr) ? (attr as number[]) : undefined;
}

/** Normalized, sorted axes or a node error. */
export function checkedAxes(ctx: LowerContext, axes: number[], rank: number, what = 'axes'): number[] {
  try {
    return normAxes(axes, rank, what);
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

export function checkedAxis(ctx: LowerContext, axis: number, rank: number, what = 'axis'): number {
  try {
    return normAxis(axis, rank, what);
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

/** Symbolic value of an input that is not a plain constant (a shape vector holding the batch name). */
export function symbolicOnly(ctx: LowerContext, onnxName: string): Dim[] | undefined {
  if (!onnxName || ctx.constant(onnxName)) return undefined;
  return ctx.symbolic(onnxName);
}

const INT_DTYPES = new Set<DType>(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);

export function isIntegerType(d: DType): boolean {
  return INT_DTYPES.has(d);
}

/**
 * Defines output 0 as a shape-vector value: a constant when every entry is a number, otherwise the node is
 * emitted (so the value can still be computed at run time) and its symbolic value recorded for readers such as
 * Reshape. Dead shape nodes vanish when the frontend removes dead code.
 */
export function defineShapeValue(ctx: LowerContext, value: Dim[], dims: number[], dtype: DType, emit: () => void): void {
  const out = ctx.node.outputs[0];
  if (value.every((v) => typeof v === 'number')) {
    const nums = value as number[];
    ctx.defineConstant(out, dims, dtype === 'int64' ? BigInt64Array.from(nums, (v) => BigInt(v)) : constantArray(dtype, nums));
    return;
  }
  emit();
  ctx.setSymbolic(out, value);
}

function constantArray(dtype: DType, v: number[]) {
  switch (dtype) {
    case 'int32': return Int32Array.from(v);
    case 'int16': return Int16Array.from(v);
    case 'int8': return Int8Array.from(v);
    case 'uint8': case 'bool': return Uint8Array.from(v);
    case 'uint16': return Uint16Array.from(v);
    case 'uint32': return Uint32Array.from(v);
    case 'uint64': return BigUint64Array.from(v, (x) => BigInt(x));
    case 'float64': return Float64Array.from(v);
    default: return Float32Array.from(v);
  }
}
