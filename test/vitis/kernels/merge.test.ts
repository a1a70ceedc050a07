import { describe, expect, it } from 'vitest';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { numbers } from '../models.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder, refusal } from './harness.js';

/** a, b[N, 3, 4]: a + b, a - c (c[4] constant, broadcast), a * b. */
function arithmetic(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('a', 'float32', ['N', 3, 4]).input('b', 'float32', ['N', 3, 4]);
  m.initializer('c', numbers(4, 61, 1), [4]);
  m.node('Add', ['a', 'b'], ['sum'], {}, { name: 'add' });
  m.node('Sub', ['a', 'c'], ['diff'], {}, { name: 'sub' });
  m.node('Mul', ['a', 'b'], ['prod'], {}, { name: 'mul' });
  for (const o of ['sum', 'diff', 'prod']) m.output(o, 'float32', ['N', 3, 4]);
  return m.toBytes();
}

/** a[N, 4] + b[1, 4] with b an input: b would broadcast along the batch axis. */
function batchBroadcast(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('a', 'float32', [2, 4]).input('b', 'float32', [1, 4]);
  m.node('Add', ['a', 'b'], ['y'], {}, { name: 'add' });
  m.output('y', 'float32', [2, 4]);
  return m.toBytes();
}

describe('kernel merge', () => {
  it('is the kernel of Add, Sub and Mul, reading its streams in lock step', () => {
    for (const op of ['Add', 'Sub', 'Mul']) expect(kernelFor(op), op).toMatchObject({ name: 'merge', header: 'nnet_merge.h', stream: 'merge' });
  });

  it('plans the broadcast shapes; unquantized inputs give the data type as the result', async () => {
    const add = await kernelCase(arithmetic(), 'Add');
    expect(add.layer.hls.params).toMatchObject({ n_out: 12, out_shape: [3, 4], in0_shape: [3, 4], in1_shape: [3, 4], broadcast: 0 });
    const sub = await kernelCase(arithmetic(), 'Sub');
    expect(sub.layer.hls.params).toMatchObject({ in1_shape: [1, 4], broadcast: 1 });
    expect((await kernelCase(arithmetic(), 'Mul')).layer.hls.kernel).toBe('mul');
    expect(add.layer.hls.types['result']).toEqual(add.layer.hls.types['input']);
  });

  it('refuses an operand that broadcasts along the batch axis', async () => {
    expect(await refusal(batchBroadcast())).toMatch(/node 'add' \(Add\): operand 'b' broadcasts along the batch axis \(1 vs 2\)/);
  });

  it('emits nnet::merge over broadcast strides; lock-step, constant and buffered forms in io_stream', async () => {
    const sub = await kernelCase(arithmetic(), 'Sub');
    expectFields(sub.config, { n_out: 12, d2: 3, d3: 4, a_s2: 4, a_s3: 1, b_s2: 0, b_s3: 1, same_shape: false });
    expect(sub.call).toMatch(/^ {2}nnet::merge<tp_a, tp_\w+, tp_diff, cfg_sub, nnet::op_sub>\(act_a, w_\w+, act_diff\);$/);
    const add = await kernelCase(arithmetic(), 'Add', { io: 'stream' });
    expect(add.cppKernel).toBe('nnet::merge_stream');
    expect((await kernelCase(arithmetic(), 'Sub', { io: 'stream' })).cppKernel).toBe('nnet::merge_const_stream');
  });

  it('emulates Add and Sub bit-exactly on the grid, Mul within the result rounding', async () => {
    const model = arithmetic();
    const c = await kernelCase(model, 'Mul');
    const err = emulationError(model, c, { a: gridValues(12 * 40, 47, 4, 10), b: gridValues(12 * 40, 48, 4, 10) }, 40);
    expect(err['sum']).toBe(0);
    // c in 16 bits below 1: 2^-16 error, then the result's rounding
    expect(err['diff']).toBeLessThanOrEqual(2 ** -16 + lsb(c.layer.hls.types['result']) / 2);
    expect(err['prod']).toBeLessThanOrEqual(lsb(c.layer.hls.types['result']) / 2);
  });

  it('estimates an adder per element (Add) and a multiplier per element (Mul)', async () => {
    expectEstimate((await kernelCase(arithmetic(), 'Add')).estimate(), { latency: 0, ii: 1, dsp: 0, lut: 396, ff: 0, bram18k: 0 });
    expectEstimate((await kernelCase(arithmetic(), 'Mul')).estimate(), { latency: 1, ii: 1, dsp: 12, lut: 192, ff: 250, bram18k: 0 });
  });
});
