import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBackend, resetPlugins, resetRegistry, runCli } from 'firmflow';
import { registerFlow, registerPass, unregisterFlow, unregisterPass } from '../../src/pipeline/flows.js';
import { ensureBuilt } from '../cli/build.js';
import { REPO } from '../fixtures/project.js';
import { start } from './cli.js';

/** The exit-code contract at the CLI's top level, and signals during plugin loading. */
let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-exit-'));
  const self = join(dir, 'self');
  mkdirSync(self);
  writeFileSync(join(self, 'package.json'), JSON.stringify({ name: 'firmflow-test-self' }));
  resetPlugins({ cwd: dir, envPlugins: '', selfRoot: self });
});
afterAll(() => {
  resetRegistry();
  resetPlugins();
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { io: { out(t: string): void; err(t: string): void; isTTY: boolean }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (t) => { out += t; }, err: (t) => { err += t; }, isTTY: false }, out: () => out, err: () => err };
}

describe('exit codes', () => {
  it("a JavaScript error in firmflow's own code is exit 2, 'internal error, please report', one line of cause, no stack", async () => {
    // A pass registered as firmflow's own (source 'firmflow'): its TypeError is a firmflow bug, not bad input.
    registerFlow({ name: 'broken', passes: [] }, 'firmflow');
    registerPass({ name: 'broken:pass', match: 'graph', transform: () => (undefined as unknown as { shape: number }).shape }, { flow: 'broken' }, 'firmflow');
    registerBackend('Broken', { flows: ['broken'] });
    try {
      const c = capture();
      const code = await runCli(['node', 'firmflow', 'convert', join(REPO, 'models/jet_tagger.onnx'), '-b', 'Broken', '-o', join(dir, 'out')], c.io);
      expect(code).toBe(2);
      expect(c.err()).toBe("internal error, please report: TypeError: Cannot read properties of undefined (reading 'shape')\n(run again with --verbose for the stack trace)\n");
      const v = capture();
      expect(await runCli(['node', 'firmflow', 'convert', join(REPO, 'models/jet_tagger.onnx'), '-b', 'Broken', '-o', join(dir, 'out'), '--verbose'], v.io)).toBe(2);
      expect(v.err()).toMatch(/\n\s+at /);
    } finally {
      unregisterPass('broken:pass');
      unregisterFlow('broken');
      resetRegistry();
    }
  });

  it('a bad-input error prints its message as one escaped paragraph', async () => {
    const c = capture();
    const p = join(dir, 'not-a-model\u001b[2J.onnx');
    writeFileSync(p, 'plain text\n\n\nwith blank lines');
    expect(await runCli(['node', 'firmflow', 'inspect', p], c.io)).toBe(1);
    expect(c.err()).toMatch(/^error: not-a-model\\x1b\[2J\.onnx: not an ONNX model/);
    expect(c.err().trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('signals', () => {
  it('SIGTERM ends the CLI promptly while a plugin hangs in register', async () => {
    const plugin = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/hang-register.mjs');
    const r = start(['backends'], { FIRMFLOW_BACKEND_PLUGINS: plugin, FIRMFLOW_PLUGIN_TIMEOUT_MS: '60000' });
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.child.exitCode).toBeNull();
    r.child.kill('SIGTERM');
    const e = await r.exited(3000);
    expect(e.code).toBe(143);
    expect(e.ms).toBeLessThan(2000);
  });
});
