import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder } from './harness.js';

/** x[N, 3, 4, 4] -> GlobalAveragePool and GlobalMaxPool. */
function globals(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 4, 4]);
  m.node('GlobalAveragePool', ['x'], ['ga'], {}, { name: 'gap' });
  m.node('GlobalMaxPool', ['x'], ['gm'], {}, { name: 'gmp' });
  m.output('ga', 'float32', ['N', 3, 1, 1]).output('gm', 'float32', ['N', 3, 1, 1]);
  return m.toBytes();
}

describe('kernel global-pooling', () => {
  it('is the kernel of GlobalMaxPool and GlobalAveragePool, without a parallelization factor', () => {
    expect(kernelFor('GlobalAveragePool')).toBe(kernelFor('GlobalMaxPool'));
    expect(kernelFor('GlobalAveragePool')).toMatchObject({ name: 'global-pooling', header: 'nnet_pooling.h', stream: 'flow' });
    expect(kernelFor('GlobalAveragePool')?.parallelization).toBeFalsy();
  });

  it('plans all pixels of a channel; the average divides by one factor, 1/pixels', async () => {
    const ga = await kernelCase(globals(), 'GlobalAveragePool');
    expect(ga.layer.hls.kernel).toBe('global_pooling2d');
    expect(ga.layer.hls.params).toMatchObject({ in_height: 4, in_width: 4, n_chan: 3, pool_op: 'average', inv_count_codes: [8192] });
    const gm = await kernelCase(globals(), 'GlobalMaxPool', { config: { LayerType: { GlobalMaxPool: { ParallelizationFactor: 2 } } } });
    expect(gm.layer.hls.params['pool_op']).toBe('max');
    expect(gm.layer.hls.parallelization).toBeUndefined();
  });

  it('emits nnet::global_pooling over n_pixels x n_chan', async () => {
    const ga = await kernelCase(globals(), 'GlobalAveragePool');
    expectFields(ga.config, { n_pixels: 16, n_chan: 3, is_max: false, scale_t: 'tp_gap_inv_count' });
    expect(ga.call).toMatch(/^ {2}nnet::global_pooling<tp_\w+, tp_\w+, cfg_gap>\(act_\w+, act_\w+, k_gap_inv_count\);$/);
    const gm = await kernelCase(globals(), 'GlobalMaxPool', { io: 'stream' });
    expect(gm.cppKernel).toBe('nnet::global_pooling_stream');
    expectFields(gm.config, { n_pixels: 16, n_chan: 3, is_max: true });
  });

  it('emulates max bit-exactly and the average within the result rounding (1/16 is exact)', async () => {
    const model = globals();
    const c = await kernelCase(model, 'GlobalAveragePool');
    const err = emulationError(model, c, { x: gridValues(48 * 40, 9, 4, 10) }, 40);
    expect(err['gm']).toBe(0);
    expect(err['ga']).toBeLessThanOrEqual(lsb(c.layer.hls.types['result']) / 2);
  });

  it('estimates one channel per cycle', async () => {
    expectEstimate((await kernelCase(globals(), 'GlobalAveragePool')).estimate(), { latency: 4, ii: 3, dsp: 1, lut: 316, ff: 26, bram18k: 0 });
    expectEstimate((await kernelCase(globals(), 'GlobalMaxPool', { io: 'stream' })).estimate(), { latency: 20, ii: 19, dsp: 0, lut: 496, ff: 21, bram18k: 0 });
  });
});
