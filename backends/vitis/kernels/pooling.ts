/*
 * MaxPool and AveragePool, 1-D and 2-D windows over channels-last data. Average pooling divides by the taps inside
 * the input (or all taps with count_include_pad) through a table of 1/n factors.
 */
import { averageBound, copyBound } from '../emulate/bounds.js';
import { buildPool } from '../emulate/pooling.js';
import { num, poolCore, windowSchedule } from '../estimate/cost.js';
import { averageTypes, codeOf } from '../passes/precision-rules.js';
import { type KernelPlan, requireActivation, spatialGeometry } from '../passes/planning.js';
import { invCounts, NONE } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const pooling: VitisKernel = {
  name: 'pooling',
  ops: ['MaxPool', 'AveragePool'],
  header: 'nnet_pooling.h',
  stream: 'line-buffer',
  streaming: true,
  parallelization: true,

  plan(node, graph) {
    const op = node.op === 'MaxPool' ? 'max' : 'average';
    const x = requireActivation(node, graph, 0);
    const { dims, p } = spatialGeometry(node, x, graph.tensor(node.outputs[0]));
    const params: KernelPlan['params'] = { ...p, pool_op: op, ceil_mode: node.attrs['ceilMode'] === true ? 1 : 0 };
    params['pool_height'] = p.filt_height; params['pool_width'] = p.filt_width;
    if (op === 'average') params['count_include_pad'] = node.attrs['countIncludePad'] === true ? 1 : 0;
    return { kernel: `pooling${dims}d`, params };
  },

  // Max pooling selects input values: its exact result is the input's type.
  defaultResult: 'exact',
  precision(ctx) {
    if (ctx.node.op === 'MaxPool') return ctx.input;
    const p = ctx.layer.params;
    const taps = (p['filt_height'] as number | undefined ?? 1) * (p['filt_width'] as number);
    const { accum, scale: st } = averageTypes(ctx.input, taps, ctx.accum, ctx.config.precision.scale);
    ctx.types['accum'] = accum;
    ctx.types['scale'] = st;
    // Entry n = scale(1/n) for the n taps inside the input (entry 0, never read, 0).
    p['inv_count_codes'] = Array.from({ length: taps + 1 }, (_, c) => (c === 0 ? 0 : codeOf(1 / c, st)));
    return undefined;
  },

  emit(e) {
    const { b, node, x, P } = e;
    const isMax = node.op === 'MaxPool';
    const taps = e.num('pool_height', e.num('filt_height', 1)) * e.num('pool_width', e.num('filt_width'));
    const scaleT = isMax ? undefined : e.role('scale');
    const inv = isMax ? undefined : b.nodeConst(node, 'inv_count', scaleT!, invCounts(node, P, taps, scaleT!));
    e.config('nnet::pool_config', {
      in_height: e.num('in_height', 1), in_width: e.num('in_width'), n_chan: e.num('n_chan'),
      pool_height: e.num('pool_height', e.num('filt_height', 1)), pool_width: e.num('pool_width', e.num('filt_width')),
      stride_height: e.num('stride_height', 1), stride_width: e.num('stride_width'),
      dilation_height: e.num('dilation_height', 1), dilation_width: e.num('dilation_width', 1),
      pad_top: e.num('pad_top', 0), pad_left: e.num('pad_left', 0), out_height: e.num('out_height', 1), out_width: e.num('out_width'),
      is_max: isMax, count_include_pad: e.num('count_include_pad', 0) === 1,
      ...(isMax ? {} : { accum_t: e.roleType('accum'), scale_t: inv!.typeName }),
    });
    const fn = `nnet::pooling2d${e.stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, inv ? inv.name : NONE]) };
  },

  emulate: (ctx) => buildPool(ctx, ctx.node.op === 'MaxPool' ? 'max' : 'avg', false),

  errorBound: (b) => (b.node.op === 'AveragePool' ? averageBound(b, 0) : copyBound(b)),

  estimate(l, ctx) {
    const p = l.hls.params;
    return windowSchedule(l, ctx, poolCore(l, ctx, num(p['pool_height'], 1) * num(p['pool_width'], num(p['filt_width'], 1)), num(p['n_chan'], 1)));
  },
};
