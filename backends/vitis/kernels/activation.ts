/*
 * Element-wise activations computed without tables: Relu, LeakyRelu, Clip, HardSigmoid (nnet_activation.h functors,
 * their constant factors in the 'scale' role type) and Softsign (a divider per element).
 */
import { convertRaw, fixedAdd as fxAdd, fixedCast as fxCast, fixedDiv as fxDiv, fixedSub as fxSub, type FixedType, fracBits, type Fx, type IRNode, sizeOf } from 'firmflow';
import { type BoundContext, copyBound, type ErrorBound, roundingStep } from '../emulate/bounds.js';
import { makeConverter, maxAbsCode, overflowsBig } from '../emulate/convert.js';
import { attrNum, EXACT, holdsExactly, scaleCode, viaBig, viaScratch } from '../emulate/elementwise.js';
import { role, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { addDelay, COEF } from '../estimate/model.js';
import { type ElementCore, elementSchedule, num, w } from '../estimate/cost.js';
import { codeOf, scaleFactorType } from '../passes/precision-rules.js';
import { elementwisePlanner, type Planner } from '../passes/planning.js';
import { precisionOf } from '../lowered.js';
import type { Emitted, LayerEmit } from '../writer/emit.js';
import type { PrecisionContext, VitisKernel } from './contract.js';

/** One op of the family: its kernel name, and what differs in precision, C++ and cost. */
interface Activation {
  kernel: string;
  precision(ctx: PrecisionContext): FixedType | undefined;
  emit(e: LayerEmit): Emitted;
  emulate(ctx: BuildContext): EmuKernel;
  /** Its --trace error bound (a copy's when absent). */
  bound?(b: BoundContext): ErrorBound;
  cost(c: ElementCore): void;
}

const nodeAttr = (node: IRNode, k: string, d: number): number => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : d);

/** A factor's attribute value and its quantized value (the lowering's code in the scale type), for error bounds. */
function factor(b: BoundContext, key: string, d: number): { alpha: number; aq: number } {
  const alpha = Number(b.node.attrs[key] ?? d);
  const code = b.hls.params[`${key}_code`];
  return { alpha, aq: typeof code === 'number' ? code * 2 ** -fracBits(b.hls.types['scale']) : alpha };
}

/** The constant factors' type, recorded as the 'scale' role. */
function factorType(ctx: PrecisionContext): FixedType {
  return (ctx.types['scale'] = scaleFactorType(ctx.config.precision.scale));
}

