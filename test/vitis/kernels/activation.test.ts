import { attr } from 'firmflow';
import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder } from './harness.js';

/** x[N, 8] through Relu, LeakyRelu(0.1), Clip[-0.5, 6], HardSigmoid(0.2, 0.5) and Softsign, one output each. */
function activations(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 8]);
  m.initializer('lo', [-0.5], []).initializer('hi', [6], []);
  m.node('Relu', ['x'], ['relu'], {}, { name: 'relu' });
  m.node('LeakyRelu', ['x'], ['leaky'], { alpha: attr.float(0.1) }, { name: 'leaky' });
  m.node('Clip', ['x', 'lo', 'hi'], ['clip'], {}, { name: 'clip' });
  m.node('HardSigmoid', ['x'], ['hsig'], { alpha: attr.float(0.2), beta: attr.float(0.5) }, { name: 'hsig' });
  m.node('Softsign', ['x'], ['ssign'], {}, { name: 'ssign' });
  for (const o of ['relu', 'leaky', 'clip', 'hsig', 'ssign']) m.output(o, 'float32', ['N', 8]);
  return m.toBytes();
}
const OPS = ['Relu', 'LeakyRelu', 'Clip', 'HardSigmoid', 'Softsign'];

describe('kernel activation', () => {
  it('is the kernel of the table-free activations, in nnet_activation.h', () => {
    for (const op of OPS) expect(kernelFor(op)?.name, op).toBe('activation');
  });

  it('plans every element; quantizes the constant factors once into codes of the scale type (fixed<18,8>)', async () => {
    const kernels = await Promise.all(OPS.map(async (op) => (await kernelCase(activations(), op)).layer.hls));
    expect(kernels.map((h) => h.kernel)).toEqual(['relu', 'leaky_relu', 'clip', 'hard_sigmoid', 'softsign']);
    for (const h of kernels) expect(h.params['n_in']).toBe(8);
    const [, leaky, clip, hsig, ssign] = kernels;
    expect(leaky.params['alpha_code']).toBe(102); // round(0.1 * 2^10)
    expect(clip.params).toMatchObject({ has_min: 1, has_max: 1, min_code: -512, max_code: 6144 });
    expect(hsig.params).toMatchObject({ alpha_code: 205, beta_code: 512 });
    // Softsign divides in an accumulator with 8 more fractional bits than the input's
    expect(ssign.types['accum']).toMatchObject({ width: 26, integer: 8 });
  });

  it('emits nnet::activation with the op functor and its factors', async () => {
    const relu = await kernelCase(activations(), 'Relu');
    expectFields(relu.config, { n_in: 8, n_chan: 1, inner: 1 });
    expect(relu.call).toBe('  nnet::activation<tp_x, tp_relu, cfg_relu, nnet::op_relu>(act_x, act_relu, (const nnet::no_const_t*)0, (const nnet::no_const_t*)0);');
    const leaky = await kernelCase(activations(), 'LeakyRelu');
    expectFields(leaky.config, { scale_t: 'tp_leaky_scale' });
    expect(leaky.call).toMatch(/nnet::op_leaky_relu>\(act_x, act_leaky, k_leaky_alpha, \(const nnet::no_const_t\*\)0\);$/);
    const clip = await kernelCase(activations(), 'Clip', { io: 'stream' });
    expect(clip.cppKernel).toBe('nnet::activation_stream<op_clip>');
    expectFields(clip.config, { has_min: true, has_max: true });
    expect(clip.call).toMatch(/k_clip_min, k_clip_max\);$/);
  });

  it('emulates Relu and Clip bit-exactly, the factors within their quantization, Softsign within its rounding', async () => {
    const model = activations();
    const c = await kernelCase(model, 'Relu');
    const err = emulationError(model, c, { x: gridValues(8 * 100, 3, 4, 10) }, 100);
    const half = lsb(c.layer.hls.types['result']) / 2;
    expect(err['relu']).toBe(0);
    expect(err['clip']).toBe(0);
    // |alpha_q - alpha| = |102/1024 - 0.1| times |x| < 4, then the result's rounding
    expect(err['leaky']).toBeLessThanOrEqual(4 * Math.abs(102 / 1024 - 0.1) + half);
    expect(err['hsig']).toBeLessThanOrEqual(4 * Math.abs(205 / 1024 - 0.2) + half);
    expect(err['ssign']).toBeLessThanOrEqual(2 ** -18 + half);
  });

  it('estimates per-element logic: a mux for Relu, a constant product for LeakyRelu, a divider for Softsign', async () => {
    expectEstimate((await kernelCase(activations(), 'Relu')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 64, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(activations(), 'LeakyRelu')).estimate(), { latency: 1, ii: 1, dsp: 8, lut: 256, ff: 167, bram18k: 0 });
    const s = (await kernelCase(activations(), 'Softsign')).estimate();
    expect(s.notes).toContain('one divider per element');
    expectEstimate(s, { latency: 3, ii: 1, dsp: 0, lut: 3456, ff: 500, bram18k: 0 });
  });
});
