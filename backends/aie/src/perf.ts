/*
 * Analytic performance model of the AIE design. Kernel cycles come from the MAC count at the microtile's rate
 * (an aie::mmul issues once per cycle and does at most the device's MACs per cycle), loop and call overheads
 * calibrated on published kernel timings, and the data each kernel must receive or send per iteration (DMA
 * streams, cascade words): a kernel's buffers are double-buffered, so its interval is the largest of these terms.
 * The graph runs as a pipeline: throughput is set by the slowest stage (kernel, memory-tile DMA or PLIO), latency
 * by the longest path of transfer + compute + transfer through the layers.
 */
import type { Graph } from 'firmflow';
import { bankCapacities, gmioBytesPerCycle, operandPair, plioBytesPerCycle, streamBytesPerCycle, tilesOf, type AieDevice } from './devices.js';
import type { AieDataType, AieGraphMeta, AieGraphPerf, AieKernelPerf, AieLayer, AieTiling } from './lowered.js';

export const bytesOf = (t: AieDataType | 'int32' | 'float'): number => (t === 'int8' ? 1 : t === 'int16' || t === 'bf16' ? 2 : 4);
const accBits = (acc: string): number => (acc === 'acc64' ? 64 : 32);

/** What the model needs of a matrix product. */
export interface ProductShape {
  a: AieDataType;
  w: AieDataType;
  out: AieDataType;
  acc: 'acc32' | 'acc64' | 'accfloat';
  /** Dense keeps constant weights; MatMul receives its second operand every iteration. */
  runtimeB: boolean;
}

/** A Dense/MatMul layer as the tiling search sees it (kernels/product.ts productProblem). */
export interface ProductProblem extends ProductShape {
  name: string;
  kind: 'dense' | 'matmul';
  /** Rows per matrix (leading axes except MatMul's batch), K, N, and independent products per iteration. */
  M: number;
  K: number;
  N: number;
  batch: number;
  perChannel: boolean;
  hasBias: boolean;
  fusedRelu: boolean;
}

/**
 * Cycles of the slowest kernel of a tiled product for one iteration, with the term that bounds it. Kernels of one
 * layer differ only in their ragged last slices, so the full-size kernel (and the last chain position, which also
 * writes the output) is the slowest.
 */
export function productKernelPerf(d: AieDevice, p: ProductShape, t: AieTiling): AieKernelPerf {
  const [m, k, n] = t.microtile;
  const peak = d.macsPerCycle[operandPair(p.a, p.w)] ?? d.macsPerCycle.int8xint8!;
  const mb = Math.ceil(t.tileM / m), kb = Math.ceil(t.tileK / k), nb = Math.ceil(t.tileN / n);
  const perMmul = Math.max(1, (m * k * n) / peak);
  const chunks = t.weights === 'memtile' ? Math.ceil(t.tileN / t.chunkN) : 1;
  const mmuls = t.batch * mb * kb * nb;
  const compute = mmuls * perMmul + t.batch * Math.ceil(mb / 2) * chunks * d.overheads.loopCycles + d.overheads.kernelCallCycles;
  const sb = streamBytesPerCycle(d);
  const terms: Record<string, number> = { compute };
  terms['input'] = (t.batch * t.tileM * t.tileK * bytesOf(p.a)) / sb;
  if (p.runtimeB) terms['weights'] = (t.batch * t.tileK * t.tileN * bytesOf(p.w)) / sb;
  else if (t.weights === 'memtile') {
    // The kernel's store is single-buffered in its memory tile and re-sent from DDR every iteration: its GMIO
    // write and the chunked reads into the kernel follow each other (see docs/design/aie-backend.md).
    const wb = t.tileK * t.tileN * bytesOf(p.w);
    terms['gmio'] = wb / gmioBytesPerCycle(d).channel;
    terms['weights'] = terms['gmio'] + wb / sb + chunks * d.overheads.dmaSetupCycles;
  }
  terms['output'] = (t.batch * t.tileM * t.tileN * bytesOf(p.out)) / sb;
  if (t.casLength > 1) terms['cascade'] = t.batch * mb * nb * Math.ceil((m * n * accBits(p.acc)) / d.cascadeBits);
  const [bound, cycles] = Object.entries(terms).reduce((a, b) => (b[1] > a[1] ? b : a));
  const macs = t.batch * t.M * t.K * t.N;
  const kernels = t.casLength * t.casNum;
  return {
    cycles: Math.ceil(cycles),
    macs,
    efficiency: macs / (kernels * Math.ceil(cycles) * peak),
    bound: bound as AieKernelPerf['bound'],
    terms: Object.fromEntries(Object.entries(terms).map(([a, b]) => [a, Math.ceil(b)])),
    kernels,
  };
}

