import type { Graph, IRNode, Tensor } from './graph.js';
import type { DType, Shape } from './types.js';

/** A concrete tensor while interpreting: static shape, values as float64 (integers are exact up to 2^53). */
export interface RtTensor {
  shape: number[];
  data: Float64Array;
}

export interface EvalContext {
  /** Round every op's result to float32, as a float32 executor would. */
  float32: boolean;
}

export interface InferredTensor {
  shape: Shape;
  dtype: DType;
}

/**
 * What an IR op means: its shape rule and its float semantics. The same definition serves shape inference
 * in the frontend, `Graph.verify()`, constant folding and the float interpreter, so they cannot disagree.
 */
export interface IROpDef {
  op: string;
  /** One line for `firmflow passes`/docs. */
  summary?: string;
  /** Output shapes and types from the input tensors ('' inputs arrive as undefined). */
  inferShape(node: IRNode, inputs: (Tensor | undefined)[], graph: Graph): InferredTensor[];
  /** Float semantics. Ops without it cannot be interpreted or constant-folded. */
  evaluate?(node: IRNode, inputs: (RtTensor | undefined)[], ctx: EvalContext): RtTensor[];
}

const defs = new Map<string, { def: IROpDef; source: string }>();

/** Adds an IR op definition. Backends add their own (e.g. lowered kernels) the same way. */
export function registerIROp(def: IROpDef, source = 'firmflow'): void {
  const prev = defs.get(def.op);
  if (prev) throw new Error(`IR op '${def.op}' from ${source} is already defined by ${prev.source}`);
  defs.set(def.op, { def, source });
}

export function getIROp(op: string): IROpDef | undefined {
  return defs.get(op)?.def;
}

export function listIROps(): string[] {
  return [...defs.keys()].sort();
}
