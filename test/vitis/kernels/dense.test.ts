import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { numbers } from '../models.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, refusal } from './harness.js';

/** x[N, 6] -> Gemm(W[6, 4], b[4]). */
function gemm(): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 6]);
  m.initializer('w', numbers(24, 3, 0.5), [6, 4]).initializer('b', numbers(4, 4, 0.1), [4]);
  m.node('Gemm', ['x', 'w', 'b'], ['y'], {}, { name: 'fc' });
  m.output('y', 'float32', ['N', 4]);
  return m.toBytes();
}

/** x[N, 6] times an activation w[N, 6, 4]: no constant weight. */
function runtimeWeight(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 1, 6]).input('w', 'float32', ['N', 6, 4]);
  m.node('MatMul', ['x', 'w'], ['y'], {}, { name: 'mm' });
  m.output('y', 'float32', ['N', 1, 4]);
  return m.toBytes();
}

describe('kernel dense', () => {
  it('is the kernel of Dense, in nnet_dense.h', () => {
    expect(kernelFor('Dense')?.name).toBe('dense');
    expect(kernelFor('Dense')?.header).toBe('nnet_dense.h');
  });

  it('plans the n_in x n_out block the reuse factor divides', async () => {
    const c = await kernelCase(gemm(), 'Dense');
    expect(c.layer.hls.kernel).toBe('dense_latency');
    expect(c.layer.hls.params).toMatchObject({ n_in: 6, n_out: 4, n_rows: 1, has_bias: 1, n_mult_in: 6, n_mult_out: 4 });
    const r = await kernelCase(gemm(), 'Dense', { strategy: 'resource', reuseFactor: 3 });
    expect([r.layer.hls.kernel, r.layer.hls.reuseFactor]).toEqual(['dense_resource', 3]);
  });

  it('refuses a weight computed at run time, and an invalid reuse factor with the valid ones', async () => {
    expect(await refusal(runtimeWeight())).toMatch(/node 'mm' \(MatMul\): no HLS kernel implements op MatMul/);
    expect(await refusal(gemm(), { reuseFactor: 5 })).toMatch(/reuse factor.*\b4\b.*\b6\b|\b4 and 6\b/s);
  });

  it('emits nnet::dense with its sizes, strategy and types; dense_stream in io_stream', async () => {
    const c = await kernelCase(gemm(), 'Dense');
    expectFields(c.config, { n_in: 6, n_out: 4, n_rows: 1, reuse_factor: 1, has_bias: true, strategy_resource: false });
    expectFields(c.config, { accum_t: 'tp_fc_accum', weight_t: 'tp_w', bias_t: 'tp_fc_b' });
    expect(c.call).toBe('  nnet::dense<tp_x, tp_y, cfg_fc>(act_x, act_y, w_w, w_fc_b);');
    const s = await kernelCase(gemm(), 'Dense', { io: 'stream' });
    expect(s.cppKernel).toBe('nnet::dense_stream');
    expect(s.call).toMatch(/nnet::dense_stream<beat_\w+, beat_\w+, cfg_\w+>/);
  });

  it('emulates within the bound of its types (inputs on the input grid: weight, bias and result rounding only)', async () => {
    const c = await kernelCase(gemm(), 'Dense');
    const x = gridValues(6 * 50, 7, 4, 10);
    const R = c.layer.hls.types['result'];
    // |W_q - W| <= 2^-16 (16-bit weights below 0.5), |x| < 4: the weights add at most 6 * 4 * 2^-16 < 1/2 LSB of the
    // result; the bias 2^-16; the result rounds once (1/2 LSB).
    expect(emulationError(gemm(), c, { x }, 50)['y']).toBeLessThanOrEqual(lsb(R));
  });

  it('estimates a constant-weight datapath at reuse 1 and shared multipliers at reuse 3', async () => {
    const e = (await kernelCase(gemm(), 'Dense')).estimate();
    // 24 weights, none zero or a power of two: 24 constant multipliers in DSPs
    expect(e.multipliers).toMatchObject({ multiplications: 24, instances: 24, impl: 'dsp' });
    expectEstimate(e, { latency: 1, ii: 1, dsp: 24, lut: 64, ff: 302, bram18k: 0 });
    const r = (await kernelCase(gemm(), 'Dense', { strategy: 'resource', reuseFactor: 3 })).estimate();
    // 24 / 3 = 8 shared multipliers; weights in block RAM, 3 words of 8 x 16 bits
    expect(r.multipliers).toMatchObject({ multiplications: 24, instances: 8 });
    expectEstimate(r, { latency: 4, ii: 3, dsp: 8, lut: 464, ff: 1343, bram18k: 4 });
  });
});
