import { describe, expect, test } from 'vitest';
import { isFirmflowError, type Graph } from 'firmflow';
import { bankCapacities, loadDevice } from '../../src/devices.js';
import type { AieGraphMeta, AieLayer } from '../../src/lowered.js';
import { packBanks, paretoFront, productCandidates, selectTilings, type Candidate, type ProductProblem } from '../../src/tiling.js';
import { limitsFor } from '../../src/passes/tile.js';
import { denseChain, plan, layerOf as layer } from './helpers.js';


/** Checks every invariant of a planned graph; returns a canonical JSON of the plan for determinism checks. */
function checkPlan(g: Graph, deviceName: string): string {
  const d = loadDevice(deviceName);
  const caps = bankCapacities(d);
  const cells = new Map<string, string>();
  const bankUse = new Map<string, number>();
  for (const n of g.topoOrder()) {
    const l = layer(g, n.name);
    if (!l.tiling) continue;
    const t = l.tiling;
    const ks = l.placement!.kernels;
    expect(ks.length).toBe(t.casLength * t.casNum);
    // A K slice and an N slice per kernel cover the layer.
    expect(t.tileK * t.casLength).toBeGreaterThanOrEqual(t.K);
    expect(t.tileK * (t.casLength - 1)).toBeLessThan(t.K);
    expect(t.tileN * t.casNum).toBeGreaterThanOrEqual(t.N);
    expect(t.tileK % t.microtile[1]).toBe(0);
    expect(t.tileN % t.microtile[2]).toBe(0);
    expect(d.microtiles.int8xint8).toContainEqual(t.microtile);
    for (const k of ks) {
      expect(k.col).toBeGreaterThanOrEqual(0);
      expect(k.col).toBeLessThan(d.grid.columns);
      expect(k.row).toBeGreaterThanOrEqual(0);
      expect(k.row).toBeLessThan(d.grid.rows);
      const key = `${k.col},${k.row}`;
      expect(cells.has(key), `kernel ${k.id} overlaps ${cells.get(key)}`).toBe(false);
      cells.set(key, k.id);
    }
    // Cascade chains: consecutive columns of one row, west to east.
    for (let c = 0; c < t.casNum; c++) {
      const chain = ks.filter((k) => k.chain === c).sort((a, b) => a.pos - b.pos);
      expect(chain.length).toBe(t.casLength);
      for (let p = 1; p < chain.length; p++) {
        expect(chain[p].row).toBe(chain[0].row);
        expect(chain[p].col).toBe(chain[p - 1].col + 1);
      }
    }
    // Buffers: each in a bank of its kernel's tile (or its west neighbour), banks not over-filled.
    for (const b of l.buffers!) {
      const k = ks.find((x) => x.id === b.kernelId)!;
      expect(b.tile[1]).toBe(k.row);
      expect([k.col, k.col - 1]).toContain(b.tile[0]);
      const key = `${b.tile[0]},${b.tile[1]},${b.bank}`;
      bankUse.set(key, (bankUse.get(key) ?? 0) + b.bytes);
    }
    expect(l.buffers!.filter((b) => b.name === 'in0_ping').length).toBe(ks.length);
  }
  for (const [key, used] of bankUse) expect(used, `bank ${key}`).toBeLessThanOrEqual(caps[Number(key.split(',')[2])]);
  const meta = g.meta['aie'] as AieGraphMeta;
  const mt = new Map<number, number>();
  for (const s of meta.sharedBuffers) s.columns.forEach((c, i) => mt.set(c, (mt.get(c) ?? 0) + s.bytesPerColumn[i] * s.copies));
  for (const v of mt.values()) expect(v).toBeLessThanOrEqual(d.memoryTile.bytes);
  return JSON.stringify(g.topoOrder().map((n) => { const l = layer(g, n.name); return [n.name, l.tiling, l.placement, l.buffers]; })) + JSON.stringify(meta.sharedBuffers) + JSON.stringify(meta.plio);
}

