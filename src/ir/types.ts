/** Element types of IR tensors (ONNX's numeric types, by name). */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

/**
 * A dimension: a number, or a string naming a symbolic dimension. Only the batch axis (axis 0 of graph inputs and
 * what derives from it) may be symbolic; the frontend rejects other dynamic dimensions.
 */
export type Dim = number | string;
export type Shape = Dim[];

/** Constant data. Integers wider than 32 bits are kept as BigInt64Array so int64 initializers stay exact. */
export type TensorData =
  | Float32Array | Float64Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type AttrValue = number | string | boolean | number[] | string[] | null | { [k: string]: AttrValue } | AttrValue[];
export type Attrs = Record<string, AttrValue>;

export type RoundingMode = 'TRN' | 'TRN_ZERO' | 'RND' | 'RND_ZERO' | 'RND_MIN_INF' | 'RND_INF' | 'RND_CONV';
export type OverflowMode = 'WRAP' | 'SAT' | 'SAT_ZERO' | 'SAT_SYM' | 'WRAP_SM';

/**
 * A fixed-point type in ap_fixed terms: value = integer * 2^-(width - integer). `signed` false is ap_ufixed.
 * Integer types are the case integer == width.
 */
export interface FixedType {
  signed: boolean;
  width: number;
  integer: number;
  rounding: RoundingMode;
  overflow: OverflowMode;
  /** Saturation bits for the WRAP_SM / WRAP variants (ap_fixed's N parameter). */
  satBits?: number;
}

/**
 * Affine quantization that is not an exact fixed-point type (a scale that is not a power of two, or a non-zero
 * zero point): real = (q - zeroPoint) * scale, per tensor or per `axis`.
 */
export interface AffineQuant {
  scale: Float64Array;
  zeroPoint: Float64Array;
  axis?: number;
  bits: number;
  signed: boolean;
  narrow: boolean;
}

export function elementCount(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') throw new Error(`elementCount of symbolic shape [${shape.join(',')}]`);
    n *= d;
  }
  return n;
}

export function isStaticShape(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}

export function formatShape(shape: readonly Dim[]): string {
  return `[${shape.join(', ')}]`;
}
