import { attr } from 'firmflow';
import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { numbers } from '../models.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, ModelBuilder, planOf } from './harness.js';

/** x[N, 3, 8] -> LayerNormalization over `axis` with gamma and beta. */
function layernorm(axis = -1): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  m.input('x', 'float32', ['N', 3, 8]);
  const n = axis === -1 ? 8 : 24;
  const shape = axis === -1 ? [8] : [3, 8];
  m.initializer('g', numbers(n, 21, 1), shape).initializer('b', numbers(n, 22, 0.2), shape);
  m.node('LayerNormalization', ['x', 'g', 'b'], ['y'], { axis, epsilon: attr.float(1e-3) }, { name: 'ln' });
  m.output('y', 'float32', ['N', 3, 8]);
  return m.toBytes();
}

describe('kernel layernorm', () => {
  it('is the kernel of LayerNormalization, in nnet_layernorm.h, with an inverse square root table', () => {
    expect(kernelFor('LayerNormalization')).toMatchObject({ name: 'layernorm', header: 'nnet_layernorm.h', tables: ['table'], constRoles: { 1: 'scale', 2: 'shift' } });
  });

  it('plans rows of the last axis; the accumulator holds the sums of x and of squared deviations exactly', async () => {
    const c = await kernelCase(layernorm(), 'LayerNormalization');
    expect(c.layer.hls.params).toMatchObject({ n_in: 8, n_rows: 3, has_bias: 1 });
    expect(c.layer.hls.params['epsilon']).toBeCloseTo(1e-3, 9);
    // x in fixed<16,6>: squares need 2 * 10 fractional bits
    const acc = c.layer.hls.types['accum'];
    expect(acc.width - acc.integer).toBe(20);
    expect(c.layer.hls.tables?.['table'].fn).toMatch(/inv_sqrt|1\/sqrt|rsqrt/);
  });

  it('refuses normalization over more than the last axis', () => {
    expect(planOf(layernorm(1), 'LayerNormalization')).toBe('normalization over axes 1..2; only the last axis is supported');
  });

  it('emits nnet::layernorm with 1/n, the table index constants, gamma and beta; buffered in io_stream', async () => {
    const c = await kernelCase(layernorm(), 'LayerNormalization');
    expectFields(c.config, { n_in: 8, n_rows: 3, has_bias: true, table_size: c.layer.hls.tables!['table'].size, inv_n_t: 'tp_ln_inv_n', table_t: 'tp_ln_table' });
    expect(c.call).toMatch(/^ {2}nnet::layernorm<tp_x, tp_y, cfg_ln>\(act_x, act_y, k_ln_inv_n, k_ln_table, w_\w+, w_\w+\);$/);
    const s = await kernelCase(layernorm(), 'LayerNormalization', { io: 'stream' });
    expect(s.cppKernel).toBe('nnet::layernorm (buffered)');
    expect(s.call).toMatch(/nnet::stream_to_array<beat_x, tp_x, 24>/);
  });

  it('emulates within 2^-4 of the float normalization', async () => {
    const model = layernorm();
    const c = await kernelCase(model, 'LayerNormalization');
    const x = gridValues(24 * 40, 17, 4, 10);
    // The inverse square root table dominates: a bin's relative error times |z| <= sqrt(n - 1) times |gamma| <= 1.
    expect(emulationError(model, c, { x }, 40)['y']).toBeLessThanOrEqual(2 ** -4);
  });

  it('estimates two sums, the squares and the products', async () => {
    expectEstimate((await kernelCase(layernorm(), 'LayerNormalization')).estimate(), { latency: 9, ii: 3, dsp: 84, lut: 942, ff: 2694, bram18k: 1 });
  });
});
