import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { argmaxRows } from '../acceptance/build.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** x[N, 3, 10] -> Softmax over the last axis. */
function softmax(axis = -1): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 10]);
  m.node('Softmax', ['x'], ['y'], { axis }, { name: 'sm' });
  m.output('y', 'float32', ['N', 3, 10]);
  return m.toBytes();
}
const ARGMAX = { config: { LayerType: { Softmax: { Implementation: 'argmax' } } } };

describe('kernel softmax', () => {
  it('is the kernel of Softmax, in nnet_softmax.h, with an exp and an inverse table', () => {
    expect(kernelFor('Softmax')).toMatchObject({ name: 'softmax', header: 'nnet_softmax.h', tables: ['exp_table', 'inv_table'] });
  });

  it('plans rows of the last axis; stable builds the two-level exp and the inverse tables, argmax none', async () => {
    const c = await kernelCase(softmax(), 'Softmax');
    expect(c.layer.hls.kernel).toBe('softmax_stable');
    expect(c.layer.hls.params).toMatchObject({ n_in: 10, n_rows: 3 });
    expect(Object.keys(c.layer.hls.tables ?? {}).sort()).toEqual(['exp_fine', 'exp_table', 'inv_table']);
    // probabilities: ufixed with no integer bits, wide enough to keep close classes apart
    expect(c.layer.hls.types['result']).toMatchObject({ signed: false, integer: 0 });
    const a = await kernelCase(softmax(), 'Softmax', ARGMAX);
    expect(a.layer.hls.kernel).toBe('softmax_argmax');
    expect(a.layer.hls.tables).toBeUndefined();
  });

  it('refuses any axis but the last', () => {
    expect(planOf(softmax(1), 'Softmax')).toBe('softmax over axis 1 of 3; only the last axis is supported');
  });

  it('emits nnet::softmax_stable with the table geometry; softmax_argmax without tables', async () => {
    const c = await kernelCase(softmax(), 'Softmax');
    const t = c.layer.hls.tables!;
    expectFields(c.config, { n_in: 10, n_rows: 3, exp_table_size: t['exp_table'].size, exp_fine_size: t['exp_fine'].size, inv_table_size: t['inv_table'].size, exp_table_t: 'tp_sm_exp_table' });
    expect(c.call).toMatch(/^ {2}nnet::softmax_stable<tp_x, tp_y, cfg_sm>\(act_x, act_y, k_sm_exp_table, k_sm_exp_fine, k_sm_inv_table\);$/);
    const a = await kernelCase(softmax(), 'Softmax', { ...ARGMAX, io: 'stream' });
    expect(a.cppKernel).toBe('nnet::softmax_argmax_stream');
    expect(a.config).not.toMatch(/exp_table/);
  });

  it('emulates probabilities within 2^-7 of the float softmax; argmax is the one-hot of the float top class', async () => {
    const model = softmax();
    const x = gridValues(30 * 50, 13, 4, 10);
    const c = await kernelCase(model, 'Softmax');
    expect(emulationError(model, c, { x }, 50)['y']).toBeLessThanOrEqual(2 ** -7);
    const a = await kernelCase(model, 'Softmax', ARGMAX);
    const y = a.project.emulate({ x: { data: x } })['y'].data;
    const rows = argmaxRows(x, 10);
    rows.forEach((k, r) => expect(Array.from(y.subarray(r * 10, r * 10 + 10))).toEqual(Array.from({ length: 10 }, (_, i) => (i === k ? 1 : 0))));
  });

  it('estimates trees over the row and the table reads', async () => {
    expectEstimate((await kernelCase(softmax(), 'Softmax')).estimate(), { latency: 6, ii: 3, dsp: 10, lut: 1078, ff: 1768, bram18k: 6 });
    expectEstimate((await kernelCase(softmax(), 'Softmax', ARGMAX)).estimate(), { latency: 3, ii: 3, dsp: 0, lut: 448, ff: 208, bram18k: 0 });
  });
});
