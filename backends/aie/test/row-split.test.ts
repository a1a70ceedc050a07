// Row-parallel layers (Add, ReLU, Softmax, LayerNorm, Transpose) written as the tiling plan splits them: casNum
// kernels of tileM rows (whole matrices for Transpose), connected through memory-tile buffers whose row regions
// carry each kernel's slice; the last kernel of an uneven split works on zero padding rows. For every layer the
// written graph has exactly the planned kernels, and host run (g++ against the host model) == emulator bit for bit
// == onnxruntime (exactly where the arithmetic is exact; integer Softmax/LayerNorm within their stated LSB).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type Graph, sizeOf } from 'firmflow';
import * as ort from 'onnxruntime-node';
import { compileHost, openProject } from '../src/index.js';
import type { AieGraphMeta, AieLayer } from '../src/lowered.js';
import { buildProjectModel } from '../src/writer/model.js';
import { constantWindows } from '../src/kernels/add.js';
import { JET_TAGGER, qdqConcatSlice, qdqMlp, qdqViewsAtPorts } from './host-models.js';
import { rowLayerModel, splitConcatModel, type RowKind } from './row-split-models.js';
import { transformerBlock } from './transformer-model.js';
import { hasCxx, scratchDir } from './harness.js';
import { lcg } from './random.js';

const MODELS = join(import.meta.dirname, '../../../../shared/models');
const hasShared = existsSync(join(MODELS, 'qdq_int8_mlp_pow2.onnx'));
const tmp = scratchDir('ff-aie-rowsplit-');

type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;
type Project = Awaited<ReturnType<typeof convert>> & { graph: Graph; emulate: (i: unknown, o?: unknown) => Out };

const SAMPLES = 11; // not a whole number of 8-row iterations

/** Inputs on their quantization grids (x: 2^-4, x2: 2^-5), so the models' input quantizers are exact. */
function feedsFor(kind: RowKind, sample: number[], seed = 5): Record<string, { shape: number[]; data: Float32Array }> {
  const r = lcg(seed);
  const n = SAMPLES * sizeOf(sample);
  const f: Record<string, { shape: number[]; data: Float32Array }> = { x: { shape: [SAMPLES, ...sample], data: Float32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * 110) / 16) } };
  if (kind === 'add') f['x2'] = { shape: [SAMPLES, ...sample], data: Float32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * 120) / 32) };
  return f;
}

const layerOf = (p: Project): AieLayer => p.graph.topoOrder().find((n) => n.name === 'layer')!.meta['aie'] as AieLayer;

/** Kernels of node `layer` declared in graph.h, and their location constraints. */
function writtenKernels(graph: string): { declared: number[]; located: number } {
  const declared = [...graph.matchAll(/^ {2}adf::kernel k_layer_c(\d+)_p0;$/gm)].map((m) => Number(m[1]));
  const located = [...graph.matchAll(/adf::location<adf::kernel>\(k_layer_c\d+_p0\) = adf::tile\(\d+, \d+\);/g)].length;
  return { declared, located };
}

interface Case {
  kind: RowKind;
  casNum: number;
  sample?: number[];
  /** Largest |onnxruntime - emulator| in output LSB (0: bit for bit). */
  lsb: number;
}

// Integer Softmax / LayerNorm against float: at most 1 output LSB (measured on these inputs: Softmax 0 of 880 values
// differ, LayerNorm 2 of 880 by 1 LSB of 2^-5); Add, ReLU and Transpose are exact (power-of-two scales).
const CASES: Case[] = (['add', 'addConst', 'addConstRow', 'relu', 'softmax', 'layernorm', 'transpose'] as RowKind[]).flatMap((kind) =>
  [2, 3].map((casNum) => ({ kind, casNum, lsb: kind === 'softmax' || kind === 'layernorm' ? 1 : 0 })),
);
const OUT_SCALE: Record<RowKind, number> = { add: 2 ** -4, addConst: 2 ** -5, addConstRow: 2 ** -5, relu: 2 ** -3, softmax: 2 ** -7, layernorm: 2 ** -5, transpose: 2 ** -4 };

