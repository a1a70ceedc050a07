import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, gridValues, kernelCase, ModelBuilder, refusal } from './harness.js';

const QONNX = 'qonnx.custom_op.general';

/** x[N, 4] -> BipolarQuant(scale): +-scale by the sign of x. */
function bipolar(scale: number[]): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
  m.input('x', 'float32', ['N', 4]);
  m.initializer('s', scale, scale.length > 1 ? [scale.length] : []);
  m.node('BipolarQuant', ['x', 's'], ['y'], {}, { domain: QONNX, name: 'bq' });
  m.output('y', 'float32', ['N', 4]);
  return m.toBytes();
}

describe('kernel bipolar-quant', () => {
  it('is the kernel of BipolarQuant, typing its scale itself', () => {
    expect(kernelFor('BipolarQuant')).toMatchObject({ name: 'bipolar-quant', ownsConstants: true, constRoles: { 1: 'scale' } });
  });

  it('plans every element; a power-of-two scale gives a 2-bit result holding +-scale exactly', async () => {
    const c = await kernelCase(bipolar([0.5]), 'BipolarQuant');
    expect(c.layer.hls.kernel).toBe('bipolar_quant');
    expect(c.layer.hls.types['result']).toMatchObject({ signed: true, width: 2, integer: 1 });
    expect(c.layer.hls.types['scale']).toEqual(c.layer.hls.types['result']);
  });

  it('refuses a per-channel scale', async () => {
    expect(await refusal(bipolar([0.5, 1, 2, 4]))).toMatch(/node 'bq' \(BipolarQuant\): only a per-tensor scale is supported/);
  });

  it('emits nnet::activation with op_bipolar and the scale constant', async () => {
    const c = await kernelCase(bipolar([0.5]), 'BipolarQuant');
    expect(c.config).toMatch(/typedef tp_\w+ scale_t;/);
    expect(c.call).toMatch(/^ {2}nnet::activation<tp_x, tp_y, cfg_bq, nnet::op_bipolar>\(act_x, act_y, w_\w+, \(const nnet::no_const_t\*\)0\);$/);
  });

  it('emulates bit-exactly, 0 included (+scale)', async () => {
    const model = bipolar([0.5]);
    const c = await kernelCase(model, 'BipolarQuant');
    const x = gridValues(4 * 50, 31, 2, 2);
    expect(x.some((v) => v === 0)).toBe(true);
    expect(emulationError(model, c, { x }, 50)['y']).toBe(0);
  });

  it('estimates a sign per element', async () => {
    expectEstimate((await kernelCase(bipolar([0.5]), 'BipolarQuant')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 4, ff: 0, bram18k: 0 });
  });
});
