/*
 * Softmax over the last axis. 'stable': max subtracted, a two-level exp table (coarse and fine, split by the
 * lowering), the sum's inverse from a table; 'argmax': a one-hot of the largest input (no tables).
 */
import { type FixedType, fracBits, rawFromNumber, sizeOf } from 'firmflow';
import type { LayerConfig } from '../layer-config.js';
import { roundingStep } from '../emulate/bounds.js';
import { convertOne, maxAbsCode, productConverter } from '../emulate/convert.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { tableReader } from '../emulate/tables.js';
import { add, addDelay, chainCycles, COEF, type Step, zero } from '../estimate/model.js';
import { type Core, type LayerContext, log2c, multSteps, num, tableStorage, varMult, w } from '../estimate/cost.js';
import type { LoweredLayer } from '../lowered.js';
import { CONFIG_KEY } from '../passes/common.js';
import { num as attr, requireActivation, sample, Unsupported } from '../passes/planning.js';
import {
  DEFAULT_EXP_RANGE, DEFAULT_SOFTMAX_TABLE_TYPE, DEFAULT_TABLE_SIZE, expSumType, softmaxExpSplit, softmaxExpTable, softmaxFineTable, softmaxInvRange, softmaxInvTable,
} from '../tables.js';
import { fixedCpp } from '../writer/names.js';
import { tableIndexFields } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

const typeOr = (p: FixedType | 'auto' | undefined, d: FixedType): FixedType => (p && p !== 'auto' ? p : d);
const stable = (kernel: string): boolean => kernel.startsWith('softmax_stable');

/**
 * Default result type of a stable Softmax: ufixed<W,0,RND_CONV,SAT> with W the data width, widened so that the
 * largest input (exp 1.0) and one a single input LSB below it (exp(-2^-F) ~ 1 - 2^-F) stay apart after the common
 * factor 1/s (s <= n): W >= F + ceil(log2(n + 1)) + 1, at most 32.
 */
function softmaxResultType(x: FixedType, n: number, data: FixedType): FixedType {
  const need = fracBits(x) + Math.ceil(Math.log2(n + 1)) + 1;
  const width = Math.min(32, Math.max(data.width, need));
  return { signed: false, width, integer: 0, rounding: 'RND_CONV', overflow: 'SAT' };
}

