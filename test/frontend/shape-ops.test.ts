import { describe, expect, it } from 'vitest';
import { attr, ModelBuilder } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { resolveReshape } from '../../src/onnx/ops/shape.js';
import { checkAgainstOrt, opsOf, randomF32 } from './ort.js';

/** Shape and data-movement handlers against onnxruntime-node; these are exact (no arithmetic). */

const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
const i64 = (v: number[]) => BigInt64Array.from(v, BigInt);

describe('Flatten', () => {
  for (const axis of [0, 1, 2, 3, -1]) {
    it(`axis ${axis} on [2, 3, 4]`, async () => {
      const m = new ModelBuilder({ opsets: { '': 13 } });
      m.input('x', 'float32', [2, 3, 4]).output('y', 'float32');
      m.node('Flatten', ['x'], ['y'], { axis });
      const g = await checkAgainstOrt(m, { x: { shape: [2, 3, 4], data: randomF32(24, 1) } }, { exact: true });
      expect([...g.nodes.values()][0].attrs['axis']).toBe(axis < 0 ? axis + 3 : axis);
    });
  }
  it('axis 1 keeps a symbolic batch; axis 2 would multiply it and is refused', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 3, 4]).output('y', 'float32');
    m.node('Flatten', ['x'], ['y']);
    const g = loadModel(m.toBytes());
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 12]);
    const bad = new ModelBuilder();
    bad.input('x', 'float32', ['N', 3, 4]).output('y', 'float32');
    bad.node('Flatten', ['x'], ['y'], { axis: 2 }, { name: 'fl' });
    expect(() => loadModel(bad.toBytes())).toThrow(/'fl' \(Flatten\).*N\*3/);
  });
});

describe('Reshape', () => {
  const cases: [number[], number[]][] = [[[2, 3, 4], [0, -1]], [[2, 3, 4], [-1, 4]], [[2, 3, 4], [4, 0, 2]], [[2, 3, 4], [24]], [[2, 12], [2, 3, 2, 2]]];
  for (const [shape, spec] of cases) {
    it(`[${shape}] by [${spec}]`, async () => {
      const m = new ModelBuilder({ opsets: { '': 13 } });
      m.input('x', 'float32', shape).output('y', 'float32');
      m.initializer('s', i64(spec), [spec.length]);
      m.node('Reshape', ['x', 's'], ['y']);
      const g = await checkAgainstOrt(m, { x: { shape, data: randomF32(n(shape), 2) } }, { exact: true });
      const r = [...g.nodes.values()][0];
      expect(r.inputs.length).toBe(1);
      expect((r.attrs['shape'] as number[]).every((d) => d > 0)).toBe(true);
    });
  }
  it('resolves 0 and -1 against a symbolic batch', () => {
    expect(resolveReshape(['N', 2, 3, 4], [0, -1, 4], false)).toEqual(['N', 6, 4]);
    expect(resolveReshape(['N', 2, 3, 4], [-1, 24], false)).toEqual(['N', 24]);
    expect(resolveReshape(['N', 2, 3, 4], ['N', -1], false)).toEqual(['N', 24]);
    expect(resolveReshape([2, 3], [0, 3], true)).toEqual([0, 3]);
    expect(() => resolveReshape(['N', 2, 3, 4], [-1, 4], false)).toThrow(/N\*6/);
    expect(() => resolveReshape([2, 3], [-1, -1], false)).toThrow(/more than one -1/);
    expect(() => resolveReshape([2, 3], [4, -1], false)).toThrow(/cannot reshape/);
  });
  it('allowzero=1 (opset 14) is read; a 0 entry then means size 0', async () => {
    const m = new ModelBuilder({ opsets: { '': 14 } });
    m.input('x', 'float32', [2, 3]).output('y', 'float32');
    m.initializer('s', i64([3, 2]), [2]);
    m.node('Reshape', ['x', 's'], ['y'], { allowzero: 1 });
    const g = await checkAgainstOrt(m, { x: { shape: [2, 3], data: randomF32(6, 2) } }, { exact: true });
    expect([...g.nodes.values()][0].attrs['shape']).toEqual([3, 2]);
    const z = new ModelBuilder({ opsets: { '': 14 } });
    z.input('x', 'float32', [2, 3]).output('y', 'float32');
    z.initializer('s', i64([0, 6]), [2]);
    z.node('Reshape', ['x', 's'], ['y'], { allowzero: 1 }, { name: 'rz' });
    expect(() => loadModel(z.toBytes())).toThrow(/'rz' \(Reshape\).*\[2, 3\] to \[0, 6\] changes the element count/);
  });
  it('a -1 that would fold the symbolic batch into another axis is an error naming the node', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 2, 3]).output('y', 'float32');
    m.initializer('s', i64([-1, 2]), [2]);
    m.node('Reshape', ['x', 's'], ['y'], {}, { name: 'fold_batch' });
    expect(() => loadModel(m.toBytes())).toThrow(/'fold_batch' \(Reshape\): the -1 in \[-1, 2\] would be N\*3/);
  });
  it('a shape that is neither constant nor symbolic is an error naming the node', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [2, 3]).input('s', 'int64', [2]).output('y', 'float32');
    m.node('Reshape', ['x', 's'], ['y'], {}, { name: 'rs' });
    expect(() => loadModel(m.toBytes())).toThrow(/'rs' \(Reshape\).*shape \('s'\) must be a constant/);
  });
});

