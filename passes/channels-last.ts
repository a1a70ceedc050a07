import type { NodePass } from '../src/pipeline/pass.js';
import { LAYOUT_OPS, toChannelsFirst, toChannelsLast } from './layout.js';
import { addInferredNode, addTransposedConstant, inferOutput } from './rewrite.js';

/**
 * Converts channels-first convolutions and pools to channels-last (what FPGA stream kernels want): the node gets
 * layout NHWC, a Conv's weights are transposed once from [M, C/g, k...] to [k..., C/g, M], and Transposes are put
 * at the node's boundaries. Pairs of Transposes that meet are removed by cancel-transposes and sink-transposes,
 * so only the model's own boundaries keep one. Skipped when the options say `channelsLast: false`.
 */
export const channelsLast: NodePass = {
  name: 'channels-last',
  match: LAYOUT_OPS,
  description: 'convert NCHW Conv/pool nodes to NHWC',
  transform(node, graph, ctx) {
    if (ctx.options['channelsLast'] === false) return false;
    if ((node.attrs['layout'] ?? 'NCHW') !== 'NCHW') return false;
    const x = graph.tensor(node.inputs[0]);
    const rank = x.shape.length;
    if (rank !== 3 && rank !== 4) return false;
    const inputs = [...node.inputs];
    if (node.op === 'Conv') {
      const w = graph.tensor(node.inputs[1]);
      if (!w.data) return false;
      const ws = w.shape as number[];
      const perm = [...Array.from({ length: ws.length - 2 }, (_, i) => i + 2), 1, 0];
      const hwio = addTransposedConstant(graph, `${w.name}_hwio`, w, perm);
      inputs[1] = hwio.name;
    }
    const y = node.outputs[0];
    const yt = graph.tensor(y);
    const { origin } = node;
    const name = node.name;
    inputs[0] = addInferredNode(graph, 'Transpose', [node.inputs[0]], { perm: toChannelsLast(rank) }, `${name}_to_nhwc`, origin).output.name;
    graph.removeNode(name, false);
    const attrs = { ...node.attrs, layout: 'NHWC' };
    const out = inferOutput(graph, node.op, inputs, attrs, `${y}_nhwc`);
    // The converted node keeps the original's name (messages, per-layer configuration).
    graph.addNode({ name, op: node.op, attrs, inputs, outputs: [out.name], origin, meta: node.meta });
    out.precision = yt.precision;
    out.quant = yt.quant;
    graph.addNode({ name: graph.freshNodeName(`${name}_to_nchw`), op: 'Transpose', attrs: { perm: toChannelsFirst(rank) }, inputs: [out.name], outputs: [y], origin });
    return true;
  },
};
