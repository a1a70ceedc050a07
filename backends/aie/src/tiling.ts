/*
 * Tiling search. A Dense/MatMul runs on a grid of kernels: `casLength` kernels along a cascade chain each take a
 * K slice and pass partial sums east; `casNum` chains split N (or, for MatMul, M). Row-parallel kernels (Add,
 * ReLU, Softmax, LayerNorm, Transpose) split their rows over `casNum` kernels. Every candidate must fit: each
 * buffer in one data-memory bank, all of a kernel's buffers packed into its banks (ping and pong in different
 * banks when possible), and its code in program memory.
 *
 * Objective (documented in docs/design/aie-backend.md):
 * - 'throughput' (default): the smallest iteration interval the tile budget allows (the slowest layer sets the
 *   graph's pace), and at that interval the fewest tiles for every layer;
 * - 'tiles': the fewest tiles such that every layer keeps up with `throughputTarget` samples per second.
 * Per-layer user settings (casLength, casNum, microtile, split) are validated and used as given.
 */
import { FirmflowError } from 'firmflow';
import { bankCapacities, operandPair, type AieDevice } from './devices.js';
import type { AieDataType, AieKernelKind, AieKernelPerf, AieLayerOptions, AieTiling } from './lowered.js';
import { bytesOf, productKernelPerf, rowKernelPerf, type ProductProblem } from './perf.js';
import { kernelOf, layoutOf } from './kernels/index.js';

export type { ProductProblem } from './perf.js';

export interface VectorProblem {
  name: string;
  kind: Exclude<AieKernelKind, 'dense' | 'matmul' | 'view'>;
  dtype: AieDataType;
  out: AieDataType;
  /** Independent rows, and elements per row (a whole matrix for Transpose). */
  rows: number;
  width: number;
  /** Runtime inputs (Add: 2); constant operand bytes (Add with a constant, LayerNorm's scale and bias). */
  inputs: number;
  constBytes: number;
}

export interface BufferSpec {
  name: string;
  bytes: number;
  /** Ping and pong halves share a pair key; they go to different banks when possible. */
  pair?: string;
}

export interface Candidate {
  tiling: AieTiling;
  tiles: number;
  perf: AieKernelPerf;
}

export interface SearchLimits {
  /** Most tiles one layer may take. */
  maxTiles: number;
  /** Kernels that may stream weights from memory tiles (memory-tile DMA channels). */
  maxStreamedKernels: number;
  /** Memory-tile bytes available for weights. */
  memTileBytes: number;
  /**
   * Streams one memory-tile buffer can serve (DMA channels of the adjacent memory tiles a buffer may span): bounds
   * the chains writing a layer's output and the distinct slices its consumers read.
   */
  maxStreamsPerBuffer: number;
}

const roundUp = (x: number, m: number): number => Math.ceil(x / m) * m;

/** Buffers of kernel (chain, pos) of a product; the last position also holds output, bias and shifts. */
export function productBuffers(p: ProductProblem, t: AieTiling, pos: number): BufferSpec[] {
  const last = pos === t.casLength - 1;
  const b: BufferSpec[] = [];
  const inBytes = t.batch * t.tileM * t.tileK * bytesOf(p.a);
  b.push({ name: 'in0_ping', bytes: inBytes, pair: 'in0' }, { name: 'in0_pong', bytes: inBytes, pair: 'in0' });
  if (p.runtimeB) {
    const bb = t.batch * t.tileK * t.tileN * bytesOf(p.w);
    b.push({ name: 'in1_ping', bytes: bb, pair: 'in1' }, { name: 'in1_pong', bytes: bb, pair: 'in1' });
  } else if (t.weights === 'tile') {
    b.push({ name: 'weights', bytes: t.tileK * t.tileN * bytesOf(p.w) });
  } else if (t.weights === 'memtile') {
    const cb = t.tileK * t.chunkN * bytesOf(p.w);
    b.push({ name: 'wchunk_ping', bytes: cb, pair: 'wchunk' }, { name: 'wchunk_pong', bytes: cb, pair: 'wchunk' });
  }
  if (last) {
    const ob = t.batch * t.tileM * t.tileN * bytesOf(p.out);
    b.push({ name: 'out_ping', bytes: ob, pair: 'out' }, { name: 'out_pong', bytes: ob, pair: 'out' });
    if (p.hasBias) b.push({ name: 'bias', bytes: t.tileN * (p.a === 'bf16' ? 4 : 4) });
    if (p.perChannel) b.push({ name: 'shift', bytes: roundUp(t.tileN, 4) });
  }
  return b.filter((x) => x.bytes > 0);
}

