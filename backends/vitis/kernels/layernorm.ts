/*
 * LayerNormalization over the last axis: exact sums of x and of squared deviations, 1/sqrt(var + eps) from a
 * table, then gamma and beta.
 */
import { convertRaw, type FixedType, fracBits, quantizeCodes, rawFromNumber, sizeOf, unionType } from 'firmflow';
import { overflowsBig } from '../emulate/convert.js';
import { constCodes, constType, role, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { tableReader } from '../emulate/tables.js';
import { add, addDelay, chainCycles, COEF, type Step, zero } from '../estimate/model.js';
import { type Core, type LayerContext, log2c, multSteps, num, tableStorage, varMult, w } from '../estimate/cost.js';
import type { LoweredLayer } from '../lowered.js';
import { codeRange, typeForCodes } from '../passes/precision-rules.js';
import { num as attr, requireActivation, requireConst, sample, Unsupported } from '../passes/planning.js';
import { DEFAULT_INV_STD_RANGE, DEFAULT_INV_STD_TYPE, DEFAULT_TABLE_SIZE, invStdTable } from '../tables.js';
import { tableIndexFields } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

/** Type of the 1/n factor of the mean. */
const INV_N_TYPE: FixedType = { signed: false, width: 32, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' };

export const layernorm: VitisKernel = {
  name: 'layernorm',
  ops: ['LayerNormalization'],
  header: 'nnet_layernorm.h',
  stream: 'flow',
  dataRoles: ['result', 'scale', 'shift'],

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'scale');
    if (node.inputs[2]) requireConst(node, graph, 2, 'bias');
    const s = sample(x);
    let axis = attr(node.attrs['axis'], -1);
    if (axis < 0) axis += x.shape.length;
    if (axis !== x.shape.length - 1) throw new Unsupported(`normalization over axes ${axis}..${x.shape.length - 1}; only the last axis is supported`);
    return { kernel: 'layernorm', params: { n_in: s[s.length - 1], n_rows: sizeOf(s.slice(0, -1)), epsilon: attr(node.attrs['epsilon'], 1e-5), has_bias: node.inputs[2] ? 1 : 0 } };
  },

  constRoles: { 1: 'scale', 2: 'shift' },
  precision(ctx) {
    const n = ctx.layer.params['n_in'] as number;
    const x = ctx.input;
    const [lo, hi] = codeRange(x);
    const m = lo < 0n ? -lo : hi;
    // Sums of x and of squared deviations, exact.
    const sum = typeForCodes(lo * BigInt(n), hi * BigInt(n), fracBits(x));
    const sq = typeForCodes(0n, 4n * m * m * BigInt(n), 2 * fracBits(x));
    ctx.types['accum'] = ctx.accum(unionType(sum, { ...sq, signed: true, width: sq.width + 1, integer: sq.integer + 1 }));
    return undefined;
  },

  tables: ['table'],
  buildTables({ layer, config: cfg, where }) {
    const eps = layer.params['epsilon'] as number;
    const p = cfg.precision.table;
    const t = invStdTable(eps, cfg.tableSize['table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['table'] ?? DEFAULT_INV_STD_RANGE, p && p !== 'auto' ? p : DEFAULT_INV_STD_TYPE, where);
    layer.tables = { table: t };
    layer.types['table'] = t.type;
  },

  emit(e) {
    const { b, l, node, hls, x } = e;
    const n = e.num('n_in');
    const invN = b.nodeConst(node, 'inv_n', INV_N_TYPE, quantizeCodes([1 / n], INV_N_TYPE));
    const t = b.table(node, hls, 'table');
    const acc = e.role('accum');
    const G = b.constant(l.inputs[1], 'gamma');
    const betaT = e.optional(2);
    const Bt = betaT ? b.constant(betaT, 'beta') : G;
    e.config('nnet::layernorm_config', {
      n_in: n, n_rows: e.num('n_rows', 1), has_bias: !!betaT, ...tableIndexFields('table', hls.tables!['table'], fracBits(acc)),
      accum_t: e.roleType('accum'), inv_n_t: invN.typeName, table_t: t.typeName, scale_t: G.typeName, shift_t: Bt.typeName,
    });
    const call = (i: string, o: string): string[] => e.call(`nnet::layernorm<${e.xT}, ${e.yT}, ${e.cfg}>`, [i, o, invN.name, t.name, G.name, Bt.name]);
    if (e.stream) return { cppKernel: 'nnet::layernorm (buffered)', lines: e.buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::layernorm', lines: call(e.input(x), e.out) };
  },

  emulate: buildLayerNorm,

  estimate(l, ctx) {
    const p = l.hls.params;
    const n = num(p['n_in'], 1), rows = Math.max(1, num(p['n_rows'], 1));
    const core = layernormCore(l, ctx, n);
    const depth = chainCycles(core.steps, ctx.period);
    return { core, latency: (rows - 1) + depth, ii: rows };
  },
};

function layernormCore(l: LoweredLayer, ctx: LayerContext, n: number): Core {
  const { part } = ctx;
  const h = l.hls;
  const wout = w(h.types['result']), wacc = w(h.types['accum'], 32), wt = w(h.types['table'], 18);
  const t = tableStorage(l, 1);
  const sq = varMult(wacc, wacc, part);
  const sc = varMult(wacc, wt, part);
  let res = add(zero(), t.res);
  // sums (2 trees), squares, normalization and gamma products, beta adds, conversions
  res = add(res, { dsp: n * (sq.dsp + sc.dsp * 2) + sc.dsp * 2, lut: 2 * (n - 1) * wacc + n * (sq.lut + 2 * sc.lut + wacc + wout) });
  const steps: Step[] = [
    ...Array.from({ length: log2c(n) }, () => ({ ns: addDelay(wacc, part) })), { cycles: COEF.dspCycles },
    { ns: addDelay(wacc, part) }, ...multSteps(sq.impl, wacc, wacc, sq.dsp, part),
    ...Array.from({ length: log2c(n) }, () => ({ ns: addDelay(wacc, part) })), { cycles: COEF.dspCycles },
    t.bram ? { cycles: COEF.bramCycles } : { ns: 0.6 },
    ...multSteps(sc.impl, wacc, wt, sc.dsp, part), ...multSteps(sc.impl, wacc, wt, sc.dsp, part), { ns: addDelay(wout, part) },
  ];
  return { res, steps, liveBits: n * wacc, storage: { bits: t.bits, in: t.in }, notes: [] };
}

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate)

/**
 * LayerNormalization over the last axis (backends/vitis/templates/nnet/nnet_layernorm.h), in BigInt because the squared
 * deviations are twice as wide as the data:
 *   sum = accum(sum_i x_i) (one conversion per add); mean = accum(sum * inv_n);
 *   sq = accum(sum_i (x_i - mean)^2) (one conversion per add); var = accum(sq * inv_n);
 *   inv_std = table[idx(var)]; y_i = result((x_i - mean) * inv_std * gamma_i + beta_i) (exact, converted once).
 */
function buildLayerNorm(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = x.shape[x.shape.length - 1];
  const rows = sizeOf(x.shape) / n;
  const A = role(ctx, 'accum');
  const table = ctx.hls.tables?.['table'];
  if (!table) unsupported(ctx, 'has no inv_std table in its HLS annotation');
  const gT = ctx.consts.get(1), bT = ctx.consts.get(2);
  if (!gT) unsupported(ctx, 'needs a constant scale (gamma)');
  const gType = constType(gT, role(ctx, 'scale'));
  const bType = bT ? constType(bT, role(ctx, 'shift')) : undefined;
  const gamma = Array.from(constCodes(gT, gType), BigInt);
  const beta = bT ? Array.from(constCodes(bT, bType!), BigInt) : undefined;
  const nType = ctx.hls.types['inv_n'] ?? INV_N_TYPE;
  const invN = typeof ctx.hls.params['inv_n_code'] === 'number' ? BigInt(ctx.hls.params['inv_n_code'] as number) : rawFromNumber(1 / n, nType);
  const fx = fracBits(x.type), fa = fracBits(A), fn = fracBits(nType), fg = fracBits(gType), fb = bType ? fracBits(bType) : 0;
  const ft = fracBits(table.type);
  const rd = tableReader(table, fa);
  const R = ctx.out.type;
  const toAcc = (v: bigint, f: number): bigint => convertRaw(v, f, A);
  // (x - mean): exact at max(fx, fa) fractional bits.
  const fd = Math.max(fx, fa);
  const fy = fd + ft + fg;
  const F = Math.max(fy, fb);
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let r = 0; r < rows * batch; r++) {
        const o = r * n;
        let sum = 0n;
        for (let i = 0; i < n; i++) sum = toAcc((sum << BigInt(fd - fa)) + (BigInt(X[o + i]) << BigInt(fd - fx)), fd);
        const mean = toAcc(sum * invN, fa + fn);
        const dev: bigint[] = [];
        for (let i = 0; i < n; i++) dev.push((BigInt(X[o + i]) << BigInt(fd - fx)) - (mean << BigInt(fd - fa)));
        let sq = 0n;
        for (let i = 0; i < n; i++) sq = toAcc((sq << BigInt(2 * fd - fa)) + dev[i] * dev[i], 2 * fd);
        const v = toAcc(sq * invN, fa + fn);
        const inv = BigInt(rd.codes[rd.index(Number(v))]);
        for (let i = 0; i < n; i++) {
          let t = (dev[i] * inv * gamma[i]) << BigInt(F - fy);
          if (beta) t += beta[i] << BigInt(F - fb);
          if (overflowsBig(t, F, R)) over++;
          Y[o + i] = Number(convertRaw(t, F, R));
        }
      }
      return over;
    },
  };
}
