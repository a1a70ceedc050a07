/*
 * QDQ int8 MLPs (power-of-two scales) for the host-model tests and benchmarks, built with firmflow's model builder:
 * the jet tagger (16-64-32-32-5, ReLU between layers) and wider MLPs. Weights from a fixed-seed generator.
 */
import { ModelBuilder } from '../../../src/onnx/builder.js';

function rand(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** An int8 QDQ MLP with layer widths `sizes` (input first), ReLU after every layer but the last. */
export function qdqMlp(sizes: number[], seed = 2024): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  const r = rand(seed);
  m.input('x', 'float32', ['N', sizes[0]]).output('y', 'float32', ['N', sizes[sizes.length - 1]]);
  let q = 0;
  const qdq = (inp: string, scale: number, out: string): string => {
    const s = `s${q}`, z = `z${q}`, t = `q${q++}`;
    m.initializer(s, Float32Array.from([scale]), []);
    m.initializer(z, Int8Array.from([0]), []);
    m.node('QuantizeLinear', [inp, s, z], [t]);
    m.node('DequantizeLinear', [t, s, z], [out]);
    return out;
  };
  let x = qdq('x', 2 ** -4, 'x_q');
  for (let l = 1; l < sizes.length; l++) {
    const K = sizes[l - 1], N = sizes[l];
    // Weight scale shrinks with fan-in so activations stay in range.
    const ws = 2 ** -(7 + Math.max(0, Math.round(Math.log2(K / 16) / 2)));
    m.initializer(`w${l}_raw`, Float32Array.from({ length: K * N }, () => Math.round((r() * 2 - 1) * 100) * ws), [K, N]);
    const w = qdq(`w${l}_raw`, ws, `w${l}`);
    m.initializer(`b${l}`, Float32Array.from({ length: N }, () => Math.round((r() * 2 - 1) * 300) * ws * 2 ** -4), [N]);
    m.node('MatMul', [x, w], [`mm${l}`]);
    m.node('Add', [`mm${l}`, `b${l}`], [`add${l}`]);
    let y = `add${l}`;
    if (l < sizes.length - 1) {
      m.node('Relu', [y], [`relu${l}`]);
      y = `relu${l}`;
    }
    x = qdq(y, 2 ** -4, l === sizes.length - 1 ? 'y' : `h${l}`);
  }
  return m.toBytes();
}

export const JET_TAGGER = [16, 64, 32, 32, 5];
export const WIDE_256 = [256, 256, 256, 10];
