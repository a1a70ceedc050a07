// bf16 LayerNormalization (firmflow::LayerNormBf16, emulate.ts layerNormRowBf16): a float transformer-style block
// (LayerNorm -> Dense -> ReLU -> Dense) in aie.mode 'auto' (bf16 for a float model). The emulator follows the
// kernel's fp32 steps exactly, so the host run (g++ against the host model) equals it bit for bit, whole and split
// over casNum 2 and 3 kernels; against onnxruntime it is within the trace's proven bound (derived in src/trace.ts,
// layerNormBf16Bound, and the bf16 Dense bounds) plus onnxruntime's own fp32 rounding; constant rows give
// bf16(beta) exactly, as ONNX's (x - mean) / sqrt(0 + epsilon) = 0 does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convert, loadModel, type Graph } from 'firmflow';
import { ModelBuilder } from 'firmflow';
import { compileHost, openProject } from '../src/index.js';
import { bf16Round, emulateGraph, layerNormBf16Constants, layerNormRowBf16, type EmuValue } from '../src/emulate.js';
import type { AieGraphMeta, AieLayer } from '../src/lowered.js';
import { traceGraph } from '../src/trace.js';
import { hasCxx, referenceOf, scratchDir } from './harness.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-lnbf16-');
const SEQ = 8, DIM = 16, HID = 32;
const SAMPLES = 11; // 88 rows: not a whole number of iterations, uneven over 3 kernels

type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;
type Project = Awaited<ReturnType<typeof convert>> & { graph: Graph; emulate: (i: unknown, o?: unknown) => Out };

function block(): Uint8Array {
  const r = lcg(2024);
  const u = (n: number, lo: number, hi: number): Float32Array => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
  const m = new ModelBuilder({ opsets: { '': 17 } });
  m.input('x', 'float32', ['N', SEQ, DIM]).output('y', 'float32', ['N', SEQ, DIM]);
  m.initializer('gamma', u(DIM, 0.5, 1.5), [DIM]).initializer('beta', u(DIM, -0.5, 0.5), [DIM]);
  m.initializer('w1', u(DIM * HID, -0.4, 0.4), [DIM, HID]).initializer('b1', u(HID, -0.2, 0.2), [HID]);
  m.initializer('w2', u(HID * DIM, -0.3, 0.3), [HID, DIM]).initializer('b2', u(DIM, -0.2, 0.2), [DIM]);
  m.node('LayerNormalization', ['x', 'gamma', 'beta'], ['ln'], { axis: -1, epsilon: 1e-5 });
  m.node('MatMul', ['ln', 'w1'], ['mm1']).node('Add', ['mm1', 'b1'], ['a1']).node('Relu', ['a1'], ['h']);
  m.node('MatMul', ['h', 'w2'], ['mm2']).node('Add', ['mm2', 'b2'], ['y']);
  return m.toBytes();
}

/** Inputs in (-3, 3) with rows of very different scales, and three constant rows (variance 0). */
function inputs(samples: number, seed: number): Float32Array {
  const r = lcg(seed);
  const x = new Float32Array(samples * SEQ * DIM);
  for (let row = 0; row < samples * SEQ; row++) {
    const scale = [3, 0.05, 1, 40][row % 4];
    for (let j = 0; j < DIM; j++) x[row * DIM + j] = (r() * 2 - 1) * scale + (row % 3) * 0.7;
  }
  for (const [row, v] of [[2, 1.25], [13, -0.7], [40, 0]] as const) if (row < samples * SEQ) x.fill(v, row * DIM, (row + 1) * DIM);
  return x;
}
const CONSTANT_ROWS = [2, 13, 40];

const MODEL = block();

/** The LayerNorm alone (gamma of both signs, epsilon 1e-3). */
function lnOnly(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  const r = lcg(99);
  m.input('x', 'float32', ['N', SEQ, DIM]).output('y', 'float32', ['N', SEQ, DIM]);
  m.initializer('gamma', Float32Array.from({ length: DIM }, () => 2 * r() - 1), [DIM]).initializer('beta', Float32Array.from({ length: DIM }, () => r() - 0.5), [DIM]);
  m.node('LayerNormalization', ['x', 'gamma', 'beta'], ['y'], { axis: -1, epsilon: 1e-3 });
  return m.toBytes();
}
const LN_ONLY = lnOnly();


const lnLayer = (p: Project): AieLayer => p.graph.topoOrder().find((n) => n.op === 'LayerNormalization')!.meta['aie'] as AieLayer;

