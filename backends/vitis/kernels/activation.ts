/*
 * Element-wise activations computed without tables: Relu, LeakyRelu, Clip, HardSigmoid (nnet_activation.h functors,
 * their constant factors in the 'scale' role type) and Softsign (a divider per element).
 */
import { type FixedType, fracBits, type IRNode } from 'firmflow';
import { buildSoftsign, buildUnary } from '../emulate/elementwise.js';
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
  cost(c: ElementCore): void;
}

const attrNum = (node: IRNode, k: string, d: number): number => (typeof node.attrs[k] === 'number' ? (node.attrs[k] as number) : d);

/** The constant factors' type, recorded as the 'scale' role. */
function factorType(ctx: PrecisionContext): FixedType {
  return (ctx.types['scale'] = scaleFactorType(ctx.config.precision.scale));
}

const ACTIVATIONS: Record<string, Activation> = {
  Relu: {
    kernel: 'relu',
    precision: (ctx) => ctx.input,
    emit: (e) => e.activation('op_relu'),
    cost(c) { c.lut(c.par * Math.ceil(c.wout / 2)); c.steps = [{ ns: COEF.mux }]; },
  },
  LeakyRelu: {
    kernel: 'leaky_relu',
    precision(ctx) {
      ctx.layer.params['alpha_code'] = codeOf(attrNum(ctx.node, 'alpha', 0.01), factorType(ctx));
      return undefined;
    },
    emit(e) {
      const p0 = e.b.scalar(e.node, e.hls, 'alpha', e.role('scale'), attrNum(e.node, 'alpha', 0.01)).name;
      return e.activation('op_leaky_relu', { scale_t: e.roleType('scale') }, p0);
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
      const lo = attrNum(ctx.node, 'min', -Infinity), hi = attrNum(ctx.node, 'max', Infinity);
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
    cost(c) { c.lut(c.par * 3 * c.wout); c.steps = [{ ns: addDelay(c.win, c.part) }, { ns: COEF.mux }]; },
  },
  HardSigmoid: {
    kernel: 'hard_sigmoid',
    precision(ctx) {
      const st = factorType(ctx);
      ctx.layer.params['alpha_code'] = codeOf(attrNum(ctx.node, 'alpha', 0.2), st);
      ctx.layer.params['beta_code'] = codeOf(attrNum(ctx.node, 'beta', 0.5), st);
      return undefined;
    },
    emit(e) {
      const p0 = e.b.scalar(e.node, e.hls, 'alpha', e.role('scale')).name;
      const p1 = e.b.scalar(e.node, e.hls, 'beta', e.role('scale')).name;
      return e.activation('op_hard_sigmoid', { scale_t: e.roleType('scale') }, p0, p1);
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
  plan: (node, graph, strategy) => planners[node.op](node, graph, strategy),
  precision: (ctx) => of(ctx.node.op).precision(ctx),
  emit: (e) => of(e.node.op).emit(e),
  emulate: (ctx) => (ctx.node.op === 'Softsign' ? buildSoftsign(ctx) : buildUnary(ctx)),
  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => of(l.node.op).cost(c)),
};