/**
 * Compute cycles of a row-parallel kernel that makes `passes` vector passes (load/compute/store slots per vector of
 * the device's width) over rows x width elements, plus `rowCycles` of scalar work per row and the call overhead.
 * Each kernel module states its own figures (kernels/*.ts perf.vectorCycles).
 */
export function vectorPassCycles(d: AieDevice, dtype: AieDataType, rows: number, width: number, passes: number, rowCycles = 0): number {
  const lanes = d.vectorBits / (8 * bytesOf(dtype));
  return Math.ceil((rows * width) / lanes) * passes + rows * rowCycles + d.overheads.kernelCallCycles;
}

/**
 * The figures of one row-parallel kernel handling `rows` rows of `width` elements in `compute` cycles: the interval
 * is the largest of compute, input and output streaming.
 */
export function rowKernelPerf(d: AieDevice, compute: number, dtype: AieDataType, outType: AieDataType, rows: number, width: number, inputs: number, kernels: number): AieKernelPerf {
  const elems = rows * width;
  const sb = streamBytesPerCycle(d);
  const terms: Record<string, number> = {
    compute,
    input: (elems * bytesOf(dtype) * inputs) / Math.min(inputs, d.tileDma.s2mm) / sb,
    output: (elems * bytesOf(outType)) / sb,
  };
  const [bound, cycles] = Object.entries(terms).reduce((a, b) => (b[1] > a[1] ? b : a));
  return {
    cycles: Math.ceil(cycles),
    macs: 0,
    efficiency: 0,
    bound: bound === 'compute' ? 'vector' : (bound as AieKernelPerf['bound']),
    terms: Object.fromEntries(Object.entries(terms).map(([a, b]) => [a, Math.ceil(b)])),
    kernels,
  };
}

/** Latency of one kernel invocation from its first input byte to its last output byte (no overlap). */
export function kernelLatency(d: AieDevice, perf: AieKernelPerf, cascadeHops: number): number {
  const t = perf.terms;
  // Memory-tile weights: the last chunk arrives after the store came from DDR and was read chunk by chunk (the
  // compute overlaps the reads).
  const work = t['gmio'] !== undefined ? Math.max(t['compute'] ?? 0, t['weights'] ?? 0) : (t['compute'] ?? 0);
  return (t['input'] ?? 0) + work + (t['output'] ?? 0) + cascadeHops * d.overheads.cascadeHopCycles;
}

/**
 * Graph-level summary from the annotations of all flows: throughput from the slowest stage (kernels, memory-tile
 * channels, PLIO), latency along the critical path, tiles, memory per tile and per memory tile.
 */
