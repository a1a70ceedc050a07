/*
 * QDQ int8 MLPs (power-of-two scales) for the host-model tests and benchmarks, built with the tests' QDQ model
 * builder: the jet tagger (16-64-32-32-5, ReLU between layers) and wider MLPs. Weights from a fixed-seed generator.
 */
import { ModelBuilder } from 'firmflow';
import { QdqModelBuilder } from './qdq-builder.js';
import { lcg } from './random.js';

/** An int8 QDQ MLP with layer widths `sizes` (input first), ReLU after every layer but the last. */
export function qdqMlp(sizes: number[], seed = 2024): Uint8Array {
  const m = new QdqModelBuilder(17, seed);
  m.input('x', 'float32', ['N', sizes[0]]).output('y', 'float32', ['N', sizes[sizes.length - 1]]);
  let x = m.qdq('x', 2 ** -4, 'x_q');
  for (let l = 1; l < sizes.length; l++) {
    const K = sizes[l - 1], last = l === sizes.length - 1;
    // Weight scale shrinks with fan-in so activations stay in range.
    const weightScale = 2 ** -(7 + Math.max(0, Math.round(Math.log2(K / 16) / 2)));
    const names = (part: string): string => (part === 'wraw' ? `w${l}_raw` : `${part}${l}`);
    x = m.dense(x, `${l}`, K, sizes[l], !last, last ? 'y' : `h${l}`, { weightScale, names });
  }
  return m.toBytes();
}

export const JET_TAGGER = [16, 64, 32, 32, 5];
export const WIDE_256 = [256, 256, 256, 10];

/**
 * An int8 QDQ model with views: two Dense branches of x concatenated along the last axis, a Dense over the
 * concatenation, a Slice of its output columns [8, 16), and a last Dense. Power-of-two scales throughout.
 * Variants: the graph input as the second Concat operand; a first branch of 5 columns (padded tiles).
 */
export function qdqConcatSlice(seed = 7, variant: 'branches' | 'input' | 'padded' = 'branches'): Uint8Array {
  const m = new QdqModelBuilder(17, seed);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 5]);
  const x = m.qdq('x', 2 ** -4, 'x_q');
  // 'input': the graph input itself is the second half; 'padded': the first branch (5 columns) is padded to the
  // microtile, so its tiles would reach into the second branch's columns.
  const a = m.dense(x, 'd1', 16, variant === 'padded' ? 5 : 8, true, 'a');
  const b = variant === 'input' ? x : m.dense(x, 'd2', 16, 8, false, 'b');
  const wc = (variant === 'padded' ? 5 : 8) + (variant === 'input' ? 16 : 8);
  m.node('Concat', [a, b], ['c'], { axis: -1 });
  const h = m.dense('c', 'd3', wc, 16, true, 'h');
  m.node('Slice', [h, m.int64s('sl_starts', [8]), m.int64s('sl_ends', [16]), m.int64s('sl_axes', [1])], ['s']);
  m.dense('s', 'd4', 8, 5, false, 'y');
  return m.toBytes();
}

/**
 * Views at the graph's edges: a Slice of the graph input feeds one Dense, the Concat of two Dense outputs is a graph
 * output (y), and a Slice of that output is another (z).
 */
export function qdqViewsAtPorts(): Uint8Array {
  const m = new QdqModelBuilder(17, 3);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 16]).output('z', 'float32', ['N', 8]);
  const x = m.qdq('x', 2 ** -4, 'x_q');
  const slice = [m.int64s('st', [4]), m.int64s('en', [12]), m.int64s('ax', [1])];
  m.node('Slice', [x, ...slice], ['xs']);
  const a = m.dense('xs', 'd1', 8, 8, false, 'a', { bias: false });
  const b = m.dense(x, 'd2', 16, 8, false, 'b', { bias: false });
  m.node('Concat', [a, b], ['y'], { axis: 1 });
  m.node('Slice', ['y', ...slice], ['z']);
  return m.toBytes();
}

/**
 * The float twin of qdqMlp (MatMul + Add + ReLU, no quantizers; weights and biases on the same grids from the same
 * kind of generator), for bf16 mode: aie.mode 'bf16' refuses a model that carries quantizers.
 */
export function floatMlp(sizes: number[], seed = 2024): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  const r = lcg(seed);
  m.input('x', 'float32', ['N', sizes[0]]).output('y', 'float32', ['N', sizes[sizes.length - 1]]);
  let x = 'x';
  for (let l = 1; l < sizes.length; l++) {
    const K = sizes[l - 1], N = sizes[l], last = l === sizes.length - 1;
    const ws = 2 ** -(7 + Math.max(0, Math.round(Math.log2(K / 16) / 2)));
    m.initializer(`w${l}`, Array.from({ length: K * N }, () => Math.round((r() * 2 - 1) * 100) * ws), [K, N]);
    m.initializer(`b${l}`, Array.from({ length: N }, () => Math.round((r() * 2 - 1) * 100) * ws * 2 ** -4), [N]);
    m.node('MatMul', [x, `w${l}`], [`mm${l}`], {}, { name: `MatMul_${l}` });
    const out = last ? 'y' : `h${l}`;
    m.node('Add', [`mm${l}`, `b${l}`], [last ? 'y' : `a${l}`], {}, { name: `Add_${l}` });
    if (!last) m.node('Relu', [`a${l}`], [out], {}, { name: `Relu_${l}` });
    x = out;
  }
  return m.toBytes();
}
