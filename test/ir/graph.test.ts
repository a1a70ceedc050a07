import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { IdentifierPool, sanitizeIdentifier } from '../../src/ir/names.js';
import { ensureBuiltinIROps } from '../../src/ir/defs/index.js';
import { registerIROp } from '../../src/ir/ops.js';
import { interpret } from '../../src/interp/interpreter.js';
import { isFirmflowError } from '../../src/errors.js';

ensureBuiltinIROps();

/** x -> Relu -> Add(c) -> Sigmoid -> y, with c a constant. */
function chain(): Graph {
  const g = new Graph('chain');
  g.addTensor({ name: 'x', shape: ['N', 4] });
  g.inputs.push({ name: 'x', tensor: 'x' });
  g.addTensor({ name: 'c', shape: [4], data: Float32Array.from([1, -2, 0.5, 0]) });
  g.addTensor({ name: 'r', shape: ['N', 4] });
  g.addTensor({ name: 'a', shape: ['N', 4] });
  g.addTensor({ name: 'y', shape: ['N', 4] });
  g.addNode({ name: 'relu', op: 'Relu', inputs: ['x'], outputs: ['r'] });
  g.addNode({ name: 'add', op: 'Add', inputs: ['r', 'c'], outputs: ['a'] });
  g.addNode({ name: 'sig', op: 'Sigmoid', inputs: ['a'], outputs: ['y'] });
  g.outputs.push({ name: 'y', tensor: 'y' });
  return g;
}

const feed = { x: { shape: [2, 4], data: [-1, 2, -3, 4, 0.5, -0.5, 1.5, -1.5] } };

