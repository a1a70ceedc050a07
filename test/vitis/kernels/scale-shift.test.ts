import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { numbers } from '../models.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, planOf } from './harness.js';

/** x[N, 4, 3] -> BatchNormalization over the 4 channels (folded into a ScaleShift). */
function batchnorm(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 4, 3]);
  m.initializer('s', numbers(4, 51, 1), [4]).initializer('b', numbers(4, 52, 0.5), [4]).initializer('mu', numbers(4, 53, 0.2), [4]);
  m.initializer('var', numbers(4, 54, 0.5).map((v) => 1 + Math.abs(v)), [4]);
  m.node('BatchNormalization', ['x', 's', 'b', 'mu', 'var'], ['y'], {}, { name: 'bn' });
  m.output('y', 'float32', ['N', 4, 3]);
  return m.toBytes();
}

describe('kernel scale-shift', () => {
  it('is the kernel of ScaleShift, in nnet_activation.h', () => {
    expect(kernelFor('ScaleShift')).toMatchObject({ name: 'scale-shift', header: 'nnet_activation.h', constRoles: { 1: 'scale', 2: 'shift' } });
  });

  it('plans channels and the elements per channel; the accumulator holds x * scale + shift exactly', async () => {
    const c = await kernelCase(batchnorm(), 'ScaleShift');
    expect(c.layer.hls.params).toMatchObject({ n_in: 12, n_chan: 4, n_inner: 3, has_shift: 1 });
    const { accum, input, scale, shift } = c.layer.hls.types;
    expect(accum.width - accum.integer).toBe(Math.max(input.width - input.integer + scale.width - scale.integer, shift.width - shift.integer));
  });

  it('refuses scaling along the batch axis', () => {
    expect(planOf(batchnorm(), 'ScaleShift', (n) => { n.attrs['axis'] = 0; })).toBe('it scales along axis 0, the batch axis');
  });

  it('emits nnet::activation with op_scale_shift, per-channel scale and shift', async () => {
    const c = await kernelCase(batchnorm(), 'ScaleShift');
    expectFields(c.config, { n_in: 12, n_chan: 4, inner: 3, has_shift: true, n_scale: 4, n_shift: 4, accum_t: 'tp_bn_accum' });
    expect(c.call).toMatch(/^ {2}nnet::activation<tp_x, tp_y, cfg_bn, nnet::op_scale_shift>\(act_x, act_y, w_\w+, w_\w+\);$/);
  });

  it('emulates within the constants\' quantization and the result rounding', async () => {
    const model = batchnorm();
    const c = await kernelCase(model, 'ScaleShift');
    // 16-bit scale and shift below 2: errors <= 2^-15 each (scale times |x| < 4), then the result's rounding
    expect(emulationError(model, c, { x: gridValues(12 * 50, 43, 4, 10) }, 50)['y']).toBeLessThanOrEqual(5 * 2 ** -15 + lsb(c.layer.hls.types['result']) / 2);
  });

  it('estimates one constant product per element', async () => {
    expectEstimate((await kernelCase(batchnorm(), 'ScaleShift')).estimate(), { latency: 1, ii: 1, dsp: 12, lut: 564, ff: 250, bram18k: 0 });
  });
});
