import type { Graph, IRNode } from '../ir/graph.js';

/** What every pass sees besides the graph. */
export interface PassContext {
  /** Backend the flows run for, if any (shared flows run with none). */
  backend?: string;
  /** Resolved options of the conversion (backend-specific keys included). */
  options: Record<string, unknown>;
  /** Debug log, shown with --verbose. */
  log(message: string): void;
}

/** A pass that looks at nodes of the listed op types, one at a time, in topological order. */
export interface NodePass {
  name: string;
  /** IR op types this pass wants to see. */
  match: readonly string[];
  /** Returns true if it changed the graph. The node may be removed or replaced. */
  transform(node: IRNode, graph: Graph, ctx: PassContext): boolean;
  description?: string;
}

/** A pass over the whole graph. */
export interface GraphPass {
  name: string;
  match: 'graph';
  /** Returns whether (true/false) or how often (a count) it changed the graph. */
  transform(graph: Graph, ctx: PassContext): boolean | number;
  description?: string;
}

export type Pass = NodePass | GraphPass;

/** A named, ordered list of passes run to a fixed point, after the flows it requires. */
export interface Flow {
  /** Namespaced for backends: `optimize`, `vitis:lower`, `aie:tile` ... */
  name: string;
  /** Pass names, in order. Passes may also be attached later with registerPass(..., { flow }). */
  passes: string[];
  /** Flows that must run before this one. */
  requires?: string[];
  /** Repeat the passes until none changes the graph (default true); false runs them once. */
  fixedPoint?: boolean;
  /** Bound on fixed-point iterations (default 50). */
  maxIterations?: number;
  description?: string;
}

/** Timing and change count of one pass within one flow run. */
export interface PassRecord {
  flow: string;
  pass: string;
  changes: number;
  ms: number;
  runs: number;
}
