import { describe, expect, it } from 'vitest';
import { interpret } from '../../src/interp/interpreter.js';
import { attr, ModelBuilder, type AttrInput } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { checkAgainstOrt, opsOf, randomF32 } from './ort.js';

/** Element-wise handlers against onnxruntime-node (float32 interpreter mode, 1e-5 abs + 1e-4 rel). */

const SHAPE = [3, 7];
const N = 21;

describe('unary activations and math', () => {
  const cases: [string, Record<string, AttrInput>, number, number, number?][] = [
    ['Relu', {}, 6, -3],
    ['LeakyRelu', { alpha: attr.float(0.2) }, 6, -3],
    ['LeakyRelu', {}, 16, -3],
    ['Elu', { alpha: attr.float(0.7) }, 6, -3],
    ['Selu', {}, 6, -3],
    ['Selu', { alpha: attr.float(1.5), gamma: attr.float(1.1) }, 6, -3],
    ['Sigmoid', {}, 13, -8],
    ['HardSigmoid', { alpha: attr.float(0.3), beta: attr.float(0.4) }, 6, -4],
    ['Tanh', {}, 13, -3],
    ['Softplus', {}, 6, -6],
    ['Softsign', {}, 6, -3],
    ['Sqrt', {}, 13, 0.01, 9],
    ['Erf', {}, 13, -3.5],
    ['Exp', {}, 13, -3],
    ['Log', {}, 13, 0.01, 9],
    ['Neg', {}, 13, -3],
    ['Abs', {}, 13, -3],
    ['Reciprocal', {}, 13, 0.5, 4],
    ['Floor', {}, 13, -3],
    ['Ceil', {}, 13, -3],
    ['Round', {}, 13, -3],
    ['Gelu', {}, 20, -4],
    ['Gelu', { approximate: 'tanh' }, 20, -4],
  ];
  for (const [op, attrs, opset, lo, hi] of cases) {
    it(`${op} (opset ${opset}) ${JSON.stringify(Object.keys(attrs))}`, async () => {
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
      m.node(op, ['x'], ['y'], attrs);
      const x = randomF32(N, op.length * 7 + opset, lo, hi ?? -lo);
      if (op === 'Round') x.set([0.5, 1.5, 2.5, -0.5, -2.5], 0);
      const g = await checkAgainstOrt(m, { x: { shape: SHAPE, data: x } });
      expect(opsOf(g)).toEqual([op]);
    });
  }

  it('writes default attributes explicitly into the IR', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
    m.node('Selu', ['x'], ['y']);
    const g = loadModel(m.toBytes());
    expect([...g.nodes.values()][0].attrs).toEqual({ alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875 });
  });
});

describe('binary ops with broadcasting', () => {
  const shapes: [number[], number[]][] = [[[3, 7], [3, 7]], [[3, 7], [7]], [[3, 1, 4], [5, 1]], [[4], [2, 3, 4]], [[3, 7], []]];
  for (const op of ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'PRelu']) {
    for (const [as, bs] of shapes) {
      if (op === 'PRelu' && bs.length > as.length) continue;
      it(`${op} [${as}] x [${bs}]`, async () => {
        const m = new ModelBuilder({ opsets: { '': 13 } });
        const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
        m.input('a', 'float32', as).input('b', 'float32', bs).output('y', 'float32');
        m.node(op, ['a', 'b'], ['y']);
        const pos = op === 'Pow' || op === 'Div';
        await checkAgainstOrt(m, {
          a: { shape: as, data: randomF32(n(as), 71, pos ? 0.1 : -2, 2) },
          b: { shape: bs, data: randomF32(n(bs), 72, pos ? 0.5 : -2, 2) },
        });
      });
    }
  }

  it('Sum and Mean of three inputs', async () => {
    for (const op of ['Sum', 'Mean']) {
      const m = new ModelBuilder();
      m.input('a', 'float32', [2, 3]).input('b', 'float32', [3]).input('c', 'float32', [2, 1]).output('y', 'float32');
      m.node(op, ['a', 'b', 'c'], ['y']);
      await checkAgainstOrt(m, {
        a: { shape: [2, 3], data: randomF32(6, 81) }, b: { shape: [3], data: randomF32(3, 82) }, c: { shape: [2, 1], data: randomF32(2, 83) },
      });
    }
  });

  it('opset 6 legacy broadcast with axis aligns B at that axis', () => {
    // onnxruntime has no opset-6 Add kernel, so the reference is written out: y[n,c,h] = x[n,c,h] + b[c].
    const m = new ModelBuilder({ opsets: { '': 6 } });
    m.input('x', 'float32', [2, 3, 2]).output('y', 'float32', [2, 3, 2]);
    m.initializer('b', Float32Array.of(10, 20, 30), [3]);
    m.node('Add', ['x', 'b'], ['y'], { broadcast: 1, axis: 1 });
    const g = loadModel(m.toBytes());
    g.verify();
    const x = Array.from({ length: 12 }, (_v, i) => i);
    const y = interpret(g, { x: { shape: [2, 3, 2], data: x } }).y;
    expect(Array.from(y.data)).toEqual(x.map((v, i) => v + [10, 20, 30][Math.floor(i / 2) % 3]));
  });

  it('opset 6 with broadcast=0 and unequal shapes is an error', () => {
    const m = new ModelBuilder({ opsets: { '': 6 } });
    m.input('x', 'float32', [2, 3]).output('y', 'float32');
    m.initializer('b', Float32Array.of(1, 2, 3), [3]);
    m.node('Mul', ['x', 'b'], ['y'], {}, { name: 'legacy_mul' });
    expect(() => loadModel(m.toBytes())).toThrow(/'legacy_mul' \(Mul\).*broadcast is 0/);
  });

  it('opset 6 with broadcast=1 and no axis is numpy suffix broadcasting', () => {
    const m = new ModelBuilder({ opsets: { '': 6 } });
    m.input('x', 'float32', [2, 3]).output('y', 'float32');
    m.initializer('b', Float32Array.of(1, 2, 3), [3]);
    m.node('Sub', ['x', 'b'], ['y'], { broadcast: 1 });
    const y = interpret(loadModel(m.toBytes()), { x: { shape: [2, 3], data: [1, 1, 1, 5, 5, 5] } }).y;
    expect(Array.from(y.data)).toEqual([0, -1, -2, 4, 3, 2]);
  });

  it('PRelu with a per-channel slope [C,1,1] on NCHW', async () => {
    const m = new ModelBuilder({ opsets: { '': 9 } });
    m.input('x', 'float32', [2, 3, 2, 2]).output('y', 'float32');
    m.initializer('s', Float32Array.of(0.1, 0.2, 0.3), [3, 1, 1]);
    m.node('PRelu', ['x', 's'], ['y']);
    await checkAgainstOrt(m, { x: { shape: [2, 3, 2, 2], data: randomF32(24, 91) } });
  });
});

