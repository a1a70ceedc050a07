import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { ensureSharedPasses } from '../../passes/index.js';
import { runFlows } from '../../src/pipeline/driver.js';
import { cancelTransposes } from '../../passes/cancel-transposes.js';
import { channelsLast } from '../../passes/channels-last.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { flattenIntoDense } from '../../passes/flatten-into-dense.js';
import { sinkTransposes } from '../../passes/sink-transposes.js';
import { apply, const64, ctx, expectSameOutputs, input, ops, output, tensor } from './helpers.js';

const LAYOUT_PASSES = [channelsLast, sinkTransposes, cancelTransposes, flattenIntoDense, deadCodeElimination];

function conv(g: Graph, name: string, x: string, y: string, yShape: (number | string)[], w: string, k: number[], pads: number[], layout = 'NCHW'): void {
  tensor(g, y, yShape);
  g.addNode({ name, op: 'Conv', attrs: { kernelShape: k, strides: k.map(() => 1), pads, dilations: k.map(() => 1), group: 1, layout }, inputs: [x, w], outputs: [y] });
}

describe('channels-last conversion', () => {
  it('removes the Keras NHWC -> NCHW -> conv -> NHWC transposes and keeps the flatten order', () => {
    const g = new Graph('keras');
    input(g, 'x', [1, 6, 6, 2]);
    tensor(g, 'xt', [1, 2, 6, 6]);
    g.addNode({ name: 't_in', op: 'Transpose', attrs: { perm: [0, 3, 1, 2] }, inputs: ['x'], outputs: ['xt'] });
    conv(g, 'conv', 'xt', 'c', [1, 3, 6, 6], const64(g, 'W', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    tensor(g, 'r', [1, 3, 6, 6]);
    g.addNode({ name: 'relu', op: 'Relu', inputs: ['c'], outputs: ['r'] });
    tensor(g, 'rt', [1, 6, 6, 3]);
    g.addNode({ name: 't_out', op: 'Transpose', attrs: { perm: [0, 2, 3, 1] }, inputs: ['r'], outputs: ['rt'] });
    tensor(g, 'f', [1, 108]);
    g.addNode({ name: 'flat', op: 'Flatten', attrs: { axis: 0 }, inputs: ['rt'], outputs: ['f'] });
    tensor(g, 'y', [1, 4]);
    g.addNode({ name: 'fc', op: 'Dense', inputs: ['f', const64(g, 'Wd', [108, 4], 2), ''], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g)).toEqual(['Conv', 'Relu', 'Flatten', 'Dense']);
    const c = g.node('conv');
    expect(c.attrs['layout']).toBe('NHWC');
    expect(c.inputs[0]).toBe('x');
    // Weights transposed once to HWIO: W'[kh, kw, c, m] = W[m, c, kh, kw].
    const W = before.tensor('W').data!, Wt = g.tensor(c.inputs[1]);
    expect(Wt.shape).toEqual([3, 3, 2, 3]);
    expect(Wt.data![((1 * 3 + 2) * 2 + 1) * 3 + 2]).toBe(W[((2 * 2 + 1) * 3 + 1) * 3 + 2]);
    expect(g.node('fc').inputs[1]).toBe('Wd'); // already in H, W, C order: untouched
    expectSameOutputs(before, g, 1e-12, {}, [1, 2]);
  });

  it('converts a PyTorch NCHW conv/pool stack, leaving one input Transpose and permuting the Dense rows', () => {
    const g = new Graph('torch');
    input(g, 'x', ['N', 2, 8, 8]);
    conv(g, 'conv', 'x', 'c', ['N', 4, 6, 6], const64(g, 'W', [4, 2, 3, 3], 3), [3, 3], [0, 0, 0, 0]);
    tensor(g, 'r', ['N', 4, 6, 6]);
    g.addNode({ name: 'relu', op: 'Relu', inputs: ['c'], outputs: ['r'] });
    tensor(g, 'p', ['N', 4, 3, 3]);
    g.addNode({ name: 'pool', op: 'MaxPool', attrs: { kernelShape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], layout: 'NCHW' }, inputs: ['r'], outputs: ['p'] });
    tensor(g, 'f', ['N', 36]);
    g.addNode({ name: 'flat', op: 'Flatten', attrs: { axis: 1 }, inputs: ['p'], outputs: ['f'] });
    tensor(g, 'y', ['N', 5]);
    g.addNode({ name: 'fc', op: 'Dense', inputs: ['f', const64(g, 'Wd', [36, 5], 4), const64(g, 'bd', [5], 5)], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g)).toEqual(['Transpose', 'Conv', 'Relu', 'MaxPool', 'Flatten', 'Dense']);
    expect(g.topoOrder()[0].attrs['perm']).toEqual([0, 2, 3, 1]);
    expect(g.node('pool').attrs['layout']).toBe('NHWC');
    // Row (c, h, w) of the old weight is row (h, w, c) of the new one.
    const Wd = before.tensor('Wd').data!, Wn = g.tensor(g.node('fc').inputs[1]).data!;
    for (const [c, h, w] of [[0, 0, 0], [3, 2, 1], [1, 0, 2]]) {
      for (let n = 0; n < 5; n++) expect(Wn[((h * 3 + w) * 4 + c) * 5 + n]).toBe(Wd[(c * 9 + h * 3 + w) * 5 + n]);
    }
    expectSameOutputs(before, g, 1e-12, {}, [1, 2]);
  });

  it('moves a ScaleShift (lone BN) between convolutions to the channel-last axis', () => {
    const g = new Graph('mp');
    input(g, 'x', [1, 1, 7, 7]);
    conv(g, 'c1', 'x', 'a', [1, 3, 7, 7], const64(g, 'W1', [3, 1, 3, 3], 6), [3, 3], [1, 1, 1, 1]);
    tensor(g, 'b', [1, 3, 7, 7]);
    g.addNode({ name: 'selu', op: 'Selu', attrs: {}, inputs: ['a'], outputs: ['b'] });
    tensor(g, 's', [1, 3, 7, 7]);
    g.addNode({ name: 'bn', op: 'ScaleShift', attrs: { axis: 1 }, inputs: ['b', const64(g, 'sc', [3], 7), const64(g, 'sh', [3], 8)], outputs: ['s'] });
    conv(g, 'c2', 's', 'y', [1, 2, 5, 5], const64(g, 'W2', [2, 3, 3, 3], 9), [3, 3], [0, 0, 0, 0]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g)).toEqual(['Transpose', 'Conv', 'Selu', 'ScaleShift', 'Conv', 'Transpose']);
    expect(g.node('bn').attrs['axis']).toBe(3);
    expect(g.outputs[0].tensor).toBe('y');
    expectSameOutputs(before, g, 1e-12, {}, [1, 2]);
  });

  it('handles 1-D convolutions and an Add of a per-channel constant', () => {
    const g = new Graph('c1d');
    input(g, 'x', ['N', 3, 10]);
    conv(g, 'conv', 'x', 'c', ['N', 4, 8], const64(g, 'W', [4, 3, 3], 10), [3], [0, 0]);
    tensor(g, 'a', ['N', 4, 8]);
    g.addNode({ name: 'add', op: 'Add', inputs: ['c', const64(g, 'k', [4, 1], 11)], outputs: ['a'] });
    conv(g, 'conv2', 'a', 'y', ['N', 2, 6], const64(g, 'W2', [2, 4, 3], 12), [3], [0, 0]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g)).toEqual(['Transpose', 'Conv', 'Add', 'Conv', 'Transpose']);
    expect(g.tensor(g.node('add').inputs[1]).shape).toEqual([1, 1, 4]);
    expectSameOutputs(before, g, 1e-12);
  });

  it('is skipped with channelsLast: false', () => {
    const g = new Graph('off');
    input(g, 'x', ['N', 3, 10]);
    conv(g, 'conv', 'x', 'y', ['N', 4, 8], const64(g, 'W', [4, 3, 3], 10), [3], [0, 0]);
    output(g, 'y');
    expect(apply(g, LAYOUT_PASSES, { ...ctx, options: { channelsLast: false } })).toBe(0);
  });

  it('runs as part of the optimize flow', () => {
    ensureSharedPasses();
    const g = new Graph('flow');
    input(g, 'x', [1, 5, 5, 1]);
    tensor(g, 'xt', [1, 1, 5, 5]);
    g.addNode({ name: 't_in', op: 'Transpose', attrs: { perm: [0, 3, 1, 2] }, inputs: ['x'], outputs: ['xt'] });
    conv(g, 'conv', 'xt', 'c', [1, 2, 5, 5], const64(g, 'W', [2, 1, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    tensor(g, 'ct', [1, 5, 5, 2]);
    g.addNode({ name: 't_out', op: 'Transpose', attrs: { perm: [0, 2, 3, 1] }, inputs: ['c'], outputs: ['ct'] });
    output(g, 'ct');
    const before = g.clone();
    runFlows(g, ['optimize']);
    expect(ops(g)).toEqual(['Conv']);
    expectSameOutputs(before, g, 1e-12, {}, [1]);
  });

  it('moves Transposes through Pad and a channel Concat of two convolutions', () => {
    const g = new Graph('cat');
    input(g, 'x', [1, 2, 6, 6]);
    conv(g, 'ca', 'x', 'a', [1, 3, 6, 6], const64(g, 'Wa', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    conv(g, 'cb', 'x', 'b', [1, 2, 6, 6], const64(g, 'Wb', [2, 2, 1, 1], 2), [1, 1], [0, 0, 0, 0]);
    tensor(g, 'c', [1, 5, 6, 6]);
    g.addNode({ name: 'cat', op: 'Concat', attrs: { axis: 1 }, inputs: ['a', 'b'], outputs: ['c'] });
    tensor(g, 'p', [1, 5, 8, 7]);
    g.addNode({ name: 'pad', op: 'Pad', attrs: { pads: [0, 0, 1, 0, 0, 0, 1, 1], value: 0.5 }, inputs: ['c'], outputs: ['p'] });
    conv(g, 'cc', 'p', 'y', [1, 1, 6, 5], const64(g, 'Wc', [1, 5, 3, 3], 3), [3, 3], [0, 0, 0, 0]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g).filter((o) => o === 'Transpose')).toHaveLength(2); // model input and output only
    expect(g.node('cat').attrs['axis']).toBe(3);
    expect(g.node('pad').attrs['pads']).toEqual([0, 1, 0, 0, 0, 1, 1, 0]);
    expectSameOutputs(before, g, 1e-12, {}, [1, 2]);
  });

  it('carries weight quantizer annotations through the HWIO transpose (per-channel axis remapped)', () => {
    const g = new Graph('q');
    input(g, 'x', [1, 2, 5, 5]);
    const w = const64(g, 'W', [3, 2, 3, 3], 1);
    g.tensor(w).quant = { scale: Float64Array.from([0.1, 0.2, 0.3]), zeroPoint: new Float64Array(3), axis: 0, bits: 8, signed: true, narrow: false };
    g.tensor(w).meta['quantizer'] = { op: 'Quant', bits: 8, signed: true, narrow: false, scale: [0.1, 0.2, 0.3], scaleShape: [3, 1, 1, 1], zeropt: [0], zeroptShape: [], roundingMode: 'ROUND' };
    conv(g, 'conv', 'x', 'y', [1, 3, 3, 3], w, [3, 3], [0, 0, 0, 0]);
    output(g, 'y');
    apply(g, LAYOUT_PASSES);
    const hw = g.tensor(g.node('conv').inputs[1]);
    expect(hw.shape).toEqual([3, 3, 2, 3]);
    expect(hw.quant?.axis).toBe(3);
    expect((hw.meta['quantizer'] as { scaleShape: number[] }).scaleShape).toEqual([1, 1, 1, 3]);
  });

  it('puts the Transpose back before a channels-first Flatten that feeds no Dense', () => {
    const g = new Graph('flat');
    input(g, 'x', ['N', 2, 5]);
    conv(g, 'conv', 'x', 'c', ['N', 3, 3], const64(g, 'W', [3, 2, 3], 1), [3], [0, 0]);
    tensor(g, 'y', ['N', 9]);
    g.addNode({ name: 'flat', op: 'Flatten', attrs: { axis: 1 }, inputs: ['c'], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g)).toEqual(['Transpose', 'Conv', 'Transpose', 'Flatten']);
    expect(g.topoOrder()[2].attrs['perm']).toEqual([0, 2, 1]);
    expectSameOutputs(before, g, 1e-12);
  });
});
