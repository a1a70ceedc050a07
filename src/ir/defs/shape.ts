/**
 * IR op definitions for ops that move or re-type data without arithmetic. Operands ONNX passes as tensors
 * (shapes, axes, slice bounds) are attributes here; every list is explicit and axes are non-negative:
 *
 * - 'Reshape' (X) {shape}: the final output shape. Entries are numbers or the symbolic batch name (no 0 / -1
 *   left). At run time a symbolic entry takes whatever size keeps the element count, and a numeric axis 0 that
 *   does not fit the fed batch is rescaled the same way (the interpreter lets the batch vary).
 * - 'Flatten' (X) {axis}: [prod(dims[:axis]), prod(dims[axis:])].
 * - 'Transpose' (X) {perm}.
 * - 'Squeeze' (X) {axes}: removes the listed size-1 axes (sorted). 'Unsqueeze' (X) {axes}: inserts size-1 axes at
 *   the listed positions of the output (sorted).
 * - 'Concat' (X...) {axis}.
 * - 'Shape' (X) {start, end}: int64 vector of X's dims [start, end) (start/end normalized to 0..rank).
 * - 'Gather' (data, indices) {axis}: numpy take; negative indices count from the end.
 * - 'Slice' (X) {starts, ends, axes, steps}: one entry per sliced axis, ONNX clamping rules.
 * - 'Split' (X) {axis, split} -> Y0..Yk: consecutive blocks of X along `axis`, `split[i]` entries for output i (one
 *   entry per output, summing to the axis size; the frontend resolves ONNX's equal and num_outputs splits).
 * - 'Cast' (X) {to}: `to` is a firmflow dtype name; floats round to the target precision, integers truncate toward
 *   zero and wrap, bool is x != 0.
 * - 'Expand' (X) {shape}: broadcast X to `shape` (the broadcast of X's shape and the ONNX shape operand).
 */
import type { IRNode, Tensor } from '../graph.js';
import { registerIROp, type IROpDef, type RtTensor } from '../ops.js';
import { broadcastShapes, dimProduct, intsAttr, normAxis, numAttr, sizeOf, strides } from '../shape.js';
import type { Dim, DType, Shape } from '../types.js';
import { formatShape } from '../types.js';
import { broadcastBinary } from './elementwise.js';

function need(t: Tensor | undefined, what: string, node: IRNode): Tensor {
  if (!t) throw new Error(`${node.op}: input ${what} is missing`);
  return t;
}

function shapeAttr(node: IRNode): Dim[] {
  const v = node.attrs['shape'];
  if (!Array.isArray(v) || v.some((d) => !(typeof d === 'string' || (typeof d === 'number' && Number.isInteger(d) && d >= 0)))) {
    throw new Error(`${node.op}: attribute shape must list sizes or the batch name, got ${JSON.stringify(v)}`);
  }
  return v as Dim[];
}

// ---------------------------------------------------------------------------------------------- Reshape

