// ONNX Split on the AIE backend: every part is a region (a block of columns or rows) of its input's memory-tile
// buffer. The emulator equals onnxruntime bit for bit (power-of-two scales), the generated project compiles with g++
// against firmflow's host model and equals the emulator bit for bit, and Splits the AIE cannot view are refused by
// node name before anything is written.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convert, type Graph, sizeOf } from 'firmflow';
import { compileHost, openProject } from '../src/index.js';
import type { AieLayer } from '../src/lowered.js';
import { CLI, hasCxx, scratchDir } from './harness.js';
import { QdqModelBuilder } from './qdq-builder.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-split-');

/**
 * Columns: x -> Dense(16 -> 16, ReLU) -> h -> Split along the last axis into 6 + 10 columns (uneven: the first
 * part's tiles are padded) -> each part quantized again at the same scale -> Dense(6 -> 5) = y1, Dense(10 -> 4) = y2.
 */
function splitColumns(): Uint8Array {
  const m = new QdqModelBuilder(13, 11);
  m.input('x', 'float32', ['N', 16]).output('y1', 'float32', ['N', 5]).output('y2', 'float32', ['N', 4]);
  const x = m.qdq('x', 2 ** -4, 'x_q');
  const h = m.dense(x, 'd0', 16, 16, true, 'h');
  m.node('Split', [h, m.int64s('sp_sizes', [6, 10])], ['pa', 'pb'], { axis: -1 }, { name: 'split_cols' });
  const a = m.qdq('pa', 2 ** -4, 'pa_q');
  const b = m.qdq('pb', 2 ** -4, 'pb_q');
  m.dense(a, 'd1', 6, 5, false, 'y1');
  m.dense(b, 'd2', 10, 4, false, 'y2');
  return m.toBytes();
}

/**
 * Views at the ports (opset 18): the graph input is split by num_outputs = 3 (24 = 8 + 8 + 8) into three Dense layers;
 * the middle one's output is split again into 4 + 12 columns, both of them graph outputs.
 */
function splitInput(): Uint8Array {
  const m = new QdqModelBuilder(18, 5);
  m.input('x', 'float32', ['N', 24]).output('y1', 'float32', ['N', 8]).output('lo', 'float32', ['N', 4]).output('hi', 'float32', ['N', 12]).output('y3', 'float32', ['N', 4]);
  const x = m.qdq('x', 2 ** -4, 'x_q');
  m.node('Split', [x], ['p0', 'p1', 'p2'], { axis: 1, num_outputs: 3 }, { name: 'split_in' });
  m.dense('p0', 'd1', 8, 8, true, 'y1');
  const g = m.dense('p1', 'd2', 8, 16, true, 'g');
  m.node('Split', [g, m.int64s('out_sizes', [4, 12])], ['lo', 'hi'], { axis: -1 }, { name: 'split_out' });
  m.dense('p2', 'd3', 8, 4, false, 'y3');
  return m.toBytes();
}

const ROWS = 8, COLS = 16;

/**
 * Rows (one sample per graph iteration): x [N, 8, 16] -> LayerNorm-free projection Dense(16 -> 16) -> h -> Split along
 * axis 1 into rows 0..3 and 4..7 -> scores = Dense(top) x Transpose(bottom) (a MatMul of two runtime operands) = s,
 * and top + bottom (an Add of two runtime operands) = t.
 */
function splitRows(): Uint8Array {
  const m = new QdqModelBuilder(13, 21);
  m.input('x', 'float32', ['N', ROWS, COLS]).output('s', 'float32', ['N', 4, 4]).output('t', 'float32', ['N', 4, COLS]);
  const x = m.qdq('x', 2 ** -4, 'x_q');
  const h = m.dense(x, 'd0', COLS, COLS, false, 'h');
  m.node('Split', [h, m.int64s('rows', [4, 4])], ['top', 'bottom'], { axis: 1 }, { name: 'split_rows' });
  const q = m.dense('top', 'dq', COLS, COLS, false, 'q');
  m.node('Transpose', ['bottom'], ['bt'], { perm: [0, 2, 1] });
  const bt = m.qdq('bt', 2 ** -4, 'bt_q');
  m.node('MatMul', [q, bt], ['s_mm']);
  m.qdq('s_mm', 2 ** -3, 's');
  m.node('Add', ['top', 'bottom'], ['t_add']);
  m.qdq('t_add', 2 ** -4, 't');
  return m.toBytes();
}

type Emu = Record<string, { shape: number[]; data: ArrayLike<number>; codes: ArrayLike<number> }>;
type Emulate = (i: Record<string, { shape: number[]; data: ArrayLike<number> }>) => Emu;

/** Inputs on the 2^-4 grid within int8 range (what the quantizer keeps exactly). */
function inputs(shape: number[], seed: number): Float32Array {
  const r = lcg(seed);
  const n = sizeOf(shape);
  return Float32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * 100) / 16);
}