export function vectorBuffers(v: VectorProblem, t: AieTiling): BufferSpec[] {
  const b: BufferSpec[] = [];
  const inB = t.tileM * v.width * bytesOf(v.dtype);
  for (let i = 0; i < v.inputs; i++) b.push({ name: `in${i}_ping`, bytes: inB, pair: `in${i}` }, { name: `in${i}_pong`, bytes: inB, pair: `in${i}` });
  const ob = t.tileM * v.width * bytesOf(v.out);
  b.push({ name: 'out_ping', bytes: ob, pair: 'out' }, { name: 'out_pong', bytes: ob, pair: 'out' });
  if (v.constBytes > 0) b.push({ name: 'const', bytes: v.constBytes });
  // A table the kernel reads while it runs (Softmax's exponentials) gets a bank of its own.
  const lut = kernelOf(v.kind).perf.lutBytes?.(v.dtype);
  if (lut) b.push({ name: 'lut', bytes: lut });
  return b;
}

/**
 * Assigns buffers to banks, largest first, first fit; ping and pong of a pair in different banks when that
 * packs, else anywhere. Returns the bank of each buffer (input order), or undefined when they do not fit.
 */
export function packBanks(caps: number[], bufs: BufferSpec[]): number[] | undefined {
  const order = bufs.map((b, i) => i).sort((x, y) => bufs[y].bytes - bufs[x].bytes || x - y);
  for (const separate of [true, false]) {
    const free = [...caps];
    const bank = new Array<number>(bufs.length).fill(-1);
    let ok = true;
    for (const i of order) {
      const b = bufs[i];
      const avoid = separate && b.pair ? new Set(bufs.map((o, j) => (j !== i && o.pair === b.pair && bank[j] >= 0 ? bank[j] : -1))) : new Set<number>();
      let best = -1;
      for (let k = 0; k < free.length; k++) if (!avoid.has(k) && free[k] >= b.bytes) { best = k; break; }
      if (best < 0) { ok = false; break; }
      bank[i] = best;
      free[best] -= b.bytes;
    }
    if (ok) return bank;
  }
  return undefined;
}

/** Program memory estimate (bytes) of a kernel: loop nest, cascade and srs epilogue code, per-feature extras. */
export function programBytes(kind: AieKernelKind, t: AieTiling | undefined, opts: { perChannel?: boolean; fusedRelu?: boolean } = {}): number {
  let b = kernelOf(kind).perf.programBytes[kind] ?? 0;
  if (t && layoutOf(kind) === 'cascade') {
    if (t.casLength > 1) b += 768;
    if (t.weights === 'memtile') b += 1024;
    if (t.batch > 1) b += 256;
    if (opts.perChannel) b += 512;
    if (opts.fusedRelu) b += 128;
  }
  // Startup code, the kernel wrapper and the runtime support the ADF compiler links into every tile.
  return b + 1536;
}

function fits(d: AieDevice, bufs: BufferSpec[]): boolean {
  const caps = bankCapacities(d);
  const maxBank = Math.max(...caps);
  if (bufs.some((b) => b.bytes > maxBank)) return false;
  return packBanks(caps, bufs) !== undefined;
}

/** Why a given product tiling does not fit, for the message of a rejected user override. */
function explainMisfit(d: AieDevice, p: ProductProblem, t: AieTiling): string {
  const caps = bankCapacities(d);
  const bufs = productBuffers(p, t, t.casLength - 1);
  const big = bufs.find((b) => b.bytes > Math.max(...caps));
  if (big) return `buffer '${big.name}' needs ${big.bytes} bytes, more than a ${Math.max(...caps)}-byte bank`;
  const total = bufs.reduce((a, b) => a + b.bytes, 0);
  const pm = programBytes(p.kind, t, p);
  if (pm > d.programMemoryBytes) return `its code (about ${pm} bytes) exceeds the ${d.programMemoryBytes}-byte program memory`;
  return `its buffers (${bufs.map((b) => `${b.name} ${b.bytes}`).join(', ')}; ${total} bytes) do not pack into ${caps.length} banks of ${caps.join('/')} bytes`;
}

