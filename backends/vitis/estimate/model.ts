/*
 * The primitives of the FPGA estimate: what one multiplier, adder, memory or pipeline stage costs. Every number
 * here is a model coefficient documented (with its calibration) in docs/fpga-estimates.md; change both together
 * and bump MODEL_VERSION.
 */
import type { FpgaPart, Resources } from './types.js';

export const MODEL_VERSION = 'firmflow-fpga-1';

export const COEF = {
  /** Clock uncertainty the HLS scheduler reserves (Vitis/Vivado HLS default: 12.5% of the period). */
  uncertainty: 0.125,
  /** Carry-chain adder / comparator of w bits: base + perBit * w (ns, UltraScale+ -2 speed grade). */
  addBase: 0.45,
  addPerBit: 0.02,
  /** A 2:1 multiplexer level (ns). */
  mux: 0.35,
  /** DSP multiply: registered inside the slice (cycles). */
  dspCycles: 1,
  /** Block RAM / ROM read: registered (cycles). */
  bramCycles: 1,
  /** 7-series fabric is slower: delays are scaled by this factor on DSP48E1 parts. */
  slowFabric: 1.3,
  /**
   * A multiplication by a constant (reuse factor 1: every multiplier always sees the same weight) is done with
   * shifts and adds in LUTs when the constant's canonical-signed-digit form has at most this many non-zero digits;
   * otherwise it takes a DSP. Zero weights cost nothing, powers of two only wiring.
   */
  constLutMaxDigits: 3,
  /** A multiplier whose narrower operand has at most this many bits goes to LUTs (both operands variable). */
  lutMultMaxWidth: 10,
  /** LUTs of a variable w1 x w2 LUT multiplier: factor * w1 * w2. */
  lutMultPerBit2: 0.5,
  /** LUTs per bit of an adder, comparator or rounding/saturation stage (one LUT6 + carry per bit). */
  lutPerAddBit: 1,
  /** Memories smaller than this many bits are LUT ROM/RAM (64 x 1 per LUT6) instead of block RAM. */
  lutRamMaxBits: 4096,
  /** FIFOs up to this depth are shift registers (SRL32: one LUT per bit per 32 entries). */
  srlMaxDepth: 64,
  /** Flip-flops per live bit at each pipeline boundary. */
  ffPerLiveBit: 1.3,
  /** Top function in io_parallel: input and output registers add one cycle. */
  topCycles: 1,
} as const;

export const zero = (): Resources => ({ dsp: 0, lut: 0, ff: 0, bram18k: 0, uram: 0 });

export function add(a: Resources, b: Partial<Resources>, times = 1): Resources {
  return {
    dsp: a.dsp + (b.dsp ?? 0) * times,
    lut: a.lut + (b.lut ?? 0) * times,
    ff: a.ff + (b.ff ?? 0) * times,
    bram18k: a.bram18k + (b.bram18k ?? 0) * times,
    uram: a.uram + (b.uram ?? 0) * times,
  };
}

export function round(r: Resources): Resources {
  return { dsp: Math.ceil(r.dsp), lut: Math.ceil(r.lut), ff: Math.ceil(r.ff), bram18k: Math.ceil(r.bram18k), uram: Math.ceil(r.uram) };
}

/** Multiplier operand limits of the part's DSP slice (signed): 27x18 (DSP48E2) or 25x18 (DSP48E1). */
export function dspShape(part: FpgaPart): [number, number] {
  return part.dspType === 'DSP48E1' ? [25, 18] : [27, 18];
}

/**
 * DSP slices of one signed wa x wb multiplier: 1 when it fits the slice, else the operands are split into
 * unsigned chunks of x (B-1) bits whose partial products are added (the orientation with fewer slices).
 */
export function dspsPerMultiplier(wa: number, wb: number, part: FpgaPart): number {
  const [A, B] = dspShape(part);
  const fits = (x: number, y: number) => x <= A && y <= B;
  if (fits(wa, wb) || fits(wb, wa)) return 1;
  const split = (x: number, y: number) => Math.ceil((x - 1) / (A - 1)) * Math.ceil((y - 1) / (B - 1));
  return Math.min(split(wa, wb), split(wb, wa));
}