/** The emulator against onnxruntime: every output's codes are the reference's values on its grid, bit for bit. */
async function emulatorEqualsOrt(model: Uint8Array, project: Record<string, unknown>, shape: number[], grids: Record<string, number>): Promise<void> {
  const x = inputs(shape, 99);
  const out = (project['emulate'] as Emulate)({ x: { shape, data: Array.from(x) } });
  const ref = await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', x, shape) });
  expect(Object.keys(out).sort()).toEqual(Object.keys(grids).sort());
  for (const [k, frac] of Object.entries(grids)) {
    const want = ref[k].data as Float32Array;
    expect(out[k].shape, k).toEqual([...ref[k].dims]);
    expect(Array.from(out[k].data, (v) => Math.fround(v)), k).toEqual(Array.from(want));
    expect(Array.from(out[k].codes), k).toEqual(Array.from(want, (v) => Math.round(v * 2 ** frac)));
    // Not a degenerate output (all zeros or saturated).
    expect(new Set(Array.from(out[k].codes)).size, k).toBeGreaterThan(4);
  }
}

/** Writes the project, builds it with g++ (host model) and checks host == emulator and the golden files. */
async function hostEqualsEmulator(project: { write(dir: string): Promise<unknown> }, name: string, sampleShape: number[], samples: number): Promise<string> {
  const dir = join(tmp, name);
  await project.write(dir);
  const opened = await openProject(dir);
  const b = compileHost(dir);
  expect(b.warnings).toBe('');
  const manifest = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8'));
  // The written PLIO inputs reproduce every written golden output (what `make x86sim` compares).
  const inPort = manifest.inputs[0];
  const per = sampleShape.reduce((a, x) => a * x, 1);
  const nGolden = manifest.rowsPerIteration * manifest.dataIterations;
  const codesIn = readFileSync(join(dir, inPort.file), 'utf8').trim().split(/\s+/).map(Number);
  const golden = (await opened.predict({ [inPort.name]: { shape: [nGolden, ...sampleShape], data: codesIn.slice(0, nGolden * per) } }, { codes: true })) as unknown as Emu;
  expect(manifest.outputs.length).toBeGreaterThan(1);
  for (const o of manifest.outputs) {
    const want = readFileSync(join(dir, `data/golden/${o.plio}.txt`), 'utf8').trim().split(/\s+/).map(Number);
    const got = Array.from(golden[o.name].codes);
    expect(got.length, o.name).toBeGreaterThan(0);
    expect(got, o.name).toEqual(want.slice(0, got.length));
  }
  // Real-valued inputs, a sample count that is not a whole number of iterations: host run == emulator, every output.
  const r = lcg(77);
  const x = Float32Array.from({ length: samples * per }, () => (r() * 2 - 1) * 3);
  const feed = { [inPort.name]: { shape: [samples, ...sampleShape], data: x } };
  const host = (await opened.predict(feed, {})) as unknown as Emu;
  const emu = (await opened.emulate!(feed, {})) as unknown as Emu;
  expect(Object.keys(host).sort()).toEqual(Object.keys(emu).sort());
  for (const k of Object.keys(emu)) {
    expect(host[k].shape, k).toEqual(emu[k].shape);
    expect(Array.from(host[k].codes), k).toEqual(Array.from(emu[k].codes));
    expect(Array.from(host[k].data), k).toEqual(Array.from(emu[k].data));
  }
  return dir;
}

function splitLayer(project: Record<string, unknown>, node: string): AieLayer {
  const g = project['graph'] as Graph;
  const n = g.node(node);
  expect(n.op).toBe('Split');
  return n.meta['aie'] as AieLayer;
}

describe('AIE Split along the last axis (two Dense layers)', () => {
  const model = splitColumns();
  it('is a view whose parts are column regions; the emulator equals onnxruntime bit for bit', async () => {
    const project = (await convert(model, { backend: 'AIE' })) as unknown as Record<string, unknown>;
    const l = splitLayer(project, 'split_cols');
    expect(l.kernel).toBe('view');
    expect(l.outputs).toEqual(['pa', 'pb']);
    expect(l.attrs).toMatchObject({ axis: 1, split: [6, 10] });
    // The memory plan keeps one buffer for the Split's input (the fused Dense's output): the parts have none.
    const meta = (project['graph'] as Graph).meta['aie'] as { sharedBuffers: { tensor: string }[] };
    const tensors = meta.sharedBuffers.map((s) => s.tensor);
    expect(tensors).toContain(l.inputs[0]);
    expect(tensors).not.toContain('pa');
    expect(tensors).not.toContain('pb');
    await emulatorEqualsOrt(model, project, [13, 16], { y1: 4, y2: 4 });
  });
  it.skipIf(!hasCxx)('compiles with the host model and equals the emulator bit for bit', async () => {
    const project = await convert(model, { backend: 'AIE', projectName: 'split_cols' });
    const dir = await hostEqualsEmulator(project, 'split_cols', [16], 21);
    // The second Dense reads h's memory-tile buffer from column 6 on.
    const graphH = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    expect(graphH).toMatch(/offset\s*=\s*\{6, 0, 0\}/);
  });
});

