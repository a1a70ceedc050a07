import { FirmflowError, type FixedType, formatType, fracBits, type Graph, type GraphPass, type IRNode, quantizeCodes, quantRange, rawFromNumber, resultType, sameType, type Tensor, unionType } from 'firmflow';
import { hlsConfig, type PrecisionSetting, type Role } from '../config.js';
import type { HlsLayer } from '../lowered.js';
import { describe, hls, info, layerConfig, shapeOf, warn } from './common.js';

/**
 * tensor.meta key of the precision a model's own quantizer gave a tensor (before lowering chose its type): the
 * float model keeps these quantizers (trace's default reference; kept in firmflow.json).
 */
export const MODEL_PRECISION_KEY = 'hlsModelPrecision';
/** Widest exact result given by default between a model's quantizers (activations the emulator carries in doubles). */
export const MAX_EXACT_RESULT = 53;
/** Width of weights and other constants whose type is derived from their values ('auto'). */
export const AUTO_CONST_WIDTH = 16;
/** Accumulators derived exactly are capped at this width (dropping fractional bits) unless configured. */
export const ACCUM_CAP = 64;
/** Type of small constant factors (LeakyRelu alpha, HardSigmoid alpha/beta, Selu gamma, Clip bounds, PRelu slope). */
export const DEFAULT_SCALE_TYPE: FixedType = { signed: true, width: 18, integer: 8, rounding: 'RND', overflow: 'SAT' };
/** Type of 1/count factors of average pooling. */
export const AVG_SCALE_TYPE: FixedType = { signed: false, width: 18, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' };
/** Width of Rescale's scale and 1/scale when derived from their values. */
export const RESCALE_CONST_WIDTH = 24;

/** Ops whose output only moves or selects input values: by default the result keeps the input's type. */
const COPY_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Concat', 'Pad', 'Resize', 'MaxPool', 'GlobalMaxPool']);

/** Constant inputs by index and their roles. */
const CONST_ROLES: Record<string, Record<number, Role>> = {
  Dense: { 1: 'weight', 2: 'bias' },
  Conv: { 1: 'weight', 2: 'bias' },
  ScaleShift: { 1: 'scale', 2: 'shift' },
  LayerNormalization: { 1: 'scale', 2: 'shift' },
  PRelu: { 1: 'scale' },
  BipolarQuant: { 1: 'scale' },
  Rescale: { 1: 'scale' },
};

const bitlen = (v: bigint): number => (v <= 0n ? 0 : v.toString(2).length);

/** The smallest type (with F fractional bits) holding every integer code in [lo, hi]. */
export function typeForCodes(lo: bigint, hi: bigint, frac: number): FixedType {
  const signed = lo < 0n;
  const width = Math.max(1, signed ? Math.max(bitlen(hi), bitlen(-lo - 1n)) + 1 : bitlen(hi));
  return { signed, width, integer: width - frac, rounding: 'TRN', overflow: 'WRAP' };
}

/** Code range of a type. */
export function codeRange(t: FixedType): [bigint, bigint] {
  return t.signed ? [-(1n << BigInt(t.width - 1)), (1n << BigInt(t.width - 1)) - 1n] : [0n, (1n << BigInt(t.width)) - 1n];
}

/**
 * The type of constants derived from their values: `width` bits, signed, enough integer bits for the largest
 * magnitude (2^(I-1) > max|v|), the rest fractional; round to nearest even, saturate.
 */
export function autoConstType(data: ArrayLike<number>, width = AUTO_CONST_WIDTH): FixedType {
  let m = 0;
  for (let i = 0; i < data.length; i++) { const a = Math.abs(Number(data[i])); if (a > m) m = a; }
  const integer = m === 0 ? 1 : Math.floor(Math.log2(m)) + 2;
  return { signed: true, width, integer, rounding: 'RND_CONV', overflow: 'SAT' };
}

/** Integer codes of values in t: Int32Array up to 32 bits, Float64Array to 53, BigInt64Array beyond (<= 64). */
export function codesFor(data: ArrayLike<number>, t: FixedType): Int32Array | Float64Array | BigInt64Array {
  const src = data instanceof Float64Array || data instanceof Float32Array ? data : Float64Array.from(data as ArrayLike<number>, Number);
  if (t.width <= (t.signed ? 32 : 31)) return quantizeCodes(src, t, new Int32Array(src.length)) as Int32Array;
  if (t.width <= 53) return quantizeCodes(src, t, new Float64Array(src.length)) as Float64Array;
  if (t.width > 64) throw new FirmflowError('vitis.precision', `constants of ${t.width}-bit type ${formatType(t)} cannot be stored (at most 64 bits)`);
  const out = new BigInt64Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = rawFromNumber(src[i], t);
  return out;
}

/** Code of one value (a double; exact up to 53 bits). */
export function codeOf(v: number, t: FixedType): number {
  return Number(rawFromNumber(v, t));
}

function bigCode(codes: ArrayLike<number | bigint>, i: number): bigint {
  const c = codes[i];
  return typeof c === 'bigint' ? c : BigInt(c);
}

/**
 * Exact accumulator of y[n] = b[n] + sum_k x[k] * w[k][n] over x in type X, w given by its codes [K, N] (row-major)
 * in type W and b by its codes in type B: the range of every product, every partial sum and the bias.
 * Returns the type and the code bounds of the full sums (at the accumulator's fractional bits).
 */
export function denseAccum(x: FixedType, wCodes: ArrayLike<number | bigint>, wType: FixedType, K: number, N: number, bCodes?: ArrayLike<number | bigint>, bType?: FixedType): { type: FixedType; lo: bigint; hi: bigint } {
  const fp = fracBits(x) + fracBits(wType);
  const f = bType ? Math.max(fp, fracBits(bType)) : fp;
  const [xlo, xhi] = codeRange(x);
  const pos = new Array<bigint>(N).fill(0n), neg = new Array<bigint>(N).fill(0n);
  const small = wType.width <= (wType.signed ? 32 : 31);
  if (small) {
    // Column sums in doubles are exact (|code| < 2^31, K < 2^22).
    const p = new Float64Array(N), q = new Float64Array(N);
    for (let k = 0; k < K; k++) {
      const o = k * N;
      for (let n = 0; n < N; n++) { const w = wCodes[o + n] as number; if (w > 0) p[n] += w; else q[n] += w; }
    }
    for (let n = 0; n < N; n++) { pos[n] = BigInt(p[n]); neg[n] = BigInt(q[n]); }
  } else {
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) { const w = bigCode(wCodes, k * N + n); if (w > 0n) pos[n] += w; else neg[n] += w; }
  }
  const sp = BigInt(f - fp);
  let lo = 0n, hi = 0n;
  for (let n = 0; n < N; n++) {
    const smax = (xhi * pos[n] + xlo * neg[n]) << sp;
    const smin = (xlo * pos[n] + xhi * neg[n]) << sp;
    const b = bCodes && bType ? bigCode(bCodes, n) << BigInt(f - fracBits(bType)) : 0n;
    const h = smax + (b > 0n ? b : 0n), l = smin + (b < 0n ? b : 0n);
    if (h > hi) hi = h;
    if (l < lo) lo = l;
  }
  return { type: typeForCodes(lo, hi, f), lo, hi };
}

