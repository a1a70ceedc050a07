import { describe, expect, it } from 'vitest';
import { ModelBuilder } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { attr } from '../../src/onnx/builder.js';
import { checkAgainstOrt, opsOf, randomF32 } from './ort.js';

/**
 * Shape-computing subgraphs as PyTorch exports `x.view(x.size(0), -1)` and friends: they fold to constants, or
 * with a symbolic batch give the Reshape its shape with the batch kept symbolic; the shape nodes disappear.
 */

const i64 = (v: number[]) => BigInt64Array.from(v, BigInt);

/** x[B,3,4] -> Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape -> Gemm(12 -> 2). */
function viewModel(batch: number | string, opset: number): ModelBuilder {
  const m = new ModelBuilder({ opsets: { '': opset } });
  m.input('x', 'float32', [batch, 3, 4]).output('y', 'float32', [batch, 2]);
  m.initializer('W', randomF32(24, 5), [2, 12]).initializer('b', randomF32(2, 6), [2]);
  m.node('Shape', ['x'], ['s']);
  m.node('Constant', [], ['zero'], { value: attr.tensor(i64([0]), []) });
  m.node('Gather', ['s', 'zero'], ['n'], { axis: 0 });
  if (opset >= 13) {
    m.node('Constant', [], ['ax'], { value: attr.tensor(i64([0]), [1]) });
    m.node('Unsqueeze', ['n', 'ax'], ['n1']);
  } else m.node('Unsqueeze', ['n'], ['n1'], { axes: [0] });
  m.node('Constant', [], ['m1'], { value: attr.tensor(i64([-1]), [1]) });
  m.node('Concat', ['n1', 'm1'], ['shape'], { axis: 0 });
  m.node('Reshape', ['x', 'shape'], ['flat']);
  m.node('Gemm', ['flat', 'W', 'b'], ['y'], { transB: 1 });
  return m;
}

describe('x.view(x.size(0), -1)', () => {
  for (const opset of [9, 11, 13]) {
    it(`symbolic batch keeps 'N' in the Reshape (opset ${opset})`, async () => {
      const g = await checkAgainstOrt(viewModel('N', opset), { x: { shape: [3, 3, 4], data: randomF32(36, 7) } });
      expect(opsOf(g)).toEqual(['Gemm', 'Reshape']);
      const r = [...g.nodes.values()].find((x) => x.op === 'Reshape')!;
      expect(r.attrs['shape']).toEqual(['N', 12]);
      expect(r.inputs).toEqual(['x']);
      // No tensor of the shape subgraph survives.
      expect([...g.tensors.keys()].sort()).toEqual(['W', 'b', 'flat', 'x', 'y']);
      // The same IR runs any batch.
      await checkAgainstOrt(viewModel('N', opset), { x: { shape: [1, 3, 4], data: randomF32(12, 8) } });
    });
  }
  it('fixed batch folds the whole subgraph to a constant shape', async () => {
    const g = await checkAgainstOrt(viewModel(2, 13), { x: { shape: [2, 3, 4], data: randomF32(24, 9) } });
    expect(opsOf(g)).toEqual(['Gemm', 'Reshape']);
    expect([...g.nodes.values()].find((x) => x.op === 'Reshape')!.attrs['shape']).toEqual([2, 12]);
  });
});

describe('shape arithmetic with Cast, Slice and products of static dims', () => {
  it('Shape -> Slice -> Cast(int32) -> Concat -> Cast(int64) -> Reshape', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['batch', 2, 3, 2]).output('y', 'float32', ['batch', 12]);
    m.initializer('st', i64([0]), [1]).initializer('en', i64([1]), [1]);
    m.initializer('rest', Int32Array.of(12), [1]);
    m.node('Shape', ['x'], ['s']);
    m.node('Slice', ['s', 'st', 'en'], ['b']);
    m.node('Cast', ['b'], ['b32'], { to: 6 });
    m.node('Concat', ['b32', 'rest'], ['sh32'], { axis: 0 });
    m.node('Cast', ['sh32'], ['sh'], { to: 7 });
    m.node('Reshape', ['x', 'sh'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [2, 2, 3, 2], data: randomF32(24, 10) } }, { exact: true });
    expect(opsOf(g)).toEqual(['Reshape']);
    expect([...g.nodes.values()][0].attrs['shape']).toEqual(['batch', 12]);
  });
  it('Gather of static dims folds even when the batch is symbolic; Mul of them folds too', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 2, 3, 2]).output('y', 'float32', ['N', 6, 2]);
    m.initializer('i0', i64([0]), []).initializer('i1', i64([1]), []).initializer('i2', i64([2]), []).initializer('i3', i64([3]), []);
    m.initializer('ax', i64([0]), [1]);
    m.node('Shape', ['x'], ['s']);
    for (const k of [0, 1, 2, 3]) m.node('Gather', ['s', `i${k}`], [`d${k}`]);
    m.node('Mul', ['d1', 'd2'], ['d12']);
    for (const [v, o] of [['d0', 'u0'], ['d12', 'u1'], ['d3', 'u2']]) m.node('Unsqueeze', [v, 'ax'], [o]);
    m.node('Concat', ['u0', 'u1', 'u2'], ['sh'], { axis: 0 });
    m.node('Reshape', ['x', 'sh'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [3, 2, 3, 2], data: randomF32(36, 11) } }, { exact: true });
    expect(opsOf(g)).toEqual(['Reshape']);
    expect([...g.nodes.values()][0].attrs['shape']).toEqual(['N', 6, 2]);
  });
  it('Shape with start/end (opset 15)', async () => {
    const m = new ModelBuilder({ opsets: { '': 15 } });
    m.input('x', 'float32', ['N', 4, 3]).output('y', 'float32', ['N', 4, 3]);
    m.initializer('one', i64([1]), [1]);
    m.node('Shape', ['x'], ['tail'], { start: 1 });
    m.node('Shape', ['x'], ['head'], { end: 1 });
    m.node('Concat', ['head', 'tail'], ['sh'], { axis: 0 });
    m.node('Reshape', ['x', 'sh'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [2, 4, 3], data: randomF32(24, 12) } }, { exact: true });
    expect([...g.nodes.values()][0].attrs['shape']).toEqual(['N', 4, 3]);
  });
  it('the shape of a symbolic-batch tensor can still be a runtime output', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 4]).output('s', 'int64', [2]);
    m.node('Shape', ['x'], ['s']);
    const g = await checkAgainstOrt(m, { x: { shape: [5, 4], data: randomF32(20, 13) } }, { exact: true });
    expect(opsOf(g)).toEqual(['Shape']);
  });
});

describe('declared batch sizes', () => {
  it('a numeric batch stays a number; a missing dim_value on axis 0 becomes N', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [7, 4]).input('z', 'float32', [null, 4]).output('y', 'float32').output('w', 'float32');
    m.node('Relu', ['x'], ['y']).node('Relu', ['z'], ['w']);
    const g = loadModel(m.toBytes());
    expect(g.tensor('x').shape).toEqual([7, 4]);
    expect(g.tensor('z').shape).toEqual(['N', 4]);
  });
  it('inputShapes fixes a dynamic dimension', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 'seq']).output('y', 'float32');
    m.node('Relu', ['x'], ['y']);
    const g = loadModel(m.toBytes(), { inputShapes: { x: ['N', 5] } });
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 5]);
  });
});
