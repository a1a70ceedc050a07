import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFirmflowError } from 'firmflow';
import { hlsOf } from '../../../backends/vitis/lowered.js';
import { tableActivation } from '../../../backends/vitis/kernels/table-activation.js';
import {
  expSumType, functionTable, invStdTable, makeTable, softmaxExpIndex, softmaxExpSplit, softmaxExpTable, softmaxFineTable, softmaxInvRange, softmaxInvTable, tableIndex,
} from '../../../backends/vitis/tables.js';
import { lower } from '../helpers.js';
import { chain, mlp } from '../models.js';

/** The table of a table activation, from its kernel's function (as the lowering builds it). */
const activationTable = (op: string, attrs: Record<string, unknown>, size?: number, range?: [number, number]) => functionTable(tableActivation.tableFunction!(op, attrs), size, range, undefined, op);

const T18_8 = { signed: true, width: 18, integer: 8, rounding: 'RND', overflow: 'SAT' } as const;
const U18_1 = { signed: false, width: 18, integer: 1, rounding: 'RND', overflow: 'SAT' } as const;

/** round half up (AP_RND) of v * 2^f, saturated to the signed/unsigned width: the table type's conversion by hand. */
function rnd(v: number, f: number, width: number, signed: boolean): number {
  const c = Math.floor(v * 2 ** f + 0.5);
  const max = signed ? 2 ** (width - 1) - 1 : 2 ** width - 1, min = signed ? -(2 ** (width - 1)) : 0;
  return Math.min(max, Math.max(min, c));
}