/** Caps an exact accumulator at ACCUM_CAP bits by dropping fractional bits; returns the dropped count. */
function capAccum(t: FixedType): { type: FixedType; dropped: number } {
  if (t.width <= ACCUM_CAP) return { type: t, dropped: 0 };
  const dropped = t.width - ACCUM_CAP;
  return { type: { ...t, width: ACCUM_CAP }, dropped };
}

const DEFAULT_STRING_ROLE = (p: PrecisionSetting | undefined): FixedType | undefined => (p && p !== 'auto' ? p : undefined);

/**
 * Gives every tensor its precision and every node its types (docs/design/vitis-backend.md, "Configuration"):
 * graph inputs the input precision, constants their role type (quantized once to integer codes in
 * tensor.meta.hlsCodes), accumulators the exact type, results the configured / model / default type.
 */
export const applyPrecision: GraphPass = {
  name: 'vitis-precision',
  match: 'graph',
  description: 'assign fixed-point types per role, quantize constants to codes, derive exact accumulators',
  transform(graph, ctx) {
    const config = hlsConfig(ctx.options, graph);
    const data = config.model.data;
    let changes = 0;
    // Tensors whose values are exact fixed-point numbers of the model: a quantizer's output (the type the shared
    // passes put on it), or an exact result computed from such tensors (see lowerNode).
    const exactModel = new Set<string>();
    for (const p of graph.inputs) {
      const t = graph.tensor(p.tensor);
      if (t.precision) t.meta[MODEL_PRECISION_KEY] = t.precision;
      if (!config.model.inputs[p.name] && t.precision) exactModel.add(t.name);
      t.precision = config.model.inputs[p.name] ?? t.precision ?? data;
      changes++;
    }
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      const outType = layer ? lowerNode(node, layer, graph, data, exactModel) : undefined;
      for (const o of node.outputs) {
        if (o === '') continue;
        const t = graph.tensor(o);
        t.precision = outType ?? t.precision ?? data;
      }
      changes++;
    }
    // Constants nothing lowered reads (read by nodes without a kernel): their own type, for completeness.
    for (const t of graph.tensors.values()) {
      if (t.data && !t.precision) t.precision = autoConstType(numeric(t));
      if (t.data && !t.meta['hlsCodes']) t.meta['hlsCodes'] = codesFor(numeric(t), t.precision!);
    }
    void info;
    return changes;
  },
};

