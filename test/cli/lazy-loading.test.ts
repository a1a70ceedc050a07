import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../fixtures/project.js';
import { ensureBuilt } from './build.js';

/*
 * Issue 16: commands load only what they use. A probe preloaded into the CLI's process prints, at exit, the npm
 * packages Node's CommonJS loader holds. What is loaded, never how long it took.
 */
const PROBE = pathToFileURL(join(REPO, 'test/fixtures/loaded-packages-probe.mjs')).href;

function loadedBy(args: string[]): { status: number | null; packages: string[]; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', PROBE, join(REPO, 'bin/firmflow.js'), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const line = /LOADED-PACKAGES (.*)/.exec(r.stderr);
  if (!line) throw new Error(`the probe printed nothing (status ${r.status}): ${r.stderr}`);
  return { status: r.status, packages: JSON.parse(line[1]) as string[], stdout: r.stdout };
}

const HEAVY = ['yaml', 'protobufjs', 'ejs'];

describe('CLI start-up loads only what a command uses', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'firmflow-lazy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--version loads commander and none of yaml, protobufjs, EJS or graphology', () => {
    const r = loadedBy(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.packages).toContain('commander');
    for (const p of [...HEAVY, 'graphology-dag']) expect(r.packages).not.toContain(p);
  });

  it('backends loads the backends but none of yaml, protobufjs or EJS', () => {
    const r = loadedBy(['backends']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Vitis/);
    for (const p of HEAVY) expect(r.packages).not.toContain(p);
  });

  it('convert does load protobufjs and EJS (the probe sees lazy loads)', () => {
    const r = loadedBy(['convert', join(REPO, 'models/jet_tagger.onnx'), '-b', 'Vitis', '-o', join(dir, 'jet')]);
    expect(r.status).toBe(0);
    expect(r.packages).toContain('protobufjs');
    expect(r.packages).toContain('ejs');
    expect(r.packages).not.toContain('yaml');
  });

  it('a YAML config file loads yaml when it is read', () => {
    const config = join(dir, 'config.yml');
    writeFileSync(config, 'backend: Vitis\nprojectName: from_yaml\n');
    const r = loadedBy(['convert', join(REPO, 'models/jet_tagger.onnx'), '-c', config, '-o', join(dir, 'yaml')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/backend Vitis/);
    expect(r.packages).toContain('yaml');
  });
});
