import type { NodePass } from '../src/pipeline/pass.js';
import { addConstant, addInferredNode, addTransposedConstant, constValues, numAttr, passError, storageType, toFloat64Copy, transposeData } from './rewrite.js';

/**
 * Gemm with a constant B becomes Dense: W = alpha * op(B) stored [K, N] (computed in float64, stored in B's type;
 * a plain transpose when alpha is 1, so a quantized weight keeps its exact type), bias = beta * C when C is the
 * same for every row. A transposed A gets an explicit Transpose; a C that differs per row stays as an Add.
 */
export const gemmToDense: NodePass = {
  name: 'gemm-to-dense',
  match: ['Gemm'],
  description: 'Gemm with a constant weight -> Dense',
  transform(node, graph) {
    const [a, b, c = ''] = node.inputs;
    const bt = graph.tensor(b);
    if (!bt.data) return false;
    if (bt.shape.length !== 2) throw passError('gemm-to-dense', node, `B must be 2-D, got [${bt.shape.join(', ')}]`);
    const alpha = numAttr(node, 'alpha', 1), beta = numAttr(node, 'beta', 1);
    const transA = numAttr(node, 'transA', 0) !== 0, transB = numAttr(node, 'transB', 0) !== 0;
    const cConst = c === '' || graph.isConstant(c);
    // A non-constant C scaled by beta would need a Mul as well; such a Gemm stays as it is.
    if (!cConst && beta !== 1) return false;

    const [r0, r1] = bt.shape as number[];
    const K = transB ? r1 : r0, N = transB ? r0 : r1;
    let w = bt;
    if (alpha === 1) {
      // A plain transpose keeps the values, so a quantized weight keeps its exact type.
      if (transB) w = addTransposedConstant(graph, `${node.name}_W`, bt, [1, 0]);
    } else {
      const v = toFloat64Copy(transB ? transposeData(bt.data, [r0, r1], [1, 0]) : bt.data);
      for (let i = 0; i < v.length; i++) v[i] *= alpha;
      w = addConstant(graph, `${node.name}_W`, [K, N], v, storageType(bt.dtype));
    }

    let x = a;
    if (transA) x = addInferredNode(graph, 'Transpose', [a], { perm: [1, 0] }, `${node.name}_At`, node.origin).output.name;

    let bias = '';
    let residual: string | undefined;
    if (c !== '' && beta !== 0) {
      const ct = graph.tensor(c);
      if (cConst) {
        const row = rowConstantBias(ct.shape as number[], constValues(graph, c)!, N);
        if (row) {
          for (let i = 0; i < N; i++) row[i] *= beta;
          const bt2 = addConstant(graph, `${node.name}_b`, [N], row, storageType(ct.dtype), beta === 1 ? ct : undefined);
          bias = bt2.name;
        } else {
          const v = constValues(graph, c)!;
          for (let i = 0; i < v.length; i++) v[i] *= beta;
          residual = addConstant(graph, `${node.name}_C`, ct.shape as number[], v, storageType(ct.dtype), beta === 1 ? ct : undefined).name;
        }
      } else {
        residual = c;
      }
    }
    const out = node.outputs[0];
    if (residual === undefined) {
      graph.replaceNode(node.name, [{ name: node.name, op: 'Dense', inputs: [x, w.name, bias], outputs: [out], origin: node.origin, meta: node.meta }]);
    } else {
      const origin = node.origin;
      graph.removeNode(node.name, false);
      const mid = addInferredNode(graph, 'Dense', [x, w.name, ''], {}, `${node.name}_dense`, origin);
      graph.addNode({ name: graph.freshNodeName(`${node.name}_bias`), op: 'Add', inputs: [mid.output.name, residual], outputs: [out], origin });
    }
    return true;
  },
};

/**
 * The bias row when a Gemm's C (broadcast to [M, N]) is the same for every row: C of shape [], [1], [N], [1, N], or
 * [M, N] / [M, 1] with equal rows. Undefined otherwise.
 */
function rowConstantBias(shape: number[], v: Float64Array, N: number): Float64Array | undefined {
  const cols = shape.length === 0 ? 1 : shape[shape.length - 1];
  const rows = shape.length === 2 ? shape[0] : 1;
  if (cols !== 1 && cols !== N) return undefined;
  for (let r = 1; r < rows; r++) {
    for (let j = 0; j < cols; j++) if (v[r * cols + j] !== v[j]) return undefined;
  }
  const out = new Float64Array(N);
  for (let j = 0; j < N; j++) out[j] = v[cols === 1 ? 0 : j];
  return out;
}
