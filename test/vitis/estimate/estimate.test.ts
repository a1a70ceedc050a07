import { describe, expect, it } from 'vitest';
import { estimate, findPart, listParts } from '../../../backends/vitis/estimate/index.js';
import { csdDigits, dspsPerMultiplier, significantBits } from '../../../backends/vitis/estimate/model.js';
import { ModelBuilder } from 'firmflow';
import { lower } from '../helpers.js';

/* The FPGA estimate (docs/fpga-estimates.md): exact values of the model on a small layer, trends over reuse factors. */

const JET = 'models/jet_tagger.onnx';

/** x[N,4] -> Gemm(W[4,2], b[2]): weights chosen to exercise every multiplier kind at fixed<8,4> (codes x16). */
function smallDense(): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 4]);
  // codes: 0, 7 | 16, 11 | 8, 21 | -4, 53
  m.initializer('w', [0, 7 / 16, 1, 11 / 16, 0.5, 21 / 16, -0.25, 53 / 16], [4, 2]);
  m.initializer('b', [0.25, -0.5], [2]);
  m.node('Gemm', ['x', 'w', 'b'], ['y'], {}, { name: 'fc' });
  m.output('y', 'float32', ['N', 2]);
  return m.toBytes();
}

describe('cost primitives', () => {
  it('counts canonical signed digits and significant bits', () => {
    expect([0, 1, 2, 3, 7, 11, 21, 53, -4, -7, 255].map(csdDigits)).toEqual([0, 1, 1, 2, 2, 3, 3, 4, 1, 2, 2]);
    expect([0, 1, 8, 53, -53, 96].map(significantBits)).toEqual([0, 2, 2, 7, 7, 3]);
  });

  it('tiles wide products over DSP slices (27x18 on UltraScale, 25x18 on 7 series)', () => {
    const us = findPart('xcvu9p'), z7 = findPart('xc7z020-clg400-1');
    expect(dspsPerMultiplier(16, 16, us)).toBe(1);
    expect(dspsPerMultiplier(27, 18, us)).toBe(1);
    expect(dspsPerMultiplier(18, 27, us)).toBe(1);
    expect(dspsPerMultiplier(26, 18, z7)).toBe(2);
    expect(dspsPerMultiplier(32, 32, us)).toBe(4);
    expect(dspsPerMultiplier(32, 16, us)).toBe(2);
  });
});

describe('estimate of a small Dense layer', () => {
  it('matches the hand-computed values of the model exactly', async () => {
    const p = await lower(smallDense(), {
      config: { Model: { Precision: { weight: 'fixed<8,4>', bias: 'fixed<8,4>', accum: 'fixed<20,10>', result: 'fixed<16,6>' } } },
    });
    const e = estimate(p.graph, { part: 'xcu250-figd2104-2L-e', clockPeriod: 5 });
    expect(e.layers).toHaveLength(1);
    const l = e.layers[0];
    // 8 weights: one zero, three powers of two (16, 8, -4), three shift-add in LUTs (7: 2 digits, 11 and 21: 3 digits),
    // one DSP (53: 4 digits, 16 x 7 bits fits one DSP48E2)
    expect(l.multipliers).toMatchObject({ multiplications: 8, instances: 4, impl: 'dsp', dspEach: 1, widths: [16, 8] });
    expect(l.resources.dsp).toBe(1);
    // LUT: multipliers 16*(1) + 16*(2) + 16*(2) = 80; adders: 7 products - 1 absorbed by the DSP = 6 x 20 bits = 120;
    // result conversion 2 x 16 = 32
    expect(l.resources.lut).toBe(80 + 120 + 32);
    // DSP (1 cycle), then 3 adder levels of 0.85 ns and a 0.77 ns conversion fit one 4.375 ns cycle: latency 1
    expect(l.latencyCycles).toBe(1);
    expect(l.ii).toBe(1);
    // FF: 1.3 per live bit (2 x 20 accumulators + 4 x 16 inputs) at one boundary = 135.2 -> 136
    expect(l.resources.ff).toBe(136);
    expect(l.resources.bram18k).toBe(0);
    // interface: input 4 x 16 + 1 valid, output 2 x 16 + 1
    expect(e.interface.ff).toBe(98);
    expect(e.total.resources).toEqual({ dsp: 1, lut: 232, ff: 234, bram18k: 0, uram: 0 });
    expect(e.total.latencyCycles).toBe(2);
    expect(e.total.latencyNs).toBe(10);
    expect(e.total.throughput).toBe(200e6);
  });

  it('gives the fractions of the chosen part', async () => {
    const p = await lower(JET, {});
    for (const part of ['xc7z020-clg400-1', 'xcvu13p-flga2577-2-e', 'xczu9eg', 'xcku115-flvb2104-2-i']) {
      const e = estimate(p.graph, { part });
      const info = findPart(part);
      expect(e.part.name).toBe(info.name);
      expect(e.total.fractions.dsp).toBeCloseTo(e.total.resources.dsp / info.dsp, 12);
      expect(e.total.fractions.lut).toBeCloseTo(e.total.resources.lut / info.lut, 12);
      expect(e.total.fractions.ff).toBeCloseTo(e.total.resources.ff / info.ff, 12);
      expect(e.total.fractions.bram18k).toBeCloseTo(e.total.resources.bram18k / info.bram18k, 12);
      expect(e.total.fits).toBe(Object.values(e.total.fractions).every((f) => f <= 1));
    }
    // the jet tagger at reuse factor 1 needs thousands of DSPs: more than a Zynq-7020 has
    expect(estimate(p.graph, { part: 'xc7z020' }).total.fits).toBe(false);
    expect(estimate(p.graph, { part: 'xcvu13p' }).total.fits).toBe(true);
  });

  it('refuses an unknown part, listing the known ones', async () => {
    const p = await lower(JET, {});
    expect(() => estimate(p.graph, { part: 'xc9z999' })).toThrow(/unknown FPGA part 'xc9z999'.*xcu250.*xc7z020/);
    expect(listParts().map((x) => x.name)).toEqual(expect.arrayContaining(['xcu250', 'xcvu9p', 'xcvu13p', 'xcku115', 'xc7z020', 'xczu9eg']));
  });
});

