import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { FirmflowError, quoted } from '../errors.js';
import type { DType, TensorData } from '../ir/types.js';
import type { TensorLimits } from './limits.js';
import { toNum, type Int64, type TensorProtoMsg } from './proto.js';

/** ONNX TensorProto.DataType codes firmflow reads, and what they become. */
export const ONNX_DTYPES: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

export const ONNX_DTYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128',
  16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4',
  22: 'INT4', 23: 'FLOAT4E2M1',
};

export const DTYPE_TO_ONNX: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
  uint32: 12, uint64: 13, bfloat16: 16,
};

const BYTES: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2,
  uint32: 4, uint64: 8, bool: 1,
};

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

export { DEFAULT_LIMITS, type TensorLimits } from './limits.js';

export interface DecodedTensor {
  name: string;
  dims: number[];
  dtype: DType;
  data: TensorData;
}

export interface TensorReadContext {
  /** Folder external data is resolved in; undefined for in-memory models (external data is then an error). */
  baseDir?: string;
  /** Prefix for messages, e.g. the model file name. */
  source: string;
  limits: TensorLimits;
}

/** Element count of dims, refusing sizes beyond the limit before anything is allocated. */
export function checkedElementCount(dims: number[], what: string, ctx: TensorReadContext): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new FirmflowError('onnx.shape', `${ctx.source}: ${what} has an invalid dimension ${d} in [${dims.join(', ')}]`);
    n *= d;
    if (n > ctx.limits.maxElements) {
      throw new FirmflowError('onnx.size', `${ctx.source}: ${what} declares shape [${dims.join(', ')}], more than the limit of ${ctx.limits.maxElements} elements`);
    }
  }
  return n;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bf16ToF32(bits: Uint16Array): Float32Array {
  const u32 = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i] << 16;
  return new Float32Array(u32.buffer);
}

/** Copies little-endian bytes into a fresh, aligned typed array of the dtype's storage type. */
function fromRaw(dtype: DType, bytes: Uint8Array, n: number, what: string, ctx: TensorReadContext): TensorData {
  const need = n * BYTES[dtype];
  if (bytes.length !== need) {
    throw new FirmflowError('onnx.tensor', `${ctx.source}: ${what} holds ${bytes.length} bytes of data but its shape and type need ${need}`);
  }
  const buf = new ArrayBuffer(need);
  new Uint8Array(buf).set(bytes);
  switch (dtype) {
    case 'float32': return new Float32Array(buf);
    case 'float64': return new Float64Array(buf);
    case 'int8': return new Int8Array(buf);
    case 'int16': return new Int16Array(buf);
    case 'int32': return new Int32Array(buf);
    case 'int64': return new BigInt64Array(buf);
    case 'uint8': case 'bool': return new Uint8Array(buf);
    case 'uint16': return new Uint16Array(buf);
    case 'uint32': return new Uint32Array(buf);
    case 'uint64': return new BigUint64Array(buf);
    case 'float16': { const h = new Uint16Array(buf); const f = new Float32Array(n); for (let i = 0; i < n; i++) f[i] = f16ToF32(h[i]); return f; }
    case 'bfloat16': return bf16ToF32(new Uint16Array(buf));
  }
}

