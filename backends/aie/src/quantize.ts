/*
 * Quantization legalization: turns the optimized IR's fixed-point annotations into the integer arithmetic the AIE
 * kernels do (int8/int16 codes with power-of-two scales, srs shifts, accumulator widths), or bf16 in float mode.
 * Everything the AIE cannot do is collected and refused at once, by node name, before any file is written.
 */
import { FirmflowError, type FixedType, type Graph, type IRNode, type Tensor, type TensorData } from 'firmflow';
import type { AieDevice } from './devices.js';
import { operandPair } from './devices.js';
import type { AieAcc, AieDataType, AieIntType, AieKernelKind, AieLayer, AieOptions, AieRounding } from './lowered.js';
import { rowBroadcast } from './broadcast.js';
import { ACTIVATION_OPS } from './activation.js';

/** IR ops the AIE lowering implements, and the kernel each becomes. */
export const SUPPORTED_OPS: Record<string, AieKernelKind> = {
  Dense: 'dense',
  MatMul: 'matmul',
  Add: 'add',
  Relu: 'relu',
  Sigmoid: 'activation',
  Tanh: 'activation',
  Softmax: 'softmax',
  LayerNormalization: 'layernorm',
  Transpose: 'transpose',
  Concat: 'view',
  Slice: 'view',
  Split: 'view',
  Reshape: 'view',
  Flatten: 'view',
  Squeeze: 'view',
  Unsqueeze: 'view',
};

/** ap_fixed rounding of a quantizer -> aie::rounding_mode applied by srs. */
const ROUNDING: Partial<Record<FixedType['rounding'], AieRounding>> = {
  TRN: 'floor',
  RND: 'positive_inf',
  RND_ZERO: 'symmetric_zero',
  RND_MIN_INF: 'negative_inf',
  RND_INF: 'symmetric_inf',
  RND_CONV: 'conv_even',
};

export interface ActType {
  dtype: AieIntType;
  frac: number;
  fixed: FixedType;
  /** The quantizer's own code range when it is narrower than `dtype` (int4 / uint6 / narrow int8 in int8 codes). */
  clamp?: { min: number; max: number };
}

/**
 * The smallest AIE integer type holding every code of a fixed-point type exactly, and the type's own code range.
 * A signed n-bit type fits int8 for n <= 8 and int16 for n <= 16; an unsigned one int8 for n <= 7 and int16 for
 * n <= 15 (its codes [0, 2^n - 1] need a sign bit on top). SAT_SYM (QONNX narrow) drops the most negative code.
 * `clamp` is set when that range is narrower than the AIE type's: srs saturates to the AIE type, so the kernel then
 * clamps to the quantizer's range (clamp-then-round equals round-then-clamp for integer bounds). A string is the
 * reason the type has no AIE container (wider than 16 bits).
 */
export function codeType(f: FixedType): { dtype: AieIntType; min: number; max: number; clamp?: { min: number; max: number } } | string {
  const w = f.width;
  const dtype: AieIntType | undefined = f.signed ? (w <= 8 ? 'int8' : w <= 16 ? 'int16' : undefined) : w <= 7 ? 'int8' : w <= 15 ? 'int16' : undefined;
  const what = `${f.signed ? '' : 'unsigned '}${w}-bit (ap_${f.signed ? '' : 'u'}fixed<${w},${f.integer}>)`;
  if (!dtype || w < 1) return `${what}: AIE kernels hold codes in int8 or int16 (signed types up to 16 bits, unsigned up to 15)`;
  const min = f.signed ? -(2 ** (w - 1)) + (f.overflow === 'SAT_SYM' ? 1 : 0) : 0;
  const max = f.signed ? 2 ** (w - 1) - 1 : 2 ** w - 1;
  const full = intBounds(dtype);
  return { dtype, min, max, ...(min !== full.min || max !== full.max ? { clamp: { min, max } } : {}) };
}

const intBounds = (t: AieIntType): { min: number; max: number } => (t === 'int8' ? { min: -128, max: 127 } : { min: -32768, max: 32767 });

/** Planned rewrites of the legalization: a Relu fused into its Dense/MatMul (a Dense carries its own bias). */
export interface FusionPlan {
  relu: Map<string, IRNode>;
  /** Names of the nodes the plan absorbs. */
  absorbed: Set<string>;
}

const who = (n: IRNode): string => {
  const o = n.origin && n.origin.name !== n.name ? `, from ONNX ${n.origin.op} '${n.origin.name}'` : '';
  return `node '${n.name}' (${n.op}${o})`;
};

/** Constant contents as float64 (int64 initializers included). */
export function numbers(d: TensorData): Float64Array {
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

export function resolveShape(shape: readonly (number | string)[], batch: number): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : batch));
}

function isPow2(x: number): boolean {
  if (!(x > 0) || !Number.isFinite(x)) return false;
  const e = Math.log2(x);
  return Number.isInteger(e) || 2 ** Math.round(e) === x;
}

const sole = (g: Graph, t: string): IRNode | undefined => {
  const c = g.consumers(t);
  return c.length === 1 && !g.isGraphOutput(t) ? c[0] : undefined;
};

/** Which Relu / constant-Add nodes fold into the products before them. */
export function planFusions(g: Graph): FusionPlan {
  const plan: FusionPlan = { relu: new Map(), absorbed: new Set() };
  for (const n of g.topoOrder()) {
    if (n.op !== 'Dense' && n.op !== 'MatMul') continue;
    const out = n.outputs[0];
    // No bias folds into a MatMul: an IR MatMul here multiplies two runtime operands (a constant one became a Dense,
    // bias included) and its kernel has no bias; a constant Add after it stays its own (broadcast) Add layer.
    const relu = sole(g, out);
    if (relu?.op === 'Relu') {
      const pt = g.tensor(out), rt = g.tensor(relu.outputs[0]);
      // max(0, q(x)) = q(max(0, x)) for a monotone rounding that keeps 0: fusing is exact unless two different
      // quantizers sit on either side of the Relu.
      if (!pt.quant && !rt.quant && (!pt.precision || !rt.precision || sameFixed(pt.precision, rt.precision))) {
        plan.relu.set(n.name, relu);
        plan.absorbed.add(relu.name);
      }
    }
  }
  return plan;
}

function sameFixed(a: FixedType, b: FixedType): boolean {
  return a.signed === b.signed && a.width === b.width && a.integer === b.integer && a.rounding === b.rounding && a.overflow === b.overflow;
}

