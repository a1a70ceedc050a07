import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/build.js';
import { cli, STACK } from './cli.js';
import { bundledModels, messageProblem, runFuzz } from './fuzz-run.js';
import { fuzzCase } from './mutate.js';

/**
 * Seeded mutation fuzzing of the bundled models. The suite runs FIRMFLOW_FUZZ_COUNT (default 500) cases in-process
 * through the API and a sample through the CLI; `npm run fuzz` runs 5,000 (figure in docs/RELIABILITY.md).
 * A failing case is reproduced by its seed and index: fuzzCase(seed, index, bundledModels()).
 */
const COUNT = Number(process.env.FIRMFLOW_FUZZ_COUNT ?? 500);
const SEED = Number(process.env.FIRMFLOW_FUZZ_SEED ?? 15);
const CLI_SAMPLE = 16;

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-fuzz-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fuzz', () => {
  it(`${COUNT} mutated models: exit 0 or 1 with a one-paragraph message, never an internal error or a hang`, async () => {
    const outcomes = await runFuzz(SEED, COUNT);
    const bad = outcomes.filter((o) => o.exit === 2 || (o.exit === 1 && messageProblem(o.message!)) || o.ms > 5000);
    const byExit = [0, 1, 2].map((x) => outcomes.filter((o) => o.exit === x).length);
    const kinds = ['bytes', 'structure'].map((k) => outcomes.filter((o) => o.case.kind === k).length);
    const external = outcomes.filter((o) => /external data/.test(o.message ?? '')).length;
    const pipes = outcomes.filter((o) => /named pipe/.test(o.message ?? '')).length;
    console.log(`fuzz seed ${SEED}: ${COUNT} models (${kinds[0]} byte, ${kinds[1]} structural mutations): exit 0: ${byExit[0]}, exit 1: ${byExit[1]} (${external} on external data, ${pipes} of them a named pipe), exit 2: ${byExit[2]}; slowest ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms`);
    for (const o of bad.slice(0, 20)) console.log(`#${o.case.index} ${o.case.base} ${o.case.kind} exit ${o.exit} ${o.ms.toFixed(0)} ms: ${messageProblem(o.message ?? '') ?? ''} ${o.message?.slice(0, 400)}`);
    expect(bad.map((o) => o.case.index)).toEqual([]);
    // Both outcomes occur: the mutations reach past the decoder, and some still convert.
    expect(byExit[0]).toBeGreaterThan(COUNT / 20);
    expect(byExit[1]).toBeGreaterThan(COUNT / 2);
    // External data reaches the file checks beside the model (a named pipe there would hang the run if opened).
    expect(external).toBeGreaterThan(0);
  }, 600_000);

  it(`a sample of ${CLI_SAMPLE} through the CLI: exit 0 or 1, no stack trace, one paragraph`, () => {
    const models = bundledModels();
    for (let i = 0; i < CLI_SAMPLE; i++) {
      const c = fuzzCase(SEED + 1, i, models);
      const path = join(dir, `case-${i}.onnx`);
      writeFileSync(path, c.bytes);
      const r = cli(['convert', path, '-b', 'Vitis', '-o', join(dir, `out-${i}`)], {}, undefined, 30_000);
      expect(r.signal, `case ${i}: ${r.stderr}`).toBeNull();
      expect([0, 1], `case ${i}: ${r.stderr}`).toContain(r.code);
      expect(r.stderr, `case ${i}`).not.toMatch(STACK);
      expect(r.stderr, `case ${i}`).not.toMatch(/\n\s*\n/);
    }
  }, 120_000);
});
