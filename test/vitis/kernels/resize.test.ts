import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** x[N, 3, 4] -> Relu -> Resize nearest by `scales` (per axis, batch first) -> y. */
function resize(scales: number[], out: number[]): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 4]);
  m.initializer('scales', scales, [3]);
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('Resize', ['r', '', 'scales'], ['y'], { mode: 'nearest' }, { name: 'resize' });
  m.output('y', 'float32', ['N', ...out]);
  return m.toBytes();
}
const UP = (): Uint8Array => resize([1, 2, 1], [6, 4]);
const ODD = (): Uint8Array => resize([1, 1.5, 0.5], [4, 2]);

describe('kernel resize', () => {
  it('is the kernel of Resize (nearest), in nnet_transform.h', () => {
    expect(kernelFor('Resize')).toMatchObject({ name: 'resize', header: 'nnet_transform.h' });
  });

  it('plans one index map per axis by the interpreter\'s rule', async () => {
    const c = await kernelCase(UP(), 'Resize');
    expect(c.layer.hls.params).toMatchObject({ in_shape: [3, 4], out_shape: [6, 4], index_map_0: [0, 0, 1, 1, 2, 2], index_map_1: [0, 1, 2, 3] });
    const o = await kernelCase(ODD(), 'Resize');
    expect(o.layer.hls.params).toMatchObject({ out_shape: [4, 2] });
    expect((o.layer.hls.params['index_map_1'] as number[]).length).toBe(2);
  });

  it('refuses changing the batch axis', () => {
    expect(planOf(UP(), 'Resize', (n, g) => { g.tensor(n.outputs[0]).shape = [2, 6, 4]; })).toMatch(/^it changes the batch axis/);
  });

  it('emits nnet::upsample for integer repetition, nnet::resize_nearest through the maps otherwise', async () => {
    const up = await kernelCase(UP(), 'Resize');
    expect(up.cppKernel).toBe('nnet::upsample');
    expectFields(up.config, { in_height: 1, in_width: 3, n_chan: 4, scale_height: 1, scale_width: 2 });
    const odd = await kernelCase(ODD(), 'Resize');
    expect(odd.cppKernel).toBe('nnet::resize_nearest');
    expectFields(odd.config, { n_out: 8, d1: 4, d2: 2, e1: 3, e2: 4 });
    expect(odd.call).toBe('  nnet::resize_nearest<tp_r, tp_y, cfg_resize>(act_r, act_y, k_resize_map0, k_resize_map1, k_resize_map2);');
    expect((await kernelCase(UP(), 'Resize', { io: 'stream' })).cppKernel).toBe('nnet::upsample_stream');
  });

  it('emulates bit-exactly', async () => {
    for (const model of [UP(), ODD()]) {
      const c = await kernelCase(model, 'Resize');
      expect(emulationError(model, c, { x: gridValues(12 * 20, 73, 4, 10) }, 20)['y']).toBe(0);
    }
  });

  it('estimates wiring in io_parallel and the whole tensor buffered in io_stream', async () => {
    expectEstimate((await kernelCase(UP(), 'Resize')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 0, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(UP(), 'Resize', { io: 'stream' })).estimate(), { latency: 12, ii: 12, dsp: 0, lut: 32, ff: 0, bram18k: 0 });
  });
});
