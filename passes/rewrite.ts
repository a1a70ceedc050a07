import { FirmflowError, quoted } from '../src/errors.js';
import type { Graph, IRNode, Tensor } from '../src/ir/graph.js';
import { getIROp } from '../src/ir/ops.js';
import type { Attrs, DType, FixedType, TensorData } from '../src/ir/types.js';
import { fromFloat64 } from '../src/onnx/frontend.js';
import { toFloat64 } from '../src/onnx/tensor.js';

/** Editing helpers the shared passes have in common. */

/** Creates the output tensor a node of `op` on `inputs` would write, shaped by the op's definition. */
export function inferOutput(graph: Graph, op: string, inputs: string[], attrs: Attrs, hint: string): Tensor {
  const def = getIROp(op);
  if (!def) throw new Error(`IR op '${op}' is not defined`);
  const stub = { name: hint, id: hint, op, attrs, inputs, outputs: [], meta: {} } as unknown as IRNode;
  const [inf] = def.inferShape(stub, inputs.map((t) => (t === '' ? undefined : graph.tensor(t))), graph);
  return graph.addTensor({ name: graph.freshTensorName(hint), shape: inf.shape, dtype: inf.dtype });
}

/** Adds a node whose single output tensor is created with the shape its IR op definition gives. */
export function addInferredNode(
  graph: Graph,
  op: string,
  inputs: string[],
  attrs: Attrs,
  hint: string,
  origin?: IRNode['origin'],
): { node: IRNode; output: Tensor } {
  const output = inferOutput(graph, op, inputs, attrs, hint);
  const node = graph.addNode({ name: graph.freshNodeName(hint), op, attrs, inputs, outputs: [output.name], origin });
  return { node, output };
}

export function samePrecision(a: FixedType | undefined, b: FixedType | undefined): boolean {
  if (!a || !b) return a === b;
  return a.signed === b.signed && a.width === b.width && a.integer === b.integer && a.rounding === b.rounding &&
    a.overflow === b.overflow && (a.satBits ?? 0) === (b.satBits ?? 0);
}

function hasAnnotation(t: Tensor): boolean {
  return t.precision !== undefined || t.quant !== undefined;
}

/**
 * Makes every reader of `from` (and any graph output it is) read `to`, which holds the same values. A quantizer
 * type on `from` must not be lost: it is moved onto `to` only when `to` has no other reader than `soleReader` (the
 * node being bypassed), is no graph output and no constant; otherwise nothing changes and false is returned.
 */
export function forwardTensor(graph: Graph, from: string, to: string, soleReader?: IRNode): boolean {
  const f = graph.tensor(from), t = graph.tensor(to);
  if (hasAnnotation(f) && !(samePrecision(f.precision, t.precision) && f.quant === t.quant)) {
    const readers = graph.consumers(to);
    const alone = readers.length === 0 || (readers.length === 1 && readers[0] === soleReader);
    if (!alone || hasAnnotation(t) || graph.isGraphOutput(to) || t.data !== undefined) return false;
    t.precision = f.precision;
    t.quant = f.quant;
  }
  graph.replaceAllUses(from, to);
  return true;
}

/** Removes a node that passes its input through unchanged, when the tensors' annotations allow it. */
export function bypass(graph: Graph, node: IRNode, inputIndex = 0): boolean {
  const src = node.inputs[inputIndex];
  if (!forwardTensor(graph, node.outputs[0], src, node)) return false;
  graph.removeNode(node.name);
  return true;
}

/** Constant data of a tensor as float64 (a fresh copy: callers may write into it). */
export function constValues(graph: Graph, name: string): Float64Array | undefined {
  const t = graph.tensors.get(name);
  if (!t?.data) return undefined;
  const v = toFloat64(t.data);
  return v === t.data ? Float64Array.from(v) : v;
}

/** Any typed data as a fresh float64 array. */
export function toFloat64Copy(data: TensorData): Float64Array {
  const v = toFloat64(data);
  return v === data ? Float64Array.from(v) : v;
}

/** The data type new constants derived from a weight are stored in: the weight's own float type. */
export function storageType(dtype: DType): DType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

/**
 * Adds a constant from float64 values stored as `dtype` (or from `raw`, already in storage form), carrying over the
 * quantizer annotations of `like` when given (only when the values are the same numbers).
 */
export function addConstant(graph: Graph, hint: string, shape: number[], values: Float64Array, dtype: DType, like?: Tensor, raw?: TensorData): Tensor {
  const t = graph.addConstant(hint, shape, raw ?? (fromFloat64(dtype, values) as TensorData), dtype);
  if (like) {
    t.precision = like.precision;
    t.quant = like.quant;
    if (like.meta['quantizer'] !== undefined) t.meta['quantizer'] = like.meta['quantizer'];
  }
  return t;
}

