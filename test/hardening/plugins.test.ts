import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../cli/build.js';
import { REPO } from '../fixtures/project.js';
import { cli, STACK } from './cli.js';

/** Misbehaving plugins, through the real CLI (a hang or a process.exit is only visible in a real process). */
const FIX = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const MODEL = join(REPO, 'models/jet_tagger.onnx');
const plugin = (f: string, extra: Record<string, string> = {}) => ({ FIRMFLOW_BACKEND_PLUGINS: join(FIX, f), FIRMFLOW_PLUGIN_TIMEOUT_MS: '400', ...extra });
let out: string;
beforeAll(() => {
  ensureBuilt();
  out = mkdtempSync(join(tmpdir(), 'firmflow-plugins-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('misbehaving plugins', () => {
  it.each([
    ['hang-import.mjs', /hang-import\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: importing it did not finish within 400 ms \(FIRMFLOW_PLUGIN_TIMEOUT_MS\); the plugin was skipped/],
    ['hang-register.mjs', /hang-register\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: its register function did not finish within 400 ms/],
    ['hang-timer.mjs', /hang-timer\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: its register function did not finish within 400 ms/],
  ])('%s: a hang becomes a warning naming the plugin, and the process ends (never exit 13)', (file, warning) => {
    const r = cli(['backends'], plugin(file), REPO, 15_000);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(warning);
    expect(r.stdout).toMatch(/^Vitis\s/m);
    expect(r.ms).toBeLessThan(8000);
  });

  it('the default timeout is 10 s and the variable changes it', () => {
    const r = cli(['backends'], { ...plugin('hang-register.mjs'), FIRMFLOW_PLUGIN_TIMEOUT_MS: '1500' }, REPO, 15_000);
    expect(r.stderr).toMatch(/did not finish within 1500 ms/);
    expect(r.ms).toBeGreaterThanOrEqual(1500);
  });

  it.each([
    ['exit-import.mjs', /exit-import\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: called process\.exit\(0\) while importing it ran; firmflow refused it/],
    ['exit-register.mjs', /exit-register\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: called process\.exit\(0\) while its register function ran; firmflow refused it/],
  ])('%s: process.exit inside plugin code is refused with a warning naming the plugin', (file, warning) => {
    const r = cli(['backends'], plugin(file));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(warning);
    expect(r.stdout).toMatch(/^Vitis\s/m);
    // What the plugin registered before it was refused is taken back.
    expect(r.stdout).not.toMatch(/Sneaky/);
  });

  it.each([
    ['pass', /^error: pass 'thrower:break' from plugin '.*thrower\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed: TypeError: Cannot read properties of undefined \(reading 'shape'\)$/],
    ['writer', /^error: writer 'Thrower' from plugin '.*thrower\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed: TypeError: writer exploded$/],
  ])('a JavaScript error in a plugin %s is exit 1 naming the plugin, without a stack', (where, message) => {
    const r = cli(['convert', MODEL, '-b', 'Thrower', '-o', join(out, where)], plugin('thrower.mjs', { THROW: where }));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a duplicate backend name is an error naming both sources; an explicit override replaces it', () => {
    const dup = cli(['backends'], plugin('dup-vitis.mjs'));
    expect(dup.code, dup.stderr).toBe(1);
    expect(dup.stderr).toMatch(/^error: backend 'vitis' from plugin '.*dup-vitis\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) is already registered by built-in \(as 'Vitis'\)/m);
    const over = cli(['backends', '--json'], plugin('override-vitis.mjs'));
    expect(over.code, over.stderr).toBe(0);
    const vitis = JSON.parse(over.stdout).find((b: { name: string }) => b.name === 'Vitis');
    expect(vitis).toMatchObject({ description: 'replacement', source: expect.stringMatching(/override-vitis\.mjs/) });
  });
});
