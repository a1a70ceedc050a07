/*
 * HardSwish, end to end: ONNX (opset 14) -> IR -> the table-activation kernel (a table below 3, x itself from 3 on)
 * -> C++ and emulator -> estimate, checked against onnxruntime.
 *
 * Error budget against the float function at default settings: the table samples bin centres, so half a bin times
 * the largest slope (1.5, at x = 3), plus the table type's rounding (one LSB of fixed<18,8,RND>: half an LSB, taken
 * as one) and the result type's rounding (half an LSB of fixed<16,6>, truncated: one LSB). The linear part is exact
 * up to the result's rounding.
 */
import { describe, expect, it } from 'vitest';
import { runOrt } from '../../frontend/ort.js';
import { kernelFor } from '../../../backends/vitis/kernels/index.js';
import { hardswishLinearBound } from '../../../backends/vitis/kernels/table-activation.js';
import { built } from '../acceptance/build.js';
import { emulationError, expectEstimate, expectFields, gridValues, kernelCase, lsb, ModelBuilder } from './harness.js';

const hardswish = (x: number): number => x * Math.max(0, Math.min(1, x / 6 + 0.5));

/** x[N, 8] -> HardSwish. */
function alone(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 14 } });
  m.input('x', 'float32', ['N', 8]);
  m.node('HardSwish', ['x'], ['y'], {}, { name: 'hs' }).output('y', 'float32', ['N', 8]);
  return m.toBytes();
}

/** x[N, 16] -> Gemm 16x8 -> HardSwish, as a MobileNetV3 block's activation would see it. */
function dense(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 14 } });
  m.input('x', 'float32', ['N', 16]);
  const w = new Float32Array(16 * 8).map((_, i) => Math.sin(i * 0.7) * 0.6);
  const b = new Float32Array(8).map((_, i) => (i - 4) * 0.25);
  m.initializer('W', w, [16, 8]);
  m.initializer('B', b, [8]);
  m.node('Gemm', ['x', 'W', 'B'], ['z'], {}, { name: 'fc' });
  m.node('HardSwish', ['z'], ['y'], {}, { name: 'hs' }).output('y', 'float32', ['N', 8]);
  return m.toBytes();
}

describe('kernel table-activation: HardSwish', () => {
  it('is a table activation with a linear part, its table over [-4, 4)', async () => {
    expect(kernelFor('HardSwish')).toMatchObject({ name: 'table-activation', header: 'nnet_activation.h', tables: ['table'] });
    const h = (await kernelCase(alone(), 'HardSwish')).layer.hls;
    expect(h.kernel).toBe('hardswish');
    expect(h.params['n_in']).toBe(8);
    const t = h.tables!['table'];
    expect([t.size, t.lo, t.hi]).toEqual([1024, -4, 4]);
    // entry i holds hardswish at the centre of bin i, rounded to fixed<18,8> (10 fractional bits)
    for (const i of [0, 100, 256, 511, 700, 1023]) expect(t.codes[i]).toBe(Math.round(hardswish(-4 + (i + 0.5) / 128) * 1024) + 0); // + 0: no negative zero
  });

  it('emits op_hardswish with the linear bound computed in TypeScript', async () => {
    const c = await kernelCase(alone(), 'HardSwish');
    const fx = c.layer.hls.types['input'].width - c.layer.hls.types['input'].integer;
    expect(hardswishLinearBound(fx)).toBe(3 * 2 ** fx);
    expect(hardswishLinearBound(-1)).toBe(2); // codes of 2 units: 3 is reached from code 2 (value 4) on
    expectFields(c.config, { linear_bound: 3 * 2 ** fx, table_size: 1024, table_t: 'tp_hs_table' });
    expect(c.call).toMatch(/nnet::activation<tp_x, tp_y, cfg_hs, nnet::op_hardswish>\(act_x, act_y, k_hs_table, \(const nnet::no_const_t\*\)0\);$/);
  });

  it('emulates within half a bin times the slope plus the roundings, and exactly from 3 on', async () => {
    const model = alone();
    const c = await kernelCase(model, 'HardSwish');
    const h = c.layer.hls;
    const t = h.tables!['table'];
    const x = gridValues(8 * 200, 5, 6, 8);
    const err = emulationError(model, c, { x }, 200);
    const budget = (1.5 * (t.hi - t.lo)) / t.size / 2 + lsb(t.type) + lsb(h.types['result']);
    expect(err['y']).toBeLessThanOrEqual(budget);
    expect(err['y']).toBeGreaterThan(lsb(h.types['result']) / 4); // the table's error is visible, so the check is not vacuous
    const y = c.project.emulate({ x: { data: x } })['y'].data;
    for (let i = 0; i < x.length; i++) if (x[i] >= 3) expect(y[i], `x = ${x[i]}`).toBe(x[i]); // x on a 2^-8 grid fits fixed<16,6>
  });

  it('matches onnxruntime after a Dense layer, and the C simulation equals the emulator bit for bit', async () => {
    const model = dense();
    const n = 64;
    const x = gridValues(16 * n, 11, 2, 8);
    const ref = (await runOrt(model, { x: { shape: [n, 16], data: x } }))['y'].data;
    const p = await built(model, 'hardswish-dense');
    const emu = p.emulate({ x: { data: x } })['y'].data;
    const sim = (await p.predict({ x: { data: x } }))['y'].data;
    expect(Array.from(sim)).toEqual(Array.from(emu));
    let m = 0;
    for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(emu[i] - ref[i]));
    // the budget above, plus the Dense result's rounding into fixed<16,6> (one LSB) times the slope
    const c = await kernelCase(model, 'HardSwish');
    const t = c.layer.hls.tables!['table'];
    const budget = (1.5 * (t.hi - t.lo)) / t.size / 2 + lsb(t.type) + lsb(c.layer.hls.types['result']) + 1.5 * lsb(c.layer.hls.types['input']);
    expect(m).toBeLessThanOrEqual(budget);
    expect(m).toBeGreaterThan(0);
  });

  it('estimates the table storage, one read and the linear part multiplexer per element', async () => {
    const e = (await kernelCase(alone(), 'HardSwish')).estimate();
    expect(e.storage.bits).toBe(1024 * 18);
    expectEstimate(e, { latency: 1, ii: 1, dsp: 0, lut: 384, ff: 167, bram18k: 4 });
  });
});
