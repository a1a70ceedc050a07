/*
 * LayerNormalization over the last axis: exact sums of x and of squared deviations, 1/sqrt(var + eps) from a
 * table, then gamma and beta.
 */
import { convertRaw, type FixedType, fracBits, quantizeCodes, rawFromNumber, sizeOf, unionType } from 'firmflow';
import { type BoundContext, codeValues, type ErrorBound, floatOf, roundingStep, type SampleValues } from '../emulate/bounds.js';
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
  errorBound: layerNormBound,

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
// error bound (--trace)

/**
 * The bound of one row of n values, per sample in the max norm. With x the fixed-point row, c_i = x_i - mean(x),
 * V = var(x) (population), s = sqrt(V + eps), z_i = c_i / s its exact normalization, and the float row x_f with
 * s_f and z_f likewise, the kernel's y_i = R(d_i * r * g_q,i + b_q,i) differs from the model's g_i z_f,i + b_i by
 *
 *   |g_q,i| (|d_i - c_i| r + |c_i| |r - 1/s|)            its own arithmetic on x (mean, variance, table)
 *   + |g_q,i| (2 + |z_i|) e / s_f                          the input error e (centering moves it at most 2e; s is
 *                                                          1-Lipschitz in the max norm: the RMS of c moves <= e)
 *   + |g_q,i - g_i| |z_f,i| + |b_q,i - b_i| + rho_R        its constants and the result's rounding.
 *
 * Own arithmetic: mean = A(S * inv_n) with S = sum x (exact when A has x's fractional bits, else one A step per
 * add), so |d_i - c_i| = |mean - S/n| <= dmu = |S| |inv_n - 1/n| + rho_A (+ n rho_A inv_n). sum d_i^2 = n V + n
 * (mean - S/n)^2, each add converted to A (rho_A), so the variance the table reads is within dV = n V |inv_n -
 * 1/n| + n dmu^2 inv_n + n rho_A inv_n + rho_A of V. The table index is monotone in the variance, so r is one of
 * the entries between the indices of V - dV and V + dV: |r - 1/s| is at most the largest distance of those
 * entries (as rounded to the table type) from 1/sqrt(V + eps), and r at most their largest value. A row whose
 * variance is certainly past the table's range (the last entry serves it) gets no table term: a range too small
 * is not explained, it is what the trace should point at.
 */
function layerNormBound(b: BoundContext): ErrorBound {
  const { hls, graph, node } = b;
  const n = hls.params['n_in'] as number;
  const eps = hls.params['epsilon'] as number;
  const A = hls.types['accum'], X = graph.tensor(node.inputs[0]).precision!;
  const table = hls.tables!['table'];
  const fa = fracBits(A), rhoA = roundingStep(A);
  const rd = tableReader(table, fa);
  const lsbT = 2 ** -fracBits(table.type);
  const nType = hls.types['inv_n'] ?? INV_N_TYPE;
  const invNCode = typeof hls.params['inv_n_code'] === 'number' ? BigInt(hls.params['inv_n_code'] as number) : rawFromNumber(1 / n, nType);
  const invN = Number(invNCode) * 2 ** -fracBits(nType);
  const dN = Math.abs(invN - 1 / n);
  const sumLoss = fa >= fracBits(X) ? 0 : n * rhoA * invN;
  const g = b.konst(1)!, beta = b.konst(2);
  const gq = codeValues(g, g.precision!), gf = floatOf(g)!;
  const bq = beta ? codeValues(beta, beta.precision!) : undefined, bf = beta ? floatOf(beta)! : undefined;
  const constErr = (i: number, zf: number): number => Math.abs(gq[i] - gf[i]) * Math.abs(zf) + (bq ? Math.abs(bq[i] - bf![i]) : 0);

  const row = (x: Float64Array, xf: Float64Array, e: number): number => {
    const S = sum(x), V = variance(x, S / n), s = Math.sqrt(V + eps);
    const Vf = variance(xf, sum(xf) / n), sf = Math.sqrt(Vf + eps);
    const dMu = Math.abs(S) * dN + rhoA + sumLoss;
    const dV = n * V * dN + n * dMu * dMu * invN + n * rhoA * invN + rhoA;
    // Entries the kernel may read (index monotone in the variance's code; the variance is never negative). A
    // variance certainly past the table's range reads the last entry, which its arithmetic does not explain.
    const lo = rd.index(Math.floor(Math.max(0, V - dV) * 2 ** fa)), hi = rd.index(Math.ceil((V + dV) * 2 ** fa));
    const past = V - dV >= table.hi;
    let dR = 0, rMax = 0;
    for (let j = lo; j <= hi; j++) {
      const t = rd.codes[j] * lsbT;
      if (!past) dR = Math.max(dR, Math.abs(t - 1 / s));
      rMax = Math.max(rMax, Math.abs(t));
    }
    const meanF = sum(xf) / n;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const c = x[i] - S / n, gi = Math.abs(gq[i]);
      const own = gi * (dMu * rMax + Math.abs(c) * dR);
      const prop = e === 0 ? 0 : gi * (2 + Math.abs(c) / s) * e / sf;
      worst = Math.max(worst, own + prop + constErr(i, (xf[i] - meanF) / sf));
    }
    return worst;
  };

  return {
    L: [Infinity],
    own: () => Infinity,
    sample(v: SampleValues): number {
      const x = v.fixed(0), xf = v.float(0), e = v.errors[0];
      if (!xf || Number.isNaN(e)) return Infinity;
      let worst = 0;
      for (let o = 0; o < x.length; o += n) worst = Math.max(worst, row(x.subarray(o, o + n), xf.subarray(o, o + n), e));
      return worst + b.qR;
    },
  };
}

function sum(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

function variance(x: Float64Array, mean: number): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - mean) ** 2;
  return s / x.length;
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
