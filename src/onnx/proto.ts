import type protobuf from 'protobufjs';
import { protobufjs } from '../util/lazy-deps.js';
import { FirmflowError } from '../errors.js';
import { ONNX_PROTO } from './schema.js';

/* Plain-object views of the ONNX messages as protobufjs decodes them (keepCase, int64 as Long or number). */
export type Int64 = number | { low: number; high: number; unsigned?: boolean; toNumber(): number };

export interface StringStringEntry { key?: string; value?: string }
export interface DimensionProto { dim_value?: Int64; dim_param?: string; value?: string }
export interface TypeProtoMsg {
  tensor_type?: { elem_type?: number; shape?: { dim?: DimensionProto[] } };
  sequence_type?: unknown;
  map_type?: unknown;
  optional_type?: unknown;
  sparse_tensor_type?: unknown;
}
export interface ValueInfoMsg { name?: string; type?: TypeProtoMsg }
export interface TensorProtoMsg {
  dims?: Int64[];
  data_type?: number;
  segment?: unknown;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: Int64[];
  name?: string;
  raw_data?: Uint8Array;
  external_data?: StringStringEntry[];
  data_location?: number;
  double_data?: number[];
  uint64_data?: Int64[];
}
export interface AttributeMsg {
  name?: string;
  ref_attr_name?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorProtoMsg;
  g?: GraphMsg;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorProtoMsg[];
  graphs?: GraphMsg[];
}
export interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeMsg[];
}
export interface GraphMsg {
  node?: NodeMsg[];
  name?: string;
  initializer?: TensorProtoMsg[];
  sparse_initializer?: unknown[];
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
  value_info?: ValueInfoMsg[];
}
export interface OpsetMsg { domain?: string; version?: Int64 }
export interface ModelMsg {
  ir_version?: Int64;
  opset_import?: OpsetMsg[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: Int64;
  doc_string?: string;
  graph?: GraphMsg;
  functions?: unknown[];
  metadata_props?: StringStringEntry[];
}

export const AttributeType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9,
  GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
} as const;

let root: protobuf.Root | undefined;

/** The parsed ONNX schema (parsed once, on first use). */
export function onnxRoot(): protobuf.Root {
  if (!root) root = protobufjs().parse(ONNX_PROTO, { keepCase: true }).root;
  return root;
}

export function modelType(): protobuf.Type {
  return onnxRoot().lookupType('onnx.ModelProto');
}

export function toNum(v: Int64 | undefined | null): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && 'toNumber' in v) return v.toNumber();
  return Number(v);
}

/**
 * Decodes ModelProto bytes. Anything that is not a well-formed ONNX model (truncated, another format, an empty
 * graph) is a FirmflowError that names `source`.
 */
export function decodeModel(bytes: Uint8Array, source: string): ModelMsg {
  if (bytes.length === 0) throw new FirmflowError('onnx.decode', `${source}: the file is empty`);
  let msg: protobuf.Message;
  try {
    checkTopLevel(bytes);
    msg = modelType().decode(bytes);
  } catch (e) {
    const reason = (e as Error).message;
    const truncated = startsLikeModel(bytes) && /index out of range|premature|truncated/i.test(reason);
    throw new FirmflowError(
      'onnx.decode',
      truncated
        ? `${source}: the ONNX file is truncated or corrupt (protobuf decoding stopped: ${reason})`
        : `${source}: not an ONNX model (protobuf decoding failed: ${reason})`,
    );
  }
  const model = msg as unknown as ModelMsg;
  if (!model.graph || (!model.graph.node?.length && !model.graph.output?.length)) {
    throw new FirmflowError('onnx.decode', `${source}: not an ONNX model (no graph found in the protobuf message)`);
  }
  if (toNum(model.ir_version) < 3) {
    throw new FirmflowError('onnx.version', `${source}: ONNX IR version ${toNum(model.ir_version)} is not supported (firmflow reads IR version 3 and later)`);
  }
  return model;
}

/**
 * Whether the first protobuf key is one a ModelProto can start with (a field number of ModelProto with its wire
 * type). Exporters write ir_version first; a text file or another format fails this, a cut-off model does not.
 */
export function startsLikeModel(bytes: Uint8Array): boolean {
  const key = bytes[0];
  const field = key >> 3, wire = key & 7;
  const varintFields = [1, 5];
  const lengthFields = [2, 3, 4, 6, 7, 8, 14];
  return (wire === 0 && varintFields.includes(field)) || (wire === 2 && lengthFields.includes(field));
}

/**
 * Walks the top-level fields of the message (keys and lengths only, no decoding) and throws when they do not
 * tile the bytes exactly. Cheap for any size, it refuses a run of zero bytes or a cut-off file before protobufjs
 * would skip through it byte by byte (a 1 GB file of zeros took half a minute).
 */
function checkTopLevel(bytes: Uint8Array): void {
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (pos >= bytes.length) throw new Error('index out of range: a varint runs past the end');
      const b = bytes[pos++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
    throw new Error('invalid varint encoding');
  };
  while (pos < bytes.length) {
    const at = pos;
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new Error(`invalid field number 0 at byte ${at}`);
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint(); // read first: `pos += varint()` would add to the position from before the length
      pos += len;
    }
    else throw new Error(`invalid wire type ${wire} at byte ${at}`);
    if (pos > bytes.length) throw new Error(`index out of range: field ${field} at byte ${at} runs past the end`);
  }
}

/** Encodes a ModelProto-shaped plain object (used by the model builder and tests). */
export function encodeModel(model: ModelMsg): Uint8Array {
  const T = modelType();
  const err = T.verify(model as Record<string, unknown>);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return T.encode(T.fromObject(model as Record<string, unknown>)).finish();
}
