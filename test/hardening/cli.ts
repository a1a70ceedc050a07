import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../fixtures/project.js';

export const BIN = join(REPO, 'bin/firmflow.js');
export const STACK = /\n\s+at .+[:(]\d+/;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built CLI to completion (with a time limit, so a hang fails the test instead of stalling it). */
export function cli(args: string[], env: Record<string, string> = {}, cwd = REPO, timeout = 60_000): CliResult {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout, env: { ...process.env, FIRMFLOW_BACKEND_PLUGINS: '', ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** A CLI child running in the background, with its stderr collected and a way to wait for a line in it. */
export interface Running {
  child: ChildProcess;
  stderr(): string;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export function start(args: string[], env: Record<string, string> = {}, cwd = REPO): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, FIRMFLOW_BACKEND_PLUGINS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += String(d); });
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((res) => child.on('exit', (code, signal) => res({ code, signal, at: Date.now() })));
  return {
    child,
    stderr: () => err,
    async waitFor(text, timeoutMs = 30_000) {
      const t0 = Date.now();
      while (!err.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the CLI exited before '${text}': ${err}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`'${text}' did not appear within ${timeoutMs} ms: ${err}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async exited(timeoutMs = 10_000) {
      const t0 = Date.now();
      const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`the CLI did not exit within ${timeoutMs} ms: ${err}`)), timeoutMs).unref());
      const r = await Promise.race([done, timer]);
      return { code: r.code, signal: r.signal, ms: r.at - t0 };
    },
  };
}