describe('bf16 LayerNorm row arithmetic', () => {
  const layer = { attrs: { epsilon: 1e-5 }, params: { gamma: [1, 2, 0.5, -1], beta: [0.25, -0.5, 0, 1] } } as unknown as AieLayer;
  const c = layerNormBf16Constants(layer, 4);
  it('normalizes a row to zero mean and unit variance before gamma and beta (hand-checked values)', () => {
    // x = 1, 2, 3, 4: mean 2.5, variance 1.25, n = -1.3416, -0.4472, 0.4472, 1.3416 (eps 1e-5 changes the 6th digit).
    const o = new Float32Array(4);
    layerNormRowBf16([1, 2, 3, 4], 0, c, o, 0);
    const n = [1, 2, 3, 4].map((v) => (v - 2.5) / Math.sqrt(1.25 + 1e-5));
    const want = n.map((v, j) => v * layer.params!.gamma![j] + layer.params!.beta![j]);
    for (let j = 0; j < 4; j++) expect(Math.abs(o[j] - want[j])).toBeLessThanOrEqual(2 ** -8 * Math.abs(want[j]));
    expect(Array.from(o)).toEqual([-1.09375, -1.390625, 0.2236328125, -0.341796875]);
  });
  it('a constant row gives bf16(beta) exactly; with epsilon 0 it is NaN, as in ONNX', () => {
    const o = new Float32Array(4);
    layerNormRowBf16([3.25, 3.25, 3.25, 3.25], 0, c, o, 0);
    expect(Array.from(o)).toEqual([0.25, -0.5, 0, 1]);
    const z = layerNormBf16Constants({ ...layer, attrs: { epsilon: 0 } } as AieLayer, 4);
    layerNormRowBf16([3.25, 3.25, 3.25, 3.25], 0, z, o, 0);
    expect(Array.from(o).every(Number.isNaN)).toBe(true);
  });
});