function makeTiling(p: ProductProblem, mt: [number, number, number], cl: number, cn: number, split: 'N' | 'M', user: boolean): AieTiling {
  const [m, k, n] = mt;
  const tileK = roundUp(Math.ceil(p.K / cl), k);
  let tileN: number, tileM: number;
  if (split === 'N') {
    tileN = roundUp(Math.ceil(p.N / cn), n);
    tileM = roundUp(p.M, m);
  } else {
    tileN = roundUp(p.N, n);
    tileM = roundUp(Math.ceil(p.M / cn), m);
  }
  return { M: p.M, K: p.K, N: p.N, casLength: cl, casNum: cn, microtile: mt, tileK, tileN, tileM, batch: p.batch, split, weights: p.runtimeB ? 'none' : 'tile', chunkN: tileN, userOverride: user };
}

/** Splits of `total` into `parts` slices of a multiple of `q` that really use `parts` kernels. */
function distinctSplits(total: number, q: number, maxParts: number): number[] {
  const out: number[] = [];
  const lim = Math.min(maxParts, Math.ceil(total / q));
  for (let c = 1; c <= lim; c++) {
    const tile = roundUp(Math.ceil(total / c), q);
    if (Math.ceil(total / tile) === c) out.push(c);
  }
  return out;
}

/**
 * The tiling with its weights streamed from a memory tile: each kernel's tileK x tileN slice is one store (in one
 * memory tile), sent to the kernel in chunks of tileK x chunkN (double-buffered in its banks). chunkN is the
 * largest whole number of microtile columns that divides tileN and whose buffers pack; undefined when none does.
 */
function withMemtileWeights(d: AieDevice, p: ProductProblem, t: AieTiling): AieTiling | undefined {
  if (t.tileK * t.tileN * bytesOf(p.w) > d.memoryTile.bytes) return undefined;
  const n = t.microtile[2];
  const blocks = t.tileN / n;
  const cap = Math.max(...bankCapacities(d));
  for (let c = blocks; c >= 1; c--) {
    if (blocks % c !== 0 || t.tileK * c * n * bytesOf(p.w) > cap) continue;
    const s: AieTiling = { ...t, weights: 'memtile', chunkN: c * n };
    if (programBytes(p.kind, s, p) <= d.programMemoryBytes && fits(d, productBuffers(p, s, t.casLength - 1))) return s;
  }
  return undefined;
}

/**
 * How many weight stores of a streamed tiling the memory tiles hold (conservatively): each tile takes whole stores
 * (a store lives in one memory tile and needs one S2MM and one MM2S channel of it); the tiles whose channels serve
 * the layer's output writers (one per chain) and input readers (one per cascade position), and those its large
 * activation buffers fill, take none.
 */
function storeSlots(d: AieDevice, p: ProductProblem, t: AieTiling): number {
  const mt = d.memoryTile;
  const store = t.tileK * t.tileN * bytesOf(p.w);
  const per = Math.min(Math.floor(mt.bytes / store), mt.dma.s2mm, mt.dma.mm2s);
  const acts = [2 * p.M * p.K * bytesOf(p.a), 2 * p.M * p.N * bytesOf(p.out)];
  const lost = Math.ceil(t.casNum / mt.dma.s2mm) + Math.ceil(t.casLength / mt.dma.mm2s) + acts.reduce((a, b) => a + Math.floor(b / mt.bytes), 0);
  return Math.max(0, (d.grid.columns * mt.rows - lost) * per);
}

/**
 * All tilings of a product that fit the device (or only the user's, validated). Weights stay in the compute
 * tiles whenever some tiling within `limits.maxTiles` holds them; otherwise they stream from memory tiles.
 */
