/*
 * Per-layer estimates: latency, initiation interval and resources of one call of a kernel of the lowered graph,
 * following the kernel library's loop structure (backends/vitis/templates/nnet) and the cost primitives of model.ts.
 * docs/fpga-estimates.md describes the model.
 */
import type { FixedType } from 'firmflow';
import { codesOf, type LoweredLayer } from '../lowered.js';
import { add, addDelay, chainCycles, COEF, csdDigits, dspsPerMultiplier, memory, round, significantBits, zero, type Step } from './model.js';
import type { FpgaPart, LayerEstimate, MultiplierEstimate, Resources } from './types.js';

export interface LayerContext {
  part: FpgaPart;
  /** Clock period (ns). */
  period: number;
}

const log2c = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));
const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);
const w = (t: FixedType | undefined, d = 16): number => t?.width ?? d;

/** What a layer's core computes per call, before io-type specific scheduling is applied. */
interface Core {
  res: Resources;
  steps: Step[];
  /** Live bits held at each pipeline boundary (for the flip-flop estimate). */
  liveBits: number;
  mult?: MultiplierEstimate;
  storage: LayerEstimate['storage'];
  notes: string[];
}

// ------------------------------------------------------------------------------------------------- multipliers

interface ConstMults {
  dsp: number;
  lut: number;
  dspMults: number;
  lutMults: number;
  shifts: number;
  zeros: number;
  maxDigits: number;
  maxBits: number;
}

/** Multiplications of a `wData`-bit variable by each constant code (reuse factor 1: one multiplier per weight). */
function constMults(codes: ArrayLike<number | bigint>, wData: number, part: FpgaPart): ConstMults {
  const r: ConstMults = { dsp: 0, lut: 0, dspMults: 0, lutMults: 0, shifts: 0, zeros: 0, maxDigits: 0, maxBits: 0 };
  for (let i = 0; i < codes.length; i++) {
    const c = Number(codes[i]);
    const k = csdDigits(c);
    if (k === 0) { r.zeros++; continue; }
    if (k === 1) { r.shifts++; continue; }
    const bits = significantBits(c);
    r.maxBits = Math.max(r.maxBits, bits);
    if (k <= COEF.constLutMaxDigits) {
      r.lutMults++;
      r.lut += (k - 1) * wData * COEF.lutPerAddBit;
      r.maxDigits = Math.max(r.maxDigits, k);
    } else {
      r.dspMults++;
      r.dsp += dspsPerMultiplier(wData, bits, part);
    }
  }
  return r;
}

/** One multiplier of two variable operands. */
function varMult(wa: number, wb: number, part: FpgaPart): { dsp: number; lut: number; impl: 'dsp' | 'lut' } {
  if (Math.min(wa, wb) <= COEF.lutMultMaxWidth) return { dsp: 0, lut: Math.ceil(COEF.lutMultPerBit2 * wa * wb), impl: 'lut' };
  return { dsp: dspsPerMultiplier(wa, wb, part), lut: 0, impl: 'dsp' };
}

/** Delay steps of a variable multiplier. */
function multSteps(impl: 'dsp' | 'lut' | 'none', wa: number, wb: number, dsps: number, part: FpgaPart, digits = 0): Step[] {
  if (impl === 'none') return [];
  if (impl === 'dsp') return dsps > 1 ? [{ cycles: COEF.dspCycles }, { ns: addDelay(wa + wb, part) }] : [{ cycles: COEF.dspCycles }];
  const levels = digits > 0 ? log2c(digits) : log2c(Math.min(wa, wb));
  return Array.from({ length: Math.max(1, levels) }, () => ({ ns: addDelay(wa + wb, part) }));
}

// ------------------------------------------------------------------------------------------------- Dense / Conv