function int64ToBig(v: Int64): bigint {
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

/** Reads the typed (non-raw) fields of a TensorProto. */
function fromFields(dtype: DType, t: TensorProtoMsg, n: number, what: string, ctx: TensorReadContext): TensorData {
  const pick = <T>(arr: T[] | undefined, field: string): T[] => {
    const a = arr ?? [];
    if (a.length !== n) throw new FirmflowError('onnx.tensor', `${ctx.source}: ${what} has ${a.length} values in ${field} but its shape needs ${n}`);
    return a;
  };
  switch (dtype) {
    case 'float32': return Float32Array.from(pick(t.float_data, 'float_data'));
    case 'float64': return Float64Array.from(pick(t.double_data, 'double_data'));
    case 'int8': return Int8Array.from(pick(t.int32_data, 'int32_data'));
    case 'int16': return Int16Array.from(pick(t.int32_data, 'int32_data'));
    case 'int32': return Int32Array.from(pick(t.int32_data, 'int32_data'));
    case 'uint8': case 'bool': return Uint8Array.from(pick(t.int32_data, 'int32_data'));
    case 'uint16': return Uint16Array.from(pick(t.int32_data, 'int32_data'));
    case 'float16': return Float32Array.from(pick(t.int32_data, 'int32_data'), (h) => f16ToF32(h & 0xffff));
    case 'bfloat16': return bf16ToF32(Uint16Array.from(pick(t.int32_data, 'int32_data'), (h) => h & 0xffff));
    case 'int64': return BigInt64Array.from(pick(t.int64_data, 'int64_data'), (v) => BigInt.asIntN(64, int64ToBig(v)));
    case 'uint32': return Uint32Array.from(pick(t.uint64_data, 'uint64_data'), (v) => Number(BigInt.asUintN(32, int64ToBig(v))));
    case 'uint64': return BigUint64Array.from(pick(t.uint64_data, 'uint64_data'), (v) => BigInt.asUintN(64, int64ToBig(v)));
  }
}

/**
 * Reads external data (`location`, `offset`, `length`). The location must stay inside the model's folder,
 * also after symbolic links are resolved.
 */
function readExternal(t: TensorProtoMsg, need: number, what: string, ctx: TensorReadContext): Uint8Array {
  const kv = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (!location) throw new FirmflowError('onnx.external', `${ctx.source}: ${what} uses external data without a 'location'`);
  if (!ctx.baseDir) throw new FirmflowError('onnx.external', `${ctx.source}: ${what} refers to external file ${quoted(location)}, but the model was given as bytes; load it from its file`);
  const base = realpathSync(ctx.baseDir);
  const target = resolve(base, location);
  const inside = (p: string) => { const r = relative(base, p); return r !== '' && !r.startsWith('..') && !isAbsolute(r) && !r.split(sep).includes('..'); };
  if (isAbsolute(location) || !inside(target)) {
    throw new FirmflowError('onnx.external', `${ctx.source}: ${what} external data location ${quoted(location)} points outside the model's folder`);
  }
  let real: string;
  try {
    real = realpathSync(target);
  } catch {
    throw new FirmflowError('onnx.external', `${ctx.source}: ${what} external data file ${quoted(location)} does not exist`);
  }
  if (!inside(real)) throw new FirmflowError('onnx.external', `${ctx.source}: ${what} external data location ${quoted(location)} resolves outside the model's folder`);
  const offset = Number(kv.get('offset') ?? 0);
  const length = kv.has('length') ? Number(kv.get('length')) : need;
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new FirmflowError('onnx.external', `${ctx.source}: ${what} has an invalid external data offset/length`);
  }
  if (length !== need) {
    throw new FirmflowError('onnx.tensor', `${ctx.source}: ${what} declares ${length} bytes of external data but its shape and type need ${need}`);
  }
  const fd = openRegularFile(real, (why) => `${ctx.source}: ${what} external data ${quoted(location)} cannot be read (${why})`);
  try {
    const size = fstatSync(fd).size;
    if (offset + length > size) {
      throw new FirmflowError('onnx.external', `${ctx.source}: ${what} needs bytes ${offset}..${offset + length} of ${quoted(location)}, which has only ${size}`);
    }
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const r = readSync(fd, out, got, length - got, offset + got);
      if (r <= 0) break;
      got += r;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a file for reading only if it is a regular file. A named pipe must never be opened for reading (open
 * blocks until a writer appears: the process would hang, deaf to signals), nor a device or folder: the type is
 * checked before opening, the open itself does not block or follow a link swapped in meanwhile, and the opened
 * file must be the one checked.
 */
export function openRegularFile(path: string, message: (reason: string) => string, code = 'onnx.external'): number {
  const refuse = (kind: string): never => { throw new FirmflowError(code, message(`${kind}, not a regular file`)); };
  let before;
  try {
    // Links are resolved first (a model may well be a link); the open below then refuses one swapped in later.
    path = realpathSync(path);
    before = lstatSync(path);
  } catch (e) {
    throw new FirmflowError(code, message((e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  if (!before.isFile()) refuse(fileKind(before));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    throw new FirmflowError(code, message((e as NodeJS.ErrnoException).code ?? (e as Error).message));
  }
  const after = fstatSync(fd);
  if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
    closeSync(fd);
    refuse(after.isFile() ? 'a file that changed while it was opened' : fileKind(after));
  }
  return fd;
}

function fileKind(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Converts an ONNX TensorProto to a typed array with its dims. */
export function decodeTensor(t: TensorProtoMsg, ctx: TensorReadContext, what = `tensor ${quoted(t.name ?? '')}`): DecodedTensor {
  const code = t.data_type ?? 0;
  const dtype = ONNX_DTYPES[code];
  if (!dtype) {
    throw new FirmflowError('onnx.dtype', `${ctx.source}: ${what} has element type ${ONNX_DTYPE_NAMES[code] ?? code}, which firmflow does not read`);
  }
  const dims = (t.dims ?? []).map((d) => toNum(d));
  const n = checkedElementCount(dims, what, ctx);
  if (n * BYTES[dtype] > ctx.limits.maxTensorBytes) {
    throw new FirmflowError('onnx.size', `${ctx.source}: ${what} of shape [${dims.join(', ')}] needs ${n * BYTES[dtype]} bytes, more than the limit of ${ctx.limits.maxTensorBytes} (FIRMFLOW_MAX_TENSOR_BYTES)`);
  }
  let data: TensorData;
  if (t.data_location === 1) data = fromRaw(dtype, readExternal(t, n * BYTES[dtype], what, ctx), n, what, ctx);
  else if (t.raw_data && t.raw_data.length > 0) data = fromRaw(dtype, t.raw_data, n, what, ctx);
  else data = fromFields(dtype, t, n, what, ctx);
  return { name: t.name ?? '', dims, dtype, data };
}

/** Values of a small integer or float tensor as plain numbers (shape vectors, axes, scalars). */
export function toNumberArray(data: TensorData): number[] {
  const out = new Array<number>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** Any tensor data as float64 (for the interpreter and folding). */
export function toFloat64(data: TensorData): Float64Array {
  if (data instanceof Float64Array) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Float64Array.from(data, (v) => Number(v));
  return Float64Array.from(data as ArrayLike<number>);
}

/** Flat index of the first NaN or infinity in float data, or -1 (integer data is always finite). */
export function firstNonFinite(data: TensorData): number {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return -1;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

/** Row-major position of flat index `i` in `dims`, e.g. [1, 3]. */
function position(i: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(0);
  for (let k = dims.length - 1, rest = i; k >= 0; k--) {
    const d = dims[k] || 1;
    out[k] = rest % d;
    rest = Math.floor(rest / d);
  }
  return out;
}

/**
 * Refuses constants holding NaN or an infinity: fixed-point types have no such values, and converting them
 * silently gives numbers the model never had. Names the tensor and the first offending element.
 */
export function checkFinite(data: TensorData, dims: readonly number[], what: string, source: string): void {
  const i = firstNonFinite(data);
  if (i < 0) return;
  const v = Number(data[i]);
  throw new FirmflowError(
    'onnx.nonfinite',
    `${source}: ${what} holds ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Infinity' : '-Infinity'} at index ${i}${dims.length > 1 ? ` (position [${position(i, dims).join(', ')}])` : ''}; firmflow converts finite constants only (fix the value in the model)`,
    { index: i },
  );
}
