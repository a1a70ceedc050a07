import { type Attrs, type DType, FirmflowError, type FixedType, Graph } from 'firmflow';
import type { HlsLayer, HlsTable } from '../lowered.js';
import type { ProjectNames } from './names.js';

/*
 * The lowered graph as JSON inside firmflow.json, so a written project can be reopened (predict needs only the
 * ports; emulate and trace need the whole lowered graph). Constants are not repeated: they refer to their array in
 * weights.bin, whose codes are the single copy.
 */

interface TensorJson {
  name: string;
  shape: (number | string)[];
  dtype: DType;
  precision?: FixedType;
  meta: Record<string, unknown>;
  /** Constant: name of its array in weights.bin. */
  weights?: string;
}

interface NodeJson {
  name: string;
  op: string;
  attrs: Attrs;
  inputs: string[];
  outputs: string[];
  origin?: { op: string; name: string; domain?: string };
  hls?: Omit<HlsLayer, 'tables'> & { tables?: Record<string, Omit<HlsTable, 'codes'> & { codes: number[] }> };
}

export interface GraphJson {
  name: string;
  meta: Record<string, unknown>;
  inputs: { name: string; tensor: string }[];
  outputs: { name: string; tensor: string }[];
  tensors: TensorJson[];
  nodes: NodeJson[];
}

const KEEP_TENSOR_META = ['hlsShape', 'hlsStream', 'hlsModelPrecision'];

/**
 * `constants`: the weights.bin array of each constant tensor the project writes. A constant no layer reads gets a
 * name of its own that no array has (it is reopened as zeros of its shape).
 */
export function serializeGraph(g: Graph, constants: ReadonlyMap<string, { name: string }>, names: ProjectNames): GraphJson {
  const tensors: TensorJson[] = [...g.tensors.values()].map((t) => {
    const meta: Record<string, unknown> = {};
    for (const k of KEEP_TENSOR_META) if (t.meta[k] !== undefined) meta[k] = t.meta[k];
    return { name: t.name, shape: t.shape, dtype: t.dtype, ...(t.precision ? { precision: t.precision } : {}), meta, ...(t.data ? { weights: constants.get(t.name)?.name ?? names.constant(t) } : {}) };
  });
  const nodes: NodeJson[] = g.topoOrder().map((n) => {
    const h = n.meta['hls'] as HlsLayer | undefined;
    const hls = h
      ? { ...h, tables: h.tables ? Object.fromEntries(Object.entries(h.tables).map(([k, t]) => [k, { ...t, codes: Array.from(t.codes) }])) : undefined }
      : undefined;
    return { name: n.name, op: n.op, attrs: n.attrs, inputs: n.inputs, outputs: n.outputs, ...(n.origin ? { origin: n.origin } : {}), ...(hls ? { hls } : {}) };
  });
  const meta: Record<string, unknown> = {};
  if (g.meta['hls'] !== undefined) meta['hls'] = g.meta['hls'];
  return { name: g.name, meta, inputs: g.inputs, outputs: g.outputs, tensors, nodes };
}

/** Reads the arrays of a weights.bin file: name -> codes (as doubles, exact up to 53 bits) and type facts. */
export function readWeightsFile(buf: Uint8Array, file: string): Map<string, { codes: Float64Array; width: number; signed: boolean }> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (why: string): never => { throw new FirmflowError('vitis.project', `${file}: ${why}`); };
  if (buf.length < 12 || String.fromCharCode(buf[0], buf[1], buf[2], buf[3]) !== 'FFWB') bad('not a firmflow weights file');
  let o = 4;
  const u32 = (): number => { if (o + 4 > buf.length) bad('truncated'); const v = dv.getUint32(o, true); o += 4; return v; };
  if (u32() !== 1) bad('unknown weights file version');
  const count = u32();
  const out = new Map<string, { codes: Float64Array; width: number; signed: boolean }>();
  for (let a = 0; a < count; a++) {
    const len = u32();
    if (o + len > buf.length) bad('truncated');
    const name = String.fromCharCode(...buf.subarray(o, o + len));
    o += len;
    const n = u32(), width = u32(), signed = u32() === 1, bytes = u32();
    if (o + n * bytes > buf.length) bad(`array ${name} is truncated`);
    const codes = new Float64Array(n);
    for (let i = 0; i < n; i++, o += bytes) {
      switch (bytes) {
        case 1: codes[i] = signed ? dv.getInt8(o) : dv.getUint8(o); break;
        case 2: codes[i] = signed ? dv.getInt16(o, true) : dv.getUint16(o, true); break;
        case 4: codes[i] = signed ? dv.getInt32(o, true) : dv.getUint32(o, true); break;
        case 8: codes[i] = Number(signed ? dv.getBigInt64(o, true) : dv.getBigUint64(o, true)); break;
        default: bad(`array ${name} has codes of ${bytes} bytes`);
      }
    }
    out.set(name, { codes, width, signed });
  }
  return out;
}

/** Rebuilds the lowered graph of a written project. */
export function deserializeGraph(j: GraphJson, weights: Map<string, { codes: Float64Array }>, file: string): Graph {
  const g = new Graph(j.name);
  g.meta = { ...j.meta };
  for (const t of j.tensors) {
    let data: Float64Array | undefined;
    const meta: Record<string, unknown> = { ...t.meta };
    if (t.weights) {
      const w = weights.get(t.weights);
      if (w && t.precision) {
        const f = 2 ** -(t.precision.width - t.precision.integer);
        data = Float64Array.from(w.codes, (c) => c * f);
        meta['hlsCodes'] = t.precision.width <= (t.precision.signed ? 32 : 31) ? Int32Array.from(w.codes) : Float64Array.from(w.codes);
      } else {
        // A constant no layer reads directly (none are written); keep it as zeros of its shape.
        const n = t.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : 1), 1);
        data = new Float64Array(n);
      }
    }
    g.addTensor({ name: t.name, shape: t.shape, dtype: t.dtype, precision: t.precision, meta, ...(data ? { data, dtype: 'float64' as DType } : {}) });
  }
  for (const n of j.nodes) {
    const meta: Record<string, unknown> = {};
    if (n.hls) {
      const tables = n.hls.tables
        ? Object.fromEntries(Object.entries(n.hls.tables).map(([k, t]) => [k, { ...t, codes: t.type.width <= (t.type.signed ? 32 : 31) ? Int32Array.from(t.codes) : Float64Array.from(t.codes) }]))
        : undefined;
      meta['hls'] = { ...n.hls, ...(tables ? { tables } : {}) };
    }
    g.addNode({ name: n.name, op: n.op, attrs: n.attrs, inputs: n.inputs, outputs: n.outputs, origin: n.origin, meta });
  }
  g.inputs = j.inputs;
  g.outputs = j.outputs;
  void file;
  return g;
}