function macCore(l: LoweredLayer, ctx: LayerContext, nIn: number, nOut: number): Core {
  const { part } = ctx;
  const h = l.hls;
  const R = Math.max(1, h.reuseFactor);
  const wd = w(h.types['input']), ww = w(h.types['weight']), wacc = w(h.types['accum'], 32), wres = w(h.types['result']);
  const hasBias = num(h.params['has_bias'], 1) === 1;
  const block = nIn * nOut;
  const notes: string[] = [];
  let res = zero();
  let steps: Step[];
  let mult: MultiplierEstimate;
  let storage: LayerEstimate['storage'];
  const weightT = l.inputs[1];
  const weightBits = block * ww + (hasBias ? nOut * w(h.types['bias']) : 0);
  if (R === 1) {
    // Every multiplier always multiplies by the same weight: the tool specializes it to the constant.
    const cm = constMults(codesOf(weightT), wd, part);
    const products = block - cm.zeros;
    const adders = Math.max(0, products - (hasBias ? 0 : nOut) - cm.dspMults);
    res = add(res, { dsp: cm.dsp, lut: cm.lut + adders * wacc * COEF.lutPerAddBit });
    const impl = cm.dspMults > 0 ? 'dsp' : cm.lutMults > 0 ? 'lut' : 'none';
    mult = {
      multiplications: block, instances: cm.dspMults + cm.lutMults, widths: [wd, ww], impl,
      dspEach: cm.dspMults ? cm.dsp / cm.dspMults : 0, lutEach: cm.lutMults ? Math.round(cm.lut / cm.lutMults) : 0,
    };
    notes.push(`${cm.dspMults} products in DSPs, ${cm.lutMults} shift-add in LUTs, ${cm.shifts} powers of two, ${cm.zeros} zero weights`);
    storage = { bits: weightBits, in: 'lut' };
    steps = [...multSteps(impl, wd, cm.maxBits || ww, mult.dspEach, part, cm.maxDigits), ...Array.from({ length: log2c(nIn + (hasBias ? 1 : 0)) }, () => ({ ns: addDelay(wacc, part) })), { ns: addDelay(wres, part) }];
  } else {
    const instances = Math.ceil(block / R);
    const vm = varMult(wd, ww, part);
    const muxLevels = log2c(R);
    // every multiplier's data operand is selected among R inputs; its weight too (latency: a LUT ROM of constants)
    const dataMux = instances * wd * Math.ceil((R - 1) / 3);
    const resource = h.strategy === 'resource';
    res = add(res, { dsp: vm.dsp * instances, lut: vm.lut * instances + dataMux + instances * wacc * COEF.lutPerAddBit, ff: nOut * wacc });
    if (resource) {
      // weights reshaped into R words of BF = block / R weights, bound to block RAM (NNET_ROM)
      const width = instances * ww;
      const perWord = R <= 512 ? 36 : R <= 1024 ? 18 : R <= 2048 ? 9 : R <= 4096 ? 4 : R <= 8192 ? 2 : 1;
      res = add(res, { bram18k: Math.ceil(width / perWord) * Math.max(1, Math.ceil(R / 16384)) });
      storage = { bits: weightBits, in: 'bram' };
      notes.push(`weights in block RAM: ${R} words of ${width} bits`);
    } else {
      res = add(res, { lut: instances * ww * Math.ceil((R - 1) / 6) });
      storage = { bits: weightBits, in: 'lut' };
      notes.push(`weights selected from LUT ROM (${R} per multiplier)`);
    }
    mult = { multiplications: block, instances, widths: [wd, ww], impl: vm.impl, dspEach: vm.impl === 'dsp' ? vm.dsp : 0, lutEach: vm.lut };
    notes.push(`${instances} shared multipliers (${vm.impl === 'dsp' ? `${vm.dsp} DSP` : `${vm.lut} LUT`} each), each used ${R} times per call`);
    const ms = multSteps(vm.impl, wd, ww, vm.dsp, part);
    steps = resource
      ? [{ cycles: COEF.bramCycles }, ...ms, { ns: addDelay(wacc, part) }, { cycles: R - 1 }, { ns: addDelay(wres, part) }]
      : [{ ns: COEF.mux * muxLevels }, ...ms, ...Array.from({ length: log2c(Math.ceil(nIn / R) + 1) }, () => ({ ns: addDelay(wacc, part) })), { cycles: R - 1 }, { ns: addDelay(wacc, part) }, { ns: addDelay(wres, part) }];
  }
  // result conversion (rounding, saturation) of every output
  res = add(res, { lut: nOut * wres * COEF.lutPerAddBit });
  return { res, steps, liveBits: nOut * wacc + nIn * wd, mult, storage, notes };
}

// ------------------------------------------------------------------------------------------------- tables

function tableStorage(l: LoweredLayer, ports: number): { res: Partial<Resources>; bits: number; in: LayerEstimate['storage']['in']; bram: boolean } {
  let res: Resources = zero();
  let bits = 0;
  let where: LayerEstimate['storage']['in'] = 'none';
  let bram = false;
  for (const [name, t] of Object.entries(l.hls.tables ?? {})) {
    // the inverse table of softmax is read once per row; the others once per element
    const p = name === 'inv_table' ? 1 : ports;
    const m = memory(t.size, t.type.width, p);
    res = add(res, m.res);
    bits += t.size * t.type.width;
    if (m.in === 'bram') { where = 'bram'; bram = true; } else if (where !== 'bram') where = 'lut';
  }
  return { res, bits, in: where, bram };
}

