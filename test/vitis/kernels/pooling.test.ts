import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, planOf, refusal } from './harness.js';

/** x[N, 2, 6, 6] -> MaxPool 2x2/2 and AveragePool 3x3/1 pad 1 (pads excluded). */
function pools(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 2, 6, 6]);
  m.node('MaxPool', ['x'], ['mp'], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'maxpool' });
  m.node('AveragePool', ['x'], ['ap'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 0 }, { name: 'avgpool' });
  m.output('mp', 'float32', ['N', 2, 3, 3]).output('ap', 'float32', ['N', 2, 6, 6]);
  return m.toBytes();
}

/** x[N, 1, 2, 4, 4] -> MaxPool 2x2x2: 3-D windows. */
function pool3d(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 1, 2, 4, 4]);
  m.node('MaxPool', ['x'], ['y'], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }, { name: 'pool3d' });
  m.output('y', 'float32', ['N', 1, 1, 2, 2]);
  return m.toBytes();
}

describe('kernel pooling', () => {
  it('is the kernel of MaxPool and AveragePool, in nnet_pooling.h, line-buffered in io_stream', () => {
    expect(kernelFor('MaxPool')).toBe(kernelFor('AveragePool'));
    expect(kernelFor('MaxPool')).toMatchObject({ name: 'pooling', header: 'nnet_pooling.h', stream: 'line-buffer' });
  });

  it('plans the window; average pooling carries 1/n for every tap count in its scale type', async () => {
    const mp = await kernelCase(pools(), 'MaxPool');
    expect(mp.layer.hls.kernel).toBe('pooling2d');
    expect(mp.layer.hls.params).toMatchObject({ in_height: 6, in_width: 6, n_chan: 2, pool_height: 2, pool_width: 2, stride_height: 2, out_height: 3, out_width: 3, pool_op: 'max', ceil_mode: 0 });
    const ap = await kernelCase(pools(), 'AveragePool');
    expect(ap.layer.hls.params).toMatchObject({ pool_op: 'average', count_include_pad: 0, pad_top: 1, out_height: 6 });
    // ufixed<18,1,RND_CONV,SAT>: 17 fractional bits, entry n = round(2^17 / n)
    expect(ap.layer.hls.params['inv_count_codes']).toEqual([0, 131072, 65536, 43691, 32768, 26214, 21845, 18725, 16384, 14564]);
    // Max pooling selects input values: its result keeps the input's type
    expect(mp.layer.hls.types['result']).toEqual(mp.layer.hls.types['input']);
  });

  it('refuses channels-first data and windows over more than two spatial axes', async () => {
    // The frontend already refuses 3-D windows; the planner on its own refuses them and channels-first data.
    expect(await refusal(pool3d())).toMatch(/node 'pool3d' \(MaxPool\): kernel_shape \[2, 2, 2\] is 3-D/);
    expect(planOf(pools(), 'MaxPool', (n) => { n.attrs['layout'] = 'NCHW'; })).toMatch(/^it is still channels-first \(NCHW\)/);
  });

  it('emits nnet::pooling2d with the window and, for averages, the 1/n table', async () => {
    const ap = await kernelCase(pools(), 'AveragePool');
    expectFields(ap.config, { pool_height: 3, pool_width: 3, stride_height: 1, pad_top: 1, pad_left: 1, out_height: 6, out_width: 6, is_max: false, count_include_pad: false });
    expect(ap.config).toMatch(/typedef tp_avgpool_inv_count scale_t;/);
    expect(ap.call).toMatch(/^ {2}nnet::pooling2d<tp_\w+, tp_\w+, cfg_avgpool>\(act_\w+, act_\w+, k_avgpool_inv_count\);$/);
    const mp = await kernelCase(pools(), 'MaxPool', { io: 'stream' });
    expect(mp.cppKernel).toBe('nnet::pooling2d_stream');
    expect(mp.call).toMatch(/\(const nnet::no_const_t\*\)0\);$/);
  });

  it('emulates max pooling bit-exactly and averages within 1/n and the result rounding', async () => {
    const model = pools();
    const c = await kernelCase(model, 'AveragePool');
    const x = gridValues(72 * 30, 5, 4, 10);
    const err = emulationError(model, c, { x }, 30);
    expect(err['mp']).toBe(0);
    // |inv_q(n) - 1/n| <= 2^-18 times a sum of at most 9 inputs below 4, then the result's rounding
    expect(err['ap']).toBeLessThanOrEqual(9 * 4 * 2 ** -18 + lsb(c.layer.hls.types['result']) / 2);
  });

  it('estimates a comparator tree (max) and an adder tree times 1/n (average)', async () => {
    expectEstimate((await kernelCase(pools(), 'MaxPool')).estimate(), { latency: 8, ii: 9, dsp: 0, lut: 272, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(pools(), 'AveragePool')).estimate(), { latency: 36, ii: 36, dsp: 2, lut: 544, ff: 52, bram18k: 0 });
  });
});