describe('Transpose, Squeeze, Unsqueeze, Concat', () => {
  it('Transpose with perm and with the default (reversed) perm', async () => {
    for (const perm of [[0, 2, 1, 3], [3, 1, 0, 2], undefined]) {
      const m = new ModelBuilder();
      m.input('x', 'float32', [2, 3, 4, 5]).output('y', 'float32');
      m.node('Transpose', ['x'], ['y'], perm ? { perm } : {});
      const g = await checkAgainstOrt(m, { x: { shape: [2, 3, 4, 5], data: randomF32(120, 3) } }, { exact: true });
      expect([...g.nodes.values()][0].attrs['perm']).toEqual(perm ?? [3, 2, 1, 0]);
    }
  });
  for (const opset of [11, 13]) {
    it(`Squeeze/Unsqueeze with axes as ${opset < 13 ? 'attribute' : 'input'} (opset ${opset})`, async () => {
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', [2, 1, 3, 1]).output('y', 'float32').output('z', 'float32').output('w', 'float32');
      if (opset < 13) {
        m.node('Squeeze', ['x'], ['y'], { axes: [1, -1] });
        m.node('Unsqueeze', ['y'], ['z'], { axes: [0, -1] });
      } else {
        m.initializer('sa', i64([1, -1]), [2]).initializer('ua', i64([0, -1]), [2]);
        m.node('Squeeze', ['x', 'sa'], ['y']);
        m.node('Unsqueeze', ['y', 'ua'], ['z']);
      }
      m.node('Squeeze', ['x'], ['w']);
      const g = await checkAgainstOrt(m, { x: { shape: [2, 1, 3, 1], data: randomF32(6, 4) } }, { exact: true });
      const attrs = [...g.nodes.values()].map((x) => [x.op, x.attrs['axes']]);
      expect(attrs.sort()).toEqual([['Squeeze', [1, 3]], ['Squeeze', [1, 3]], ['Unsqueeze', [0, 3]]]);
    });
  }
  it('Squeeze without axes keeps a symbolic batch', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 1, 3]).output('y', 'float32');
    m.node('Squeeze', ['x'], ['y']);
    const g = loadModel(m.toBytes());
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 3]);
  });
  for (const axis of [1, -1, 0]) {
    it(`Concat axis ${axis} of three inputs (one constant)`, async () => {
      const m = new ModelBuilder();
      const sh = axis === 0 ? [[2, 3], [1, 3], [4, 3]] : [[2, 3], [2, 1], [2, 4]];
      m.input('a', 'float32', sh[0]).input('b', 'float32', sh[1]).output('y', 'float32');
      m.initializer('c', randomF32(n(sh[2]), 5), sh[2]);
      m.node('Concat', ['a', 'b', 'c'], ['y'], { axis });
      await checkAgainstOrt(m, { a: { shape: sh[0], data: randomF32(n(sh[0]), 6) }, b: { shape: sh[1], data: randomF32(n(sh[1]), 7) } }, { exact: true });
    });
  }
});

