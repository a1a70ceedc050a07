/* Helpers shared by the lowering passes. */
import type { Dim, Graph, IRNode, Tensor } from 'firmflow';
import type { LayerConfig } from '../layer-config.js';
import type { HlsGraphInfo, HlsLayer } from '../lowered.js';

/** node.meta key of the resolved LayerConfig (set by vitis-configure). */
export const CONFIG_KEY = 'hlsConfig';
/** node.meta key of the reason a node has no kernel (set by vitis-kernels, reported by vitis-check-kernels). */
export const UNSUPPORTED_KEY = 'hlsUnsupported';

export function layerConfig(node: IRNode): LayerConfig {
  const c = node.meta[CONFIG_KEY] as LayerConfig | undefined;
  if (!c) throw new Error(`node '${node.name}' has no HLS configuration (vitis-configure did not run)`);
  return c;
}

export function info(graph: Graph): HlsGraphInfo {
  return graph.meta['hls'] as HlsGraphInfo;
}

export function hls(node: IRNode): HlsLayer | undefined {
  return node.meta['hls'] as HlsLayer | undefined;
}

/** The name of a node in messages and config: its model name when it came from one. */
export function layerName(node: IRNode): string {
  return node.origin?.name || node.name;
}

export function describe(node: IRNode): string {
  const on = node.origin && node.origin.op !== node.op ? `${node.op}, from ${node.origin.op}` : node.op;
  return `layer '${layerName(node)}' (${on})`;
}

export function warn(graph: Graph, message: string): void {
  const i = info(graph);
  if (!i.warnings.includes(message)) i.warnings.push(message);
}

/** Activation inputs (not constants, not absent). */
export function activationInputs(node: IRNode, graph: Graph): Tensor[] {
  return node.inputs.filter((t) => t !== '' && !graph.isConstant(t)).map((t) => graph.tensor(t));
}

/** The per-sample shape of an activation tensor (batch axis 0 dropped); a reason string when it has none. */
export function perSample(t: Tensor): number[] | string {
  if (t.shape.length === 0) return `tensor '${t.name}' is a scalar without a batch axis`;
  const s = t.shape.slice(1);
  if (s.some((d) => typeof d !== 'number')) return `tensor '${t.name}' has a symbolic dimension beyond the batch axis (${t.shape.join(', ')})`;
  return s as number[];
}

export function sameDim(a: Dim | undefined, b: Dim | undefined): boolean {
  return a === b;
}

/** Per-sample shape recorded on a tensor by vitis-configure. */
export function shapeOf(t: Tensor): number[] {
  const s = t.meta['hlsShape'] as number[] | undefined;
  if (s) return s;
  if (t.data) return t.shape as number[];
  const p = perSample(t);
  if (typeof p === 'string') throw new Error(p);
  return p;
}

/** Layers in topological order (only nodes with an HlsLayer). */
export function loweredNodes(graph: Graph): IRNode[] {
  return graph.topoOrder().filter((n) => hls(n) !== undefined);
}

/** io_parallel: no array may be partitioned or unrolled over more than this many elements. */
export const PARTITION_LIMIT = 4096;
