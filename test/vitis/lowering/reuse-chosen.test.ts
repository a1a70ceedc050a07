import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFirmflowError } from 'firmflow';
import { formatEstimate } from '../../../backends/vitis/estimate/index.js';
import { hlsOf } from '../../../backends/vitis/lowered.js';
import { reuseForLimit } from '../../../backends/vitis/passes/reuse.js';
import { converted } from '../acceptance/build.js';
import { mlp } from '../models.js';

/*
 * Issue 12, item 2: with no reuse factor configured, a layer whose reuse factor 1 is over the io_parallel limit of
 * 4096 multipliers gets the smallest valid reuse factor that fits (said per layer, recorded in firmflow.json and
 * the estimate); an explicit value stays the user's (invalid: refused with the nearest valid values).
 */
const BIG = mlp([490, 256, 100, 100, 10]);

function dense(p: { graph: { nodes: Map<string, { name: string; op: string; meta: Record<string, unknown> }> } }, name: string) {
  return hlsOf([...p.graph.nodes.values()].find((n) => n.name === name || (n as { origin?: { name: string } }).origin?.name === name) as never);
}

describe('reuse factor chosen when none is given (io_parallel)', () => {
  it('the smallest valid reuse factor within 4096 multipliers', () => {
    // 490 x 256 = 125,440: R >= 31; 35 is the first that divides 490 and the total.
    expect(reuseForLimit(490, 256)).toBe(35);
    // 100 x 100 = 10,000: R >= 3; 3 does not divide the total, 4 does and divides 100.
    expect(reuseForLimit(100, 100)).toBe(4);
    expect(reuseForLimit(16, 64)).toBe(1);
  });

  it('Dense 490x256 and 100x100 convert at default settings with the chosen factors, said per layer', async () => {
    const p = await converted(BIG);
    expect(dense(p, 'fc1')).toMatchObject({ reuseFactor: 35, reuseFactorChosen: true });
    // 256 x 100 = 25,600: R >= 7; 7 does not divide 256, 8 does.
    expect(dense(p, 'fc2')).toMatchObject({ reuseFactor: 8, reuseFactorChosen: true });
    expect(dense(p, 'fc3')).toMatchObject({ reuseFactor: 4, reuseFactorChosen: true });
    // 100 x 10 fits at 1: nothing chosen.
    expect(dense(p, 'fc4').reuseFactor).toBe(1);
    expect(dense(p, 'fc4').reuseFactorChosen).toBeUndefined();
    const said = p.warnings.filter((w) => /reuse factor \d+ chosen/.test(w));
    expect(said).toHaveLength(3);
    expect(said[0]).toMatch(/^layer 'fc1' \(Dense, from Gemm\): reuse factor 35 chosen .*125440 multipliers, over the io_parallel limit of 4096; 35 is the smallest valid one for its 490 x 256 multiplications/);
    // The estimate marks them, firmflow.json records them.
    const text = formatEstimate((p as unknown as { estimate(): Parameters<typeof formatEstimate>[0] }).estimate());
    expect(text).toMatch(/fc1\s+\S+\s+35\*/);
    expect(text).toMatch(/\* reuse factor chosen/);
    const dir = join(mkdtempSync(join(tmpdir(), 'firmflow-reuse-')), 'prj');
    await p.write(dir);
    const layers = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8')).layers as { name: string; reuseFactor: number; reuseFactorChosen?: boolean }[];
    expect(layers.find((l) => l.name === 'fc1')).toMatchObject({ reuseFactor: 35, reuseFactorChosen: true });
    expect(layers.find((l) => l.name === 'fc4')?.reuseFactorChosen).toBeUndefined();
  });

  it('an explicit reuse factor is kept: 1 stays over the limit (refused), an invalid one names the nearest valid values', async () => {
    const over = await converted(BIG, { reuseFactor: 1 }).catch((e: unknown) => e);
    expect(isFirmflowError(over)).toBe(true);
    expect((over as Error).message).toMatch(/layer 'fc1' \(Dense, from Gemm\): 490 x 256 multiplications at reuse factor 1 unroll 125440 multipliers.*at least 35/);
    const bad = await converted(BIG, { reuseFactor: 36 }).catch((e: unknown) => e);
    expect(isFirmflowError(bad)).toBe(true);
    expect((bad as Error).message).toMatch(/layer 'fc1' \(Dense, from Gemm\): reuse factor 36 \(option 'reuseFactor'\) is not valid for its 490 x 256 multiplications; the nearest valid values are 35 and 49/);
    // io_stream has no multiplier limit: nothing chosen.
    const s = await converted(BIG, { io: 'stream' });
    expect(dense(s, 'fc1').reuseFactor).toBe(1);
  });
});