/** Collects refusals; `fail` records one and returns undefined so analysis of other nodes goes on. */
class Refusals {
  readonly items: { node: string; op: string; reason: string }[] = [];
  fail(n: IRNode, reason: string): undefined {
    this.items.push({ node: n.name, op: n.op, reason: `${who(n)}: ${reason}` });
    return undefined;
  }
}

interface Ctx {
  g: Graph;
  opts: AieOptions;
  device: AieDevice;
  plan: FusionPlan;
  refuse: Refusals;
}

/** The integer type of an activation tensor, following views that pass codes through unchanged. */
function actType(ctx: Ctx, name: string, user: IRNode, seen = 0): ActType | string {
  const t = ctx.g.tensor(name);
  if (t.quant) {
    const p = ctx.g.producer(name);
    const s = Array.from(t.quant.scale).slice(0, 4).map((v) => +v.toPrecision(6)).join(', ');
    const zp = Array.from(t.quant.zeroPoint).some((z) => z !== 0);
    const why = zp ? `zero point ${Array.from(t.quant.zeroPoint).slice(0, 4).join(', ')} is not 0` : `scale ${s} is not a power of two (or differs per channel)`;
    return `tensor '${name}'${p ? ` (quantized by '${p.name}')` : ''}: ${why}; AIE kernels need symmetric power-of-two scales`;
  }
  const f = t.precision;
  if (f) {
    const c = codeType(f);
    if (typeof c === 'string') return `tensor '${name}' is ${c}`;
    if (c.clamp && ctx.g.isGraphInput(name)) {
      // The host quantizes graph inputs to the AIE type's range (emulate.ts quantizeInput, the PLIO writer); a
      // narrower quantizer's clipping would be lost.
      return `graph input '${name}' is ${f.signed ? '' : 'unsigned '}${f.width}-bit (codes [${c.clamp.min}, ${c.clamp.max}]) held in ${c.dtype}: the host writes graph inputs saturated to the ${c.dtype} range, not the quantizer's; quantize the input to a full int8/int16 type (narrow types after the first layer are fine)`;
    }
    return { dtype: c.dtype, frac: f.width - f.integer, fixed: f, ...(c.clamp ? { clamp: c.clamp } : {}) };
  }
  const p = ctx.g.producer(name);
  if (p && seen < 64 && (SUPPORTED_OPS[p.op] === 'view' || p.op === 'Transpose' || (p.op === 'Relu' && !ctx.plan.absorbed.has(p.name)))) {
    return actType(ctx, p.inputs[0], user, seen + 1);
  }
  const what = ctx.g.isGraphInput(name) ? `graph input '${name}'` : `tensor '${name}'${p ? ` (output of '${p.name}')` : ''}`;
  return `${what} has no quantizer; the integer AIE kernels need int8/int16 tensors with power-of-two scales (QuantizeLinear/DequantizeLinear), or use aie.mode 'bf16'`;
}

function roundingOf(ctx: Ctx, f: FixedType, n: IRNode): AieRounding | undefined {
  if (ctx.opts.rounding) return ctx.opts.rounding;
  const r = ROUNDING[f.rounding];
  return r ?? ctx.refuse.fail(n, `output rounding ${f.rounding} has no aie::rounding_mode equivalent`);
}

/**
 * srs saturation for an output type. SAT saturates to the AIE type (and a narrow type's clamp narrows it further);
 * SAT_SYM (QONNX narrow) is a clamp to [-(2^(n-1) - 1), 2^(n-1) - 1]. WRAP wraps at the AIE type's width, so it is
 * exact only when the quantizer is as wide as its AIE type.
 */
function saturationOf(ctx: Ctx, o: ActType, n: IRNode): boolean | undefined {
  const f = o.fixed;
  if (f.overflow === 'SAT' || f.overflow === 'SAT_SYM') return true;
  if (f.overflow === 'WRAP') {
    if (o.clamp) return ctx.refuse.fail(n, `output overflow mode WRAP on a ${f.signed ? '' : 'unsigned '}${f.width}-bit type: srs wraps at the ${o.dtype} width, not at ${f.width} bits (use saturation)`);
    return false;
  }
  return ctx.refuse.fail(n, `output overflow mode ${f.overflow} is not an AIE saturation mode (saturate or wrap)`);
}

/** Constant codes of a tensor on a fixed-point grid: value * 2^frac, exact integers in range. */
const codeCache = new WeakMap<Tensor, { key: string; codes: Float64Array }>();

function codesOf(ctx: Ctx, n: IRNode, t: Tensor, frac: number | number[], bits: number, colAxisLen: number): Float64Array | undefined {
  // The check and the annotation pass quantize the same constants: do it once.
  const key = `${bits}:${typeof frac === 'number' ? frac : frac.join(',')}:${t.data!.length}`;
  const hit = codeCache.get(t);
  if (hit && hit.key === key) return hit.codes;
  const r = codesOfUncached(ctx, n, t, frac, bits, colAxisLen);
  if (r) codeCache.set(t, { key, codes: r });
  return r;
}

function codesOfUncached(ctx: Ctx, n: IRNode, t: Tensor, frac: number | number[], bits: number, colAxisLen: number): Float64Array | undefined {
  const d = t.data!;
  const out = new Float64Array(d.length);
  const lo = -(2 ** (bits - 1)), hi = 2 ** (bits - 1) - 1;
  const muls = typeof frac === 'number' ? [2 ** frac] : frac.map((f) => 2 ** f);
  const cols = muls.length === 1 ? 1 : colAxisLen;
  const isBig = d instanceof BigInt64Array || d instanceof BigUint64Array;
  for (let i = 0, c = 0; i < d.length; i++, c = c + 1 === cols ? 0 : c + 1) {
    const x = isBig ? Number(d[i]) : (d[i] as number);
    const v = x * muls[c];
    if (v !== Math.round(v) || v < lo || v > hi) {
      return ctx.refuse.fail(n, `constant '${t.name}' value ${x} at index ${i} is not an int${bits} code of scale 2^${-Math.log2(muls[c])}`);
    }
    out[i] = v;
  }
  return out;
}