// ------------------------------------------------------------------------------------------------- other kernels

/** Elements computed in parallel per call: all (io_parallel) or one beat (io_stream). */
function parallelElements(l: LoweredLayer, n: number): number {
  if (l.hls.io !== 'io_stream') return n;
  return Math.max(1, num(l.hls.params['in_pack'], n));
}

function constCodes(l: LoweredLayer, inputIndex: number): ArrayLike<number | bigint> | undefined {
  const t = l.inputs[inputIndex];
  return t?.data ? codesOf(t) : undefined;
}

function elementCore(l: LoweredLayer, ctx: LayerContext, par: number): Core {
  const { part } = ctx;
  const h = l.hls;
  const k = h.kernel.replace(/_stream$/, '');
  const win = w(h.types['input']), wout = w(h.types['result'], win);
  const notes: string[] = [];
  let res = zero();
  let steps: Step[] = [];
  let storage: LayerEstimate['storage'] = { bits: 0, in: 'none' };
  let mult: MultiplierEstimate | undefined;
  const conv = wout * COEF.lutPerAddBit; // rounding / saturation to the result type
  const lut = (n: number) => { res = add(res, { lut: n }); };
  const constScale = (codes: ArrayLike<number | bigint> | undefined, perElement: (i: number) => number) => {
    if (!codes || codes.length === 0) return;
    const per = Array.from({ length: par }, (_, i) => Number(codes[perElement(i) % codes.length]));
    const cm = constMults(per, win, part);
    res = add(res, { dsp: cm.dsp, lut: cm.lut });
    mult = { multiplications: par, instances: cm.dspMults + cm.lutMults, widths: [win, w(h.types['scale'])], impl: cm.dspMults ? 'dsp' : cm.lutMults ? 'lut' : 'none', dspEach: cm.dspMults ? cm.dsp / cm.dspMults : 0, lutEach: cm.lutMults ? Math.round(cm.lut / cm.lutMults) : 0 };
    steps.push(...(cm.dspMults ? [{ cycles: COEF.dspCycles }] : [{ ns: addDelay(win + 8, part) }]));
  };
  switch (k) {
    case 'relu':
      lut(par * Math.ceil(wout / 2));
      steps = [{ ns: COEF.mux }];
      break;
    case 'leaky_relu': case 'prelu': {
      const codes = k === 'prelu' ? constCodes(l, 1) : [num(h.params['alpha_code'])];
      constScale(codes, (i) => i);
      lut(par * (wout + conv));
      steps.push({ ns: COEF.mux }, { ns: addDelay(wout, part) });
      break;
    }
    case 'clip': case 'fixed_cast': case 'bipolar_quant':
      lut(par * (k === 'clip' ? 3 * wout : k === 'bipolar_quant' ? 1 : conv));
      steps = [{ ns: addDelay(win, part) }, { ns: COEF.mux }];
      break;
    case 'hard_sigmoid':
      constScale([num(h.params['alpha_code'])], () => 0);
      lut(par * (w(h.types['accum'], win + 8) + 3 * wout));
      steps.push({ ns: addDelay(wout, part) }, { ns: addDelay(wout, part) });
      break;
    case 'softsign': {
      // a divider per element: restoring division, one subtract per quotient bit, pipelined
      const wa = w(h.types['accum'], win + 1);
      lut(par * (wa * wout + conv));
      steps = Array.from({ length: wout }, () => ({ ns: addDelay(wa, part) }));
      notes.push('one divider per element');
      break;
    }
    case 'scale_shift': case 'rescale': {
      const nInner = Math.max(1, num(h.params['n_inner'], 1));
      constScale(constCodes(l, 1), (i) => Math.floor(i / nInner));
      lut(par * (w(h.types['accum'], win + 8) + conv));
      steps.push({ ns: addDelay(w(h.types['accum'], win + 8), part) }, { ns: addDelay(wout, part) });
      break;
    }
    case 'add': case 'sub':
      lut(par * (wout + 1 + conv));
      steps = [{ ns: addDelay(wout + 1, part) }, { ns: addDelay(wout, part) }];
      break;
    case 'mul': {
      const vm = varMult(win, w(h.types['input1'], win), part);
      res = add(res, { dsp: vm.dsp * par, lut: vm.lut * par + par * conv });
      mult = { multiplications: par, instances: par, widths: [win, w(h.types['input1'], win)], impl: vm.impl, dspEach: vm.impl === 'dsp' ? vm.dsp : 0, lutEach: vm.lut };
      steps = [...multSteps(vm.impl, win, w(h.types['input1'], win), vm.dsp, part), { ns: addDelay(wout, part) }];
      break;
    }
    case 'sigmoid': case 'tanh': case 'elu': case 'selu': case 'softplus': {
      const t = tableStorage(l, par);
      res = add(res, t.res);
      lut(par * (win + conv));
      storage = { bits: t.bits, in: t.in };
      steps = [{ ns: addDelay(win, part) }, t.bram ? { cycles: COEF.bramCycles } : { ns: 0.6 }, { ns: addDelay(wout, part) }];
      if (k === 'selu' || k === 'elu') { lut(par * wout); steps.push({ ns: COEF.mux }); }
      if (t.bram) notes.push(`table in block RAM, ${Math.ceil(par / 2)} cop${par > 2 ? 'ies' : 'y'} for ${par} parallel reads`);
      break;
    }
    default:
      // data movement (reshape, flatten, concat, transpose, pad, resize): wiring in io_parallel
      steps = [];
      if (l.hls.io === 'io_stream') {
        const n = num(h.params['n_in'], prod((h.params['out_shape'] as number[] | undefined) ?? [par]));
        if (/^(transpose|concat|pad|resize_nearest)$/.test(k) || num(h.params['repack']) === 1) {
          const m = memory(n, wout, 2);
          res = add(res, m.res);
          storage = { bits: n * wout, in: m.in };
          notes.push(`whole tensor buffered (${n} values)`);
        }
      }
  }
  return { res, steps, liveBits: par * wout, mult, storage, notes };
}

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