function numeric(t: Tensor): Float64Array {
  const d = t.data!;
  if (d instanceof Float64Array) return d;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, Number);
  return Float64Array.from(d as ArrayLike<number>);
}

/**
 * Gives a constant input its type and codes. A constant read by several nodes with different types is copied, so
 * each reader gets its own codes.
 */
function typeConstant(node: IRNode, index: number, graph: Graph, type: FixedType): Tensor {
  let t = graph.tensor(node.inputs[index]);
  if (t.precision && t.meta['hlsCodes'] && !sameType(t.precision, type)) {
    const copy = graph.addConstant(`${t.name}_${node.id}`, t.shape as number[], t.data!, t.dtype);
    graph.setInput(node, index, copy.name);
    t = copy;
  }
  if (!t.precision || !sameType(t.precision, type) || !t.meta['hlsCodes']) {
    t.precision = type;
    t.meta['hlsCodes'] = codesFor(numeric(t), type);
  }
  return t;
}

/** Widest type given to a float constant between a model's quantizers (exactConstType). */
export const EXACT_CONST_MAX_WIDTH = 48;

/**
 * The narrowest type holding every value exactly (float32 values need at most 24 significant bits each), at most
 * EXACT_CONST_MAX_WIDTH bits (fractional bits dropped beyond, rounding to nearest even).
 */
export function exactConstType(data: ArrayLike<number>): FixedType {
  const base = autoConstType(data);
  let frac = 0;
  for (let i = 0; i < data.length; i++) {
    let v = Math.abs(Number(data[i]));
    if (v === 0 || !Number.isFinite(v)) continue;
    let f = 0;
    while (v !== Math.floor(v) && f < 160) { v *= 2; f++; }
    if (f > frac) frac = f;
  }
  const width = Math.min(EXACT_CONST_MAX_WIDTH, base.integer + frac);
  return { signed: true, width: Math.max(2, width), integer: base.integer, rounding: 'RND_CONV', overflow: 'SAT' };
}

/** Type of a constant of a role: configured > the model's exact type > derived from the values. */
function constTypeOf(t: Tensor, set: PrecisionSetting | undefined, width = AUTO_CONST_WIDTH): FixedType {
  if (set && set !== 'auto') return set;
  if (!set && t.precision) return t.precision;
  return autoConstType(numeric(t), width);
}

function inputType(graph: Graph, name: string, data: FixedType): FixedType {
  return graph.tensor(name).precision ?? data;
}

/**
 * Lowers one node's types; returns its result type. `exactModel` holds the tensors whose values are exact
 * fixed-point numbers from the model's quantizers; a node reading only such tensors computes exactly by default
 * (constants the model left in float get a type holding their float32 values exactly, the result without a quantizer
 * of its own the exact result type), so quantized models reproduce their reference: a later quantizer rounds the
 * exact value, as the model does, and an unquantized output is the exact sum.
 */
