import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { batchNormToScaleShift } from '../../passes/batchnorm-to-scaleshift.js';
import { foldBatchNorm } from '../../passes/fold-batchnorm.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { apply, const64, expectSameOutputs, input, ops, output, randomArray, tensor } from './helpers.js';

const BN_PASSES = [foldBatchNorm, batchNormToScaleShift, deadCodeElimination];

/** BN parameters with positive variance: scale, B, mean, var. */
function bnParams(g: Graph, C: number, seed: number): string[] {
  const v = randomArray(C, seed + 3).map((x) => 0.5 + x * x);
  g.addTensor({ name: 'var', shape: [C], dtype: 'float64', data: v });
  return [const64(g, 'gamma', [C], seed), const64(g, 'beta', [C], seed + 1), const64(g, 'mean', [C], seed + 2), 'var'];
}

describe('fold-batchnorm', () => {
  it('folds BN into the Dense before it (exact float64 math)', () => {
    const g = new Graph('bn');
    input(g, 'x', ['N', 5]);
    const w = const64(g, 'W', [5, 4], 1), b = const64(g, 'b', [4], 2);
    tensor(g, 'h', ['N', 4]);
    tensor(g, 'y', ['N', 4]);
    g.addNode({ name: 'fc', op: 'Dense', inputs: ['x', w, b], outputs: ['h'] });
    g.addNode({ name: 'bn', op: 'BatchNormalization', attrs: { epsilon: 1e-3 }, inputs: ['h', ...bnParams(g, 4, 10)], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, BN_PASSES);
    expect(ops(g)).toEqual(['Dense']);
    expect(g.node('fc').outputs).toEqual(['y']);
    // Spot-check one folded weight against the formula.
    const G = before.tensor('gamma').data!, V = before.tensor('var').data!;
    const a0 = (G[0] as number) / Math.sqrt((V[0] as number) + 1e-3);
    expect(g.tensor(g.node('fc').inputs[1]).data![4]).toBe((before.tensor('W').data![4] as number) * a0);
    expectSameOutputs(before, g, 1e-12);
  });

  it('stores folded float32 weights as float32', () => {
    const g = new Graph('bn32');
    input(g, 'x', ['N', 3]);
    g.addTensor({ name: 'W', shape: [3, 2], dtype: 'float32', data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
    tensor(g, 'h', ['N', 2]);
    tensor(g, 'y', ['N', 2]);
    g.addNode({ name: 'fc', op: 'Dense', inputs: ['x', 'W', ''], outputs: ['h'] });
    g.addNode({ name: 'bn', op: 'BatchNormalization', attrs: { epsilon: 1e-5 }, inputs: ['h', ...bnParams(g, 2, 4)], outputs: ['y'] });
    output(g, 'y');
    apply(g, BN_PASSES);
    const d = g.node('fc');
    expect(g.tensor(d.inputs[1]).data).toBeInstanceOf(Float32Array);
    expect(g.tensor(d.inputs[2]).shape).toEqual([2]);
  });

  for (const layout of ['NCHW', 'NHWC'] as const) {
    it(`folds BN into a ${layout} Conv (weights scaled per output channel, bias created)`, () => {
      const g = new Graph('conv');
      const nchw = layout === 'NCHW';
      input(g, 'x', nchw ? [1, 3, 6, 6] : [1, 6, 6, 3]);
      const w = const64(g, 'W', nchw ? [4, 3, 3, 3] : [3, 3, 3, 4], 5);
      const ys = nchw ? [1, 4, 4, 4] : [1, 4, 4, 4];
      tensor(g, 'h', ys);
      tensor(g, 'y', ys);
      g.addNode({ name: 'conv', op: 'Conv', attrs: { kernelShape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, layout }, inputs: ['x', w], outputs: ['h'] });
      if (nchw) {
        g.addNode({ name: 'bn', op: 'BatchNormalization', attrs: { epsilon: 1e-5 }, inputs: ['h', ...bnParams(g, 4, 7)], outputs: ['y'] });
      } else {
        g.addNode({ name: 'ss', op: 'ScaleShift', attrs: { axis: 3 }, inputs: ['h', const64(g, 's', [4], 8), const64(g, 't', [4], 9)], outputs: ['y'] });
      }
      output(g, 'y');
      const before = g.clone();
      apply(g, BN_PASSES);
      expect(ops(g)).toEqual(['Conv']);
      expect(g.node('conv').inputs[2]).not.toBe('');
      expectSameOutputs(before, g, 1e-12);
    });
  }

  it('does not fold into a layer whose output has another reader; the BN becomes a ScaleShift', () => {
    const g = new Graph('bn');
    input(g, 'x', ['N', 5]);
    const w = const64(g, 'W', [5, 4], 1);
    tensor(g, 'h', ['N', 4]);
    tensor(g, 'y', ['N', 4]);
    tensor(g, 'z', ['N', 4]);
    g.addNode({ name: 'fc', op: 'Dense', inputs: ['x', w, ''], outputs: ['h'] });
    g.addNode({ name: 'bn', op: 'BatchNormalization', attrs: { epsilon: 1e-3 }, inputs: ['h', ...bnParams(g, 4, 10)], outputs: ['y'] });
    g.addNode({ name: 'r', op: 'Relu', inputs: ['h'], outputs: ['z'] });
    output(g, 'y');
    output(g, 'z');
    const before = g.clone();
    apply(g, BN_PASSES);
    expect(ops(g).sort()).toEqual(['Dense', 'Relu', 'ScaleShift']);
    expect(g.node('bn').attrs['axis']).toBe(1);
    expectSameOutputs(before, g, 1e-12);
  });

  it('turns a lone BN on 4-D data into ScaleShift on axis 1', () => {
    const g = new Graph('bn');
    input(g, 'x', ['N', 3, 2, 2]);
    tensor(g, 'y', ['N', 3, 2, 2]);
    g.addNode({ name: 'bn', op: 'BatchNormalization', attrs: { epsilon: 1e-6 }, inputs: ['x', ...bnParams(g, 3, 30)], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, BN_PASSES);
    expect(ops(g)).toEqual(['ScaleShift']);
    expectSameOutputs(before, g, 1e-12);
  });
});
