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

/**
 * An int8 QDQ model with views: two Dense branches of x concatenated along the last axis, a Dense over the
 * concatenation, a Slice of its output columns [8, 16), and a last Dense. Power-of-two scales throughout.
 * Variants: the graph input as the second Concat operand; a first branch of 5 columns (padded tiles).
 */
export function qdqConcatSlice(seed = 7, variant: 'branches' | 'input' | 'padded' = 'branches'): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  const r = rand(seed);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 5]);
  let q = 0;
  const qdq = (inp: string, scale: number, out: string): string => {
    const s = `s${q}`, z = `z${q}`, t = `q${q++}`;
    m.initializer(s, Float32Array.from([scale]), []);
    m.initializer(z, Int8Array.from([0]), []);
    m.node('QuantizeLinear', [inp, s, z], [t]);
    m.node('DequantizeLinear', [t, s, z], [out]);
    return out;
  };
  const dense = (x: string, name: string, K: number, N: number, relu: boolean, out: string): string => {
    const ws = 2 ** -7;
    m.initializer(`${name}_wraw`, Float32Array.from({ length: K * N }, () => Math.round((r() * 2 - 1) * 100) * ws), [K, N]);
    const w = qdq(`${name}_wraw`, ws, `${name}_w`);
    m.initializer(`${name}_b`, Float32Array.from({ length: N }, () => Math.round((r() * 2 - 1) * 300) * ws * 2 ** -4), [N]);
    m.node('MatMul', [x, w], [`${name}_mm`]);
    m.node('Add', [`${name}_mm`, `${name}_b`], [`${name}_add`]);
    let y = `${name}_add`;
    if (relu) {
      m.node('Relu', [y], [`${name}_relu`]);
      y = `${name}_relu`;
    }
    return qdq(y, 2 ** -4, out);
  };
  const x = qdq('x', 2 ** -4, 'x_q');
  // 'input': the graph input itself is the second half; 'padded': the first branch (5 columns) is padded to the
  // microtile, so its tiles would reach into the second branch's columns.
  const a = dense(x, 'd1', 16, variant === 'padded' ? 5 : 8, true, 'a');
  const b = variant === 'input' ? x : dense(x, 'd2', 16, 8, false, 'b');
  const wc = (variant === 'padded' ? 5 : 8) + (variant === 'input' ? 16 : 8);
  m.node('Concat', [a, b], ['c'], { axis: -1 });
  const h = dense('c', 'd3', wc, 16, true, 'h');
  m.initializer('sl_starts', BigInt64Array.from([8n]), [1]);
  m.initializer('sl_ends', BigInt64Array.from([16n]), [1]);
  m.initializer('sl_axes', BigInt64Array.from([1n]), [1]);
  m.node('Slice', [h, 'sl_starts', 'sl_ends', 'sl_axes'], ['s']);
  dense('s', 'd4', 8, 5, false, 'y');
  return m.toBytes();
}

/**
 * Views at the graph's edges: a Slice of the graph input feeds one Dense, the Concat of two Dense outputs is a graph
 * output (y), and a Slice of that output is another (z).
 */
export function qdqViewsAtPorts(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 16]).output('z', 'float32', ['N', 8]);
  let q = 0;
  const qdq = (inp: string, scale: number, out: string): string => {
    const s = `s${q}`, z = `z${q}`, t = `q${q++}`;
    m.initializer(s, Float32Array.from([scale]), []);
    m.initializer(z, Int8Array.from([0]), []);
    m.node('QuantizeLinear', [inp, s, z], [t]);
    m.node('DequantizeLinear', [t, s, z], [out]);
    return out;
  };
  let seed = 3;
  const r = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const dense = (x: string, name: string, K: number, N: number, out: string): string => {
    const ws = 2 ** -7;
    m.initializer(`${name}_wraw`, Float32Array.from({ length: K * N }, () => Math.round((r() * 2 - 1) * 100) * ws), [K, N]);
    const w = qdq(`${name}_wraw`, ws, `${name}_w`);
    m.node('MatMul', [x, w], [`${name}_mm`]);
    return qdq(`${name}_mm`, 2 ** -4, out);
  };
  const x = qdq('x', 2 ** -4, 'x_q');
  m.initializer('st', BigInt64Array.from([4n]), [1]); m.initializer('en', BigInt64Array.from([12n]), [1]); m.initializer('ax', BigInt64Array.from([1n]), [1]);
  m.node('Slice', [x, 'st', 'en', 'ax'], ['xs']);
  const a = dense('xs', 'd1', 8, 8, 'a');
  const b = dense(x, 'd2', 16, 8, 'b');
  m.node('Concat', [a, b], ['y'], { axis: 1 });
  m.node('Slice', ['y', 'st', 'en', 'ax'], ['z']);
  return m.toBytes();
}