export function productCandidates(d: AieDevice, p: ProductProblem, limits: SearchLimits, user: AieLayerOptions = {}, streamWeights = false): Candidate[] {
  const pair = operandPair(p.a, p.w);
  const allMts = d.microtiles[pair] ?? [];
  if (!allMts.length) throw new FirmflowError('aie.tiling', `layer '${p.name}': ${p.a} x ${p.w} products have no microtile on ${d.name}`);
  const fixed = user.casLength !== undefined || user.casNum !== undefined || user.microtile !== undefined || user.split !== undefined;
  if (user.weights !== undefined && p.runtimeB) throw new FirmflowError('aie.tiling', `layer '${p.name}': option 'weights' applies to a Dense (constant weights); this MatMul receives its second operand at run time`);
  const forceStream = user.weights === 'memtile';
  const keepInTiles = user.weights === 'tile';
  let mts = allMts;
  if (user.microtile) {
    const u = user.microtile;
    if (!allMts.some((s) => s[0] === u[0] && s[1] === u[1] && s[2] === u[2])) {
      throw new FirmflowError('aie.tiling', `layer '${p.name}': microtile ${u.join('x')} is not an aie::mmul shape for ${p.a} x ${p.w} on ${d.name} (supported: ${allMts.map((s) => s.join('x')).join(', ')})`);
    }
    mts = [u];
  }
  const splits: ('N' | 'M')[] = user.split ? [user.split] : p.kind === 'matmul' ? ['N', 'M'] : ['N'];
  if (user.split === 'M' && p.kind === 'dense') throw new FirmflowError('aie.tiling', `layer '${p.name}': split 'M' is for MatMul; a Dense splits its weights along N`);
  if (user.casLength !== undefined && user.casLength > d.grid.columns) {
    throw new FirmflowError('aie.tiling', `layer '${p.name}': casLength ${user.casLength} exceeds the ${d.grid.columns} columns of ${d.name} (a cascade chain runs along one row)`);
  }
  const out: Candidate[] = [];
  const streamed: AieTiling[] = [];
  const maxBank = Math.max(...bankCapacities(d));
  for (const mt of mts) {
    const [m, k, n] = mt;
    const cls = user.casLength !== undefined ? [user.casLength] : distinctSplits(p.K, k, Math.min(d.grid.columns, limits.maxTiles));
    for (const cl of cls) {
      if (user.casLength !== undefined && roundUp(Math.ceil(p.K / cl), k) * (cl - 1) >= p.K) {
        throw new FirmflowError('aie.tiling', `layer '${p.name}': casLength ${cl} leaves a kernel without K rows (K = ${p.K}, microtile k = ${k})`);
      }
      for (const split of splits) {
        const along = split === 'N' ? p.N : p.M;
        const q = split === 'N' ? n : m;
        const cns = user.casNum !== undefined ? [user.casNum] : distinctSplits(along, q, Math.floor(limits.maxTiles / cl));
        for (const cn of cns) {
          if (user.casNum !== undefined && roundUp(Math.ceil(along / cn), q) * (cn - 1) >= along) {
            throw new FirmflowError('aie.tiling', `layer '${p.name}': casNum ${cn} leaves a chain without ${split} columns (${split} = ${along}, microtile ${split === 'N' ? 'n' : 'm'} = ${q})`);
          }
          const readers = p.runtimeB ? cl * cn : split === 'M' ? cl * cn : cl;
          if (!fixed && (cn > limits.maxStreamsPerBuffer || readers > limits.maxStreamsPerBuffer)) continue;
          const t = makeTiling(p, mt, cl, cn, split, fixed);
          // Cheap reject before packing: the input slice alone must fit a bank.
          if (t.batch * t.tileM * t.tileK * bytesOf(p.a) > maxBank) continue;
          if (programBytes(p.kind, t, p) > d.programMemoryBytes) continue;
          const inTiles = !forceStream && fits(d, productBuffers(p, t, cl - 1));
          if (inTiles) {
            out.push({ tiling: t, tiles: cl * cn, perf: productKernelPerf(d, p, t) });
          } else if (!p.runtimeB && !keepInTiles && cl * cn <= limits.maxStreamedKernels) {
            const s = withMemtileWeights(d, p, t);
            if (s && cl * cn <= storeSlots(d, p, s)) streamed.push(s);
          }
        }
      }
    }
  }
  if ((out.length === 0 || streamWeights) && streamed.length > 0) {
    const wBytes = p.K * p.N * bytesOf(p.w);
    if (wBytes > limits.memTileBytes) {
      throw new FirmflowError('aie.tiling', `layer '${p.name}': its ${wBytes} bytes of weights fit neither the compute tiles nor the ${limits.memTileBytes} bytes of memory tiles of ${d.name}`);
    }
    if (streamWeights) out.length = 0;
    for (const s of streamed) out.push({ tiling: s, tiles: s.casLength * s.casNum, perf: productKernelPerf(d, p, s) });
  }
  if (out.length === 0 && keepInTiles) {
    const wBytes = p.K * p.N * bytesOf(p.w);
    throw new FirmflowError('aie.tiling', `layer '${p.name}': weights 'tile' was requested but its ${p.K}x${p.N} weights (${wBytes} bytes) fit no tiling within ${limits.maxTiles} tiles (${bankCapacities(d).join('/')}-byte banks per tile${fixed ? `; with the requested casLength ${user.casLength ?? 'any'}, casNum ${user.casNum ?? 'any'}` : ''}); use weights 'memtile' or more tiles`);
  }
  if (out.length === 0 && forceStream) {
    throw new FirmflowError('aie.tiling', `layer '${p.name}': weights 'memtile' was requested but no tiling${fixed ? ' with the requested settings' : ''} streams its ${p.K}x${p.N} weights: a kernel's slice must fit one ${d.memoryTile.bytes}-byte memory tile, a chunk of whole microtile columns its banks, and at most ${limits.maxStreamedKernels} kernels may stream`);
  }
  if (out.length === 0) {
    if (fixed) {
      const t = makeTiling(p, mts[0], user.casLength ?? 1, user.casNum ?? 1, splits[0], true);
      throw new FirmflowError('aie.tiling', `layer '${p.name}': the requested tiling (casLength ${t.casLength}, casNum ${t.casNum}, microtile ${t.microtile.join('x')}) does not fit: ${explainMisfit(d, p, t)}`);
    }
    throw new FirmflowError('aie.tiling', `layer '${p.name}' (${p.M}x${p.K} @ ${p.K}x${p.N}, batch ${p.batch}) has no tiling that fits ${d.name} within ${limits.maxTiles} tiles: an input slice of ${p.M} rows does not fit a ${maxBank}-byte bank (reduce the rows per iteration: aie.batch for a symbolic batch axis, inputShapes for a literal one)`);
  }
  return out;
}

