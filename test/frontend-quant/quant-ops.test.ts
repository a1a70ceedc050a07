/**
 * QuantizeLinear / DequantizeLinear against onnxruntime (bit-exact), and QONNX Quant / BipolarQuant against
 * hand-computed values (onnxruntime cannot run them).
 */
import { describe, expect, it } from 'vitest';
import { ModelBuilder, type AttrInput } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import type { QuantizerNote } from '../../src/onnx/ops/quant.js';
import { compareWithOrt, plain, randomF32, runFirmflow } from '../frontend-spatial/helpers.js';

const f32 = Math.fround;

/** float32 pairs whose float32 quotient is an exact tie while the exact quotient is not (see the Quant tests). */
const S137 = f32(0.0137);
const TIE_UP = f32(0.020549999549984932); // / S137 = 1.5 in float32 (1.49999997 exactly)
const TIE_DOWN = f32(0.061650000512599945); // / S137 = 4.5 in float32 (4.50000003 exactly)

interface QdqCase {
  name: string;
  opset: number;
  shape: number[]; // without batch
  scale: number[];
  zp?: { data: Int8Array | Uint8Array | Int16Array | Uint16Array; };
  attrs?: Record<string, AttrInput>;
  qType: 'int8' | 'uint8' | 'int16' | 'uint16';
  range: number; // spread of x
}

function qdqModel(c: QdqCase): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': c.opset } });
  m.input('x', 'float32', ['N', ...c.shape]);
  m.initializer('s', new Float32Array(c.scale), c.scale.length === 1 ? [] : [c.scale.length]);
  const ins = ['x', 's'];
  if (c.zp) { m.initializer('zp', c.zp.data, c.scale.length === 1 ? [] : [c.scale.length]); ins.push('zp'); }
  m.node('QuantizeLinear', ins, ['q'], c.attrs ?? {});
  const dqAttrs = { ...(c.attrs ?? {}) };
  delete dqAttrs['output_dtype'];
  m.node('DequantizeLinear', ['q', ...ins.slice(1)], ['y'], dqAttrs);
  m.output('q', c.qType);
  m.output('y', 'float32');
  return m.toBytes();
}

/** Random values plus exact ties at every scale, out-of-range values and the float32-only ties. */
function qdqFeed(c: QdqCase): { x: { data: Float32Array; dims: number[] } } {
  const per = c.shape.reduce((a, b) => a * b, 1);
  const dims = [3, ...c.shape];
  const data = randomF32(3 * per, 99, -c.range, c.range);
  const s0 = c.scale[0];
  const special = [0.5 * s0, 1.5 * s0, 2.5 * s0, -0.5 * s0, -1.5 * s0, -2.5 * s0, 1e9, -1e9, 0, -0, TIE_UP, TIE_DOWN, -TIE_UP];
  // Per-axis: put the specials where channel 0 is read (axis 1 -> the first rows of channel 0).
  special.forEach((v, i) => { if (i < per) data[i] = v; });
  return { x: { data, dims } };
}

