import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { emulationError, expectEstimate, gridValues, kernelCase, ModelBuilder } from './harness.js';

const QONNX = 'qonnx.custom_op.general';

/** x[N, 8] -> Relu -> r, QONNX Quant(r) (scale 2^-3, 6 bits, signed): a fixed-point quantizer, fixed<6,3>; r is an
 *  output too, so the quantizer stays a layer of its own (else it would become r's type). */
function quant(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
  m.input('x', 'float32', ['N', 8]);
  m.initializer('s', [0.125], []).initializer('z', [0], []).initializer('b', [6], []);
  m.node('Relu', ['x'], ['r'], {}, { name: 'relu' });
  m.node('Quant', ['r', 's', 'z', 'b'], ['y'], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, { domain: QONNX, name: 'q' });
  m.output('y', 'float32', ['N', 8]).output('r', 'float32', ['N', 8]);
  return m.toBytes();
}

describe('kernel fixed-cast', () => {
  it('is the kernel of FixedCast, whose result is the quantizer\'s own type', () => {
    expect(kernelFor('FixedCast')).toMatchObject({ name: 'fixed-cast', header: 'nnet_activation.h', defaultResult: 'model' });
  });

  it('plans every element; the result is the quantizer\'s type whatever precision is configured', async () => {
    const c = await kernelCase(quant(), 'FixedCast');
    expect(c.layer.hls.kernel).toBe('fixed_cast');
    expect(c.layer.hls.params['n_in']).toBe(8);
    expect(c.layer.hls.types['result']).toMatchObject({ signed: true, width: 6, integer: 3 });
    const p = await kernelCase(quant(), 'FixedCast', { precision: 'fixed<12,4>' });
    expect(p.layer.hls.types['result']).toMatchObject({ signed: true, width: 6, integer: 3 });
  });

  it('emits nnet::activation with the linear functor (the conversion is the result type\'s)', async () => {
    const c = await kernelCase(quant(), 'FixedCast');
    expect(c.call).toBe('  nnet::activation<tp_r, tp_y, cfg_q, nnet::op_linear>(act_r, act_y, (const nnet::no_const_t*)0, (const nnet::no_const_t*)0);');
  });

  it('emulates the quantizer bit-exactly (inputs on the input grid)', async () => {
    const model = quant();
    const c = await kernelCase(model, 'FixedCast');
    expect(emulationError(model, c, { x: gridValues(8 * 100, 29, 6, 10) }, 100)['y']).toBe(0);
  });

  it('estimates one conversion per element', async () => {
    expectEstimate((await kernelCase(quant(), 'FixedCast')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 48, ff: 0, bram18k: 0 });
  });
});
