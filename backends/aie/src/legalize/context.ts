/*
 * What every kernel's legalization shares: the context (graph, options, device, fusion plan, refusals), the integer
 * type of an activation or constant tensor, the srs rounding and saturation an output quantizer asks for, and the
 * layer skeleton. Kernels (kernels/*.ts) build their layers from these; quantize.ts dispatches to them.
 */
import type { FixedType, Graph, IRNode, Tensor, TensorData } from 'firmflow';
import type { AieDevice } from '../devices.js';
import type { AieAcc, AieDataType, AieIntType, AieKernelKind, AieLayer, AieOptions, AieRounding } from '../lowered.js';

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

export const intBounds = (t: AieIntType): { min: number; max: number } => (t === 'int8' ? { min: -128, max: 127 } : { min: -32768, max: 32767 });

/** Planned rewrites of the legalization: a Relu fused into its Dense/MatMul (a Dense carries its own bias). */
export interface FusionPlan {
  relu: Map<string, IRNode>;
  /** Names of the nodes the plan absorbs. */
  absorbed: Set<string>;
}

export const who = (n: IRNode): string => {
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

export function isPow2(x: number): boolean {
  if (!(x > 0) || !Number.isFinite(x)) return false;
  const e = Math.log2(x);
  return Number.isInteger(e) || 2 ** Math.round(e) === x;
}

/** Collects refusals; `fail` records one and returns undefined so analysis of other nodes goes on. */
export class Refusals {
  readonly items: { node: string; op: string; reason: string }[] = [];
  fail(n: IRNode, reason: string): undefined {
    this.items.push({ node: n.name, op: n.op, reason: `${who(n)}: ${reason}` });
    return undefined;
  }
}

export interface LegalizeContext {
  g: Graph;
  opts: AieOptions;
  device: AieDevice;
  plan: FusionPlan;
  refuse: Refusals;
  /** Samples per graph iteration: the value a symbolic batch axis takes (graph.meta.aie.batch). */
  batch: number;
  /** The layer kind an IR op becomes (undefined: not implemented): views pass their input's type through. */
  kindOf(op: string): AieKernelKind | undefined;
}

/** The integer type of an activation tensor, following views that pass codes through unchanged. */
export function actType(ctx: LegalizeContext, name: string, user: IRNode, seen = 0): ActType | string {
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
  if (p && seen < 64 && (ctx.kindOf(p.op) === 'view' || p.op === 'Transpose' || (p.op === 'Relu' && !ctx.plan.absorbed.has(p.name)))) {
    return actType(ctx, p.inputs[0], user, seen + 1);
  }
  const what = ctx.g.isGraphInput(name) ? `graph input '${name}'` : `tensor '${name}'${p ? ` (output of '${p.name}')` : ''}`;
  return `${what} has no quantizer; the integer AIE kernels need int8/int16 tensors with power-of-two scales (QuantizeLinear/DequantizeLinear), or use aie.mode 'bf16'`;
}

export function roundingOf(ctx: LegalizeContext, f: FixedType, n: IRNode): AieRounding | undefined {
  if (ctx.opts.rounding) return ctx.opts.rounding;
  const r = ROUNDING[f.rounding];
  return r ?? ctx.refuse.fail(n, `output rounding ${f.rounding} has no aie::rounding_mode equivalent`);
}

/**
 * srs saturation for an output type. SAT saturates to the AIE type (and a narrow type's clamp narrows it further);
 * SAT_SYM (QONNX narrow) is a clamp to [-(2^(n-1) - 1), 2^(n-1) - 1]. WRAP wraps at the AIE type's width, so it is
 * exact only when the quantizer is as wide as its AIE type.
 */
export function saturationOf(ctx: LegalizeContext, o: ActType, n: IRNode): boolean | undefined {
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

export function codesOf(ctx: LegalizeContext, n: IRNode, t: Tensor, frac: number | number[], bits: number, colAxisLen: number): Float64Array | undefined {
  // The check and the annotation pass quantize the same constants: do it once.
  const key = `${bits}:${typeof frac === 'number' ? frac : frac.join(',')}:${t.data!.length}`;
  const hit = codeCache.get(t);
  if (hit && hit.key === key) return hit.codes;
  const r = codesOfUncached(ctx, n, t, frac, bits, colAxisLen);
  if (r) codeCache.set(t, { key, codes: r });
  return r;
}

function codesOfUncached(ctx: LegalizeContext, n: IRNode, t: Tensor, frac: number | number[], bits: number, colAxisLen: number): Float64Array | undefined {
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
export function weightType(ctx: LegalizeContext, n: IRNode, w: Tensor, colAxis: number): { dtype: AieIntType; frac: number | number[] } | undefined {
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

export const maxCode = (t: AieDataType): number => (t === 'int8' ? 128 : t === 'int16' ? 32768 : 0);

/** acc32 when the worst case |sum| (K products of full-scale codes, plus the bias) fits in 31 bits, else acc64. */
export function accFor(a: AieIntType, w: AieIntType, K: number, biasMax: number): AieAcc {
  return K * maxCode(a) * maxCode(w) + biasMax < 2 ** 31 ? 'acc32' : 'acc64';
}

/** The tensor a node finally writes (after a fused Relu). */
export function finalOutput(plan: FusionPlan, n: IRNode): string {
  return plan.relu.get(n.name)?.outputs[0] ?? n.outputs[0];
}

export function biasInput(n: IRNode): string | undefined {
  return n.op === 'Dense' ? n.inputs[2] || undefined : undefined;
}

export function outType(ctx: LegalizeContext, n: IRNode, out: string): ActType | undefined {
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

export function inType(ctx: LegalizeContext, n: IRNode, name: string): ActType | undefined {
  const t = actType(ctx, name, n);
  return typeof t === 'string' ? ctx.refuse.fail(n, t) : t;
}

export function base(kernel: AieKernelKind, n: IRNode, ctx: LegalizeContext, inputs: string[], out: string): Omit<AieLayer, 'dtype' | 'frac' | 'shift' | 'rounding' | 'saturate'> {
  const b = ctx.batch;
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

/** The tensor whose buffer a view reads, following Slice / Split / Reshape-like views back (not Concat). */
export function viewSource(ctx: LegalizeContext, t: string): string {
  for (let i = 0; i < 64; i++) {
    const p = ctx.g.producer(t);
    if (!p || ctx.kindOf(p.op) !== 'view' || p.op === 'Concat') return t;
    t = p.inputs[0];
  }
  return t;
}
