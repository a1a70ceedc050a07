// Dense layers with weights in memory tiles (tiling.weights 'memtile'): GMIO -> shared buffer -> async weight
// port, chunked. Host runs (g++ against firmflow's ADF model) equal the emulator, onnxruntime and the same model
// with tile-resident weights bit for bit; the plan and the written graph agree; the performance model charges the
// weight transfers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { convert, type Graph } from 'firmflow';
import { compileHost, HOST_CXX_FLAGS, hostIncludeDir, openProject } from '../src/index.js';
import { loadDevice } from '../src/devices.js';
import type { AieGraphMeta, AieLayer } from '../src/lowered.js';
import { buildProjectModel } from '../src/writer/model.js';
import { reportOf } from '../src/report.js';
import { ModelBuilder } from 'firmflow';
import { hasCxx, scratchDir } from './harness.js';
import { QdqModelBuilder } from './qdq-builder.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-mtw-');

/**
 * An int8 QDQ MLP with power-of-two scales, ReLU after every layer but the last, a bias on every layer. With
 * `perChannel`, each weight column has its own power-of-two scale (per-axis QDQ along axis 1: per-column shifts).
 * Layers are named fc1, fc2, ... (their MatMul nodes).
 */
function mlp(sizes: number[], perChannel: boolean, seed: number): Uint8Array {
  const m = new QdqModelBuilder(17, seed);
  m.input('x', 'float32', ['N', sizes[0]]).output('y', 'float32', ['N', sizes[sizes.length - 1]]);
  let x = m.qdq('x', 2 ** -4, 'x_q');
  for (let l = 1; l < sizes.length; l++) {
    const K = sizes[l - 1], N = sizes[l];
    const base = 7 + Math.max(0, Math.round(Math.log2(K / 16) / 2));
    const ws = Array.from({ length: N }, (_, j) => 2 ** -(perChannel ? base + (j % 3) - 1 : base));
    m.initializer(`w${l}_raw`, Float32Array.from({ length: K * N }, (_, i) => Math.round((m.random() * 2 - 1) * 100) * ws[i % N]), [K, N]);
    const w = perChannel ? m.qdq(`w${l}_raw`, ws, `w${l}`, 1) : m.qdq(`w${l}_raw`, ws[0], `w${l}`);
    m.initializer(`b${l}`, m.onGrid(N, 300, 2 ** -(base + 4)), [N]);
    m.node('MatMul', [x, w], [`mm${l}`], undefined, { name: `fc${l}` });
    m.node('Add', [`mm${l}`, `b${l}`], [`add${l}`]);
    let y = `add${l}`;
    if (l < sizes.length - 1) {
      m.node('Relu', [y], [`relu${l}`]);
      y = `relu${l}`;
    }
    x = m.qdq(y, 2 ** -4, l === sizes.length - 1 ? 'y' : `h${l}`);
  }
  return m.toBytes();
}

type Layers = Record<string, Record<string, unknown>>;
type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;

const layerOf = (g: Graph, name: string): AieLayer => g.topoOrder().find((n) => n.name === name)!.meta['aie'] as AieLayer;

/** Converts, writes, builds with g++ and runs on `x`; checks host == emulator; returns host codes and the graph. */
async function hostRun(model: Uint8Array, name: string, layers: Layers, x: Float32Array, K0: number): Promise<{ codes: number[]; graph: Graph; dir: string; data: number[] }> {
  const dir = join(tmp, name);
  const p = await convert(model, { backend: 'AIE', projectName: name, aie: { layers } } as never);
  await p.write(dir);
  const b = compileHost(dir);
  expect(b.warnings).toBe('');
  const opened = await openProject(dir);
  const n = x.length / K0;
  const feed = { x: { shape: [n, K0], data: x } };
  const host = (await opened.predict(feed, {})) as unknown as Out;
  const emu = (await opened.emulate!(feed, {})) as unknown as Out;
  expect(Array.from(host['y'].codes)).toEqual(Array.from(emu['y'].codes));
  return { codes: Array.from(host['y'].codes), data: Array.from(host['y'].data), graph: (p as unknown as { graph: Graph }).graph, dir };
}