/** Type of a constant operand (weights): per tensor from its precision, or per output column from a per-axis quant. */
function weightType(ctx: Ctx, n: IRNode, w: Tensor, colAxis: number): { dtype: AieIntType; frac: number | number[] } | undefined {
  if (w.precision) {
    // Constant codes are checked one by one against the AIE type (codesOf): a narrow type's codes are in range.
    const c = codeType(w.precision);
    if (typeof c === 'string') return ctx.refuse.fail(n, `weights '${w.name}' are ${c}`);
    return { dtype: c.dtype, frac: w.precision.width - w.precision.integer };
  }
  const q = w.quant;
  if (q) {
    if (Array.from(q.zeroPoint).some((z) => z !== 0)) return ctx.refuse.fail(n, `weights '${w.name}' have a non-zero zero point; AIE kernels need symmetric weights`);
    const bad = Array.from(q.scale).find((s) => !isPow2(s));
    if (bad !== undefined) return ctx.refuse.fail(n, `weights '${w.name}' have scale ${bad}, not a power of two; AIE kernels shift by powers of two`);
    const qdt: AieIntType | undefined = q.signed ? (q.bits <= 8 ? 'int8' : q.bits <= 16 ? 'int16' : undefined) : q.bits <= 7 ? 'int8' : q.bits <= 15 ? 'int16' : undefined;
    if (!qdt) return ctx.refuse.fail(n, `weights '${w.name}' are ${q.bits}-bit ${q.signed ? 'signed' : 'unsigned'}; AIE kernels hold codes in int8 or int16 (signed up to 16 bits, unsigned up to 15)`);
    const rank = w.shape.length;
    if (q.scale.length > 1 && q.axis !== undefined && q.axis !== colAxis && q.axis !== colAxis - rank) {
      return ctx.refuse.fail(n, `weights '${w.name}' are quantized per channel along axis ${q.axis} (input features); only per-output-column scales can be applied after accumulation`);
    }
    const cols = w.shape[colAxis] as number;
    const frac = Array.from(q.scale, (s) => -Math.round(Math.log2(s)));
    return { dtype: qdt, frac: frac.length === 1 ? frac[0] : frac.length === cols ? frac : (ctx.refuse.fail(n, `weights '${w.name}' have ${frac.length} scales for ${cols} columns`) as never) };
  }
  return ctx.refuse.fail(n, `weights '${w.name}' are float (no quantizer); quantize them with power-of-two scales or use aie.mode 'bf16'`);
}

const maxCode = (t: AieDataType): number => (t === 'int8' ? 128 : t === 'int16' ? 32768 : 0);

/** acc32 when the worst case |sum| (K products of full-scale codes, plus the bias) fits in 31 bits, else acc64. */
function accFor(a: AieIntType, w: AieIntType, K: number, biasMax: number): AieAcc {
  return K * maxCode(a) * maxCode(w) + biasMax < 2 ** 31 ? 'acc32' : 'acc64';
}

/** The tensor a node finally writes (after a fused Relu). */
export function finalOutput(plan: FusionPlan, n: IRNode): string {
  return plan.relu.get(n.name)?.outputs[0] ?? n.outputs[0];
}

function biasInput(n: IRNode): string | undefined {
  return n.op === 'Dense' ? n.inputs[2] || undefined : undefined;
}

function outType(ctx: Ctx, n: IRNode, out: string): ActType | undefined {
  const t = actType(ctx, out, n);
  if (typeof t === 'string') {
    const own = ctx.g.tensor(out);
    if (!own.precision && !own.quant) {
      return ctx.refuse.fail(n, `output '${out}' has no quantizer; the AIE kernel must know its int8/int16 scale (add QuantizeLinear/DequantizeLinear after it, or use aie.mode 'bf16')`);
    }
    return ctx.refuse.fail(n, t);
  }
  return t;
}

function inType(ctx: Ctx, n: IRNode, name: string): ActType | undefined {
  const t = actType(ctx, name, n);
  return typeof t === 'string' ? ctx.refuse.fail(n, t) : t;
}

function base(kernel: AieKernelKind, n: IRNode, ctx: Ctx, inputs: string[], out: string): Omit<AieLayer, 'dtype' | 'frac' | 'shift' | 'rounding' | 'saturate'> {
  const b = ctx.opts.batch;
  return {
    kernel,
    fusedRelu: ctx.plan.relu.has(n.name) || n.meta['aieFusedRelu'] === true,
    inputs,
    outputs: [out],
    shapes: { inputs: inputs.map((i) => resolveShape(ctx.g.tensor(i).shape, b)), output: resolveShape(ctx.g.tensor(out).shape, b) },
    attrs: {},
    fused: [...((n.meta['aieFused'] as string[] | undefined) ?? []), ctx.plan.relu.get(n.name)?.name].filter((x): x is string => !!x),
  };
}

/**
 * The first quantizer the model carries, described for the report, or undefined for a float model: a tensor with a
 * fixed-point type or an affine quantization (what QDQ / QONNX Quant nodes become in the optimized IR), or a
 * quantizer node the frontend kept (Rescale: a non-power-of-two scale; BipolarQuant and the like). `aie.mode`
 * 'auto' chooses integer kernels for such a model and bf16 for a float one.
 */
export function firstQuantizer(g: Graph): string | undefined {
  for (const n of g.topoOrder()) {
    if (n.op === 'Rescale' || /Quant/.test(n.op)) return `node '${n.name}' (${n.op})`;
  }
  for (const t of g.tensors.values()) {
    if (t.precision) return `tensor '${t.name}' (${t.precision.signed ? '' : 'u'}fixed<${t.precision.width},${t.precision.integer}>)`;
    if (t.quant) return `tensor '${t.name}' (scale ${+Number(t.quant.scale[0]).toPrecision(6)})`;
  }
  return undefined;
}

/** The first node of a float model the AIE would compute (for the refusal of aie.mode 'int'). */
export function firstLayer(g: Graph): IRNode | undefined {
  return g.topoOrder().find((n) => SUPPORTED_OPS[n.op] !== undefined && SUPPORTED_OPS[n.op] !== 'view') ?? g.topoOrder()[0];
}

/** Rounds a float to bf16 (nearest even) and returns its 16-bit pattern as a signed int16. */
export function toBf16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  let v = u[0];
  if ((v & 0x7f800000) === 0x7f800000 && (v & 0x7fffff) !== 0) return ((v >>> 16) | 0x40) << 16 >> 16;
  v = (v + 0x7fff + ((v >>> 16) & 1)) >>> 0;
  return (v >>> 16) << 16 >> 16;
}