describe('estimate of the jet tagger over reuse factors', () => {
  it('DSPs fall and latency rises as the reuse factor grows (latency strategy)', async () => {
    const runs = [];
    for (const rf of [1, 2, 4, 8]) {
      const p = await lower(JET, { reuseFactor: rf });
      runs.push(estimate(p.graph, { part: 'xcu250-figd2104-2L-e', clockPeriod: 5 }));
    }
    const dsp = runs.map((e) => e.total.resources.dsp);
    const lat = runs.map((e) => e.total.latencyCycles);
    for (let i = 1; i < runs.length; i++) {
      expect(dsp[i]).toBeLessThan(dsp[i - 1]);
      expect(lat[i]).toBeGreaterThan(lat[i - 1]);
    }
    expect(runs.map((e) => e.total.ii)).toEqual([1, 2, 4, 8]);
    // from reuse factor 2 on every multiplier is shared: 4256 / R multipliers of 16 x 16 bits, one DSP each,
    // plus the 5 of the softmax
    expect(dsp.slice(1)).toEqual([4256 / 2 + 5, 4256 / 4 + 5, 4256 / 8 + 5]);
    for (const e of runs) expect(e.total.latencyNs).toBe(e.total.latencyCycles * 5);
  });

  it('puts resource-strategy weights in block RAM and io_stream FIFOs in the total', async () => {
    const res = estimate((await lower(JET, { reuseFactor: 8, strategy: 'resource' })).graph, { part: 'xcu250' });
    const dense = res.layers.filter((l) => l.op === 'Dense');
    expect(dense.every((l) => l.storage.in === 'bram' && l.resources.bram18k > 0)).toBe(true);
    // fc2: 64 x 32 weights in 8 words of 256 x 16 bits; depth 8 -> 36-bit wide blocks: ceil(4096 / 36) = 114
    expect(dense[1].resources.bram18k).toBe(114);
    const lat = estimate((await lower(JET, { reuseFactor: 8 })).graph, { part: 'xcu250' });
    expect(res.total.resources.bram18k).toBeGreaterThan(lat.total.resources.bram18k);

    const stream = estimate((await lower(JET, { io: 'stream' })).graph, { part: 'xcu250' });
    expect(stream.io).toBe('io_stream');
    expect(stream.total.resources.lut).toBeGreaterThan(stream.layers.reduce((a, l) => a + l.resources.lut, 0));
    expect(stream.total.ii).toBe(Math.max(...stream.layers.map((l) => l.ii)));
  });

  it('line-buffered convolutions in io_stream take the pixel loop into their latency', async () => {
    const e = estimate((await lower('models/small_cnn.onnx', { io: 'stream' })).graph, { part: 'xcu250' });
    const conv = e.layers.filter((l) => l.op === 'Conv');
    // conv1: 12 x 12 input pixels of one channel read, then 12 output rows of 12 pixels at II 1
    expect(conv[0].ii).toBeGreaterThanOrEqual(144 + 144);
    expect(conv[0].notes.join(' ')).toMatch(/line buffer 3 x 14 x 1/);
    expect(e.total.latencyCycles).toBeGreaterThanOrEqual(e.total.ii);
  });
});
