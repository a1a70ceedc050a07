/*
 * Conv, 1-D and 2-D over channels-last data with HWIO weights: ordinary (group 1) and depthwise (group = channels,
 * any depth multiplier). Each output pixel is a Dense over its receptive field.
 */
import { buildConv } from '../emulate/linear.js';
import { macCore, num, windowSchedule } from '../estimate/cost.js';
import { type KernelPlan, num as attr, requireActivation, requireConst, spatialGeometry, Unsupported } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';
import { macAccum } from './dense.js';

export const conv: VitisKernel = {
  name: 'conv',
  ops: ['Conv'],
  header: 'nnet_conv.h',
  stream: 'line-buffer',
  parallelization: true,

  plan(node, graph, strategy) {
    const x = requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'weight');
    if (node.inputs[2]) requireConst(node, graph, 2, 'bias');
    const { dims, p } = spatialGeometry(node, x, graph.tensor(node.outputs[0]));
    const group = attr(node.attrs['group'], 1);
    const k = dims === 2 ? p.filt_height * p.filt_width : p.filt_width;
    const params: KernelPlan['params'] = { ...p, has_bias: node.inputs[2] ? 1 : 0, weight_layout: 'HWIO' };
    if (group === 1) return { kernel: `conv${dims}d_${strategy}`, params, mult: { nIn: k * p.n_chan, nOut: p.n_filt } };
    if (group === p.n_chan && p.n_filt % p.n_chan === 0) {
      params['depth_multiplier'] = p.n_filt / p.n_chan;
      return { kernel: `depthwise_conv${dims}d_${strategy}`, params, mult: { nIn: k, nOut: p.n_filt } };
    }
    throw new Unsupported(`grouped convolution with ${group} groups over ${p.n_chan} channels (only group 1 and depthwise, group = channels, are supported)`);
  },

  constRoles: { 1: 'weight', 2: 'bias' },
  precision: macAccum,

  emit(e) {
    const { b, l, hls, node, x } = e;
    const bias = e.optional(2);
    const W = b.constant(l.inputs[1], 'weights'), B = bias ? b.constant(bias, 'biases') : W;
    const twoD = e.P['in_height'] !== undefined;
    e.config('nnet::conv_config', {
      in_height: e.num('in_height', 1), in_width: e.num('in_width'), n_chan: e.num('n_chan'),
      filt_height: e.num('filt_height', 1), filt_width: e.num('filt_width'), n_filt: e.num('n_filt'),
      n_groups: typeof node.attrs['group'] === 'number' ? (node.attrs['group'] as number) : 1,
      stride_height: e.num('stride_height', 1), stride_width: e.num('stride_width'),
      dilation_height: e.num('dilation_height', 1), dilation_width: e.num('dilation_width'),
      pad_top: e.num('pad_top', 0), pad_left: e.num('pad_left'), out_height: e.num('out_height', 1), out_width: e.num('out_width'),
      reuse_factor: hls.reuseFactor, parallelization: hls.parallelization ?? 1, strategy_resource: hls.strategy === 'resource', has_bias: !!bias,
      accum_t: e.roleType('accum'), weight_t: W.typeName, bias_t: B.typeName,
    });
    const fn = `nnet::conv_${twoD ? 2 : 1}d${e.stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, W.name, B.name]) };
  },

  emulate: buildConv,

  estimate: (l, ctx) => windowSchedule(l, ctx, macCore(l, ctx, num(l.hls.params['n_mult_in']), num(l.hls.params['n_mult_out']))),
};