const ACTIVATIONS: Record<string, Activation> = {
  Relu: {
    kernel: 'relu',
    precision: (ctx) => ctx.input,
    emit: (e) => e.activation('op_relu'),
    emulate: emulateRelu,
    cost(c) { c.lut(c.par * Math.ceil(c.wout / 2)); c.steps = [{ ns: COEF.mux }]; },
  },
  LeakyRelu: {
    kernel: 'leaky_relu',
    precision(ctx) {
      ctx.layer.params['alpha_code'] = codeOf(nodeAttr(ctx.node, 'alpha', 0.01), factorType(ctx));
      return undefined;
    },
    emit(e) {
      const p0 = e.b.scalar(e.node, e.hls, 'alpha', e.role('scale'), nodeAttr(e.node, 'alpha', 0.01)).name;
      return e.activation('op_leaky_relu', { scale_t: e.roleType('scale') }, p0);
    },
    emulate: emulateLeakyRelu,
    bound(b) {
      const { alpha, aq } = factor(b, 'alpha', 0.01);
      return { L: [Math.max(1, Math.abs(aq))], own: (xf) => b.qR + Math.abs(aq - alpha) * xf };
    },
    cost(c) {
      c.constScale([num(c.l.hls.params['alpha_code'])], (i) => i);
      c.lut(c.par * (c.wout + c.conv));
      c.steps.push({ ns: COEF.mux }, { ns: addDelay(c.wout, c.part) });
    },
  },
  Clip: {
    kernel: 'clip',
    precision(ctx) {
      const st = factorType(ctx);
      const lo = nodeAttr(ctx.node, 'min', -Infinity), hi = nodeAttr(ctx.node, 'max', Infinity);
      const p = ctx.layer.params;
      p['has_min'] = Number.isFinite(lo) ? 1 : 0;
      p['has_max'] = Number.isFinite(hi) ? 1 : 0;
      p['min_code'] = Number.isFinite(lo) ? codeOf(lo, st) : 0;
      p['max_code'] = Number.isFinite(hi) ? codeOf(hi, st) : 0;
      return undefined;
    },
    emit(e) {
      // Without a configured factor type the bounds take the input's type.
      const st = e.role('scale', precisionOf(e.x));
      const p0 = e.b.scalar(e.node, e.hls, 'min', st, 0).name;
      const p1 = e.b.scalar(e.node, e.hls, 'max', st, 0).name;
      return e.activation('op_clip', { scale_t: e.roleType('scale', precisionOf(e.x)), has_min: e.num('has_min', 1) === 1, has_max: e.num('has_max', 1) === 1 }, p0, p1);
    },
    emulate: emulateClip,
    bound({ node, hls, qR, ones }) {
      const S = hls.types['scale'];
      const lo = Number(node.attrs['min'] ?? -Infinity), hi = Number(node.attrs['max'] ?? Infinity);
      const q = (v: number, key: string): number => (Number.isFinite(v) && S && typeof hls.params[key] === 'number' ? Math.abs((hls.params[key] as number) * 2 ** -fracBits(S) - v) : 0);
      return { L: ones, own: () => qR + Math.max(q(lo, 'min_code'), q(hi, 'max_code')) };
    },
    cost(c) { c.lut(c.par * 3 * c.wout); c.steps = [{ ns: addDelay(c.win, c.part) }, { ns: COEF.mux }]; },
  },
  HardSigmoid: {
    kernel: 'hard_sigmoid',
    precision(ctx) {
      const st = factorType(ctx);
      ctx.layer.params['alpha_code'] = codeOf(nodeAttr(ctx.node, 'alpha', 0.2), st);
      ctx.layer.params['beta_code'] = codeOf(nodeAttr(ctx.node, 'beta', 0.5), st);
      return undefined;
    },
    emit(e) {
      const p0 = e.b.scalar(e.node, e.hls, 'alpha', e.role('scale')).name;
      const p1 = e.b.scalar(e.node, e.hls, 'beta', e.role('scale')).name;
      return e.activation('op_hard_sigmoid', { scale_t: e.roleType('scale') }, p0, p1);
    },
    emulate: emulateHardSigmoid,
    bound(b) {
      const { alpha, aq } = factor(b, 'alpha', 0.2);
      const { alpha: beta, aq: bq } = factor(b, 'beta', 0.5);
      const accErr = b.accum ? roundingStep(b.accum) : 0;
      return { L: [Math.abs(aq)], own: (xf) => b.qR + Math.abs(aq - alpha) * xf + Math.abs(bq - beta) + accErr };
    },
    cost(c) {
      c.constScale([num(c.l.hls.params['alpha_code'])], () => 0);
      c.lut(c.par * (w(c.l.hls.types['accum'], c.win + 8) + 3 * c.wout));
      c.steps.push({ ns: addDelay(c.wout, c.part) }, { ns: addDelay(c.wout, c.part) });
    },
  },
  Softsign: {
    kernel: 'softsign',
    precision(ctx) {
      // num = accum(x) and den = accum(1 + |x|) exact; the quotient is truncated to accum's fractional bits, 8 more
      // than the input's or the data type's, before the result's own rounding.
      const x = ctx.input;
      const f = Math.max(fracBits(x), fracBits(ctx.data)) + 8, i = x.integer + 2;
      ctx.types['accum'] = ctx.accum({ signed: true, width: i + f, integer: i, rounding: 'TRN', overflow: 'WRAP' });
      return undefined;
    },
    emit: (e) => e.activation('op_softsign', { accum_t: e.roleType('accum') }),
    emulate: emulateSoftsign,
    bound: ({ qR, accum }) => ({ L: [1], own: () => qR + (accum ? 2 ** -fracBits(accum) * 2 : 0) }),
    cost(c) {
      // a divider per element: restoring division, one subtract per quotient bit, pipelined
      const wa = w(c.l.hls.types['accum'], c.win + 1);
      c.lut(c.par * (wa * c.wout + c.conv));
      c.steps = Array.from({ length: c.wout }, () => ({ ns: addDelay(wa, c.part) }));
      c.notes.push('one divider per element');
    },
  },
};

const of = (op: string): Activation => ACTIVATIONS[op];
const planners: Record<string, Planner> = Object.fromEntries(Object.entries(ACTIVATIONS).map(([op, a]) => [op, elementwisePlanner(a.kernel)]));

export const activation: VitisKernel = {
  name: 'activation',
  ops: Object.keys(ACTIVATIONS),
  header: 'nnet_activation.h',
  stream: 'flow',
  streaming: true,
  plan: (node, graph, strategy) => planners[node.op](node, graph, strategy),
  precision: (ctx) => of(ctx.node.op).precision(ctx),
  emit: (e) => of(e.node.op).emit(e),
  emulate: (ctx) => of(ctx.node.op).emulate(ctx),
  errorBound: (b) => (of(b.node.op).bound ?? copyBound)(b),
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => of(l.node.op).cost(c)),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/elementwise.ts)

/** Relu: the input codes, negatives set to 0. */
function emulateRelu(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = sizeOf(x.shape);
  const fx = fracBits(x.type);
  return viaScratch(ctx, fx, n, ([X], T, b) => { for (let i = 0; i < n * b; i++) { const v = X[i]; T[i] = v > 0 ? v : 0; } });
}

