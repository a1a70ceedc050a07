import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dtypeOfData } from '../ir/graph.js';
import type { Dim, DType, TensorData } from '../ir/types.js';
import { AttributeType, modelType, type AttributeMsg, type GraphMsg, type Int64, type ModelMsg, type NodeMsg, type TensorProtoMsg, type ValueInfoMsg } from './proto.js';
import { DTYPE_TO_ONNX } from './tensor.js';

/**
 * A small typed API for writing ONNX models from TypeScript (tests, the example models, benchmarks).
 *
 * Tensor data stays in typed arrays: raw_data is a byte view of the caller's array (no per-element copy on the
 * way to protobufjs), so a model with millions of parameters encodes in one pass. The builder does not check
 * that the graph makes sense: tests also use it to write broken models on purpose.
 *
 *   const m = new ModelBuilder({ opsets: { '': 13 } });
 *   m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 5]);
 *   m.initializer('W', weights, [5, 16]).initializer('b', bias, [5]);
 *   m.node('Gemm', ['x', 'W', 'b'], ['y'], { transB: 1, alpha: attr.float(1) });
 *   const bytes = m.toBytes();            // or m.save('model.onnx') with external data files
 */

/** An element type: a firmflow dtype name, or a raw ONNX TensorProto.DataType code (e.g. 8 = STRING). */
export type ElemType = DType | number;

/** A declared dimension: a size, a symbolic name, or null for "unknown" (neither dim_value nor dim_param). */
export type DeclaredDim = Dim | null;

export interface ValueDecl {
  name: string;
  type?: ElemType;
  /** Omit to declare no shape at all (unknown rank). */
  shape?: DeclaredDim[];
}

/** How an initializer or constant tensor stores its values. */
export type TensorStorage =
  | 'raw'
  | 'fields'
  | { external: string; offset?: number; align?: number };

export interface TensorOptions {
  /**
   * Element type to store; default from the array (Float32Array -> float32 ...). float16/bfloat16 accept a
   * Float32Array/Float64Array (converted, round to nearest even) or a Uint16Array of raw bits. bool accepts a
   * Uint8Array of 0/1.
   */
  dtype?: DType;
  /** raw_data (default), the typed repeated fields, or an external file relative to the model. */
  storage?: TensorStorage;
}

/** Data accepted for a tensor: a typed array, or plain numbers (stored as float32 unless `dtype` says otherwise). */
export type TensorInput = TensorData | number[];

/** An explicitly typed attribute value (plain JS values are typed by `attr()` rules). */
export interface TypedAttr {
  readonly __attr: true;
  readonly msg: Omit<AttributeMsg, 'name'>;
}

export type AttrInput = number | string | boolean | number[] | string[] | TypedAttr;

const typed = (msg: Omit<AttributeMsg, 'name'>): TypedAttr => ({ __attr: true, msg });

/** Constructors for attributes whose type cannot be told from a JS value (an integral float, an empty list ...). */
export const attr = {
  int: (v: number | bigint): TypedAttr => typed({ type: AttributeType.INT, i: int64(v) }),
  float: (v: number): TypedAttr => typed({ type: AttributeType.FLOAT, f: v }),
  string: (v: string): TypedAttr => typed({ type: AttributeType.STRING, s: utf8(v) }),
  ints: (v: readonly (number | bigint)[]): TypedAttr => typed({ type: AttributeType.INTS, ints: v.map(int64) }),
  floats: (v: readonly number[]): TypedAttr => typed({ type: AttributeType.FLOATS, floats: [...v] }),
  strings: (v: readonly string[]): TypedAttr => typed({ type: AttributeType.STRINGS, strings: v.map(utf8) }),
  tensor: (data: TensorInput, dims: readonly number[], options: Omit<TensorOptions, 'storage'> & { storage?: 'raw' | 'fields' } = {}): TypedAttr =>
    typed({ type: AttributeType.TENSOR, t: tensorProto('', data, dims, options) }),
  tensors: (ts: { data: TensorInput; dims: readonly number[]; dtype?: DType }[]): TypedAttr =>
    typed({ type: AttributeType.TENSORS, tensors: ts.map((t) => tensorProto('', t.data, t.dims, { dtype: t.dtype })) }),
  graph: (g: GraphBuilder): TypedAttr => typed({ type: AttributeType.GRAPH, g: g.graphProto() }),
  graphs: (gs: GraphBuilder[]): TypedAttr => typed({ type: AttributeType.GRAPHS, graphs: gs.map((g) => g.graphProto()) }),
  /** An attribute with no value of its own: it names an attribute of the enclosing function. */
  ref: (refName: string, type: number): TypedAttr => typed({ type, ref_attr_name: refName }),
  /** Any message fields as given (e.g. a wrong type code, to test error handling). */
  raw: (msg: Omit<AttributeMsg, 'name'>): TypedAttr => typed(msg),
};

