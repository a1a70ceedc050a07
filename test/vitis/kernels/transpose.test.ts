import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { permutationMap, samplePerm } from '../../../backends/vitis/layout.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** x[N, 3, 4] -> Relu -> Transpose(perm) -> t; y = t + b (b[N, 4, 3]), t an output too (the Add keeps the Transpose
 *  from sinking into a port's layout). */
function transpose(perm = [0, 2, 1]): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 4]).input('b', 'float32', ['N', 4, 3]);
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('Transpose', ['r'], ['t'], { perm }, { name: 'transpose' });
  m.node('Add', ['t', 'b'], ['y'], {}, { name: 'add' });
  m.output('y', 'float32', ['N', 4, 3]).output('t', 'float32', ['N', 4, 3]);
  return m.toBytes();
}

describe('kernel transpose', () => {
  it('is the kernel of Transpose, in nnet_transform.h', () => {
    expect(kernelFor('Transpose')).toMatchObject({ name: 'transpose', header: 'nnet_transform.h' });
  });

  it('plans the per-sample permutation (the one permutation rule of layout.ts)', async () => {
    const c = await kernelCase(transpose(), 'Transpose');
    expect(c.layer.hls.params).toMatchObject({ perm: [1, 0], in_shape: [3, 4], out_shape: [4, 3], n_in: 12 });
    expect(samplePerm([0, 2, 1])).toEqual([1, 0]);
    // output [i][j] reads input [j][i]
    expect(Array.from(permutationMap([3, 4], [1, 0]))).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it('refuses a permutation that moves the batch axis', () => {
    expect(planOf(transpose(), 'Transpose', (n) => { n.attrs['perm'] = [1, 0, 2]; })).toBe('permutation [1, 0, 2] moves the batch axis');
  });

  it('emits nnet::gather through the permuted input strides; buffered in io_stream', async () => {
    const c = await kernelCase(transpose(), 'Transpose');
    expectFields(c.config, { n_out: 12, d0: 1, d1: 1, d2: 4, d3: 3, s0: 0, s1: 0, s2: 1, s3: 4, in_t: 'tp_r' });
    expect(c.call).toBe('  nnet::gather<tp_r, tp_t, cfg_transpose>(act_r, act_t);');
    expect((await kernelCase(transpose(), 'Transpose', { io: 'stream' })).cppKernel).toBe('nnet::gather (buffered)');
  });

  it('emulates bit-exactly', async () => {
    const model = transpose();
    const c = await kernelCase(model, 'Transpose');
    expect(emulationError(model, c, { x: gridValues(12 * 20, 61, 4, 10), b: gridValues(12 * 20, 62, 4, 10) }, 20)['t']).toBe(0);
  });

  it('estimates wiring in io_parallel and the whole tensor buffered in io_stream', async () => {
    expectEstimate((await kernelCase(transpose(), 'Transpose')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 0, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(transpose(), 'Transpose', { io: 'stream' })).estimate(), { latency: 7, ii: 7, dsp: 0, lut: 32, ff: 0, bram18k: 0 });
  });
});