describe('QuantizeLinear / DequantizeLinear against onnxruntime (bit-exact)', () => {
  const cases: QdqCase[] = [
    { name: 'uint8 per tensor, zero point 128 (opset 13)', opset: 13, shape: [16], scale: [0.05], zp: { data: new Uint8Array([128]) }, qType: 'uint8', range: 8 },
    { name: 'int8 per tensor, zero point -3 (opset 10)', opset: 10, shape: [4, 4], scale: [0.125], zp: { data: new Int8Array([-3]) }, qType: 'int8', range: 20 },
    { name: 'uint8 without zero point', opset: 13, shape: [16], scale: [0.03125], qType: 'uint8', range: 9 },
    { name: 'int8 float32-only ties (scale 0.0137)', opset: 13, shape: [16], scale: [S137], zp: { data: new Int8Array([0]) }, qType: 'int8', range: 2 },
    { name: 'int8 per axis (axis 1)', opset: 13, shape: [3, 5], scale: [S137, 0.25, 0.0625], zp: { data: new Int8Array([0, 2, -1]) }, qType: 'int8', range: 4 },
    { name: 'uint8 per axis (axis -1)', opset: 13, shape: [5, 4], scale: [0.1, 0.02, 0.5, 0.0137], zp: { data: new Uint8Array([10, 128, 0, 255]) }, attrs: { axis: -1 }, qType: 'uint8', range: 3 },
    { name: 'int16 per tensor (opset 21)', opset: 21, shape: [16], scale: [0.001], zp: { data: new Int16Array([-7]) }, qType: 'int16', range: 40 },
    { name: 'uint16 per axis (opset 21)', opset: 21, shape: [2, 8], scale: [0.0005, 0.002], zp: { data: new Uint16Array([32768, 100]) }, qType: 'uint16', range: 30 },
    { name: 'int8 by output_dtype, no zero point (opset 21)', opset: 21, shape: [16], scale: [0.0625], attrs: { output_dtype: 3 }, qType: 'int8', range: 10 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const graph = await compareWithOrt(qdqModel(c), qdqFeed(c), { atol: 0, rtol: 0 });
      const q = graph.tensor('q');
      expect(q.dtype).toBe(c.qType);
      const qn = [...graph.nodes.values()].find((n) => n.op === 'QuantizeLinear')!;
      expect(qn.attrs['dtype']).toBe(c.qType);
      // The IR axis is normalized: -1 on [N, 5, 4] is 2.
      if (c.scale.length > 1) expect(qn.attrs['axis']).toBe(c.attrs?.['axis'] === -1 ? c.shape.length : 1);
    });
  }

  it('constant int8 per-axis weights through DequantizeLinear fold to float32 with a quantizer note', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 2, 5, 5]);
    const wq = new Int8Array(3 * 2 * 3 * 3);
    for (let i = 0; i < wq.length; i++) wq[i] = ((i * 37) % 255) - 127;
    m.initializer('wq', wq, [3, 2, 3, 3]);
    m.initializer('ws', new Float32Array([0.01, 0.002, 0.0137]), [3]);
    m.initializer('wz', new Int8Array([0, 1, -2]), [3]);
    m.initializer('bq', new Int32Array([1000, -2000, 123456]), [3]);
    m.initializer('bs', new Float32Array([0.0001]), []);
    m.node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w'], { axis: 0 });
    m.node('DequantizeLinear', ['bq', 'bs'], ['b']);
    m.node('Conv', ['x', 'w', 'b'], ['y'], { pads: [1, 1, 1, 1] });
    m.output('y', 'float32');
    const graph = await compareWithOrt(m.toBytes(), { x: { data: randomF32(2 * 50, 5, -3, 3), dims: [2, 2, 5, 5] } });
    expect([...graph.nodes.values()].map((n) => n.op)).toEqual(['Conv']);
    const w = graph.tensor('w');
    expect(w.data).toBeInstanceOf(Float32Array);
    // (q - zp) * scale in float32: element 0 is q=-127 in channel 0; the first of channel 2 is index 36.
    expect(w.data![0]).toBe(f32(-127 * f32(0.01)));
    expect(w.data![36]).toBe(f32((wq[36] + 2) * S137));
    expect(w.meta['quantizer']).toEqual({
      op: 'DequantizeLinear', bits: 8, signed: true, narrow: false, scale: [f32(0.01), f32(0.002), S137], scaleShape: [3],
      zeropt: [0, 1, -2], zeroptShape: [3], axis: 0, roundingMode: 'ROUND',
    } satisfies QuantizerNote);
    const b = graph.tensor('b');
    expect(Array.from(b.data as Float32Array)).toEqual([1000, -2000, 123456].map((v) => f32(v * f32(0.0001))));
    expect((b.meta['quantizer'] as QuantizerNote).bits).toBe(32);
  });

  it('refuses block quantization and float8 outputs by name', () => {
    const m = new ModelBuilder({ opsets: { '': 21 } });
    m.input('x', 'float32', ['N', 4]);
    m.initializer('s', new Float32Array([0.1, 0.2]), [1, 2]);
    m.node('QuantizeLinear', ['x', 's'], ['q'], { block_size: 2, output_dtype: 3 }, { name: 'blk' });
    m.node('QuantizeLinear', ['x', 's'], ['q8'], { output_dtype: 17 }, { name: 'f8' });
    m.output('q', 'int8');
    m.output('q8', 17);
    expect(() => loadModel(m.toBytes())).toThrow(/node 'blk' \(QuantizeLinear\): block quantization \(block_size=2\) is not supported[\s\S]*node 'f8' \(QuantizeLinear\): output_dtype FLOAT8E4M3FN is not supported/);
  });

  it('refuses a per-axis scale whose length does not match the axis', () => {
    const c: QdqCase = { name: '', opset: 13, shape: [3, 5], scale: [0.1, 0.2], qType: 'uint8', range: 1 };
    expect(() => loadModel(qdqModel(c))).toThrow(/per-axis scale has 2 entries, axis 1 of input \[N, 3, 5\] has 3/);
  });
});