/**
 * Adds the transpose of constant `t` (shape t.shape[perm[i]]). The values are the same numbers, so quantizer
 * annotations carry over, with a per-channel axis and the frontend's quantizer note following the permutation
 * (a note that cannot follow is dropped, as the frontend does).
 */
export function addTransposedConstant(graph: Graph, hint: string, t: Tensor, perm: readonly number[]): Tensor {
  const shape = t.shape as number[];
  const full = [...Array(perm.length - shape.length).fill(1), ...shape] as number[];
  const out = graph.addConstant(hint, perm.map((p) => full[p]), transposeData(t.data!, full, perm), t.dtype);
  out.precision = t.precision;
  const inv = invertPerm(perm);
  const lift = perm.length - shape.length;
  if (t.quant) out.quant = { ...t.quant, axis: t.quant.axis === undefined ? undefined : inv[t.quant.axis + lift] };
  const note = t.meta['quantizer'] as { scaleShape?: number[]; zeroptShape?: number[]; axis?: number } | undefined;
  if (note) {
    const moved = { ...note };
    let ok = true;
    for (const key of ['scaleShape', 'zeroptShape'] as const) {
      const sh = note[key];
      if (!sh || sh.length === 0) continue;
      const f = [...Array(Math.max(0, perm.length - sh.length)).fill(1), ...sh] as number[];
      if (f.length !== perm.length || f.filter((d) => d > 1).length > 1) { ok = false; break; }
      moved[key] = perm.map((p) => f[p]);
    }
    if (note.axis !== undefined) moved.axis = inv[note.axis + lift];
    if (ok) out.meta['quantizer'] = moved;
  }
  return out;
}

/** Row-major transpose of typed data: out has shape shape[perm[i]]. Keeps the array type. */
export function transposeData<T extends TensorData>(data: T, shape: readonly number[], perm: readonly number[]): T {
  const rank = shape.length;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  if (rank === 0 || data.length === 0) { out.set(data as never); return out; }
  const inStrides = new Array<number>(rank);
  let acc = 1;
  for (let i = rank - 1; i >= 0; i--) { inStrides[i] = acc; acc *= shape[i]; }
  const outShape = perm.map((p) => shape[p]);
  const step = perm.map((p) => inStrides[p]);
  // Walk the output in order; the input offset advances by the permuted strides.
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  const last = rank - 1;
  const lastN = outShape[last], lastStep = step[last];
  for (let o = 0; o < data.length; ) {
    let s = src;
    for (let j = 0; j < lastN; j++, s += lastStep) (out as unknown as number[])[o++] = (data as unknown as number[])[s];
    for (let k = last - 1; k >= 0; k--) {
      idx[k]++;
      src += step[k];
      if (idx[k] < outShape[k]) break;
      src -= step[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return out;
}

export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return inv;
}

export function isIdentityPerm(perm: readonly number[]): boolean {
  return perm.every((p, i) => p === i);
}

/** Permutation of a Transpose node (default: reversed axes, as ONNX). */
export function transposePerm(graph: Graph, node: IRNode): number[] {
  const p = node.attrs['perm'];
  if (Array.isArray(p) && p.length) return p as number[];
  const rank = graph.tensor(node.inputs[0]).shape.length;
  return [...Array(rank).keys()].reverse();
}

/** The one node reading `tensor`, if exactly one does and it is no graph output. */
export function soleConsumer(graph: Graph, tensor: string): IRNode | undefined {
  if (graph.isGraphOutput(tensor)) return undefined;
  const c = graph.consumers(tensor);
  return c.length === 1 && c[0].inputs.filter((i) => i === tensor).length === 1 ? c[0] : undefined;
}

export function numAttr(node: IRNode, key: string, dflt: number): number {
  const v = node.attrs[key];
  return typeof v === 'number' ? v : dflt;
}

/** A clear error for a malformed node met by a pass. */
export function passError(pass: string, node: IRNode, message: string): FirmflowError {
  const from = node.origin ? ` (from ONNX ${node.origin.op} ${quoted(node.origin.name)})` : '';
  return new FirmflowError('pass.node', `pass '${pass}': node ${quoted(node.name)} (${node.op})${from}: ${message}`);
}

export function isPowerOfTwo(x: number): boolean {
  if (!(x > 0) || !Number.isFinite(x)) return false;
  return 2 ** Math.round(Math.log2(x)) === x;
}