async function checkSplit(c: Case, options: Record<string, unknown>, name: string): Promise<{ project: Project; graph: string; dir: string }> {
  const sample = c.sample ?? [5, 16];
  const model = rowLayerModel(c.kind, sample);
  const project = (await convert(model, { backend: 'AIE', projectName: name, ...options })) as Project;
  const layer = layerOf(project);
  const t = layer.tiling!;
  const meta = project.graph.meta['aie'] as AieGraphMeta;
  // The plan: casNum kernels, placed, and counted by the performance report.
  expect(layer.placement!.kernels.length).toBe(t.casNum);
  expect(meta.perf!.layers.find((l) => l.node === 'layer')!.kernels).toBe(t.casNum);
  const dir = join(tmp, name);
  await project.write(dir);
  const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
  const w = writtenKernels(graph);
  expect(w.declared).toEqual(Array.from({ length: t.casNum }, (_, i) => i));
  expect(w.located).toBe(t.casNum);
  // Every kernel's buffers hold tileM units.
  const perUnit = c.kind === 'transpose' ? sample[sample.length - 1] * sample[sample.length - 2] : sample[sample.length - 1];
  const dims = [...graph.matchAll(/adf::dimensions\(k_layer_c\d+_p0\.(?:in|out)\[\d\]\) = \{(\d+)\};/g)].map((m) => Number(m[1]));
  expect(dims.length).toBe(t.casNum * (c.kind === 'add' ? 3 : 2));
  expect(new Set(dims)).toEqual(new Set([t.tileM * perUnit]));

  if (hasCxx) {
    const b = compileHost(dir);
    expect(b.warnings).toBe('');
    const opened = await openProject(dir);
    const feeds = feedsFor(c.kind, sample);
    const host = (await opened.predict!(feeds as never, {})) as unknown as Out;
    const emu = project.emulate(feeds, {});
    expect(host['y'].shape).toEqual(emu['y'].shape);
    expect(Array.from(host['y'].codes)).toEqual(Array.from(emu['y'].codes));
    expect(Array.from(host['y'].data)).toEqual(Array.from(emu['y'].data));
    // The written golden data (the emulator's) is what the host model computes from the written PLIO inputs.
  }
  return { project, graph, dir };
}

describe('AIE writer: row-parallel layers split as planned', () => {
  it.each(CASES)('$kind over $casNum kernels: graph.h has the planned kernels; host == emulator == onnxruntime', async (c) => {
    const name = `${c.kind}_${c.casNum}`;
    const { project, graph } = await checkSplit(c, { aie: { layers: { layer: { casNum: c.casNum } } } }, name);
    const layer = layerOf(project);
    expect(layer.tiling!.casNum).toBe(c.casNum);
    const sample = c.sample ?? [5, 16];
    const units = c.kind === 'transpose' ? 8 : 8 * sizeOf(sample.slice(0, -1));
    const tileM = Math.ceil(units / c.casNum);
    expect(layer.tiling!.tileM).toBe(tileM);
    // Uneven splits: the last kernel reads zero padding past the real rows, and the buffers extend over it.
    if (tileM * c.casNum > units) {
      // Rows per unit and columns: Transpose units are [5 x 16] matrices in, [16 x 5] out.
      const [ir, or, oc] = c.kind === 'transpose' ? [5, 16, 5] : [1, 1, 16];
      const last = `\\.tiling_dimension = \\{16, ${tileM * ir}, 1\\}, \\.offset = \\{0, ${tileM * ir * (c.casNum - 1)}, 0\\}, \\.boundary_dimension = \\{16, ${units * ir}, 1\\}`;
      expect(graph).toMatch(new RegExp(`adf::read_access\\(mt_x\\.out\\[${c.casNum - 1}\\]\\) = adf::tiling\\(\\{\\.buffer_dimension = \\{16, ${tileM * c.casNum * ir}, 1\\}, ${last}\\}\\);`));
      expect(graph).toMatch(new RegExp(`mt_h = adf::shared_buffer<int8>::create\\(\\{${oc}, ${tileM * c.casNum * or}, 1\\}, ${c.casNum}, 1\\);`));
      // Writes carry no boundary (the S2MM DMA has no padding): the padding rows land in the buffer's own rows.
      expect(graph).not.toMatch(/adf::write_access\(mt_h[^;]*boundary_dimension/);
    }
    // The emulator is row-independent: the one-kernel plan emulates the same codes.
    const one = (await convert(rowLayerModel(c.kind, sample), { backend: 'AIE', aie: { layers: { layer: { casNum: 1 } } } })) as Project;
    const feeds = feedsFor(c.kind, sample);
    const emu = project.emulate(feeds, {});
    expect(Array.from(one.emulate(feeds, {})['y'].codes)).toEqual(Array.from(emu['y'].codes));
    // onnxruntime on the float model.
    const sess = await ort.InferenceSession.create(rowLayerModel(c.kind, sample));
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', v.data, v.shape);
    const ref = (await sess.run(ortFeeds))['y'].data as Float32Array;
    expect(emu['y'].data.length).toBe(ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - emu['y'].data[i]) / OUT_SCALE[c.kind]);
    expect(worst).toBeLessThanOrEqual(c.lsb);
    // Not a degenerate output: many distinct codes.
    expect(new Set(Array.from(emu['y'].codes)).size).toBeGreaterThan(10);
  });

  it('splits a ReLU whose one-kernel buffers exceed a bank (fewest-tiles objective) and refuses casNum 1 by name', async () => {
    const sample = [2304];
    const tiles = { objective: 'tiles', throughputTarget: 1000 };
    const { project } = await checkSplit({ kind: 'relu', casNum: 0, sample, lsb: 0 }, { aie: tiles }, 'relu_big');
    // 8 rows x 2304 int8 = 18432 bytes per buffer, more than a 16 KiB bank: two kernels of 4 rows.
    expect(layerOf(project).tiling!.casNum).toBe(2);
    expect(layerOf(project).tiling!.tileM).toBe(4);
    await expect(convert(rowLayerModel('relu', sample), { backend: 'AIE', aie: { ...tiles, layers: { layer: { casNum: 1 } } } })).rejects.toThrow(/layer 'layer'.*casNum 1 leaves buffers too large/);
  });

  it('Softmax and LayerNorm as the throughput objective plans them (14 kernels of 3 rows, 2 padding rows)', async () => {
    for (const kind of ['softmax', 'layernorm'] as const) {
      const { project } = await checkSplit({ kind, casNum: 0, lsb: 1 }, {}, `${kind}_auto`);
      expect(layerOf(project).tiling!.casNum).toBe(14);
      expect(layerOf(project).tiling!.tileM).toBe(3);
    }
  });
});

