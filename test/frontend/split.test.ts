import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cancelTransposes } from '../../passes/cancel-transposes.js';
import { deadCodeElimination } from '../../passes/dead-code.js';
import { sinkTransposes } from '../../passes/sink-transposes.js';
import { convert } from '../../src/api.js';
import { runPass } from '../../src/pipeline/driver.js';
import { ModelBuilder } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { interpret } from '../../src/interp/interpreter.js';
import { checkAgainstOrt, opsOf, randomF32, runOrt } from './ort.js';

/**
 * ONNX Split over its opset variants (2: `split` attribute (firmflow reads opset 6 and later), 11: negative axis, 13: `split` as an optional constant
 * input, 18: `num_outputs` with a smaller last part) against onnxruntime-node; data movement only, so exact.
 */

const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
const i64 = (v: number[]) => BigInt64Array.from(v, BigInt);

/** A model x -> Split -> y0..yk (outputs declared without shapes, so onnxruntime and firmflow infer them). */
function splitModel(opset: number, shape: (number | string)[], k: number, attrs: Record<string, number | number[]> = {}, splitInput?: number[]): ModelBuilder {
  const m = new ModelBuilder({ opsets: { '': opset } });
  m.input('x', 'float32', shape);
  const outs = Array.from({ length: k }, (_, i) => `y${i}`);
  for (const o of outs) m.output(o, 'float32');
  const ins = ['x'];
  if (splitInput) {
    m.initializer('split', i64(splitInput), [splitInput.length]);
    ins.push('split');
  }
  m.node('Split', ins, outs, attrs, { name: 'sp' });
  return m;
}

/** The attributes of the single IR Split node. */
function splitNode(g: ReturnType<typeof loadModel>) {
  const nodes = [...g.nodes.values()].filter((x) => x.op === 'Split');
  expect(nodes.length).toBe(1);
  return nodes[0].attrs;
}

describe('Split against onnxruntime', () => {
  const cases: { title: string; opset: number; shape: number[]; k: number; attrs?: Record<string, number | number[]>; input?: number[]; axis: number; sizes: number[] }[] = [
    { title: 'opset 6 (the opset 2 definition: split attribute) along axis 1', opset: 6, shape: [2, 6, 3], k: 3, attrs: { axis: 1, split: [2, 3, 1] }, axis: 1, sizes: [2, 3, 1] },
    { title: 'opset 7, equal parts (axis defaults to 0)', opset: 7, shape: [4, 3], k: 2, axis: 0, sizes: [2, 2] },
    { title: 'opset 11, negative axis and a split attribute', opset: 11, shape: [2, 3, 7], k: 2, attrs: { axis: -1, split: [5, 2] }, axis: 2, sizes: [5, 2] },
    { title: 'opset 11, equal parts along axis -2', opset: 11, shape: [2, 6, 5], k: 3, attrs: { axis: -2 }, axis: 1, sizes: [2, 2, 2] },
    { title: 'opset 13, split as a constant input', opset: 13, shape: [3, 8], k: 3, attrs: { axis: 1 }, input: [1, 4, 3], axis: 1, sizes: [1, 4, 3] },
    { title: 'opset 13, no split: equal parts', opset: 13, shape: [3, 8], k: 4, attrs: { axis: -1 }, axis: 1, sizes: [2, 2, 2, 2] },
    { title: 'opset 13, a zero-sized part', opset: 13, shape: [2, 5], k: 3, attrs: { axis: 1 }, input: [2, 0, 3], axis: 1, sizes: [2, 0, 3] },
    { title: 'opset 18, num_outputs with an uneven last part (7 = 3 + 3 + 1)', opset: 18, shape: [2, 7, 2], k: 3, attrs: { axis: 1, num_outputs: 3 }, axis: 1, sizes: [3, 3, 1] },
    { title: 'opset 18, num_outputs dividing evenly', opset: 18, shape: [6, 4], k: 3, attrs: { num_outputs: 3 }, axis: 0, sizes: [2, 2, 2] },
    { title: 'opset 18, num_outputs 4 of 10 (3 + 3 + 3 + 1)', opset: 18, shape: [10], k: 4, attrs: { num_outputs: 4 }, axis: 0, sizes: [3, 3, 3, 1] },
    { title: 'opset 18, split input', opset: 18, shape: [2, 9], k: 2, attrs: { axis: -1 }, input: [4, 5], axis: 1, sizes: [4, 5] },
  ];
  for (const c of cases) {
    it(c.title, async () => {
      const m = splitModel(c.opset, c.shape, c.k, c.attrs, c.input);
      const g = await checkAgainstOrt(m, { x: { shape: c.shape, data: randomF32(n(c.shape), 3) } }, { exact: true });
      const a = splitNode(g);
      expect(a['axis']).toBe(c.axis);
      expect(a['split']).toEqual(c.sizes);
      // Output shapes: the axis entry is the part's size, the rest is the input's.
      c.sizes.forEach((s, i) => {
        const want = [...c.shape];
        want[c.axis] = s;
        expect(g.tensor(g.outputs[i].tensor).shape).toEqual(want);
      });
    });
  }

  it('keeps a symbolic batch when splitting another axis, and runs with any batch', async () => {
    const m = splitModel(13, ['N', 6], 2, { axis: 1 }, [2, 4]);
    const g = loadModel(m.toBytes());
    expect(g.tensor(g.outputs[0].tensor).shape).toEqual(['N', 2]);
    expect(g.tensor(g.outputs[1].tensor).shape).toEqual(['N', 4]);
    for (const batch of [1, 5]) {
      const x = randomF32(batch * 6, batch);
      const ref = await runOrt(m.toBytes(), { x: { shape: [batch, 6], data: x } });
      const got = interpret(g, { x: { shape: [batch, 6], data: Array.from(x) } }, { float32: true });
      for (const k of ['y0', 'y1']) {
        expect(got[k].shape).toEqual(ref[k].shape);
        expect(Array.from(got[k].data)).toEqual(ref[k].data);
      }
    }
  });

  it('a Split of a constant folds to constants; a one-part split of the dynamic batch is the input itself', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 4]).output('y', 'float32').output('z', 'float32');
    m.initializer('c', Float32Array.from([1, 2, 3, 4, 5, 6]), [6]);
    m.initializer('sz', i64([2, 4]), [2]);
    m.node('Split', ['c', 'sz'], ['c0', 'c1'], {}, { name: 'const_split' });
    m.node('Add', ['x', 'c1'], ['y']);
    m.node('Split', ['x'], ['z'], { axis: 0 }, { name: 'whole' });
    const g = loadModel(m.toBytes());
    expect(opsOf(g)).toEqual(['Add']);
    const add = [...g.nodes.values()][0];
    expect(Array.from(g.tensor(add.inputs[1]).data as Float32Array)).toEqual([3, 4, 5, 6]);
    expect(g.outputs[1].tensor).toBe(g.inputs[0].tensor);
  });

  it('a one-part split is the input itself (and its size is still checked)', async () => {
    const g = await checkAgainstOrt(splitModel(13, [2, 5], 1, { axis: 1 }, [5]), { x: { shape: [2, 5], data: randomF32(10, 2) } }, { exact: true });
    expect(opsOf(g)).toEqual([]);
    expect(g.outputs[0].tensor).toBe(g.inputs[0].tensor);
    expect(() => loadModel(splitModel(13, [2, 5], 1, { axis: 1 }, [4]).toBytes())).toThrow(/'sp' \(Split\).*adds up to 4/);
  });
  it('outputs read by nothing stay defined; the used ones are exact', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', [2, 6]).output('y', 'float32');
    m.node('Split', ['x'], ['a', 'b', 'c'], { axis: 1 }, { name: 'sp' });
    m.node('Sub', ['c', 'a'], ['y']);
    const g = await checkAgainstOrt(m, { x: { shape: [2, 6], data: randomF32(12, 9) } }, { exact: true });
    expect(opsOf(g)).toEqual(['Split', 'Sub']);
  });
});

