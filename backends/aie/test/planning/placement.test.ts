import { describe, expect, test } from 'vitest';
import { isFirmflowError } from 'firmflow';
import { loadDevice } from '../../src/devices.js';
import type { AieGraphMeta, AieLayer } from '../../src/lowered.js';
import { placeGroups, type PlacementGroup } from '../../src/placement.js';
import { denseChain, plan, errorOf } from './helpers.js';

const dev = loadDevice('AIE-ML');
const group = (name: string, chains: number, length: number, from: string[] = [], anchor?: [number, number]): PlacementGroup =>
  ({ name, id: name, chains, length, inputs: from.map((f) => ({ from: f, streams: length })), memStreams: 1, anchor });


describe('placeGroups', () => {
  test('chains run east along a row, groups do not overlap, consecutive layers sit side by side', () => {
    const groups = [group('a', 8, 4), group('b', 8, 4, ['a']), group('c', 3, 2, ['b'])];
    const r = placeGroups(dev, groups);
    const seen = new Set<string>();
    for (const g of groups) {
      const ks = r.kernels.get(g.name)!;
      expect(ks.length).toBe(g.chains * g.length);
      for (const k of ks) {
        expect(seen.has(`${k.col},${k.row}`)).toBe(false);
        seen.add(`${k.col},${k.row}`);
        const first = ks.find((x) => x.chain === k.chain && x.pos === 0)!;
        expect([k.row, k.col]).toEqual([first.row, first.col + k.pos]);
      }
    }
    // Streams to the memory tiles below the array cost a hop per row: a lies flat on row 0 (its 8 chains side
    // by side), b right above it over the same columns, c centred under b's centroid on the next free row.
    expect(r.kernels.get('a')!.map((k) => k.row)).toEqual(new Array(32).fill(0));
    expect(r.kernels.get('b')!.map((k) => [k.col, k.row])).toEqual(r.kernels.get('a')!.map((k) => [k.col, 1]));
    expect(r.kernels.get('c')!.map((k) => [k.col, k.row])).toEqual([[13, 2], [14, 2], [15, 2], [16, 2], [17, 2], [18, 2]]);
    expect(r.tilesUsed).toBe(70);
  });

  test('the same input gives the same placement', () => {
    const mk = (): PlacementGroup[] => [group('x', 5, 3), group('y', 12, 2, ['x']), group('z', 1, 7, ['y']), group('w', 9, 1, ['x', 'z'])];
    expect(JSON.stringify([...placeGroups(dev, mk()).kernels])).toBe(JSON.stringify([...placeGroups(dev, mk()).kernels]));
  });

  test('anchors are honoured, and a bad anchor is an error naming the layer', () => {
    const r = placeGroups(dev, [group('a', 2, 3), group('b', 2, 2, ['a'], [30, 5])]);
    expect(r.kernels.get('b')!.map((k) => [k.col, k.row])).toEqual([[30, 5], [31, 5], [30, 6], [31, 6]]);
    expect(errorOf(() => placeGroups(dev, [group('a', 2, 3, [], [36, 0])])).message).toContain("layer 'a': anchored at [36, 0], its 2 chain(s) of 3 kernel(s) do not fit");
    expect(errorOf(() => placeGroups(dev, [group('a', 1, 1, [], [40, 0])])).message).toContain("layer 'a': anchor [40, 0] is outside the 38 x 8 grid");
    expect(errorOf(() => placeGroups(dev, [group('a', 2, 2, [], [0, 0]), group('b', 1, 1, [], [1, 1])])).message).toContain("layer 'b'");
  });

  test('too many tiles: the error states needed vs available', () => {
    const e = errorOf(() => placeGroups(dev, [group('big', 20, 10), group('more', 11, 10)]));
    expect(isFirmflowError(e)).toBe(true);
    expect(e.message).toContain('the model needs 310 tiles but AIE-ML has 304 (38 x 8)');
    expect((e as { details?: unknown }).details).toEqual({ needed: 310, available: 304 });
  });

  test('chains longer than a row are refused', () => {
    expect(errorOf(() => placeGroups(dev, [group('long', 1, 39)])).message).toContain('a cascade chain of 39 kernels is longer than the 38 columns');
  });

  test('fragmented free space places chains one by one', () => {
    // 38 x 8 grid: fill it but for scattered runs of 2 free tiles.
    const groups: PlacementGroup[] = [];
    for (let r = 0; r < 8; r++) groups.push(group(`row${r}`, 1, 36, [], [0, r]));
    const res = placeGroups(dev, [...groups, group('late', 8, 2)]);
    const late = res.kernels.get('late')!;
    expect(late.every((k) => k.col >= 36)).toBe(true);
    expect(new Set(late.map((k) => `${k.col},${k.row}`)).size).toBe(16);
  });
});