describe('Constant, Cast, Range, ConstantOfShape, Expand', () => {
  it('Constant in every value form', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', [2, 3]).output('y', 'float32').output('yi', 'int64');
    m.node('Constant', [], ['c1'], { value: attr.tensor(Float32Array.of(1, 2, 3), [3]) });
    m.node('Constant', [], ['c2'], { value_float: attr.float(0.5) });
    m.node('Constant', [], ['c3'], { value_floats: attr.floats([1, -1, 2]) });
    m.node('Constant', [], ['c4'], { value_int: 7 });
    m.node('Constant', [], ['c5'], { value_ints: [1, 2, 3] });
    m.node('Add', ['x', 'c1'], ['t1']);
    m.node('Mul', ['t1', 'c2'], ['t2']);
    m.node('Sub', ['t2', 'c3'], ['y']);
    m.node('Add', ['c4', 'c5'], ['yi']);
    const g = await checkAgainstOrt(m, { x: { shape: [2, 3], data: randomF32(6, 8) } }, { exact: true });
    expect(g.tensor(g.outputs[1].tensor).dtype).toBe('int64');
  });
  it('Cast to int32, float16, double and back (truncation and rounding)', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', [3, 4]).output('yi', 'int32').output('yh', 'float32').output('yd', 'float64');
    m.node('Cast', ['x'], ['yi'], { to: 6 });
    m.node('Cast', ['x'], ['h'], { to: 10 });
    m.node('Cast', ['h'], ['yh'], { to: 1 });
    m.node('Cast', ['x'], ['yd'], { to: 11 });
    const x = randomF32(12, 9, -100, 100);
    x.set([2.5, -2.5, 0.9999, 65519, 70000, 1e-6]);
    const g = await checkAgainstOrt(m, { x: { shape: [3, 4], data: x } }, { exact: true });
    expect(g.tensor(g.outputs[0].tensor).dtype).toBe('int32');
  });
  it('Range and ConstantOfShape fold to constants', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', [2, 5]).output('y', 'float32');
    m.initializer('st', Float32Array.of(1), []).initializer('lim', Float32Array.of(3.5), []).initializer('d', Float32Array.of(0.5), []);
    m.initializer('shp', i64([2, 1]), [2]);
    m.node('Range', ['st', 'lim', 'd'], ['r']);
    m.node('ConstantOfShape', ['shp'], ['k'], { value: attr.tensor(Float32Array.of(3), [1]) });
    m.node('Add', ['x', 'r'], ['t']);
    m.node('Mul', ['t', 'k'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [2, 5], data: randomF32(10, 10) } }, { exact: true });
    expect(opsOf(g)).toEqual(['Add', 'Mul']);
  });
  it('Expand of a symbolic batch tensor', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 1, 4]).output('y', 'float32');
    m.initializer('s', i64([1, 3, 1]), [3]);
    m.node('Expand', ['x', 's'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [2, 1, 4], data: randomF32(8, 11) } }, { exact: true });
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 3, 4]);
  });
});

describe('Gather and Slice', () => {
  it('Gather from a constant table by runtime indices', async () => {
    const m = new ModelBuilder();
    m.input('i', 'int64', [2, 3]).output('y', 'float32');
    m.initializer('table', randomF32(20, 12), [5, 4]);
    m.node('Gather', ['table', 'i'], ['y']);
    await checkAgainstOrt(m, { i: { shape: [2, 3], data: i64([0, 4, -1, 2, 2, 1]) } }, { exact: true });
  });
  it('Gather along axis 1 of activations with constant indices', async () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [2, 5, 3]).output('y', 'float32');
    m.initializer('i', i64([4, 0, -2]), [3]);
    m.node('Gather', ['x', 'i'], ['y'], { axis: 1 });
    await checkAgainstOrt(m, { x: { shape: [2, 5, 3], data: randomF32(30, 13) } }, { exact: true });
  });
  it('Gather of constant data and constant indices folds', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [2]).output('y', 'float32');
    m.initializer('d', Float32Array.of(10, 20, 30), [3]).initializer('i', i64([2, 0]), [2]);
    m.node('Gather', ['d', 'i'], ['g']);
    m.node('Add', ['x', 'g'], ['y']);
    const g = loadModel(m.toBytes());
    expect(opsOf(g)).toEqual(['Add']);
    const c = [...g.nodes.values()][0].inputs[1];
    expect(Array.from(g.tensor(c).data as Float32Array)).toEqual([30, 10]);
  });
  const sliceCases: [string, number, number[], number[], number[] | undefined, number[] | undefined][] = [
    ['basic', 13, [1, 0], [3, 2], undefined, undefined],
    ['negative and to-the-end', 13, [-3], [9223372036854775807], [1], undefined],
    ['steps', 13, [0, 3], [5, 0], [1, 2], [2, -1]],
    ['attributes (opset 9)', 9, [1], [-1], [2], undefined],
  ];
  for (const [name, opset, starts, ends, axes, steps] of sliceCases) {
    it(`Slice ${name}`, async () => {
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', [5, 4, 3]).output('y', 'float32');
      if (opset < 10) m.node('Slice', ['x'], ['y'], { starts, ends, ...(axes ? { axes } : {}) });
      else {
        m.initializer('st', i64(starts), [starts.length]);
        m.rawInitializer({ name: 'en', dims: [ends.length], data_type: 7, int64_data: ends.map((e) => (e > 2 ** 53 ? { low: -1, high: 0x7fffffff, toNumber: () => e } : e)) });
        const ins = ['x', 'st', 'en'];
        if (axes) { m.initializer('ax', i64(axes), [axes.length]); ins.push('ax'); }
        if (steps) { m.initializer('sp', i64(steps), [steps.length]); ins.push('sp'); }
        m.node('Slice', ins, ['y']);
      }
      await checkAgainstOrt(m, { x: { shape: [5, 4, 3], data: randomF32(60, 14) } }, { exact: true });
    });
  }
});
