import type { NodePass } from '../src/pipeline/pass.js';
import { addConstant, constValues, soleConsumer, storageType } from './rewrite.js';

/**
 * Dense followed by the Add of a constant that varies only along the feature axis (MatMul + Add as exported by
 * Keras converters and QDQ models) becomes one Dense whose bias is the sum (float64, stored in the bias' type).
 */
export const fuseDenseBias: NodePass = {
  name: 'fuse-dense-bias',
  match: ['Add'],
  description: 'Dense + Add(constant bias) -> Dense with bias',
  transform(node, graph) {
    for (const side of [0, 1]) {
      const d = node.inputs[side], c = node.inputs[1 - side];
      const dense = graph.producer(d);
      if (!dense || dense.op !== 'Dense' || !graph.isConstant(c) || soleConsumer(graph, d) !== node) continue;
      const dt = graph.tensor(d), ct = graph.tensor(c);
      // A quantizer between the product and the bias would be skipped.
      if (dt.precision || dt.quant) continue;
      const N = graph.tensor(dense.inputs[1]).shape[1] as number;
      const rank = dt.shape.length;
      const cs = ct.shape as number[];
      if (cs.length > rank) continue;
      if (cs.slice(0, -1).some((x) => x !== 1)) continue;
      const last = cs.length ? cs[cs.length - 1] : 1;
      if (last !== 1 && last !== N) continue;
      // An Add that broadcasts the product up (bias of higher rank or a size-1 feature axis) changes the shape.
      const out = graph.tensor(node.outputs[0]);
      if (out.shape.length !== rank || out.shape[rank - 1] !== N) continue;

      const cv = constValues(graph, c)!;
      const old = dense.inputs[2] ?? '';
      let bias: string;
      if (old === '' && cs.length === 1 && last === N) {
        bias = c;
      } else {
        const v = old === '' ? new Float64Array(N) : constValues(graph, old)!;
        for (let j = 0; j < N; j++) v[j] += cv[last === 1 ? 0 : j];
        const keep = old === '' && last === N ? ct : undefined;
        bias = addConstant(graph, `${dense.name}_b`, [N], v, storageType(ct.dtype), keep).name;
      }
      const addOut = node.outputs[0];
      graph.removeNode(node.name, false);
      graph.replaceNode(dense.name, [{ name: dense.name, op: 'Dense', attrs: dense.attrs, inputs: [dense.inputs[0], dense.inputs[1], bias], outputs: [addOut], origin: dense.origin, meta: dense.meta }]);
      if (graph.hasTensor(d) && !graph.consumers(d).length && !graph.isGraphOutput(d)) graph.removeTensor(d);
      return true;
    }
    return false;
  },
};