// ---------------------------------------------------------------------------------------------- QONNX

interface QuantSpec {
  domain?: string;
  scale: number[];
  scaleShape?: number[];
  zeropt?: number;
  bits: number;
  signed: number;
  narrow: number;
  mode?: string;
}

function quantModel(len: number, q: QuantSpec): Uint8Array {
  const domain = q.domain ?? 'qonnx.custom_op.general';
  const m = new ModelBuilder({ opsets: { '': 13, [domain]: 1 } });
  m.input('x', 'float32', ['N', len]);
  m.initializer('s', new Float32Array(q.scale), q.scaleShape ?? []);
  m.initializer('z', new Float32Array([q.zeropt ?? 0]), []);
  m.initializer('b', new Float32Array([q.bits]), []);
  const attrs: Record<string, AttrInput> = { signed: q.signed, narrow: q.narrow };
  if (q.mode) attrs['rounding_mode'] = q.mode;
  m.node('Quant', ['x', 's', 'z', 'b'], ['y'], attrs, { domain, name: 'quant' });
  m.output('y', 'float32');
  return m.toBytes();
}

function runQuant(x: number[], q: QuantSpec, rows = 1): Float64Array {
  const bytes = quantModel(x.length / rows, q);
  const { graph, outputs } = runFirmflow(bytes, { x: { data: Float32Array.from(x), dims: [rows, x.length / rows] } });
  expect([...graph.nodes.values()].map((n) => n.op)).toEqual(['Quant']);
  return outputs['y'].data;
}