function lowerNode(node: IRNode, layer: HlsLayer, graph: Graph, data: FixedType, exactModel: Set<string>): FixedType {
  const cfg = layerConfig(node);
  const P = cfg.precision;
  const types: Record<string, FixedType> = {};
  layer.types = types;
  const out = graph.tensor(node.outputs[0]);
  const modelResult = out.precision;
  const acts = node.inputs.filter((i) => i !== '' && !graph.tensor(i).data);
  const exactIn = acts.length > 0 && acts.every((i) => exactModel.has(i));
  if (modelResult) {
    for (const o of node.outputs) if (o !== '') exactModel.add(o);
    // The model's own quantizer on this tensor: part of the float model that traces compare with.
    out.meta[MODEL_PRECISION_KEY] = modelResult;
  }
  const constType = (t: Tensor, set: PrecisionSetting | undefined, width = AUTO_CONST_WIDTH): FixedType =>
    (exactIn && !set && !t.precision ? exactConstType(numeric(t)) : constTypeOf(t, set, width));

  // ---- inputs and constants
  const roles = CONST_ROLES[node.op] ?? {};
  node.inputs.forEach((name, i) => {
    if (name === '') return;
    const t = graph.tensor(name);
    const key = i === 0 ? 'input' : `input${i}`;
    if (!t.data) { types[key] = inputType(graph, name, data); return; }
    const role = roles[i];
    if (node.op === 'BipolarQuant' || node.op === 'Rescale') return; // typed below
    if (role) {
      const set = P[role];
      const ty = role === 'scale' && node.op === 'PRelu' ? (DEFAULT_STRING_ROLE(set) ?? (set === 'auto' ? autoConstType(numeric(t)) : t.precision ?? DEFAULT_SCALE_TYPE)) : constType(t, set);
      types[role] = typeConstant(node, i, graph, ty).precision!;
    } else {
      // Constant operand of Add/Sub/Mul/Concat: typed like a weight.
      types[key] = typeConstant(node, i, graph, constType(t, P.weight)).precision!;
    }
  });
  const x = types['input'] ?? data;

  // ---- accumulators and factors
  let exact: FixedType | undefined; // the exact result type, for result 'auto'
  const tensorOf = (i: number): Tensor | undefined => (node.inputs[i] ? graph.tensor(node.inputs[i]) : undefined);
  switch (node.op) {
    case 'Dense':
    case 'Conv': {
      const w = tensorOf(1)!, b = tensorOf(2);
      const K = layer.params['n_mult_in'] as number, N = layer.params['n_mult_out'] as number;
      // Depthwise: rows of the [k, M] weight matrix are the window taps; the column sums are what matters.
      const rows = (w.data!.length / N) | 0;
      void K;
      const acc = denseAccum(x, w.meta['hlsCodes'] as ArrayLike<number>, types['weight'], rows, N, b?.meta['hlsCodes'] as ArrayLike<number> | undefined, b ? types['bias'] : undefined);
      exact = accumType(node, graph, acc.type, P.accum);
      types['accum'] = exact;
      break;
    }
    case 'ScaleShift': {
      const s = tensorOf(1)!, h = tensorOf(2);
      const C = s.data!.length;
      const acc = denseAccum(x, s.meta['hlsCodes'] as ArrayLike<number>, types['scale'], 1, C, h?.meta['hlsCodes'] as ArrayLike<number> | undefined, h ? types['shift'] : undefined);
      exact = accumType(node, graph, acc.type, P.accum);
      types['accum'] = exact;
      break;
    }
    case 'AveragePool':
    case 'GlobalAveragePool': {
      const p = layer.params;
      const taps = node.op === 'GlobalAveragePool'
        ? (p['in_height'] as number | undefined ?? 1) * (p['in_width'] as number)
        : (p['filt_height'] as number | undefined ?? 1) * (p['filt_width'] as number);
      const [lo, hi] = codeRange(x);
      types['accum'] = accumType(node, graph, typeForCodes(lo * BigInt(taps), hi * BigInt(taps), fracBits(x)), P.accum);
      const st = DEFAULT_STRING_ROLE(P.scale) ?? AVG_SCALE_TYPE;
      types['scale'] = st;
      // AveragePool: entry n = scale(1/n) for the n taps inside the input (entry 0, never read, 0); global pooling
      // always divides by all pixels: one entry, read at index 0 (nnet_pooling.h global_pooling).
      p['inv_count_codes'] = node.op === 'GlobalAveragePool'
        ? [codeOf(1 / taps, st)]
        : Array.from({ length: taps + 1 }, (_, c) => (c === 0 ? 0 : codeOf(1 / c, st)));
      break;
    }
    case 'LayerNormalization': {
      const n = layer.params['n_in'] as number;
      const [lo, hi] = codeRange(x);
      const m = lo < 0n ? -lo : hi;
      // Sums of x and of squared deviations, exact.
      const sum = typeForCodes(lo * BigInt(n), hi * BigInt(n), fracBits(x));
      const sq = typeForCodes(0n, 4n * m * m * BigInt(n), 2 * fracBits(x));
      types['accum'] = accumType(node, graph, unionType(sum, { ...sq, signed: true, width: sq.width + 1, integer: sq.integer + 1 }), P.accum);
      break;
    }
    case 'Softsign': {
      // num = accum(x) and den = accum(1 + |x|) exact; the quotient is truncated to accum's fractional bits, 8 more
      // than the input's or the data type's, before the result's own rounding.
      const f = Math.max(fracBits(x), fracBits(data)) + 8, i = x.integer + 2;
      types['accum'] = accumType(node, graph, { signed: true, width: i + f, integer: i, rounding: 'TRN', overflow: 'WRAP' }, P.accum);
      break;
    }
    case 'LeakyRelu': case 'HardSigmoid': case 'Selu': case 'Clip': {
      const st = DEFAULT_STRING_ROLE(P.scale) ?? DEFAULT_SCALE_TYPE;
      types['scale'] = st;
      const a = node.attrs;
      const numAttr = (k: string, d: number): number => (typeof a[k] === 'number' ? (a[k] as number) : d);
      if (node.op === 'LeakyRelu') layer.params['alpha_code'] = codeOf(numAttr('alpha', 0.01), st);
      if (node.op === 'HardSigmoid') { layer.params['alpha_code'] = codeOf(numAttr('alpha', 0.2), st); layer.params['beta_code'] = codeOf(numAttr('beta', 0.5), st); }
      if (node.op === 'Selu') layer.params['gamma_code'] = codeOf(numAttr('gamma', 1.05070102214813232421875), st);
      if (node.op === 'Clip') {
        const lo = numAttr('min', -Infinity), hi = numAttr('max', Infinity);
        layer.params['has_min'] = Number.isFinite(lo) ? 1 : 0;
        layer.params['has_max'] = Number.isFinite(hi) ? 1 : 0;
        layer.params['min_code'] = Number.isFinite(lo) ? codeOf(lo, st) : 0;
        layer.params['max_code'] = Number.isFinite(hi) ? codeOf(hi, st) : 0;
      }
      break;
    }
    case 'BipolarQuant': {
      const s = tensorOf(1)!;
      const r = DEFAULT_STRING_ROLE(P.result) ?? modelResult ?? bipolar(numeric(s)[0]) ?? data;
      types['scale'] = typeConstant(node, 1, graph, r).precision!;
      exact = r;
      break;
    }
    case 'Rescale': {
      // docs/design/vitis-backend.md, "Rescale": p = x * inv_scale (exact), q = clamp(round(...) + zp), y = result((q -
      // zp) * scale). The two factors are constants of their own roles, derived from the values at 24 bits.
      const s = tensorOf(1)!;
      const sv = numeric(s);
      const st = DEFAULT_STRING_ROLE(P.scale) ?? autoConstType(sv, RESCALE_CONST_WIDTH);
      types['scale'] = typeConstant(node, 1, graph, st).precision!;
      const inv = Float64Array.from(sv, (v) => 1 / v);
      const it = DEFAULT_STRING_ROLE(P.inv_scale) ?? autoConstType(inv, RESCALE_CONST_WIDTH);
      types['inv_scale'] = it;
      layer.params['inv_scale_codes'] = Array.from(codesFor(inv, it) as ArrayLike<number>, Number);
      const prodFrac = fracBits(x) + fracBits(it);
      if (prodFrac < 0 || x.width + it.width > 62) {
        throw new FirmflowError('vitis.precision', `${describe(node)}: x * 1/scale needs ${x.width + it.width} bits with ${prodFrac} fractional bits (the kernel takes at most 62 bits and at least 0 fractional bits); give Precision.inv_scale or a narrower input type`, { layer: layer.layerName });
      }
      layer.params['prod_frac'] = prodFrac;
      const bits = layer.params['bits'] as number, signedQ = layer.params['signed'] === 1, narrow = layer.params['narrow'] === 1;
      const [qmin, qmax] = quantRange(bits, signedQ, narrow);
      layer.params['q_min'] = qmin;
      layer.params['q_max'] = qmax;
      const zv = node.inputs[2] ? numeric(tensorOf(2)!) : new Float64Array([0]);
      const zt = typeForCodes(BigInt(Math.min(0, ...zv)), BigInt(Math.max(0, ...zv)), 0);
      types['zero_point'] = { ...zt, width: Math.max(zt.width, 2), integer: Math.max(zt.width, 2) };
      if (node.inputs[2]) typeConstant(node, 2, graph, types['zero_point']);
      layer.params['zero_point_codes'] = Array.from(zv);
      break;
    }
    case 'Add': case 'Sub': case 'Mul': {
      const a = types['input'], b = types['input1'];
      exact = resultType(node.op === 'Add' ? 'add' : node.op === 'Sub' ? 'sub' : 'mul', a, b);
      break;
    }
    case 'Relu':
      exact = x;
      break;
    case 'Concat': {
      exact = node.inputs.map((_, i) => types[i === 0 ? 'input' : `input${i}`]).reduce((u, t) => (sameType(u, t) ? u : unionType(u, t)));
      break;
    }
    default:
      if (COPY_OPS.has(node.op)) exact = x;
  }

  // ---- result
  let result: FixedType;
  const r = P.result;
  if (r && r !== 'auto') result = r;
  else if (r === 'auto') {
    if (!exact) throw new FirmflowError('config.value', `${describe(node)}: Precision.result 'auto' needs an exact result type, which ${node.op} has not (give a precision)`, { layer: layer.layerName, key: 'Precision.result' });
    result = exact;
  } else if (node.op === 'FixedCast') {
    if (!modelResult) throw new FirmflowError('vitis.precision', `${describe(node)}: the quantizer's output has no fixed-point type`);
    result = modelResult;
  } else if (modelResult) result = modelResult;
  else if (COPY_OPS.has(node.op) || node.op === 'BipolarQuant') result = exact ?? data;
  else result = data;
  if (exactIn && !modelResult && exact && !cfg.layerRoles.includes('result') && r !== 'auto') {
    // Between the model's quantizers (or before an unquantized output) the default is the exact result.
    if (exact.width <= MAX_EXACT_RESULT) result = exact;
    else warn(graph, `${describe(node)}: its exact result needs ${exact.width} bits (more than ${MAX_EXACT_RESULT}); it uses ${formatType(result)} instead, so the model's quantized arithmetic is not reproduced exactly (configure Precision.result to choose)`);
  }
  if (exactIn && !modelResult && exact && sameType(result, exact)) for (const o of node.outputs) if (o !== '') exactModel.add(o);
  if (node.op === 'Softmax' && layer.kernel.startsWith('softmax_stable') && !modelResult && r !== 'auto' && !cfg.layerRoles.includes('result')) {
    // Probabilities in [0, 1]: a model-wide data type would spend its integer bits on nothing and tie close classes.
    result = softmaxResultType(x, layer.params['n_in'] as number, data);
  }
  types['result'] = result;
  void shapeOf;
  return result;
}