export function graphPerf(g: Graph, d: AieDevice, meta: AieGraphMeta): AieGraphPerf {
  const nodes = g.topoOrder();
  const layers: AieGraphPerf['layers'] = [];
  let interval = 0;
  let bottleneck = 'none';
  let macs = 0;
  let peakUsed = 0;
  const kernelTiles = new Set<string>();
  const memPerTile = new Map<string, number>();
  for (const n of nodes) {
    const l = n.meta['aie'] as AieLayer | undefined;
    if (!l || !l.perf) continue;
    layers.push({ node: n.name, kernel: l.kernel, kernels: l.perf.kernels, cycles: l.perf.cycles, bound: l.perf.bound, efficiency: l.perf.efficiency });
    if (l.perf.cycles > interval) { interval = l.perf.cycles; bottleneck = `layer '${n.name}' (${l.perf.bound})`; }
    macs += l.perf.macs;
    const pair = l.dtype.w ? operandPair(l.dtype.a, l.dtype.w) : undefined;
    for (const k of l.placement?.kernels ?? []) {
      kernelTiles.add(`${k.col},${k.row}`);
      if (pair) peakUsed += d.macsPerCycle[pair] ?? 0;
    }
    for (const b of l.buffers ?? []) {
      const key = `${b.tile[0]},${b.tile[1]}`;
      memPerTile.set(key, (memPerTile.get(key) ?? 0) + b.bytes);
    }
  }
  // Memory-tile channels: each reader/writer stream of a shared buffer moves its share once per iteration.
  const sb = streamBytesPerCycle(d);
  const memCols = new Map<number, number>();
  for (const s of meta.sharedBuffers) {
    s.columns.forEach((c, i) => memCols.set(c, (memCols.get(c) ?? 0) + s.bytesPerColumn[i] * s.copies));
    const streams = Math.max(1, s.readers.length);
    const perStream = s.kind === 'weights' ? 0 : s.bytes / streams / sb;
    if (perStream > interval) { interval = Math.ceil(perStream); bottleneck = `memory-tile buffer '${s.name}' DMA`; }
  }
  const pb = plioBytesPerCycle(d);
  for (const p of meta.plio) {
    const c = Math.ceil(p.bytes / pb);
    if (c > interval) { interval = c; bottleneck = `PLIO '${p.name}' (${p.widthBits}-bit at ${d.plio.plClockMHz} MHz)`; }
  }
  // Streamed weights: every GMIO input re-sends its store each iteration; together they share the DDR bandwidth.
  const gm = meta.gmio ?? [];
  let weightTraffic: AieGraphPerf['weightTraffic'];
  if (gm.length) {
    const bw = gmioBytesPerCycle(d);
    const bytes = gm.reduce((a, g) => a + g.bytes, 0);
    const ddrCycles = Math.ceil(bytes / bw.ddr);
    const channelCycles = Math.ceil(Math.max(...gm.map((g) => g.bytes)) / bw.channel);
    weightTraffic = { gmioInputs: gm.length, bytesPerIteration: bytes, ddrCycles, channelCycles, ddrGBps: d.gmio.ddrGBps };
    if (ddrCycles > interval) { interval = ddrCycles; bottleneck = `DDR weight traffic (${gm.length} GMIO inputs, ${bytes} bytes per iteration at ${d.gmio.ddrGBps} GB/s)`; }
  }
  interval = Math.max(1, interval);
  const lat = criticalPath(g, d, meta);
  const rows = meta.plio.filter((p) => p.direction === 'in').map((p) => p.rows).reduce((a, b) => Math.max(a, b), 1);
  const hz = d.clockMHz * 1e6;
  const memVals = [...memPerTile.values()];
  const mtVals = [...memCols.values()];
  return {
    intervalCycles: interval,
    bottleneck,
    throughput: { iterationsPerSecond: hz / interval, samplesPerSecond: (hz / interval) * rows },
    latency: { cycles: lat.cycles, ns: (lat.cycles / hz) * 1e9, path: lat.path },
    tilesUsed: kernelTiles.size,
    tilesAvailable: tilesOf(d),
    macsPerIteration: macs,
    efficiency: peakUsed > 0 ? macs / (interval * peakUsed) : 0,
    memoryPerTile: {
      max: memVals.length ? Math.max(...memVals) : 0,
      mean: memVals.length ? memVals.reduce((a, b) => a + b, 0) / memVals.length : 0,
      capacity: bankCapacities(d).reduce((a, b) => a + b, 0),
    },
    memoryPerMemTile: {
      max: mtVals.length ? Math.max(...mtVals) : 0,
      mean: mtVals.length ? mtVals.reduce((a, b) => a + b, 0) / mtVals.length : 0,
      capacity: d.memoryTile.bytes,
      used: mtVals.length,
    },
    layers,
    ...(weightTraffic ? { weightTraffic } : {}),
  };
}

/** Longest path: graph input PLIO -> memory tile -> kernels ... -> output PLIO, in cycles. */
function criticalPath(g: Graph, d: AieDevice, meta: AieGraphMeta): { cycles: number; path: string[] } {
  const sb = streamBytesPerCycle(d);
  const pb = plioBytesPerCycle(d);
  const ready = new Map<string, { t: number; path: string[] }>();
  for (const p of meta.plio) if (p.direction === 'in') ready.set(p.tensor, { t: Math.ceil(p.bytes / pb), path: [`plio:${p.name}`] });
  const bufOf = new Map(meta.sharedBuffers.filter((s) => s.kind !== 'weights').map((s) => [s.tensor, s]));
  for (const n of g.topoOrder()) {
    const l = n.meta['aie'] as AieLayer | undefined;
    if (!l) continue;
    let start = 0;
    let path: string[] = [];
    for (const i of l.inputs) {
      const r = ready.get(i);
      if (!r) continue;
      // A tensor re-blocked through a memory tile arrives after the DMA moved a kernel's share of it.
      const s = bufOf.get(i);
      const hop = s ? d.overheads.dmaSetupCycles : 0;
      if (r.t + hop > start) { start = r.t + hop; path = r.path; }
    }
    const chainHops = l.tiling ? l.tiling.casLength - 1 : 0;
    const own = l.perf ? kernelLatency(d, l.perf, chainHops) : 0;
    // (Every part of a Split view is ready when its input is.)
    for (const o of l.outputs) ready.set(o, { t: start + own, path: [...path, n.name] });
  }
  let best = { t: 0, path: [] as string[] };
  for (const p of meta.plio) {
    if (p.direction !== 'out') continue;
    const r = ready.get(p.tensor);
    const t = (r?.t ?? 0) + Math.ceil(p.bytes / pb);
    if (t >= best.t) best = { t, path: [...(r?.path ?? []), `plio:${p.name}`] };
  }
  void sb;
  return { cycles: Math.ceil(best.t), path: best.path };
}
