/*
 * Dense (MatMul / Gemm with constant weights): y[r][n] = b[n] + sum_k x[r][k] w[k][n] for every row r of a sample.
 * The n_in x n_out block is the reuse factor's multiplication array.
 */
import { sizeOf } from 'firmflow';
import { constCodes, constType, role, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { macBound } from '../emulate/bounds.js';
import { MacEngine } from '../emulate/mac.js';
import { chainCycles } from '../estimate/model.js';
import { macCore, num } from '../estimate/cost.js';
import { macAccumType } from '../passes/precision-rules.js';
import { requireActivation, requireConst, sample } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const dense: VitisKernel = {
  name: 'dense',
  ops: ['Dense'],
  header: 'nnet_dense.h',
  stream: 'flow',

  plan(node, graph, strategy) {
    const x = requireActivation(node, graph, 0);
    const w = requireConst(node, graph, 1, 'weight');
    if (node.inputs[2]) requireConst(node, graph, 2, 'bias');
    const s = sample(x);
    const K = w.shape[0] as number, N = w.shape[1] as number;
    return { kernel: `dense_${strategy}`, params: { n_in: K, n_out: N, n_rows: sizeOf(s.slice(0, -1)), has_bias: node.inputs[2] ? 1 : 0 }, mult: { nIn: K, nOut: N } };
  },

  constRoles: { 1: 'weight', 2: 'bias' },
  precision: (ctx) => (ctx.types['accum'] = ctx.accum(macAccumType(ctx.input, ctx.tensor(1)!, ctx.types['weight'], ctx.layer.params['n_mult_out'] as number, ctx.tensor(2), ctx.types['bias']))),

  emit(e) {
    const { b, l, hls, x } = e;
    const bias = e.optional(2);
    const W = b.constant(l.inputs[1], 'weights'), B = bias ? b.constant(bias, 'biases') : W;
    e.config('nnet::dense_config', {
      n_in: e.num('n_in'), n_out: e.num('n_out'), n_rows: e.num('n_rows', 1), reuse_factor: hls.reuseFactor,
      has_bias: !!bias, strategy_resource: hls.strategy === 'resource',
      accum_t: e.roleType('accum'), weight_t: W.typeName, bias_t: B.typeName,
    });
    const fn = e.stream ? 'nnet::dense_stream' : 'nnet::dense';
    return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, W.name, B.name]) };
  },

  emulate: buildDense,
  errorBound: (b) => macBound(b, b.konst(1)!.shape[1] as number),

  estimate(l, ctx) {
    const h = l.hls, p = h.params;
    const R = Math.max(1, h.reuseFactor);
    const core = macCore(l, ctx, num(p['n_mult_in']), num(p['n_mult_out']));
    const depth = chainCycles(core.steps, ctx.period);
    const rows = Math.max(1, num(p['n_rows'], 1));
    const coreII = h.strategy === 'resource' || R > 1 ? R : 1;
    if (h.io === 'io_stream') {
      const inPack = Math.max(1, num(p['in_pack'], 1)), outPack = Math.max(1, num(p['out_pack'], 1));
      const beatsIn = num(p['n_in']) / inPack, beatsOut = num(p['n_out']) / outPack;
      return { core, latency: rows * (beatsIn + depth + beatsOut + 1), ii: rows * (beatsIn + Math.max(coreII, depth) + beatsOut) };
    }
    // the row loop unrolls inside the pipelined top: one datapath per row
    return { core, latency: depth, ii: coreII, copies: rows };
  },
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/mac.ts)

function buildDense(ctx: BuildContext): EmuKernel {
  const { node } = ctx;
  const x = ctx.acts[0];
  const wT = ctx.consts.get(1);
  if (!x || !wT) unsupported(ctx, 'needs an activation input and a constant weight');
  const [K, N] = wT.shape as number[];
  const bT = ctx.consts.get(2);
  const wType = constType(wT, role(ctx, 'weight'));
  const bType = bT ? constType(bT, role(ctx, 'bias')) : undefined;
  const mac = new MacEngine({
    K, N, w: constCodes(wT, wType), wType, b: bT ? constCodes(bT, bType!) : undefined, bType,
    xType: x.type, accum: role(ctx, 'accum'), result: ctx.out.type,
  });
  const rows = sizeOf(x.shape) / K;
  return {
    node, inputs: [x.tensor.name], output: ctx.out.tensor.name, mac,
    run([X], Y, batch) {
      let over = 0;
      const total = rows * batch;
      for (let r = 0; r < total; r++) over += mac.row(X, r * K, Y, r * N);
      return over;
    },
  } as EmuKernel & { mac: MacEngine };
}