async function ortRun(model: Uint8Array, x: Float32Array, K0: number): Promise<number[]> {
  const sess = await ort.InferenceSession.create(model);
  const ref = await sess.run({ x: new ort.Tensor('float32', x, [x.length / K0, K0]) });
  return Array.from(ref['y'].data as Float32Array);
}

function inputs(n: number, K: number, seed: number): Float32Array {
  const r = lcg(seed);
  // On the input's 2^-4 grid, so quantization is exact and onnxruntime sees the same codes.
  return Float32Array.from({ length: n * K }, () => Math.round((r() * 2 - 1) * 60) / 16);
}

describe.skipIf(!hasCxx)('Dense with memory-tile weights: host model == emulator == onnxruntime', () => {
  const perCh = mlp([256, 128, 64], true, 11);
  const x = inputs(19, 256, 5);
  let streamedCodes: number[] = [];

  it('per-column shifts, bias, fused ReLU; 2 chunks per kernel (casLength 1) and a 2 x 2 grid (casLength 2, casNum 2)', async () => {
    const layers = { fc1: { casLength: 1, casNum: 1, weights: 'memtile' }, fc2: { casLength: 2, casNum: 2, weights: 'memtile' } };
    const r = await hostRun(perCh, 'mtw_pc', layers, x, 256);
    const t1 = layerOf(r.graph, 'fc1').tiling!, t2 = layerOf(r.graph, 'fc2').tiling!;
    expect([t1.weights, t1.tileK, t1.tileN, t1.chunkN]).toEqual(['memtile', 256, 128, 64]);
    expect([t2.weights, t2.casLength, t2.casNum, t2.tileK, t2.tileN, t2.chunkN]).toEqual(['memtile', 2, 2, 64, 32, 32]);
    expect(Array.isArray(layerOf(r.graph, 'fc2').shift)).toBe(true);
    expect(layerOf(r.graph, 'fc1').fusedRelu).toBe(true);
    const ref = await ortRun(perCh, x, 256);
    expect(r.data.map((v) => Math.fround(v))).toEqual(ref);
    expect(new Set(r.codes).size).toBeGreaterThan(10);
    streamedCodes = r.codes;
    // The written graph: one GMIO, one single-buffered store and one async port per kernel.
    const graphH = readFileSync(join(r.dir, 'src/graph.h'), 'utf8');
    expect(graphH.match(/adf::input_gmio::create\(/g)!.length).toBe(5);
    expect(graphH).toContain('adf::async_repetition(k_fc1_c0_p0.in[1]) = 2;');
    expect(graphH).toContain('adf::num_buffers(mtw_fc1_c0_p0) = 1;');
    expect(graphH).toContain('adf::dimensions(k_fc1_c0_p0.in[1]) = {16384};');
    expect(graphH).toContain('firmflow::DenseStreamed<fc1_cfg, firmflow::Role::single>');
    expect(graphH).toContain('adf::connect(k_fc2_c1_p0.out[0], k_fc2_c1_p1.in[2]);');
    const app = readFileSync(join(r.dir, 'src/app.cpp'), 'utf8');
    expect(app).toContain('gmio_w_fc1_c0_p0.gm2aie_nb(gmio_w_fc1_c0_p0_ddr, 32768);');
  }, 60_000);

  it('the same model with tile-resident weights gives the same codes', async () => {
    const layers = { fc1: { casLength: 2, casNum: 1, weights: 'tile' }, fc2: { casLength: 2, casNum: 2, weights: 'tile' } };
    const r = await hostRun(perCh, 'mtw_pc_tile', layers, x, 256);
    expect(layerOf(r.graph, 'fc1').tiling!.weights).toBe('tile');
    expect(r.codes).toEqual(streamedCodes);
  }, 60_000);

  it('per-tensor scales: a cascade of 2 kernels streaming 2 chunks each', async () => {
    const model = mlp([256, 256, 16], false, 23);
    const xs = inputs(11, 256, 9);
    const r = await hostRun(model, 'mtw_pt', { fc1: { casLength: 2, casNum: 1, weights: 'memtile' } }, xs, 256);
    const t1 = layerOf(r.graph, 'fc1').tiling!;
    expect([t1.casLength, t1.tileK, t1.tileN, t1.chunkN]).toEqual([2, 128, 256, 128]);
    const ref = await ortRun(model, xs, 256);
    expect(r.data.map((v) => Math.fround(v))).toEqual(ref);
  }, 60_000);
});

describe.skipIf(!hasCxx)('memory-tile weights chosen by the tiling search', () => {
  it('a small tile budget streams the largest layer; the written project runs bit-exact', async () => {
    const model = mlp([256, 256, 16], false, 31);
    const xs = inputs(8, 256, 13);
    const dir = join(tmp, 'mtw_budget');
    const p = await convert(model, { backend: 'AIE', projectName: 'mtw_budget', aie: { tileBudget: 4 } } as never);
    const g = (p as unknown as { graph: Graph }).graph;
    const t1 = layerOf(g, 'fc1').tiling!;
    expect(t1.weights).toBe('memtile');
    expect((g.meta['aie'] as AieGraphMeta).perf!.tilesUsed).toBeLessThanOrEqual(4);
    await p.write(dir);
    expect(compileHost(dir).warnings).toBe('');
    const opened = await openProject(dir);
    const feed = { x: { shape: [8, 256], data: xs } };
    const host = (await opened.predict(feed, {})) as unknown as Out;
    const ref = await ortRun(model, xs, 256);
    expect(Array.from(host['y'].data, (v) => Math.fround(v))).toEqual(ref);
  }, 60_000);
});

describe.skipIf(!hasCxx)('host model: input_gmio, async buffers and async_repetition', () => {
  // A GMIO fills a 2 x 4 shared buffer each iteration; a kernel takes it as 2 async buffers of 4 (acquire/release)
  // and writes their sums; `mode` breaks the protocol on purpose.
  const src = `#include <adf.h>
#include <cstdio>
#include <cstdlib>
static int mode = 0;
void k(adf::input_async_buffer<int32_t>& w, adf::output_buffer<int32_t>& out) {
  const unsigned n = mode == 1 ? 1 : 2;
  for (unsigned r = 0; r < n; ++r) {
    w.acquire();
    int32_t s = 0;
    for (unsigned i = 0; i < 4; ++i) s += w.data()[i];
    out.data()[r] = s;
    w.release();
  }
  if (n == 1) out.data()[1] = 0;
}
struct g_t : adf::graph {
  adf::input_gmio gin;
  adf::output_plio pout;
  adf::kernel kk;
  adf::shared_buffer<int32_t> sb;
  g_t() {
    gin = adf::input_gmio::create("gin", 64, 1000);
    pout = adf::output_plio::create("pout", adf::plio_32_bits, "out.txt");
    kk = adf::kernel::create(k);
    adf::source(kk) = "k.cc";
    sb = adf::shared_buffer<int32_t>::create({4, 2}, 1, 1);
    adf::num_buffers(sb) = 1;
    adf::write_access(sb.in[0]) = adf::tiling({.buffer_dimension = {4, 2}, .tiling_dimension = {4, 2}, .offset = {0, 0}});
    adf::read_access(sb.out[0]) = adf::tiling({.buffer_dimension = {4, 2}, .tiling_dimension = {1, 2}, .offset = {0, 0}, .tile_traversal = {{.dimension = 0, .stride = 1, .wrap = 4}}});
    adf::connect(gin.out[0], sb.in[0]);
    adf::connect(sb.out[0], kk.in[0]);
    adf::connect(kk.out[0], pout.in[0]);
    adf::dimensions(kk.in[0]) = {4};
    adf::dimensions(kk.out[0]) = {2};
    adf::async_repetition(kk.in[0]) = 2;
  }
};
g_t g;
int main(int argc, char** argv) {
  mode = argc > 1 ? std::atoi(argv[1]) : 0;
  g.init();
  g.run(2);
  // Column-major reads of the row-major 2 x 4 store: buffers {1,5,2,6} and {3,7,4,8}.
  int32_t* d = static_cast<int32_t*>(adf::GMIO::malloc(32));
  for (int i = 0; i < 8; ++i) d[i] = i + 1;
  g.gin.gm2aie_nb(d, 32);
  if (mode != 2) g.gin.gm2aie_nb(d, 32);
  g.gin.wait();
  g.end();
  adf::GMIO::free(d);
  return 0;
}
`;
  it('delivers R buffers per iteration in DMA order, and names the port or GMIO when the protocol breaks', () => {
    const dir = mkdtempSync(join(tmp, 'gmio-'));
    const file = join(dir, 'g.cpp');
    writeFileSync(file, src);
    const exe = join(dir, 'g');
    const b = spawnSync(process.env['CXX'] || 'g++', [...HOST_CXX_FLAGS, `-I${hostIncludeDir()}`, file, '-o', exe], { encoding: 'utf8' });
    expect(b.stderr).toBe('');
    const run = (mode: number) => spawnSync(exe, [String(mode)], { encoding: 'utf8', env: { ...process.env, FIRMFLOW_AIE_OUTPUT_DIR: dir, FIRMFLOW_AIE_ITERATIONS: '' } });
    const ok = run(0);
    expect(ok.status).toBe(0);
    expect(readFileSync(join(dir, 'out.txt'), 'utf8').trim().split(/\s+/).map(Number)).toEqual([14, 22, 14, 22]);
    const under = run(1);
    expect(under.status).toBe(2);
    expect(under.stderr).toContain('async input 0 receives 2 buffers per iteration; the kernel acquired 1 and released 1');
    const short = run(2);
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('1 iteration(s) cannot run: GMIO gin holds 0 bytes, an iteration needs 32 (gm2aie_nb)');
  }, 60_000);
});

describe('memory-tile weights: options, planning and the performance model', () => {
  const perCh = mlp([256, 128, 64], true, 11);

  it("refuses weights 'tile' that cannot fit, naming the layer and the sizes", async () => {
    await expect(convert(perCh, { backend: 'AIE', aie: { layers: { fc1: { casLength: 1, casNum: 1, weights: 'tile' } } } } as never)).rejects.toThrow(/layer 'fc1': weights 'tile' was requested but its 256x128 weights \(32768 bytes\) fit no tiling/);
    await expect(convert(perCh, { backend: 'AIE', aie: { layers: { fc1: { weights: 'dram' } } } } as never)).rejects.toThrow(/aie\.layers\.fc1\.weights' must be 'tile'/);
  });

  it('charges the weight transfers: GMIO per kernel and the shared DDR bandwidth', async () => {
    const p = await convert(perCh, { backend: 'AIE', aie: { layers: { fc1: { casLength: 1, casNum: 1, weights: 'memtile' } } } } as never);
    const g = (p as unknown as { graph: Graph }).graph;
    const meta = g.meta['aie'] as AieGraphMeta;
    const d = loadDevice('AIE-ML');
    const l = layerOf(g, 'fc1');
    // 32768 bytes over one GMIO channel (4 bytes per cycle on AIE-ML), then into the kernel, 2 DMA setups.
    expect(l.perf!.terms['gmio']).toBe(8192);
    expect(l.perf!.terms['weights']).toBe(8192 + 8192 + 2 * d.overheads.dmaSetupCycles);
    expect(l.perf!.bound).toBe('weights');
    expect(meta.perf!.intervalCycles).toBe(l.perf!.cycles);
    expect(meta.perf!.bottleneck).toBe("layer 'fc1' (weights)");
    const w = meta.perf!.weightTraffic!;
    expect(w).toEqual({ gmioInputs: 1, bytesPerIteration: 32768, ddrCycles: Math.ceil(32768 / ((25.6e9) / 1.25e9)), channelCycles: 8192, ddrGBps: 25.6 });
    const text = reportOf(g).text;
    expect(text).toContain(`streamed weights: 1 GMIO input(s) re-send 32768 B from DDR every iteration: ${w.ddrCycles} cycles of the shared 25.6 GB/s, 8192 cycles on the busiest GMIO channel`);
  });

  it('a 4096x4096 Dense on AIE-MLv2 streams its weights; every store has a GMIO writer and its kernel as reader', async () => {
    const m = new ModelBuilder({ opsets: { '': 17 } });
    const K = 4096, N = 4096;
    m.input('x', 'float32', ['N', K]).output('y', 'float32', ['N', N]);
    const s = (n: string, v: number): void => { m.initializer(n, Float32Array.from([v]), []); };
    s('sx', 2 ** -4); s('sw', 2 ** -12); s('sy', 2 ** -4);
    m.initializer('z', Int8Array.from([0]), []);
    const r = lcg(3);
    const wq = new Int8Array(K * N);
    for (let i = 0; i < wq.length; i++) wq[i] = Math.floor(r() * 256) - 128;
    m.initializer('wq', wq, [K, N]);
    m.node('QuantizeLinear', ['x', 'sx', 'z'], ['xq']);
    m.node('DequantizeLinear', ['xq', 'sx', 'z'], ['xd']);
    m.node('DequantizeLinear', ['wq', 'sw', 'z'], ['w']);
    m.node('MatMul', ['xd', 'w'], ['mm'], undefined, { name: 'big' });
    m.node('QuantizeLinear', ['mm', 'sy', 'z'], ['yq']);
    m.node('DequantizeLinear', ['yq', 'sy', 'z'], ['y']);
    const p = await convert(m.toBytes(), { backend: 'AIE', device: 'AIE-MLv2', aie: { batch: 4 } } as never);
    const g = (p as unknown as { graph: Graph }).graph;
    const meta = g.meta['aie'] as AieGraphMeta;
    const d = loadDevice('AIE-MLv2');
    const t = layerOf(g, 'big').tiling!;
    expect(t.weights).toBe('memtile');
    const kernels = t.casLength * t.casNum;
    const stores = meta.sharedBuffers.filter((b) => b.kind === 'weights');
    expect(stores.length).toBe(kernels);
    expect(meta.gmio!.length).toBe(kernels);
    expect(kernels).toBeLessThanOrEqual(d.gmio.mm2sChannels);
    let total = 0;
    for (const b of stores) {
      expect(b.writers.map((w) => w.from)).toEqual([b.name.replace(/^mtw_/, 'gmio_w_')]);
      expect(b.readers.map((x) => x.to)).toEqual([`${b.name.replace(/^mtw_/, '')}:weights`]);
      expect(b.bytes).toBe(t.tileK * t.tileN);
      expect(b.bytes * b.copies).toBeLessThanOrEqual(d.memoryTile.bytes);
      total += b.bytes;
    }
    expect(total).toBeGreaterThanOrEqual(K * N);
    // Memory-tile DMA channels per column stay within the device's.
    const perCol = new Map<number, { s2mm: number; mm2s: number }>();
    for (const b of meta.sharedBuffers) {
      const c = perCol.get(b.columns[0]) ?? { s2mm: 0, mm2s: 0 };
      c.s2mm += b.writers.length; c.mm2s += b.readers.length;
      perCol.set(b.columns[0], c);
    }
    // A buffer may spread its channels over its span: check the totals against the span's capacity.
    const used = [...perCol.values()].reduce((a, c) => ({ s2mm: a.s2mm + c.s2mm, mm2s: a.mm2s + c.mm2s }), { s2mm: 0, mm2s: 0 });
    expect(used.s2mm).toBeLessThanOrEqual(d.grid.columns * d.memoryTile.dma.s2mm);
    expect(used.mm2s).toBeLessThanOrEqual(d.grid.columns * d.memoryTile.dma.mm2s);
    // The writer emits it: one GMIO, store and async port per kernel, matching the plan.
    const model = buildProjectModel(g, 'big');
    expect(model.gmio.length).toBe(kernels);
    expect(model.asyncRepetitions.every((x) => x.count === t.tileN / t.chunkN)).toBe(true);
    const planned = new Map(stores.map((b) => [b.name, b]));
    for (const s of model.shared.filter((b) => b.name.startsWith('mtw_'))) {
      const b = planned.get(s.name)!;
      expect(s.writers[0].access).toEqual(b.writers[0].access);
      expect(s.readers[0].access).toEqual(b.readers[0].access);
    }
    // The bottleneck is the weight traffic: 16 MiB from DDR every iteration.
    expect(meta.perf!.weightTraffic!.bytesPerIteration).toBe(total);
    expect(meta.perf!.bottleneck).toBe(`DDR weight traffic (${kernels} GMIO inputs, ${total} bytes per iteration at 25.6 GB/s)`);
    expect(meta.perf!.intervalCycles).toBe(Math.ceil(total / (25.6e9 / (d.clockMHz * 1e6))));
  }, 60_000);
});