describe('AIE bf16 LayerNorm -> Dense -> ReLU -> Dense (aie.mode auto on a float model)', () => {
  it('is lowered to bf16, equals onnxruntime within the trace bound, and the trace explains every layer', async () => {
    const p = (await convert(MODEL, { backend: 'AIE', projectName: 'ln_bf16' })) as Project;
    const ln = lnLayer(p);
    expect(ln.kernel).toBe('layernorm');
    expect(ln.dtype).toMatchObject({ a: 'bf16', out: 'bf16' });
    const x = inputs(SAMPLES, 31);
    const shape = [SAMPLES, SEQ, DIM];
    const emu = p.emulate({ x: { shape, data: x } }, {});
    const ref = (await (await ort.InferenceSession.create(MODEL)).run({ x: new ort.Tensor('float32', x, shape) }))['y'].data as Float32Array;
    expect(emu['y'].shape).toEqual(shape);

    const t = traceGraph(p.graph, { x: { shape, data: x } }, { reference: referenceOf(MODEL) });
    expect(t.firstUnexplained, t.text).toBeUndefined();
    const lnRow = t.layers.find((l) => l.op === 'LayerNormalization')!;
    expect(lnRow.type).toBe('bf16');
    expect(lnRow.maxAbsError).toBeGreaterThan(0);
    expect(lnRow.ratio).toBeLessThan(1);
    expect(t.layers.every((l) => l.samplesExceeding === 0)).toBe(true);

    // Tolerance, derived per sample: the trace's sound bound on y (bf16 input rounding propagated through the
    // LayerNorm and both Dense layers, plus every layer's own fp32/bf16 rounding; against the core's float64
    // interpreter) plus onnxruntime's own fp32 rounding, which a few hundred fp32 operations on values below 2^4
    // keep under 2^-12.
    expect(ortWithinBound(emu['y'].data, ref, boundsPerSample(p.graph, MODEL, x, 'y'))).toBeGreaterThan(0);
    // Constant rows: the LayerNorm output is bf16(beta) exactly.
    const tensors = new Map<string, EmuValue>();
    emulateGraph(p.graph, { x: { shape, data: x } }, { tensors });
    const lnOut = tensors.get(ln.outputs[0])!;
    const beta = layerNormBf16Constants(ln, DIM).beta;
    for (const row of CONSTANT_ROWS) expect(Array.from(lnOut.data.slice(row * DIM, (row + 1) * DIM))).toEqual(Array.from(beta, bf16Round));
  });

  it('the LayerNorm alone: onnxruntime within the per-sample bound, constant rows bf16(onnxruntime) exactly', async () => {
    const model = LN_ONLY;
    const p = (await convert(model, { backend: 'AIE', projectName: 'ln_only' })) as Project;
    expect(lnLayer(p).dtype.out).toBe('bf16');
    const x = inputs(SAMPLES, 7);
    const shape = [SAMPLES, SEQ, DIM];
    const emu = p.emulate({ x: { shape, data: x } }, {});
    const ref = (await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', x, shape) }))['y'].data as Float32Array;
    ortWithinBound(emu['y'].data, ref, boundsPerSample(p.graph, model, x, 'y'));
    for (const row of CONSTANT_ROWS) {
      const got = Array.from(emu['y'].data.slice(row * DIM, (row + 1) * DIM));
      expect(got).toEqual(Array.from(ref.slice(row * DIM, (row + 1) * DIM), bf16Round));
    }
    // Inputs already on the bf16 grid: only the kernel's own rounding is left, within 2^-8 relative of the output
    // plus the fp32 steps (measured: see the report in the helper's return value).
    const xb = Float32Array.from(x, bf16Round);
    const emuB = p.emulate({ x: { shape, data: xb } }, {});
    const refB = (await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', xb, shape) }))['y'].data as Float32Array;
    const own = ortWithinBound(emuB['y'].data, refB, boundsPerSample(p.graph, model, xb, 'y'));
    for (let i = 0; i < refB.length; i++) expect(Math.abs(emuB['y'].data[i] - refB[i]), `element ${i}`).toBeLessThanOrEqual(2 ** -8 * Math.abs(refB[i]) + 2 ** -10);
    expect(own).toBeGreaterThan(0);
  });

  it.skipIf(!hasCxx).each([
    { model: 'block', casNum: 1 }, { model: 'block', casNum: 2 }, { model: 'block', casNum: 3 }, { model: 'layernorm', casNum: 3 },
  ])('host run (g++) == emulator bit for bit: $model, LayerNorm over $casNum kernel(s)', async ({ model, casNum }) => {
    const name = `ln_bf16_${model}_${casNum}`;
    const bytes = model === 'block' ? MODEL : LN_ONLY;
    const p = (await convert(bytes, { backend: 'AIE', projectName: name, aie: { layers: { [lnName(bytes)]: { casNum } } } } as never)) as Project;
    const ln = lnLayer(p);
    expect(ln.tiling!.casNum).toBe(casNum);
    expect(ln.placement!.kernels.length).toBe(casNum);
    const meta = p.graph.meta['aie'] as AieGraphMeta;
    const perf = meta.perf!.layers.find((l) => l.node === lnName(bytes))!;
    expect(perf.kernels).toBe(casNum);
    const dir = join(tmp, name);
    await p.write(dir);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    expect(graph.match(/firmflow::LayerNormBf16</g)?.length ?? 0).toBeGreaterThan(0);
    const b = compileHost(dir);
    expect(b.warnings).toBe('');
    const opened = await openProject(dir);
    const x = inputs(SAMPLES, 31 + casNum);
    const feed = { x: { shape: [SAMPLES, SEQ, DIM], data: x } };
    const host = (await opened.predict!(feed as never, {})) as unknown as Out;
    const emu = p.emulate(feed, {});
    expect(host['y'].shape).toEqual(emu['y'].shape);
    expect(Array.from(host['y'].codes)).toEqual(Array.from(emu['y'].codes));
    expect(Array.from(host['y'].data)).toEqual(Array.from(emu['y'].data));
    // The reopened project's emulator (constants from firmflow.json) computes the same.
    const again = (await opened.emulate!(feed as never, {})) as unknown as Out;
    expect(Array.from(again['y'].data)).toEqual(Array.from(emu['y'].data));
    // The written golden outputs are what the host run computes from the written PLIO inputs.
    const manifest = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8'));
    const inPort = manifest.inputs[0], outPort = manifest.outputs[0];
    const nGolden = manifest.rowsPerIteration * manifest.dataIterations;
    const codesIn = readFileSync(join(dir, inPort.file), 'utf8').trim().split(/\s+/).map(Number);
    const golden = (await opened.predict!({ [inPort.name]: { shape: [nGolden, SEQ, DIM], data: codesIn.slice(0, nGolden * SEQ * DIM) } } as never, { codes: true })) as unknown as Out;
    const want = readFileSync(join(dir, `data/golden/${outPort.plio}.txt`), 'utf8').trim().split(/\s+/).map(Number);
    const got = Array.from(golden[outPort.name].codes);
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(want.slice(0, got.length));
  });
});

/** The trace's bound on tensor `name`, sample by sample (one trace per sample: its bound is that sample's). */
function boundsPerSample(graph: Graph, model: Uint8Array, x: Float32Array, name: string): number[] {
  const per = SEQ * DIM;
  const ref = referenceOf(model);
  return Array.from({ length: x.length / per }, (_, s) => {
    const t = traceGraph(graph, { x: { shape: [1, SEQ, DIM], data: x.slice(s * per, (s + 1) * per) } }, { reference: ref });
    expect(t.firstUnexplained, t.text).toBeUndefined();
    return t.layers.find((l) => l.tensor === name)!.bound;
  });
}

/** |emulator - onnxruntime| <= the sample's bound + 2^-12 for every element; returns the largest difference. */
function ortWithinBound(emu: ArrayLike<number>, ref: Float32Array, bounds: number[]): number {
  const per = ref.length / bounds.length;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(emu[i] - ref[i]);
    expect(d, `element ${i}`).toBeLessThanOrEqual(bounds[Math.floor(i / per)] + 2 ** -12);
    worst = Math.max(worst, d);
  }
  return worst;
}

/** The LayerNormalization node's name in the lowered graph (the builder names nodes after their op). */
function lnName(bytes: Uint8Array): string {
  const g = loadModel(bytes);
  return [...g.nodes.values()].find((n) => n.op === 'LayerNormalization')!.name;
}