/** The figures of one row-parallel kernel of `kind` on `rows` rows of `width` (its compute model: kernels/<kind>.ts). */
export function vectorKernelPerf(d: AieDevice, kind: AieKernelKind, dtype: AieDataType, outType: AieDataType, rows: number, width: number, inputs: number, kernels: number): AieKernelPerf {
  const cycles = kernelOf(kind).perf.vectorCycles;
  if (!cycles) throw new Error(`AIE kernel '${kind}' has no row-parallel performance model`);
  return rowKernelPerf(d, cycles(d, dtype, rows, width), dtype, outType, rows, width, inputs, kernels);
}

/** Row splits of a row-parallel kernel. */
export function vectorCandidates(d: AieDevice, v: VectorProblem, limits: SearchLimits, user: AieLayerOptions = {}): Candidate[] {
  if (user.casLength !== undefined && user.casLength !== 1) throw new FirmflowError('aie.tiling', `layer '${v.name}': casLength applies to Dense/MatMul; a ${v.kind} kernel has no cascade`);
  if (user.microtile) throw new FirmflowError('aie.tiling', `layer '${v.name}': microtile applies to Dense/MatMul`);
  const lanes = d.vectorBits / (8 * bytesOf(v.dtype));
  const cns = user.casNum !== undefined ? [user.casNum] : distinctSplits(v.rows, 1, Math.min(limits.maxTiles, limits.maxStreamsPerBuffer));
  const out: Candidate[] = [];
  for (const cn of cns) {
    if (cn > v.rows) throw new FirmflowError('aie.tiling', `layer '${v.name}': casNum ${cn} exceeds its ${v.rows} rows`);
    const tileM = Math.ceil(v.rows / cn);
    const t: AieTiling = { M: v.rows, K: v.width, N: v.width, casLength: 1, casNum: cn, microtile: [1, lanes, 1], tileK: v.width, tileN: v.width, tileM, batch: 1, split: 'M', weights: 'none', chunkN: v.width, userOverride: user.casNum !== undefined };
    if (!fits(d, vectorBuffers(v, t))) continue;
    out.push({ tiling: t, tiles: cn, perf: vectorKernelPerf(d, v.kind, v.dtype, v.out, tileM, v.width, v.inputs, cn) });
  }
  if (!out.length) {
    const rowBytes = v.width * bytesOf(v.dtype);
    throw new FirmflowError('aie.tiling', `layer '${v.name}' (${v.kind}): ${user.casNum !== undefined ? `casNum ${user.casNum} leaves buffers too large` : `one row of ${v.width} elements (${rowBytes} bytes, double-buffered in and out) does not fit the ${Math.max(...bankCapacities(d))}-byte banks`}`);
  }
  return out;
}

