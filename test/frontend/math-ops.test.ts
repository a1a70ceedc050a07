import { describe, expect, it } from 'vitest';
import { attr, ModelBuilder } from '../../src/onnx/builder.js';
import { checkAgainstOrt, opsOf, randomF32 } from './ort.js';

/** Per-op numeric checks of the math handlers and IR kernels against onnxruntime-node (float32 interpreter mode). */

const B = 3;

describe('Gemm', () => {
  const cases: { name: string; transA: number; transB: number; alpha: number; beta: number; c?: number[]; opset?: number }[] = [
    { name: 'plain, C [N]', transA: 0, transB: 0, alpha: 1, beta: 1, c: [5] },
    { name: 'transB, alpha/beta, C [1, N]', transA: 0, transB: 1, alpha: 0.5, beta: 2, c: [1, 5] },
    { name: 'transA, C scalar', transA: 1, transB: 0, alpha: 1.5, beta: -1, c: [] },
    { name: 'transA+transB, C [M, 1]', transA: 1, transB: 1, alpha: 1, beta: 0.25, c: [4, 1] },
    { name: 'no C (opset 11)', transA: 0, transB: 1, alpha: 2, beta: 1, opset: 11 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const M = 4, K = 6, N = 5;
      const m = new ModelBuilder({ opsets: { '': c.opset ?? 13 } });
      const aShape = c.transA ? [K, M] : [M, K];
      m.input('a', 'float32', aShape).output('y', 'float32', [M, N]);
      m.initializer('B', randomF32(K * N, 2), c.transB ? [N, K] : [K, N]);
      const ins = ['a', 'B'];
      if (c.c) { m.initializer('C', randomF32(c.c.reduce((p, d) => p * d, 1), 3), c.c); ins.push('C'); }
      m.node('Gemm', ins, ['y'], { alpha: attr.float(c.alpha), beta: attr.float(c.beta), transA: c.transA, transB: c.transB });
      const g = await checkAgainstOrt(m, { a: { shape: aShape, data: randomF32(M * K, 4) } });
      expect(opsOf(g)).toEqual(['Gemm']);
      expect(g.nodes.values().next().value!.attrs).toEqual({ alpha: c.alpha, beta: c.beta, transA: c.transA, transB: c.transB });
    });
  }

  it('symbolic batch M keeps its name', async () => {
    const m = new ModelBuilder();
    m.input('a', 'float32', ['N', 3]).output('y', 'float32', ['N', 2]);
    m.initializer('B', randomF32(6, 7), [2, 3]).initializer('C', randomF32(2, 8), [2]);
    m.node('Gemm', ['a', 'B', 'C'], ['y'], { transB: 1 });
    const g = await checkAgainstOrt(m, { a: { shape: [B, 3], data: randomF32(B * 3, 9) } });
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 2]);
  });
});

describe('MatMul (numpy semantics)', () => {
  const cases: [string, number[], number[], boolean][] = [
    ['2-D @ const 2-D', [B, 4], [4, 5], true],
    ['1-D @ 2-D', [4], [4, 3], true],
    ['2-D @ 1-D', [B, 4], [4], true],
    ['batched 3-D @ 2-D', [2, B, 4], [4, 5], true],
    ['broadcast [2,1,3,4] @ [3,4,5]', [2, 1, 3, 4], [3, 4, 5], false],
    ['1-D @ 1-D', [4], [4], false],
  ];
  for (const [name, as, bs, bConst] of cases) {
    it(name, async () => {
      const m = new ModelBuilder();
      const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
      m.input('a', 'float32', as).output('y', 'float32');
      const feeds: Record<string, { shape: number[]; data: Float32Array }> = { a: { shape: as, data: randomF32(n(as), 11) } };
      if (bConst) m.initializer('b', randomF32(n(bs), 12), bs);
      else { m.input('b', 'float32', bs); feeds['b'] = { shape: bs, data: randomF32(n(bs), 13) }; }
      m.node('MatMul', ['a', 'b'], ['y']);
      await checkAgainstOrt(m, feeds);
    });
  }
});

describe('Softmax / LogSoftmax', () => {
  const cases: [string, number, number | undefined, number[]][] = [
    ['Softmax', 13, 1, [2, 3, 4]],
    ['Softmax', 13, undefined, [2, 3, 4]],
    ['Softmax', 11, 1, [2, 3, 4]],
    ['Softmax', 9, undefined, [2, 3, 4]],
    ['Softmax', 11, 0, [2, 3, 4]],
    ['Softmax', 11, -1, [2, 5]],
    ['LogSoftmax', 11, 1, [2, 3, 4]],
    ['LogSoftmax', 13, -2, [2, 3, 4]],
  ];
  for (const [op, opset, axis, shape] of cases) {
    it(`${op} opset ${opset} axis ${axis ?? 'default'} on [${shape}]`, async () => {
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', shape).output('y', 'float32', shape);
      m.node(op, ['x'], ['y'], axis === undefined ? {} : { axis });
      const g = await checkAgainstOrt(m, { x: { shape, data: randomF32(shape.reduce((p, d) => p * d, 1), 21, -4, 4) } });
      const sm = [...g.nodes.values()].find((n) => n.op === op)!;
      expect(typeof sm.attrs['axis']).toBe('number');
      expect(sm.attrs['axis'] as number).toBeGreaterThanOrEqual(0);
    });
  }

  it('opset < 13 over the dynamic batch axis is a clear error', async () => {
    const m = new ModelBuilder({ opsets: { '': 11 } });
    m.input('x', 'float32', ['N', 3, 4]).output('y', 'float32');
    m.node('Softmax', ['x'], ['y'], { axis: 0 });
    await expect(checkAgainstOrt(m, { x: { shape: [2, 3, 4], data: randomF32(24) } })).rejects.toThrow(/Softmax.*dynamic/);
  });
});

