import { describe, expect, it } from 'vitest';
import { Graph, type FixedType } from 'firmflow';
import { activation } from '../../src/kernels/activation.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, onGrid, reference, refusal, traceRow } from './kit.js';

/** x (int8, 2^-4) -> Sigmoid/Tanh -> y (int8, 2^-7). */
function actGraph(op: 'Sigmoid' | 'Tanh', input: FixedType = fx(8, 4)): () => Graph {
  return () => {
    const g = new Graph(op);
    g.addTensor({ name: 'x', shape: ['N', 16], precision: input });
    g.addTensor({ name: 'y', shape: ['N', 16], precision: fx(8, 7) });
    g.addNode({ name: 'f', op, inputs: ['x'], outputs: ['y'] });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.outputs = [{ name: 'y', tensor: 'y' }];
    return g;
  };
}

describe('kernel activation (Sigmoid, Tanh)', () => {
  it('legalizes to a table lookup (no srs) of int8 codes', () => {
    expect(layer(lower(actGraph('Sigmoid')), 'f')).toMatchObject({ kernel: 'activation', attrs: { fn: 'sigmoid' }, dtype: { a: 'int8', out: 'int8' }, frac: { a: 4, out: 7 }, shift: 0 });
    expect(layer(lower(actGraph('Tanh')), 'f').attrs['fn']).toBe('tanh');
  });

  it('refuses int16 input codes (the table has one entry per int8 code)', () => {
    expect(refusal(actGraph('Sigmoid', fx(16, 8)))).toContain("node 'f' (Sigmoid): input 'x' is int16 (16-bit); the AIE Sigmoid looks int8 input codes up in a 256-entry table");
  });

  it('emulates the rounded function: sigmoid(0) = 64/128, tanh(0) = 0, saturation at 127; bit for bit the interpreter', () => {
    for (const op of ['Sigmoid', 'Tanh'] as const) {
      const feed = onGrid([16], 4, 21, 128);
      feed.data.set([0, 127 / 16]);
      const out = emulate(lower(actGraph(op)), { x: feed });
      expect(Array.from(out.codes.slice(0, 2))).toEqual(op === 'Sigmoid' ? [64, 127] : [0, 127]);
      expect(Array.from(out.data)).toEqual(Array.from(reference(actGraph(op), { x: feed })));
    }
  });

  it('traces within its bound: the table entry\'s single rounding (half an LSB of 2^-7)', () => {
    const row = traceRow(lower(actGraph('Tanh')), { x: onGrid([16], 4, 22, 20) }, 'f');
    expect(row.bound).toBe(2 ** -8);
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
  });

  it('emits LookupInt8<cfg> sharing one 256-entry table', () => {
    const m = emitted(lower(actGraph('Sigmoid')), 'f')!;
    expect(m.arrays).toHaveLength(1);
    expect(m.arrays[0]).toMatchObject({ name: `${m.id}_lut`, ctype: 'int8' });
    expect(m.arrays[0].values.length).toBe(256);
    expect(m.arrays[0].values[128]).toBe(64);
    expect(m.kernels.every((k) => k.cls === `firmflow::LookupInt8<${m.config.name}>` && k.ctorArgs[0] === `${m.id}_lut`)).toBe(true);
  });

  it('models one scalar lookup per element, and keeps its 256-byte table in the tile', () => {
    const g = lower(actGraph('Sigmoid'));
    const l = layer(g, 'f');
    const t = l.tiling!;
    expect(l.perf!.terms['compute']).toBe(t.tileM * 16 + AIE_ML.overheads.kernelCallCycles);
    expect(activation.perf.vectorCycles!(AIE_ML, 'bf16', 2, 16)).toBe(3 * 32 + AIE_ML.overheads.kernelCallCycles);
    expect(activation.perf.tableBytes!(l, 16)).toBe(256);
  });
});
