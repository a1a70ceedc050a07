/*
 * Conv, 1-D and 2-D over channels-last data with HWIO weights: ordinary (group 1) and depthwise (group = channels,
 * any depth multiplier). Each output pixel is a Dense over its receptive field.
 */
import { readWindow } from 'firmflow';
import { constCodes, constType, role, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { macBound } from '../emulate/bounds.js';
import { MacEngine } from '../emulate/mac.js';
import { macCore, num, windowSchedule } from '../estimate/cost.js';
import { macAccumType } from '../passes/precision-rules.js';
import { type KernelPlan, num as attr, requireActivation, requireConst, spatialGeometry, Unsupported } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const conv: VitisKernel = {
  name: 'conv',
  ops: ['Conv'],
  header: 'nnet_conv.h',
  stream: 'line-buffer',
  streaming: true,
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
  precision: (ctx) => (ctx.types['accum'] = ctx.accum(macAccumType(ctx.input, ctx.tensor(1)!, ctx.types['weight'], ctx.layer.params['n_mult_out'] as number, ctx.tensor(2), ctx.types['bias']))),

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
  errorBound: (b) => { const w = b.konst(1)!; return macBound(b, w.shape[w.shape.length - 1] as number); },

  estimate: (l, ctx) => windowSchedule(l, ctx, macCore(l, ctx, num(l.hls.params['n_mult_in']), num(l.hls.params['n_mult_out']))),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/mac.ts)

/*
 * A convolution is a Dense over each output pixel's receptive field: the patch is gathered in (kh, kw, c) order,
 * which is the order of the HWIO weight rows, and padding contributes exact zeros.
 */
function buildConv(ctx: BuildContext): EmuKernel {
  const { node } = ctx;
  if (node.attrs['layout'] !== 'NHWC') unsupported(ctx, 'the emulator expects channels-last convolutions (run the vitis flows)');
  const x = ctx.acts[0];
  const wT = ctx.consts.get(1);
  if (!x || !wT) unsupported(ctx, 'needs an activation input and a constant weight');
  const oneD = x.shape.length === 2;
  const [H, W, C] = oneD ? [1, x.shape[0], x.shape[1]] : x.shape;
  const [OH, OW, M] = oneD ? [1, ctx.out.shape[0], ctx.out.shape[1]] : ctx.out.shape;
  const win = readWindow(node.attrs, oneD ? 1 : 2);
  const [kh, kw] = oneD ? [1, win.kernel[0]] : win.kernel;
  const [sh, sw] = oneD ? [1, win.strides[0]] : win.strides;
  const [dh, dw] = oneD ? [1, win.dilations[0]] : win.dilations;
  const [pt, pl] = oneD ? [0, win.pads[0]] : [win.pads[0], win.pads[1]];
  const group = typeof node.attrs['group'] === 'number' ? (node.attrs['group'] as number) : 1;
  const Cg = C / group, Mg = M / group;
  const wType = constType(wT, role(ctx, 'weight'));
  const wAll = constCodes(wT, wType); // [kh, kw, Cg, M]
  const bT = ctx.consts.get(2);
  const bType = bT ? constType(bT, role(ctx, 'bias')) : undefined;
  const bAll = bT ? constCodes(bT, bType!) : undefined;
  const K = kh * kw * Cg;
  // One engine per group, each over its own slice of the HWIO weights.
  const engines: MacEngine[] = [];
  for (let g = 0; g < group; g++) {
    const w = new Float64Array(K * Mg);
    for (let k = 0; k < K; k++) for (let m = 0; m < Mg; m++) w[k * Mg + m] = wAll[k * M + g * Mg + m];
    engines.push(new MacEngine({
      K, N: Mg, w, wType, b: bAll ? bAll.subarray(g * Mg, (g + 1) * Mg) : undefined, bType,
      xType: x.type, accum: role(ctx, 'accum'), result: ctx.out.type,
    }));
  }
  const patch = new Float64Array(K);
  const inSample = H * W * C, outSample = OH * OW * M;
  return {
    node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        const xs = s * inSample;
        for (let oh = 0; oh < OH; oh++) {
          const ih0 = oh * sh - pt;
          for (let ow = 0; ow < OW; ow++) {
            const iw0 = ow * sw - pl;
            const yo = s * outSample + (oh * OW + ow) * M;
            for (let g = 0; g < group; g++) {
              let p = 0;
              for (let a = 0; a < kh; a++) {
                const ih = ih0 + a * dh;
                const rowOk = ih >= 0 && ih < H;
                for (let b = 0; b < kw; b++) {
                  const iw = iw0 + b * dw;
                  if (rowOk && iw >= 0 && iw < W) {
                    const src = xs + (ih * W + iw) * C + g * Cg;
                    for (let c = 0; c < Cg; c++) patch[p++] = X[src + c];
                  } else {
                    for (let c = 0; c < Cg; c++) patch[p++] = 0;
                  }
                }
              }
              over += engines[g].row(patch, 0, Y, yo + g * Mg);
            }
          }
        }
      }
      return over;
    },
  };
}
