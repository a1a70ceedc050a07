import type { Flow, Pass, PluginAPI } from 'firmflow';
import type { AieGraphPerf } from '../lowered.js';
import { aieCheck, aieFuse, aieQuantize } from './legalize.js';
import { aieMemory, aiePerf } from './memory.js';
import { aiePlace } from './place.js';
import { aieTile } from './tile.js';

export const LEGALIZE_FLOW = 'aie:legalize';
export const TILE_FLOW = 'aie:tile';
export const PLACE_FLOW = 'aie:place';
export const MEMORY_FLOW = 'aie:memory';

/** The AIE lowering flows, in order; each runs its passes once. */
export const AIE_FLOWS: { flow: Flow; passes: Pass[] }[] = [
  {
    flow: { name: LEGALIZE_FLOW, passes: [], requires: ['optimize'], fixedPoint: false, description: 'AIE support check (all refusals at once), bias folding and ReLU fusion, integer types and shifts' },
    passes: [aieCheck, aieFuse, aieQuantize],
  },
  {
    flow: { name: TILE_FLOW, passes: [], requires: [LEGALIZE_FLOW], fixedPoint: false, description: 'cascade-grid tiling search for Dense/MatMul, row splits of the other kernels' },
    passes: [aieTile],
  },
  {
    flow: { name: PLACE_FLOW, passes: [], requires: [TILE_FLOW], fixedPoint: false, description: 'placement on the tile grid and buffers in data-memory banks' },
    passes: [aiePlace],
  },
  {
    flow: { name: MEMORY_FLOW, passes: [], requires: [PLACE_FLOW], fixedPoint: false, description: 'memory-tile buffers, DMA access patterns, PLIO; analytic performance model' },
    passes: [aieMemory, aiePerf],
  },
];

/** Flows the AIE backend runs (its `flows`); requirements pull in the earlier ones and `optimize`. */
export const AIE_BACKEND_FLOWS = [MEMORY_FLOW];

/** Registers the four flows and their passes (called by the plugin's register). */
export function registerAiePasses(api: Pick<PluginAPI, 'registerFlow' | 'registerPass'>): void {
  for (const { flow, passes } of AIE_FLOWS) {
    api.registerFlow(flow);
    for (const p of passes) api.registerPass(p, { flow: flow.name });
  }
}

const fmt = (x: number, digits = 3): string => (x >= 1e9 ? `${(x / 1e9).toPrecision(digits)} G` : x >= 1e6 ? `${(x / 1e6).toPrecision(digits)} M` : x >= 1e3 ? `${(x / 1e3).toPrecision(digits)} k` : x.toPrecision(digits) + ' ');

/** The performance summary as text lines (for `firmflow report`). */
export function formatPerformance(p: AieGraphPerf): string[] {
  const lines = [
    `throughput: ${fmt(p.throughput.samplesPerSecond)}samples/s (${fmt(p.throughput.iterationsPerSecond)}iterations/s, one every ${p.intervalCycles} cycles; bottleneck ${p.bottleneck})`,
    `latency: ${p.latency.cycles} cycles = ${p.latency.ns.toFixed(1)} ns (critical path ${p.latency.path.join(' -> ')})`,
    `tiles: ${p.tilesUsed} of ${p.tilesAvailable}; MACs per iteration ${p.macsPerIteration}; MAC efficiency ${(100 * p.efficiency).toFixed(1)}%`,
    `tile memory: max ${p.memoryPerTile.max} B, mean ${Math.round(p.memoryPerTile.mean)} B of ${p.memoryPerTile.capacity} B`,
    `memory tiles: ${p.memoryPerMemTile.used} used, max ${p.memoryPerMemTile.max} B, mean ${Math.round(p.memoryPerMemTile.mean)} B of ${p.memoryPerMemTile.capacity} B`,
  ];
  const w = p.weightTraffic;
  if (w) lines.push(`streamed weights: ${w.gmioInputs} GMIO input(s) re-send ${w.bytesPerIteration} B from DDR every iteration: ${w.ddrCycles} cycles of the shared ${w.ddrGBps} GB/s, ${w.channelCycles} cycles on the busiest GMIO channel`);
  for (const l of p.layers) lines.push(`  ${l.node} (${l.kernel}): ${l.kernels} kernel(s), ${l.cycles} cycles, ${l.bound}-bound${l.efficiency ? `, efficiency ${(100 * l.efficiency).toFixed(1)}%` : ''}`);
  return lines;
}

export { aieCheck, aieFuse, aieQuantize, aieTile, aiePlace, aieMemory, aiePerf };
export { performanceOf } from './memory.js';
export { AIE_OPTIONS, parseAieOptions, resolveAieMode } from './options.js';
