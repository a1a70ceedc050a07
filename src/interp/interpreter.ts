import { FirmflowError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import { getIROp, type RtTensor } from '../ir/ops.js';
import { toFloat64 } from '../onnx/tensor.js';
import { quantizeArray } from '../fixed/quantize.js';
import { formatShape } from '../ir/types.js';

export interface InterpretOptions {
  /** Round each op's result to float32 (as a float32 executor); default false: float64 throughout. */
  float32?: boolean;
  /** Apply tensors' fixed-point precision annotations (quantizers from the model); default true. */
  applyPrecision?: boolean;
  /** Called with every computed tensor (for per-layer comparisons). */
  onTensor?: (name: string, value: RtTensor) => void;
}

export type Feed = { shape: number[]; data: ArrayLike<number> } | RtTensor;

/**
 * Runs the IR with plain float semantics. Shapes are taken from the fed data, so a model whose batch axis is
 * symbolic (or declared with a placeholder size) runs on any batch.
 */
export function interpret(graph: Graph, feeds: Record<string, Feed>, options: InterpretOptions = {}): Record<string, RtTensor> {
  const ctx = { float32: options.float32 ?? false };
  const values = new Map<string, RtTensor>();
  for (const p of graph.inputs) {
    const f = feeds[p.name];
    if (!f) throw new FirmflowError('interp.input', `missing value for graph input '${p.name}'`);
    const t = graph.tensor(p.tensor);
    if (f.shape.length !== t.shape.length || f.shape.some((d, i) => i > 0 && t.shape[i] !== d)) {
      throw new FirmflowError('interp.input', `input '${p.name}' has shape ${formatShape(f.shape)}, the model expects ${formatShape(t.shape)}`);
    }
    const data = Float64Array.from(f.data);
    if (options.applyPrecision !== false && t.precision) quantizeArray(data, t.precision);
    values.set(p.tensor, { shape: [...f.shape], data });
  }
  const get = (name: string): RtTensor | undefined => {
    if (name === '') return undefined;
    const v = values.get(name);
    if (v) return v;
    const t = graph.tensor(name);
    if (!t.data) throw new Error(`tensor '${name}' has no value`);
    const c = { shape: t.shape as number[], data: toFloat64(t.data) };
    values.set(name, c);
    return c;
  };
  for (const node of graph.topoOrder()) {
    const def = getIROp(node.op);
    if (!def?.evaluate) throw new FirmflowError('interp.op', `the float interpreter has no semantics for IR op '${node.op}' (node '${node.name}')`);
    const outs = def.evaluate(node, node.inputs.map(get), ctx);
    node.outputs.forEach((o, i) => {
      if (o === '') return;
      const v = outs[i];
      const t = graph.tensor(o);
      // Axis 0 may differ (the batch comes from the fed data); every other static dimension must match the IR.
      const mismatch = v.shape.length !== t.shape.length || v.shape.some((d, k) => k > 0 && typeof t.shape[k] === 'number' && t.shape[k] !== d);
      if (mismatch) throw new Error(`node '${node.name}' (${node.op}) produced ${formatShape(v.shape)} for '${o}', IR says ${formatShape(t.shape)}`);
      if (options.applyPrecision !== false && t.precision) quantizeArray(v.data, t.precision);
      values.set(o, v);
      options.onTensor?.(o, v);
    });
  }
  const result: Record<string, RtTensor> = {};
  for (const p of graph.outputs) result[p.name] = get(p.tensor)!;
  return result;
}