function utf8(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

/** int64 as protobufjs encodes it: a number when exact, else low/high words. */
function int64(v: number | bigint): Int64 {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`int64 value ${v} is not a safe integer`);
    return v;
  }
  const b = BigInt.asUintN(64, v);
  const low = Number(b & 0xffffffffn) | 0;
  const high = Number(b >> 32n) | 0;
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return { low, high, unsigned: false, toNumber: () => Number(v) };
}

/** Types a plain JS value: integers -> INT(S), other numbers -> FLOAT(S), booleans -> INT, strings -> STRING(S). */
function attributeMsg(name: string, v: AttrInput): AttributeMsg {
  if (typeof v === 'object' && v !== null && '__attr' in v) return { name, ...v.msg };
  if (typeof v === 'boolean') return { name, type: AttributeType.INT, i: v ? 1 : 0 };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, ...attr.int(v).msg } : { name, ...attr.float(v).msg };
  if (typeof v === 'string') return { name, ...attr.string(v).msg };
  if (Array.isArray(v)) {
    if (v.length === 0) throw new Error(`attribute '${name}': an empty list has no type; use attr.ints([]) or attr.floats([])`);
    if (v.every((x) => typeof x === 'string')) return { name, ...attr.strings(v as string[]).msg };
    const nums = v as number[];
    return nums.every((x) => Number.isInteger(x)) ? { name, ...attr.ints(nums).msg } : { name, ...attr.floats(nums).msg };
  }
  throw new Error(`attribute '${name}': cannot encode value ${String(v)}`);
}

function dtypeOfArray(data: TensorInput): DType {
  return Array.isArray(data) ? 'float32' : dtypeOfData(data);
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** float -> IEEE half bits, round to nearest even (overflow to infinity). */
export function floatToHalfBits(x: number): number {
  F32[0] = x;
  const b = U32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = man >>> shift;
    const rest = man & ((1 << shift) - 1);
    if (rest > half || (rest === half && (m & 1))) m++;
    return sign | m;
  }
  let m = man >>> 13;
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++;
    if (m === 0x400) { m = 0; e++; if (e >= 0x1f) return sign | 0x7c00; }
  }
  return sign | (e << 10) | m;
}