describe('Graph IR', () => {
  it('orders nodes topologically whatever the insertion order', () => {
    const g = new Graph('order');
    g.addTensor({ name: 'x', shape: [2] });
    g.inputs.push({ name: 'x', tensor: 'x' });
    for (const t of ['a', 'b', 'c']) g.addTensor({ name: t, shape: [2] });
    g.addNode({ name: 'third', op: 'Tanh', inputs: ['b'], outputs: ['c'] });
    g.addNode({ name: 'second', op: 'Relu', inputs: ['a'], outputs: ['b'] });
    g.addNode({ name: 'first', op: 'Neg', inputs: ['x'], outputs: ['a'] });
    g.outputs.push({ name: 'c', tensor: 'c' });
    expect(g.topoOrder().map((n) => n.name)).toEqual(['first', 'second', 'third']);
    g.verify();
  });

  it('verify() reports a cycle, a second producer and a shape that disagrees with the op, all at once', () => {
    const g = new Graph('bad');
    g.addTensor({ name: 'x', shape: [3] });
    g.inputs.push({ name: 'x', tensor: 'x' });
    g.addTensor({ name: 'p', shape: [3] });
    g.addTensor({ name: 'q', shape: [5] });
    g.addNode({ name: 'n1', op: 'Add', inputs: ['x', 'q'], outputs: ['p'] });
    g.addNode({ name: 'n2', op: 'Relu', inputs: ['p'], outputs: ['q'] });
    g.outputs.push({ name: 'q', tensor: 'q' });
    let message = '';
    try {
      g.verify();
    } catch (e) {
      expect(isFirmflowError(e)).toBe(true);
      message = (e as Error).message;
    }
    expect(message).toMatch(/cycle through nodes: (n1 -> n2 -> n1|n2 -> n1 -> n2)/);
    expect(() => g.addNode({ name: 'n3', op: 'Relu', inputs: ['x'], outputs: ['p'] })).toThrow(/already produced by node 'n1'/);
  });

  it('verify() catches a stored shape that the op rule contradicts and a read of an undefined value', () => {
    const g = chain();
    g.tensor('a').shape = ['N', 5];
    g.addTensor({ name: 'orphan', shape: [4] });
    g.addTensor({ name: 'z', shape: [4] });
    g.addNode({ name: 'uses_orphan', op: 'Relu', inputs: ['orphan'], outputs: ['z'] });
    expect(() => g.verify()).toThrow(/reads 'orphan', which has no producer[\s\S]*output 'a' has shape \[N, 5\] but its inputs give \[N, 4\]/);
  });

  it('verify() lets a JavaScript error of a shape rule through (a bug, exit 2), but reports a refusal of the rule itself', () => {
    registerIROp({ op: 'TestBuggyShape', inferShape: () => { throw new TypeError("Cannot read properties of undefined (reading 'shape')"); } }, 'test');
    registerIROp({ op: 'TestRefusingShape', inferShape: () => { throw new Error('input rank 3 is not supported'); } }, 'test');
    const buggy = chain();
    buggy.addTensor({ name: 'b', shape: ['N', 4] });
    buggy.addNode({ name: 'buggy', op: 'TestBuggyShape', inputs: ['y'], outputs: ['b'] });
    expect(() => buggy.verify()).toThrow(TypeError);
    const refusing = chain();
    refusing.addTensor({ name: 'b', shape: ['N', 4] });
    refusing.addNode({ name: 'refusing', op: 'TestRefusingShape', inputs: ['y'], outputs: ['b'] });
    expect(() => refusing.verify()).toThrow(/node 'refusing' \(TestRefusingShape\): input rank 3 is not supported/);
  });

  it('bypassNode rewires consumers and graph outputs; the values follow', () => {
    const g = chain();
    const before = interpret(g, feed).y.data;
    g.insertAfter('r', { op: 'Identity', name: 'id' });
    expect(g.consumers('r').map((n) => n.name)).toEqual(['id']);
    expect(Array.from(interpret(g, feed).y.data)).toEqual(Array.from(before));
    g.bypassNode('id');
    expect(g.nodes.has('id')).toBe(false);
    expect(g.node('add').inputs).toEqual(['r', 'c']);
    g.bypassNode('sig');
    expect(g.outputs).toEqual([{ name: 'y', tensor: 'a' }]);
    const out = interpret(g, feed).y.data;
    expect(Array.from(out)).toEqual([1, 0, 0.5, 4, 1.5, -2, 2, 0]);
    g.verify();
  });

  it('insertAfter puts a node between a tensor and all its consumers, including a graph output', () => {
    const g = chain();
    const n = g.insertAfter('y', { op: 'Neg', name: 'neg' });
    expect(g.outputs[0].tensor).toBe(n.outputs[0]);
    expect(n.inputs).toEqual(['y']);
    const ref = interpret(chain(), feed).y.data;
    const got = interpret(g, feed).y.data;
    expect(Array.from(got)).toEqual(Array.from(ref, (v) => -v));
  });

  it('replaceNode swaps a node for a sequence that writes the same outputs', () => {
    const g = chain();
    g.addTensor({ name: 'tmp', shape: ['N', 4] });
    g.replaceNode('relu', [
      { name: 'neg1', op: 'Neg', inputs: ['x'], outputs: ['tmp'] },
      { name: 'neg2', op: 'Neg', inputs: ['tmp'], outputs: ['r'] },
    ]);
    g.verify();
    // Relu replaced by double negation: the Add now sees the raw input.
    const y = interpret(g, feed).y.data;
    const expected = [-1, 2, -3, 4, 0.5, -0.5, 1.5, -1.5].map((v, i) => 1 / (1 + Math.exp(-(v + [1, -2, 0.5, 0][i % 4]))));
    y.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 14));
  });

  it('removeDeadCode drops nodes that reach no output and their constants', () => {
    const g = chain();
    g.addTensor({ name: 'w', shape: [4], data: new Float32Array(4) });
    g.addTensor({ name: 'dead', shape: ['N', 4] });
    g.addNode({ name: 'unused', op: 'Mul', inputs: ['x', 'w'], outputs: ['dead'] });
    expect(g.removeDeadCode()).toBe(1);
    expect(g.hasTensor('w')).toBe(false);
    expect(g.hasTensor('dead')).toBe(false);
    expect([...g.nodes.keys()]).toEqual(['relu', 'add', 'sig']);
  });

  it('clone is deep: editing the copy leaves the original intact, identifiers are kept', () => {
    const g = chain();
    const c = g.clone();
    c.bypassNode('relu');
    c.tensor('c').shape.push(1);
    expect(g.nodes.has('relu')).toBe(true);
    expect(g.tensor('c').shape).toEqual([4]);
    expect(c.tensor('y').id).toBe(g.tensor('y').id);
    g.verify();
  });

  it('gives every tensor and node a sanitized unique C++ identifier and keeps the original name', () => {
    const g = new Graph('names');
    const a = g.addTensor({ name: '/fc1/Gemm_output_0', shape: [1] });
    const b = g.addTensor({ name: '/fc1/Gemm:output-0', shape: [1] });
    const c = g.addTensor({ name: '0', shape: [1] });
    const d = g.addTensor({ name: 'int', shape: [1] });
    const e = g.addTensor({ name: '../../etc/passwd', shape: [1] });
    expect(a.id).toBe('fc1_Gemm_output_0');
    expect(b.id).toBe('fc1_Gemm_output_0_2');
    expect(c.id).toBe('t_0');
    expect(d.id).toBe('int_');
    expect(e.id).toBe('etc_passwd');
    expect(a.name).toBe('/fc1/Gemm_output_0');
    for (const t of [a, b, c, d, e]) expect(t.id).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
  });
});

describe('identifiers', () => {
  it('never produces reserved spellings or collisions differing only in case', () => {
    expect(sanitizeIdentifier('__reserved')).toBe('reserved');
    expect(sanitizeIdentifier('_Upper')).toBe('Upper');
    expect(sanitizeIdentifier('a__b')).toBe('a_b');
    expect(sanitizeIdentifier('')).toBe('v');
    expect(sanitizeIdentifier('ünïcödé')).toBe('unicode');
    expect(sanitizeIdentifier('x'.repeat(200)).length).toBe(64);
    const pool = new IdentifierPool();
    expect(pool.claim('Dense')).toBe('Dense');
    expect(pool.claim('dense')).toBe('dense_2');
    expect(pool.claim('class')).toBe('class_');
  });
});
