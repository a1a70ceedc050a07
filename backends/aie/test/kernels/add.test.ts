import { describe, expect, it } from 'vitest';
import { Graph } from 'firmflow';
import { add } from '../../src/kernels/add.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, onGrid, reference, refusal, traceRow } from './kit.js';

/** x (2^-4) + x2 (2^-5) -> y (2^-4), all int8, 16 wide. */
function addGraph(): Graph {
  const g = new Graph('add');
  g.addTensor({ name: 'x', shape: ['N', 16], precision: fx(8, 4) });
  g.addTensor({ name: 'x2', shape: ['N', 16], precision: fx(8, 5) });
  g.addTensor({ name: 'y', shape: ['N', 16], precision: fx(8, 4) });
  g.addNode({ name: 'sum', op: 'Add', inputs: ['x', 'x2'], outputs: ['y'] });
  g.inputs = [{ name: 'x', tensor: 'x' }, { name: 'x2', tensor: 'x2' }];
  g.outputs = [{ name: 'y', tensor: 'y' }];
  return g;
}

/** x (2^-4) + a constant row c (2^-6) -> y (2^-4). */
function addConstGraph(): Graph {
  const g = new Graph('addc');
  g.addTensor({ name: 'x', shape: ['N', 16], precision: fx(8, 4) });
  g.addTensor({ name: 'c', shape: [16], data: Float32Array.from({ length: 16 }, (_, i) => (i - 8) / 64), precision: fx(8, 6) });
  g.addTensor({ name: 'y', shape: ['N', 16], precision: fx(8, 4) });
  g.addNode({ name: 'sum', op: 'Add', inputs: ['x', 'c'], outputs: ['y'] });
  g.inputs = [{ name: 'x', tensor: 'x' }];
  g.outputs = [{ name: 'y', tensor: 'y' }];
  return g;
}

describe('kernel add', () => {
  it('legalizes two runtime operands and a constant one: the finer grid, then one srs', () => {
    expect(layer(lower(addGraph), 'sum')).toMatchObject({ kernel: 'add', dtype: { a: 'int8', w: 'int8', out: 'int8', acc: 'acc32' }, frac: { a: 4, w: 5, out: 4 }, shift: 1 });
    const c = layer(lower(addConstGraph), 'sum');
    expect(c).toMatchObject({ frac: { a: 4, w: 6, out: 4 }, shift: 2, attrs: { constSide: 1, constShape: [16] } });
    expect(Array.from(c.weightsCodes!)).toEqual(Array.from({ length: 16 }, (_, i) => i - 8));
  });

  it('refuses operands that both broadcast to the output', () => {
    const msg = refusal(() => {
      const g = new Graph('bb');
      g.addTensor({ name: 'x', shape: ['N', 1, 16], precision: fx(8, 4) });
      g.addTensor({ name: 'x2', shape: ['N', 4, 1], precision: fx(8, 4) });
      g.addTensor({ name: 'y', shape: ['N', 4, 16], precision: fx(8, 4) });
      g.addNode({ name: 'sum', op: 'Add', inputs: ['x', 'x2'], outputs: ['y'] });
      g.inputs = [{ name: 'x', tensor: 'x' }, { name: 'x2', tensor: 'x2' }];
      g.outputs = [{ name: 'y', tensor: 'y' }];
      return g;
    });
    expect(msg).toContain("node 'sum' (Add): operands 8x1x16 and 8x4x1 both broadcast to the output 8x4x16");
  });

  it('emulates the aligned sum: hand-computed codes, and bit for bit the float interpreter', () => {
    const g = lower(addGraph);
    const x = onGrid([16], 4, 1), x2 = onGrid([16], 5, 2);
    // 3/16 + 5/32 = 11/32 -> 5.5/16 -> 6/16 (ties to even); 1/16 + 1/32 = 3/32 -> 1.5 -> 2; -1/16 - 1/32 -> -1.5 -> -2.
    x.data.set([3 / 16, 1 / 16, -1 / 16]);
    x2.data.set([5 / 32, 1 / 32, -1 / 32]);
    const out = emulate(g, { x, x2 });
    expect(Array.from(out.codes.slice(0, 3))).toEqual([6, 2, -2]);
    expect(Array.from(out.data)).toEqual(Array.from(reference(addGraph, { x, x2 })));
    const feeds = { x: onGrid([16], 4, 3) };
    expect(Array.from(emulate(lower(addConstGraph), feeds).data)).toEqual(Array.from(reference(addConstGraph, feeds)));
  });

  it('traces within its bound: the srs rounding (half an LSB of 2^-4) on exact inputs; a saturated sum is not explained', () => {
    // Codes within +-60: the sum stays inside the int8 range at 2^-4.
    const row = traceRow(lower(addGraph), { x: onGrid([16], 4, 4, 60), x2: onGrid([16], 5, 5, 60) }, 'sum');
    expect(row.bound).toBe(2 ** -5);
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
    expect(row.exceeds).toBe(false);
    const over = traceRow(lower(addGraph), { x: onGrid([16], 4, 4, 120), x2: onGrid([16], 5, 5, 120) }, 'sum');
    expect(over.overflows).toBeGreaterThan(0);
    expect(over.exceeds).toBe(true);
  });

  it('emits add<cfg> with the alignment shifts, or AddConst<cfg> with the constant window', () => {
    const m = emitted(lower(addGraph), 'sum')!;
    expect(m.config.lines).toContain('static constexpr int SHIFT_A = 1, SHIFT_B = 0, SHIFT = 1;');
    expect(m.kernels[0].cls).toBe(`fn:firmflow::add<${m.config.name}>`);
    const c = emitted(lower(addConstGraph), 'sum')!;
    expect(c.kernels[0].cls).toBe(`firmflow::AddConst<${c.config.name}>`);
    expect(c.arrays[0].name).toBe(`${c.id}_const`);
    expect(Array.from(c.arrays[0].values).slice(0, 16)).toEqual(Array.from({ length: 16 }, (_, i) => i - 8));
    expect(c.kernels[0].ctorArgs).toEqual([`${c.id}_const`]);
  });

  it('models two vector passes per 64 int8 lanes plus the call', () => {
    const l = layer(lower(addGraph), 'sum');
    const t = l.tiling!;
    const expected = 2 * Math.ceil((t.tileM * 16) / 64) + AIE_ML.overheads.kernelCallCycles;
    expect(add.perf.vectorCycles!(AIE_ML, 'int8', t.tileM, 16)).toBe(expected);
    expect(l.perf!.terms['compute']).toBe(expected);
  });
});