/** float -> bfloat16 bits, round to nearest even. */
export function floatToBfloat16Bits(x: number): number {
  F32[0] = x;
  const b = U32[0];
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff)) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The array in the storage type ONNX uses for `dtype` (little-endian bytes are its raw_data). */
function storageArray(data: TensorInput, dtype: DType): TensorData {
  const src = Array.isArray(data) ? Float64Array.from(data) : data;
  const wantCtor = {
    float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array,
    uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, bool: Uint8Array,
  } as const;
  switch (dtype) {
    case 'float16': case 'bfloat16': {
      if (src instanceof Uint16Array) return src;
      const conv = dtype === 'float16' ? floatToHalfBits : floatToBfloat16Bits;
      const out = new Uint16Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = conv(Number(src[i]));
      return out;
    }
    case 'int64':
      if (src instanceof BigInt64Array) return src;
      return BigInt64Array.from(src as ArrayLike<number | bigint>, (v) => BigInt(v));
    case 'uint64':
      if (src instanceof BigUint64Array) return src;
      return BigUint64Array.from(src as ArrayLike<number | bigint>, (v) => BigInt(v));
    default: {
      const C = wantCtor[dtype] as unknown as { new (n: number): Float64Array };
      if (src instanceof C) return src;
      const out = new C(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out as TensorData;
    }
  }
}

function bytesOf(a: TensorData): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** The typed repeated fields ONNX defines for `dtype` (int32_data carries the small types and 16-bit floats). */
function fieldsOf(arr: TensorData, dtype: DType): Partial<TensorProtoMsg> {
  switch (dtype) {
    case 'float32': return { float_data: arr as unknown as number[] };
    case 'float64': return { double_data: arr as unknown as number[] };
    case 'int64': return { int64_data: Array.from(arr as BigInt64Array, (v) => int64(v)) };
    case 'uint32': return { uint64_data: Array.from(arr as Uint32Array) };
    case 'uint64': return { uint64_data: Array.from(arr as BigUint64Array, (v) => int64(BigInt.asIntN(64, v))) };
    default: return { int32_data: arr as unknown as number[] };
  }
}

function elemCode(t: ElemType): number {
  return typeof t === 'number' ? t : DTYPE_TO_ONNX[t];
}

/** A TensorProto message from a typed array (external storage is resolved by the model builder). */
export function tensorProto(name: string, data: TensorInput, dims: readonly number[], options: TensorOptions = {}): TensorProtoMsg {
  const dtype = options.dtype ?? dtypeOfArray(data);
  const arr = storageArray(data, dtype);
  const n = dims.reduce((p, d) => p * d, 1);
  if (arr.length !== n) throw new Error(`tensor '${name}': ${arr.length} values for dims [${dims.join(', ')}] (${n} elements)`);
  const msg: TensorProtoMsg = { name, dims: dims.map((d) => int64(d)), data_type: DTYPE_TO_ONNX[dtype] };
  if (options.storage === 'fields') Object.assign(msg, fieldsOf(arr, dtype));
  else msg.raw_data = bytesOf(arr);
  return msg;
}

function valueInfo(v: ValueDecl): ValueInfoMsg {
  const tensor_type: NonNullable<NonNullable<ValueInfoMsg['type']>['tensor_type']> = { elem_type: elemCode(v.type ?? 'float32') };
  if (v.shape) {
    tensor_type.shape = {
      dim: v.shape.map((d) => (d === null ? {} : typeof d === 'number' ? { dim_value: d } : { dim_param: d })),
    };
  }
  return { name: v.name, type: { tensor_type } };
}

export interface NodeOptions {
  name?: string;
  domain?: string;
}

/** Pending external data, written beside the model by `save()`. */
interface ExternalChunk { location: string; bytes: Uint8Array; offset: number }

/** A graph: inputs, outputs, initializers, nodes. Also the body of GRAPH attributes. */
export class GraphBuilder {
  protected readonly nodes: NodeMsg[] = [];
  protected readonly inits: TensorProtoMsg[] = [];
  protected readonly ins: ValueInfoMsg[] = [];
  protected readonly outs: ValueInfoMsg[] = [];
  protected readonly infos: ValueInfoMsg[] = [];
  protected readonly external: ExternalChunk[] = [];
  private readonly externalEnd = new Map<string, number>();
  private counter = 0;

  constructor(public name = 'graph') {}

  /** Declares a graph input; shape entries are sizes, symbolic names, or null (unknown). */
  input(name: string, type: ElemType, shape?: DeclaredDim[]): this {
    this.ins.push(valueInfo({ name, type, shape }));
    return this;
  }

  output(name: string, type: ElemType = 'float32', shape?: DeclaredDim[]): this {
    this.outs.push(valueInfo({ name, type, shape }));
    return this;
  }

  valueInfo(name: string, type: ElemType, shape?: DeclaredDim[]): this {
    this.infos.push(valueInfo({ name, type, shape }));
    return this;
  }

  /** Adds an initializer; with `storage: { external }` its bytes go to that file (relative to the model). */
  initializer(name: string, data: TensorInput, dims: readonly number[], options: TensorOptions = {}): this {
    const storage = options.storage;
    if (storage && typeof storage === 'object') {
      const msg = tensorProto(name, data, dims, { dtype: options.dtype, storage: 'raw' });
      const bytes = msg.raw_data!;
      delete msg.raw_data;
      const align = storage.align ?? 1;
      const end = this.externalEnd.get(storage.external) ?? 0;
      const offset = storage.offset ?? Math.ceil(end / align) * align;
      this.externalEnd.set(storage.external, Math.max(end, offset + bytes.length));
      this.external.push({ location: storage.external, bytes, offset });
      msg.data_location = 1;
      msg.external_data = [
        { key: 'location', value: storage.external },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.length) },
      ];
      this.inits.push(msg);
    } else {
      this.inits.push(tensorProto(name, data, dims, options));
    }
    return this;
  }

  /** Adds an initializer message as given (declared-only shapes, odd types: for error tests). */
  rawInitializer(msg: TensorProtoMsg): this {
    this.inits.push(msg);
    return this;
  }

  /** Adds a node. Attribute values are typed by `attr()` rules; use `attr.float(1)` for integral floats. */
  node(op: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInput> = {}, options: NodeOptions = {}): this {
    const msg: NodeMsg = {
      op_type: op,
      name: options.name ?? `${op}_${this.counter++}`,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => attributeMsg(k, v)),
    };
    if (options.domain) msg.domain = options.domain;
    this.nodes.push(msg);
    return this;
  }

  /** Adds a node message as given. */
  rawNode(msg: NodeMsg): this {
    this.nodes.push(msg);
    return this;
  }

  graphProto(): GraphMsg {
    return {
      name: this.name,
      node: this.nodes,
      initializer: this.inits,
      input: this.ins,
      output: this.outs,
      value_info: this.infos,
    };
  }
}

