/*
 * An int8 transformer-style block as a QDQ ONNX model (power-of-two scales), built with the tests' QDQ model builder:
 * LayerNorm -> Q/K/V projections (MatMul + bias) -> scores = Q K^T (MatMul of two runtime inputs, Transpose of the
 * last two axes) -> Softmax -> context = P V -> output projection. Weights come from a fixed-seed generator.
 */
import { QdqModelBuilder } from './qdq-builder.js';

export const SEQ = 8;
export const DIM = 16;

export function transformerBlock(): Uint8Array {
  const m = new QdqModelBuilder(17, 12345);
  m.input('x', 'float32', ['N', SEQ, DIM]).output('y', 'float32', ['N', SEQ, DIM]);
  const weight = (name: string, rows: number, cols: number, scale: number): string => {
    m.initializer(`${name}_raw`, m.onGrid(rows * cols, 60, scale), [rows, cols]);
    return m.qdq(`${name}_raw`, scale, name);
  };
  const bias = (name: string, n: number, scale: number): string => {
    m.initializer(name, m.onGrid(n, 200, scale), [n]);
    return name;
  };
  m.qdq('x', 2 ** -4, 'xq');
  m.initializer('gamma', Float32Array.from({ length: DIM }, () => 0.5 + m.random()), [DIM]);
  m.initializer('beta', Float32Array.from({ length: DIM }, () => (m.random() - 0.5) * 0.5), [DIM]);
  m.node('LayerNormalization', ['xq', 'gamma', 'beta'], ['ln'], { axis: -1, epsilon: 1e-5 });
  m.qdq('ln', 2 ** -5, 'lnq');
  for (const p of ['q', 'k', 'v']) {
    const w = weight(`w${p}`, DIM, DIM, 2 ** -7);
    m.node('MatMul', ['lnq', w], [`${p}_mm`]);
    m.node('Add', [`${p}_mm`, bias(`b${p}`, DIM, 2 ** -12)], [`${p}_b`]);
    m.qdq(`${p}_b`, 2 ** -4, `${p}q`);
  }
  m.node('Transpose', ['kq'], ['kt'], { perm: [0, 2, 1] });
  m.node('MatMul', ['qq', 'kt'], ['scores']);
  m.qdq('scores', 2 ** -3, 'scoresq');
  m.node('Softmax', ['scoresq'], ['probs'], { axis: -1 });
  m.qdq('probs', 2 ** -7, 'probsq');
  m.node('MatMul', ['probsq', 'vq'], ['ctx']);
  m.qdq('ctx', 2 ** -4, 'ctxq');
  const wo = weight('wo', DIM, DIM, 2 ** -7);
  m.node('MatMul', ['ctxq', wo], ['o_mm']);
  m.node('Add', ['o_mm', bias('bo', DIM, 2 ** -11)], ['o_b']);
  m.qdq('o_b', 2 ** -4, 'y');
  return m.toBytes();
}
