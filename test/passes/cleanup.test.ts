import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { collapseReshapes } from '../../passes/collapse-reshapes.js';
import { constantFolding } from '../../passes/constant-folding.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { removeIdentity } from '../../passes/remove-identity.js';
import { removeNoopReshape } from '../../passes/remove-noop-reshape.js';
import { apply, const64, expectSameOutputs, input, ops, output, tensor } from './helpers.js';

describe('constant-folding', () => {
  it('evaluates a node whose inputs are all constant and keeps the precision of its output', () => {
    const g = new Graph('cf');
    input(g, 'x', ['N', 4]);
    const a = const64(g, 'a', [4], 1), b = const64(g, 'b', [4], 2);
    tensor(g, 's', [4]);
    tensor(g, 'y', ['N', 4]);
    g.tensor('s').precision = { signed: true, width: 8, integer: 2, rounding: 'RND_CONV', overflow: 'SAT' };
    g.addNode({ name: 'sum', op: 'Add', inputs: [a, b], outputs: ['s'] });
    g.addNode({ name: 'use', op: 'Mul', inputs: ['x', 's'], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    expect(apply(g, [constantFolding])).toBe(1);
    expect(ops(g)).toEqual(['Mul']);
    const s = g.tensor('s').data as Float64Array;
    const A = before.tensor('a').data as Float64Array, B = before.tensor('b').data as Float64Array;
    for (let i = 0; i < 4; i++) expect(s[i]).toBe(Math.round((A[i] + B[i]) * 32) / 32);
    expectSameOutputs(before, g, 0);
  });
});

describe('remove-identity and dead-code-elimination', () => {
  it('removes Identity and Dropout; DCE drops what reaches no output', () => {
    const g = new Graph('id');
    input(g, 'x', ['N', 3]);
    for (const t of ['a', 'b', 'c', 'dead']) tensor(g, t, ['N', 3]);
    g.addNode({ name: 'i', op: 'Identity', inputs: ['x'], outputs: ['a'] });
    g.addNode({ name: 'r', op: 'Relu', inputs: ['a'], outputs: ['b'] });
    g.addNode({ name: 'd', op: 'Identity', inputs: ['b'], outputs: ['c'] });
    g.addNode({ name: 'unused', op: 'Tanh', inputs: ['b'], outputs: ['dead'] });
    output(g, 'c');
    const before = g.clone();
    apply(g, [removeIdentity, deadCodeElimination]);
    expect(ops(g)).toEqual(['Relu']);
    expect(g.outputs).toEqual([{ name: 'c', tensor: 'b' }]);
    expect(g.node('r').inputs).toEqual(['x']);
    expect(g.hasTensor('dead')).toBe(false);
    expectSameOutputs(before, g, 0);
  });

  it('keeps an Identity whose output carries a quantizer type that cannot move', () => {
    const g = new Graph('id');
    input(g, 'x', ['N', 3]);
    tensor(g, 'a', ['N', 3]);
    tensor(g, 'b', ['N', 3]);
    g.tensor('a').precision = { signed: true, width: 6, integer: 2, rounding: 'RND_CONV', overflow: 'SAT' };
    g.addNode({ name: 'i', op: 'Identity', inputs: ['x'], outputs: ['a'] });
    g.addNode({ name: 'r', op: 'Relu', inputs: ['x'], outputs: ['b'] });
    output(g, 'a');
    output(g, 'b');
    expect(apply(g, [removeIdentity])).toBe(0);
    // With one reader the type moves onto the input instead.
    const h = new Graph('id2');
    input(h, 'x', ['N', 3]);
    tensor(h, 'a', ['N', 3]);
    h.tensor('a').precision = { signed: true, width: 6, integer: 2, rounding: 'RND_CONV', overflow: 'SAT' };
    h.addNode({ name: 'i', op: 'Identity', inputs: ['x'], outputs: ['a'] });
    output(h, 'a');
    const before = h.clone();
    expect(apply(h, [removeIdentity])).toBe(1);
    expect(h.tensor('x').precision?.width).toBe(6);
    expectSameOutputs(before, h, 0);
  });
});

describe('reshape cleanup', () => {
  it('removes reshapes that keep the shape and collapses chains', () => {
    const g = new Graph('rs');
    input(g, 'x', [2, 3, 4]);
    tensor(g, 'a', [2, 3, 4]);
    tensor(g, 'b', [2, 12]);
    tensor(g, 'c', [6, 4]);
    tensor(g, 'y', [6, 4]);
    g.addNode({ name: 'noop', op: 'Reshape', attrs: { shape: [2, 3, 4] }, inputs: ['x'], outputs: ['a'] });
    g.addNode({ name: 'flat', op: 'Flatten', attrs: { axis: 1 }, inputs: ['a'], outputs: ['b'] });
    g.addNode({ name: 'again', op: 'Reshape', attrs: { shape: [6, 4] }, inputs: ['b'], outputs: ['c'] });
    g.addNode({ name: 'relu', op: 'Relu', inputs: ['c'], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, [removeNoopReshape, collapseReshapes, deadCodeElimination]);
    expect(ops(g)).toEqual(['Reshape', 'Relu']);
    expect(g.node('again').inputs).toEqual(['x']);
    expectSameOutputs(before, g, 0);
  });

  it('removes Squeeze/Unsqueeze pairs that give back the input shape', () => {
    const g = new Graph('sq');
    input(g, 'x', ['N', 3]);
    tensor(g, 'a', ['N', 1, 3]);
    tensor(g, 'y', ['N', 3]);
    g.addNode({ name: 'u', op: 'Unsqueeze', attrs: { axes: [1] }, inputs: ['x'], outputs: ['a'] });
    g.addNode({ name: 's', op: 'Squeeze', attrs: { axes: [1] }, inputs: ['a'], outputs: ['y'] });
    output(g, 'y');
    const before = g.clone();
    apply(g, [removeNoopReshape, collapseReshapes, deadCodeElimination]);
    expect(ops(g)).toEqual([]);
    expect(g.outputs[0].tensor).toBe('x');
    expectSameOutputs(before, g, 0);
  });
});