/** Non-zero digits of the canonical signed-digit form of an integer (the adders of a shift-add multiplier + 1). */
export function csdDigits(code: number): number {
  let n = Math.abs(Math.trunc(code));
  let digits = 0;
  while (n > 0) {
    if (n % 2 === 1) {
      digits++;
      // a run of ones ...0111 becomes 100(-1): take -1 when the next bit is also 1
      n = n % 4 === 3 ? n + 1 : n - 1;
    }
    n = Math.floor(n / 2);
  }
  return digits;
}

/** Bits of the signed integer `code` without its trailing zeros (what a multiplier by it really needs). */
export function significantBits(code: number): number {
  let n = Math.abs(Math.trunc(code));
  if (n === 0) return 0;
  while (n % 2 === 0) n /= 2;
  return Math.floor(Math.log2(n)) + 2;
}

/** Delay in ns of a w-bit adder/comparator on the part. */
export function addDelay(w: number, part: FpgaPart): number {
  return (COEF.addBase + COEF.addPerBit * w) * (part.dspType === 'DSP48E1' ? COEF.slowFabric : 1);
}

/** A step of a layer's datapath for the scheduler: combinational delay (ns) or a registered element (cycles). */
export type Step = { ns: number } | { cycles: number };

/**
 * Cycles of a chain of steps as the HLS scheduler chains operations: combinational steps share a cycle while
 * their summed delay fits the usable period (period minus uncertainty); a registered step (DSP, block RAM) ends
 * the cycle. Returns the number of register boundaries crossed (the function's latency).
 */
export function chainCycles(steps: Step[], period: number): number {
  const usable = period * (1 - COEF.uncertainty);
  let cycles = 0;
  let t = 0;
  for (const s of steps) {
    if ('cycles' in s) {
      cycles += s.cycles;
      t = 0;
      continue;
    }
    if (s.ns <= 0) continue;
    if (t + s.ns <= usable) {
      t += s.ns;
    } else {
      // does not fit what is left of this cycle: starts the next one (and may span several)
      const span = Math.ceil(s.ns / usable);
      cycles += span;
      t = s.ns - (span - 1) * usable;
    }
  }
  return cycles;
}

/** Usable words of an 18 Kb block RAM for a given depth: 512x36, 1Kx18, 2Kx9, 4Kx4, 8Kx2, 16Kx1. */
function bramWidthFor(depth: number): number {
  if (depth <= 512) return 36;
  if (depth <= 1024) return 18;
  if (depth <= 2048) return 9;
  if (depth <= 4096) return 4;
  if (depth <= 8192) return 2;
  return 1;
}

/**
 * A memory of `depth` words of `width` bits (ROM or RAM), read through `ports` ports per cycle (block RAMs have
 * two: more readers replicate it). Small memories are LUT ROM/RAM.
 */
export function memory(depth: number, width: number, ports = 1): { res: Partial<Resources>; in: 'lut' | 'bram' | 'registers' } {
  if (depth <= 0 || width <= 0) return { res: {}, in: 'registers' };
  const bits = depth * width;
  if (bits < COEF.lutRamMaxBits) {
    // LUT6 as 64 x 1 ROM; every reader gets its own copy (LUT ROM has one read port)
    return { res: { lut: Math.ceil(depth / 64) * width * Math.max(1, ports) }, in: 'lut' };
  }
  const perCopy = Math.ceil(width / bramWidthFor(depth)) * Math.max(1, Math.ceil(depth / 16384));
  const copies = Math.ceil(Math.max(1, ports) / 2);
  return { res: { bram18k: perCopy * copies }, in: 'bram' };
}

/** A FIFO of `depth` words of `width` bits between two io_stream layers. */
export function fifo(depth: number, width: number): Partial<Resources> {
  if (depth <= COEF.srlMaxDepth) {
    // SRL32 shift registers, plus the output register and a little control
    return { lut: width * Math.ceil(depth / 32) + 8, ff: width + 4 };
  }
  return { ...memory(depth, width, 2).res, lut: 20, ff: 30 };
}
