import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { tableIndex } from '../../../backends/vitis/tables.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder } from './harness.js';

const OPS = ['Sigmoid', 'Tanh', 'Softplus', 'Elu', 'Selu'];
/** Lipschitz constants of the functions (Elu alpha 1, Selu's defaults). */
const SLOPE: Record<string, number> = { Sigmoid: 0.25, Tanh: 1, Softplus: 1, Elu: 1, Selu: 1.0507 * 1.6733 };

/** x[N, 8] through every table activation, one output each. */
function tables(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 8]);
  for (const op of OPS) m.node(op, ['x'], [op.toLowerCase()], {}, { name: op.toLowerCase() }).output(op.toLowerCase(), 'float32', ['N', 8]);
  return m.toBytes();
}

describe('kernel table-activation', () => {
  it('is the kernel of Sigmoid, Tanh, Softplus, Elu and Selu, with one table each', () => {
    for (const op of OPS) expect(kernelFor(op), op).toMatchObject({ name: 'table-activation', header: 'nnet_activation.h', tables: ['table'] });
  });

  it('plans every element and builds its table; Selu carries gamma in the scale type', async () => {
    for (const op of OPS) {
      const h = (await kernelCase(tables(), op)).layer.hls;
      expect(h.kernel).toBe(op.toLowerCase());
      expect(h.params['n_in']).toBe(8);
      expect(h.tables?.['table'].size).toBe(1024);
    }
    expect((await kernelCase(tables(), 'Selu')).layer.hls.params['gamma_code']).toBe(1076); // round(1.0507 * 2^10)
  });

  it('emits the table functor with the index constants of the one table index rule', async () => {
    const c = await kernelCase(tables(), 'Sigmoid');
    const t = c.layer.hls.tables!['table'];
    const inT = c.layer.hls.types['input'];
    // nnet::table_index(x) = (x >> shift) - offset: the entry tableIndex gives for the code of lo is 0
    const k = Math.log2(t.size / (t.hi - t.lo));
    expectFields(c.config, { table_size: t.size, table_shift: (inT.width - inT.integer) - k, table_offset: t.lo * 2 ** k, table_t: 'tp_sigmoid_table' });
    expect(tableIndex(t.lo * 2 ** (inT.width - inT.integer), inT, t)).toBe(0);
    expect(c.call).toMatch(/nnet::activation<tp_x, tp_sigmoid, cfg_sigmoid, nnet::op_table>\(act_x, act_sigmoid, k_sigmoid_table, \(const nnet::no_const_t\*\)0\);$/);
    const selu = await kernelCase(tables(), 'Selu');
    expect(selu.call).toMatch(/nnet::op_selu>\(act_x, act_selu, k_selu_table, k_selu_gamma\);$/);
  });

  it('emulates within the slope times half a table bin plus the table and result rounding', async () => {
    const model = tables();
    const c = await kernelCase(model, 'Sigmoid');
    const err = emulationError(model, c, { x: gridValues(8 * 100, 23, 4, 10) }, 100);
    for (const op of OPS) {
      const h = (await kernelCase(model, op)).layer.hls;
      const t = h.tables!['table'];
      const gamma = op === 'Selu' ? 4 * Math.abs(1076 / 1024 - 1.0507009873554805) : 0;
      expect(err[op.toLowerCase()], op).toBeLessThanOrEqual((SLOPE[op] * (t.hi - t.lo)) / t.size / 2 + lsb(t.type) + lsb(h.types['result']) / 2 + gamma);
    }
  });

  it('estimates the table storage and one read per element', async () => {
    const e = (await kernelCase(tables(), 'Tanh')).estimate();
    expect(e.storage.bits).toBe(1024 * 18);
    expectEstimate(e, { latency: 1, ii: 1, dsp: 0, lut: 256, ff: 167, bram18k: 4 });
    expectEstimate((await kernelCase(tables(), 'Selu', { io: 'stream' })).estimate(), { latency: 3, ii: 2, dsp: 0, lut: 384, ff: 167, bram18k: 4 });
  });
});
