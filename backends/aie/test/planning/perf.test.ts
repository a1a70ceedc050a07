import { describe, expect, test } from 'vitest';
import { Graph } from 'firmflow';
import { loadDevice } from '../../src/devices.js';
import type { AieGraphMeta, AieLayer, AieTiling } from '../../src/lowered.js';
import { productKernelPerf } from '../../src/perf.js';
import { vectorKernelPerf } from '../../src/tiling.js';
import { formatPerformance, performanceOf } from '../../src/passes/index.js';
import { codes, denseChain, fx, plan } from './helpers.js';

const ml = loadDevice('AIE-ML');
const int8 = { a: 'int8', w: 'int8', out: 'int8', acc: 'acc32', runtimeB: false } as const;
const tiling = (mt: [number, number, number], o: Partial<AieTiling> = {}): AieTiling => ({
  M: 64, K: 64, N: 64, casLength: 1, casNum: 1, microtile: mt, tileK: 64, tileN: 64, tileM: 64, batch: 1, split: 'N', weights: 'tile', chunkN: 64, userOverride: false, ...o,
});

describe('kernel model', () => {
  test('int8 64x64x64 on AIE-ML matches the published kernel timings', () => {
    // 4x8x8: 1024 mmuls at one a cycle, 8 passes over two microtile rows, one call: 1122 cycles (measured 1122).
    const a = productKernelPerf(ml, int8, tiling([4, 8, 8]));
    expect(a.terms['compute']).toBe(1122);
    expect(a.bound).toBe('compute');
    expect(a.efficiency).toBeCloseTo(262144 / (1122 * 256), 6);
    // 8x8x8: 512 mmuls of two cycles: 1086 cycles (measured 1050, within 4%).
    expect(productKernelPerf(ml, int8, tiling([8, 8, 8])).terms['compute']).toBe(1086);
    // 2x8x8 issues half-size mmuls: about twice as slow.
    expect(productKernelPerf(ml, int8, tiling([2, 8, 8])).terms['compute']).toBe(2048 + 16 * 9 + 26);
  });

  test('data movement and cascade terms', () => {
    // A thin layer is bound by its input stream: 64 rows x 512 bytes at 4 bytes a cycle.
    const p = productKernelPerf(ml, int8, tiling([4, 8, 8], { K: 512, tileK: 512, N: 8, tileN: 8 }));
    expect(p.terms['input']).toBe(8192);
    expect(p.bound).toBe('input');
    // Weights streamed from memory tiles: the store (64 x 64 bytes) comes from DDR over one GMIO channel (4 bytes a
    // cycle), then goes to the kernel at a cycle-word of 4 bytes, plus a DMA setup per chunk.
    const s = productKernelPerf(ml, int8, tiling([4, 8, 8], { weights: 'memtile', chunkN: 16 }));
    expect(s.terms['gmio']).toBe(1024);
    expect(s.terms['weights']).toBe(1024 + 1024 + 4 * 32);
    // Cascade: one 4x8 acc32 block (1024 bits) per output microtile, 512 bits a cycle.
    const c = productKernelPerf(ml, int8, tiling([4, 8, 8], { casLength: 2, tileK: 32, K: 64 }));
    expect(c.terms['cascade']).toBe(16 * 8 * 2);
    const v = vectorKernelPerf(ml, 'relu', 'int8', 'int8', 64, 256, 1, 1);
    expect(v.terms['compute']).toBe(256 + 26);
    expect(v.terms['input']).toBe(4096);
  });
});