describe('table contents (the single source both the C++ and the emulator use)', () => {
  it('sigmoid: entry i = quantize(sigmoid(lo + (i + 0.5) * (hi - lo) / size))', () => {
    const t = activationTable('Sigmoid', {});
    expect([t.size, t.lo, t.hi]).toEqual([1024, -8, 8]);
    expect(t.type).toEqual(T18_8);
    expect(t.codes).toBeInstanceOf(Int32Array);
    for (const i of [0, 1, 100, 511, 512, 700, 1023]) {
      const centre = -8 + ((i + 0.5) * 16) / 1024;
      expect(t.codes[i], `entry ${i}`).toBe(rnd(1 / (1 + Math.exp(-centre)), 10, 18, true));
    }
    // By hand: centre of 512 is 1/128; sigmoid(1/128) = 0.501953 -> 514.0000 / 1024 -> 514.
    expect(t.codes[512]).toBe(514);
    expect(t.codes[0]).toBe(0); // sigmoid(-7.992) = 3.4e-4 -> 0.35 lsb -> 0
    expect(t.codes[1023]).toBe(1024); // sigmoid(7.992) = 0.99966 -> 1023.65 -> 1024
  });

  it('tanh, softplus, elu, selu', () => {
    const th = activationTable('Tanh', {});
    expect(th.codes[768]).toBe(rnd(Math.tanh(4 + 1 / 128), 10, 18, true));
    const sp = activationTable('Softplus', {}, 256, [-4, 4]);
    expect(sp.codes[128]).toBe(rnd(Math.log1p(Math.exp(1 / 64)), 10, 18, true));
    const elu = activationTable('Elu', { alpha: 0.5 });
    expect([elu.lo, elu.hi]).toEqual([-8, 0]);
    expect(elu.codes[1023]).toBe(rnd(0.5 * Math.expm1(-1 / 256), 10, 18, true)); // step 8/1024, centre -1/256
    expect(elu.codes[1023]).toBe(-2);
    const selu = activationTable('Selu', { alpha: 2, gamma: 1.5 });
    expect(selu.codes[0]).toBe(rnd(3 * Math.expm1(-8 + 1 / 256), 10, 18, true));
  });

  it('softmax: two-level exp of t = max - x (coarse over [0, 16), fine over one coarse step, both starting at exactly 1.0); inverse table over [0, 2^q), entry 0 the maximum', () => {
    const e = softmaxExpTable();
    expect([e.size, e.lo, e.hi]).toEqual([1024, 0, 16]);
    expect(e.type).toEqual(U18_1);
    expect(e.codes[0]).toBe(2 ** 17);
    expect(e.codes[1]).toBe(rnd(Math.exp(-1 / 64), 17, 18, false));
    expect(e.codes[1022]).toBe(rnd(Math.exp(-(1022 * 16) / 1024), 17, 18, false));
    // Inputs with 10 fractional bits: the coarse table takes t's bits from 2^-6 up, the fine one the 4 below.
    const f = softmaxFineTable(e, 10);
    expect([f.size, f.lo, f.hi]).toEqual([16, 0, 1 / 64]);
    expect(f.codes[0]).toBe(2 ** 17);
    expect(f.codes[1]).toBe(rnd(Math.exp(-1 / 1024), 17, 18, false));
    expect(f.codes[15]).toBe(rnd(Math.exp(-15 / 1024), 17, 18, false));
    const split = softmaxExpSplit(e, f, 10);
    expect(split).toEqual({ shift: 4, fineShift: 0, tMax: 16 * 1024 - 1 });
    expect(softmaxExpIndex(0, split)).toEqual([0, 0]);
    expect(softmaxExpIndex(1, split)).toEqual([0, 1]);
    expect(softmaxExpIndex(16 * 37 + 5, split)).toEqual([37, 5]);
    expect(softmaxExpIndex(1e9, split)).toEqual([1023, 15]);
    // Fine resolution is capped at 2^10 entries; coarse-only when the input has no bits below the coarse step.
    expect(softmaxFineTable(e, 24).size).toBe(1024);
    expect(softmaxExpSplit(e, softmaxFineTable(e, 24), 24)).toEqual({ shift: 18, fineShift: 8, tMax: 1024 * 2 ** 18 - 1 });
    expect(softmaxFineTable(e, 4).size).toBe(1);
    expect(softmaxExpSplit(e, softmaxFineTable(e, 4), 4)).toEqual({ shift: -2, fineShift: 0, tMax: 255 });
    expect(softmaxExpIndex(255, softmaxExpSplit(e, softmaxFineTable(e, 4), 4))).toEqual([1020, 0]);
    expect(softmaxInvRange(5)).toEqual([0, 8]);
    expect(softmaxInvRange(7)).toEqual([0, 8]);
    expect(softmaxInvRange(8)).toEqual([0, 16]);
    const v = softmaxInvTable(5);
    expect([v.lo, v.hi]).toEqual([0, 8]);
    expect(v.codes[0]).toBe(2 ** 18 - 1);
    expect(v.codes[127]).toBe(rnd(1 / ((127.5 * 8) / 1024), 17, 18, false)); // 1 / 0.99609
    expect(v.codes[640]).toBe(rnd(1 / ((640.5 * 8) / 1024), 17, 18, false));
    // exp_sum holds 5 ones exactly: 17 fractional bits, 3 integer bits.
    expect(expSumType(5, e)).toEqual({ signed: false, width: 20, integer: 3, rounding: 'TRN', overflow: 'WRAP' });
  });

  it('layer-norm inv_std and any function through makeTable', () => {
    const t = invStdTable(1e-5);
    expect([t.lo, t.hi]).toEqual([0, 8]);
    expect(t.codes[0]).toBe(rnd(1 / Math.sqrt(8 / 2048 + 1e-5), 10, 18, false));
    const sq = makeTable((x) => x * x, 4, -2, 2, { signed: true, width: 8, integer: 3, rounding: 'TRN', overflow: 'WRAP' }, 'square');
    expect(Array.from(sq.codes)).toEqual([72, 8, 8, 72]); // (±1.5)^2 = 2.25, (±0.5)^2 = 0.25 at 5 fractional bits
  });

  it('index: floor((x - lo) * size / (hi - lo)) from the integer code, clamped', () => {
    const fx = { signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' } as const; // 10 frac bits
    const t = { size: 1024, lo: -8, hi: 8 };
    expect(tableIndex(0, fx, t)).toBe(512);
    expect(tableIndex(-1, fx, t)).toBe(511); // -2^-10 -> floor(511.9375)
    expect(tableIndex(16, fx, t)).toBe(513); // 1/64 -> 513
    expect(tableIndex(-8 * 1024, fx, t)).toBe(0);
    expect(tableIndex(-9 * 1024, fx, t)).toBe(0);
    expect(tableIndex(8 * 1024, fx, t)).toBe(1023);
    const coarse = { signed: true, width: 6, integer: 6, rounding: 'TRN', overflow: 'WRAP' } as const; // integers
    expect(tableIndex(3, coarse, t)).toBe(704);
  });

  it('refuses geometries that cannot be indexed by a shift', () => {
    expect(() => makeTable(Math.exp, 1000, -8, 8, T18_8, 'exp')).toThrow(/table size 1000 must be a power of two/);
    expect(() => makeTable(Math.exp, 1024, -8, 4, T18_8, 'exp')).toThrow(/must span a power of two/);
    expect(() => makeTable(Math.exp, 4, -3.5, 0.5, T18_8, 'exp')).toThrow(/must be a multiple of the table step 1/);
  });
});

describe('tables in the lowering', () => {
  it('defaults, and sizes, ranges and types from the configuration', async () => {
    const p = await lower(mlp([8, 6], 'Relu', 'Sigmoid'));
    const sig = hlsOf(p.graph.node('out'));
    expect(sig.kernel).toBe('sigmoid');
    expect(sig.tables!['table'].codes).toEqual(activationTable('Sigmoid', {}).codes);
    expect(sig.types['table']).toEqual(T18_8);

    const q = await lower(mlp([8, 6], 'Relu', 'Sigmoid'), {
      config: { LayerName: { out: { TableSize: 256, TableRange: [-4, 4], Precision: { table: 'ufixed<12,0,RND,SAT>' } } } },
    });
    const t = hlsOf(q.graph.node('out')).tables!['table'];
    expect([t.size, t.lo, t.hi]).toEqual([256, -4, 4]);
    expect(t.codes[128]).toBe(rnd(1 / (1 + Math.exp(-1 / 64)), 12, 12, false));
  });

  it('softmax tables per layer; the argmax implementation has none', async () => {
    const p = await lower(mlp([8, 5], 'Relu', 'Softmax'), { config: { LayerType: { Softmax: { TableSize: { exp_table: 2048, inv_table: 512 } } } } });
    const s = hlsOf(p.graph.node('out'));
    expect(s.kernel).toBe('softmax_stable');
    expect(s.tables!['exp_table'].size).toBe(2048);
    expect(s.tables!['inv_table'].size).toBe(512);
    expect([s.tables!['inv_table'].lo, s.tables!['inv_table'].hi]).toEqual([0, 8]);
    expect(s.types['exp_sum']).toEqual({ signed: false, width: 20, integer: 3, rounding: 'TRN', overflow: 'WRAP' });
    const a = await lower(mlp([8, 5], 'Relu', 'Softmax'), { config: { LayerType: { Softmax: { Implementation: 'argmax' } } } });
    const h = hlsOf(a.graph.node('out'));
    expect(h.kernel).toBe('softmax_argmax');
    expect(h.tables).toBeUndefined();
  });

  it('a bad table setting is an error naming the key and the layer', async () => {
    const bad = async (config: Record<string, unknown>): Promise<string> => {
      try { await lower(chain(4, ['Sigmoid', 'Tanh']), { config }); } catch (e) { if (isFirmflowError(e)) return e.message; throw e; }
      throw new Error('expected a refusal');
    };
    expect(await bad({ LayerName: { sigmoid_0: { TableSize: 1000 } } })).toBe('config LayerName.sigmoid_0.TableSize: must be a power of two from 2 to 2^20 (tables are indexed by a shift), got 1000');
    expect(await bad({ LayerName: { tanh_1: { TableRange: [-3, 3] } } })).toBe('config LayerName.tanh_1.TableRange: must span a power of two (hi - lo = 2^r, so indexing is a shift), got [-3, 3]');
    expect(await bad({ LayerName: { tanh_1: { TableSize: { exp_table: 64 } } } })).toBe('config LayerName.tanh_1.TableSize.exp_table: is not a table of this layer (its tables: table)');
    expect(await bad({ LayerType: { Relu: { TableSize: 64 } } })).toMatch(/^config LayerType\.Relu\.TableSize: layer has no lookup tables/);
  });
});
