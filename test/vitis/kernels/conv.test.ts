import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { numbers } from '../models.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, refusal } from './harness.js';

/** x[N, c, 6, 6] -> Conv(f filters, 3x3, pad 1, `group`) (+ bias). */
function conv2d(c: number, f: number, group = 1): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', c, 6, 6]);
  m.initializer('w', numbers(f * (c / group) * 9, 5, 0.5), [f, c / group, 3, 3]).initializer('b', numbers(f, 6, 0.1), [f]);
  m.node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group }, { name: 'conv' });
  m.output('y', 'float32', ['N', f, 6, 6]);
  return m.toBytes();
}

/** x[N, 3, 12] -> Conv1d(5 filters, width 3, stride 2, no padding). */
function conv1d(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 12]);
  m.initializer('w', numbers(5 * 3 * 3, 7, 0.5), [5, 3, 3]);
  m.node('Conv', ['x', 'w'], ['y'], { kernel_shape: [3], strides: [2] }, { name: 'conv' });
  m.output('y', 'float32', ['N', 5, 5]);
  return m.toBytes();
}

describe('kernel conv', () => {
  it('is the kernel of Conv, in nnet_conv.h, line-buffered in io_stream', () => {
    expect(kernelFor('Conv')).toMatchObject({ name: 'conv', header: 'nnet_conv.h', stream: 'line-buffer', parallelization: true });
  });

  it('plans channels-last geometry; n_in x n_out is the window times the channels (depthwise: the window)', async () => {
    const c = await kernelCase(conv2d(2, 3), 'Conv');
    expect(c.layer.hls.kernel).toBe('conv2d_latency');
    expect(c.layer.hls.params).toMatchObject({
      in_height: 6, in_width: 6, n_chan: 2, filt_height: 3, filt_width: 3, n_filt: 3, pad_top: 1, pad_left: 1, pad_bottom: 1, pad_right: 1,
      out_height: 6, out_width: 6, has_bias: 1, weight_layout: 'HWIO', n_mult_in: 18, n_mult_out: 3,
    });
    const d = await kernelCase(conv2d(2, 2, 2), 'Conv');
    expect(d.layer.hls.kernel).toBe('depthwise_conv2d_latency');
    expect(d.layer.hls.params).toMatchObject({ depth_multiplier: 1, n_mult_in: 9, n_mult_out: 2 });
    const o = await kernelCase(conv1d(), 'Conv');
    expect(o.layer.hls.kernel).toBe('conv1d_latency');
    expect(o.layer.hls.params).toMatchObject({ in_width: 12, n_chan: 3, filt_width: 3, stride_width: 2, out_width: 5, n_filt: 5, has_bias: 0, n_mult_in: 9 });
    const p = await kernelCase(conv2d(2, 3), 'Conv', { config: { LayerType: { Conv: { ParallelizationFactor: 2 } } } });
    expect(p.layer.hls.parallelization).toBe(2);
  });

  it('refuses grouped convolutions other than depthwise', async () => {
    expect(await refusal(conv2d(4, 4, 2))).toMatch(/grouped convolution with 2 groups over 4 channels \(only group 1 and depthwise/);
  });

  it('emits nnet::conv_2d / conv_1d with the geometry, reuse and parallelization', async () => {
    const c = await kernelCase(conv2d(2, 3), 'Conv', { config: { LayerType: { Conv: { ParallelizationFactor: 2 } } } });
    expectFields(c.config, {
      in_height: 6, in_width: 6, n_chan: 2, filt_height: 3, filt_width: 3, n_filt: 3, n_groups: 1, stride_height: 1, stride_width: 1,
      pad_top: 1, pad_left: 1, out_height: 6, out_width: 6, reuse_factor: 1, parallelization: 2, strategy_resource: false, has_bias: true,
    });
    expect(c.call).toMatch(/^ {2}nnet::conv_2d<tp_\w+, tp_\w+, cfg_conv>\(act_\w+, act_\w+, w_\w+, w_\w+\);$/);
    const o = await kernelCase(conv1d(), 'Conv', { io: 'stream' });
    expect(o.cppKernel).toBe('nnet::conv_1d_stream');
    expectFields(o.config, { in_height: 1, filt_height: 1, has_bias: false });
  });

  it('emulates within its weights\' and result\'s rounding', async () => {
    const model = conv2d(2, 3);
    const c = await kernelCase(model, 'Conv');
    const x = gridValues(2 * 36 * 20, 11, 2, 10);
    // 18 taps of |x| < 2 times |w_q - w| <= 2^-16, the bias 2^-16, the result's rounding 1/2 LSB
    const tol = 18 * 2 * 2 ** -16 + 2 ** -16 + lsb(c.layer.hls.types['result']) / 2;
    expect(emulationError(model, c, { x }, 20)['y']).toBeLessThanOrEqual(tol);
  });

  it('estimates the pixel loop: one window per cycle in io_parallel, the line buffer in io_stream', async () => {
    expectEstimate((await kernelCase(conv2d(2, 3), 'Conv')).estimate(), { latency: 37, ii: 36, dsp: 54, lut: 3504, ff: 1022, bram18k: 0 });
    const s = (await kernelCase(conv2d(2, 3), 'Conv', { io: 'stream' })).estimate();
    expect(s.notes.join(' ')).toMatch(/line buffer 3 x 8 x 2/);
    expectEstimate(s, { latency: 84, ii: 84, dsp: 54, lut: 336, ff: 1022, bram18k: 0 });
  });
});
