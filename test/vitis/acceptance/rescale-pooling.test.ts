import { describe, expect, it } from 'vitest';
import { roundCodes } from '../../../backends/vitis/emulate/rounding.js';
import { hlsOf } from '../../../backends/vitis/lowered.js';
import { ModelBuilder, QONNX_ROUNDING_MODES, qonnxRound } from 'firmflow';
import { built, converted, floatModel, gaussian } from './build.js';

/*
 * Rescale (a QDQ pair with a scale that is not a power of two) and average pooling (count_include_pad 0 and 1 at the
 * borders, global pooling): the C simulation equals the emulator bit for bit, and the emulated quantizer lands on
 * the reference's integer level on every element. One g++ build per io type.
 */

/** x[N,3,7,7] -> Q/DQ (scale 0.05, zero point 5, uint8) -> AvgPool 3x3/2 pad 1 (pads excluded) -> AvgPool 3x3/1 pad 1
 *  (pads counted) -> GlobalAveragePool -> Flatten; the quantizer's and both pools' outputs are graph outputs. */
function model(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 3, 7, 7]);
  m.initializer('s', Float32Array.from([0.05]), []).initializer('z', Uint8Array.from([5]), []);
  m.node('QuantizeLinear', ['x', 's', 'z'], ['q']).node('DequantizeLinear', ['q', 's', 'z'], ['dq']);
  m.node('AveragePool', ['dq'], ['p1'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 0 });
  m.node('AveragePool', ['p1'], ['p2'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], count_include_pad: 1 });
  m.node('GlobalAveragePool', ['p2'], ['g']).node('Flatten', ['g'], ['y']);
  m.output('dq', 'float32', ['N', 3, 7, 7]).output('p1', 'float32', ['N', 3, 4, 4]).output('p2', 'float32', ['N', 3, 4, 4]).output('y', 'float32', ['N', 3]);
  return m.toBytes();
}

const SAMPLES = 200;
// Inputs on the input type's grid (fixed<16,6>: multiples of 2^-10), so the quantizer sees the reference's values.
const x = gaussian(SAMPLES * 147, 31).map((v) => Math.round(v * 4 * 1024) / 1024);

describe('Rescale and average pooling', () => {
  it('the exact rounding of p / 2^F matches qonnx rounding on the same rationals, every mode', () => {
    for (const mode of QONNX_ROUNDING_MODES) {
      const ref = qonnxRound(mode);
      for (let p = -200; p <= 200; p++) {
        // F = 3: multiples of 1/8, ties included; well inside float32, so qonnx's float rounding is exact here.
        expect(Number(roundCodes(BigInt(p), 3, mode)), `${mode} ${p}/8`).toBe(ref(p / 8) + 0);
      }
    }
  });

  it('lowering: a non-power-of-two QDQ pair becomes a Rescale with 1/scale, the integer range and the zero point', async () => {
    const p = await converted(model());
    const r = [...p.graph.nodes.values()].find((n) => n.op === 'Rescale')!;
    const h = hlsOf(r);
    expect(h.kernel).toBe('rescale');
    expect([h.params['q_min'], h.params['q_max'], h.params['zero_point_codes']]).toEqual([0, 255, [5]]);
    expect((h.params['inv_scale_codes'] as number[])[0] * 2 ** -(h.types['inv_scale'].width - h.types['inv_scale'].integer)).toBeCloseTo(20, 5);
    const g = [...p.graph.nodes.values()].find((n) => n.op === 'GlobalAveragePool')!;
    expect((hlsOf(g).params['inv_count_codes'] as number[]).length).toBe(1);
  });

  for (const io of ['parallel', 'stream'] as const) {
    it(`${io}: C simulation == emulator; the quantizer lands on the reference's levels; pools within their rounding`, async () => {
      const bytes = model();
      const p = await built(bytes, `rescale-pool-${io}`, { io });
      const sim = await p.predict({ x: { shape: [SAMPLES, 3, 7, 7], data: x } });
      const emu = p.emulate({ x: { shape: [SAMPLES, 3, 7, 7], data: x } });
      for (const o of ['dq', 'p1', 'p2', 'y']) expect(Array.from(emu[o].data), o).toEqual(Array.from(sim[o].data));
      const ref = floatModel(bytes)({ x: { data: x } }, SAMPLES);
      // Levels (q - zp) * 0.05 in fixed<16,6>: within half an LSB of the float32 level, never a level apart.
      let worst = 0;
      for (let i = 0; i < ref['dq'].length; i++) worst = Math.max(worst, Math.abs(emu['dq'].data[i] - ref['dq'][i]));
      expect(worst).toBeLessThanOrEqual(2 ** -11 + 1e-7);
      // Each pool rounds once to fixed<16,6> (plus the inputs' own error, averaged): at most one LSB per stage.
      for (const [o, tol] of [['p1', 2 ** -10], ['p2', 2 ** -9], ['y', 2 ** -8]] as const) {
        let e = 0;
        for (let i = 0; i < ref[o].length; i++) e = Math.max(e, Math.abs(emu[o].data[i] - ref[o][i]));
        expect(e, o).toBeLessThanOrEqual(tol);
      }
    }, 120_000);
  }
});
