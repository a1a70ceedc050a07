import { describe, expect, it } from 'vitest';
import { Graph } from 'firmflow';
import { blockWeights, denseCodes, product, productProblem } from '../../src/kernels/product.js';
import { productKernelPerf } from '../../src/perf.js';
import { AIE_ML, emitted, emulate, fx, layer, lower, onGrid, reference, refusal, traceRow } from './kit.js';
import { codes, denseChain } from '../planning/helpers.js';

/** x [N, 16] (2^-4) -> Dense 16x8 (weights 2^-6, bias 2^-10) -> y (2^-4). */
const denseGraph = (): Graph => denseChain([16, 8]);

/** a [N, 4, 8] x b [N, 8, 4] -> y [N, 4, 4], all int8 at 2^-4. */
function matmulGraph(): Graph {
  const g = new Graph('mm');
  g.addTensor({ name: 'a', shape: ['N', 4, 8], precision: fx(8, 4) });
  g.addTensor({ name: 'b', shape: ['N', 8, 4], precision: fx(8, 4) });
  g.addTensor({ name: 'y', shape: ['N', 4, 4], precision: fx(8, 4) });
  g.addNode({ name: 'mm', op: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] });
  g.inputs = [{ name: 'a', tensor: 'a' }, { name: 'b', tensor: 'b' }];
  g.outputs = [{ name: 'y', tensor: 'y' }];
  return g;
}

describe('kernel product (Dense, MatMul)', () => {
  it('legalizes a Dense to exact int8 products in acc32, the bias on the product grid, one srs', () => {
    const l = layer(lower(denseGraph), 'fc0');
    expect(l).toMatchObject({ kernel: 'dense', dtype: { a: 'int8', w: 'int8', out: 'int8', acc: 'acc32' }, frac: { a: 4, w: 6, b: 10, out: 4 }, shift: 6, rounding: 'conv_even' });
    expect(Array.from(l.weightsCodes!)).toEqual(Array.from(codes(16 * 8, 7)));
    expect(layer(lower(matmulGraph), 'mm')).toMatchObject({ kernel: 'matmul', frac: { a: 4, w: 4, out: 4 }, shift: 4, attrs: { batch: 8 } });
  });

  it('refuses float weights, by name', () => {
    const msg = refusal(() => {
      const g = denseChain([16, 8]);
      g.tensor('w0').precision = undefined;
      return g;
    });
    expect(msg).toContain("node 'fc0' (Dense): weights 'w0' are float (no quantizer); quantize them with power-of-two scales or use aie.mode 'bf16'");
  });

  it('computes a hand-checked product: 1*3 + 2*4 + bias 5 = 16, srs by 2 = 4; ReLU clips -16 to 0', () => {
    const l = { dtype: { a: 'int8', w: 'int8', out: 'int8', acc: 'acc32' }, shift: 2, rounding: 'conv_even', saturate: true, fusedRelu: false } as const;
    expect(Array.from(denseCodes([1, 2], 1, 2, 1, [3, 4], [5], l))).toEqual([4]);
    expect(Array.from(denseCodes([-1, -2], 1, 2, 1, [3, 4], [-5], { ...l, fusedRelu: true }))).toEqual([0]);
  });

  it('emulates bit for bit the float interpreter (Dense and MatMul of runtime operands)', () => {
    const x = onGrid([16], 4, 11, 40);
    expect(Array.from(emulate(lower(denseGraph), { x }).data)).toEqual(Array.from(reference(denseGraph, { x })));
    const feeds = { a: onGrid([4, 8], 4, 12, 30), b: onGrid([8, 4], 4, 13, 30) };
    expect(Array.from(emulate(lower(matmulGraph), feeds).data)).toEqual(Array.from(reference(matmulGraph, feeds)));
  });

  it('traces within its bound: the srs rounding on exact inputs and constants', () => {
    const row = traceRow(lower(denseGraph), { x: onGrid([16], 4, 14, 40) }, 'fc0');
    expect(row.bound).toBe(2 ** -5);
    expect(row.maxAbsError).toBeGreaterThan(0);
    expect(row.maxAbsError).toBeLessThanOrEqual(row.bound);
    expect(row.exceeds).toBe(false);
  });

  it('emits the cascade grid: Dense<cfg, role> kernels with their blocked weight slices', () => {
    const g = lower(denseGraph);
    const l = layer(g, 'fc0');
    const t = l.tiling!;
    const m = emitted(g, 'fc0')!;
    const [, k, n] = t.microtile;
    expect(m.library).toBe('dense.h');
    expect(m.config.lines).toContain('static constexpr int SHIFT = 6;');
    expect(m.config.lines).toContain(`static constexpr unsigned CAS_LENGTH = ${t.casLength}, CAS_NUM = ${t.casNum};`);
    expect(m.kernels).toHaveLength(t.casLength * t.casNum);
    expect(m.kernels[0].cls).toBe(`firmflow::Dense<${m.config.name}, firmflow::Role::${t.casLength === 1 ? 'single' : 'first'}>`);
    expect(m.arrays[0]).toMatchObject({ name: `${m.id}_w_c0_p0`, ctype: 'int8' });
    expect(Array.from(m.arrays[0].values)).toEqual(blockWeights(l.weightsCodes!, 16, 8, 0, 0, t.tileK, t.tileN, k, n));
    expect(m.summary).toContain(`dense ${t.M}x16x8`);
  });

  it('models the tiled product: 8 x 16 x 8 MACs at the microtile rate', () => {
    const l = layer(lower(denseGraph), 'fc0');
    expect(l.perf).toEqual(productKernelPerf(AIE_ML, productProblem('fc0', l), l.tiling!));
    expect(l.perf!.macs).toBe(8 * 16 * 8);
    expect(product.perf.programBytes).toEqual({ dense: 2560, matmul: 2816 });
  });
});
