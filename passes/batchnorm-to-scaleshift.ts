import type { NodePass } from '../src/pipeline/pass.js';
import { affineOf } from './batchnorm-params.js';
import { addConstant, storageType } from './rewrite.js';

/**
 * A BatchNormalization that could not be folded becomes ScaleShift along the channel axis (runs after
 * fold-batchnorm in the flow, so what is left here has no layer to fold into).
 */
export const batchNormToScaleShift: NodePass = {
  name: 'batchnorm-to-scaleshift',
  match: ['BatchNormalization'],
  description: 'lone BatchNormalization -> ScaleShift',
  transform(node, graph) {
    const aff = affineOf(graph, node, 'batchnorm-to-scaleshift');
    if (!aff) return false;
    const dtype = storageType(graph.tensor(node.inputs[1]).dtype);
    const C = aff.a.length;
    const s = addConstant(graph, `${node.name}_scale`, [C], aff.a, dtype);
    const h = addConstant(graph, `${node.name}_shift`, [C], aff.b, dtype);
    graph.replaceNode(node.name, [{ name: node.name, op: 'ScaleShift', attrs: { axis: aff.axis }, inputs: [node.inputs[0], s.name, h.name], outputs: [node.outputs[0]], origin: node.origin, meta: node.meta }]);
    return true;
  },
};
