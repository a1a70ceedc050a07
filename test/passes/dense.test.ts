import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { fuseDenseBias } from '../../passes/fuse-dense-bias.js';
import { gemmToDense } from '../../passes/gemm-to-dense.js';
import { matmulToDense } from '../../passes/matmul-to-dense.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { apply, const64, expectSameOutputs, input, ops, output, tensor } from './helpers.js';

const DENSE_PASSES = [gemmToDense, matmulToDense, fuseDenseBias, deadCodeElimination];

function gemmGraph(attrs: Record<string, number>, cShape: number[] | null, aShape = [2, 5]): Graph {
  const g = new Graph('gemm');
  const transA = attrs['transA'] === 1, transB = attrs['transB'] === 1;
  const K = transA ? aShape[0] : aShape[1], M = transA ? aShape[1] : aShape[0];
  input(g, 'a', aShape);
  const b = const64(g, 'B', transB ? [3, K] : [K, 3], 11);
  const ins = ['a', b];
  if (cShape) ins.push(const64(g, 'C', cShape, 12));
  tensor(g, 'y', [M, 3]);
  g.addNode({ name: 'gemm', op: 'Gemm', attrs, inputs: ins, outputs: ['y'] });
  output(g, 'y');
  return g;
}

describe('gemm-to-dense', () => {
  it('turns Gemm(transB, alpha, beta) into Dense with W = alpha * B^T and b = beta * C', () => {
    const g = gemmGraph({ alpha: 0.75, beta: 1.5, transA: 0, transB: 1 }, [3]);
    const before = g.clone();
    apply(g, DENSE_PASSES);
    expect(ops(g)).toEqual(['Dense']);
    const d = g.node('gemm');
    const W = g.tensor(d.inputs[1]), b = g.tensor(d.inputs[2]);
    expect(W.shape).toEqual([5, 3]);
    expect(g.hasTensor('B')).toBe(false); // the original weight is dead and gone
    const Bo = before.tensor('B').data as Float64Array, Co = before.tensor('C').data as Float64Array;
    for (let k = 0; k < 5; k++) for (let n = 0; n < 3; n++) expect(W.data![k * 3 + n]).toBe(0.75 * Bo[n * 5 + k]);
    expect(Array.from(b.data as Float64Array)).toEqual(Array.from(Co, (v) => 1.5 * v));
    expectSameOutputs(before, g, 1e-12);
  });

  it('keeps the exact type of a quantized weight through the transpose (alpha 1), drops it when scaled', () => {
    for (const alpha of [1, 0.5]) {
      const g = gemmGraph({ alpha, beta: 1, transA: 0, transB: 1 }, null);
      g.tensor('B').precision = { signed: true, width: 4, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' };
      apply(g, DENSE_PASSES);
      expect(g.tensor(g.node('gemm').inputs[1]).precision?.width).toBe(alpha === 1 ? 4 : undefined);
    }
  });

  it('keeps the weight tensor itself when no transpose or scaling is needed', () => {
    const g = gemmGraph({ alpha: 1, beta: 1, transA: 0, transB: 0 }, [1, 3]);
    const before = g.clone();
    apply(g, DENSE_PASSES);
    expect(g.node('gemm').inputs[1]).toBe('B');
    expect(g.tensor(g.node('gemm').inputs[2]).shape).toEqual([3]);
    expectSameOutputs(before, g, 1e-12);
  });

  it('handles transA with an explicit Transpose and a per-row C with an Add', () => {
    const g = gemmGraph({ alpha: 1, beta: 2, transA: 1, transB: 0 }, [4, 3], [5, 4]);
    const before = g.clone();
    apply(g, DENSE_PASSES);
    expect(ops(g)).toEqual(['Transpose', 'Dense', 'Add']);
    expectSameOutputs(before, g, 1e-12);
  });

  it('leaves a Gemm with a non-constant B alone', () => {
    const g = new Graph('g');
    input(g, 'a', [2, 4]);
    input(g, 'b', [4, 3]);
    tensor(g, 'y', [2, 3]);
    g.addNode({ name: 'gemm', op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: 0, transB: 0 }, inputs: ['a', 'b'], outputs: ['y'] });
    output(g, 'y');
    expect(apply(g, DENSE_PASSES)).toBe(0);
    expect(ops(g)).toEqual(['Gemm']);
  });
});

