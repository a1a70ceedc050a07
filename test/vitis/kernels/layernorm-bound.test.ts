import { attr } from 'firmflow';
import { describe, expect, it } from 'vitest';
import { trace } from '../../../backends/vitis/emulate/index.js';
import { uniform } from '../../../bench/vitis-models.js';
import { lower } from '../helpers.js';
import { numbers } from '../models.js';
import { ModelBuilder } from './harness.js';

/** x[N, 16] -> Dense 16x24 (when `dense`) -> LayerNormalization over 24 (or 16) with gamma and beta. */
function model(dense: boolean): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  m.input('x', 'float32', ['N', 16]);
  const n = dense ? 24 : 16;
  let t = 'x';
  if (dense) {
    m.initializer('W', numbers(16 * 24, 31, 0.4), [16, 24]).initializer('c', numbers(24, 32, 0.1), [24]);
    m.node('Gemm', ['x', 'W', 'c'], ['h'], {}, { name: 'fc' });
    t = 'h';
  }
  m.initializer('g', numbers(n, 21, 1.5), [n]).initializer('b', numbers(n, 22, 0.2), [n]);
  m.node('LayerNormalization', [t, 'g', 'b'], ['y'], { axis: -1, epsilon: attr.float(1e-3) }, { name: 'ln' });
  m.output('y', 'float32', ['N', n]);
  return m.toBytes();
}

/**
 * Rows of varied spread: sample s is scaled by 2^(s mod 4 - 2), so the variance covers 1/16 .. 4 times that of
 * uniform [-1, 1) and stays inside the default table range [0, 8).
 */
function inputs(samples: number, seed: number): Float32Array {
  const x = uniform(16 * samples, seed, 1);
  for (let s = 0; s < samples; s++) for (let i = 0; i < 16; i++) x[s * 16 + i] *= 2 ** ((s % 4) - 2);
  return x;
}

describe('layernorm error bound (--trace)', () => {
  // Ratios seen (worst over the three seeds): 0.95 alone, 0.93 after the Dense, 0.99 with the coarse constants and
  // table, where the table's entries dominate.
  const cases: [string, boolean, Record<string, unknown>][] = [
    ['alone', false, {}],
    ['after a Dense layer', true, {}],
    ['with coarse gamma, beta and a 64-entry table', false, { config: { LayerName: { ln: { TableSize: 64, Precision: { scale: 'fixed<6,2>', shift: 'fixed<6,2>' } } } } }],
  ];
  for (const [name, dense, options] of cases) {
    it(`is never exceeded on random rows, and is within 2x of the error seen: ${name}`, async () => {
      const p = await lower(model(dense), options);
      const ratios: number[] = [];
      for (const seed of [3, 4, 5]) {
        const r = trace(p.graph, { x: inputs(200, seed) });
        const ln = r.layers.find((l) => l.op === 'LayerNormalization')!;
        expect(ln.samplesExceeding).toBe(0);
        expect(r.firstUnexplained).toBeUndefined();
        expect(Number.isFinite(ln.bound)).toBe(true);
        ratios.push(ln.ratio);
      }
      // Not vacuous: the worst sample's error is a sizable part of its bound.
      expect(Math.max(...ratios)).toBeGreaterThan(0.5);
      expect(Math.max(...ratios)).toBeLessThanOrEqual(1);
    });
  }
});

describe('layernorm error bound with a table range too small', () => {
  it('names the LayerNorm as the first unexplained layer (rows whose variance is past the range read the last entry)', async () => {
    const p = await lower(model(false), { config: { LayerName: { ln: { TableRange: [0, 0.25] } } } });
    const r = trace(p.graph, { x: inputs(200, 3) });
    expect(r.firstUnexplained?.layer).toBe('ln');
    expect(r.layers[0].exceeds).toBe(false);
  });
});
