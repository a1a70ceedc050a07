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
    `${project}: AIE graph on ${meta.device}${meta.deviceFile ? ` (${meta.deviceFile})` : ''}, ${meta.mode === 'bf16' ? 'bf16' : 'integer'} mode, ${meta.batch} rows per iteration`,
  ];
  if (meta.planningMs) head.push(`planning: ${Object.entries(meta.planningMs).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}`);
  const text = `${[...head, ...formatPerformance(perf)].join('\n')}\n`;
  return { project, device: meta.device, mode: meta.mode, rowsPerIteration: meta.batch, perf, ...(meta.planningMs ? { planningMs: meta.planningMs } : {}), text };
}
