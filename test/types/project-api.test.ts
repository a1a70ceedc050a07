import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/* The public API type-checks for a user under `strict`: project-api.ts, compiled by tsc with the package's settings. */

describe('the typed public API', () => {
  it('project.compile() / predict() / emulate() ... and backend option schemas type-check under strict', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(__dirname, 'tsconfig.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 180_000);
});