export const softmax: VitisKernel = {
  name: 'softmax',
  ops: ['Softmax'],
  header: 'nnet_softmax.h',
  stream: 'flow',
  implementations: ['stable', 'argmax'],

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    const s = sample(x);
    let axis = attr(node.attrs['axis'], -1);
    if (axis < 0) axis += x.shape.length;
    if (axis !== x.shape.length - 1) throw new Unsupported(`softmax over axis ${axis} of ${x.shape.length}; only the last axis is supported`);
    // Without a configuration (inspect on the optimized IR) the default implementation is assumed.
    const impl = (node.meta[CONFIG_KEY] as LayerConfig | undefined)?.implementation ?? 'stable';
    return { kernel: `softmax_${impl}`, params: { n_in: s[s.length - 1], n_rows: sizeOf(s.slice(0, -1)) } };
  },

  adjustResult(ctx, result) {
    if (!stable(ctx.layer.kernel) || ctx.modelResult || ctx.config.precision.result === 'auto' || ctx.config.layerRoles.includes('result')) return result;
    // Probabilities in [0, 1]: a model-wide data type would spend its integer bits on nothing and tie close classes.
    return softmaxResultType(ctx.input, ctx.layer.params['n_in'] as number, ctx.data);
  },

  tables: ['exp_table', 'inv_table'],
  buildTables({ layer, config: cfg, where }) {
    if (!stable(layer.kernel)) return;
    const n = layer.params['n_in'] as number;
    const exp = softmaxExpTable(cfg.tableSize['exp_table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['exp_table'] ?? DEFAULT_EXP_RANGE, typeOr(cfg.precision.exp_table, DEFAULT_SOFTMAX_TABLE_TYPE), where);
    const inv = softmaxInvTable(n, cfg.tableSize['inv_table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['inv_table'] ?? softmaxInvRange(n), typeOr(cfg.precision.inv_table, DEFAULT_SOFTMAX_TABLE_TYPE), where);
    const inFrac = fracBits(layer.types['input']);
    const fine = softmaxFineTable(exp, inFrac);
    const split = softmaxExpSplit(exp, fine, inFrac);
    layer.tables = { exp_table: exp, exp_fine: fine, inv_table: inv };
    layer.params['exp_shift'] = split.shift;
    layer.params['exp_fine_shift'] = split.fineShift;
    layer.params['exp_t_max'] = split.tMax;
    layer.types['exp_table'] = exp.type;
    layer.types['inv_table'] = inv.type;
    layer.types['exp_sum'] = typeOr(cfg.precision.exp_sum, expSumType(n, exp));
  },

  emit(e) {
    const { b, node, hls, x } = e;
    const argmax = hls.kernel.includes('argmax');
    const entries: Record<string, number | boolean | string> = { n_in: e.num('n_in'), n_rows: e.num('n_rows', 1) };
    let extra: string[] = [];
    if (!argmax) {
      const et = b.table(node, hls, 'exp_table'), ft = b.table(node, hls, 'exp_fine'), vt = b.table(node, hls, 'inv_table');
      const expT = hls.tables!['exp_table'], invT = hls.tables!['inv_table'];
      const sumT = e.role('exp_sum');
      const grow = Math.ceil(Math.log2(e.num('n_in') + 1));
      // Two-level exp (docs/design/vitis-backend.md, "Softmax"): the split of t = max - x is the lowering's.
      Object.assign(entries, tableIndexFields('inv_table', invT, fracBits(sumT)), {
        exp_table_size: expT.size, exp_shift: e.num('exp_shift'), exp_fine_shift: e.num('exp_fine_shift'), exp_fine_size: hls.tables!['exp_fine'].size,
        exp_t_max: e.num('exp_t_max'),
        exp_table_t: et.typeName, exp_fine_t: ft.typeName, inv_table_t: vt.typeName, exp_sum_t: e.roleType('exp_sum'),
        exp_acc_t: fixedCpp({ signed: false, width: expT.type.width + grow, integer: expT.type.integer + grow, rounding: 'TRN', overflow: 'WRAP' }),
      });
      extra = [et.name, ft.name, vt.name];
    }
    e.config('nnet::softmax_config', entries);
    const fn = `nnet::softmax_${argmax ? 'argmax' : 'stable'}${e.stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, ...extra]) };
  },

  emulate: buildSoftmax,

  errorBound(b) {
    const { hls, qR } = b;
    if (hls.kernel.includes('argmax')) return { L: [Infinity], own: () => 0, decision: 'argmax' };
    const e = hls.tables?.['exp_table'], f = hls.tables?.['exp_fine'], v = hls.tables?.['inv_table'];
    const n = hls.params['n_in'] as number;
    const binI = v ? (v.hi - v.lo) / v.size : 0;
    // Two-level exp at bin starts (slope <= 1 for t >= 0): the bits of t below the fine table are dropped (one fine
    // bin at most), each table entry and their product round once, t beyond the range reads exp(-range).
    const binF = e && f ? e.hi / e.size / f.size : 0;
    const de = binF + (e ? 3 * roundingStep(e.type) + Math.exp(-e.hi) : 0);
    const di = binI + (v ? roundingStep(v.type) : 0);
    return { L: [0.5], own: () => qR + de * (1 + di) + di + n * de };
  },

  estimate(l, ctx) {
    const h = l.hls, p = h.params;
    const R = Math.max(1, h.reuseFactor);
    const inPack = Math.max(1, num(p['in_pack'], 1)), outPack = Math.max(1, num(p['out_pack'], 1));
    const n = num(p['n_in'], 1), rows = Math.max(1, num(p['n_rows'], 1));
    const core = softmaxCore(l, ctx, n, inPack);
    const depth = chainCycles(core.steps, ctx.period);
    const stream = h.io === 'io_stream';
    return {
      core,
      latency: (rows - 1) * R + depth + (stream ? n / inPack + n / outPack : 0),
      ii: rows * R + (stream ? rows * (n / inPack + n / outPack) : 0),
    };
  },
};

function softmaxCore(l: LoweredLayer, ctx: LayerContext, n: number, par: number): Core {
  const { part } = ctx;
  const h = l.hls;
  const win = w(h.types['input']), wout = w(h.types['result']);
  let res = zero();
  const notes: string[] = [];
  if (h.kernel.startsWith('softmax_argmax')) {
    res = add(res, { lut: (n - 1) * 2 * win + n * wout });
    return { res, steps: Array.from({ length: log2c(n) }, () => ({ ns: addDelay(win, part) + COEF.mux })), liveBits: n * win, storage: { bits: 0, in: 'none' }, notes };
  }
  const wsum = w(h.types['exp_sum'], 20), we = w(h.types['exp_table'], 18), wi = w(h.types['inv_table'], 18);
  const t = tableStorage(l, n);
  res = add(res, t.res);
  // max tree, differences and table indices, sum tree, products with the inverse, result conversion
  res = add(res, { lut: (n - 1) * 2 * win + n * win + n * Math.ceil(win / 2) + (n - 1) * wsum + wsum + n * wout });
  const vm = varMult(we, wi, part);
  res = add(res, { dsp: vm.dsp * n, lut: vm.lut * n });
  if (t.bram) notes.push(`exp table: ${Math.ceil(n / 2)} block RAM cop${n > 2 ? 'ies' : 'y'} for ${n} parallel reads`);
  void par;
  const steps: Step[] = [
    ...Array.from({ length: log2c(n) }, () => ({ ns: addDelay(win, part) + COEF.mux })),
    { ns: addDelay(win, part) },
    t.bram ? { cycles: COEF.bramCycles } : { ns: 0.6 },
    ...Array.from({ length: log2c(n) }, () => ({ ns: addDelay(wsum, part) })),
    t.bram ? { cycles: COEF.bramCycles } : { ns: 0.6 },
    ...multSteps(vm.impl, we, wi, vm.dsp, part),
    { ns: addDelay(wout, part) },
  ];
  return {
    res, steps, liveBits: n * (we + win), storage: { bits: t.bits, in: t.in }, notes,
    mult: { multiplications: n, instances: n, widths: [we, wi], impl: vm.impl, dspEach: vm.impl === 'dsp' ? vm.dsp : 0, lutEach: vm.lut },
  };
}

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate)

/*
 * Softmax over the last axis (docs/design/vitis-backend.md, "Softmax"). Stable: m = max x; t_j = min(m - x_j, t_max)
 * (exact code differences); e_j = exp_t(exp_table[i] * exp_fine[f]) with i, f the coarse and fine bits of t_j (the
 * largest element gets exactly 1.0); s = sum e_j (exact in exp_sum); inv = inv_table[idx(s)];
 * y_j = result(e_j * inv). Argmax: a one-hot of the first largest input. Products of wide table entries exceed 2^53
 * and are formed in BigInt (productConverter).
 */
/*
 * Softmax over the last axis (docs/design/vitis-backend.md, "Softmax"). Stable: m = max x; t_j = min(m - x_j, t_max)
 * (exact code differences); e_j = exp_t(exp_table[i] * exp_fine[f]) with i, f the coarse and fine bits of t_j (the
 * largest element gets exactly 1.0); s = sum e_j (exact in exp_sum); inv = inv_table[idx(s)];
 * y_j = result(e_j * inv). Argmax: a one-hot of the first largest input. Products of wide table entries exceed 2^53
 * and are formed in BigInt (productConverter).
 */
function buildSoftmax(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const shape = x.shape;
  const rank = shape.length + 1;
  const axisAttr = typeof ctx.node.attrs['axis'] === 'number' ? (ctx.node.attrs['axis'] as number) : -1;
  const axis = (axisAttr < 0 ? axisAttr + rank : axisAttr) - 1;
  if (axis < 0) unsupported(ctx, 'softmax over the batch axis cannot be emulated per sample');
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const n = sizeOf(shape);
  const fx = fracBits(x.type);
  const impl = String(ctx.hls.params['implementation'] ?? (ctx.hls.kernel.includes('argmax') ? 'argmax' : 'stable'));
  const R = ctx.out.type;
  const e = new Float64Array(len);
  if (impl === 'argmax') {
    const one = Number(rawFromNumber(1, R));
    return {
      node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
      run([X], Y, batch) {
        Y.fill(0, 0, n * batch);
        for (let s = 0; s < batch; s++) {
          for (let o = 0; o < outer; o++) {
            for (let i = 0; i < inner; i++) {
              const base = s * n + o * len * inner + i;
              let best = 0;
              for (let k = 1; k < len; k++) if (X[base + k * inner] > X[base + best * inner]) best = k;
              Y[base + best * inner] = one;
            }
          }
        }
        return 0;
      },
    };
  }
  const expT = ctx.hls.tables?.['exp_table'], fineT = ctx.hls.tables?.['exp_fine'], invT = ctx.hls.tables?.['inv_table'];
  if (!expT || !fineT || !invT) unsupported(ctx, 'has no exp/exp_fine/inv tables in its HLS annotation');
  const coarse = Float64Array.from(expT.codes), fine = Float64Array.from(fineT.codes);
  const split = softmaxExpSplit(expT, fineT, fx);
  const { shift, fineShift, tMax } = split;
  const p = 2 ** Math.max(0, shift), fp = 2 ** fineShift, up = 2 ** Math.max(0, -shift);
  const fe = fracBits(expT.type), ff = fracBits(fineT.type);
  const twoLevel = fine.length > 1 && shift >= 0;
  const expOf = productConverter(fe + ff, expT.type);
  // The sum lives in exp_sum (exact by default: it has the table's fractional bits and room for len ones).
  const es = ctx.hls.types['exp_sum'];
  const exactSum = !es || (fracBits(es) >= fe && maxAbsCode(es) * 2 ** (fe - fracBits(es)) >= len * maxAbsCode(expT.type));
  const fsum = exactSum ? fe : fracBits(es!);
  const inv = tableReader(invT, fsum);
  const fi = fracBits(invT.type);
  const out = productConverter(fe + fi, R);
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      for (let s = 0; s < batch; s++) {
        for (let o = 0; o < outer; o++) {
          for (let i = 0; i < inner; i++) {
            const base = s * n + o * len * inner + i;
            let m = X[base];
            for (let k = 1; k < len; k++) { const v = X[base + k * inner]; if (v > m) m = v; }
            let sum = 0;
            for (let k = 0; k < len; k++) {
              let t = m - X[base + k * inner];
              if (t > tMax) t = tMax;
              let v: number;
              if (shift < 0) v = coarse[t * up];
              else {
                const hi = Math.floor(t / p);
                v = twoLevel ? expOf.convert(coarse[hi], fine[Math.floor((t - hi * p) / fp)]) : coarse[hi];
              }
              e[k] = v;
              sum += v;
            }
            const iv = inv.codes[inv.index(exactSum ? sum : convertOne(sum, fe, es!))];
            for (let k = 0; k < len; k++) Y[base + k * inner] = out.convert(e[k], iv);
          }
        }
      }
      return expOf.overflows() + out.overflows();
    },
  };
}