export interface ModelOptions {
  /** ONNX IR version (default 8). */
  irVersion?: number;
  /**
   * Opset per domain ('' is the default domain). Default { '': 13 }. Leave the default domain out to write an
   * old-style model that imports only custom domains.
   */
  opsets?: Record<string, number>;
  producer?: string;
  graphName?: string;
}

/** A whole model. `toBytes()` gives the .onnx bytes; `save()` also writes external data files. */
export class ModelBuilder extends GraphBuilder {
  readonly irVersion: number;
  readonly opsets: Record<string, number>;
  producer: string;

  constructor(options: ModelOptions = {}) {
    super(options.graphName ?? 'graph');
    this.irVersion = options.irVersion ?? 8;
    this.opsets = options.opsets ?? { '': 13 };
    this.producer = options.producer ?? 'firmflow-builder';
  }

  /** The ModelProto as a plain object (for tests that want to damage it before encoding). */
  modelProto(): ModelMsg {
    return {
      ir_version: this.irVersion,
      producer_name: this.producer,
      opset_import: Object.entries(this.opsets).map(([domain, version]) => ({ domain, version })),
      graph: this.graphProto(),
    };
  }

  toBytes(): Uint8Array {
    return encodeModelFast(this.modelProto());
  }

  /** External data files (location -> bytes) that `save()` writes beside the model. */
  externalFiles(): Map<string, Uint8Array> {
    const sizes = new Map<string, number>();
    for (const c of this.external) sizes.set(c.location, Math.max(sizes.get(c.location) ?? 0, c.offset + c.bytes.length));
    const files = new Map<string, Uint8Array>();
    for (const [loc, size] of sizes) files.set(loc, new Uint8Array(size));
    for (const c of this.external) files.get(c.location)!.set(c.bytes, c.offset);
    return files;
  }

  /** Writes the model and its external data files; returns the model bytes. */
  save(path: string): Uint8Array {
    const bytes = this.toBytes();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    for (const [loc, data] of this.externalFiles()) {
      const target = join(dirname(path), loc);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
    return bytes;
  }
}

/**
 * Encodes a ModelProto-shaped object without protobufjs' verify/fromObject round (which would walk every
 * element of large tensors); the builder produces messages in the shapes the encoder expects.
 */
export function encodeModelFast(model: ModelMsg): Uint8Array {
  return modelType().encode(model as Record<string, unknown>).finish();
}