describe('matmul-to-dense and fuse-dense-bias', () => {
  function mlp(biasShape: number[], biasFirst = false): Graph {
    const g = new Graph('mm');
    input(g, 'x', ['N', 6]);
    const w = const64(g, 'W', [6, 4], 21);
    const c = const64(g, 'c', biasShape, 22);
    tensor(g, 'h', ['N', 4]);
    tensor(g, 'y', ['N', 4]);
    g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', w], outputs: ['h'] });
    g.addNode({ name: 'add', op: 'Add', inputs: biasFirst ? [c, 'h'] : ['h', c], outputs: ['y'] });
    output(g, 'y');
    return g;
  }

  it('MatMul + Add(constant [N]) becomes one Dense using the bias tensor as is', () => {
    const g = mlp([4]);
    const before = g.clone();
    apply(g, DENSE_PASSES);
    expect(ops(g)).toEqual(['Dense']);
    const d = g.node('mm');
    expect(d.inputs).toEqual(['x', 'W', 'c']);
    expect(d.outputs).toEqual(['y']);
    expect(g.hasTensor('h')).toBe(false);
    expectSameOutputs(before, g, 1e-12);
  });

  it('accepts the bias on either side, as [1, N] or as a scalar', () => {
    for (const [shape, first] of [[[1, 4], true], [[1], false]] as const) {
      const g = mlp([...shape], first);
      const before = g.clone();
      apply(g, DENSE_PASSES);
      expect(ops(g)).toEqual(['Dense']);
      expect(g.tensor(g.node('mm').inputs[2]).shape).toEqual([4]);
      expectSameOutputs(before, g, 1e-12);
    }
  });

  it('does not fuse an Add that broadcasts along another axis', () => {
    const g = new Graph('mm');
    input(g, 'x', [3, 6]);
    const w = const64(g, 'W', [6, 4], 21);
    const c = const64(g, 'c', [3, 1], 22);
    tensor(g, 'h', [3, 4]);
    tensor(g, 'y', [3, 4]);
    g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', w], outputs: ['h'] });
    g.addNode({ name: 'add', op: 'Add', inputs: ['h', c], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, DENSE_PASSES);
    expect(ops(g)).toEqual(['Dense', 'Add']);
    expectSameOutputs(before, g, 1e-12);
  });

  it('keeps a MatMul whose weight is not constant or not 2-D', () => {
    const g = new Graph('mm');
    input(g, 'x', [2, 3, 6]);
    const w = const64(g, 'W', [2, 6, 4], 21);
    tensor(g, 'y', [2, 3, 4]);
    g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', w], outputs: ['y'] });
    output(g, 'y');
    expect(apply(g, DENSE_PASSES)).toBe(0);
  });

  it('Dense works on rank-3 activations (feature axis last)', () => {
    const g = new Graph('mm');
    input(g, 'x', ['N', 3, 6]);
    const w = const64(g, 'W', [6, 4], 21);
    const c = const64(g, 'c', [4], 22);
    tensor(g, 'h', ['N', 3, 4]);
    tensor(g, 'y', ['N', 3, 4]);
    g.addNode({ name: 'mm', op: 'MatMul', inputs: ['x', w], outputs: ['h'] });
    g.addNode({ name: 'add', op: 'Add', inputs: ['h', c], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, DENSE_PASSES);
    expect(ops(g)).toEqual(['Dense']);
    expectSameOutputs(before, g, 1e-12);
  });
});
