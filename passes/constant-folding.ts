import type { GraphPass } from '../src/pipeline/pass.js';
import { getIROp } from '../src/ir/ops.js';
import { quantizeArray } from '../src/fixed/quantize.js';
import { fromFloat64 } from '../src/onnx/frontend.js';
import { bytesPerElement, firstNonFinite, toFloat64 } from '../src/onnx/tensor.js';
import { foldOverBudget, resolveLimits } from '../src/onnx/limits.js';
import { isProgrammingError, quoted } from '../src/errors.js';
import { passError } from './rewrite.js';

/**
 * Replaces every node whose inputs are all constant (and whose IR op can be evaluated) by the constants it
 * computes. The frontend folds while loading; this catches what other passes make constant later (a Transpose
 * moved onto a weight, a quantizer on an initializer ...). A fixed-point type on an output is applied to the
 * folded values, as the interpreter would.
 */
export const constantFolding: GraphPass = {
  name: 'constant-folding',
  match: 'graph',
  description: 'evaluate nodes whose inputs are all constant',
  transform(graph) {
    let changes = 0;
    const limits = resolveLimits();
    for (const node of graph.topoOrder()) {
      const def = getIROp(node.op);
      if (!def?.evaluate) continue;
      if (!node.inputs.every((t) => t === '' || graph.isConstant(t))) continue;
      if (node.outputs.some((o) => o !== '' && graph.isGraphInput(o))) continue;
      for (const o of node.outputs) {
        if (o === '' || !graph.hasTensor(o)) continue;
        const t = graph.tensor(o);
        const why = foldOverBudget(t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1), bytesPerElement(t.dtype), limits);
        if (why) throw passError('constant-folding', node, `computing output ${quoted(o)} as a constant would take ${why}`);
      }
      let results;
      try {
        results = def.evaluate(node, node.inputs.map((t) => {
          if (t === '') return undefined;
          const c = graph.tensor(t);
          return { shape: c.shape as number[], data: toFloat64(c.data!) };
        }), { float32: false });
      } catch (e) {
        if (isProgrammingError(e)) throw e;
        throw passError('constant-folding', node, `evaluation failed: ${(e as Error).message}`);
      }
      const outs = node.outputs;
      graph.removeNode(node.name, false);
      outs.forEach((o, i) => {
        if (o === '' || !graph.hasTensor(o)) return;
        const t = graph.tensor(o);
        const r = results[i];
        const bad = firstNonFinite(r.data);
        if (bad >= 0) throw passError('constant-folding', node, `output ${quoted(o)} evaluates to ${r.data[bad]} at index ${bad}; firmflow converts finite constants only`);
        const values = t.precision ? quantizeArray(Float64Array.from(r.data), t.precision) : r.data;
        t.shape = [...r.shape];
        t.data = fromFloat64(t.dtype, values);
      });
      changes++;
    }
    return changes;
  },
};
