import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** x[N, 6, 4] -> Relu -> Reshape to [N, 24] -> y (the Relu keeps the reshape off the graph input). */
function reshape(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 6, 4]);
  m.initializer('shape', [0, 24], [2], { dtype: 'int64' });
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('Reshape', ['r', 'shape'], ['y'], {}, { name: 'reshape' });
  m.output('y', 'float32', ['N', 24]);
  return m.toBytes();
}

describe('kernel reshape', () => {
  it('is the kernel of Reshape, Flatten, Squeeze and Unsqueeze', () => {
    for (const op of ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']) expect(kernelFor(op)?.name, op).toBe('reshape');
  });

  it('plans the sample\'s values in order; the result keeps the input\'s type', async () => {
    const c = await kernelCase(reshape(), 'Reshape');
    expect(c.layer.hls.params).toMatchObject({ n_in: 24, in_shape: [6, 4], out_shape: [24] });
    expect(c.layer.hls.types['result']).toEqual(c.layer.hls.types['input']);
  });

  it('refuses changing the batch axis', () => {
    expect(planOf(reshape(), 'Reshape', (n, g) => { g.tensor(n.outputs[0]).shape = [2, 12]; })).toMatch(/^it changes the batch axis \(N -> 2\)/);
  });

  it('emits a copy (op_linear) in io_parallel and a repacking of beats in io_stream', async () => {
    const c = await kernelCase(reshape(), 'Reshape');
    expectFields(c.config, { n_in: 24 });
    expect(c.call).toBe('  nnet::activation<tp_r, tp_y, cfg_reshape, nnet::op_linear>(act_r, act_y, (const nnet::no_const_t*)0, (const nnet::no_const_t*)0);');
    const s = await kernelCase(reshape(), 'Reshape', { io: 'stream' });
    expect(s.call).toBe('  nnet::repack_stream<beat_r, beat_y, 24>(act_r, act_y);');
  });

  it('emulates bit-exactly', async () => {
    const model = reshape();
    const c = await kernelCase(model, 'Reshape');
    expect(emulationError(model, c, { x: gridValues(24 * 20, 59, 4, 10) }, 20)['y']).toBe(0);
  });

  it('estimates wiring in io_parallel and a buffer when the stream is repacked', async () => {
    expectEstimate((await kernelCase(reshape(), 'Reshape')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 0, ff: 0, bram18k: 0 });
    const s = (await kernelCase(reshape(), 'Reshape', { io: 'stream' })).estimate();
    expect(s.notes).toContain('whole tensor buffered (24 values)');
    expectEstimate(s, { latency: 7, ii: 7, dsp: 0, lut: 32, ff: 0, bram18k: 0 });
  });
});
