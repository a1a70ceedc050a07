import { createHash } from 'node:crypto';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FirmflowError } from '../errors.js';

/*
 * What the backends' `compile` share (issue 15): a lock on a build folder, so two compiles of one project never
 * write the same files at once; a private temporary folder per build whose finished outputs are renamed into
 * place; and a stamp that records the content hash of every output, so a 0-byte binary left by a killed link is
 * never "up to date". A generated project the compiler rejects is firmflow's bug, not bad input: that error is not
 * a FirmflowError (the CLI reports exit 2 with the compiler log's path).
 */

/** How long a compile waits for another one holding the lock, in ms (default 10 minutes). */
export const BUILD_LOCK_WAIT_ENV = 'FIRMFLOW_BUILD_LOCK_WAIT_MS';
const DEFAULT_LOCK_WAIT_MS = 600_000;
const LOCK_FILE = '.firmflow-build.lock';
const TMP_PREFIX = '.firmflow-build-';

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock file, or says who holds it. */
function tryLock(file: string): { ok: true } | { ok: false; pid: number } {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return { ok: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  let pid = 0;
  try { pid = Number(readFileSync(file, 'utf8').trim()); } catch { /* removed meanwhile: try again */ }
  return { ok: false, pid };
}

function ageMs(file: string): number {
  try { return Date.now() - statSync(file).mtimeMs; } catch { return 0; }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Holders of the locks this process took (the same process may build two folders, never one twice at once). */
const inProcess = new Set<string>();

function lockWait(waitMs?: number): number {
  const env = Number(process.env[BUILD_LOCK_WAIT_ENV]);
  return waitMs ?? (process.env[BUILD_LOCK_WAIT_ENV] !== undefined && Number.isFinite(env) && env >= 0 ? env : DEFAULT_LOCK_WAIT_MS);
}

/** One attempt at the lock: taken, retry at once (a stale lock was removed), or held by `pid`. */
function attempt(file: string): 'taken' | 'again' | { pid: number } {
  const got = tryLock(file);
  if (got.ok) return 'taken';
  // A lock whose process is gone (kill -9), one with our PID that no build of ours holds (PID reuse), or one
  // without a PID for a while (its process died between creating and writing it): stale.
  const dead = got.pid ? got.pid !== process.pid && !isAlive(got.pid) : ageMs(file) > 2000;
  if (dead || (got.pid === process.pid && !inProcess.has(file))) {
    rmSync(file, { force: true });
    return 'again';
  }
  return { pid: got.pid };
}

function busy(dir: string, pid: number, what?: string): FirmflowError {
  return new FirmflowError('project.busy', `${what ?? dir} is being built by another compile (process ${pid || '?'}); try again when it has finished`, { pid });
}

interface LockOptions {
  /** How long to wait for another build, in ms (default $FIRMFLOW_BUILD_LOCK_WAIT_MS, else 10 minutes). */
  waitMs?: number;
  /** What is built, for the busy message. */
  what?: string;
}

/**
 * Runs `build` holding the lock of the folder `dir` (created if missing). Another process's or this process's
 * other build of the same folder is waited for, then refused as busy; a lock whose process is gone is taken over.
 */
export async function withBuildLock<T>(dir: string, build: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const waitMs = lockWait(opts.waitMs);
  const t0 = Date.now();
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const a = attempt(file);
    if (a === 'taken') break;
    if (a === 'again') continue;
    if (Date.now() - t0 >= waitMs) throw busy(dir, a.pid, opts.what);
    await sleep(delay);
  }
  inProcess.add(file);
  try {
    return await build();
  } finally {
    inProcess.delete(file);
    rmSync(file, { force: true });
  }
}

/** withBuildLock for synchronous builds (the wait blocks the thread, as the build itself does). */
export function withBuildLockSync<T>(dir: string, build: () => T, opts: LockOptions = {}): T {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const waitMs = lockWait(opts.waitMs);
  const t0 = Date.now();
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    const a = attempt(file);
    if (a === 'taken') break;
    if (a === 'again') continue;
    if (a.pid === process.pid) throw busy(dir, a.pid, opts.what); // a synchronous build of ours cannot end while we wait
    if (Date.now() - t0 >= waitMs) throw busy(dir, a.pid, opts.what);
    Atomics.wait(pause, 0, 0, delay);
  }
  inProcess.add(file);
  try {
    return build();
  } finally {
    inProcess.delete(file);
    rmSync(file, { force: true });
  }
}

/**
 * A fresh private folder for one build's outputs inside `dir`; folders of earlier builds (killed ones: the caller
 * holds the lock, so no other build is running) are removed first.
 */
export function freshBuildTemp(dir: string): string {
  for (const e of existsSync(dir) ? readdirSync(dir) : []) if (e.startsWith(TMP_PREFIX)) rmSync(join(dir, e), { recursive: true, force: true });
  const tmp = join(dir, `${TMP_PREFIX}${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  return tmp;
}

/** The SHA-256 of a file, or undefined when it is not a non-empty regular file. */
export function outputHash(file: string): string | undefined {
  try {
    const st = lstatSync(file);
    if (!st.isFile() || st.size === 0) return undefined;
  } catch {
    return undefined;
  }
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** What a finished build recorded: the hash of its inputs and of each output (by path relative to the stamp's folder). */
export interface BuildStamp {
  inputs: string;
  outputs: Record<string, string>;
}

/** Writes the stamp of a finished build (atomically: a killed write leaves the previous stamp or none). */
export function writeBuildStamp(file: string, inputs: string, outputs: Record<string, string>): void {
  const hashes: Record<string, string> = {};
  for (const [name, path] of Object.entries(outputs)) {
    const h = outputHash(path);
    if (!h) throw new Error(`build output ${path} is missing or empty after a successful build`);
    hashes[name] = h;
  }
  const stamp: BuildStamp = { inputs, outputs: hashes };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(stamp)}\n`);
  renameSync(tmp, file);
}

/** Whether the stamp says the build of `inputs` is done and every output still has the content it recorded. */
export function buildUpToDate(file: string, inputs: string, outputs: Record<string, string>): boolean {
  let stamp: BuildStamp;
  try {
    stamp = JSON.parse(readFileSync(file, 'utf8')) as BuildStamp;
  } catch {
    return false;
  }
  if (!stamp || stamp.inputs !== inputs || typeof stamp.outputs !== 'object' || stamp.outputs === null) return false;
  return Object.entries(outputs).every(([name, path]) => typeof stamp.outputs[name] === 'string' && outputHash(path) === stamp.outputs[name]);
}

/** Moves finished outputs from a build's temporary folder into place (`rename`, atomic per file). */
export function commitOutputs(moves: { from: string; to: string }[]): void {
  for (const m of moves) renameSync(m.from, m.to);
}

/**
 * The error of a generated project the C++ compiler rejected: firmflow wrote code that does not compile, so it is
 * an internal error (exit 2), with the path of the full compiler log.
 */
export function generatedCodeError(log: string, excerpt: string): Error {
  const first = excerpt.split('\n').find((l) => /error/i.test(l)) ?? excerpt.split('\n')[0] ?? '';
  return new Error(`generated C++ did not compile (compiler log: ${log}): ${first.trim()}`);
}
