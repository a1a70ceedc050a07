import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/build.js';
import { REPO } from '../fixtures/project.js';
import { cli, start } from './cli.js';

/**
 * Atomic convert under kill -9: a CLI child is paused at each phase of the write (test hook
 * FIRMFLOW_TEST_HOLD_WRITE), killed with SIGKILL, and the next run must find the target whole (old or new tree,
 * never partial) and leave no side folder behind.
 */
const MODEL = join(REPO, 'models/jet_tagger.onnx');
let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-atomic-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const side = (): string[] => readdirSync(dir).filter((n) => n.includes('.firmflow-'));
/** The precision the project in `out` was written with (from its firmflow.json). */
const precisionOf = (out: string): string => JSON.parse(readFileSync(join(out, 'firmflow.json'), 'utf8')).options.precision;

async function killAt(phase: string, args: string[]): Promise<void> {
  const r = start(args, { FIRMFLOW_TEST_HOLD_WRITE: phase });
  await r.waitFor(`holding write at ${phase}`);
  r.child.kill('SIGKILL');
  const e = await r.exited();
  expect(e.signal).toBe('SIGKILL');
}

describe('atomic convert under kill -9', () => {
  it('a run killed while filling leaves a temp folder that the next run removes', async () => {
    const out = join(dir, 'fresh');
    await killAt('created', ['convert', MODEL, '-b', 'Vitis', '-o', out]);
    expect(side()).toHaveLength(1);
    expect(side()[0]).toMatch(/^\.fresh\.firmflow-tmp-\d+-[0-9a-f]+$/);
    const again = cli(['convert', MODEL, '-b', 'Vitis', '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(side()).toEqual([]);
  });

  it('--force killed before the exchange keeps the old tree; killed mid-exchange, the next run puts the new one in', async () => {
    const out = join(dir, 'swap');
    expect(cli(['convert', MODEL, '-b', 'Vitis', '-o', out, '--precision', 'fixed<18,8>']).code).toBe(0);

    await killAt('filled', ['convert', MODEL, '-b', 'Vitis', '-o', out, '--force', '--precision', 'fixed<10,4>']);
    expect(precisionOf(out)).toBe('fixed<18,8>');
    expect(side()).toHaveLength(1);

    await killAt('swapped-out', ['convert', MODEL, '-b', 'Vitis', '-o', out, '--force', '--precision', 'fixed<12,5>']);
    // The target name is empty now, with the complete new tree and the old one beside it (and the earlier leftover).
    expect(readdirSync(dir)).not.toContain('swap');
    // A run without --force first completes the interrupted exchange (the new tree), then refuses to overwrite it.
    const next = cli(['convert', MODEL, '-b', 'Vitis', '-o', out]);
    expect(next.code, next.stderr).toBe(1);
    expect(next.stderr).toMatch(/already exists/);
    expect(precisionOf(out)).toBe('fixed<12,5>');
    expect(side()).toEqual([]);
  });

  it('SIGTERM during the write ends the process promptly and removes its temp folder', async () => {
    const out = join(dir, 'term');
    const r = start(['convert', MODEL, '-b', 'Vitis', '-o', out], { FIRMFLOW_TEST_HOLD_WRITE: 'created' });
    await r.waitFor('holding write at created');
    r.child.kill('SIGTERM');
    const e = await r.exited(3000);
    expect(e.code).toBe(143);
    expect(e.ms).toBeLessThan(3000);
    expect(side()).toEqual([]);
    expect(readdirSync(dir)).not.toContain('term');
  });

  it('SIGTERM in the middle of a --force exchange leaves a whole tree under the name and no side folder', async () => {
    const out = join(dir, 'term-swap');
    expect(cli(['convert', MODEL, '-b', 'Vitis', '-o', out, '--precision', 'fixed<18,8>']).code).toBe(0);
    const r = start(['convert', MODEL, '-b', 'Vitis', '-o', out, '--force', '--precision', 'fixed<12,5>'], { FIRMFLOW_TEST_HOLD_WRITE: 'swapped-out' });
    await r.waitFor('holding write at swapped-out');
    r.child.kill('SIGTERM');
    expect((await r.exited(3000)).code).toBe(143);
    // The complete new tree was already written: the interrupted exchange is finished, not left half-done.
    expect(precisionOf(out)).toBe('fixed<12,5>');
    expect(side()).toEqual([]);
  });
});
