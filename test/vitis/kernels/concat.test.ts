import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** a[N, 3, 4], b[N, 2, 4] -> Relu each -> Concat along `axis` (1: rows, or 2 with b[N, 3, 2]: the last axis). */
function concat(axis = 1): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  const bShape = axis === 1 ? ['N', 2, 4] : ['N', 3, 2];
  m.input('a', 'float32', ['N', 3, 4]).input('b', 'float32', bShape);
  m.node('Relu', ['a'], ['ra'], {}, { name: 'relu_a' }).node('Relu', ['b'], ['rb'], {}, { name: 'relu_b' });
  m.node('Concat', ['ra', 'rb'], ['y'], { axis }, { name: 'concat' });
  m.output('y', 'float32', axis === 1 ? ['N', 5, 4] : ['N', 3, 6]);
  return m.toBytes();
}

describe('kernel concat', () => {
  it('is the kernel of Concat, reading its inputs in lock step', () => {
    expect(kernelFor('Concat')).toMatchObject({ name: 'concat', header: 'nnet_transform.h', stream: 'merge' });
  });

  it('plans the per-sample axis and every input\'s shape; the result holds every input\'s type', async () => {
    const c = await kernelCase(concat(), 'Concat');
    expect(c.layer.hls.params).toMatchObject({ axis: 0, n_inputs: 2, out_shape: [5, 4], in0_shape: [3, 4], in1_shape: [2, 4] });
    expect(c.layer.hls.types['result']).toEqual(c.layer.hls.types['input']);
  });

  it('refuses the batch axis and constant operands', () => {
    expect(planOf(concat(), 'Concat', (n) => { n.attrs['axis'] = 0; })).toBe('it concatenates along the batch axis');
    expect(planOf(concat(), 'Concat', (n, g) => { g.tensor(n.inputs[1]).data = new Float32Array(8); })).toMatch(/^constant operand '\w+' \(expected activations\)$/);
  });

  it('emits one concat_part per input at its offset; two inputs along the last axis stream beat by beat', async () => {
    const c = await kernelCase(concat(), 'Concat');
    expect(c.config).toContain('struct cfg_concat_0 : nnet::concat_config');
    expectFields(c.config.split('struct cfg_concat_1')[0], { n_outer: 1, in_inner: 12, out_inner: 20, offset: 0 });
    expectFields(c.config.split('struct cfg_concat_1')[1], { in_inner: 8, offset: 12 });
    expect(c.call).toBe('  nnet::concat_part<tp_ra, tp_y, cfg_concat_0>(act_ra, act_y);\n  nnet::concat_part<tp_rb, tp_y, cfg_concat_1>(act_rb, act_y);');
    const s = await kernelCase(concat(2), 'Concat', { io: 'stream' });
    expect(s.cppKernel).toBe('nnet::concat_last_stream');
    expectFields(s.config, { n_beats: 3 });
  });

  it('emulates bit-exactly', async () => {
    const model = concat();
    const c = await kernelCase(model, 'Concat');
    expect(emulationError(model, c, { a: gridValues(12 * 20, 67, 4, 10), b: gridValues(8 * 20, 68, 4, 10) }, 20)['y']).toBe(0);
  });

  it('estimates wiring in io_parallel and the whole tensor buffered in io_stream', async () => {
    expectEstimate((await kernelCase(concat(), 'Concat')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 0, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(concat(), 'Concat', { io: 'stream' })).estimate(), { latency: 10, ii: 10, dsp: 0, lut: 32, ff: 0, bram18k: 0 });
  });
});
