import { describe, expect, it } from 'vitest';
import { messageProblem, runFuzz } from './fuzz-run.js';

const COUNT = Number(process.env.FIRMFLOW_FUZZ_COUNT ?? 500);
const SEED = Number(process.env.FIRMFLOW_FUZZ_SEED ?? 15);

describe('fuzz', () => {
  it(`${COUNT} mutated models: exit 0 or 1 with a one-paragraph message, never an internal error`, async () => {
    const outcomes = await runFuzz(SEED, COUNT);
    const bad = outcomes.filter((o) => o.exit === 2 || (o.exit === 1 && messageProblem(o.message!)) || o.ms > 5000);
    const byExit = [0, 1, 2].map((x) => outcomes.filter((o) => o.exit === x).length);
    console.log(`fuzz seed ${SEED}: ${COUNT} models, exit 0: ${byExit[0]}, exit 1: ${byExit[1]}, exit 2: ${byExit[2]}, slowest ${Math.max(...outcomes.map((o) => o.ms)).toFixed(0)} ms`);
    for (const o of bad.slice(0, 30)) console.log(`#${o.case.index} ${o.case.base} ${o.case.kind} exit ${o.exit} ${o.ms.toFixed(0)} ms: ${messageProblem(o.message ?? '') ?? ''} ${o.message?.slice(0, 600)}`);
    expect(bad.map((o) => o.case.index)).toEqual([]);
  }, 600_000);
});
