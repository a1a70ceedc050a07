import type { Graph, IRNode } from '../src/ir/graph.js';
import { forwardTensor, samePrecision, soleConsumer } from './rewrite.js';

/** Permutations between channels-first [N, C, spatial...] and channels-last [N, spatial..., C] of a rank. */
export function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

export function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Ops with a `layout` attribute that the channels-last pass converts. */
export const LAYOUT_OPS = ['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool'] as const;

/**
 * A Transpose moves values without changing them, so a fixed-point type on its output may as well sit on its
 * input. Before a pass moves or removes a Transpose, the two must agree: true if they do (or have been made to,
 * by copying the output's type onto an input that nobody else reads).
 */
export function transparent(graph: Graph, t: IRNode): boolean {
  const x = graph.tensor(t.inputs[0]), a = graph.tensor(t.outputs[0]);
  if (!a.precision && !a.quant) return true;
  if (samePrecision(a.precision, x.precision) && a.quant === x.quant) return true;
  if (x.precision || x.quant || x.data !== undefined || graph.isGraphOutput(x.name)) return false;
  if (soleConsumer(graph, x.name) !== t) return false;
  x.precision = a.precision;
  x.quant = a.quant;
  return true;
}

/** Lets every reader of `t`'s output read `src` instead (values equal); false if annotations forbid it. */
export function forwardThrough(graph: Graph, t: IRNode, src: string): boolean {
  return forwardTensor(graph, t.outputs[0], src, t);
}
