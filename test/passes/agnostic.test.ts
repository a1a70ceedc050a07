import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { runFlows } from '../../src/pipeline/driver.js';
import { ensureSharedPasses } from '../../passes/index.js';
import { cancelTransposes } from '../../passes/cancel-transposes.js';
import { channelsLast } from '../../passes/channels-last.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { flattenIntoDense } from '../../passes/flatten-into-dense.js';
import { sinkTransposes } from '../../passes/sink-transposes.js';
import { interpret } from '../../src/interp/interpreter.js';
import { unet } from '../../bench/vitis-models.js';
import { apply, const64, expectSameOutputs, feeds, input, ops, output, tensor } from './helpers.js';

/*
 * Transposes move through the ops that work along named axes of any layout (nearest Resize, Softmax, LogSoftmax,
 * reductions) with their scales / axes permuted, so channels-last CNNs with upsampling or a channel softmax keep
 * no Transpose inside. These ops only copy or combine values along the same axis in the same order, so the
 * interpreter's results before and after are bit-identical (rel = 0).
 */
const LAYOUT_PASSES = [channelsLast, sinkTransposes, cancelTransposes, flattenIntoDense, deadCodeElimination];

function conv(g: Graph, name: string, x: string, y: string, yShape: (number | string)[], w: string, k: number[], pads: number[]): void {
  tensor(g, y, yShape);
  g.addNode({ name, op: 'Conv', attrs: { kernelShape: k, strides: k.map(() => 1), pads, dilations: k.map(() => 1), group: 1, layout: 'NCHW' }, inputs: [x, w], outputs: [y] });
}

const transposes = (g: Graph): number => ops(g).filter((o) => o === 'Transpose').length;

