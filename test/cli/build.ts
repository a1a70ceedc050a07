import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../fixtures/project.js';

function newestSource(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds dist/ (the CLI runs compiled code) unless it is newer than every source file. Type errors elsewhere
 * still emit JavaScript, so only a missing entry point fails the tests here.
 */
export function ensureBuilt(): void {
  const main = join(REPO, 'dist/src/cli/main.js');
  const fresh = existsSync(main) && statSync(main).mtimeMs >= Math.max(newestSource(join(REPO, 'src')), newestSource(join(REPO, 'passes')));
  if (!fresh) {
    try {
      execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.json')], { cwd: REPO, stdio: 'pipe' });
    } catch (e) {
      if (!existsSync(main)) throw new Error(`tsc did not build ${main}: ${String((e as { stdout?: Buffer }).stdout ?? e)}`);
    }
  }
}