describe('model too big for the device', () => {
  test.each([['AIE-ML', 304], ['AIE-MLv2', 144]])('%s: tiles needed vs available', (device, available) => {
    // Six 2048 x 2048 int8 layers: 24 MiB of weights, more than the tiles and the memory tiles hold.
    const e = errorOf(() => plan(denseChain([2048, 2048, 2048, 2048, 2048, 2048, 2048], { rows: 8 }), { device }));
    expect(isFirmflowError(e)).toBe(true);
    expect(e.message).toMatch(new RegExp(`the model needs at least (\\d+) tiles .*but ${device} has ${available} available`));
    expect(Number(/needs at least (\d+) tiles/.exec(e.message)![1])).toBeGreaterThan(available);
    expect((e as { details?: { available: number } }).details!.available).toBe(available);
  });

  test('layers that fit one by one but not together stream the largest weights from memory tiles', () => {
    // Five 1024 x 1024 layers need 5 x 64 = 320 > 304 tiles with their weights in the tiles.
    const g = plan(denseChain([1024, 1024, 1024, 1024, 1024, 1024], { rows: 8 }));
    const ws = g.topoOrder().map((n) => (n.meta['aie'] as AieLayer).tiling!.weights);
    expect(ws.filter((w) => w === 'memtile').length).toBeGreaterThanOrEqual(1);
    expect(ws.filter((w) => w === 'tile').length).toBeGreaterThanOrEqual(3);
    const m = g.meta['aie'] as AieGraphMeta;
    expect(m.perf!.tilesUsed).toBeLessThanOrEqual(304);
    expect(m.sharedBuffers.filter((s) => s.kind === 'weights').reduce((a, s) => a + s.bytes, 0)).toBe(1024 * 1024 * ws.filter((w) => w === 'memtile').length);
  });

  test('a tile budget below the device size is honoured', () => {
    const g = plan(denseChain([256, 256, 256], { rows: 8 }), { aie: { tileBudget: 40 } });
    expect((g.meta['aie'] as AieGraphMeta).perf!.tilesUsed).toBeLessThanOrEqual(40);
    // 1 MiB of weights cannot stay in 20 tiles: they stream from the memory tiles instead.
    const h = plan(denseChain([1024, 1024], { rows: 8 }), { aie: { tileBudget: 20 } });
    const t = (h.node('fc0').meta['aie'] as AieLayer).tiling!;
    expect(t.weights).toBe('memtile');
    expect(t.casLength * t.casNum).toBeLessThanOrEqual(20);
    expect(() => plan(denseChain([64, 64]), { aie: { tileBudget: 400 } })).toThrow("option 'aie.tileBudget' (400) exceeds the 304 tiles of AIE-ML");
  });

  test('anchors given as options move a layer', () => {
    const g = plan(denseChain([64, 64, 64], { rows: 8 }), { aie: { layers: { fc1: { anchor: [20, 3] } } } });
    const ks = (g.node('fc1').meta['aie'] as AieLayer).placement!.kernels;
    expect([ks[0].col, ks[0].row]).toEqual([20, 3]);
  });
});

describe('row packing', () => {
  test('chains that do not fill a row waste its end: the tiling budget shrinks by that much', async () => {
    const { packWaste } = await import('../../src/passes/tile.js');
    // 38 columns take nine chains of 4 (2 tiles left per row): 76 chains of 4 on 8 rows leave 4 chains out.
    expect(packWaste(new Array(76).fill(4), 38, 8)).toBe(16);
    expect(packWaste(new Array(72).fill(4), 38, 8)).toBe(0);
    expect(packWaste([38, 20, 18, 19, 19], 38, 3)).toBe(0);
  });
});
