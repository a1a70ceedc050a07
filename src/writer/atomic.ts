import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FirmflowError } from '../errors.js';

export interface AtomicWriteOptions {
  /** Replace an existing folder (only once the new one is complete). */
  force?: boolean;
}

/**
 * Side folders of a write live beside the target as `.NAME.firmflow-KIND-PID-RANDOM`:
 * - `tmp`: being filled; incomplete, never worth keeping;
 * - `new`: complete, about to replace an existing target (--force);
 * - `old`: the replaced target, set aside until the new one is in place.
 * The PID lets the next write to the same target recognise leftovers of a process that is gone (kill -9, power
 * loss) and finish or undo what it was doing (see recoverLeftovers).
 */
type SideKind = 'tmp' | 'new' | 'old';
const SIDE_RE = /^\.(.+)\.firmflow-(tmp|new|old)-(\d+)-([0-9a-f]+)$/;

function sideName(target: string, kind: SideKind, tag: string): string {
  return join(dirname(target), `.${basename(target)}.firmflow-${kind}-${tag}`);
}

/** Writes in progress in this process: target -> its tag (for cleanup on SIGINT/SIGTERM). */
const pending = new Map<string, string>();

/**
 * Fills a folder atomically: `fill` writes into a fresh temporary sibling of `dir`, which is renamed into place
 * when `fill` returns. If `fill` throws, the temporary folder (and any parent folders this call created) are
 * removed and nothing else is touched. An existing `dir` is refused unless `force` is given; with `force` it is
 * exchanged for the new folder only once that is complete (see swapIn), and deleted after the exchange.
 */
export async function writeAtomically<T>(dir: string, fill: (tmpDir: string) => T | Promise<T>, opts: AtomicWriteOptions = {}): Promise<T> {
  const target = resolve(dir);
  const parent = dirname(target);
  recoverLeftovers(target);
  const exists = pathExists(target);
  if (exists) {
    if (!lstatSync(target).isDirectory()) throw new FirmflowError('output.exists', `${dir} exists and is not a folder; firmflow will not replace it`);
    if (!opts.force) throw new FirmflowError('output.exists', `output folder ${dir} already exists (use --force / { force: true } to replace it)`);
  }
  let createdParent: string | undefined;
  try {
    createdParent = mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new FirmflowError('output.dir', `cannot create ${parent}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = sideName(target, 'tmp', tag);
  mkdirSync(tmp);
  pending.set(target, tag);
  let result: T;
  try {
    await testHold('created');
    result = await fill(tmp);
    await testHold('filled');
    if (pathExists(target)) {
      if (!opts.force) throw new FirmflowError('output.exists', `output folder ${dir} appeared while writing (use --force to replace it)`);
      await swapIn(target, tmp, tag);
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Parents made for this output only are empty again; rmdir-like removal keeps anything else safe.
    if (createdParent) removeEmptyChain(createdParent, parent);
    throw e;
  } finally {
    pending.delete(target);
  }
  return result;
}

/**
 * Exchanges a complete new tree with the existing target. Linux's renameat2(RENAME_EXCHANGE) is not reachable
 * from Node without a native addon, so the exchange is three renames, and the recovery rule closes the window
 * between them: the new tree is first renamed to `new` (which marks it complete), then the target to `old`,
 * then `new` to the target. At every instant the target name holds the old tree, the new tree, or (between the
 * last two renames) nothing while both a complete `new` and the `old` tree exist beside it; a process killed
 * there leaves exactly that state, and the next write (recoverLeftovers) renames `new` into the empty name.
 * So the target is never lost, and after any crash it ends as the old or the complete new tree, never partial.
 * (A reader looking in that microsecond window sees no folder; rename alone cannot avoid that.)
 */
async function swapIn(target: string, tmp: string, tag: string): Promise<void> {
  const fresh = sideName(target, 'new', tag);
  const old = sideName(target, 'old', tag);
  renameSync(tmp, fresh);
  renameSync(target, old);
  await testHold('swapped-out');
  try {
    renameSync(fresh, target);
  } catch (e) {
    renameSync(old, target);
    rmSync(fresh, { recursive: true, force: true });
    throw e;
  }
  rmSync(old, { recursive: true, force: true });
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Finishes or undoes what dead writers left beside `target` (side folders whose PID is no longer running, or all
 * of this process's own with `own`): an interrupted exchange is completed (`new` into an empty target name),
 * or rolled back (`old` into an empty name when there is no `new`); everything else is removed.
 */
export function recoverLeftovers(target: string, own = false): void {
  const parent = dirname(target);
  const base = basename(target);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  const byTag = new Map<string, Partial<Record<SideKind, string>>>();
  for (const n of names) {
    const m = SIDE_RE.exec(n);
    if (!m || m[1] !== base) continue;
    const pid = Number(m[3]);
    if (own ? pid !== process.pid : isAlive(pid)) continue;
    const tag = `${m[3]}-${m[4]}`;
    const entry = byTag.get(tag) ?? {};
    entry[m[2] as SideKind] = join(parent, n);
    byTag.set(tag, entry);
  }
  for (const side of byTag.values()) {
    if (side.tmp) rmSync(side.tmp, { recursive: true, force: true });
    if (side.new) {
      if (!pathExists(target)) renameSync(side.new, target);
      else rmSync(side.new, { recursive: true, force: true });
    }
    if (side.old) {
      if (!pathExists(target)) renameSync(side.old, target);
      else rmSync(side.old, { recursive: true, force: true });
    }
  }
}

/**
 * Test hook: FIRMFLOW_TEST_HOLD_WRITE=created|filled|swapped-out makes a write announce the phase on stderr and
 * wait there (the event loop stays free, so signals are handled), for tests that kill the process at that point.
 */
async function testHold(phase: 'created' | 'filled' | 'swapped-out'): Promise<void> {
  if (process.env.FIRMFLOW_TEST_HOLD_WRITE !== phase) return;
  process.stderr.write(`firmflow-test: holding write at ${phase}\n`);
  await new Promise<void>(() => setInterval(() => {}, 60_000));
}

function pathExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return existsSync(p);
  }
}

/** Removes `leaf` and its parents up to `top` (mkdirSync's first created folder) while they are empty. */
function removeEmptyChain(top: string, leaf: string): void {
  for (let d = leaf; ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === top || dirname(d) === d) return;
  }
}

/** Finishes or removes this process's writes in progress (called by the CLI on SIGINT/SIGTERM). */
export function cleanupPendingOutputs(): void {
  for (const target of pending.keys()) recoverLeftovers(target, true);
  pending.clear();
}
