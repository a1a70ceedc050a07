import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { FirmflowError } from '../errors.js';

export interface AtomicWriteOptions {
  /** Replace an existing folder (only once the new one is complete). */
  force?: boolean;
}

/** Temporary folders of writes in progress, removed if the process is interrupted (see cleanupPendingOutputs). */
const pending = new Set<string>();

/**
 * Fills a folder atomically: `fill` writes into a fresh temporary sibling of `dir`, which is renamed into place
 * when `fill` returns. If `fill` throws, the temporary folder (and any parent folders this call created) are
 * removed and nothing else is touched. An existing `dir` is refused unless `force` is given; with `force` it is
 * swapped out only after the new folder is complete, and deleted after the swap.
 */
export async function writeAtomically<T>(dir: string, fill: (tmpDir: string) => T | Promise<T>, opts: AtomicWriteOptions = {}): Promise<T> {
  const target = resolve(dir);
  const exists = pathExists(target);
  if (exists) {
    if (!lstatSync(target).isDirectory()) throw new FirmflowError('output.exists', `${dir} exists and is not a folder; firmflow will not replace it`);
    if (!opts.force) throw new FirmflowError('output.exists', `output folder ${dir} already exists (use --force / { force: true } to replace it)`);
  }
  const parent = dirname(target);
  let createdParent: string | undefined;
  try {
    createdParent = mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new FirmflowError('output.dir', `cannot create ${parent}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = resolve(parent, `.${basename(target)}.firmflow-tmp-${tag}`);
  const removeCreated = (): void => {
    rmSync(tmp, { recursive: true, force: true });
    // Parents made for this output only are empty again; rmdir-like removal keeps anything else safe.
    if (createdParent) removeEmptyChain(createdParent, parent);
  };
  mkdirSync(tmp);
  pending.add(tmp);
  let result: T;
  try {
    result = await fill(tmp);
    if (pathExists(target)) {
      if (!opts.force) throw new FirmflowError('output.exists', `output folder ${dir} appeared while writing (use --force to replace it)`);
      const old = resolve(parent, `.${basename(target)}.firmflow-old-${tag}`);
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      pending.delete(tmp);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
      pending.delete(tmp);
    }
  } catch (e) {
    pending.delete(tmp);
    removeCreated();
    throw e;
  }
  return result;
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

/** Removes temporary folders of writes still in progress (called by the CLI on SIGINT/SIGTERM). */
export function cleanupPendingOutputs(): void {
  for (const t of pending) rmSync(t, { recursive: true, force: true });
  pending.clear();
}
