import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { validate, type JsonSchema } from '../../src/bench/schema.js';
import type { BenchReport } from '../../src/bench/types.js';
import { REPO } from '../fixtures/project.js';

export const SCHEMA = JSON.parse(readFileSync(join(REPO, 'docs/schema/bench-report.v1.json'), 'utf8')) as JsonSchema;

/** Validates a report (as JSON text round trip, the way a consumer reads it) against the v1 schema. */
export function expectValid(report: BenchReport | unknown): void {
  const parsed = JSON.parse(JSON.stringify(report));
  expect(validate(SCHEMA, parsed)).toEqual([]);
}

export function capture(): { io: { out(t: string): void; err(t: string): void; isTTY: boolean }; out: () => string; err: () => string } {
  let o = '', e = '';
  return { io: { out: (t) => { o += t; }, err: (t) => { e += t; }, isTTY: false }, out: () => o, err: () => e };
}

/** Debian's chromium, when installed (CI installs it; a user's machine may not have it). */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--mute-audio'];

/** Runs headless Chromium on a local file with a fresh profile: `--dump-dom` (returns the DOM) or `--screenshot=file`. */
export function chromium(args: string[], file: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'firmflow-chromium-'));
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM!, [...FLAGS, `--user-data-dir=${profile}`, ...args, `file://${file}`], { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}
