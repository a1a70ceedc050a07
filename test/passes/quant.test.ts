import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import type { DType } from '../../src/ir/types.js';
import { annotateWeightPrecision } from '../../passes/annotate-weight-precision.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { lowerQdq } from '../../passes/lower-qdq.js';
import { lowerQonnxQuant, typeBipolarQuant } from '../../passes/lower-qonnx-quant.js';
import { apply, const64, expectSameOutputs, input, ops, output, tensor } from './helpers.js';

const Q_PASSES = [annotateWeightPrecision, lowerQdq, lowerQonnxQuant, typeBipolarQuant, deadCodeElimination];
/** Quantized paths must agree bit for bit; float32 steps make the quantizers' inputs the same numbers. */
const F32 = { float32: true };

const ZP_DATA: Record<string, (n: number[]) => Int8Array | Uint8Array | Int16Array> = {
  int8: (v) => Int8Array.from(v), uint8: (v) => Uint8Array.from(v), int16: (v) => Int16Array.from(v),
};

/** x -> QuantizeLinear -> DequantizeLinear -> (Relu) -> y, with `extraReader` adding a Tanh on x. */
function qdqGraph(scale: number[], zp: number[], dtype: DType, opts: { relu?: boolean; extraReader?: boolean; axis?: number } = {}): Graph {
  const g = new Graph('qdq');
  input(g, 'x', ['N', 4], 'float32');
  g.addTensor({ name: 's', shape: scale.length > 1 ? [scale.length] : [], dtype: 'float32', data: Float32Array.from(scale) });
  g.addTensor({ name: 'z', shape: zp.length > 1 ? [zp.length] : [], dtype, data: ZP_DATA[dtype](zp) });
  let src = 'x';
  if (opts.relu) {
    tensor(g, 'r', ['N', 4], 'float32');
    g.addNode({ name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['r'] });
    src = 'r';
  }
  g.addTensor({ name: 'q', shape: ['N', 4], dtype });
  tensor(g, 'y', ['N', 4], 'float32');
  g.addNode({ name: 'quant', op: 'QuantizeLinear', attrs: { axis: opts.axis ?? 1, dtype }, inputs: [src, 's', 'z'], outputs: ['q'] });
  g.addNode({ name: 'dequant', op: 'DequantizeLinear', attrs: { axis: opts.axis ?? 1 }, inputs: ['q', 's', 'z'], outputs: ['y'] });
  output(g, 'y');
  if (opts.extraReader) {
    tensor(g, 't', ['N', 4], 'float32');
    g.addNode({ name: 'tanh', op: 'Tanh', inputs: [src], outputs: ['t'] });
    output(g, 't');
  }
  return g;
}

