/* Models of the kernel coverage tests: many kernels in one model, so one g++ build covers them all. */
import { attr, ModelBuilder } from 'firmflow';
import { numbers } from '../models.js';

const f = attr.float;

/**
 * x[N, 8, 6] through every element-wise kernel no other test compiles: Softsign, HardSigmoid, Clip, Softplus, Elu,
 * Selu, LayerNormalization (last axis), PRelu (a slope per channel, broadcast), Sub and Mul (of two activations and
 * of a constant), Transpose and Pad. Three outputs:
 *   y1 = LayerNorm(Pad(Transpose(Softsign(x) - HardSigmoid(x))))   [N, 7, 11] (the LayerNorm keeps the Transpose)
 *   y2 = Clip(x) * Softplus(x) - PRelu(x)                          [N, 8, 6]
 *   y3 = (Elu(x) - Selu(x)) * c                                    [N, 8, 6]
 */
export function elementwiseZoo(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 }, producer: 'firmflow tests' });
  m.input('x', 'float32', ['N', 8, 6]);
  m.node('Softsign', ['x'], ['a'], {}, { name: 'softsign' });
  m.node('HardSigmoid', ['x'], ['b'], { alpha: f(0.3), beta: f(0.45) }, { name: 'hard_sigmoid' });
  m.node('Sub', ['a', 'b'], ['s1'], {}, { name: 'sub_ab' });
  m.node('Transpose', ['s1'], ['t1'], { perm: [0, 2, 1] }, { name: 'transpose' });
  m.initializer('pads', [0, 1, 2, 0, 0, 1], [6], { dtype: 'int64' });
  m.initializer('pad_value', [0.25], []);
  m.node('Pad', ['t1', 'pads', 'pad_value'], ['p1'], { mode: 'constant' }, { name: 'pad' });
  m.initializer('gamma', numbers(11, 32, 1), [11]).initializer('beta', numbers(11, 33, 0.2), [11]);
  m.node('LayerNormalization', ['p1', 'gamma', 'beta'], ['y1'], { axis: -1, epsilon: f(1e-5) }, { name: 'layernorm' });
  m.initializer('clip_lo', [-0.5], []);
  m.initializer('clip_hi', [0.75], []);
  m.node('Clip', ['x', 'clip_lo', 'clip_hi'], ['c'], {}, { name: 'clip' });
  m.node('Softplus', ['x'], ['d'], {}, { name: 'softplus' });
  m.node('Mul', ['c', 'd'], ['m1'], {}, { name: 'mul_cd' });
  m.initializer('slope', numbers(8, 31, 0.5), [8, 1]);
  m.node('PRelu', ['x', 'slope'], ['h'], {}, { name: 'prelu' });
  m.node('Sub', ['m1', 'h'], ['y2'], {}, { name: 'sub_h' });
  m.node('Elu', ['x'], ['e'], { alpha: f(0.8) }, { name: 'elu' });
  m.node('Selu', ['x'], ['s'], {}, { name: 'selu' });
  m.node('Sub', ['e', 's'], ['s2'], {}, { name: 'sub_es' });
  m.initializer('cst', numbers(6, 34, 0.8), [6]);
  m.node('Mul', ['s2', 'cst'], ['y3'], {}, { name: 'mul_const' });
  m.output('y1', 'float32', ['N', 7, 11]);
  m.output('y2', 'float32', ['N', 8, 6]);
  m.output('y3', 'float32', ['N', 8, 6]);
  return m.toBytes();
}
