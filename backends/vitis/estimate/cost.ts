/*
 * Cost primitives the kernels' `estimate` share: constant and variable multipliers, table storage, the element-wise
 * core and schedule, and the finishing of a layer's estimate (pipeline registers, summary). docs/fpga-estimates.md
 * describes the model.
 */
import { type FixedType, sizeOf } from 'firmflow';
import { codesOf, type LoweredLayer } from '../lowered.js';
import { add, addDelay, chainCycles, COEF, csdDigits, dspsPerMultiplier, memory, round, significantBits, zero, type Step } from './model.js';
import type { FpgaPart, LayerEstimate, MultiplierEstimate, Resources } from './types.js';

export interface LayerContext {
  part: FpgaPart;
  /** Clock period (ns). */
  period: number;
}

export const log2c = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));
export const num = (v: unknown, d = 0): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
export const w = (t: FixedType | undefined, d = 16): number => t?.width ?? d;

/** What a layer's core computes per call, before io-type specific scheduling is applied. */
export interface Core {
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
export function constMults(codes: ArrayLike<number | bigint>, wData: number, part: FpgaPart): ConstMults {
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
export function varMult(wa: number, wb: number, part: FpgaPart): { dsp: number; lut: number; impl: 'dsp' | 'lut' } {
  if (Math.min(wa, wb) <= COEF.lutMultMaxWidth) return { dsp: 0, lut: Math.ceil(COEF.lutMultPerBit2 * wa * wb), impl: 'lut' };
  return { dsp: dspsPerMultiplier(wa, wb, part), lut: 0, impl: 'dsp' };
}

/** Delay steps of a variable multiplier. */
export function multSteps(impl: 'dsp' | 'lut' | 'none', wa: number, wb: number, dsps: number, part: FpgaPart, digits = 0): Step[] {
  if (impl === 'none') return [];
  if (impl === 'dsp') return dsps > 1 ? [{ cycles: COEF.dspCycles }, { ns: addDelay(wa + wb, part) }] : [{ cycles: COEF.dspCycles }];
  const levels = digits > 0 ? log2c(digits) : log2c(Math.min(wa, wb));
  return Array.from({ length: Math.max(1, levels) }, () => ({ ns: addDelay(wa + wb, part) }));
}

// ------------------------------------------------------------------------------------------------- Dense / Conv

/** Dense and convolution: the n_in x n_out multiplication block at the layer's reuse factor. */
export function macCore(l: LoweredLayer, ctx: LayerContext, nIn: number, nOut: number): Core {
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


/** Max or average over `taps` values for `chans` channels in parallel. */
export function poolCore(l: LoweredLayer, ctx: LayerContext, taps: number, chans: number): Core {
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

// ------------------------------------------------------------------------------------------------- tables

export function tableStorage(l: LoweredLayer, ports: number): { res: Partial<Resources>; bits: number; in: LayerEstimate['storage']['in']; bram: boolean } {
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

// ------------------------------------------------------------------------------------------------- element-wise kernels

/** Elements computed in parallel per call: all (io_parallel) or one beat (io_stream). */
export function parallelElements(l: LoweredLayer, n: number): number {
  if (l.hls.io !== 'io_stream') return n;
  return Math.max(1, num(l.hls.params['in_pack'], n));
}

export function layerConstCodes(l: LoweredLayer, inputIndex: number): ArrayLike<number | bigint> | undefined {
  const t = l.inputs[inputIndex];
  return t?.data ? codesOf(t) : undefined;
}

/**
 * The core of an element-wise kernel under construction: `par` elements computed per call, the input and result
 * widths, and the running resources, delay steps, storage and multiplier summary its kernel adds to.
 */
export class ElementCore {
  readonly win: number;
  readonly wout: number;
  /** LUTs of one rounding / saturation to the result type. */
  readonly conv: number;
  res = zero();
  steps: Step[] = [];
  storage: LayerEstimate['storage'] = { bits: 0, in: 'none' };
  mult: MultiplierEstimate | undefined;
  readonly notes: string[] = [];

  constructor(readonly l: LoweredLayer, readonly ctx: LayerContext, readonly par: number) {
    this.win = w(l.hls.types['input']);
    this.wout = w(l.hls.types['result'], this.win);
    this.conv = this.wout * COEF.lutPerAddBit;
  }

  get part(): FpgaPart { return this.ctx.part; }

  lut(n: number): void { this.res = add(this.res, { lut: n }); }

  add(r: Partial<Resources>): void { this.res = add(this.res, r); }

  /** Products of every element by a constant code (per element `perElement(i)` of `codes`). */
  constScale(codes: ArrayLike<number | bigint> | undefined, perElement: (i: number) => number): void {
    if (!codes || codes.length === 0) return;
    const per = Array.from({ length: this.par }, (_, i) => Number(codes[perElement(i) % codes.length]));
    const cm = constMults(per, this.win, this.part);
    this.res = add(this.res, { dsp: cm.dsp, lut: cm.lut });
    this.mult = { multiplications: this.par, instances: cm.dspMults + cm.lutMults, widths: [this.win, w(this.l.hls.types['scale'])], impl: cm.dspMults ? 'dsp' : cm.lutMults ? 'lut' : 'none', dspEach: cm.dspMults ? cm.dsp / cm.dspMults : 0, lutEach: cm.lutMults ? Math.round(cm.lut / cm.lutMults) : 0 };
    this.steps.push(...(cm.dspMults ? [{ cycles: COEF.dspCycles }] : [{ ns: addDelay(this.win + 8, this.part) }]));
  }

  core(): Core {
    return { res: this.res, steps: this.steps, liveBits: this.par * this.wout, mult: this.mult, storage: this.storage, notes: this.notes };
  }
}

/** A product by a per-channel constant (ScaleShift, Rescale) and its conversion to the result type. */
export function scaleCost(c: ElementCore, codes: ArrayLike<number | bigint> | undefined): void {
  const nInner = Math.max(1, num(c.l.hls.params['n_inner'], 1));
  c.constScale(codes, (i) => Math.floor(i / nInner));
  const wacc = w(c.l.hls.types['accum'], c.win + 8);
  c.lut(c.par * (wacc + c.conv));
  c.steps.push({ ns: addDelay(wacc, c.part) }, { ns: addDelay(c.wout, c.part) });
}

/** What a kernel's `estimate` computes: its core and the schedule of one call. */
export interface LayerSchedule {
  core: Core;
  latency: number;
  ii: number;
  /** Copies of the core (Dense rows unrolled in io_parallel). */
  copies?: number;
  /** Resources beside the core (line buffers, window selection). */
  extra?: Resources;
  notes?: string[];
}

/**
 * The schedule of an element-wise kernel whose core `fill` builds: all elements at once in io_parallel, one beat per
 * cycle in io_stream (plus the write-out of a buffered tensor).
 */
export function elementSchedule(l: LoweredLayer, ctx: LayerContext, fill: (e: ElementCore) => void): LayerSchedule {
  const p = l.hls.params;
  const stream = l.hls.io === 'io_stream';
  const outPack = Math.max(1, num(p['out_pack'], 1));
  const n = num(p['n_in'], num(p['n_out'], sizeOf((p['out_shape'] as number[] | undefined) ?? [1])));
  const par = parallelElements(l, n);
  const e = new ElementCore(l, ctx, par);
  fill(e);
  const core = e.core();
  const depth = chainCycles(core.steps, ctx.period);
  if (!stream) return { core, latency: depth, ii: 1 };
  const beats = Math.ceil(n / par);
  const buffered = core.storage.in !== 'none' && core.storage.bits > 0;
  return { core, latency: beats + depth + (buffered ? Math.ceil(n / outPack) : 0), ii: buffered ? beats + Math.ceil(n / outPack) : beats };
}

/**
 * Data movement (reshape, flatten, concat, transpose, pad, resize): wiring in io_parallel; in io_stream the whole
 * tensor is buffered when `buffers` (or when the stream is repacked).
 */
export function movementCore(e: ElementCore, buffers: boolean): void {
  const h = e.l.hls;
  e.steps = [];
  if (h.io !== 'io_stream') return;
  const n = num(h.params['n_in'], sizeOf((h.params['out_shape'] as number[] | undefined) ?? [e.par]));
  if (buffers || num(h.params['repack']) === 1) {
    const m = memory(n, e.wout, 2);
    e.res = add(e.res, m.res);
    e.storage = { bits: n * e.wout, in: m.in };
    e.notes.push(`whole tensor buffered (${n} values)`);
  }
}

/** A layer's estimate from its kernel's schedule: pipeline registers added, numbers rounded. */
export function finishEstimate(l: LoweredLayer, ctx: LayerContext, s: LayerSchedule): LayerEstimate {
  const h = l.hls;
  const copies = s.copies ?? 1;
  let res = add(add(zero(), s.core.res, copies), s.extra ?? zero());
  // pipeline registers: live values at every boundary of the datapath
  const boundaries = Math.min(s.latency, chainCycles(s.core.steps, ctx.period));
  res = add(res, { ff: COEF.ffPerLiveBit * s.core.liveBits * boundaries * copies });
  return {
    name: h.layerName,
    node: l.node.name,
    op: l.node.op,
    kernel: h.kernel,
    index: h.index,
    strategy: h.strategy,
    io: h.io,
    reuseFactor: h.reuseFactor,
    ...(h.reuseFactorChosen ? { reuseFactorChosen: true as const } : {}),
    latencyCycles: Math.round(s.latency),
    latencyNs: Math.round(s.latency) * ctx.period,
    ii: Math.max(1, Math.round(s.ii)),
    resources: round(res),
    ...(s.core.mult ? { multipliers: s.core.mult } : {}),
    storage: s.core.storage,
    notes: [...s.core.notes, ...(s.notes ?? [])],
  };
}

/**
 * Convolution and pooling: the pixel loop pipelined at II = reuse factor; in io_stream a line buffer of the input
 * feeds the window, in io_parallel every window value is selected among the pixels the loop visits.
 */
export function windowSchedule(l: LoweredLayer, ctx: LayerContext, core: Core): LayerSchedule {
  const h = l.hls, p = h.params;
  const R = Math.max(1, h.reuseFactor);
  const inPack = Math.max(1, num(p['in_pack'], 1));
  const outH = num(p['out_height'], 1), outW = num(p['out_width'], 1);
  const pixels = outH * outW;
  const depth = chainCycles(core.steps, ctx.period);
  const inH = num(p['in_height'], 1), inW = num(p['in_width'], 1), nChan = num(p['n_chan'], 1);
  if (h.io === 'io_stream') {
    const readBeats = inH * inW * Math.ceil(nChan / inPack);
    const total = readBeats + outH * ((outW - 1) * R + depth + 1);
    // line buffer: n_chan banks (cyclic partition) of lb_rows x in_width values, read by the window's taps
    const lbRows = num(p['lb_rows'], num(p['filt_height'], 1)), lbW = num(p['lb_width'], inW);
    const taps = num(p['filt_height'], 1) * num(p['filt_width'], 1);
    const m = memory(lbRows * lbW, w(h.types['input']), Math.ceil(taps / R));
    return { core, latency: total, ii: total, extra: add(zero(), m.res, nChan), notes: [`line buffer ${lbRows} x ${lbW} x ${nChan} in ${m.in === 'bram' ? 'block RAM' : 'LUT RAM'}`] };
  }
  const win = num(p['n_mult_in'], 1);
  return { core, latency: (pixels - 1) * R + depth, ii: pixels * R, extra: { ...zero(), lut: win * w(h.types['input']) * Math.ceil((Math.min(pixels, 64) - 1) / 3) } };
}
