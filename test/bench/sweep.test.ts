import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bench } from '../../src/bench/run.js';
import { paretoFront } from '../../src/bench/sweep.js';
import { run } from '../../src/cli/main.js';
import { ensureBuilt } from '../cli/build.js';
import { REPO } from '../fixtures/project.js';
import { useVitisFull } from '../vitis/helpers.js';
import { capture } from './helpers.js';

/*
 * `firmflow sweep` on a 2x2 grid of the jet tagger in two worker processes (the workers run the built package):
 * the table and CSV hold every point, the accuracy of a point equals `bench` of the same configuration on the same
 * inputs, and the marked front is the Pareto front of the CSV's own numbers.
 */

const JET = join(REPO, 'models/jet_tagger.onnx');

beforeAll(async () => {
  ensureBuilt();
  await useVitisFull();
});

function parseCsv(text: string): Record<string, string>[] {
  const split = (line: string): string[] => {
    const cells: string[] = [];
    let cur = '', quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
    }
    cells.push(cur);
    return cells;
  };
  const [head, ...rows] = text.trim().split('\n').map(split);
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

describe('firmflow sweep', () => {
  it('evaluates a 2x2 grid in worker processes and marks the Pareto front', async () => {
    const csv = join(mkdtempSync(join(tmpdir(), 'firmflow-sweep-test-')), 'sweep.csv');
    const c = capture();
    const code = await run(['node', 'firmflow', 'sweep', JET, '-b', 'Vitis', '--reuse', '1,4', '--precision', 'fixed<16,6>,fixed<10,4>', '-n', '200', '--range=-4,4', '--jobs', '2', '--csv', csv], c.io);
    expect(code, c.err()).toBe(0);
    const rows = parseCsv(readFileSync(csv, 'utf8'));
    expect(rows.map((r) => [r['precision'], r['reuse_factor']])).toEqual([['fixed<16,6>', '1'], ['fixed<16,6>', '4'], ['fixed<10,4>', '1'], ['fixed<10,4>', '4']]);
    for (const r of rows) expect(r['error']).toBe('');
    const mean = rows.map((r) => Number(r['mean_abs_error']));
    // The reuse factor does not change the arithmetic; fewer fractional bits give larger errors.
    expect(mean[0]).toBe(mean[1]);
    expect(mean[2]).toBe(mean[3]);
    expect(mean[2]).toBeGreaterThan(mean[0] * 4);
    // The same configuration through bench, on the same seeded inputs, measures the same accuracy.
    const b = await bench({ model: JET, convert: { backend: 'Vitis', precision: 'fixed<16,6>' }, samples: 200, range: [-4, 4], csim: false });
    expect(Number(rows[0]['max_abs_error'])).toBe(b.accuracy.outputs[0].emulator!.maxAbsError);
    expect(mean[0]).toBeCloseTo(b.accuracy.outputs[0].emulator!.meanAbsError, 15);
    expect(Number(rows[0]['argmax_agreement'])).toBe(b.accuracy.outputs[0].emulator!.argmaxAgreement);
    // The marked front is the Pareto front of the printed objectives (error, and the estimates when there are some).
    const dims = ['latency_cycles', 'dsp', 'lut'].filter((d) => rows.some((r) => r[d] !== ''));
    const front = paretoFront(rows.map((r) => [Number(r['mean_abs_error']), ...dims.map((d) => Number(r[d]))]));
    expect(rows.map((r) => r['pareto'] === 'true')).toEqual(front);
    expect(front[0]).toBe(true);
    const table = c.out().split('\n').filter((l) => /fixed</.test(l));
    expect(table).toHaveLength(4);
    expect(table.map((l) => l.startsWith('*'))).toEqual(front);
  });

  it('refuses a bad grid with a message', async () => {
    for (const [args, msg] of [
      [['--reuse', '0,2', '--precision', 'fixed<16,6>'], /positive integers/],
      [['--reuse', '1', '--precision', 'fixed<16>'], /precision/],
      [['--reuse', '1', '--precision', 'fixed<16,6>', '-O', 'reuseFactor=2'], /from --precision and --reuse/],
    ] as [string[], RegExp][]) {
      const c = capture();
      expect(await run(['node', 'firmflow', 'sweep', JET, '-b', 'Vitis', ...args], c.io)).toBe(1);
      expect(c.err()).toMatch(msg);
    }
  });
});