function legalizeProduct(ctx: Ctx, n: IRNode): AieLayer | undefined {
  const out = finalOutput(ctx.plan, n);
  const isDense = n.op === 'Dense';
  const [xName, wName] = n.inputs;
  const g = ctx.g;
  if (!isDense) {
    if (g.isConstant(xName)) return ctx.refuse.fail(n, `first operand '${xName}' is a constant; AIE MatMul takes two runtime inputs (a constant second operand becomes a Dense)`);
    if (g.isConstant(wName)) return ctx.refuse.fail(n, `second operand '${wName}' is a constant that was not turned into a Dense layer`);
  } else if (!g.isConstant(wName)) {
    return ctx.refuse.fail(n, `weights '${wName}' are not a constant`);
  }
  const xs = resolveShape(g.tensor(xName).shape, ctx.opts.batch), ws = resolveShape(g.tensor(wName).shape, ctx.opts.batch);
  if (xs.length < 1 || ws.length < 2) return ctx.refuse.fail(n, `operands ${JSON.stringify(xs)} x ${JSON.stringify(ws)}: AIE products need a matrix second operand`);
  const K = xs[xs.length - 1], N = ws[ws.length - 1];
  const lay = base(isDense ? 'dense' : 'matmul', n, ctx, isDense ? [xName] : [xName, wName], out);
  const bName = biasInput(n);
  const bT = bName ? g.tensor(bName) : undefined;
  if (isDense && ws.length !== 2) return ctx.refuse.fail(n, `weights of rank ${ws.length}`);
  if (!isDense) {
    const bs = xs.slice(0, -2), bb = ws.slice(0, -2);
    if (bb.length > bs.length || bb.some((d, i) => d !== bs[bs.length - bb.length + i])) {
      return ctx.refuse.fail(n, `batch axes of ${JSON.stringify(xs)} x ${JSON.stringify(ws)} do not match; AIE MatMul needs equal leading axes (no broadcasting of the first operand)`);
    }
    lay.attrs['batch'] = bs.reduce((a, b) => a * b, 1);
  }
  if (ctx.opts.mode === 'bf16') {
    const lw: AieLayer = { ...lay, dtype: { a: 'bf16', w: 'bf16', out: 'bf16', acc: 'accfloat' }, frac: { a: 0, w: 0, out: 0 }, shift: 0, rounding: 'conv_even', saturate: false };
    if (isDense) lw.weightsCodes = Int16Array.from(numbers(g.tensor(wName).data!), toBf16Bits);
    if (bT?.data) lw.biasFloat = Float32Array.from(numbers(bT.data));
    return lw;
  }
  const a = inType(ctx, n, xName);
  let wt: { dtype: AieIntType; frac: number | number[] } | undefined;
  let bAct: ActType | undefined;
  if (isDense) wt = weightType(ctx, n, g.tensor(wName), 1);
  else {
    bAct = inType(ctx, n, wName);
    wt = bAct && { dtype: bAct.dtype, frac: bAct.frac };
  }
  const floatOut = isFloatGraphOutput(ctx, out);
  const o = floatOut ? undefined : outType(ctx, n, out);
  if (!a || !wt || (!o && !floatOut)) return undefined;
  const pair = operandPair(a.dtype, wt.dtype);
  if (!ctx.device.macsPerCycle[pair] || !ctx.device.microtiles[pair]) {
    return ctx.refuse.fail(n, `${a.dtype} x ${wt.dtype} products are not supported on ${ctx.device.name}`);
  }
  if (!o) return int32Product(ctx, n, lay, { a, w: wt, b: bAct, K, N, out, weights: isDense ? g.tensor(wName) : undefined, bias: bT });
  const fw = wt.frac;
  const prodFrac = (c: number): number => a.frac + (typeof fw === 'number' ? fw : fw[c]);
  const shifts = Array.from({ length: typeof fw === 'number' ? 1 : N }, (_, c) => prodFrac(c) - o.frac);
  const neg = shifts.findIndex((s) => s < 0);
  if (neg >= 0) return ctx.refuse.fail(n, `output '${out}' has ${o.frac} fractional bits, finer than the product's ${prodFrac(neg)}; an srs cannot shift left`);
  let rounding = roundingOf(ctx, o.fixed, n);
  const saturate = saturationOf(ctx, o, n);
  if (rounding === undefined || saturate === undefined) return undefined;
  const perColumn = typeof fw !== 'number';
  let codes: Float64Array | undefined;
  if (isDense) {
    codes = codesOf(ctx, n, g.tensor(wName), fw, wt.dtype === 'int8' ? 8 : 16, N);
    if (!codes) return undefined;
  }
  let biasCodes: Int32Array | undefined;
  let biasMax = 0;
  if (bT) {
    if (!bT.data) return ctx.refuse.fail(n, `bias '${bT.name}' is not a constant`);
    if (bT.data.length !== N) return ctx.refuse.fail(n, `bias '${bT.name}' has ${bT.data.length} values for ${N} columns`);
    if (bT.quant) return ctx.refuse.fail(n, `bias '${bT.name}' has scale ${bT.quant.scale[0]} that is not a power of two`);
    biasCodes = new Int32Array(N);
    const vs = Array.from({ length: N }, (_, c) => Number(bT.data![c]) * 2 ** prodFrac(c));
    const fold = bT.precision ? undefined : floatBiasFold(vs, (c) => shifts[perColumn ? c : 0], rounding);
    if (fold) rounding = fold.rounding;
    for (let c = 0; c < N; c++) {
      const v = vs[c];
      // A bias on the product grid (QDQ's int32 bias at scale s_a * s_w) is exact; a float bias folds exactly into
      // the srs (floatBiasFold), or, when it cannot, is rounded onto the grid.
      const r = Number.isInteger(v) ? v : fold ? fold.codes[c] : roundHalfEven(v);
      if (bT.precision && !Number.isInteger(v)) return ctx.refuse.fail(n, `bias '${bT.name}' value ${Number(bT.data[c])} is finer than the product scale 2^-${prodFrac(c)}`);
      if (Math.abs(r) >= 2 ** 31) return ctx.refuse.fail(n, `bias '${bT.name}' value ${Number(bT.data[c])} overflows 32 bits at the product scale 2^-${prodFrac(c)}`);
      biasCodes[c] = r;
      biasMax = Math.max(biasMax, Math.abs(r));
    }
  }
  const perCol = typeof fw !== 'number';
  const layer: AieLayer = {
    ...lay,
    dtype: { a: a.dtype, w: wt.dtype, out: o.dtype, acc: accFor(a.dtype, wt.dtype, K, biasMax) },
    frac: { a: a.frac, w: fw, out: o.frac, ...(bT ? { b: perCol ? Array.from({ length: N }, (_, c) => prodFrac(c)) : prodFrac(0) } : {}) },
    shift: perCol ? shifts : shifts[0],
    rounding,
    saturate,
    ...(o.clamp ? { clamp: o.clamp } : {}),
  };
  if (codes) layer.weightsCodes = wt.dtype === 'int8' ? Int8Array.from(codes) : Int16Array.from(codes);
  if (biasCodes) layer.biasCodes = biasCodes;
  return layer;
}