describe('Clip', () => {
  it('opset 6: min/max attributes', async () => {
    const m = new ModelBuilder({ opsets: { '': 6 } });
    m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
    m.node('Clip', ['x'], ['y'], { min: attr.float(-0.5), max: attr.float(0.75) });
    // onnxruntime implements Clip from opset 6: compare directly.
    const g = await checkAgainstOrt(m, { x: { shape: SHAPE, data: randomF32(N, 101) } }, { exact: true });
    expect([...g.nodes.values()][0].attrs).toEqual({ min: -0.5, max: 0.75 });
  });
  it('opset 13: constant min and max inputs become attributes', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
    m.initializer('lo', Float32Array.of(-0.25), []).initializer('hi', Float32Array.of(1), []);
    m.node('Clip', ['x', 'lo', 'hi'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: SHAPE, data: randomF32(N, 102) } }, { exact: true });
    expect(g.nodes.size).toBe(1);
    expect([...g.nodes.values()][0].attrs).toEqual({ min: -0.25, max: 1 });
  });
  it('opset 12: only max given (min is the empty name)', async () => {
    const m = new ModelBuilder({ opsets: { '': 12 } });
    m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
    m.initializer('hi', Float32Array.of(0.5), []);
    m.node('Clip', ['x', '', 'hi'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: SHAPE, data: randomF32(N, 103) } }, { exact: true });
    expect([...g.nodes.values()][0].attrs).toEqual({ min: -Infinity, max: 0.5 });
  });
  it('a non-constant bound is an error naming the node', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', SHAPE).input('lo', 'float32', []).output('y', 'float32', SHAPE);
    m.node('Clip', ['x', 'lo'], ['y'], {}, { name: 'clip0' });
    expect(() => loadModel(m.toBytes())).toThrow(/'clip0' \(Clip\).*min \('lo'\) must be a constant/);
  });
});

describe('Identity and Dropout', () => {
  it('pass data through without IR nodes', async () => {
    for (const opset of [7, 12, 13]) {
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
      m.node('Identity', ['x'], ['i']);
      if (opset >= 12) {
        m.initializer('ratio', Float32Array.of(0.3), []);
        m.node('Dropout', ['i', 'ratio'], ['d', 'mask']);
      } else m.node('Dropout', ['i'], ['d'], { ratio: attr.float(0.5) });
      m.node('Relu', ['d'], ['y']);
      const g = await checkAgainstOrt(m, { x: { shape: SHAPE, data: randomF32(N, 111) } }, { exact: true });
      expect(opsOf(g)).toEqual(['Relu']);
    }
  });
  it('a used Dropout mask is refused', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE).output('mask', 'bool', SHAPE);
    m.node('Dropout', ['x'], ['y', 'mask'], {}, { name: 'drop' });
    expect(() => loadModel(m.toBytes())).toThrow(/'drop' \(Dropout\).*'mask' are used/);
  });
  it('training_mode=true is refused', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', SHAPE).output('y', 'float32', SHAPE);
    m.initializer('t', Uint8Array.of(1), [], { dtype: 'bool' });
    m.node('Dropout', ['x', '', 't'], ['y'], {}, { name: 'drop' });
    expect(() => loadModel(m.toBytes())).toThrow(/'drop' \(Dropout\).*training_mode/);
  });
});