function layernormCore(l: LoweredLayer, ctx: LayerContext, n: number): Core {
  const { part } = ctx;
  const h = l.hls;
  const win = w(h.types['input']), wout = w(h.types['result']), wacc = w(h.types['accum'], 32), wt = w(h.types['table'], 18);
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

function poolCore(l: LoweredLayer, ctx: LayerContext, taps: number, chans: number): Core {
  const { part } = ctx;
  const h = l.hls;
  const win = w(h.types['input']), wout = w(h.types['result']), wacc = w(h.types['accum'], win + log2c(taps));
  const avg = h.params['pool_op'] === 'average';
  let res = zero();
  const steps: Step[] = Array.from({ length: log2c(taps) }, () => ({ ns: addDelay(avg ? wacc : win, part) + (avg ? 0 : COEF.mux) }));
  if (avg) {
    const vm = varMult(wacc, w(h.types['scale'], 18), part);
    res = add(res, { dsp: vm.dsp * chans, lut: chans * ((taps - 1) * wacc + vm.lut + wout) });
    steps.push(...multSteps(vm.impl, wacc, w(h.types['scale'], 18), vm.dsp, part));
  } else {
    res = add(res, { lut: chans * ((taps - 1) * 2 * win + wout) });
  }
  steps.push({ ns: addDelay(wout, part) });
  return { res, steps, liveBits: chans * (avg ? wacc : win), storage: { bits: 0, in: 'none' }, notes: [] };
}

// ------------------------------------------------------------------------------------------------- scheduling

/** Estimate of one layer. */
export function estimateLayer(l: LoweredLayer, ctx: LayerContext): LayerEstimate {
  const h = l.hls;
  const p = h.params;
  const stream = h.io === 'io_stream';
  const k = h.kernel.replace(/_stream$/, '').replace(/_(latency|resource)$/, '');
  const inPack = Math.max(1, num(p['in_pack'], 1)), outPack = Math.max(1, num(p['out_pack'], 1));
  const R = Math.max(1, h.reuseFactor);
  let core: Core;
  let latency: number;
  let ii: number;
  let copies = 1;
  let extra = zero();
  const notes: string[] = [];

  const spatial = /^(conv[12]d|depthwise_conv[12]d|pooling[12]d)$/.test(k);
  if (/^(dense|conv[12]d|depthwise_conv[12]d)$/.test(k) || spatial) {
    const outH = num(p['out_height'], 1), outW = num(p['out_width'], 1);
    const pixels = k === 'dense' ? 1 : outH * outW;
    const pooling = k.startsWith('pooling');
    core = pooling
      ? poolCore(l, ctx, num(p['pool_height'], 1) * num(p['pool_width'], num(p['filt_width'], 1)), num(p['n_chan'], 1))
      : macCore(l, ctx, num(p['n_mult_in']), num(p['n_mult_out']));
    const depth = chainCycles(core.steps, ctx.period);
    const perPixelII = pooling ? R : R; // the pixel loop is pipelined at II = reuse factor
    if (k === 'dense') {
      const rows = Math.max(1, num(p['n_rows'], 1));
      const coreII = h.strategy === 'resource' || R > 1 ? R : 1;
      if (stream) {
        const beatsIn = num(p['n_in']) / inPack, beatsOut = num(p['n_out']) / outPack;
        const perRow = beatsIn + depth + beatsOut + 1;
        latency = rows * perRow;
        ii = rows * (beatsIn + Math.max(coreII, depth) + beatsOut);
      } else {
        // the row loop unrolls inside the pipelined top: one datapath per row
        copies = rows;
        latency = depth;
        ii = coreII;
      }
    } else {
      const inH = num(p['in_height'], 1), inW = num(p['in_width'], 1), nChan = num(p['n_chan'], 1);
      if (stream) {
        const readBeats = inH * inW * Math.ceil(nChan / inPack);
        const total = readBeats + outH * ((outW - 1) * perPixelII + depth + 1);
        latency = total;
        ii = total;
        // line buffer: n_chan banks (cyclic partition) of lb_rows x in_width values, read by the window's taps
        const lbRows = num(p['lb_rows'], num(p['filt_height'], 1)), lbW = num(p['lb_width'], inW);
        const taps = num(p['filt_height'], 1) * num(p['filt_width'], 1);
        const m = memory(lbRows * lbW, w(h.types['input']), Math.ceil(taps / R));
        extra = add(extra, m.res, nChan);
        notes.push(`line buffer ${lbRows} x ${lbW} x ${nChan} in ${m.in === 'bram' ? 'block RAM' : 'LUT RAM'}`);
      } else {
        latency = (pixels - 1) * perPixelII + depth;
        ii = pixels * perPixelII;
        // every value of the window is selected among the pixels the loop visits
        const win = num(p['n_mult_in'], 1);
        extra = add(extra, { lut: win * w(h.types['input']) * Math.ceil((Math.min(pixels, 64) - 1) / 3) });
      }
    }
  } else if (k.startsWith('global_pooling')) {
    const chans = num(p['n_chan'], 1);
    const pix = num(p['in_height'], 1) * num(p['in_width'], 1);
    core = poolCore(l, ctx, pix, 1);
    const depth = chainCycles(core.steps, ctx.period);
    latency = stream ? pix * Math.ceil(chans / inPack) + chans + depth : chans + depth;
    ii = stream ? pix * Math.ceil(chans / inPack) + chans : chans;
  } else if (k.startsWith('softmax')) {
    const n = num(p['n_in'], 1), rows = Math.max(1, num(p['n_rows'], 1));
    core = softmaxCore(l, ctx, n, inPack);
    const depth = chainCycles(core.steps, ctx.period);
    latency = (rows - 1) * R + depth + (stream ? n / inPack + n / outPack : 0);
    ii = rows * R + (stream ? rows * (n / inPack + n / outPack) : 0);
  } else if (k === 'layernorm') {
    const n = num(p['n_in'], 1), rows = Math.max(1, num(p['n_rows'], 1));
    core = layernormCore(l, ctx, n);
    const depth = chainCycles(core.steps, ctx.period);
    latency = (rows - 1) + depth;
    ii = rows;
  } else {
    const n = num(p['n_in'], num(p['n_out'], prod((p['out_shape'] as number[] | undefined) ?? [1])));
    const par = parallelElements(l, n);
    core = elementCore(l, ctx, par);
    const depth = chainCycles(core.steps, ctx.period);
    if (stream) {
      const beats = Math.ceil(n / par);
      const buffered = core.storage.in !== 'none' && core.storage.bits > 0;
      latency = beats + depth + (buffered ? Math.ceil(n / outPack) : 0);
      ii = buffered ? beats + Math.ceil(n / outPack) : beats;
    } else {
      latency = depth;
      ii = 1;
    }
  }

  let res = add(add(zero(), core.res, copies), extra);
  // pipeline registers: live values at every boundary of the datapath
  const boundaries = Math.min(latency, chainCycles(core.steps, ctx.period));
  res = add(res, { ff: COEF.ffPerLiveBit * core.liveBits * boundaries * copies });
  return {
    name: h.layerName,
    node: l.node.name,
    op: l.node.op,
    kernel: h.kernel,
    index: h.index,
    strategy: h.strategy,
    io: h.io,
    reuseFactor: h.reuseFactor,
    latencyCycles: Math.round(latency),
    latencyNs: Math.round(latency) * ctx.period,
    ii: Math.max(1, Math.round(ii)),
    resources: round(res),
    ...(core.mult ? { multipliers: core.mult } : {}),
    storage: core.storage,
    notes: [...core.notes, ...notes],
  };
}