describe('Transposes through layout-agnostic ops', () => {
  it('moves a channels-first nearest Resize between convolutions to channels-last (scales permuted)', () => {
    const g = new Graph('up');
    input(g, 'x', [1, 2, 4, 5]);
    conv(g, 'c1', 'x', 'a', [1, 3, 4, 5], const64(g, 'W1', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    tensor(g, 'u', [1, 3, 8, 15]);
    g.addNode({ name: 'up', op: 'Resize', attrs: { mode: 'nearest', scales: [1, 1, 2, 3], sizes: null, coordinateTransformationMode: 'half_pixel', nearestMode: 'round_prefer_floor' }, inputs: ['a'], outputs: ['u'] });
    conv(g, 'c2', 'u', 'y', [1, 2, 8, 15], const64(g, 'W2', [2, 3, 3, 3], 2), [3, 3], [1, 1, 1, 1]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(transposes(g)).toBe(2); // the model's input and output only
    expect(ops(g)).toEqual(['Transpose', 'Conv', 'Resize', 'Conv', 'Transpose']);
    expect(g.node('up').attrs['scales']).toEqual([1, 2, 3, 1]);
    expect(g.tensor(g.node('up').outputs[0]).shape).toEqual([1, 8, 15, 3]);
    expectSameOutputs(before, g, 0, {}, [1, 2]);
  });

  it('permutes explicit sizes too', () => {
    const g = new Graph('sizes');
    input(g, 'x', [1, 2, 3, 3]);
    conv(g, 'c1', 'x', 'a', [1, 2, 3, 3], const64(g, 'W1', [2, 2, 1, 1], 3), [1, 1], [0, 0, 0, 0]);
    tensor(g, 'u', [1, 2, 7, 5]);
    g.addNode({ name: 'up', op: 'Resize', attrs: { mode: 'nearest', scales: [1, 1, 7 / 3, 5 / 3], sizes: [1, 2, 7, 5], coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }, inputs: ['a'], outputs: ['u'] });
    conv(g, 'c2', 'u', 'y', [1, 1, 7, 5], const64(g, 'W2', [1, 2, 1, 1], 4), [1, 1], [0, 0, 0, 0]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(transposes(g)).toBe(2);
    expect(g.node('up').attrs['sizes']).toEqual([1, 7, 5, 2]);
    expect(g.node('up').attrs['scales']).toEqual([1, 7 / 3, 5 / 3, 1]);
    expectSameOutputs(before, g, 0, {}, [1, 2]);
  });

  it('moves a Softmax over the channel axis (axis remapped) and a LogSoftmax', () => {
    for (const op of ['Softmax', 'LogSoftmax']) {
      const g = new Graph('sm');
      input(g, 'x', [1, 3, 4, 4]);
      conv(g, 'c1', 'x', 'a', [1, 4, 4, 4], const64(g, 'W1', [4, 3, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
      tensor(g, 's', [1, 4, 4, 4]);
      g.addNode({ name: 'sm', op, attrs: { axis: 1 }, inputs: ['a'], outputs: ['s'] });
      conv(g, 'c2', 's', 'y', [1, 2, 4, 4], const64(g, 'W2', [2, 4, 1, 1], 2), [1, 1], [0, 0, 0, 0]);
      output(g, 'y');
      const before = g.clone();
      apply(g, LAYOUT_PASSES);
      expect(transposes(g)).toBe(2);
      expect(g.node('sm').attrs['axis']).toBe(3);
      expectSameOutputs(before, g, 0, {}, [1, 2]);
    }
  });

  it('moves reductions, with keepdims (axes remapped) and without (the output Transpose shrinks or goes)', () => {
    // keepdims = 1: a spatial mean between two convolutions.
    const g = new Graph('rk');
    input(g, 'x', [1, 2, 5, 6]);
    conv(g, 'c1', 'x', 'a', [1, 3, 5, 6], const64(g, 'W1', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    tensor(g, 'r', [1, 3, 1, 6]);
    g.addNode({ name: 'mean', op: 'ReduceMean', attrs: { axes: [2], keepdims: 1 }, inputs: ['a'], outputs: ['r'] });
    conv(g, 'c2', 'r', 'y', [1, 2, 1, 6], const64(g, 'W2', [2, 3, 1, 1], 2), [1, 1], [0, 0, 0, 0]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(transposes(g)).toBe(2);
    expect(g.node('mean').attrs['axes']).toEqual([1]);
    expectSameOutputs(before, g, 0, {}, [1, 2]);

    // keepdims = 0 over the spatial axes: [N, C] comes out in the same order, so no output Transpose is left.
    const h = new Graph('r0');
    input(h, 'x', [1, 2, 5, 6]);
    conv(h, 'c1', 'x', 'a', [1, 3, 5, 6], const64(h, 'W1', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    tensor(h, 'r', [1, 3]);
    h.addNode({ name: 'max', op: 'ReduceMax', attrs: { axes: [2, 3], keepdims: 0 }, inputs: ['a'], outputs: ['r'] });
    output(h, 'r');
    const hb = h.clone();
    apply(h, LAYOUT_PASSES);
    expect(ops(h)).toEqual(['Transpose', 'Conv', 'ReduceMax']);
    expect(h.node('max').attrs['axes']).toEqual([1, 2]);
    expectSameOutputs(hb, h, 0, {}, [1, 2]);

    // keepdims = 0 over H only: [N, C, W] needs the kept axes of [N, W, C] swapped.
    const k = new Graph('r1');
    input(k, 'x', [1, 2, 5, 6]);
    conv(k, 'c1', 'x', 'a', [1, 3, 5, 6], const64(k, 'W1', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    tensor(k, 'r', [1, 3, 6]);
    k.addNode({ name: 'sum', op: 'ReduceSum', attrs: { axes: [2], keepdims: 0 }, inputs: ['a'], outputs: ['r'] });
    output(k, 'r');
    const kb = k.clone();
    apply(k, LAYOUT_PASSES);
    expect(ops(k)).toEqual(['Transpose', 'Conv', 'ReduceSum', 'Transpose']);
    expect(k.node('sum').attrs['axes']).toEqual([1]);
    const last = k.topoOrder().at(-1)!;
    expect(last.attrs['perm']).toEqual([0, 2, 1]);
    expectSameOutputs(kb, k, 0, {}, [1, 2]);
  });

  it('moves the Transpose above a Resize that reads the model input, so it sits on the input', () => {
    const g = new Graph('in');
    input(g, 'x', [1, 2, 3, 4]);
    tensor(g, 'u', [1, 2, 6, 8]);
    g.addNode({ name: 'up', op: 'Resize', attrs: { mode: 'nearest', scales: [1, 1, 2, 2], sizes: null, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }, inputs: ['x'], outputs: ['u'] });
    conv(g, 'c1', 'u', 'y', [1, 3, 6, 8], const64(g, 'W1', [3, 2, 3, 3], 1), [3, 3], [1, 1, 1, 1]);
    output(g, 'y');
    const before = g.clone();
    apply(g, LAYOUT_PASSES);
    expect(ops(g)).toEqual(['Transpose', 'Resize', 'Conv', 'Transpose']);
    const first = g.topoOrder()[0];
    expect(first.inputs[0]).toBe('x');
    expect(g.node('up').attrs['scales']).toEqual([1, 2, 2, 1]);
    expectSameOutputs(before, g, 0, {}, [1, 2]);
  });

  it('leaves a Resize that would have to scale the batch axis alone', () => {
    const g = new Graph('batch');
    input(g, 'x', [1, 2, 3]);
    tensor(g, 'xt', [2, 1, 3]);
    g.addNode({ name: 't', op: 'Transpose', attrs: { perm: [1, 0, 2] }, inputs: ['x'], outputs: ['xt'] });
    tensor(g, 'sq', [2, 1, 3]);
    g.addNode({ name: 'sq', op: 'Relu', inputs: ['xt'], outputs: ['sq'] });
    tensor(g, 'u', [2, 1, 6]);
    g.addNode({ name: 'up', op: 'Resize', attrs: { mode: 'nearest', scales: [1, 1, 2], sizes: null, coordinateTransformationMode: 'asymmetric', nearestMode: 'floor' }, inputs: ['sq'], outputs: ['u'] });
    output(g, 'u');
    apply(g, LAYOUT_PASSES);
    expect(g.node('up').attrs['scales']).toEqual([1, 1, 2]);
    expect(g.producer(g.node('up').inputs[0])?.op).toBe('Transpose');
  });

  it('leaves the U-Net of the benchmarks without a Transpose inside after optimize, with identical numbers', () => {
    ensureSharedPasses();
    const small = unet({ size: 16, channels: [2, 3], bottleneck: 4, convsPerLevel: 2, classes: 2 });
    const g = loadModel(small.bytes);
    const before = g.clone();
    runFlows(g, ['optimize']);
    const order = g.topoOrder();
    expect(transposes(g)).toBe(2);
    expect(order[0].op).toBe('Transpose');
    expect(order.at(-1)!.op).toBe('Transpose');
    expect(order.filter((n) => n.op === 'Resize').map((n) => n.attrs['scales'])).toEqual([[1, 2, 2, 1], [1, 2, 2, 1]]);
    expect(order.filter((n) => n.op === 'Concat').map((n) => n.attrs['axis'])).toEqual([3, 3]);
    const f = feeds(before, 5, 2);
    const a = interpret(before, f), b = interpret(g, f);
    expect(Array.from(b['mask'].data)).toEqual(Array.from(a['mask'].data));
    expect(a['mask'].shape).toEqual([2, 2, 16, 16]);

    // And the 256x256 model itself: two boundary Transposes, every Resize channels-last.
    const big = loadModel(unet().bytes);
    runFlows(big, ['optimize']);
    expect(transposes(big)).toBe(2);
    expect(big.topoOrder().filter((n) => n.op === 'Resize').every((n) => (n.attrs['scales'] as number[])[3] === 1)).toBe(true);
  });
});
