import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweep, sweepAxes, type SweepResult } from '../../src/bench/sweep.js';
import { run } from '../../src/cli/main.js';
import { JET_TAGGER, qdqMlp } from '../../backends/aie/test/host-models.js';
import { tileLadder } from '../../backends/aie/src/sweep.js';
import { ensureBuilt } from '../cli/build.js';
import { REPO } from '../fixtures/project.js';
import { SHARED_MODELS } from '../helpers/shared-models.js';
import { capture } from './helpers.js';

/*
 * `firmflow sweep` on the AIE backend: the axes the backend declares (aie.tileBudget, aie.rounding, aie.batch) over
 * int8 QDQ MLPs - the jet tagger 16-64-32-32-5 built here, and ../shared/models/qdq_int8_mlp_pow2.onnx when present.
 * Every point is planned and emulated (no C++ build). The int kernels are bit-exact with onnxruntime's QDQ
 * arithmetic, whose requantization rounds half to even (aie::rounding_mode conv_even), so:
 * - the tile budget changes the plan, never the arithmetic: errors are identical (and 0) across budgets, while the
 *   estimated throughput grows (never falls) with the budget and the tiles used stay within it;
 * - the rounding changes the arithmetic: the model's own rounding and conv_even are the same (error 0), round half
 *   away from zero (symmetric_inf) differs only on ties, and floor (truncation, biased by half an LSB per
 *   requantization) is much worse.
 * The marked front is checked against a brute-force front of the produced rows (error and tiles minimized,
 * throughput maximized).
 */