describe('QONNX Quant (hand-computed)', () => {
  const TIES = [2.5, 1.5, 0.5, -0.5, -1.5, -2.5, 1.6, -1.6, 1.4, -1.4];
  const BY_MODE: Record<string, number[]> = {
    ROUND: [2, 2, 0, 0, -2, -2, 2, -2, 1, -1],
    CEIL: [3, 2, 1, 0, -1, -2, 2, -1, 2, -1],
    FLOOR: [2, 1, 0, -1, -2, -3, 1, -2, 1, -2],
    UP: [3, 2, 1, -1, -2, -3, 2, -2, 2, -2],
    DOWN: [2, 1, 0, 0, -1, -2, 1, -1, 1, -1],
    HALF_UP: [3, 2, 1, -1, -2, -3, 2, -2, 1, -1],
    HALF_DOWN: [2, 1, 0, 0, -1, -2, 2, -2, 1, -1],
  };
  for (const [mode, want] of Object.entries(BY_MODE)) {
    it(`rounding_mode ${mode} on ties and near-ties`, () => {
      expect(plain(runQuant(TIES, { scale: [1], bits: 8, signed: 1, narrow: 0, mode }))).toEqual(want);
    });
  }

  it('rounding_mode aliases and lower case: half_even = ROUND, ROUND_TO_ZERO = DOWN', () => {
    expect(plain(runQuant(TIES, { scale: [1], bits: 8, signed: 1, narrow: 0, mode: 'half_even' }))).toEqual(BY_MODE['ROUND']);
    expect(plain(runQuant(TIES, { scale: [1], bits: 8, signed: 1, narrow: 0, mode: 'ROUND_TO_ZERO' }))).toEqual(BY_MODE['DOWN']);
  });

  it('HALF_UP adds 0.5 in float32, as qonnx does on float32 arrays', () => {
    // 0.49999997 + 0.5 rounds to 1.0 in float32, so qonnx gives 1 where exact arithmetic gives 0.
    expect(plain(runQuant([f32(0.49999997), -f32(0.49999997)], { scale: [1], bits: 8, signed: 1, narrow: 0, mode: 'HALF_UP' }))).toEqual([1, -1]);
  });

  it('x / scale is a float32 division (ties that exist only in float32)', () => {
    // float32(TIE_UP / S137) = 1.5 -> 2 (half to even); float32(TIE_DOWN / S137) = 4.5 -> 4.
    const y = runQuant([TIE_UP, TIE_DOWN], { scale: [S137], bits: 8, signed: 1, narrow: 0 });
    expect(Array.from(y)).toEqual([f32(2 * S137), f32(4 * S137)]);
  });

  it('clamps to the signed range, narrow range, then scales back', () => {
    // scale 0.5, 4 bits signed: q in [-8, 7] (narrow: [-7, 7]).
    const x = [0.25, 0.75, 1.25, -0.25, 100, -100, 3.6, -3.9];
    expect(plain(runQuant(x, { scale: [0.5], bits: 4, signed: 1, narrow: 0 }))).toEqual([0, 1, 1, 0, 3.5, -4, 3.5, -4]);
    expect(plain(runQuant(x, { scale: [0.5], bits: 4, signed: 1, narrow: 1 }))).toEqual([0, 1, 1, 0, 3.5, -3.5, 3.5, -3.5]);
  });

  it('unsigned ranges (narrow drops the top code) and a zero point', () => {
    // uint8 narrow: [0, 254].
    expect(plain(runQuant([300, -5, 254.4, 254.6], { scale: [1], bits: 8, signed: 0, narrow: 1 }))).toEqual([254, 0, 254, 254]);
    // uint4, scale 0.5, zeropt 3: q = x/0.5 + 3 clamped to [0, 15], rounded; y = (q - 3) * 0.5.
    // -2 -> -1 -> 0; -1 -> 1; 0.3 -> 3.6 -> 4; 7 -> 17 -> 15; 1.25 -> 5.5 -> 6 (half to even).
    expect(plain(runQuant([-2, -1, 0.3, 7, 1.25], { scale: [0.5], zeropt: 3, bits: 4, signed: 0, narrow: 0 }))).toEqual([-1.5, -1, 0.5, 6, 1.5]);
  });

  it('bitwidth 1 signed is bipolar: q >= 0 -> +1 else -1 (0 and -0.0 -> +1)', () => {
    const y = runQuant([0.3, -0.3, 0, -0, -1e-30, 5], { scale: [0.25], bits: 1, signed: 1, narrow: 0 });
    expect(Array.from(y)).toEqual([0.25, -0.25, 0.25, 0.25, -0.25, 0.25]);
  });

  it('bitwidth 1 unsigned is binary {0, 1}', () => {
    expect(plain(runQuant([0.3, 0.6, -4, 9], { scale: [1], bits: 1, signed: 0, narrow: 0 }))).toEqual([0, 1, 0, 1]);
  });

  it('per-channel scale broadcast onto the input', () => {
    const y = runQuant([1.3, 1.3, 1.3, -0.7, -0.7, -0.7], { scale: [1, 0.5, 0.25], scaleShape: [1, 3], bits: 3, signed: 1, narrow: 0 }, 2);
    // q = x / s: 1.3, 2.6, 5.2 -> 1, 3 (clamped at 3), 3 ; -0.7, -1.4, -2.8 -> -1, -1, -3
    expect(plain(y)).toEqual([1, 1.5, 0.75, -1, -0.5, -0.75]);
  });

  it('works the same in the three QONNX domains', () => {
    for (const domain of ['qonnx.custom_op.general', 'finn.custom_op.general', 'onnx.brevitas']) {
      expect(plain(runQuant([0.26, -7], { domain, scale: [0.5], bits: 3, signed: 1, narrow: 0 }))).toEqual([0.5, -2]);
    }
  });

  it('folds a Quant of constant weights and records the quantizer on the constant', () => {
    const m = new ModelBuilder({ opsets: { '': 13, 'qonnx.custom_op.general': 1 } });
    m.input('x', 'float32', ['N', 4]);
    m.initializer('w', new Float32Array([0.3, -0.9, 0.07, 2]), [4]);
    m.initializer('s', new Float32Array([0.125]), []);
    m.initializer('z', new Float32Array([0]), []);
    m.initializer('b', new Float32Array([3]), []);
    m.node('Quant', ['w', 's', 'z', 'b'], ['wq'], { signed: 1, narrow: 1, rounding_mode: 'ROUND' }, { domain: 'qonnx.custom_op.general' });
    m.node('Add', ['x', 'wq'], ['y']);
    m.output('y', 'float32');
    const { graph, outputs } = runFirmflow(m.toBytes(), { x: { data: new Float32Array(4), dims: [1, 4] } });
    expect([...graph.nodes.values()].map((n) => n.op)).toEqual(['Add']);
    // 3-bit signed narrow: q in [-3, 3]; 0.3/0.125 = 2.4 -> 2; -7.2 -> -3; 0.56 -> 1; 16 -> 3.
    expect(plain(outputs['y'].data)).toEqual([0.25, -0.375, 0.125, 0.375]);
    expect(graph.tensor('wq').meta['quantizer']).toEqual({
      op: 'Quant', signed: true, narrow: true, bits: 3, scale: [0.125], scaleShape: [], zeropt: [0], zeroptShape: [], roundingMode: 'ROUND',
    } satisfies QuantizerNote);
  });

  it('refuses an unknown rounding mode and runtime quantization parameters', () => {
    expect(() => loadModel(quantModel(2, { scale: [1], bits: 4, signed: 1, narrow: 0, mode: 'STOCHASTIC' }))).toThrow(
      /node 'quant' \(Quant, domain qonnx.custom_op.general\): rounding_mode 'STOCHASTIC' is not supported \(ROUND, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN\)/,
    );
    const m = new ModelBuilder({ opsets: { '': 13, 'qonnx.custom_op.general': 1 } });
    m.input('x', 'float32', ['N', 2]);
    m.input('s', 'float32', []);
    m.initializer('z', new Float32Array([0]), []);
    m.initializer('b', new Float32Array([4]), []);
    m.node('Quant', ['x', 's', 'z', 'b'], ['y'], { signed: 1, narrow: 0 }, { domain: 'qonnx.custom_op.general' });
    m.output('y', 'float32');
    expect(() => loadModel(m.toBytes())).toThrow(/scale \('s'\) must be a constant/);
  });

  it('refuses a bit width that is not an integer', () => {
    expect(() => loadModel(quantModel(2, { scale: [1], bits: 2.5, signed: 1, narrow: 0 }))).toThrow(/bitwidth 2.5 must be an integer from 1 to 32/);
  });
});

