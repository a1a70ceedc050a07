/*
 * `firmflow report <dir>` and `project.report()`: the analytic performance model of the planned graph (throughput
 * from the bottleneck stage, latency along the critical path, tiles and memory used), read from graph.meta.aie.
 */
import { FirmflowError, type Graph } from 'firmflow';
import type { AieGraphMeta, AieGraphPerf } from './lowered.js';
import { formatPerformance, performanceOf } from './passes/index.js';

export interface AieReport {
  project: string;
  device: string;
  mode: string;
  /** Why that mode: the aie.mode option as given, or what 'auto' saw in the model. */
  modeReason?: string;
  rowsPerIteration: number;
  perf: AieGraphPerf;
  /** Milliseconds of the planning steps (tiling, placement, memory plan). */
  planningMs?: Record<string, number>;
  /** The report as printable text. */
  text: string;
}

/** The report of a graph converted for AIE (its plan and performance model). */
export function reportOf(graph: Graph, project = graph.name): AieReport {
  const meta = graph.meta['aie'] as AieGraphMeta | undefined;
  if (!meta) throw new FirmflowError('aie.report', `graph '${graph.name}' has no AIE plan; convert it for backend AIE first`);
  const perf = meta.perf ?? performanceOf(graph);
  return reportFromPlan(project, meta, perf);
}

export function reportFromPlan(project: string, meta: AieGraphMeta, perf: AieGraphPerf): AieReport {
  const head = [
    `${project}: AIE graph on ${meta.device}${meta.deviceFile ? ` (${meta.deviceFile})` : ''}, ${meta.mode === 'bf16' ? 'bf16' : 'integer'} mode${meta.modeChoice ? ` (${meta.modeChoice.reason})` : ''}, ${meta.batch} row${meta.batch === 1 ? '' : 's'} per iteration`,
  ];
  if (meta.planningMs) head.push(`planning: ${Object.entries(meta.planningMs).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
  const text = `${[...head, ...formatPerformance(perf)].join('\n')}\n`;
  return { project, device: meta.device, mode: meta.mode, ...(meta.modeChoice ? { modeReason: meta.modeChoice.reason } : {}), rowsPerIteration: meta.batch, perf, ...(meta.planningMs ? { planningMs: meta.planningMs } : {}), text };
}

/**
 * The performance model in the shape of firmflow's estimate contract (the field names `firmflow bench` reads:
 * part, clockPeriod, layers[].latencyCycles/ii/resources, total.latencyCycles/latencyNs/ii/throughput/resources/
 * fits, assumptions), with AIE resources as named counts: kernel tiles, memory tiles, and the largest data memory
 * used on one tile and one memory tile (bytes). `total.available` holds the device's capacity of each.
 */
export interface AieEstimate {
  schema: 'firmflow.aie-estimate';
  version: 1;
  model: string;
  backend: 'AIE';
  projectName: string;
  part: string;
  partNumber: null;
  clockPeriod: number;
  clockMHz: number;
  layers: { node: string; name: string; kernel: string; latencyCycles: number; ii: number; reuseFactor: null; resources: { tiles: number }; bound: string }[];
  total: {
    latencyCycles: number;
    latencyNs: number;
    ii: number;
    throughput: number;
    resources: { tiles: number; memoryTiles: number; tileMemoryBytes: number; memoryTileBytes: number };
    available: { tiles: number; tileMemoryBytes: number; memoryTileBytes: number };
    fits: boolean;
  };
  bottleneck: string;
  assumptions: string[];
}

export function estimateOf(graph: Graph, project = graph.name): AieEstimate {
  const r = reportOf(graph, project);
  const p = r.perf;
  const hz = p.throughput.iterationsPerSecond * p.intervalCycles;
  const clockMHz = hz / 1e6;
  const total = {
    latencyCycles: p.latency.cycles,
    latencyNs: p.latency.ns,
    ii: p.intervalCycles,
    throughput: p.throughput.samplesPerSecond,
    resources: { tiles: p.tilesUsed, memoryTiles: p.memoryPerMemTile.used, tileMemoryBytes: p.memoryPerTile.max, memoryTileBytes: p.memoryPerMemTile.max },
    available: { tiles: p.tilesAvailable, tileMemoryBytes: p.memoryPerTile.capacity, memoryTileBytes: p.memoryPerMemTile.capacity },
    fits: p.tilesUsed <= p.tilesAvailable && p.memoryPerTile.max <= p.memoryPerTile.capacity && p.memoryPerMemTile.max <= p.memoryPerMemTile.capacity,
  };
  return {
    schema: 'firmflow.aie-estimate', version: 1, model: 'aie-perf-1', backend: 'AIE', projectName: project,
    part: r.device, partNumber: null, clockPeriod: 1000 / clockMHz, clockMHz,
    layers: p.layers.map((l) => ({ node: l.node, name: l.node, kernel: l.kernel, latencyCycles: l.cycles, ii: l.cycles, reuseFactor: null, resources: { tiles: l.kernels }, bound: l.bound })),
    total,
    bottleneck: p.bottleneck,
    assumptions: [
      `${r.rowsPerIteration} rows (samples) per graph iteration; II is the interval between iterations, set by the bottleneck: ${p.bottleneck}`,
      'layer cycles are one kernel invocation per iteration (the slowest of compute, stream input/output, weights and cascade terms); kernels are double-buffered',
      'latency is the critical path PLIO -> memory tiles -> kernels -> PLIO of one iteration, without overlap',
      `MAC efficiency ${(p.efficiency * 100).toFixed(1)}% of the peak of the ${p.tilesUsed} tiles used`,
    ],
  };
}