describe('AIE writer: split layers writing column regions of a Concat', () => {
  it('three and two kernels fill one buffer; padding rows stay past the real rows; host == emulator == onnxruntime', async () => {
    const model = splitConcatModel();
    const project = (await convert(model, { backend: 'AIE', projectName: 'split_concat', aie: { layers: { layer: { casNum: 3 }, layer2: { casNum: 2 } } } })) as Project;
    const dir = join(tmp, 'split_concat');
    await project.write(dir);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    // One buffer for y, [32 columns x 42 rows] (40 real + the 3-way split's 2 padding rows), written by 5 kernels.
    expect(graph).toMatch(/mt_y = adf::shared_buffer<int8>::create\(\{32, 42, 1\}, 5, 1\);/);
    const writes = [...graph.matchAll(/adf::write_access\(mt_y\.in\[\d+\]\) = adf::tiling\(\{\.buffer_dimension = \{32, 42, 1\}, \.tiling_dimension = \{16, (\d+), 1\}, \.offset = \{(\d+), (\d+), 0\}\}\);/g)].map((m) => m.slice(1).map(Number));
    expect(writes.sort((p, q) => p[1] - q[1] || p[2] - q[2])).toEqual([[14, 0, 0], [14, 0, 14], [14, 0, 28], [20, 16, 0], [20, 16, 20]]);
    // The output PLIO reads the real rows only.
    expect(graph).toMatch(/adf::read_access\(mt_y\.out\[0\]\) = adf::tiling\(\{\.buffer_dimension = \{32, 42, 1\}, \.tiling_dimension = \{32, 40, 1\}, \.offset = \{0, 0, 0\}\}\);/);
    const r = lcg(21);
    const x = Float32Array.from({ length: SAMPLES * 80 }, () => Math.round((r() * 2 - 1) * 110) / 16);
    const feeds = { x: { shape: [SAMPLES, 5, 16], data: x } };
    const emu = project.emulate(feeds, {});
    if (hasCxx) {
      const host = (await (await openProject(dir)).predict!(feeds as never, {})) as unknown as Out;
      expect(Array.from(host['y'].codes)).toEqual(Array.from(emu['y'].codes));
    }
    const ref = (await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', x, [SAMPLES, 5, 16]) }))['y'].data as Float32Array;
    expect(Array.from(emu['y'].codes)).toEqual(Array.from(ref, (v) => Math.round(v * 16)));
  });
});

describe('AIE writer: split layers writing row regions of a Concat', () => {
  it('refuses, naming the node, a split whose padding rows would overwrite the next region', async () => {
    // 5 rows over 2 kernels of 3: the second kernel's padding row is row 5, the first row of layer2's region.
    const project = (await convert(splitConcatModel(3, 'rows'), { backend: 'AIE', aie: { layers: { layer: { casNum: 2 } } } })) as Project;
    expect(() => buildProjectModel(project.graph, 'rows')).toThrow(/node 'layer' \(Relu\).*tensor 'y'.*overlap/);
    // Evenly split (5 rows over 5 kernels of 1) it writes only its own rows.
    const even = (await convert(splitConcatModel(3, 'rows'), { backend: 'AIE', aie: { layers: { layer: { casNum: 5 } } } })) as Project;
    const m = buildProjectModel(even.graph, 'rows');
    const y = m.shared.find((b) => b.name === 'mt_y')!;
    expect(y.dims).toEqual([16, 10, 1]);
    expect(y.writers.map((w) => w.access.offset[1]).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('AIE writer: the constant operand of a split Add', () => {
  const node = { name: 'add', op: 'Add' } as never;
  it('gives each kernel the broadcast constant from its own row offset, in whole vectors', () => {
    // A [5, 16] table over [8, 5, 16]; kernels of 14 rows (224 values) start at phases 0, 224 % 80 = 64, 448 % 80 = 48.
    const codes = Array.from({ length: 80 }, (_, i) => i - 40);
    const { bSize, windows } = constantWindows(node, codes, [5, 16], [8, 5, 16], 224, 3, 32);
    expect(bSize).toBe(160);
    expect(windows.map((w) => w[0])).toEqual([codes[0], codes[64], codes[48]]);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 224; i++) expect(windows[c][i % bSize]).toBe(codes[(c * 224 + i) % 80]);
    // A [16] row: one window serves every kernel.
    const row = constantWindows(node, codes.slice(0, 16), [16], [8, 5, 16], 320, 2, 32);
    expect(row.bSize).toBe(32);
    expect(row.windows[0]).toEqual(row.windows[1]);
    // A column broadcast ([5, 1]) and a kernel smaller than the period: the window covers the kernel.
    const col = constantWindows(node, [1, 2, 3, 4, 5], [5, 1], [8, 5, 16], 48, 2, 32);
    expect(col.bSize).toBe(64);
    expect(col.windows[1].slice(0, 48)).toEqual(Array.from({ length: 48 }, (_, i) => [1, 2, 3, 4, 5][Math.floor(((48 + i) % 80) / 16)]));
    expect(() => constantWindows(node, [1, 2, 3], [3], [8, 5, 16], 48, 2, 32)).toThrow(/node 'add' \(Add\).*does not broadcast/);
  });
});

describe('AIE writer: kernel counts agree with the plan on the AIE test models', () => {
  const models: [string, () => Uint8Array | string][] = [
    ['attn', transformerBlock],
    ['jet', () => qdqMlp(JET_TAGGER)],
    ['views', () => qdqConcatSlice()],
    ['views_in', () => qdqConcatSlice(7, 'input')],
    ['views_ports', qdqViewsAtPorts],
    ...(hasShared ? [['mlp_pow2', () => join(MODELS, 'qdq_int8_mlp_pow2.onnx')] as [string, () => string]] : []),
  ];
  it.each(models)('%s: every layer has placement kernels == project-model kernels == report tiles', async (name, make) => {
    const p = (await convert(make(), { backend: 'AIE', projectName: name })) as Project;
    const model = buildProjectModel(p.graph, name);
    const meta = p.graph.meta['aie'] as AieGraphMeta;
    let checked = 0;
    for (const n of p.graph.topoOrder()) {
      const l = n.meta['aie'] as AieLayer;
      if (l.kernel === 'view') {
        expect(model.layers.find((x) => x.node === n.name)).toBeUndefined();
        continue;
      }
      const written = model.layers.find((x) => x.node === n.name)!;
      const placed = l.placement!.kernels;
      expect(written.kernels.length, n.name).toBe(placed.length);
      expect(written.kernels.map((k) => k.id).sort(), n.name).toEqual(placed.map((k) => `k_${k.id}`).sort());
      expect(written.kernels.map((k) => `${k.location!.col},${k.location!.row}`).sort(), n.name).toEqual(placed.map((k) => `${k.col},${k.row}`).sort());
      expect(meta.perf!.layers.find((x) => x.node === n.name)!.kernels, n.name).toBe(placed.length);
      expect(placed.length, n.name).toBe(l.tiling!.casNum * l.tiling!.casLength);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});