/**
 * Default result type of a stable Softmax: ufixed<W,0,RND_CONV,SAT> with W the data width, widened so that the
 * largest input (exp 1.0) and one a single input LSB below it (exp(-2^-F) ~ 1 - 2^-F) stay apart after the common
 * factor 1/s (s <= n): W >= F + ceil(log2(n + 1)) + 1, at most 32.
 */
export function softmaxResultType(x: FixedType, n: number, data: FixedType): FixedType {
  const need = fracBits(x) + Math.ceil(Math.log2(n + 1)) + 1;
  const width = Math.min(32, Math.max(data.width, need));
  return { signed: false, width, integer: 0, rounding: 'RND_CONV', overflow: 'SAT' };
}

function bipolar(s: number): FixedType | undefined {
  const e = Math.log2(Math.abs(s));
  if (!Number.isInteger(e)) return undefined;
  return { signed: true, width: 2, integer: 2 + e, rounding: 'RND_CONV', overflow: 'SAT' };
}

/** The accumulator: configured, else the exact one capped at 64 bits (with a warning when capped). */
function accumType(node: IRNode, graph: Graph, exact: FixedType, set: PrecisionSetting | undefined): FixedType {
  if (set && set !== 'auto') return set;
  const { type, dropped } = capAccum(exact);
  if (dropped > 0) {
    warn(graph, `${describe(node)}: the exact accumulator needs ${exact.width} bits; it is capped at ${ACCUM_CAP} (${formatType(type)}), dropping ${dropped} fractional bit${dropped > 1 ? 's' : ''} (configure Precision.accum to choose)`);
  }
  return type;
}