describe('graph model', () => {
  test('throughput from the bottleneck, latency along the critical path, tiles and memory', () => {
    const g = plan(denseChain([64, 256, 256, 10], { rows: 32, relu: true }));
    const p = performanceOf(g);
    const layers = g.topoOrder().map((n) => n.meta['aie'] as AieLayer);
    const slowest = Math.max(...layers.map((l) => l.perf!.cycles));
    const plioCycles = Math.max(32 * 64 / 4, 32 * 10 / 4);
    expect(p.intervalCycles).toBe(Math.max(slowest, plioCycles));
    expect(p.throughput.iterationsPerSecond).toBeCloseTo(1.25e9 / p.intervalCycles, 3);
    expect(p.throughput.samplesPerSecond).toBeCloseTo(32 * 1.25e9 / p.intervalCycles, 0);
    expect(p.latency.path).toEqual(['plio:plio_in_x', 'fc0', 'fc1', 'fc2', 'plio:plio_out_y']);
    expect(p.latency.cycles).toBeGreaterThan(layers.reduce((a, l) => a + l.perf!.terms['compute'], 0));
    expect(p.latency.ns).toBeCloseTo(p.latency.cycles / 1.25, 6);
    expect(p.tilesUsed).toBe(layers.reduce((a, l) => a + l.placement!.kernels.length, 0));
    expect(p.tilesAvailable).toBe(304);
    expect(p.macsPerIteration).toBe(32 * (64 * 256 + 256 * 256 + 256 * 10));
    const perTile = new Map<string, number>();
    for (const l of layers) for (const b of l.buffers!) perTile.set(b.tile.join(), (perTile.get(b.tile.join()) ?? 0) + b.bytes);
    expect(p.memoryPerTile.max).toBe(Math.max(...perTile.values()));
    expect(p.memoryPerMemTile.used).toBeGreaterThan(0);
    expect(formatPerformance(p)[0]).toMatch(/^throughput: [\d.]+ [kMG]?samples\/s/);
  });

  test('an int8 transformer-style block plans end to end', () => {
    // LayerNorm -> Q, K, V Dense -> Q @ K^T -> Softmax -> @ V -> Dense, one sequence of 16 tokens x 64.
    const g = new Graph('block');
    const S = 16, D = 64;
    g.addTensor({ name: 'x', shape: [S, D], precision: fx(8, 4) });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.addTensor({ name: 'g', shape: [D], data: new Float32Array(D).fill(1) });
    g.addTensor({ name: 'be', shape: [D], data: new Float32Array(D) });
    g.addTensor({ name: 'ln', shape: [S, D], precision: fx(8, 5) });
    g.addNode({ name: 'norm', op: 'LayerNormalization', attrs: { axis: 1, epsilon: 1e-5 }, inputs: ['x', 'g', 'be'], outputs: ['ln'] });
    for (const [i, n] of ['q', 'k', 'v', 'o'].entries()) {
      g.addTensor({ name: `w${n}`, shape: [D, D], data: codes(D * D, 20 + i).map((c) => c / 128), precision: fx(8, 7) });
    }
    for (const n of ['q', 'k', 'v']) {
      g.addTensor({ name: n, shape: [S, D], precision: fx(8, 4) });
      g.addNode({ name: `proj_${n}`, op: 'Dense', inputs: ['ln', `w${n}`], outputs: [n] });
    }
    g.addTensor({ name: 'kt', shape: [D, S], precision: fx(8, 4) });
    g.addNode({ name: 'k_t', op: 'Transpose', attrs: { perm: [1, 0] }, inputs: ['k'], outputs: ['kt'] });
    g.addTensor({ name: 'sc', shape: [S, S], precision: fx(8, 2) });
    g.addNode({ name: 'scores', op: 'MatMul', inputs: ['q', 'kt'], outputs: ['sc'] });
    g.addTensor({ name: 'pr', shape: [S, S], precision: fx(8, 7) });
    g.addNode({ name: 'attn', op: 'Softmax', attrs: { axis: 1 }, inputs: ['sc'], outputs: ['pr'] });
    g.addTensor({ name: 'ctx', shape: [S, D], precision: fx(8, 4) });
    g.addNode({ name: 'mix', op: 'MatMul', inputs: ['pr', 'v'], outputs: ['ctx'] });
    g.addTensor({ name: 'y', shape: [S, D], precision: fx(8, 4) });
    g.addNode({ name: 'out', op: 'Dense', inputs: ['ctx', 'wo'], outputs: ['y'] });
    g.addTensor({ name: 'res', shape: [S, D], precision: fx(8, 3) });
    g.addNode({ name: 'residual', op: 'Add', inputs: ['y', 'x'], outputs: ['res'] });
    g.outputs = [{ name: 'res', tensor: 'res' }];
    plan(g);
    const kinds = g.topoOrder().map((n) => [n.name, (n.meta['aie'] as AieLayer).kernel]);
    expect(Object.fromEntries(kinds)).toEqual({ norm: 'layernorm', proj_q: 'dense', proj_k: 'dense', proj_v: 'dense', k_t: 'transpose', scores: 'matmul', attn: 'softmax', mix: 'matmul', out: 'dense', residual: 'add' });
    const scores = g.node('scores').meta['aie'] as AieLayer;
    expect(scores).toMatchObject({ frac: { a: 4, w: 4, out: 2 }, shift: 6 });
    expect(g.node('residual').meta['aie']).toMatchObject({ frac: { a: 4, w: 4, out: 3 }, shift: 1 });
    const m = g.meta['aie'] as AieGraphMeta;
    // x feeds the LayerNorm and the residual Add: one buffer, a read stream per kernel of both consumers.
    const nk = (n: string): number => (g.node(n).meta['aie'] as AieLayer).tiling!.casNum;
    const xr = m.sharedBuffers.find((s) => s.tensor === 'x')!.readers;
    expect(xr.length).toBe(nk('norm') + nk('residual'));
    expect(new Set(xr.map((r) => r.to.split('_c')[0]))).toEqual(new Set(['norm', 'residual']));
    expect(m.perf!.tilesUsed).toBeGreaterThanOrEqual(10);
    expect(m.perf!.layers.map((l) => l.node)).toEqual(g.topoOrder().map((n) => n.name));
  });
});