describe('QONNX BipolarQuant (hand-computed)', () => {
  function bipolar(domain: string, x: number[], scale: number): { y: Float64Array; ops: string[] } {
    const m = new ModelBuilder({ opsets: { '': 13, [domain]: 1 } });
    m.input('x', 'float32', ['N', x.length]);
    m.initializer('s', new Float32Array([scale]), [1]);
    m.node('BipolarQuant', ['x', 's'], ['y'], {}, { domain });
    m.output('y', 'float32');
    const { graph, outputs } = runFirmflow(m.toBytes(), { x: { data: Float32Array.from(x), dims: [1, x.length] } });
    return { y: outputs['y'].data, ops: [...graph.nodes.values()].map((n) => n.op) };
  }

  it('+scale for x >= 0 including 0 and -0.0, -scale below (all three domains)', () => {
    for (const domain of ['qonnx.custom_op.general', 'finn.custom_op.general', 'onnx.brevitas']) {
      const { y, ops } = bipolar(domain, [0.5, -0.5, 0, -0, -1e-38, 3e38], 2);
      expect(ops).toEqual(['BipolarQuant']);
      expect(Array.from(y)).toEqual([2, -2, 2, 2, -2, 2]);
      // -0.0 -> +scale, positive zero sign included.
      expect(Object.is(y[3], 2)).toBe(true);
    }
  });
});
