import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** x[N, 3, 4] -> Relu -> Pad(begin [1, 0], end [2, 1], value 0.25) -> y[N, 6, 5]. */
function pad(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 4]);
  m.initializer('pads', [0, 1, 0, 0, 2, 1], [6], { dtype: 'int64' }).initializer('v', [0.25], []);
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('Pad', ['r', 'pads', 'v'], ['y'], { mode: 'constant' }, { name: 'pad' });
  m.output('y', 'float32', ['N', 6, 5]);
  return m.toBytes();
}

describe('kernel pad', () => {
  it('is the kernel of Pad, in nnet_transform.h', () => {
    expect(kernelFor('Pad')).toMatchObject({ name: 'pad', header: 'nnet_transform.h' });
  });

  it('plans the pads of the per-sample axes and the value', async () => {
    const c = await kernelCase(pad(), 'Pad');
    expect(c.layer.hls.params).toMatchObject({ in_shape: [3, 4], out_shape: [6, 5], pad_begin: [1, 0], pad_end: [2, 1], value: 0.25 });
  });

  it('refuses padding the batch axis and cropping', () => {
    expect(planOf(pad(), 'Pad', (n) => { n.attrs['pads'] = [1, 1, 0, 0, 2, 1]; })).toBe('it pads the batch axis');
    expect(planOf(pad(), 'Pad', (n) => { n.attrs['pads'] = [0, -1, 0, 0, 2, 1]; })).toBe('negative pads (cropping) are not supported');
  });

  it('emits nnet::pad with the shapes and the pad value in the result type', async () => {
    const c = await kernelCase(pad(), 'Pad');
    expectFields(c.config, { n_out: 30, d2: 6, d3: 5, e2: 3, e3: 4, b2: 1, b3: 0, pad_t: 'tp_pad_pad_value' });
    expect(c.call).toBe('  nnet::pad<tp_r, tp_y, cfg_pad>(act_r, act_y, k_pad_pad_value);');
    expect((await kernelCase(pad(), 'Pad', { io: 'stream' })).cppKernel).toBe('nnet::pad (buffered)');
  });

  it('emulates bit-exactly (0.25 is exact in the result type)', async () => {
    const model = pad();
    const c = await kernelCase(model, 'Pad');
    expect(emulationError(model, c, { x: gridValues(12 * 20, 71, 4, 10) }, 20)['y']).toBe(0);
  });

  it('estimates wiring in io_parallel and the whole tensor buffered in io_stream', async () => {
    expectEstimate((await kernelCase(pad(), 'Pad')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 0, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(pad(), 'Pad', { io: 'stream' })).estimate(), { latency: 14, ii: 14, dsp: 0, lut: 32, ff: 0, bram18k: 0 });
  });
});