/**
 * A product's output that is a float graph output (no quantizer of its own, nothing else reads it): QONNX/Brevitas
 * exports end a quantized network that way. The kernel writes int32 codes instead of int8/int16 ones.
 */
function isFloatGraphOutput(ctx: Ctx, out: string): boolean {
  const t = ctx.g.tensor(out);
  return ctx.opts.mode !== 'bf16' && !t.precision && !t.quant && ctx.g.isGraphOutput(out) && ctx.g.consumers(out).length === 0 && typeof actType(ctx, out, ctx.g.producer(out)!) === 'string';
}

/** Largest |code| of an activation type (its narrow clamp, or the AIE type's range). */
const maxActCode = (t: ActType): number => (t.clamp ? Math.max(Math.abs(t.clamp.min), Math.abs(t.clamp.max)) : maxCode(t.dtype));

/** The finest output grid an int32 output may use beyond the product grid (bias exactness search limit). */
const INT32_MAX_UPSHIFT = 40;

/**
 * int32 output codes for a Dense/MatMul whose float graph output has no quantizer. With power-of-two scales the
 * product sum P_c of column c is an exact integer on the product grid 2^-pf_c (pf_c = frac_a + frac_w,c); the output
 * grid is 2^-F with F >= max_c pf_c, chosen as the coarsest grid on which every bias value is exact (a float32 bias
 * of a QONNX model is rarely on the product grid), but no finer than the int32 bound allows. The kernel takes the
 * accumulator to int32 with srs shift 0 (no rounding), shifts it left by u_c = F - pf_c and adds the bias codes
 * round(b_c 2^F): y_c = P_c 2^u_c + B_c, exactly the float result when the bias is on the grid.
 * Exactness bound, checked here from the constants and the input type's code range: for every column
 *   maxA * sum_k |w_kc| * 2^u_c + |B_c| < 2^31     (maxA: the largest |code| of the input type; for a runtime
 * second operand, K * maxA * maxB), so neither the accumulator, the srs to int32, the shift nor the bias add can
 * overflow. When the bound leaves no grid fine enough for the bias, the bias is rounded to the finest grid it
 * allows (an error of at most half an output LSB, which the trace reports as the layer's own error); when even the
 * product grid overflows, the layer is refused by name.
 */
function int32Product(
  ctx: Ctx, n: IRNode, lay: ReturnType<typeof base>,
  p: { a: ActType; w: { dtype: AieIntType; frac: number | number[] }; b?: ActType; K: number; N: number; out: string; weights?: Tensor; bias?: Tensor },
): AieLayer | undefined {
  const { a, w, K, N, out } = p;
  const fw = w.frac;
  const perColumn = typeof fw !== 'number';
  const pf = (c: number): number => a.frac + (typeof fw === 'number' ? fw : fw[c]);
  const pfMax = Math.max(...Array.from({ length: perColumn ? N : 1 }, (_, c) => pf(c)));
  let codes: Float64Array | undefined;
  const colAbs = new Float64Array(N);
  const maxA = maxActCode(a);
  if (p.weights) {
    codes = codesOf(ctx, n, p.weights, fw, w.dtype === 'int8' ? 8 : 16, N);
    if (!codes) return undefined;
    for (let i = 0; i < codes.length; i++) colAbs[i % N] += Math.abs(codes[i]);
    for (let c = 0; c < N; c++) colAbs[c] *= maxA;
  } else {
    colAbs.fill(K * maxA * maxActCode(p.b!));
  }
  let bias: number[] | undefined;
  if (p.bias) {
    const bT = p.bias;
    if (!bT.data) return ctx.refuse.fail(n, `bias '${bT.name}' is not a constant`);
    if (bT.data.length !== N) return ctx.refuse.fail(n, `bias '${bT.name}' has ${bT.data.length} values for ${N} columns`);
    if (bT.quant) return ctx.refuse.fail(n, `bias '${bT.name}' has scale ${bT.quant.scale[0]} that is not a power of two`);
    bias = Array.from({ length: N }, (_, c) => Number(bT.data![c]));
    const bad = bias.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return ctx.refuse.fail(n, `bias '${bT.name}' value ${bias[bad]} at column ${bad} is not finite`);
  }
  const up = (F: number, c: number): number => F - pf(perColumn ? c : 0);
  const bound = (F: number): number => {
    let m = 0;
    for (let c = 0; c < N; c++) m = Math.max(m, colAbs[c] * 2 ** up(F, c) + (bias ? Math.abs(roundHalfEven(bias[c] * 2 ** F)) : 0));
    return m;
  };
  let F = pfMax;
  if (bias) while (F < pfMax + INT32_MAX_UPSHIFT && !bias.every((v) => Number.isInteger(v * 2 ** F))) F++;
  while (F > pfMax && bound(F) >= 2 ** 31) F--;
  const worst = bound(F);
  if (worst >= 2 ** 31) {
    return ctx.refuse.fail(n, `output '${out}' is a float graph output with no quantizer, written as int32 codes at 2^-${F}: its accumulator can reach ${worst} (input codes up to ${maxA} times the weights' column sums${bias ? ', plus the bias' : ''}), beyond the int32 range; quantize the output (QuantizeLinear/DequantizeLinear) or use aie.mode 'bf16'`);
  }
  const ups = Array.from({ length: perColumn ? N : 1 }, (_, c) => up(F, c));
  const layer: AieLayer = {
    ...lay,
    dtype: { a: a.dtype, w: w.dtype, out: 'int32', acc: accFor(a.dtype, w.dtype, K, 0) },
    frac: { a: a.frac, w: fw, out: F, ...(bias ? { b: F } : {}) },
    shift: 0,
    upshift: perColumn && ups.some((u) => u !== ups[0]) ? ups : ups[0],
    // srs with shift 0 drops no bits: the rounding mode never applies.
    rounding: ctx.opts.rounding ?? 'conv_even',
    saturate: true,
  };
  if (codes) layer.weightsCodes = w.dtype === 'int8' ? Int8Array.from(codes) : Int16Array.from(codes);
  if (bias) layer.biasCodes = Int32Array.from(bias, (v) => roundHalfEven(v * 2 ** F));
  return layer;
}

