import { describe, expect, it } from 'vitest';
import { ModelBuilder } from 'firmflow';
import { emulate } from '../../../backends/vitis/emulate/index.js';
import { quantizerInputBound, widenedToHold } from '../../../backends/vitis/passes/input-types.js';
import { converted } from '../acceptance/build.js';

/*
 * Issue 12, item 6: a graph input feeding the model's own quantizer gets a type holding the quantizer's whole input
 * range, and the quantizer's result holds all its levels, so nothing clips before the model clips. The case is a
 * QONNX keyword-spotting MLP's input: an 8-bit signed Quant of scale 0.83 (levels -106.24 .. 105.41).
 */
const QONNX = 'qonnx.custom_op.general';
const SCALE = Math.fround(0.83);

function kwsInput(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
  m.input('x', 'float32', ['N', 8]);
  m.initializer('s', [0.83], []).initializer('z', [0], []).initializer('b', [8], []);
  m.node('Quant', ['x', 's', 'z', 'b'], ['y'], { signed: 1, narrow: 0, rounding_mode: 'ROUND' }, { domain: QONNX, name: 'input_quant' });
  m.output('y', 'float32', ['N', 8]);
  return m.toBytes();
}

/** QONNX Quant: float32 x / scale, clamp to [-128, 127], round half to even, times scale. */
function quant(x: number): number {
  const q = Math.min(127, Math.max(-128, Math.fround(Math.fround(x) / SCALE)));
  const f = Math.floor(q), r = q - f;
  const k = r > 0.5 || (r === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return k * SCALE;
}

describe('input types follow the model\'s input quantizer (issue 12, item 6)', () => {
  it('the quantizer\'s input range: 127.5 levels of 0.83 above zero, 128.5 below', async () => {
    const p = await converted(kwsInput());
    // The graph is lowered: the Quant is a Rescale reading the input.
    expect(quantizerInputBound(p.graph, 'x')).toBeCloseTo(128.5 * SCALE, 5);
    expect(widenedToHold({ signed: true, width: 16, integer: 6, rounding: 'RND_CONV', overflow: 'SAT' }, 106.7)).toMatchObject({ width: 18, integer: 8 });
    expect(widenedToHold({ signed: true, width: 16, integer: 6, rounding: 'RND_CONV', overflow: 'SAT' }, 20)).toMatchObject({ width: 16, integer: 6 });
  });

  it('the default input type becomes fixed<18,8> (10 fractional bits kept) and the result holds every level', async () => {
    const p = await converted(kwsInput());
    expect(p.graph.tensor('x').precision).toMatchObject({ signed: true, width: 18, integer: 8 });
    expect(p.graph.tensor('y').precision).toMatchObject({ signed: true, width: 18, integer: 8 });
  });

  it('inputs over +-120 reach the quantizer unclipped: every level within half a result step of QONNX\'s', async () => {
    const p = await converted(kwsInput());
    // Inputs on a 2^-6 grid (exact in the input type), away from the rounding ties of x / 0.83.
    const xs: number[] = [];
    for (let v = -120; v <= 120; v += 0.515625) if (Math.abs((Math.fround(v) / SCALE) % 1) - 0.5 !== 0) xs.push(v);
    const n = xs.length - (xs.length % 8);
    const out = emulate(p.graph, { x: { shape: [n / 8, 8], data: Float32Array.from(xs.slice(0, n)) } }, { onWarning: () => {} });
    let worst = 0, clippedBefore = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(out['y'].data[i] - quant(xs[i])));
      if (Math.abs(xs[i]) > 32 && Math.abs(quant(xs[i])) > 32) clippedBefore++;
    }
    // With the old fixed<16,6> input these saturated at +-32 before the quantizer.
    expect(clippedBefore).toBeGreaterThan(100);
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    // The ends: the quantizer's own clip at -128 and 127 levels.
    const ends = emulate(p.graph, { x: { shape: [1, 8], data: Float32Array.from([-200, -120, 120, 200, 105.3, -106.2, 0.4, -0.42]) } }, { onWarning: () => {} });
    const want = [-128, -128, 127, 127, 127, -128, 0, -1].map((k) => k * SCALE);
    for (let i = 0; i < 8; i++) expect(Math.abs(ends['y'].data[i] - want[i]), `value ${i}`).toBeLessThanOrEqual(2 ** -11);
  });
});