/** Candidates that are better in tiles or cycles than every other, fewest tiles first (deterministic). */
export function paretoFront(cands: Candidate[]): Candidate[] {
  const sorted = [...cands].sort((a, b) => a.tiles - b.tiles || a.perf.cycles - b.perf.cycles);
  const front: Candidate[] = [];
  for (const c of sorted) if (!front.length || c.perf.cycles < front[front.length - 1].perf.cycles) front.push(c);
  return front;
}

export interface LayerFront {
  name: string;
  front: Candidate[];
}

/** Fewest-tile candidate of a front that runs within `cycles`, or undefined. */
function cheapestWithin(front: Candidate[], cycles: number): Candidate | undefined {
  // The front's cycles fall as tiles rise: binary search for the first entry within the bound.
  let lo = 0, hi = front.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (front[mid].perf.cycles <= cycles) hi = mid; else lo = mid + 1;
  }
  return lo < front.length ? front[lo] : undefined;
}

export interface Selection {
  chosen: Map<string, Candidate>;
  intervalCycles: number;
  tiles: number;
}

/**
 * Chooses one candidate per layer. 'throughput': smallest interval whose cheapest configurations fit the budget
 * (not below `floorCycles`, the pace the graph's I/O allows anyway). 'tiles': every layer within `targetCycles`.
 */
export function selectTilings(layers: LayerFront[], budget: number, deviceName: string, objective: 'throughput' | 'tiles', floorCycles: number, targetCycles?: number): Selection {
  const minTiles = layers.reduce((a, l) => a + l.front[0].tiles, 0);
  if (minTiles > budget) {
    const parts = [...layers].sort((a, b) => b.front[0].tiles - a.front[0].tiles).slice(0, 6).map((l) => `'${l.name}' ${l.front[0].tiles}`);
    throw new FirmflowError('aie.capacity', `the model needs at least ${minTiles} tiles but ${deviceName} has ${budget} available (largest layers: ${parts.join(', ')}${layers.length > 6 ? ', ...' : ''})`, { needed: minTiles, available: budget });
  }
  let T: number;
  if (objective === 'tiles') {
    T = targetCycles!;
    const slow = layers.filter((l) => l.front[l.front.length - 1].perf.cycles > T);
    if (slow.length) {
      const l = slow[0];
      throw new FirmflowError('aie.throughput', `layer '${l.name}' cannot reach the throughput target: its fastest configuration takes ${l.front[l.front.length - 1].perf.cycles} cycles per iteration, the target allows ${T}${slow.length > 1 ? ` (and ${slow.length - 1} more layer(s))` : ''}`);
    }
  } else {
    const lower = Math.max(floorCycles, ...layers.map((l) => l.front[l.front.length - 1].perf.cycles));
    const values = [...new Set([lower, ...layers.flatMap((l) => l.front.map((c) => c.perf.cycles)).filter((c) => c >= lower)])].sort((a, b) => a - b);
    const need = (t: number): number => layers.reduce((a, l) => a + cheapestWithin(l.front, t)!.tiles, 0);
    let lo = 0, hi = values.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (need(values[mid]) <= budget) hi = mid; else lo = mid + 1;
    }
    T = values[lo];
  }
  const chosen = new Map<string, Candidate>();
  let tiles = 0;
  for (const l of layers) {
    const c = cheapestWithin(l.front, Math.max(T, floorCycles))!;
    chosen.set(l.name, c);
    tiles += c.tiles;
  }
  if (tiles > budget) {
    throw new FirmflowError('aie.capacity', `reaching the throughput target needs ${tiles} tiles but ${deviceName} has ${budget} available`, { needed: tiles, available: budget });
  }
  return { chosen, intervalCycles: Math.max(...[...chosen.values()].map((c) => c.perf.cycles), floorCycles), tiles };
}