const reshape: IROpDef = {
  op: 'Reshape',
  summary: 'reshape to a fixed shape (batch may be symbolic)',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const shape = shapeAttr(node);
    if (shape.filter((d) => typeof d === 'string').length > 1) throw new Error(`Reshape shape ${formatShape(shape)} has more than one dynamic entry`);
    const inN = countFactor(xt.shape), outN = countFactor(shape);
    if (inN.n !== outN.n || inN.sym !== outN.sym) throw new Error(`Reshape of ${formatShape(xt.shape)} to ${formatShape(shape)} changes the element count`);
    return [{ shape, dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    return [{ shape: runtimeShape(shapeAttr(node), x!.data.length, 'Reshape'), data: x!.data }];
  },
};

/** Element count as (product of numbers, symbolic names in order). */
function countFactor(shape: Shape): { n: number; sym: string } {
  let n = 1;
  const syms: string[] = [];
  for (const d of shape) if (typeof d === 'number') n *= d; else syms.push(d);
  return { n, sym: syms.sort().join('*') };
}

/** Resolves a shape with one symbolic entry (or a numeric batch that does not fit) for `count` elements. */
function runtimeShape(shape: Dim[], count: number, op: string): number[] {
  const sym = shape.findIndex((d) => typeof d === 'string');
  const fixed = (skip: number) => shape.reduce<number>((p, d, i) => (i === skip ? p : p * (d as number)), 1);
  if (sym >= 0) {
    const rest = fixed(sym);
    const out = shape.map((d) => (typeof d === 'string' ? (rest === 0 ? 0 : count / rest) : d));
    if (!Number.isInteger(out[sym])) throw new Error(`${op}: ${count} elements do not fit ${formatShape(shape)}`);
    return out as number[];
  }
  const out = [...shape] as number[];
  if (sizeOf(out) !== count && out.length > 0) {
    const rest = fixed(0);
    if (rest === 0 || !Number.isInteger(count / rest)) throw new Error(`${op}: ${count} elements do not fit ${formatShape(shape)}`);
    out[0] = count / rest;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- Flatten

function flattenShape(shape: Shape, axis: number): Shape {
  return [dimProduct(shape.slice(0, axis), `Flatten(axis=${axis}) of ${formatShape(shape)}`), dimProduct(shape.slice(axis), `Flatten(axis=${axis}) of ${formatShape(shape)}`)];
}

const flatten: IROpDef = {
  op: 'Flatten',
  summary: 'flatten to 2-D at axis',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const axis = numAttr(node.attrs, 'axis', 1);
    if (axis < 0 || axis > xt.shape.length) throw new Error(`Flatten axis ${axis} is out of range for ${formatShape(xt.shape)}`);
    return [{ shape: flattenShape(xt.shape, axis), dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    return [{ shape: flattenShape(x!.shape, numAttr(node.attrs, 'axis', 1)) as number[], data: x!.data }];
  },
};

// -------------------------------------------------------------------------------------------- Transpose

function checkPerm(perm: number[], rank: number): void {
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new Error(`Transpose perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  }
}

/** Transposes row-major data; shared with constant folding of weights. */
export function transposeData(x: RtTensor, perm: number[]): RtTensor {
  const rank = x.shape.length;
  const outShape = perm.map((p) => x.shape[p]);
  const inStr = strides(x.shape);
  const srcStr = perm.map((p) => inStr[p]);
  const out = new Float64Array(x.data.length);
  const n = out.length;
  if (rank === 2 && perm[0] === 1) {
    const [R, C] = x.shape;
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x.data[r * C + c];
    return { shape: outShape, data: out };
  }
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x.data[src];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      src += srcStr[k];
      if (idx[k] < outShape[k]) break;
      src -= srcStr[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return { shape: outShape, data: out };
}

const transpose: IROpDef = {
  op: 'Transpose',
  summary: 'permute axes',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const perm = intsAttr(node.attrs, 'perm');
    checkPerm(perm, xt.shape.length);
    return [{ shape: perm.map((p) => xt.shape[p]), dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    return [transposeData(x!, intsAttr(node.attrs, 'perm'))];
  },
};

// ------------------------------------------------------------------------------------ Squeeze/Unsqueeze

function squeezeShape(shape: Shape, axes: number[]): Shape {
  for (const a of axes) {
    if (a < 0 || a >= shape.length) throw new Error(`Squeeze axis ${a} is out of range for ${formatShape(shape)}`);
    if (shape[a] !== 1) throw new Error(`Squeeze axis ${a} of ${formatShape(shape)} does not have size 1`);
  }
  return shape.filter((_d, i) => !axes.includes(i));
}

function unsqueezeShape(shape: Shape, axes: number[]): Shape {
  const rank = shape.length + axes.length;
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : shape[k++]);
  if (k !== shape.length || axes.some((a) => a < 0 || a >= rank)) throw new Error(`Unsqueeze axes [${axes.join(', ')}] do not fit ${formatShape(shape)}`);
  return out;
}

const squeeze: IROpDef = {
  op: 'Squeeze',
  summary: 'remove size-1 axes',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    return [{ shape: squeezeShape(xt.shape, intsAttr(node.attrs, 'axes')), dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    return [{ shape: squeezeShape(x!.shape, intsAttr(node.attrs, 'axes')) as number[], data: x!.data }];
  },
};

const unsqueeze: IROpDef = {
  op: 'Unsqueeze',
  summary: 'insert size-1 axes',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    return [{ shape: unsqueezeShape(xt.shape, intsAttr(node.attrs, 'axes')), dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    return [{ shape: unsqueezeShape(x!.shape, intsAttr(node.attrs, 'axes')) as number[], data: x!.data }];
  },
};

// ----------------------------------------------------------------------------------------------- Concat

const concat: IROpDef = {
  op: 'Concat',
  summary: 'concatenate along axis',
  inferShape(node, inputs) {
    const ts = inputs.filter((t): t is Tensor => t !== undefined);
    if (!ts.length) throw new Error('Concat has no inputs');
    const rank = ts[0].shape.length;
    const axis = numAttr(node.attrs, 'axis', 0);
    if (axis < 0 || axis >= rank) throw new Error(`Concat axis ${axis} is out of range for rank ${rank}`);
    let total: Dim = 0;
    for (const t of ts) {
      if (t.shape.length !== rank) throw new Error(`Concat inputs have different ranks: ${ts.map((u) => formatShape(u.shape)).join(', ')}`);
      t.shape.forEach((d, i) => {
        if (i !== axis && d !== ts[0].shape[i]) throw new Error(`Concat inputs differ outside axis ${axis}: ${ts.map((u) => formatShape(u.shape)).join(', ')}`);
      });
      const d = t.shape[axis];
      if (typeof d !== 'number' || typeof total !== 'number') {
        // Only a single dynamic part can be concatenated with empty ones.
        if (d === 0) continue;
        if (total === 0) { total = d; continue; }
        throw new Error(`Concat along axis ${axis} would add up a dynamic dimension`);
      }
      total += d;
    }
    const shape = [...ts[0].shape];
    shape[axis] = total;
    return [{ shape, dtype: ts[0].dtype }];
  },
  evaluate(node, inputs) {
    const ts = inputs.filter((t): t is RtTensor => t !== undefined);
    const axis = numAttr(node.attrs, 'axis', 0);
    const shape = [...ts[0].shape];
    shape[axis] = ts.reduce((p, t) => p + t.shape[axis], 0);
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    const out = new Float64Array(sizeOf(shape));
    const rowLen = shape[axis] * inner;
    let off = 0;
    for (const t of ts) {
      const len = t.shape[axis] * inner;
      for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * len, (o + 1) * len), o * rowLen + off);
      off += len;
    }
    return [{ shape, data: out }];
  },
};

// ------------------------------------------------------------------------------------------------ Shape

function shapeRange(rank: number, attrs: IRNode['attrs']): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(numAttr(attrs, 'start', 0)), clamp(numAttr(attrs, 'end', rank))];
}

const shapeOp: IROpDef = {
  op: 'Shape',
  summary: 'the dims of a tensor as int64',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const [s, e] = shapeRange(xt.shape.length, node.attrs);
    return [{ shape: [Math.max(0, e - s)], dtype: 'int64' }];
  },
  evaluate(node, [x]) {
    const [s, e] = shapeRange(x!.shape.length, node.attrs);
    return [{ shape: [Math.max(0, e - s)], data: Float64Array.from(x!.shape.slice(s, e)) }];
  },
};

// ----------------------------------------------------------------------------------------------- Gather

const gather: IROpDef = {
  op: 'Gather',
  summary: 'take entries along an axis',
  inferShape(node, [data, idx]) {
    const dt = need(data, 'data', node), it = need(idx, 'indices', node);
    const axis = normAxis(numAttr(node.attrs, 'axis', 0), dt.shape.length);
    if (typeof dt.shape[axis] !== 'number') throw new Error(`Gather along the dynamic batch axis of ${formatShape(dt.shape)}`);
    if (it.data) {
      const n = dt.shape[axis] as number;
      for (let i = 0; i < it.data.length; i++) {
        const v = Number(it.data[i]);
        if (v < -n || v >= n) throw new Error(`Gather index ${v} is out of range for axis ${axis} of ${formatShape(dt.shape)}`);
      }
    }
    return [{ shape: [...dt.shape.slice(0, axis), ...it.shape, ...dt.shape.slice(axis + 1)], dtype: dt.dtype }];
  },
  evaluate(node, [data, idx]) {
    const d = data!, ix = idx!;
    const axis = normAxis(numAttr(node.attrs, 'axis', 0), d.shape.length);
    const outer = sizeOf(d.shape.slice(0, axis)), n = d.shape[axis], inner = sizeOf(d.shape.slice(axis + 1));
    const k = ix.data.length;
    const out = new Float64Array(outer * k * inner);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        let i = ix.data[j];
        if (i < 0) i += n;
        if (!(i >= 0 && i < n)) throw new Error(`Gather index ${ix.data[j]} is out of range for axis size ${n}`);
        out.set(d.data.subarray((o * n + i) * inner, (o * n + i + 1) * inner), (o * k + j) * inner);
      }
    }
    return [{ shape: [...d.shape.slice(0, axis), ...ix.shape, ...d.shape.slice(axis + 1)], data: out }];
  },
};

// ------------------------------------------------------------------------------------------------ Slice

/** ONNX Slice bounds for one axis of size `dim`: effective start, count, step. */
export function sliceRange(dim: number, start: number, end: number, step: number): { start: number; count: number } {
  if (step === 0) throw new Error('Slice step 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, -1), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

interface SliceSpec { starts: number[]; ends: number[]; axes: number[]; steps: number[] }

function sliceSpec(node: IRNode, rank: number): SliceSpec {
  const starts = intsAttrLoose(node, 'starts'), ends = intsAttrLoose(node, 'ends');
  const axes = intsAttr(node.attrs, 'axes', starts.map((_s, i) => i)).map((a) => normAxis(a, rank, 'Slice axis'));
  const steps = intsAttr(node.attrs, 'steps', starts.map(() => 1));
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw new Error('Slice starts, ends, axes and steps differ in length');
  }
  return { starts, ends, axes, steps };
}

/** Like intsAttr, but the huge sentinels exporters use (INT64_MAX) arrive as non-safe integers. */
function intsAttrLoose(node: IRNode, key: string): number[] {
  const v = node.attrs[key];
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'number')) throw new Error(`Slice attribute ${key} must be a list of integers`);
  return v as number[];
}

const BIG = 2 ** 31;

const slice: IROpDef = {
  op: 'Slice',
  summary: 'strided slice',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const sp = sliceSpec(node, xt.shape.length);
    const shape = [...xt.shape];
    sp.axes.forEach((a, i) => {
      const d = shape[a];
      if (typeof d !== 'number') {
        // The whole dynamic batch axis passes through; anything else would make another dynamic size.
        if (sp.steps[i] === 1 && sp.starts[i] === 0 && sp.ends[i] >= BIG) return;
        throw new Error(`Slice of the dynamic axis ${a} of ${formatShape(xt.shape)} (only a full slice is supported)`);
      }
      shape[a] = sliceRange(d, sp.starts[i], sp.ends[i], sp.steps[i]).count;
    });
    return [{ shape, dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    const t = x!;
    const rank = t.shape.length;
    const sp = sliceSpec(node, rank);
    const start = new Array<number>(rank).fill(0), step = new Array<number>(rank).fill(1), shape = [...t.shape];
    sp.axes.forEach((a, i) => {
      const r = sliceRange(t.shape[a], sp.starts[i], sp.ends[i], sp.steps[i]);
      start[a] = r.start; step[a] = sp.steps[i]; shape[a] = r.count;
    });
    const inStr = strides(t.shape);
    const n = sizeOf(shape);
    const out = new Float64Array(n);
    const idx = new Array<number>(rank).fill(0);
    let src = start.reduce((p, s, k) => p + s * inStr[k], 0);
    for (let i = 0; i < n; i++) {
      out[i] = t.data[src];
      for (let k = rank - 1; k >= 0; k--) {
        idx[k]++;
        src += step[k] * inStr[k];
        if (idx[k] < shape[k]) break;
        src -= step[k] * inStr[k] * shape[k];
        idx[k] = 0;
      }
    }
    return [{ shape, data: out }];
  },
};

// ------------------------------------------------------------------------------------------------ Split

function splitSpec(node: IRNode, rank: number): { axis: number; split: number[] } {
  const axis = normAxis(numAttr(node.attrs, 'axis', 0), rank, 'Split axis');
  const split = intsAttr(node.attrs, 'split');
  if (split.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`Split sizes [${split.join(', ')}] must be non-negative integers`);
  if (split.length !== node.outputs.length) throw new Error(`Split has ${split.length} sizes for ${node.outputs.length} outputs`);
  return { axis, split };
}

const split: IROpDef = {
  op: 'Split',
  summary: 'cut into consecutive blocks along an axis',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const { axis, split: sizes } = splitSpec(node, xt.shape.length);
    const d = xt.shape[axis];
    if (typeof d !== 'number') {
      throw new Error(`Split of the dynamic axis ${axis} of ${formatShape(xt.shape)} (the sizes of the parts would depend on the batch)`);
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== d) throw new Error(`Split sizes [${sizes.join(', ')}] add up to ${total}, but axis ${axis} of ${formatShape(xt.shape)} has ${d} entries`);
    return sizes.map((s) => {
      const shape = [...xt.shape];
      shape[axis] = s;
      return { shape, dtype: xt.dtype };
    });
  },
  evaluate(node, [x]) {
    const t = x!;
    const { axis, split: sizes } = splitSpec(node, t.shape.length);
    const outer = sizeOf(t.shape.slice(0, axis)), inner = sizeOf(t.shape.slice(axis + 1)), n = t.shape[axis];
    if (sizes.reduce((a, b) => a + b, 0) !== n) throw new Error(`Split sizes [${sizes.join(', ')}] do not add up to axis ${axis} of [${t.shape.join(', ')}]`);
    let at = 0;
    return sizes.map((s) => {
      const shape = [...t.shape];
      shape[axis] = s;
      const out = new Float64Array(outer * s * inner);
      const len = s * inner;
      for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * n * inner + at, o * n * inner + at + len), o * len);
      at += len;
      return { shape, data: out };
    });
  },
};

// ------------------------------------------------------------------------------------------------- Cast

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Rounds to the nearest IEEE half value (ties to even), overflow to infinity. */
export function roundToHalf(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const ax = Math.abs(x);
  if (ax >= 65520) return x > 0 ? Infinity : -Infinity;
  const e = Math.max(Math.floor(Math.log2(ax)), -14);
  const ulp = 2 ** (e - 10);
  let q = ax / ulp;
  const f = Math.floor(q);
  const r = q - f;
  q = r > 0.5 || (r === 0.5 && f % 2 === 1) ? f + 1 : f;
  return Math.sign(x) * q * ulp;
}

/** Rounds to the nearest bfloat16 value (ties to even). */
export function roundToBfloat16(x: number): number {
  F32[0] = x;
  const b = U32[0];
  if (Number.isNaN(x)) return x;
  U32[0] = (((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return F32[0];
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 256], int16: [-32768, 65536], int32: [-(2 ** 31), 2 ** 32],
  uint8: [0, 256], uint16: [0, 65536], uint32: [0, 2 ** 32],
};

/** Converts one value to what `to` can hold (as the float interpreter sees it). */
export function castValue(v: number, to: DType): number {
  switch (to) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'float16': return roundToHalf(v);
    case 'bfloat16': return roundToBfloat16(v);
    case 'bool': return v !== 0 ? 1 : 0;
    case 'int64': case 'uint64': return Number.isFinite(v) ? Math.trunc(v) : 0;
    default: {
      const [lo, span] = INT_RANGE[to]!;
      if (!Number.isFinite(v)) return 0;
      const t = Math.trunc(v);
      return ((((t - lo) % span) + span) % span) + lo;
    }
  }
}

const DTYPES: DType[] = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool'];

function castTarget(node: IRNode): DType {
  const to = node.attrs['to'];
  if (typeof to !== 'string' || !DTYPES.includes(to as DType)) throw new Error(`Cast attribute to must be a dtype name, got ${JSON.stringify(to)}`);
  return to as DType;
}

const cast: IROpDef = {
  op: 'Cast',
  summary: 'convert the element type',
  inferShape(node, [x]) {
    return [{ shape: need(x, 'X', node).shape, dtype: castTarget(node) }];
  },
  evaluate(node, [x]) {
    const to = castTarget(node);
    const out = new Float64Array(x!.data.length);
    for (let i = 0; i < out.length; i++) out[i] = castValue(x!.data[i], to);
    return [{ shape: x!.shape, data: out }];
  },
};

// ------------------------------------------------------------------------------------------------ Expand

const expand: IROpDef = {
  op: 'Expand',
  summary: 'broadcast to a shape',
  inferShape(node, [x]) {
    const xt = need(x, 'X', node);
    const shape = shapeAttr(node);
    const out = broadcastShapes(xt.shape, shape);
    if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) throw new Error(`Expand shape ${formatShape(shape)} is not the broadcast of ${formatShape(xt.shape)} with itself`);
    return [{ shape, dtype: xt.dtype }];
  },
  evaluate(node, [x]) {
    // The symbolic entry (the batch) came from X itself: broadcasting against 1 there yields the fed size.
    const shape = broadcastShapes(x!.shape, shapeAttr(node).map((d) => (typeof d === 'string' ? 1 : d))) as number[];
    const r = broadcastBinary({ shape, data: new Float64Array(sizeOf(shape)) }, x!, (_z, y) => y);
    return [{ shape, data: r.data }];
  },
};

export function registerShapeOps(): void {
  for (const d of [reshape, flatten, transpose, squeeze, unsqueeze, concat, shapeOp, gather, slice, split, cast, expand]) registerIROp(d);
}
