import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { numbers } from '../models.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, refusal } from './harness.js';

/** x[N, 8] -> PRelu with a slope per element (a constant, or a second input). */
function prelu(runtimeSlope = false): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 8]);
  if (runtimeSlope) m.input('s', 'float32', [8]);
  else m.initializer('s', numbers(8, 41, 0.5), [8]);
  m.node('PRelu', ['x', 's'], ['y'], {}, { name: 'prelu' });
  m.output('y', 'float32', ['N', 8]);
  return m.toBytes();
}

describe('kernel prelu', () => {
  it('is the kernel of PRelu: a merge of x with its slope', () => {
    expect(kernelFor('PRelu')).toMatchObject({ name: 'prelu', header: 'nnet_merge.h', stream: 'merge', constRoles: { 1: 'scale' } });
  });

  it('plans the broadcast of the slope; the slope takes the factors\' default type', async () => {
    const c = await kernelCase(prelu(), 'PRelu');
    expect(c.layer.hls.params).toMatchObject({ n_in: 8, out_shape: [8], slope_shape: [8] });
    expect(c.layer.hls.types['scale']).toEqual({ signed: true, width: 18, integer: 8, rounding: 'RND', overflow: 'SAT' });
  });

  it('refuses a slope computed at run time', async () => {
    expect(await refusal(prelu(true))).toMatch(/node 'prelu' \(PRelu\): its slope \(input 1, 's'\) is computed at run time/);
  });

  it('emits nnet::merge with op_prelu over broadcast strides', async () => {
    const c = await kernelCase(prelu(), 'PRelu');
    expectFields(c.config, { n_out: 8, d3: 8, a_s3: 1, b_s3: 1, same_shape: true });
    expect(c.call).toMatch(/^ {2}nnet::merge<tp_x, tp_\w+, tp_y, cfg_prelu, nnet::op_prelu>\(act_x, w_\w+, act_y\);$/);
    const s = await kernelCase(prelu(), 'PRelu', { io: 'stream' });
    expect(s.cppKernel).toBe('nnet::merge_const_stream');
  });

  it('emulates within the slope\'s quantization and the result rounding', async () => {
    const model = prelu();
    const c = await kernelCase(model, 'PRelu');
    // slope codes with 10 fractional bits (error <= 2^-11) times |x| < 4
    expect(emulationError(model, c, { x: gridValues(8 * 60, 37, 4, 10) }, 60)['y']).toBeLessThanOrEqual(4 * 2 ** -11 + lsb(c.layer.hls.types['result']) / 2);
  });

  it('estimates a constant product and a mux per element', async () => {
    expectEstimate((await kernelCase(prelu(), 'PRelu')).estimate(), { latency: 1, ii: 1, dsp: 3, lut: 368, ff: 167, bram18k: 0 });
  });
});