const tmp = mkdtempSync(join(tmpdir(), 'firmflow-sweep-aie-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const JET = join(tmp, 'jet_int8.onnx');
const SHARED = join(SHARED_MODELS, 'qdq_int8_mlp_pow2.onnx');
const HAVE_SHARED_MODEL = existsSync(SHARED);
if (!HAVE_SHARED_MODEL) console.warn(`sweep-aie: ${SHARED} is absent; its tests are skipped (the jet tagger built here still runs)`);

beforeAll(() => {
  writeFileSync(JET, qdqMlp(JET_TAGGER));
});

interface Row { ok: boolean; err: number; tiles: number; tput: number }

/** The Pareto front by definition: no other successful row is at least as good everywhere and better somewhere. */
function bruteFront(rows: Row[]): boolean[] {
  return rows.map((a, i) => a.ok && !rows.some((b, j) => j !== i && b.ok
    && b.err <= a.err && b.tiles <= a.tiles && b.tput >= a.tput
    && (b.err < a.err || b.tiles < a.tiles || b.tput > a.tput)));
}

const rowOf = (r: SweepResult): Row => ({ ok: r.error === null, err: r.meanAbsError ?? NaN, tiles: r.estimate?.['tiles'] ?? NaN, tput: r.estimate?.['throughput'] ?? NaN });

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split('\n').map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

/** Groups rows by the value of every axis but `axis`; each group in the sweep's order (ascending `axis` values). */
function groupsAlong(results: SweepResult[], axis: string): SweepResult[][] {
  const groups = new Map<string, SweepResult[]>();
  for (const r of results) {
    const key = JSON.stringify(Object.entries(r.point).filter(([k]) => k !== axis));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

describe('AIE sweep axes', () => {
  it('ladders the tile budget geometrically from the layer count to the saturating plan', () => {
    expect(tileLadder(3, 36, 304)).toEqual([3, 4, 8, 16, 32, 36]);
    expect(tileLadder(4, 4, 304)).toEqual([4]);
    expect(tileLadder(4, 32, 304)).toEqual([4, 8, 16, 32]);
    expect(tileLadder(1, 304, 304)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 304]);
    expect(tileLadder(5, 400, 304)).toEqual([5, 8, 16, 32, 64, 128, 256, 304]);
  });

  it('declares tileBudget, rounding and batch with defaults from the model, and its figures', async () => {
    const l = await sweepAxes(JET, { backend: 'AIE' });
    expect(l.backend).toBe('AIE');
    expect(l.axes.map((a) => a.name)).toEqual(['aie.tileBudget', 'aie.rounding', 'aie.batch']);
    const [budget, rounding, batch] = l.axes;
    // Four layers (16-64-32-32-5) need four tiles at least; AIE-ML has 38 x 8 = 304.
    expect(budget.defaults[0]).toBe(4);
    expect(budget.base).toBe(304);
    const top = budget.defaults[budget.defaults.length - 1] as number;
    expect(top).toBeLessThanOrEqual(304);
    expect(budget.defaults).toEqual(tileLadder(4, top, 304));
    // The quantizers round half to even: conv_even is the model's own, so it is not swept twice.
    expect(rounding.defaults).toEqual(['model', 'floor', 'symmetric_inf']);
    expect(batch.defaults).toEqual([1, 8, 32]);
    expect(l.figures.filter((f) => f.goal).map((f) => [f.name, f.goal])).toEqual([['tiles', 'min'], ['throughput', 'max']]);
  });
});

describe('firmflow sweep on AIE: int8 QDQ jet tagger 16-64-32-32-5', () => {
  let results: SweepResult[] = [];
  beforeAll(async () => {
    // Every axis over its defaults, in this process.
    const r = await sweep({ model: JET, convert: { backend: 'AIE' }, samples: 200, jobs: 0 });
    results = r.results;
    expect(r.reference).toMatch(/^onnxruntime/);
    expect(r.axes.every((a) => a.swept)).toBe(true);
  });

  it('sweeps the defaults: budget ladder x 3 roundings x 3 batches, every point planned', () => {
    const ladder = [...new Set(results.map((r) => r.point['aie.tileBudget']))];
    expect(results).toHaveLength(ladder.length * 9);
    for (const r of results) expect(r.error, JSON.stringify(r.point)).toBeNull();
    for (const r of results) expect(r.estimate!['rowsPerIteration']).toBe(r.point['aie.batch']);
  });

  it('tiles stay within the budget and throughput never falls as the budget grows; errors do not move', () => {
    let grew = 0;
    for (const g of groupsAlong(results, 'aie.tileBudget')) {
      for (let i = 0; i < g.length; i++) {
        expect(g[i].estimate!['tiles']!).toBeLessThanOrEqual(g[i].point['aie.tileBudget'] as number);
        if (i === 0) continue;
        expect(g[i].point['aie.tileBudget']).toBeGreaterThan(g[i - 1].point['aie.tileBudget'] as number);
        expect(g[i].estimate!['throughput']!).toBeGreaterThanOrEqual(g[i - 1].estimate!['throughput']!);
        if (g[i].estimate!['throughput']! > g[i - 1].estimate!['throughput']!) grew++;
        // Tiling does not change the arithmetic.
        expect(g[i].maxAbsError).toBe(g[0].maxAbsError);
        expect(g[i].meanAbsError).toBe(g[0].meanAbsError);
      }
    }
    expect(grew).toBeGreaterThan(0);
  });

  it('rounding modes: the model rounding is conv_even (bit-exact), symmetric_inf differs on ties, floor is biased', async () => {
    const at = (rounding: string): SweepResult[] => results.filter((r) => r.point['aie.rounding'] === rounding);
    for (const r of at('model')) expect([r.maxAbsError, r.meanAbsError]).toEqual([0, 0]);
    const sym = at('symmetric_inf'), floor = at('floor');
    for (const r of sym) expect(r.meanAbsError!).toBeGreaterThan(0);
    for (const r of floor) expect(r.meanAbsError!).toBeGreaterThan(10 * sym[0].meanAbsError!);
    // Rows are independent: the batch does not change the arithmetic either.
    for (const g of [sym, floor]) for (const r of g) expect(r.meanAbsError).toBe(g[0].meanAbsError);
    // The rounding does not change the plan.
    for (const g of groupsAlong(results, 'aie.rounding')) for (const r of g) expect(r.estimate).toEqual(g[0].estimate);
    // conv_even named explicitly is the model's rounding.
    const conv = await sweep({ model: JET, convert: { backend: 'AIE' }, axes: { 'aie.rounding': ['conv_even', 'model'] }, samples: 200, jobs: 0 });
    expect(conv.results.map((r) => [r.point['aie.rounding'], r.maxAbsError])).toEqual([['conv_even', 0], ['model', 0]]);
    // Axes not named stay at the base options (the whole device, 8 rows per iteration).
    expect(conv.results[0].point).toMatchObject({ 'aie.tileBudget': 304, 'aie.batch': 8 });
  });

  it('marks the Pareto front of (error, tiles, -throughput) exactly', () => {
    const front = bruteFront(results.map(rowOf));
    expect(results.map((r) => r.pareto)).toEqual(front);
    expect(front.some((x) => x)).toBe(true);
    expect(front.some((x) => !x)).toBe(true);
    // Only the exact rounding can be on it: the others are worse in error at the same plan.
    for (const r of results) if (r.pareto) expect(r.point['aie.rounding']).toBe('model');
  });
});

describe.skipIf(!HAVE_SHARED_MODEL)('firmflow sweep on AIE: ../shared/models/qdq_int8_mlp_pow2.onnx', () => {
  it('a tile budget sweep: monotone throughput, tiles within budget, identical errors, exact front', async () => {
    const budgets = [3, 4, 8, 16, 32, 64, 304];
    const r = await sweep({ model: SHARED, convert: { backend: 'AIE' }, axes: { 'aie.tileBudget': budgets, 'aie.rounding': ['model', 'floor'] }, samples: 256, jobs: 0 });
    // Grid order follows the backend's axes (tile budget slowest), whatever order they are named in.
    expect(r.results.map((x) => [x.point['aie.tileBudget'], x.point['aie.rounding']])).toEqual(budgets.flatMap((b) => [[b, 'model'], [b, 'floor']]));
    for (const x of r.results) expect(x.error).toBeNull();
    for (const g of groupsAlong(r.results, 'aie.tileBudget')) {
      for (let i = 0; i < g.length; i++) {
        expect(g[i].estimate!['tiles']!).toBeLessThanOrEqual(budgets[i]);
        expect(g[i].meanAbsError).toBe(g[0].meanAbsError);
        expect(g[i].maxAbsError).toBe(g[0].maxAbsError);
        if (i) expect(g[i].estimate!['throughput']!).toBeGreaterThanOrEqual(g[i - 1].estimate!['throughput']!);
      }
      // More tiles buy throughput somewhere along the ladder.
      expect(g[g.length - 1].estimate!['throughput']!).toBeGreaterThan(g[0].estimate!['throughput']!);
    }
    const model = r.results.filter((x) => x.point['aie.rounding'] === 'model');
    const floor = r.results.filter((x) => x.point['aie.rounding'] === 'floor');
    expect(model[0].maxAbsError).toBe(0);
    expect(floor[0].meanAbsError!).toBeGreaterThan(0);
    expect(r.results.map((x) => x.pareto)).toEqual(bruteFront(r.results.map(rowOf)));
  });
});

describe('firmflow sweep --backend AIE (command line, worker processes)', () => {
  beforeAll(() => ensureBuilt());

  it('writes the CSV with the documented columns and the front of its own numbers', async () => {
    const csv = join(tmp, 'aie.csv');
    const c = capture();
    const code = await run(['node', 'firmflow', 'sweep', JET, '-b', 'AIE', '--axis', 'aie.tileBudget=4,8,16,64', '--axis', 'aie.rounding=model,floor', '-n', '64', '-j', '2', '--csv', csv], c.io);
    expect(code, c.err()).toBe(0);
    const text = readFileSync(csv, 'utf8');
    expect(text.split('\n')[0]).toBe('tile_budget,rounding,batch,max_abs_error,mean_abs_error,argmax_agreement,tiles,throughput_sps,latency_cycles,latency_ns,ii,rows_per_iteration,memory_tiles,tile_memory_bytes,memtile_bytes,bit_exact,pareto,error');
    const rows = parseCsv(text);
    expect(rows.map((r) => [r['tile_budget'], r['rounding'], r['batch']])).toEqual([
      ['4', 'model', '8'], ['4', 'floor', '8'], ['8', 'model', '8'], ['8', 'floor', '8'],
      ['16', 'model', '8'], ['16', 'floor', '8'], ['64', 'model', '8'], ['64', 'floor', '8'],
    ]);
    for (const r of rows) {
      expect(r['error']).toBe('');
      expect(Number(r['tiles'])).toBeLessThanOrEqual(Number(r['tile_budget']));
      expect(Number(r['latency_ns'])).toBeGreaterThan(0);
    }
    const front = bruteFront(rows.map((r) => ({ ok: r['error'] === '', err: Number(r['mean_abs_error']), tiles: Number(r['tiles']), tput: Number(r['throughput_sps']) })));
    expect(rows.map((r) => r['pareto'] === 'true')).toEqual(front);
    expect(c.out()).toContain('* = Pareto front of (mean |error|, tiles, max throughput)');
    const table = c.out().split('\n').filter((l) => /\s(model|floor)\s/.test(l));
    expect(table).toHaveLength(8);
    expect(table.map((l) => l.startsWith('*'))).toEqual(front);
    // The same points in this process measure the same numbers.
    const again = await sweep({ model: JET, convert: { backend: 'AIE' }, axes: { 'aie.tileBudget': [4, 8, 16, 64], 'aie.rounding': ['model', 'floor'] }, samples: 64, jobs: 0 });
    expect(again.results.map((r) => [r.meanAbsError, r.estimate!['tiles'], r.estimate!['throughput']])).toEqual(rows.map((r) => [Number(r['mean_abs_error']), Number(r['tiles']), Number(r['throughput_sps'])]));
  });

  it('lists the axes, and refuses bad axes with a message naming them', async () => {
    let c = capture();
    expect(await run(['node', 'firmflow', 'sweep', JET, '-b', 'AIE', '--list-axes'], c.io), c.err()).toBe(0);
    expect(c.out()).toMatch(/aie\.tileBudget\s+4,8,16/);
    expect(c.out()).toMatch(/aie\.rounding\s+model,floor,symmetric_inf/);
    expect(c.out()).toMatch(/throughput\s+throughput_sps\s+maximized/);
    const FLOAT = join(REPO, 'models/jet_tagger.onnx');
    for (const [model, args, msg] of [
      [JET, ['--axis', 'aie.tileBudget=400'], /axis 'aie.tileBudget': 400 exceeds the 304 tiles of AIE-ML/],
      [JET, ['--axis', 'aie.tileBudget=0'], /axis 'aie.tileBudget': expected a positive integer, got '0'/],
      [JET, ['--axis', 'aie.rounding=nearest'], /axis 'aie.rounding': 'nearest' is not 'model' or one of floor, ceil/],
      [JET, ['--axis', 'aie.casLength=2'], /backend 'AIE' has no sweep axis 'aie.casLength' \(its axes: aie.tileBudget, aie.rounding, aie.batch\)/],
      [JET, ['--axis', 'aie.tileBudget=8', '-O', 'aie.tileBudget=4'], /option 'aie.tileBudget' is set by the conversion options and swept as an axis/],
      [JET, ['--axis', 'aie.tileBudget'], /expected NAME=v1,v2/],
      [JET, ['--precision', 'fixed<16,6>', '--reuse', '1'], /backend 'AIE' does not use the precision or the reuse factor.*--axis aie.tileBudget=4,8,16/],
      // The float jet tagger runs the bf16 kernels, whose rounding is fixed.
      [FLOAT, ['--axis', 'aie.rounding=floor'], /axis 'aie.rounding': this model runs the bf16 kernels/],
    ] as [string, string[], RegExp][]) {
      c = capture();
      expect(await run(['node', 'firmflow', 'sweep', model, '-b', 'AIE', '-n', '4', '-j', '1', ...args], c.io), args.join(' ')).toBe(1);
      expect(c.err()).toMatch(msg);
      expect(c.err()).not.toMatch(/\n\s+at /);
    }
  });
});
