/* GlobalMaxPool and GlobalAveragePool over the pixels of channels-last 1-D or 2-D data: one value per channel. */
import { sizeOf } from 'firmflow';
import { averageBound, copyBound } from '../emulate/bounds.js';
import { buildPool } from '../emulate/pooling.js';
import { chainCycles } from '../estimate/model.js';
import { num, poolCore } from '../estimate/cost.js';
import { averageTypes, codeOf } from '../passes/precision-rules.js';
import { type KernelPlan, requireActivation, sample, Unsupported } from '../passes/planning.js';
import { sampleShape } from '../lowered.js';
import { invCounts, NONE } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const globalPooling: VitisKernel = {
  name: 'global-pooling',
  ops: ['GlobalMaxPool', 'GlobalAveragePool'],
  header: 'nnet_pooling.h',
  stream: 'flow',

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    if ((node.attrs['layout'] ?? 'NCHW') !== 'NHWC') throw new Unsupported('it is still channels-first (NCHW); the FPGA kernels take channels-last data');
    const s = sample(x);
    const dims = s.length - 1;
    if (dims !== 1 && dims !== 2) throw new Unsupported(`only 1-D and 2-D spatial data is supported (input per sample ${s.join('x')})`);
    const params: KernelPlan['params'] = dims === 2 ? { in_height: s[0], in_width: s[1], n_chan: s[2] } : { in_width: s[0], n_chan: s[1] };
    params['pool_op'] = node.op === 'GlobalMaxPool' ? 'max' : 'average';
    return { kernel: `global_pooling${dims}d`, params };
  },

  defaultResult: 'exact',
  precision(ctx) {
    if (ctx.node.op === 'GlobalMaxPool') return ctx.input;
    const p = ctx.layer.params;
    const taps = (p['in_height'] as number | undefined ?? 1) * (p['in_width'] as number);
    const { accum, scale: st } = averageTypes(ctx.input, taps, ctx.accum, ctx.config.precision.scale);
    ctx.types['accum'] = accum;
    ctx.types['scale'] = st;
    // Global pooling always divides by all pixels: one entry, read at index 0 (nnet_pooling.h global_pooling).
    p['inv_count_codes'] = [codeOf(1 / taps, st)];
    return undefined;
  },

  emit(e) {
    const { b, node, x, P } = e;
    const isMax = node.op === 'GlobalMaxPool';
    const xs = sampleShape(x);
    const C = xs[xs.length - 1], pixels = sizeOf(xs) / C;
    const scaleT = isMax ? undefined : e.role('scale');
    const given = P['inv_count_codes'];
    const inv = isMax ? undefined : b.nodeConst(node, 'inv_count', scaleT!, Array.isArray(given) && given.length === 1 ? given : [invCounts(node, P, pixels, scaleT!)[pixels]]);
    e.config('nnet::global_pool_config', {
      n_pixels: pixels, n_chan: C, is_max: isMax, ...(isMax ? {} : { accum_t: e.roleType('accum'), scale_t: inv!.typeName }),
    });
    const fn = `nnet::global_pooling${e.stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, inv ? inv.name : NONE]) };
  },

  emulate: (ctx) => buildPool(ctx, ctx.node.op === 'GlobalMaxPool' ? 'max' : 'avg', true),

  errorBound(b) {
    if (b.node.op !== 'GlobalAveragePool') return copyBound(b);
    return averageBound(b, ((b.hls.params['in_height'] as number | undefined) ?? 1) * (b.hls.params['in_width'] as number));
  },

  estimate(l, ctx) {
    const p = l.hls.params;
    const chans = num(p['n_chan'], 1);
    const pix = num(p['in_height'], 1) * num(p['in_width'], 1);
    const inPack = Math.max(1, num(p['in_pack'], 1));
    const core = poolCore(l, ctx, pix, 1);
    const depth = chainCycles(core.steps, ctx.period);
    const stream = l.hls.io === 'io_stream';
    return {
      core,
      latency: stream ? pix * Math.ceil(chans / inPack) + chans + depth : chans + depth,
      ii: stream ? pix * Math.ceil(chans / inPack) + chans : chans,
    };
  },
};