describe('lower-qdq', () => {
  it('int8 with scale 2^-5 becomes ap_fixed<8,3> (RND_CONV, SAT) on the quantized tensor', () => {
    const g = qdqGraph([2 ** -5], [0], 'int8', { relu: true });
    const before = g.clone();
    apply(g, Q_PASSES);
    expect(ops(g)).toEqual(['Relu']);
    expect(g.tensor('r').precision).toEqual({ signed: true, width: 8, integer: 3, rounding: 'RND_CONV', overflow: 'SAT' });
    expect(g.outputs[0].tensor).toBe('r');
    expectSameOutputs(before, g, 0, F32);
  });

  it('saturates like QuantizeLinear (scale 2^-7 puts most inputs out of range)', () => {
    const g = qdqGraph([2 ** -7], [0], 'int8');
    const before = g.clone();
    apply(g, Q_PASSES);
    expect(ops(g)).toEqual([]);
    expect(g.tensor('x').precision).toEqual({ signed: true, width: 8, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' });
    expectSameOutputs(before, g, 0, F32);
  });

  it('uint8 gives an unsigned type; a tensor with another reader gets a FixedCast instead', () => {
    const g = qdqGraph([2 ** -4], [0], 'uint8', { extraReader: true });
    const before = g.clone();
    apply(g, Q_PASSES);
    expect(ops(g).sort()).toEqual(['FixedCast', 'Tanh']);
    expect(g.tensor('x').precision).toBeUndefined();
    expect(g.tensor('y').precision).toEqual({ signed: false, width: 8, integer: 4, rounding: 'RND_CONV', overflow: 'SAT' });
    expectSameOutputs(before, g, 0, F32);
  });

  it('a scale that is not a power of two keeps an explicit Rescale node with the affine grid', () => {
    const g = qdqGraph([0.0123], [0], 'int8');
    const before = g.clone();
    apply(g, Q_PASSES);
    expect(ops(g)).toEqual(['Rescale']);
    const y = g.tensor('y');
    expect(y.precision).toBeUndefined();
    expect(y.quant?.bits).toBe(8);
    expect(y.quant?.scale[0]).toBe(Math.fround(0.0123));
    expectSameOutputs(before, g, 0, F32);
  });

  it('a non-zero zero point keeps a Rescale node (uint8, zero point 128, and odd 37)', () => {
    for (const zp of [128, 37]) {
      const g = qdqGraph([2 ** -5], [zp], 'uint8');
      const before = g.clone();
      apply(g, Q_PASSES);
      expect(ops(g)).toEqual(['Rescale']);
      expect(Array.from(g.tensor('y').quant!.zeroPoint)).toEqual([zp]);
      expectSameOutputs(before, g, 0, F32);
    }
  });

  it('per-axis scales become a per-channel Rescale', () => {
    const g = qdqGraph([0.5, 0.25, 0.1, 2], [0, 1, -3, 2], 'int8', { axis: 1 });
    const before = g.clone();
    apply(g, Q_PASSES);
    expect(ops(g)).toEqual(['Rescale']);
    expect(g.tensor('y').quant?.axis).toBe(1);
    expectSameOutputs(before, g, 0, F32);
  });

  it('per-axis scales that are all the same power of two are one fixed-point type', () => {
    const g = qdqGraph([0.125, 0.125, 0.125, 0.125], [0, 0, 0, 0], 'int16', { axis: 1 });
    const before = g.clone();
    apply(g, Q_PASSES);
    expect(ops(g)).toEqual([]);
    expect(g.tensor('x').precision).toEqual({ signed: true, width: 16, integer: 13, rounding: 'RND_CONV', overflow: 'SAT' });
    expectSameOutputs(before, g, 0, F32);
  });
});

function quantGraph(attrs: { signed: boolean; narrow: boolean; roundingMode: string }, scale: number[], bits: number, zp = 0): Graph {
  const g = new Graph('qonnx');
  input(g, 'x', ['N', 3], 'float32');
  tensor(g, 'h', ['N', 3], 'float32');
  g.addNode({ name: 'act', op: 'Tanh', inputs: ['x'], outputs: ['h'] });
  g.addTensor({ name: 's', shape: scale.length > 1 ? [1, scale.length] : [], dtype: 'float32', data: Float32Array.from(scale) });
  g.addTensor({ name: 'z', shape: [], dtype: 'float32', data: Float32Array.from([zp]) });
  g.addTensor({ name: 'b', shape: [], dtype: 'float32', data: Float32Array.from([bits]) });
  tensor(g, 'y', ['N', 3], 'float32');
  g.addNode({ name: 'quant', op: 'Quant', attrs, inputs: ['h', 's', 'z', 'b'], outputs: ['y'] });
  output(g, 'y');
  return g;
}

describe('lower-qonnx-quant', () => {
  const cases: [string, { signed: boolean; narrow: boolean; roundingMode: string }, number, object][] = [
    ['signed ROUND', { signed: true, narrow: false, roundingMode: 'ROUND' }, 2 ** -3, { signed: true, width: 4, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' }],
    ['narrow signed -> SAT_SYM', { signed: true, narrow: true, roundingMode: 'ROUND' }, 2 ** -2, { signed: true, width: 4, integer: 2, rounding: 'RND_CONV', overflow: 'SAT_SYM' }],
    ['unsigned FLOOR -> TRN', { signed: false, narrow: false, roundingMode: 'FLOOR' }, 2 ** -4, { signed: false, width: 4, integer: 0, rounding: 'TRN', overflow: 'SAT' }],
    ['DOWN -> TRN_ZERO', { signed: true, narrow: false, roundingMode: 'DOWN' }, 2 ** -3, { signed: true, width: 4, integer: 1, rounding: 'TRN_ZERO', overflow: 'SAT' }],
  ];
  for (const [what, attrs, scale, type] of cases) {
    it(`power-of-two ${what} becomes a fixed-point type and the node goes`, () => {
      const g = quantGraph(attrs, [scale], 4);
      const before = g.clone();
      apply(g, Q_PASSES);
      expect(ops(g)).toEqual(['Tanh']);
      expect(g.tensor('h').precision).toEqual(type);
      expectSameOutputs(before, g, 0, F32);
    });
  }

  for (const [what, attrs, scale, zp] of [
    ['CEIL (no ap_fixed mode)', { signed: true, narrow: false, roundingMode: 'CEIL' }, [2 ** -3], 0],
    ['HALF_UP (float32 evaluation)', { signed: true, narrow: false, roundingMode: 'HALF_UP' }, [2 ** -3], 0],
    ['narrow unsigned', { signed: false, narrow: true, roundingMode: 'ROUND' }, [2 ** -3], 0],
    ['scale 0.3', { signed: true, narrow: false, roundingMode: 'ROUND' }, [0.3], 0],
    ['zero point 3', { signed: true, narrow: false, roundingMode: 'ROUND' }, [2 ** -3], 3],
    ['per-channel scales', { signed: true, narrow: false, roundingMode: 'ROUND' }, [0.5, 0.125, 0.2], 0],
  ] as const) {
    it(`${what} becomes Rescale with the same numbers`, () => {
      const g = quantGraph(attrs, [...scale], 4, zp);
      const before = g.clone();
      apply(g, Q_PASSES);
      expect(ops(g)).toEqual(['Tanh', 'Rescale']);
      expect(g.tensor('y').quant?.bits).toBe(4);
      expectSameOutputs(before, g, 0, F32);
    });
  }

  it('keeps the 1-bit signed (bipolar) Quant', () => {
    const g = quantGraph({ signed: true, narrow: false, roundingMode: 'ROUND' }, [1], 1);
    expect(apply(g, Q_PASSES)).toBe(0);
  });

  it('BipolarQuant on activations stays, typed as +-scale', () => {
    const g = new Graph('bp');
    input(g, 'x', ['N', 3], 'float32');
    g.addTensor({ name: 's', shape: [], dtype: 'float32', data: Float32Array.from([0.5]) });
    tensor(g, 'y', ['N', 3], 'float32');
    g.addNode({ name: 'bq', op: 'BipolarQuant', inputs: ['x', 's'], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    expect(apply(g, Q_PASSES)).toBe(1);
    expect(ops(g)).toEqual(['BipolarQuant']);
    expect(g.tensor('y').precision).toEqual({ signed: true, width: 2, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' });
    expectSameOutputs(before, g, 0, F32);
  });
});

describe('annotate-weight-precision', () => {
  it('gives folded quantized constants their exact type, or their affine grid', () => {
    const g = new Graph('w');
    input(g, 'x', ['N', 2], 'float32');
    const w = const64(g, 'W', [2, 2], 1);
    g.tensor(w).meta['quantizer'] = { op: 'Quant', signed: true, narrow: true, bits: 6, scale: [0.0625], scaleShape: [], zeropt: [0], zeroptShape: [], roundingMode: 'ROUND' };
    const b = const64(g, 'b', [2], 2);
    g.tensor(b).meta['quantizer'] = { op: 'Quant', signed: true, narrow: false, bits: 8, scale: [0.1, 0.2], scaleShape: [2], zeropt: [0], zeroptShape: [], roundingMode: 'ROUND' };
    const c = const64(g, 'c', [2, 2], 3);
    g.tensor(c).meta['quantizer'] = { op: 'BipolarQuant', signed: true, narrow: false, bits: 1, scale: [1], scaleShape: [], zeropt: [0], zeroptShape: [], roundingMode: 'SIGN' };
    tensor(g, 'h', ['N', 2], 'float32');
    tensor(g, 'k', ['N', 2], 'float32');
    g.addNode({ name: 'fc', op: 'Dense', inputs: ['x', w, b], outputs: ['h'] });
    g.addNode({ name: 'fc2', op: 'Dense', inputs: ['h', c, ''], outputs: ['k'] });
    output(g, 'k');
    expect(apply(g, Q_PASSES)).toBe(3);
    expect(g.tensor('W').precision).toEqual({ signed: true, width: 6, integer: 2, rounding: 'RND_CONV', overflow: 'SAT_SYM' });
    expect(g.tensor('b').precision).toBeUndefined();
    expect(Array.from(g.tensor('b').quant!.scale)).toEqual([0.1, 0.2]);
    expect(g.tensor('b').quant!.axis).toBe(0);
    expect(g.tensor('c').precision).toEqual({ signed: true, width: 2, integer: 2, rounding: 'RND_CONV', overflow: 'SAT' });
  });
});