describe('BatchNormalization (inference)', () => {
  for (const [opset, shape] of [[9, [B, 4, 3, 2]], [15, [B, 4]], [7, [B, 4, 5]], [14, [B, 4, 2, 2]]] as [number, number[]][]) {
    it(`opset ${opset} on [${shape}]`, async () => {
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', shape).output('y', 'float32', shape);
      m.initializer('s', randomF32(4, 31), [4]).initializer('b', randomF32(4, 32), [4]);
      m.initializer('mean', randomF32(4, 33), [4]).initializer('var', randomF32(4, 34, 0.1, 2), [4]);
      m.node('BatchNormalization', ['x', 's', 'b', 'mean', 'var'], ['y'], { epsilon: attr.float(1e-3), ...(opset >= 14 ? { training_mode: 0 } : {}), ...(opset < 9 ? { spatial: 1 } : {}) });
      const g = await checkAgainstOrt(m, { x: { shape, data: randomF32(shape.reduce((p, d) => p * d, 1), 35) } });
      const bn = [...g.nodes.values()][0];
      expect(bn.op).toBe('BatchNormalization');
      expect(bn.attrs['epsilon']).toBeCloseTo(1e-3, 10);
    });
  }
});

describe('LayerNormalization (opset 17)', () => {
  for (const [axis, bias] of [[-1, true], [-1, false], [-2, true], [1, true]] as [number, boolean][]) {
    it(`axis ${axis}, bias ${bias}`, async () => {
      const shape = [B, 3, 4];
      const ns = shape.slice(axis < 0 ? axis + 3 : axis);
      const m = new ModelBuilder({ opsets: { '': 17 } });
      m.input('x', 'float32', shape).output('y', 'float32', shape);
      m.initializer('s', randomF32(ns.reduce((p, d) => p * d, 1), 41), ns);
      if (bias) m.initializer('b', randomF32(ns.reduce((p, d) => p * d, 1), 42), ns);
      m.node('LayerNormalization', bias ? ['x', 's', 'b'] : ['x', 's'], ['y'], { axis, epsilon: attr.float(1e-5) });
      const g = await checkAgainstOrt(m, { x: { shape, data: randomF32(B * 12, 43) } });
      expect([...g.nodes.values()][0].attrs['axis']).toBe(axis < 0 ? axis + 3 : axis);
    });
  }
});

describe('reductions', () => {
  const cases: [string, number, number[] | undefined, number, boolean][] = [
    ['ReduceMean', 13, [-1], 1, false],
    ['ReduceMean', 13, [1], 0, false],
    ['ReduceMean', 13, undefined, 1, false],
    ['ReduceMean', 18, [2, 0], 0, true],
    ['ReduceSum', 13, [1], 1, true],
    ['ReduceSum', 11, [0, 2], 0, false],
    ['ReduceMax', 13, [1], 1, false],
    ['ReduceMin', 18, [-1], 0, true],
    ['ReduceProd', 13, [2], 1, false],
  ];
  for (const [op, opset, axes, keepdims, asInput] of cases) {
    it(`${op} opset ${opset} axes ${axes ? `[${axes}]` : 'all'} keepdims ${keepdims}${asInput ? ' (axes input)' : ''}`, async () => {
      const shape = [2, 3, 4];
      const m = new ModelBuilder({ opsets: { '': opset } });
      m.input('x', 'float32', shape).output('y', 'float32');
      const ins = ['x'];
      const attrs: Record<string, ReturnType<typeof attr.int> | number | number[]> = { keepdims };
      if (axes && asInput) { m.initializer('axes', BigInt64Array.from(axes, BigInt), [axes.length]); ins.push('axes'); }
      else if (axes) attrs['axes'] = axes;
      m.node(op, ins, ['y'], attrs);
      await checkAgainstOrt(m, { x: { shape, data: randomF32(24, 51) } });
    });
  }
});

describe('decomposed LayerNorm and GELU as PyTorch exports them', () => {
  it('ReduceMean/Sub/Pow/Add/Sqrt/Div/Mul/Erf graph', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 8]).output('y', 'float32', ['N', 8]);
    m.initializer('two', Float32Array.of(2), []).initializer('eps', Float32Array.of(1e-5), []);
    m.initializer('gamma', randomF32(8, 61), [8]).initializer('beta', randomF32(8, 62), [8]);
    m.initializer('sqrt2', Float32Array.of(Math.SQRT2), []).initializer('one', Float32Array.of(1), []).initializer('half', Float32Array.of(0.5), []);
    m.node('ReduceMean', ['x'], ['mu'], { axes: [-1] });
    m.node('Sub', ['x', 'mu'], ['d']);
    m.node('Pow', ['d', 'two'], ['d2']);
    m.node('ReduceMean', ['d2'], ['var'], { axes: [-1] });
    m.node('Add', ['var', 'eps'], ['ve']);
    m.node('Sqrt', ['ve'], ['sd']);
    m.node('Div', ['d', 'sd'], ['n']);
    m.node('Mul', ['n', 'gamma'], ['ng']);
    m.node('Add', ['ng', 'beta'], ['ln']);
    m.node('Div', ['ln', 'sqrt2'], ['ls']);
    m.node('Erf', ['ls'], ['e']);
    m.node('Add', ['e', 'one'], ['e1']);
    m.node('Mul', ['ln', 'e1'], ['g']);
    m.node('Mul', ['g', 'half'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [B, 8], data: randomF32(B * 8, 63, -3, 3) } });
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 8]);
  });
});
