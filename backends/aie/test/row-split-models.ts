/*
 * Small int8 QDQ models (power-of-two scales) of one row-parallel layer each, for the row-split writer tests:
 * Add of two runtime tensors, Add of a constant (broadcast along the leading axes), ReLU with a change of scale,
 * Softmax, LayerNorm and Transpose of the last two axes. The layer's node is named `layer`.
 */
import { sizeOf } from 'firmflow';
import { QdqModelBuilder } from './qdq-builder.js';

export type RowKind = 'add' | 'addConst' | 'addConstRow' | 'relu' | 'softmax' | 'layernorm' | 'transpose';

/** One row-parallel layer over x of shape [N, ...sample]; the output is QDQ'd (y). */
export function rowLayerModel(kind: RowKind, sample: number[] = [5, 16], seed = 11): Uint8Array {
  const m = new QdqModelBuilder(17, seed);
  const cols = sample[sample.length - 1];
  const outSample = kind === 'transpose' ? [...sample.slice(0, -2), sample[sample.length - 1], sample[sample.length - 2]] : sample;
  m.input('x', 'float32', ['N', ...sample]);
  if (kind === 'add') m.input('x2', 'float32', ['N', ...sample]);
  m.output('y', 'float32', ['N', ...outSample]);
  const x = m.qdq('x', 2 ** -4, 'xq');
  const named = { name: 'layer' };
  switch (kind) {
    case 'add': {
      const x2 = m.qdq('x2', 2 ** -5, 'x2q');
      m.node('Add', [x, x2], ['h'], {}, named);
      m.qdq('h', 2 ** -4, 'y');
      break;
    }
    case 'addConst':
    case 'addConstRow': {
      // A [rows, cols] table (a positional encoding) or one [cols] row, on the 2^-6 grid.
      const cShape = kind === 'addConst' ? sample : [cols];
      const n = sizeOf(cShape);
      m.initializer('c_raw', m.onGrid(n, 120, 2 ** -6), cShape);
      const c = m.qdq('c_raw', 2 ** -6, 'c');
      m.node('Add', [x, c], ['h'], {}, named);
      m.qdq('h', 2 ** -5, 'y');
      break;
    }
    case 'relu':
      m.node('Relu', [x], ['h'], {}, named);
      m.qdq('h', 2 ** -3, 'y');
      break;
    case 'softmax':
      m.node('Softmax', [x], ['h'], { axis: -1 }, named);
      m.qdq('h', 2 ** -7, 'y');
      break;
    case 'layernorm':
      m.initializer('gamma', Float32Array.from({ length: cols }, () => 0.5 + m.random()), [cols]);
      m.initializer('beta', Float32Array.from({ length: cols }, () => (m.random() - 0.5) * 0.5), [cols]);
      m.node('LayerNormalization', [x, 'gamma', 'beta'], ['h'], { axis: -1, epsilon: 1e-5 }, named);
      m.qdq('h', 2 ** -5, 'y');
      break;
    case 'transpose':
      m.node('Transpose', [x], ['h'], { perm: [0, ...sample.map((_, i) => i + 1).slice(0, -2), sample.length, sample.length - 1] }, named);
      m.qdq('h', 2 ** -4, 'y');
      break;
  }
  return m.toBytes();
}

/**
 * Two row-parallel layers whose outputs are column regions of one Concat (a view): ReLU (`layer`) and Add of a
 * constant row (`layer2`) of x [N, 5, 16], concatenated along the last axis into y [N, 5, 32]; or (`rows`) of one
 * sample x [1, 5, 16], concatenated along the rows into y [1, 10, 16].
 */
export function splitConcatModel(seed = 3, along: 'cols' | 'rows' = 'cols'): Uint8Array {
  const m = new QdqModelBuilder(17, seed);
  if (along === 'cols') m.input('x', 'float32', ['N', 5, 16]).output('y', 'float32', ['N', 5, 32]);
  else m.input('x', 'float32', [1, 5, 16]).output('y', 'float32', [1, 10, 16]);
  const x = m.qdq('x', 2 ** -4, 'xq');
  m.node('Relu', [x], ['h1'], {}, { name: 'layer' });
  const a = m.qdq('h1', 2 ** -4, 'a');
  m.initializer('c_raw', m.onGrid(16, 60, 2 ** -4), [16]);
  const c = m.qdq('c_raw', 2 ** -4, 'c');
  m.node('Add', [x, c], ['h2'], {}, { name: 'layer2' });
  const b = m.qdq('h2', 2 ** -4, 'b');
  m.node('Concat', [a, b], ['y'], { axis: along === 'cols' ? -1 : 1 });
  return m.toBytes();
}
