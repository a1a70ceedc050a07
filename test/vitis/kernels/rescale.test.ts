import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, refusal } from './harness.js';

const QONNX = 'qonnx.custom_op.general';

/** x[N, 6] -> Relu -> QuantizeLinear / DequantizeLinear (scale 0.05, zero point 5, uint8): a Rescale. */
function qdq(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 6]);
  m.initializer('s', Float32Array.from([0.05]), []).initializer('z', Uint8Array.from([5]), []);
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('QuantizeLinear', ['r', 's', 'z'], ['q'], {}, { name: 'q' }).node('DequantizeLinear', ['q', 's', 'z'], ['y'], {}, { name: 'dq' });
  m.output('y', 'float32', ['N', 6]).output('r', 'float32', ['N', 6]);
  return m.toBytes();
}

/** QONNX Quant with a fractional zero point. */
function fractionalZero(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
  m.input('x', 'float32', ['N', 6]);
  m.initializer('s', [0.3], []).initializer('z', [0.5], []).initializer('b', [8], []);
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('Quant', ['r', 's', 'z', 'b'], ['y'], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, { domain: QONNX, name: 'quant' });
  m.output('y', 'float32', ['N', 6]).output('r', 'float32', ['N', 6]);
  return m.toBytes();
}

describe('kernel rescale', () => {
  it('is the kernel of Rescale, in nnet_rescale.h, typing its constants itself', () => {
    expect(kernelFor('Rescale')).toMatchObject({ name: 'rescale', header: 'nnet_rescale.h', ownsConstants: true });
  });

  it('plans the integer range and zero point; 1/scale in 24 bits, the product\'s fractional bits', async () => {
    const c = await kernelCase(qdq(), 'Rescale');
    const h = c.layer.hls;
    expect(h.params).toMatchObject({ n_in: 6, n_chan: 1, bits: 8, signed: 0, q_min: 0, q_max: 255, zero_point_codes: [5], rounding_mode: 'ROUND' });
    const inv = h.types['inv_scale'];
    expect(inv.width).toBe(24);
    expect((h.params['inv_scale_codes'] as number[])[0] * 2 ** -(inv.width - inv.integer)).toBeCloseTo(20, 4);
    expect(h.params['prod_frac']).toBe(h.types['input'].width - h.types['input'].integer + inv.width - inv.integer);
  });

  it('refuses a zero point that is not an integer', async () => {
    expect(await refusal(fractionalZero())).toMatch(/node 'quant' \(Rescale, from ONNX Quant\): its zero point is not an integer/);
  });

  it('emits nnet::rescale with 1/scale, scale and the zero points', async () => {
    const c = await kernelCase(qdq(), 'Rescale');
    expectFields(c.config, { n_in: 6, n_chan: 1, inner: 6, n_scale: 1, n_zero: 1, rounding: 0, zero_point_before_rounding: false, q_lower_bound: 0, q_upper_bound: 255 });
    expect(c.call).toMatch(/^ {2}nnet::rescale<tp_r, tp_y, cfg_\w+>\(act_r, act_y, k_\w+_inv_scale, w_\w+, k_\w+_zero_point\);$/);
    expect((await kernelCase(qdq(), 'Rescale', { io: 'stream' })).cppKernel).toBe('nnet::rescale_stream');
  });

  it('emulates the quantizer on the reference\'s integer levels', async () => {
    const model = qdq();
    const c = await kernelCase(model, 'Rescale');
    // Levels 0.05 apart: within half a result LSB (far below half a level) means on the float model's level, the
    // level's value then rounded to the result type.
    expect(emulationError(model, c, { x: gridValues(6 * 100, 53, 8, 10) }, 100)['y']).toBeLessThanOrEqual(lsb(c.layer.hls.types['result']) / 2);
  });

  it('estimates a constant product per element', async () => {
    expectEstimate((await kernelCase(qdq(), 'Rescale')).estimate(), { latency: 1, ii: 1, dsp: 6, lut: 240, ff: 125, bram18k: 0 });
  });
});
