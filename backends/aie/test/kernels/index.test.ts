import { describe, expect, it } from 'vitest';
import { KERNELS, kernelForOp, kernelOf, layoutOf, SUPPORTED_OPS } from '../../src/kernels/index.js';
import { supports } from '../../src/index.js';

describe('kernel index', () => {
  it('maps every supported IR op to the one module that implements it', () => {
    expect(Object.keys(SUPPORTED_OPS).sort()).toEqual([
      'Add', 'Concat', 'Dense', 'Flatten', 'LayerNormalization', 'MatMul', 'Relu', 'Reshape', 'Sigmoid', 'Slice', 'Softmax', 'Split', 'Squeeze', 'Tanh', 'Transpose', 'Unsqueeze',
    ]);
    for (const [op, kind] of Object.entries(SUPPORTED_OPS)) {
      expect(kernelForOp(op)!.ops[op]).toBe(kind);
      expect(kernelOf(kind)).toBe(kernelForOp(op));
    }
    expect(kernelForOp('Conv')).toBeUndefined();
    expect(supports({ op: 'Conv' } as never)).toBe('op Conv has no AIE kernel (supported: Add, Concat, Dense, Flatten, LayerNormalization, MatMul, Relu, Reshape, Sigmoid, Slice, Softmax, Split, Squeeze, Tanh, Transpose, Unsqueeze)');
    expect(supports({ op: 'Softmax' } as never)).toBe(true);
  });

  it('gives each layer kind one module, and each module one planning layout', () => {
    const kinds = KERNELS.flatMap((k) => [...new Set(Object.values(k.ops))]);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(Object.fromEntries(KERNELS.map((k) => [k.name, k.layout]))).toEqual({
      product: 'cascade', add: 'rows', relu: 'rows', activation: 'rows', softmax: 'rows', layernorm: 'rows', transpose: 'rows', view: 'region',
    });
    expect(layoutOf('matmul')).toBe('cascade');
    expect(() => kernelOf('conv' as never)).toThrow(/no AIE kernel module for layer kind 'conv'/);
  });
});
