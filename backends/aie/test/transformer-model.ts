/*
 * An int8 transformer-style block as a QDQ ONNX model (power-of-two scales), built with firmflow's model builder:
 * LayerNorm -> Q/K/V projections (MatMul + bias) -> scores = Q K^T (MatMul of two runtime inputs, Transpose of the
 * last two axes) -> Softmax -> context = P V -> output projection. Weights come from a fixed-seed generator.
 */
import { ModelBuilder } from '../../../src/onnx/builder.js';

export const SEQ = 8;
export const DIM = 16;

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function transformerBlock(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  const r = rand(12345);
  m.input('x', 'float32', ['N', SEQ, DIM]).output('y', 'float32', ['N', SEQ, DIM]);
  let q = 0;
  const qdq = (inp: string, scale: number, out: string): string => {
    const s = `s${q}`, z = `z${q}`, t = `q${q++}`;
    m.initializer(s, Float32Array.from([scale]), []);
    m.initializer(z, Int8Array.from([0]), []);
    m.node('QuantizeLinear', [inp, s, z], [t]);
    m.node('DequantizeLinear', [t, s, z], [out]);
    return out;
  };
  const weight = (name: string, rows: number, cols: number, scale: number): string => {
    const w = Float32Array.from({ length: rows * cols }, () => Math.round((r() * 2 - 1) * 60) * scale);
    m.initializer(`${name}_raw`, w, [rows, cols]);
    return qdq(`${name}_raw`, scale, name);
  };
  const bias = (name: string, n: number, scale: number): string => {
    m.initializer(name, Float32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * 200) * scale), [n]);
    return name;
  };
  qdq('x', 2 ** -4, 'xq');
  m.initializer('gamma', Float32Array.from({ length: DIM }, () => 0.5 + r()), [DIM]);
  m.initializer('beta', Float32Array.from({ length: DIM }, () => (r() - 0.5) * 0.5), [DIM]);
  m.node('LayerNormalization', ['xq', 'gamma', 'beta'], ['ln'], { axis: -1, epsilon: 1e-5 });
  qdq('ln', 2 ** -5, 'lnq');
  for (const p of ['q', 'k', 'v']) {
    const w = weight(`w${p}`, DIM, DIM, 2 ** -7);
    m.node('MatMul', ['lnq', w], [`${p}_mm`]);
    m.node('Add', [`${p}_mm`, bias(`b${p}`, DIM, 2 ** -12)], [`${p}_b`]);
    qdq(`${p}_b`, 2 ** -4, `${p}q`);
  }
  m.node('Transpose', ['kq'], ['kt'], { perm: [0, 2, 1] });
  m.node('MatMul', ['qq', 'kt'], ['scores']);
  qdq('scores', 2 ** -3, 'scoresq');
  m.node('Softmax', ['scoresq'], ['probs'], { axis: -1 });
  qdq('probs', 2 ** -7, 'probsq');
  m.node('MatMul', ['probsq', 'vq'], ['ctx']);
  qdq('ctx', 2 ** -4, 'ctxq');
  const wo = weight('wo', DIM, DIM, 2 ** -7);
  m.node('MatMul', ['ctxq', wo], ['o_mm']);
  m.node('Add', ['o_mm', bias('bo', DIM, 2 ** -11)], ['o_b']);
  qdq('o_b', 2 ** -4, 'y');
  return m.toBytes();
}