describe('Split errors name the node', () => {
  const load = (m: ModelBuilder) => () => loadModel(m.toBytes());

  it('a split input computed at run time', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', [2, 6]).input('s', 'int64', [2]).output('y0', 'float32').output('y1', 'float32');
    m.node('Split', ['x', 's'], ['y0', 'y1'], { axis: 1 }, { name: 'sp' });
    expect(load(m)).toThrow(/'sp' \(Split\).*split \('s'\) must be a constant/);
  });
  it('sizes that do not add up to the axis', () => {
    expect(load(splitModel(13, [2, 6], 2, { axis: 1 }, [2, 3]))).toThrow(/'sp' \(Split\).*split \[2, 3\] adds up to 5, but axis 1 of \[2, 6\] has 6 entries/);
    expect(load(splitModel(11, [2, 6], 2, { axis: 1, split: [4, 4] }))).toThrow(/'sp' \(Split\).*adds up to 8/);
  });
  it('a size list that does not match the outputs', () => {
    expect(load(splitModel(13, [2, 6], 2, { axis: 1 }, [2, 2, 2]))).toThrow(/'sp' \(Split\).*3 size\(s\) for 2 output\(s\)/);
  });
  it('num_outputs and split together, num_outputs and the outputs disagreeing, or too many parts', () => {
    expect(load(splitModel(18, [2, 6], 2, { axis: 1, num_outputs: 2 }, [3, 3]))).toThrow(/'sp' \(Split\).*both 'num_outputs' and 'split'/);
    expect(load(splitModel(18, [2, 6], 2, { axis: 1, num_outputs: 3 }))).toThrow(/'sp' \(Split\).*num_outputs is 3, but the node has 2 output/);
    expect(load(splitModel(18, [2, 3], 4, { axis: 1, num_outputs: 4 }))).toThrow(/'sp' \(Split\).*num_outputs 4 is more than the 3 entries/);
    // ceil(4/3) = 2: 2 + 2 leave nothing for the third part (onnxruntime rejects this too).
    expect(load(splitModel(18, [4], 3, { num_outputs: 3 }))).toThrow(/'sp' \(Split\).*num_outputs 3 does not fit axis 0 of size 4: parts of ceil\(4\/3\) = 2 leave 0 for the last/);
  });
  it('attributes and inputs of the wrong opset', () => {
    expect(load(splitModel(13, [2, 6], 2, { axis: 1, split: [3, 3] }))).toThrow(/'sp' \(Split\).*'split' became an input in opset 13/);
    expect(load(splitModel(11, [2, 6], 2, { axis: 1 }, [3, 3]))).toThrow(/'sp' \(Split\).*input 'split' exists only in opset 1 and from opset 13/);
    expect(load(splitModel(17, [2, 6], 2, { axis: 1, num_outputs: 2 }))).toThrow(/'sp' \(Split\).*'num_outputs' exists from opset 18/);
  });
  it('equal parts that do not divide the axis, and an axis out of range', () => {
    expect(load(splitModel(13, [2, 7], 2, { axis: 1 }))).toThrow(/'sp' \(Split\).*7 entries\) does not split into 2 equal parts/);
    expect(load(splitModel(13, [2, 7], 2, { axis: 2 }))).toThrow(/'sp' \(Split\).*axis/);
  });
  it('parts of the dynamic batch axis', () => {
    expect(load(splitModel(13, ['N', 6], 2, { axis: 0 }))).toThrow(/'sp' \(Split\).*dynamic axis 0 \('N'\)/);
  });
});