/**
 * Exact folding of a float bias that is off the product grid (QONNX models keep float biases): with P the exact
 * product sum in codes of 2^-fp, v = b * 2^fp = floor(v) + rho, rho in (0, 1), the layer computes rnd((P + v) / 2^s).
 * - floor: floor((P + floor(v) + rho) / 2^s) = floor((P + floor(v)) / 2^s): bias code floor(v).
 * - ceil: (P + v) / 2^s is never an integer, so ceil = floor(..) + 1 = ceil((P + ceil(v)) / 2^s): code ceil(v).
 * - any round-to-nearest mode, s >= 1: (P + v) / 2^s is never a tie (that needs P + v on the integer grid), so the
 *   result is floor((P + v) / 2^s + 1/2) = floor((P + floor(v) + 2^(s-1)) / 2^s): srs positive_inf of
 *   P + floor(v). Columns on the grid need the quantizer's own tie rule, so the layer switches to positive_inf only
 *   when every column with s >= 1 is off the grid (or the mode is positive_inf already).
 * - s = 0: srs rounds nothing; the nearest code of v is exact unless rho = 1/2 exactly (then a tie rule on P).
 * Undefined when no column is off the grid or the fold is not exact (the bias is then rounded onto the grid).
 */
function floatBiasFold(vs: number[], shiftOf: (c: number) => number, rounding: AieRounding): { codes: number[]; rounding: AieRounding } | undefined {
  const off = vs.map((v) => !Number.isInteger(v));
  if (!off.some(Boolean)) return undefined;
  if (rounding === 'floor') return { codes: vs.map(Math.floor), rounding };
  if (rounding === 'ceil') return { codes: vs.map(Math.ceil), rounding };
  const codes: number[] = [];
  for (let c = 0; c < vs.length; c++) {
    const v = vs[c], f = Math.floor(v);
    if (!off[c]) { codes.push(v); continue; }
    if (shiftOf(c) === 0) {
      if (v - f === 0.5) return undefined;
      codes.push(v - f > 0.5 ? f + 1 : f);
    } else codes.push(f);
  }
  const switchable = rounding === 'positive_inf' || vs.every((_, c) => off[c] || shiftOf(c) === 0);
  if (!switchable) return undefined;
  // With every s >= 1 column off the grid, positive_inf only applies to those; s = 0 columns never round.
  return { codes, rounding: vs.some((_, c) => shiftOf(c) > 0) ? 'positive_inf' : rounding };
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

function legalizeElementwise(ctx: Ctx, n: IRNode, kernel: AieKernelKind): AieLayer | undefined {
  const g = ctx.g;
  // (A Split may leave its first output unnamed.)
  const out = n.outputs.find((o) => o !== '') ?? n.outputs[0];
  const xName = n.inputs[0];
  const inputs = kernel === 'add' ? n.inputs.filter((i) => !g.isConstant(i)) : kernel === 'view' ? n.inputs.filter((i) => i !== '') : [xName];
  const lay = base(kernel, n, ctx, inputs, out);
  const rank = g.tensor(xName).shape.length;
  if (n.op === 'Softmax' || n.op === 'LayerNormalization') {
    const axis = Number(n.attrs['axis'] ?? rank - 1);
    if (axis !== rank - 1) return ctx.refuse.fail(n, `normalizes over axis ${axis}; AIE ${n.op} works along the last axis only`);
    lay.attrs['axis'] = axis;
    if (n.op === 'LayerNormalization') {
      lay.attrs['epsilon'] = Number(n.attrs['epsilon'] ?? 1e-5);
      const [, sc, bi] = n.inputs;
      if (!g.isConstant(sc) || (bi && !g.isConstant(bi))) return ctx.refuse.fail(n, 'scale and bias must be constants');
      lay.params = { gamma: numbers(g.tensor(sc).data!), ...(bi ? { beta: numbers(g.tensor(bi).data!) } : {}) };
    }
  }
  if (n.op === 'Transpose') {
    const perm = (n.attrs['perm'] as number[]) ?? [];
    const ok = perm.length === rank && rank >= 2 && perm.every((p, i) => (i < rank - 2 ? p === i : p === (i === rank - 1 ? rank - 2 : rank - 1)));
    if (!ok) return ctx.refuse.fail(n, `perm ${JSON.stringify(perm)}: the AIE transposes only the last two axes`);
    lay.attrs['perm'] = perm;
  }
  if (n.op === 'Concat') lay.attrs['axis'] = Number(n.attrs['axis']);
  if (kernel === 'activation') lay.attrs['fn'] = ACTIVATION_OPS[n.op];
  if (n.op === 'Slice') {
    const steps = (n.attrs['steps'] as number[] | undefined) ?? [];
    if (steps.some((s) => s !== 1)) return ctx.refuse.fail(n, `steps ${JSON.stringify(steps)}: only contiguous slices (Split) are views`);
    lay.attrs['axes'] = (n.attrs['axes'] as number[]) ?? [];
    lay.attrs['starts'] = (n.attrs['starts'] as number[]) ?? [];
    lay.attrs['ends'] = (n.attrs['ends'] as number[]) ?? [];
  }
  if (n.op === 'Split') {
    // Every part is a region of the input's buffer: a block of columns (last axis) or of rows (the outermost
    // non-unit axis). Along any other axis the parts interleave in memory and would need copies.
    const inS = resolveShape(g.tensor(xName).shape, ctx.opts.batch);
    const axis = Number(n.attrs['axis']);
    const sizes = (n.attrs['split'] as number[] | undefined) ?? [];
    if (axis !== rank - 1 && inS.slice(0, axis).some((d) => d !== 1)) {
      return ctx.refuse.fail(n, `splits axis ${axis} of ${JSON.stringify(inS)}; its parts interleave in memory: only a split of the last axis or of the outermost non-unit axis is a view`);
    }
    const empty = n.outputs.findIndex((o, i) => o !== '' && sizes[i] === 0 && (g.consumers(o).length > 0 || g.isGraphOutput(o)));
    if (empty >= 0) return ctx.refuse.fail(n, `output '${n.outputs[empty]}' is an empty part (size 0 along axis ${axis}); AIE buffers cannot be empty`);
    lay.outputs = n.outputs.filter((o) => o !== '');
    lay.attrs['axis'] = axis;
    lay.attrs['split'] = sizes;
  }
  if (kernel === 'view' && n.op !== 'Concat') {
    // Output ports are fed by kernels: a region of a graph input that is itself a graph output has none.
    const src = viewSource(g, xName);
    const through = lay.outputs.find((o) => g.isGraphOutput(o));
    if (through && g.isGraphInput(src)) return ctx.refuse.fail(n, `output '${through}' is a graph output and a region of graph input '${src}' with no AIE kernel between them; pass it around the AIE graph`);
  }
  if (n.op === 'Concat') {
    // Likewise a Concat of graph inputs only, written to a graph output: no kernel writes any of it.
    const out0 = lay.outputs[0];
    const srcs = inputs.map((i) => viewSource(g, i));
    if (g.isGraphOutput(out0) && srcs.every((s) => g.isGraphInput(s))) {
      return ctx.refuse.fail(n, `output '${out0}' is a graph output made only of graph inputs (${srcs.map((s) => `'${s}'`).join(', ')}) with no AIE kernel between them; concatenate them outside the AIE graph`);
    }
  }
  if (kernel === 'add') {
    if (n.inputs.every((i) => g.isConstant(i))) return ctx.refuse.fail(n, 'both operands are constants');
    const cst = n.inputs.find((i) => g.isConstant(i));
    const shapes = n.inputs.map((i) => resolveShape(g.tensor(i).shape, ctx.opts.batch).join('x'));
    if (!cst && shapes[0] !== shapes[1]) {
      // One runtime operand may broadcast to the other's (the output's) shape, in the row patterns of broadcast.ts.
      const outS = resolveShape(g.tensor(out).shape, ctx.opts.batch);
      const side = shapes.findIndex((s) => s !== outS.join('x'));
      if (shapes.every((s) => s !== outS.join('x'))) return ctx.refuse.fail(n, `operands ${shapes.join(' and ')} both broadcast to the output ${outS.join('x')}; the AIE Add broadcasts one runtime operand against another of the output's shape`);
      const b = rowBroadcast(outS, resolveShape(g.tensor(n.inputs[side]).shape, ctx.opts.batch));
      if (typeof b === 'string') return ctx.refuse.fail(n, `operand '${n.inputs[side]}' ${b}`);
      lay.attrs['broadcastSide'] = side;
    }
    if (cst) lay.attrs['constShape'] = resolveShape(g.tensor(cst).shape, ctx.opts.batch);
  }
  if (ctx.opts.mode === 'bf16') {
    const l: AieLayer = { ...lay, dtype: { a: 'bf16', ...(kernel === 'add' ? { w: 'bf16' as const } : {}), out: 'bf16', acc: 'accfloat' }, frac: { a: 0, out: 0 }, shift: 0, rounding: 'conv_even', saturate: false };
    const cst = kernel === 'add' ? n.inputs.find((i) => g.isConstant(i)) : undefined;
    if (cst) l.weightsCodes = Int16Array.from(numbers(g.tensor(cst).data!), toBf16Bits);
    return l;
  }
  const ins: ActType[] = [];
  for (const i of inputs) {
    const t = inType(ctx, n, i);
    if (!t) return undefined;
    ins.push(t);
  }
  const a = ins[0];
  const passThrough = kernel === 'view' || kernel === 'transpose';
  if (kernel === 'view' && ins.some((t) => t.dtype !== a.dtype || t.frac !== a.frac)) {
    return ctx.refuse.fail(n, `inputs have different types (${ins.map((t, i) => `'${inputs[i]}' ${t.dtype} 2^-${t.frac}`).join(', ')}); a view cannot rescale`);
  }
  let o: ActType | undefined;
  const own = g.tensor(out);
  if (passThrough || (kernel === 'relu' && !own.precision && !own.quant)) {
    // (A Split's every part is checked: each is a region of the same buffer.)
    for (const name of passThrough ? lay.outputs : [out]) {
      const p = g.tensor(name).precision;
      if (p && (p.width !== a.fixed.width || p.width - p.integer !== a.frac)) {
        // A quantizer on a view's output that changes the grid is a requantization, not a view.
        if (passThrough) return ctx.refuse.fail(n, `output '${name}' is quantized to a different type than its input; requantize in a computing layer`);
      }
    }
    o = a;
  } else {
    o = outType(ctx, n, out);
  }
  if (!o) return undefined;
  if (kernel === 'activation' && a.dtype !== 'int8') {
    // One table entry per input code: 256 for int8; an int16 input would need 64 Ki entries per kernel.
    return ctx.refuse.fail(n, `input '${xName}' is ${a.dtype} (${a.fixed.width}-bit); the AIE ${n.op} looks int8 input codes up in a 256-entry table (quantize its input to 8 bits, or use aie.mode 'bf16')`);
  }
  if ((kernel === 'softmax' || kernel === 'layernorm') && (a.dtype !== 'int8' || o.dtype !== 'int8')) {
    return ctx.refuse.fail(n, `${a.dtype} -> ${o.dtype}: the integer AIE ${n.op} takes int8 in and out (use aie.mode 'bf16' for float)`);
  }
  let wFrac: number | undefined;
  let wType: AieIntType | undefined;
  let shift = 0;
  if (kernel === 'add') {
    const cst = n.inputs.find((i) => g.isConstant(i));
    if (cst) {
      const ct = weightType(ctx, n, g.tensor(cst), g.tensor(cst).shape.length - 1);
      if (!ct) return undefined;
      if (typeof ct.frac !== 'number') return ctx.refuse.fail(n, `constant operand '${cst}' is quantized per channel`);
      const codes = codesOf(ctx, n, g.tensor(cst), ct.frac, ct.dtype === 'int8' ? 8 : 16, 1);
      if (!codes) return undefined;
      lay.attrs['constSide'] = n.inputs.indexOf(cst);
      wFrac = ct.frac;
      wType = ct.dtype;
      (lay as AieLayer).weightsCodes = ct.dtype === 'int8' ? Int8Array.from(codes) : Int16Array.from(codes);
    } else {
      wFrac = ins[1].frac;
      wType = ins[1].dtype;
    }
    shift = Math.max(a.frac, wFrac) - o.frac;
  } else if (kernel === 'relu') {
    shift = a.frac - o.frac;
  }
  if (shift < 0 && kernel !== 'activation') return ctx.refuse.fail(n, `output '${out}' has ${o.frac} fractional bits, finer than the input's; an srs cannot shift left`);
  const rounding = passThrough ? 'conv_even' : roundingOf(ctx, o.fixed, n);
  const saturate = passThrough ? true : saturationOf(ctx, o, n);
  if (rounding === undefined || saturate === undefined) return undefined;
  // A narrow output's clamp (o.clamp): a pass-through keeps codes already in range; the int8 Softmax / LayerNorm
  // write the whole int8 range.
  const clamp = passThrough ? undefined : o.clamp;
  if (kernel === 'activation') shift = 0; // a table lookup: no srs
  if (clamp && (kernel === 'softmax' || kernel === 'layernorm')) {
    return ctx.refuse.fail(n, `output '${out}' is ${o.fixed.signed ? '' : 'unsigned '}${o.fixed.width}-bit (codes [${clamp.min}, ${clamp.max}]); the AIE ${n.op} kernel writes the full int8 range (quantize its output to int8)`);
  }
  return {
    ...lay,
    dtype: { a: a.dtype, ...(wType ? { w: wType } : {}), out: o.dtype, acc: kernel === 'add' || kernel === 'relu' ? 'acc32' : kernel === 'view' || kernel === 'transpose' ? 'acc32' : 'acc32' },
    frac: { a: a.frac, ...(wFrac !== undefined ? { w: wFrac } : {}), out: o.frac },
    shift,
    rounding,
    saturate,
    fusedRelu: kernel === 'relu' ? true : lay.fusedRelu,
    ...(clamp ? { clamp } : {}),
  };
}

/** The tensor whose buffer a view reads, following Slice / Split / Reshape-like views back (not Concat). */
function viewSource(g: Graph, t: string): string {
  for (let i = 0; i < 64; i++) {
    const p = g.producer(t);
    if (!p || SUPPORTED_OPS[p.op] !== 'view' || p.op === 'Concat') return t;
    t = p.inputs[0];
  }
  return t;
}

function describeRescale(g: Graph, n: IRNode): string {
  const s = g.isConstant(n.inputs[1]) ? Array.from(numbers(g.tensor(n.inputs[1]).data!)) : [];
  const z = n.inputs[2] && g.isConstant(n.inputs[2]) ? Array.from(numbers(g.tensor(n.inputs[2]).data!)) : [0];
  const badScale = s.find((v) => !isPow2(v));
  const parts: string[] = [];
  if (badScale !== undefined) parts.push(`scale ${+badScale.toPrecision(8)} is not a power of two`);
  else if (s.length > 1) parts.push(`per-channel scales (${s.slice(0, 4).join(', ')}${s.length > 4 ? ', ...' : ''}) on an activation`);
  if (z.some((v) => v !== 0)) parts.push(`zero point ${z.find((v) => v !== 0)} is not 0`);
  if (!parts.length) parts.push(`rounding mode ${String(n.attrs['roundingMode'])} or range (${String(n.attrs['bits'])}-bit) has no fixed-point equivalent`);
  return `${parts.join('; ')}; the AIE lowering needs symmetric power-of-two scales`;
}

/**
 * Analyses every node under the fusion plan; returns the layers, or throws one FirmflowError listing every node
 * the AIE cannot implement (code 'aie.unsupported', details = the list).
 */
export function analyseGraph(g: Graph, opts: AieOptions, device: AieDevice, plan: FusionPlan): Map<string, AieLayer> {
  const refuse = new Refusals();
  const ctx: Ctx = { g, opts, device, plan, refuse };
  const layers = new Map<string, AieLayer>();
  for (const n of g.topoOrder()) {
    if (plan.absorbed.has(n.name)) continue;
    if (n.op === 'Rescale') {
      if (opts.mode === 'bf16') { refuse.fail(n, 'a non-power-of-two quantizer in bf16 mode (remove the quantizers for float mode)'); continue; }
      refuse.fail(n, describeRescale(g, n));
      continue;
    }
    const kernel = SUPPORTED_OPS[n.op];
    if (!kernel) {
      refuse.fail(n, `op ${n.op} is not supported by the AIE backend (supported: Dense/Gemm, MatMul, Add, Relu, Sigmoid, Tanh, Softmax, LayerNormalization, Transpose of the last two axes, Concat/Slice/Split/Reshape as views)`);
      continue;
    }
    const l = kernel === 'dense' || kernel === 'matmul' ? legalizeProduct(ctx, n) : legalizeElementwise(ctx, n, kernel);
    if (l) layers.set(n.name, l);
  }
  if (refuse.items.length) {
    const list = refuse.items.map((r) => `  - ${r.reason}`).join('\n');
    throw new FirmflowError('aie.unsupported', `the AIE backend cannot implement ${refuse.items.length} node${refuse.items.length > 1 ? 's' : ''} of graph '${g.name}':\n${list}`, refuse.items);
  }
  return layers;
}

/** Applies the fusion plan to the graph: the product writes the Relu's output directly. */
export function applyFusions(g: Graph, plan: FusionPlan): number {
  let changes = 0;
  for (const n of g.topoOrder()) {
    const relu = plan.relu.get(n.name);
    if (!relu) continue;
    const out = finalOutput(plan, n);
    const fused = [...((n.meta['aieFused'] as string[] | undefined) ?? [])];
    fused.push(relu.name);
    const ro = g.tensor(relu.outputs[0]);
    const po = g.tensor(relu.inputs[0]);
    if (!ro.precision && po.precision) ro.precision = po.precision;
    g.removeNode(relu.name, false);
    const oldOut = n.outputs[0];
    g.replaceNode(n.name, [{ name: n.name, op: n.op, attrs: n.attrs, inputs: [...n.inputs], outputs: [out], origin: n.origin, meta: { ...n.meta, aieFused: fused, aieFusedRelu: true } }]);
    if (oldOut !== out && g.hasTensor(oldOut) && !g.producer(oldOut) && g.consumers(oldOut).length === 0 && !g.isGraphOutput(oldOut)) g.removeTensor(oldOut);
    changes++;
  }
  return changes;
}