/** LeakyRelu: x or alpha * x exactly (alpha in the scale type), converted once. */
function emulateLeakyRelu(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = sizeOf(x.shape);
  const fx = fracBits(x.type);
  const s = role(ctx, 'scale');
  const a = scaleCode(ctx, 'alpha', attrNum(ctx, 'alpha', 0.01), s);
  const up = 2 ** fracBits(s);
  if (maxAbsCode(x.type) * Math.max(up, Math.abs(a)) >= EXACT) {
    const ub = BigInt(up), ab = BigInt(a);
    return viaBig(ctx, fx + fracBits(s), n, ([X], i) => { const v = BigInt(X[i]); return v >= 0n ? v * ub : v * ab; });
  }
  return viaScratch(ctx, fx + fracBits(s), n, ([X], T, b) => { for (let i = 0; i < n * b; i++) { const v = X[i]; T[i] = v >= 0 ? v * up : v * a; } });
}

/** HardSigmoid: t = accum(alpha * x + beta); t <= 0 -> 0, t >= 1 -> 1, else result(t). */
function emulateHardSigmoid(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = sizeOf(x.shape);
  const fx = fracBits(x.type);
  // t = accum(alpha * x + beta); t <= 0 -> 0, t >= 1 -> 1, else result(t).
  const s = role(ctx, 'scale'), fs = fracBits(s);
  const a = scaleCode(ctx, 'alpha', attrNum(ctx, 'alpha', 0.2), s);
  const beta = scaleCode(ctx, 'beta', attrNum(ctx, 'beta', 0.5), s) * 2 ** fx;
  const A = ctx.hls.types['accum'];
  const F = fx + fs;
  const bound = maxAbsCode(x.type) * Math.abs(a) + Math.abs(beta);
  if (bound >= EXACT) {
    // Wide data: the same steps in BigInt (t = accum(alpha * x + beta) when an accumulator is named).
    const ab = BigInt(a), bb = BigInt(beta);
    const fa = A ? fracBits(A) : F;
    const one = 1n << BigInt(fa);
    return viaBig(ctx, fa, n, ([X], i) => {
      let v = BigInt(X[i]) * ab + bb;
      if (A) v = convertRaw(v, F, A);
      return v <= 0n ? 0n : v >= one ? one : v;
    });
  }
  if (!A || holdsExactly(A, F, bound)) {
    const one = 2 ** F;
    return viaScratch(ctx, F, n, ([X], T, b) => {
      for (let i = 0; i < n * b; i++) { const v = X[i] * a + beta; T[i] = v < 0 ? 0 : v > one ? one : v; }
    });
  }
  const fa = fracBits(A), one = 2 ** fa;
  const toAcc = makeConverter(F, A);
  const tmp = new Float64Array(1);
  return viaScratch(ctx, fa, n, ([X], T, b) => {
    for (let i = 0; i < n * b; i++) {
      tmp[0] = X[i] * a + beta;
      toAcc(tmp, tmp, 1);
      const v = tmp[0];
      T[i] = v <= 0 ? 0 : v >= one ? one : v;
    }
  });
}

/** Clip: x clamped to the bounds (codes in the scale type, else the input type). */
function emulateClip(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = sizeOf(x.shape);
  const fx = fracBits(x.type);
  const lo = attrNum(ctx, 'min', -Infinity), hi = attrNum(ctx, 'max', Infinity);
  const s = ctx.hls.types['scale'] ?? x.type;
  const fs = fracBits(s), F = Math.max(fx, fs);
  const up = 2 ** (F - fx);
  const loC = Number.isFinite(lo) ? scaleCode(ctx, 'min', lo, s) * 2 ** (F - fs) : -Infinity;
  const hiC = Number.isFinite(hi) ? scaleCode(ctx, 'max', hi, s) * 2 ** (F - fs) : Infinity;
  return viaScratch(ctx, F, n, ([X], T, b) => {
    for (let i = 0; i < n * b; i++) { const v = X[i] * up; T[i] = v < loC ? loC : v > hiC ? hiC : v; }
  });
}

/**
 * Softsign: num = accum(x), den = accum(1 + |x|), y = result(num / den) with the vendor's division: the quotient
 * truncated toward zero to accum's fractional bits (src/fixed div).
 */
function emulateSoftsign(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const A = role(ctx, 'accum');
  const n = sizeOf(x.shape);
  const one: Fx = { raw: 1n, type: { signed: false, width: 1, integer: 1, rounding: 'TRN', overflow: 'WRAP' } };
  const R = ctx.out.type;
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let i = 0; i < n * batch; i++) {
        const xv: Fx = { raw: BigInt(X[i]), type: x.type };
        const num = fxCast(xv, A);
        const den = fxCast(X[i] < 0 ? fxSub(one, xv) : fxAdd(one, xv), A);
        const q = fxDiv(num, den);
        const fq = fracBits(q.type);
        if (overflowsBig(q.raw, fq, R)) over++;
        Y[i] = Number(convertRaw(q.raw, fq, R));
      }
      return over;
    },
  };
}