describe('Split in the FPGA (Vitis/Vivado) backends', () => {
  it('has no HLS kernel: refused by node name with the other unsupported nodes, before anything is written', async () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 8]).output('y', 'float32', ['N', 4]);
    m.initializer('w', randomF32(16, 4), [4, 4]);
    m.node('Split', ['x'], ['a', 'b'], { axis: 1 }, { name: 'halves' });
    m.node('Add', ['a', 'b'], ['s']);
    m.node('MatMul', ['s', 'w'], ['y']);
    const tmp = mkdtempSync(join(tmpdir(), 'ff-split-vitis-'));
    try {
      for (const backend of ['Vitis', 'Vivado']) {
        const out = join(tmp, backend);
        const err = await convert(m.toBytes(), { backend, outputDir: out }).then(async (p) => { await p.write(out); return undefined; }, (e: Error) => e);
        expect(err?.message).toMatch(/nothing was written/);
        expect(err?.message).toMatch(/node 'halves' \(Split\): no HLS kernel implements op Split/);
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('Split in the shared layout passes (sink-transposes, cancel-transposes)', () => {
  /** x -> Transpose -> Split (axis 1) -> per part `tail` -> outputs; the passes run to a fixed point. */
  async function layout(tail: 'transpose' | 'elementwise'): Promise<string[]> {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', [2, 3, 6]).output('y0', 'float32').output('y1', 'float32');
    m.initializer('sz', i64([2, 4]), [2]);
    m.node('Transpose', ['x'], ['t'], { perm: [0, 2, 1] });
    m.node('Split', ['t', 'sz'], ['a', 'b'], { axis: 1 }, { name: 'sp' });
    if (tail === 'transpose') {
      // Channels-first parts going back to channels-last (what channels-last conversion leaves around a Split).
      m.node('Transpose', ['a'], ['a_t'], { perm: [0, 2, 1] });
      m.node('Transpose', ['b'], ['b_t'], { perm: [0, 2, 1] });
      m.node('Relu', ['a_t'], ['y0']);
      m.node('Neg', ['b_t'], ['y1']);
    } else {
      m.node('Relu', ['a'], ['y0']);
      m.node('Neg', ['b'], ['y1']);
    }
    const bytes = m.toBytes();
    const g = loadModel(bytes);
    const x = randomF32(36, 6);
    const c = { options: {}, log: () => {} };
    for (let round = 0; round < 6; round++) for (const p of [sinkTransposes, cancelTransposes, deadCodeElimination]) runPass(g, p, c);
    g.verify();
    const got = interpret(g, { x: { shape: [2, 3, 6], data: Array.from(x) } }, { float32: true });
    const ref = await runOrt(bytes, { x: { shape: [2, 3, 6], data: x } });
    for (const k of ['y0', 'y1']) {
      expect(got[k].shape).toEqual(ref[k].shape);
      expect(Array.from(got[k].data)).toEqual(ref[k].data);
    }
    if (tail === 'transpose') expect(splitNode(g)).toMatchObject({ axis: 2, split: [2, 4] });
    return opsOf(g);
  }
  it('a Transpose moves through a Split whose parts each go into a Transpose, and the pairs cancel', async () => {
    expect(await layout('transpose')).toEqual(['Neg', 'Relu', 'Split']);
  });
  it('otherwise the Transpose stops at the Split (moving it would multiply it)', async () => {
    expect(await layout('elementwise')).toEqual(['Neg', 'Relu', 'Split', 'Transpose']);
  });
});