describe.each(['AIE-ML', 'AIE-MLv2'])('Dense layers on %s', (device) => {
  test.each([16, 64, 256, 1024, 4096].map((n) => [n, n]))('%i x %i: buffers fit, no overlap, chains on rows, deterministic', (n) => {
    const a = plan(denseChain([n, n], { rows: 8 }), { device });
    const b = plan(denseChain([n, n], { rows: 8 }), { device });
    expect(checkPlan(a, device)).toBe(checkPlan(b, device));
    const t = layer(a, 'fc0').tiling!;
    expect([t.M, t.K, t.N]).toEqual([8, n, n]);
    // Up to 1024 x 1024 the weights stay in the tiles; 4096 x 4096 (16 MiB) streams from memory tiles.
    expect(t.weights).toBe(n <= 1024 ? 'tile' : 'memtile');
    if (n === 4096) {
      const meta = a.meta['aie'] as AieGraphMeta;
      const w = meta.sharedBuffers.filter((s) => s.kind === 'weights');
      expect(w.length).toBe(t.casLength * t.casNum);
      // Each store holds its kernel's whole (zero-padded) tileK x tileN slice, as its GMIO writes it.
      expect(w.every((x) => x.bytes === t.tileK * t.tileN)).toBe(true);
      expect(w.reduce((s, x) => s + x.bytes, 0)).toBeGreaterThanOrEqual(4096 * 4096);
    }
  });
});

test('the tiling of 1024 x 1024 on AIE-ML', () => {
  const g = plan(denseChain([1024, 1024], { rows: 8 }), { device: 'AIE-ML' });
  const t = layer(g, 'fc0').tiling!;
  // 1 MiB of int8 weights needs 64 tiles of at most 16 KiB; the output PLIO (8 KiB a row batch, 2048 cycles)
  // sets the pace, so the fewest tiles that keep up are chosen.
  expect(t.casLength * t.casNum).toBe(64);
  expect(t.tileK * t.tileN).toBeLessThanOrEqual(16384);
  expect((g.meta['aie'] as AieGraphMeta).perf!.intervalCycles).toBe(2048);
});

describe('user overrides', () => {
  test('a valid override is used as given', () => {
    const g = plan(denseChain([256, 128], { rows: 8 }), { aie: { layers: { fc0: { casLength: 2, casNum: 3, microtile: [4, 16, 8] } } } });
    expect(layer(g, 'fc0').tiling).toMatchObject({ casLength: 2, casNum: 3, microtile: [4, 16, 8], tileK: 128, tileN: 48, userOverride: true });
  });

  test.each([
    [{ microtile: [3, 8, 8] }, 'microtile 3x8x8 is not an aie::mmul shape for int8 x int8 on AIE-ML (supported: 4x8x8'],
    [{ casLength: 40 }, 'casLength 40 exceeds the 38 columns of AIE-ML'],
    [{ casLength: 1, casNum: 1, microtile: [4, 8, 8] }, "the requested tiling (casLength 1, casNum 1, microtile 4x8x8) does not fit: buffer 'in0_ping' needs 131072 bytes, more than a 16384-byte bank"],
    [{ casNum: 40 }, 'casNum 40 leaves a chain without N columns'],
  ])('a bad override is refused with the reason (%j)', (o, msg) => {
    let err: unknown;
    try { plan(denseChain([256, 256], { rows: 512 }), { aie: { layers: { fc0: o } } }); } catch (e) { err = e; }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toContain(`layer 'fc0': ${msg}`);
  });

  test('an override whose weights exceed the tile streams them from memory tiles', () => {
    const g = plan(denseChain([256, 256], { rows: 8 }), { aie: { layers: { fc0: { casLength: 1, casNum: 1 } } } });
    expect(layer(g, 'fc0').tiling).toMatchObject({ casLength: 1, casNum: 1, weights: 'memtile', userOverride: true });
    expect((g.meta['aie'] as AieGraphMeta).sharedBuffers.find((s) => s.kind === 'weights')!.bytes).toBe(65536);
  });

  test('a layer option naming no node is refused', () => {
    expect(() => plan(denseChain([16, 16], { rows: 8 }), { aie: { layers: { fc9: { casNum: 1 } } } })).toThrow("option 'aie.layers.fc9': there is no node 'fc9'");
  });
});

