import type { Dim } from '../src/ir/types.js';
import type { NodePass } from '../src/pipeline/pass.js';
import { transparent } from './layout.js';
import { addConstant, soleConsumer, transposePerm } from './rewrite.js';

/**
 * The axis k at which a 2-D reshape of `a` splits it into [prod(a[:k]), prod(a[k:])], or undefined. Flatten is
 * the case k = axis; a Reshape to [N, C*H*W] is the case k = 1.
 */
function flattenSplit(a: Dim[], y: Dim[]): number | undefined {
  if (y.length !== 2 || typeof y[1] !== 'number') return undefined;
  for (let k = 0; k <= a.length; k++) {
    const tail = a.slice(k);
    if (tail.some((d) => typeof d !== 'number')) continue;
    if ((tail as number[]).reduce((p, d) => p * d, 1) !== y[1]) continue;
    const head = a.slice(0, k);
    const headOk = head.length === 1 ? head[0] === y[0] : head.every((d) => typeof d === 'number') && (head as number[]).reduce((p, d) => p * d, 1) === y[0];
    if (headOk) return k;
  }
  return undefined;
}

/**
 * Transpose -> Flatten -> Dense (a channels-last convolution feeding a channels-first Flatten, as PyTorch models
 * have after conversion): instead of transposing the activations back, the Flatten reads the channels-last data and
 * the Dense weight rows are permuted once to match, so the model's element order is kept and the Transpose goes.
 */
export const flattenIntoDense: NodePass = {
  name: 'flatten-into-dense',
  match: ['Flatten', 'Reshape'],
  description: 'absorb a Transpose before Flatten into the following Dense weights',
  transform(node, graph) {
    const a = node.inputs[0];
    const t = graph.producer(a);
    if (!t || t.op !== 'Transpose' || soleConsumer(graph, a) !== node) return false;
    const f = node.outputs[0];
    const dense = soleConsumer(graph, f);
    if (!dense || dense.op !== 'Dense' || dense.inputs[0] !== f) return false;
    const w = graph.tensor(dense.inputs[1]);
    if (!w.data) return false;
    const at = graph.tensor(a), ft = graph.tensor(f);
    if (ft.precision || ft.quant) return false;
    const k = flattenSplit(at.shape, ft.shape);
    const perm = transposePerm(graph, t);
    if (k === undefined || perm.slice(0, k).some((p, i) => p !== i)) return false;
    if (!transparent(graph, t)) return false;

    // Row j of the flattened transposed data is element sigma(j) of the flattened untransposed data.
    const xShape = graph.tensor(t.inputs[0]).shape.slice(k) as number[];
    const aShape = at.shape.slice(k) as number[];
    const tail = perm.slice(k).map((p) => p - k);
    const K = aShape.reduce((p, d) => p * d, 1);
    const xStrides = new Array<number>(xShape.length);
    for (let i = xShape.length - 1, s = 1; i >= 0; i--) { xStrides[i] = s; s *= xShape[i]; }
    const sigma = new Int32Array(K);
    const idx = new Array<number>(aShape.length).fill(0);
    for (let j = 0; j < K; j++) {
      let off = 0;
      for (let d = 0; d < aShape.length; d++) off += idx[d] * xStrides[tail[d]];
      sigma[j] = off;
      for (let d = aShape.length - 1; d >= 0; d--) { if (++idx[d] < aShape[d]) break; idx[d] = 0; }
    }
    const [rows, N] = w.shape as number[];
    if (rows !== K) return false;
    const src = w.data;
    const dst = src.slice();
    for (let j = 0; j < K; j++) {
      const from = j * N, to = sigma[j] * N;
      for (let n = 0; n < N; n++) (dst as unknown as number[])[to + n] = (src as unknown as number[])[from + n];
    }
    const nw = addConstant(graph, `${dense.name}_W`, [rows, N], new Float64Array(0), w.dtype, w, dst);
    graph.setInput(dense, 1, nw.name);
    graph.setInput(node, 0, t.inputs[0]);
    if (!graph.consumers(a).length) graph.removeNode(t.name);
    return true;
  },
};
