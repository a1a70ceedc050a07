import { describe, expect, test } from 'vitest';
import { Graph, isFirmflowError } from 'firmflow';
import { loadDevice } from '../../src/devices.js';
import type { AieGraphMeta, AieLayer } from '../../src/lowered.js';
import { codes, fx, plan, layerOf as layer } from './helpers.js';

const meta = (g: Graph): AieGraphMeta => g.meta['aie'] as AieGraphMeta;

function dense(g: Graph, name: string, x: string, K: number, N: number, out: string, seed: number): void {
  g.addTensor({ name: `${name}_w`, shape: [K, N], data: codes(K * N, seed).map((v) => v / 64), precision: fx(8, 6) });
  if (!g.hasTensor(out)) g.addTensor({ name: out, shape: ['N', N], precision: fx(8, 4) });
  g.addNode({ name, op: 'Dense', inputs: [x, `${name}_w`], outputs: [out] });
}

/** Two inputs, fanout of h to two layers, an Add of a layer and the second input, two outputs. */
function branchy(): Graph {
  const g = new Graph('branchy');
  g.addTensor({ name: 'x', shape: ['N', 64], precision: fx(8, 4) });
  g.addTensor({ name: 'z', shape: ['N', 32], precision: fx(8, 4) });
  g.inputs = [{ name: 'x', tensor: 'x' }, { name: 'z', tensor: 'z' }];
  dense(g, 'fc0', 'x', 64, 128, 'h', 1);
  dense(g, 'fc1', 'h', 128, 32, 'y1', 2);
  dense(g, 'fc2', 'h', 128, 16, 'y2', 3);
  g.addTensor({ name: 's', shape: ['N', 32], precision: fx(8, 3) });
  g.addNode({ name: 'sum', op: 'Add', inputs: ['y1', 'z'], outputs: ['s'] });
  g.outputs = [{ name: 'out_s', tensor: 's' }, { name: 'out_y2', tensor: 'y2' }];
  return g;
}

describe('memory-tile plan', () => {
  test('fanout, several inputs and outputs, DMA access patterns that re-block', () => {
    const g = plan(branchy());
    const m = meta(g);
    expect(m.plio.map((p) => [p.port, p.direction, p.bytes])).toEqual([['x', 'in', 8 * 64], ['z', 'in', 8 * 32], ['out_s', 'out', 8 * 32], ['out_y2', 'out', 8 * 16]]);
    const h = m.sharedBuffers.find((s) => s.tensor === 'h')!;
    const t0 = layer(g, 'fc0').tiling!, t1 = layer(g, 'fc1').tiling!, t2 = layer(g, 'fc2').tiling!;
    expect(h).toMatchObject({ kind: 'activation', dtype: 'int8', bytes: 8 * 128, copies: 2 });
    // One writer per chain of fc0, one reader per K slice of each consumer (broadcast to its chains).
    expect(h.writers.length).toBe(t0.casNum);
    expect(h.readers.length).toBe(t1.casLength + t2.casLength);
    const [m0, , n0] = t0.microtile;
    h.writers.forEach((w, c) => {
      expect(w.access.buffer_dimension).toEqual([128, 8]);
      expect(w.access.offset).toEqual([c * t0.tileN, 0]);
      expect(w.access.tiling_dimension).toEqual([n0, m0]);
      expect(w.access.tile_traversal[0]).toEqual({ dimension: 0, stride: n0, wrap: Math.ceil(Math.min(t0.tileN, 128 - c * t0.tileN) / n0) });
    });
    const r1 = h.readers.filter((r) => r.to.startsWith('fc1_'));
    r1.forEach((r, p) => {
      expect(r.access.offset).toEqual([p * t1.tileK, 0]);
      expect(r.access.tiling_dimension).toEqual([t1.microtile[1], t1.microtile[0]]);
    });
    // The Add reads y1 and z; every buffer sits on one memory tile or a run of neighbours.
    expect(m.sharedBuffers.find((s) => s.tensor === 'z')!.readers.length).toBe(layer(g, 'sum').tiling!.casNum);
    for (const s of m.sharedBuffers) for (let i = 1; i < s.columns.length; i++) expect(s.columns[i]).toBe(s.columns[i - 1] + 1);
  });

  test('Concat is a view: producers write at their offsets into one buffer', () => {
    const g = new Graph('cat');
    g.addTensor({ name: 'a', shape: ['N', 16], precision: fx(8, 4) });
    g.addTensor({ name: 'b', shape: ['N', 24], precision: fx(8, 4) });
    g.inputs = [{ name: 'a', tensor: 'a' }, { name: 'b', tensor: 'b' }];
    dense(g, 'fa', 'a', 16, 32, 'ha', 4);
    g.addTensor({ name: 'cat', shape: ['N', 56], precision: fx(8, 4) });
    g.addNode({ name: 'join', op: 'Concat', attrs: { axis: 1 }, inputs: ['ha', 'b'], outputs: ['cat'] });
    dense(g, 'fo', 'cat', 56, 8, 'y', 5);
    g.outputs = [{ name: 'y', tensor: 'y' }];
    plan(g);
    const m = meta(g);
    const cat = m.sharedBuffers.find((s) => s.tensor === 'cat')!;
    expect(cat.bytes).toBe(8 * 56);
    expect(m.sharedBuffers.some((s) => s.tensor === 'ha' || s.tensor === 'b')).toBe(false);
    const ta = layer(g, 'fa').tiling!;
    const offsets = cat.writers.map((w) => [w.from.startsWith('plio') ? 'plio' : 'fa', w.access.offset[0], w.access.buffer_dimension[0]]);
    expect(offsets).toEqual([...Array.from({ length: ta.casNum }, (_, c) => ['fa', c * ta.tileN, 56]), ['plio', 32, 56]]);
    expect(layer(g, 'join').kernel).toBe('view');
    expect(layer(g, 'join').placement).toBeUndefined();
  });

  test('memory-tile capacity is checked', () => {
    const small = { ...JSON.parse(JSON.stringify(loadDevice('AIE-ML'))), name: 'tiny-memtile', aliases: [], memoryTile: { bytes: 512, rows: 1, banks: 16, dma: { s2mm: 6, mm2s: 6 }, neighbourReach: 1 } };
    delete small.file;
    let err: unknown;
    try { plan(branchy(), { device: small }); } catch (e) { err = e; }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toMatch(/memory-tile plan: buffer 'mt_h' \(tensor 'h', 2048 bytes with copies, \d+ write and \d+ read streams\) fits no 3 adjacent memory tiles of tiny-memtile \(512 bytes/);
  });

  test('memory-tile channel counts are checked (fanout beyond the channels of three tiles)', () => {
    const one = { ...JSON.parse(JSON.stringify(loadDevice('AIE-ML'))), name: 'one-channel', aliases: [], memoryTile: { bytes: 524288, rows: 1, banks: 16, dma: { s2mm: 1, mm2s: 1 }, neighbourReach: 1 } };
    delete one.file;
    const g = new Graph('fan');
    g.addTensor({ name: 'x', shape: ['N', 16], precision: fx(8, 4) });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.outputs = [];
    for (let i = 0; i < 4; i++) {
      dense(g, `d${i}`, 'x', 16, 8, `y${i}`, 10 + i);
      g.outputs.push({ name: `y${i}`, tensor: `y${i}` });
    }
    expect(() => plan(g, { device: one })).toThrow(/buffer 'mt_x' \(tensor 'x', 256 bytes with copies, 1 write and 4 read streams\) fits no 3 adjacent memory tiles of one-channel .*1 S2MM and 1 MM2S channels each/);
  });
});