describe('objective', () => {
  test("'tiles' with a throughput target spends fewer tiles than 'throughput'", () => {
    const fast = plan(denseChain([128, 2048, 128], { rows: 64 }), {});
    const lean = plan(denseChain([128, 2048, 128], { rows: 64 }), { aie: { objective: 'tiles', throughputTarget: 1e6 } });
    const pf = (fast.meta['aie'] as AieGraphMeta).perf!, pl = (lean.meta['aie'] as AieGraphMeta).perf!;
    expect(pl.tilesUsed).toBeLessThan(pf.tilesUsed);
    expect(pl.throughput.samplesPerSecond).toBeGreaterThanOrEqual(1e6);
    expect(pf.throughput.samplesPerSecond).toBeGreaterThanOrEqual(pl.throughput.samplesPerSecond);
  });

  test('an unreachable target names the layer', () => {
    expect(() => plan(denseChain([512, 512], { rows: 8 }), { aie: { objective: 'tiles', throughputTarget: 1e12 } })).toThrow(/PLIO streams alone take/);
  });
});

describe('search pieces', () => {
  const dev = loadDevice('AIE-ML');
  const prob: ProductProblem = { name: 'p', kind: 'dense', M: 8, K: 512, N: 512, batch: 1, a: 'int8', w: 'int8', out: 'int8', acc: 'acc32', runtimeB: false, perChannel: false, hasBias: true, fusedRelu: false };

  test('every candidate fits its banks; the Pareto front trades tiles for cycles', () => {
    const cands = productCandidates(dev, prob, limitsFor(dev, 304));
    expect(cands.length).toBeGreaterThan(50);
    const front = paretoFront(cands);
    for (let i = 1; i < front.length; i++) {
      expect(front[i].tiles).toBeGreaterThan(front[i - 1].tiles);
      expect(front[i].perf.cycles).toBeLessThan(front[i - 1].perf.cycles);
    }
    // 256 KiB of weights: at least 16 tiles.
    expect(front[0].tiles).toBe(16);
  });

  test('packBanks separates ping and pong and refuses what does not fit', () => {
    const caps = [100, 100, 100, 80];
    const banks = packBanks(caps, [{ name: 'a_ping', bytes: 60, pair: 'a' }, { name: 'a_pong', bytes: 60, pair: 'a' }, { name: 'w', bytes: 100 }, { name: 'o', bytes: 40 }])!;
    expect(banks[0]).not.toBe(banks[1]);
    expect(banks[2]).toBe(0);
    expect(packBanks(caps, [{ name: 'big', bytes: 101 }])).toBeUndefined();
    // Separation is dropped when only sharing a bank packs.
    expect(packBanks([100, 10], [{ name: 'x_ping', bytes: 50, pair: 'x' }, { name: 'x_pong', bytes: 50, pair: 'x' }])).toEqual([0, 0]);
  });

  test('selection: the smallest interval the budget allows, then the fewest tiles', () => {
    const c = (tiles: number, cycles: number): Candidate => ({ tiles, perf: { cycles, macs: 0, efficiency: 0, bound: 'compute', terms: {}, kernels: tiles }, tiling: {} as never });
    const a = { name: 'a', front: [c(1, 1000), c(2, 500), c(4, 260), c(8, 140)] };
    const b = { name: 'b', front: [c(2, 600), c(3, 300), c(6, 150)] };
    const s = selectTilings([a, b], 10, 'dev', 'throughput', 0);
    // Interval 260 needs 4 + 6 = 10 tiles; 150 would need 8 + 6 = 14 > 10.
    expect(s.intervalCycles).toBe(260);
    expect([s.chosen.get('a')!.tiles, s.chosen.get('b')!.tiles]).toEqual([4, 6]);
    const floor = selectTilings([a, b], 10, 'dev', 'throughput', 700);
    expect([floor.chosen.get('a')!.tiles, floor.chosen.get('b')!.tiles]).toEqual([2, 2]);
    expect(() => selectTilings([a, b], 2, 'dev', 'throughput', 0)).toThrow('the model needs at least 3 tiles but dev has 2 available');
  });
});
