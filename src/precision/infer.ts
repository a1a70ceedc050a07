import { FirmflowError } from '../errors.js';
import type { Graph, IRNode, Tensor } from '../ir/graph.js';
import type { FixedType } from '../ir/types.js';
import { fracBits, formatType, resultType, unionType } from '../fixed/types.js';
import { toFloat64 } from '../onnx/tensor.js';
import { inputLayer, layerOf, resolvePrecision, type PrecisionConfig, type Role } from './config.js';
import type { PrecisionSpec } from './parse.js';

/** What was chosen for one layer (graph inputs appear as layers of type 'Input'). */
export interface LayerPrecision {
  layer: string;
  op: string;
  input?: FixedType;
  weight?: FixedType;
  bias?: FixedType;
  accumulator?: FixedType;
  result?: FixedType;
  table?: FixedType;
  /** Which configuration key decided each role ('auto', 'model quantizer' ...). */
  from: Partial<Record<Role, string>>;
  /** Capped widths, inexact ops and similar facts the user should know. */
  notes: string[];
}

/** Ops whose output is a weighted sum of inputs: weight at input 1, bias at input 2. */
const WEIGHTED = new Set(['Gemm', 'MatMul', 'Dense', 'Conv', 'ConvTranspose']);
/** Ops that only move or select values: the result type is the union of the data inputs' types. */
const SELECTING = new Set(['Reshape', 'Flatten', 'Transpose', 'Identity', 'Squeeze', 'Unsqueeze', 'MaxPool', 'GlobalMaxPool', 'Max', 'Min', 'Concat', 'Slice', 'Gather', 'Pad', 'Split', 'Resize', 'Upsample', 'DepthToSpace', 'SpaceToDepth', 'FixedCast', 'ReduceMax', 'ReduceMin']);

const clog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** Smallest signed/unsigned fixed type of width `width` whose range holds every value of `data`. */
export function rangeFittedType(data: ArrayLike<number>, width: number): FixedType {
  let max = 0, neg = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < 0) neg = true;
    if (Math.abs(v) > max) max = Math.abs(v);
  }
  return rangeType(max, neg, width);
}

/** Integer bits for magnitudes up to `max` (exclusive of the sign bit), as a type of the given width. */
export function rangeType(max: number, signed: boolean, width: number): FixedType {
  let ib = max > 0 ? Math.floor(Math.log2(max)) + 1 : 0;
  if (max > 0 && 2 ** (ib - 1) === max && !signed) ib = Math.max(ib, 1);
  const integer = ib + (signed ? 1 : 0);
  return { signed, width, integer, rounding: 'TRN', overflow: 'WRAP' };
}

/** Reduction length of a weighted op (terms summed per output). */
function reductionLength(node: IRNode, graph: Graph): number {
  const x = graph.tensor(node.inputs[0]);
  const w = graph.tensor(node.inputs[1]);
  const num = (d: unknown): number => (typeof d === 'number' ? d : 1);
  switch (node.op) {
    case 'Gemm': return num(node.attrs.transA ? x.shape[0] : x.shape[x.shape.length - 1]);
    case 'MatMul': return num(x.shape[x.shape.length - 1]);
    case 'Dense': return num(w.shape[0]);
    case 'Conv': case 'ConvTranspose': return w.shape.slice(1).reduce<number>((a, d) => a * num(d), 1);
    default: return 1;
  }
}

function cap(t: FixedType, maxWidth: number, what: string, notes: string[]): FixedType {
  if (t.width <= maxWidth) return t;
  notes.push(`${what} needs ${t.width} bits (${formatType(t)}); capped to ${maxWidth} by dropping ${t.width - maxWidth} fractional bits`);
  return { ...t, width: maxWidth };
}

/**
 * Assigns fixed-point types to every tensor of the graph from a configuration, writing `tensor.precision` for
 * graph inputs, constants and node outputs, and `node.meta.precision` ({ accumulator, table }) for backends.
 * `auto` is exact where the op allows it: products widen to W1+W2 / I1+I2, a sum of K terms gains ceil(log2 K)
 * integer bits (so accumulators never overflow), Relu drops the sign bit, data movement keeps the type; ops whose
 * outputs are not exact fixed-point functions of their inputs (Sigmoid, Softmax, division ...) take the
 * configured non-auto default and say so in the notes. Types already set by the model's own quantizers are kept
 * unless a layerName entry names the layer.
 */