describe('AIE Split of the graph input into equal parts (opset 18 num_outputs), and parts that are graph outputs', () => {
  const model = splitInput();
  it('equals onnxruntime in the emulator, and the host run equals the emulator', async () => {
    const project = await convert(model, { backend: 'AIE', projectName: 'split_in' });
    const l = splitLayer(project as unknown as Record<string, unknown>, 'split_in');
    expect(l.attrs).toMatchObject({ axis: 1, split: [8, 8, 8] });
    expect(splitLayer(project as unknown as Record<string, unknown>, 'split_out').attrs).toMatchObject({ axis: 1, split: [4, 12] });
    await emulatorEqualsOrt(model, project as unknown as Record<string, unknown>, [11, 24], { y1: 4, lo: 4, hi: 4, y3: 4 });
    if (hasCxx) await hostEqualsEmulator(project, 'split_in', [24], 19);
  });
});

describe('AIE Split along rows (one sample per iteration) into a MatMul and an Add', () => {
  const model = splitRows();
  it('equals onnxruntime in the emulator, and the host run equals the emulator', async () => {
    const project = await convert(model, { backend: 'AIE', projectName: 'split_rows', config: { aie: { batch: 1 } } });
    const l = splitLayer(project as unknown as Record<string, unknown>, 'split_rows');
    expect(l.kernel).toBe('view');
    expect(l.attrs).toMatchObject({ axis: 1, split: [4, 4] });
    await emulatorEqualsOrt(model, project as unknown as Record<string, unknown>, [5, ROWS, COLS], { s: 3, t: 4 });
    if (hasCxx) await hostEqualsEmulator(project, 'split_rows', [ROWS, COLS], 3);
  });
});

describe('AIE refuses Splits it cannot view, by node name, before writing', () => {
  it('rows of several samples per iteration interleave: refused, and the CLI writes no output folder', async () => {
    const file = join(tmp, 'rows.onnx');
    writeFileSync(file, splitRows());
    // aie.batch 8 (the default): the parts of axis 1 of [8, 8, 16] interleave sample by sample.
    await expect(convert(file, { backend: 'AIE' })).rejects.toThrow(/node 'split_rows' \(Split\): splits axis 1 of \[8,8,16\]; its parts interleave in memory/);
    const out = join(tmp, 'rows_out');
    const r = spawnSync(process.execPath, [CLI, 'convert', file, '-b', 'AIE', '-o', out], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/node 'split_rows' \(Split\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
  it('a part of the graph input that is itself a graph output (no kernel to feed the output port)', async () => {
    const m = new QdqModelBuilder(13, 4);
    m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 4]).output('rest', 'float32', ['N', 8]);
    const x = m.qdq('x', 2 ** -4, 'x_q');
    m.node('Split', [x], ['first', 'rest'], { axis: 1 }, { name: 'passthrough' });
    m.dense('first', 'd', 8, 4, false, 'y');
    await expect(convert(m.toBytes(), { backend: 'AIE' })).rejects.toThrow(/node 'passthrough' \(Split\): output 'rest' is a graph output and a region of graph input/);
  });
  it('a middle axis, and a part quantized to another scale (a requantization), are refused together', async () => {
    const m = new QdqModelBuilder(13, 3);
    m.input('x', 'float32', ['N', 4, 6]).output('y', 'float32', ['N', 2, 5]).output('z', 'float32', ['N', 4, 2]);
    const x = m.qdq('x', 2 ** -4, 'x_q');
    m.node('Split', [x], ['u', 'v'], { axis: 1 }, { name: 'mid_axis' });
    m.dense('u', 'du', 6, 5, false, 'y');
    m.node('Split', [x], ['c1', 'c2', 'c3'], { axis: 2 }, { name: 'requant' });
    const c1 = m.qdq('c1', 2 ** -3, 'c1_q');
    m.node('Add', [c1, 'c2'], ['z_add']);
    m.qdq('z_add', 2 ** -4, 'z');
    const err = await convert(m.toBytes(), { backend: 'AIE' }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/cannot implement \d+ nodes/);
    expect(err?.message).toMatch(/node 'mid_axis' \(Split\): splits axis 1 of \[8,4,6\]; its parts interleave/);
    expect(err?.message).toMatch(/node 'requant' \(Split\): output 'c1' is quantized to a different type than its input/);
  });
});
