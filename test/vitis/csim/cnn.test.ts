import { describe, expect, it } from 'vitest';
import { interpret, loadModel, ModelBuilder } from 'firmflow';
import { buildProject } from '../helpers.js';
import { numbers } from '../models.js';

/*
 * Convolutional kernels through whole models: conv2d (padding, stride), depthwise, pointwise, max/average/global
 * pooling, nearest upsampling, channel concatenation, add, sigmoid, conv1d (stride, dilation), tanh, leaky relu,
 * flatten and dense. io_parallel and io_stream must compute the same bits, which the emulator must reproduce.
 */

function cnn2d(): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 3, 8, 8]);
  m.initializer('w1', numbers(6 * 3 * 9, 11, 0.4), [6, 3, 3, 3]).initializer('b1', numbers(6, 12, 0.1), [6]);
  m.node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv1' });
  m.node('Relu', ['c1'], ['r1']);
  m.node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool1' });
  m.initializer('wd', numbers(6 * 9, 13, 0.5), [6, 1, 3, 3]).initializer('bd', numbers(6, 14, 0.1), [6]);
  m.node('Conv', ['p1', 'wd', 'bd'], ['d1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 6 }, { name: 'depthwise' });
  m.initializer('wp', numbers(4 * 6, 15, 0.5), [4, 6, 1, 1]);
  m.node('Conv', ['d1', 'wp'], ['q1'], { kernel_shape: [1, 1] }, { name: 'pointwise' });
  m.node('Sigmoid', ['q1'], ['s1']);
  m.initializer('scales', [1, 1, 2, 2], [4]);
  m.node('Resize', ['s1', '', 'scales'], ['u1'], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, { name: 'up' });
  m.node('Concat', ['r1', 'u1'], ['k1'], { axis: 1 }, { name: 'cat' });
  m.node('AveragePool', ['k1'], ['a1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }, { name: 'avg' });
  m.initializer('w2', numbers(10 * 10 * 9, 16, 0.3), [10, 10, 3, 3]);
  m.node('Conv', ['a1', 'w2'], ['c2'], { kernel_shape: [3, 3], strides: [1, 1] }, { name: 'conv2' });
  m.node('Add', ['c2', 'c2'], ['e2'], {}, { name: 'add' });
  m.node('GlobalAveragePool', ['e2'], ['g'], {}, { name: 'gap' });
  m.node('Flatten', ['g'], ['f'], { axis: 1 });
  m.initializer('wf', numbers(10 * 4, 17, 0.5), [4, 10]).initializer('bf', numbers(4, 18, 0.1), [4]);
  m.node('Gemm', ['f', 'wf', 'bf'], ['y'], { transB: 1 }, { name: 'fc' });
  m.output('y', 'float32', ['N', 4]);
  return m.toBytes();
}

function cnn1d(): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 4, 20]);
  m.initializer('w1', numbers(8 * 4 * 3, 21, 0.4), [8, 4, 3]).initializer('b1', numbers(8, 22, 0.1), [8]);
  m.node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3], strides: [2], pads: [1, 1] }, { name: 'conv1' });
  m.node('Tanh', ['c1'], ['t1']);
  m.initializer('w2', numbers(5 * 8 * 3, 23, 0.4), [5, 8, 3]);
  m.node('Conv', ['t1', 'w2'], ['c2'], { kernel_shape: [3], dilations: [2] }, { name: 'conv2' });
  m.node('LeakyRelu', ['c2'], ['l2'], { alpha: { __attr: true, msg: { type: 1, f: 0.1 } } as never });
  m.node('MaxPool', ['l2'], ['p2'], { kernel_shape: [2], strides: [2] }, { name: 'pool' });
  m.node('Flatten', ['p2'], ['f'], { axis: 1 });
  m.initializer('wf', numbers(15 * 3, 24, 0.4), [15, 3]);
  m.node('MatMul', ['f', 'wf'], ['y'], {}, { name: 'fc' });
  m.output('y', 'float32', ['N', 3]);
  return m.toBytes();
}

const N = 8;

async function check(model: Uint8Array, shape: number[], out: string, tol: number): Promise<void> {
  const per = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from(numbers(N * per, 5, 1.5));
  const feed = { x: { shape: [N, ...shape], data: x } };
  const par = await buildProject(model, { precision: 'fixed<24,10>' });
  const str = await buildProject(model, { precision: 'fixed<24,10>', io: 'stream' });
  expect(par.build.diagnostics).toBe('');
  expect(str.build.diagnostics).toBe('');
  const yp = (await par.sim.predict(feed))[out];
  const ys = (await str.sim.predict(feed))[out];
  expect(Array.from(ys.data)).toEqual(Array.from(yp.data));
  const emu = (par.project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)(feed);
  expect(Array.from(yp.data)).toEqual(Array.from(emu[out].data));
  const ref = interpret(loadModel(model), feed)[out].data;
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(yp.data[i] - ref[i]));
  expect(err).toBeLessThan(tol);
  expect(err).toBeGreaterThan(0); // fixed point, not float: some rounding shows
}

describe('convolutional models in C simulation', () => {
  it('2-D: conv, depthwise, pointwise, pooling, upsampling, concat, add; parallel == stream == emulator', async () => {
    await check(cnn2d(), [3, 8, 8], 'y', 0.05);
  });
  it('1-D: strided and dilated conv, tanh, leaky relu, max pool, dense; parallel == stream == emulator', async () => {
    await check(cnn1d(), [4, 20], 'y', 0.05);
  });
});