export function assignPrecision(graph: Graph, cfg: PrecisionConfig): LayerPrecision[] {
  const out: LayerPrecision[] = [];
  const fallback = (layer: { name: string; types: string[] }, role: Role): FixedType => {
    const r = resolvePrecision(cfg, layer, role);
    if (r.spec !== 'auto') return r.spec;
    const d = resolvePrecision(cfg, { name: '', types: [] }, 'result').spec;
    return d === 'auto' ? { signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' } : d;
  };
  const explicit = (name: string, role: Role): boolean => cfg.layerName[name]?.[role] !== undefined || cfg.layerName[name]?.default !== undefined;

  for (const p of graph.inputs) {
    const t = graph.tensor(p.tensor);
    const lp: LayerPrecision = { layer: p.name, op: 'Input', from: {}, notes: [] };
    if (t.precision && !explicit(p.name, 'input')) {
      lp.input = t.precision;
      lp.from.input = 'model quantizer';
    } else {
      const r = resolvePrecision(cfg, inputLayer(p.name), 'input');
      if (r.spec === 'auto') throw new FirmflowError('config.precision', `${r.from}: 'auto' cannot be inferred for graph input '${p.name}'; give it a type, or use calibration`);
      t.precision = lp.input = r.spec;
      lp.from.input = r.from;
    }
    lp.result = lp.input;
    out.push(lp);
  }

  const typeOf = (name: string): FixedType | undefined => (name === '' ? undefined : graph.tensor(name).precision);

  const constType = (node: IRNode, tensor: Tensor, role: 'weight' | 'bias', lp: LayerPrecision): FixedType => {
    if (tensor.precision && !explicit(node.name, role)) {
      lp.from[role] = 'model quantizer';
      return tensor.precision;
    }
    const r = resolvePrecision(cfg, layerOf(node), role);
    let t: FixedType;
    if (r.spec === 'auto') {
      t = rangeFittedType(toFloat64(tensor.data!), fallback(layerOf(node), 'default' as Role).width);
      lp.from[role] = 'auto (range-fitted)';
    } else {
      t = r.spec;
      lp.from[role] = r.from;
    }
    if (tensor.precision && tensor.precision !== t && graph.consumers(tensor.name).length > 1) {
      lp.notes.push(`${role} '${tensor.name}' is shared with other layers; its type is now ${formatType(t)}`);
    }
    tensor.precision = t;
    return t;
  };

  for (const node of graph.topoOrder()) {
    const layer = layerOf(node);
    const lp: LayerPrecision = { layer: node.name, op: node.op, from: {}, notes: [] };
    const dataInputs = node.inputs.filter((i) => i !== '' && !graph.isConstant(i));
    const inTypes = dataInputs.map(typeOf).filter((t): t is FixedType => t !== undefined);
    lp.input = inTypes[0];
    const consts = node.inputs.map((i, k) => ({ i, k })).filter(({ i }) => i !== '' && graph.isConstant(i) && graph.tensor(i).data);
    const weightIdx = WEIGHTED.has(node.op) || node.op === 'ScaleShift' || node.op === 'BatchNormalization' ? 1 : -1;
    const biasIdx = WEIGHTED.has(node.op) || node.op === 'ScaleShift' ? 2 : node.op === 'BatchNormalization' ? 2 : -1;
    for (const { i, k } of consts) {
      const t = graph.tensor(i);
      if (k === biasIdx) lp.bias = constType(node, t, 'bias', lp);
      else if (k === weightIdx || lp.weight === undefined) lp.weight = constType(node, t, 'weight', lp);
      else constType(node, t, 'weight', lp);
    }

    // Exact (auto) accumulator and result.
    let exact: FixedType | undefined;
    let acc: FixedType | undefined;
    if (inTypes.length === dataInputs.length && inTypes.length > 0) {
      const x = inTypes[0];
      if (WEIGHTED.has(node.op) && lp.weight) {
        const prod = resultType('mul', x, lp.weight);
        const K = reductionLength(node, graph);
        let I = prod.integer + clog2(K);
        let F = fracBits(prod);
        let signed = prod.signed;
        if (lp.bias) {
          I = Math.max(I, lp.bias.integer + (lp.bias.signed || !signed ? 0 : 1)) + 1;
          F = Math.max(F, fracBits(lp.bias));
          signed ||= lp.bias.signed;
        }
        const alpha = Math.max(Math.abs(Number(node.attrs.alpha ?? 1)), Math.abs(Number(node.attrs.beta ?? 1)));
        if (node.op === 'Gemm' && alpha !== 1) {
          I += Math.max(0, clog2(alpha));
          lp.notes.push(`alpha/beta ${node.attrs.alpha}/${node.attrs.beta}: the accumulator is widened by their magnitude, not exact`);
        }
        acc = { signed, width: I + F, integer: I, rounding: 'TRN', overflow: 'WRAP' };
        exact = acc;
      } else if ((node.op === 'ScaleShift' || node.op === 'BatchNormalization') && lp.weight) {
        exact = resultType('mul', x, lp.weight);
        if (lp.bias) exact = resultType('add', exact, lp.bias);
        acc = exact;
      } else if (node.op === 'Relu') {
        exact = x.signed ? { ...x, signed: false, width: Math.max(x.width - 1, 1), integer: x.integer - 1, rounding: 'TRN', overflow: 'WRAP' } : x;
      } else if (node.op === 'Add' || node.op === 'Sub' || node.op === 'Sum') {
        const all = [...inTypes, ...consts.map(({ i }) => graph.tensor(i).precision!).filter(Boolean)];
        exact = all.slice(1).reduce((a, b) => resultType(node.op === 'Sub' ? 'sub' : 'add', a, b), all[0]);
      } else if (node.op === 'Mul') {
        const all = [...inTypes, ...consts.map(({ i }) => graph.tensor(i).precision!).filter(Boolean)];
        exact = all.slice(1).reduce((a, b) => resultType('mul', a, b), all[0]);
      } else if (node.op === 'Neg') {
        exact = { signed: true, width: x.width + 1, integer: x.integer + 1, rounding: 'TRN', overflow: 'WRAP' };
      } else if (SELECTING.has(node.op)) {
        exact = inTypes.slice(1).reduce((a, b) => unionType(a, b), x);
        exact = { ...exact, rounding: 'TRN', overflow: 'WRAP', satBits: undefined };
        delete exact.satBits;
      }
    }

    const accR = resolvePrecision(cfg, layer, 'accumulator');
    if (acc || accR.spec !== 'auto') {
      if (accR.spec === 'auto') {
        lp.accumulator = cap(acc!, cfg.maxWidth, 'accumulator', lp.notes);
        lp.from.accumulator = 'auto (exact)';
      } else if (WEIGHTED.has(node.op) || node.op === 'ScaleShift' || node.op === 'BatchNormalization') {
        lp.accumulator = accR.spec;
        lp.from.accumulator = accR.from;
      }
    }
    const tableR = resolvePrecision(cfg, layer, 'table');
    if (['Sigmoid', 'Tanh', 'Softmax', 'Exp', 'Log', 'Softplus', 'Selu', 'Elu', 'HardSigmoid', 'Reciprocal'].includes(node.op)) {
      lp.table = tableR.spec === 'auto' ? fallback(layer, 'result') : tableR.spec;
      lp.from.table = tableR.spec === 'auto' ? 'auto (model default)' : tableR.from;
    }

    const out0 = node.outputs[0] ? graph.tensor(node.outputs[0]) : undefined;
    if (out0?.precision && !explicit(node.name, 'result')) {
      lp.result = out0.precision;
      lp.from.result = 'model quantizer';
    } else {
      const r = resolvePrecision(cfg, layer, 'result');
      let res: FixedType;
      if (r.spec !== 'auto') {
        res = r.spec;
        lp.from.result = r.from;
      } else if (exact) {
        res = cap(lp.accumulator && exact === acc ? lp.accumulator : exact, cfg.maxWidth, 'result', lp.notes);
        lp.from.result = 'auto (exact)';
      } else {
        res = fallback(layer, 'result');
        lp.from.result = 'auto (model default)';
        lp.notes.push(`${node.op} is not an exact fixed-point function of its inputs: its result uses ${formatType(res)}`);
      }
      for (const o of node.outputs) if (o !== '') graph.tensor(o).precision = res;
      lp.result = res;
    }
    node.meta.precision = { accumulator: lp.accumulator, table: lp.table };
    out.push(lp);
  }
  return out;
}

/** One-line text of a spec for tables. */
export const specLabel = (s: PrecisionSpec | FixedType | undefined): string => (s === undefined ? '-' : s === 'auto' ? 'auto' : formatType(s));
