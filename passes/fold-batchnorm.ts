import type { NodePass } from '../src/pipeline/pass.js';
import { affineOf } from './batchnorm-params.js';
import { addConstant, constValues, soleConsumer, storageType } from './rewrite.js';

/**
 * A BatchNormalization (or ScaleShift) whose input comes only from a Dense or Conv with constant weights is folded
 * into that layer: W' = W * a per output channel, b' = b * a + shift, in float64, stored in the weight's own type.
 */
export const foldBatchNorm: NodePass = {
  name: 'fold-batchnorm',
  match: ['BatchNormalization', 'ScaleShift'],
  description: 'fold BatchNormalization / ScaleShift into the preceding Dense or Conv',
  transform(node, graph) {
    const xName = node.inputs[0];
    const layer = graph.producer(xName);
    if (!layer || (layer.op !== 'Dense' && layer.op !== 'Conv')) return false;
    if (soleConsumer(graph, xName) !== node) return false;
    const xt = graph.tensor(xName);
    if (xt.precision || xt.quant) return false;
    const w = graph.tensor(layer.inputs[1]);
    const biasName = layer.inputs[2] ?? '';
    if (!w.data || (biasName !== '' && !graph.isConstant(biasName))) return false;
    const aff = affineOf(graph, node, 'fold-batchnorm');
    if (!aff) return false;
    const rank = xt.shape.length;
    const nhwc = layer.op === 'Conv' && layer.attrs['layout'] === 'NHWC';
    // The affine map must act on the layer's output channels.
    const wantAxis = layer.op === 'Dense' || nhwc ? rank - 1 : 1;
    if (aff.axis !== wantAxis) return false;

    const ws = w.shape as number[];
    const M = layer.op === 'Dense' || nhwc ? ws[ws.length - 1] : ws[0];
    if (aff.a.length !== M) return false;
    const wv = constValues(graph, w.name)!;
    if (layer.op === 'Dense' || nhwc) {
      for (let i = 0; i < wv.length; i++) wv[i] *= aff.a[i % M];
    } else {
      const per = wv.length / M;
      for (let i = 0; i < wv.length; i++) wv[i] *= aff.a[Math.floor(i / per)];
    }
    const bv = biasName === '' ? new Float64Array(M) : constValues(graph, biasName)!;
    for (let c = 0; c < M; c++) bv[c] = bv[c] * aff.a[c] + aff.b[c];
    const nw = addConstant(graph, `${layer.name}_W`, ws, wv, storageType(w.dtype));
    const nb = addConstant(graph, `${layer.name}_b`, [M], bv, storageType(biasName === '' ? w.dtype : graph.tensor(biasName).dtype));

    const out = node.outputs[0];
    graph.removeNode(node.name, false);
    graph.replaceNode(layer.name, [{ name: layer.name, op: layer.op, attrs: layer.attrs, inputs: [layer.inputs[0], nw.name, nb.name], outputs: [out], origin: layer.origin, meta: layer.meta }]);
    if (!graph.consumers(xName).length && !graph.isGraphOutput(xName)) graph.removeTensor(xName);
    return true;
  },
};
