/*
 * Host build of a written AIE project: g++ compiles the generated graph (src/app.cpp) and kernel sources
 * (src/kernels/*.cc), unchanged, against firmflow's own functional model of ADF and aie_api (host/include), into one
 * simulation program. Builds are cached by the content hash of the sources, the host headers and the flags, in a
 * shared cache folder, so the same project written twice (or reopened) compiles once.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUpToDate, commitOutputs, FirmflowError, freshBuildTemp, generatedCodeError, withBuildLockSync, writeBuildStamp } from 'firmflow';

/** The package's host model headers (adf.h, aie_api/…), from src/ under vitest or from dist/. */
export function hostIncludeDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const t = join(d, 'host', 'include');
    if (existsSync(join(t, 'adf.h'))) return t;
    d = dirname(d);
  }
  throw new Error('the AIE package host/include folder was not found');
}

/** Where host builds are cached: $FIRMFLOW_AIE_HOST_CACHE, else ~/.cache/firmflow/aie-host. */
export function hostCacheDir(): string {
  return process.env['FIRMFLOW_AIE_HOST_CACHE'] || join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'firmflow', 'aie-host');
}

export const HOST_CXX_FLAGS = ['-std=c++20', '-O2', '-Wall', '-Wextra', '-DFIRMFLOW_HOST'];

export interface HostBuild {
  cached: boolean;
  ms: number;
  /** The simulation program. */
  program: string;
  /** The compiler's diagnostics (warnings) of the build; empty for a clean build. */
  warnings: string;
  hash: string;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function compilerVersion(cxx: string): string {
  const r = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new FirmflowError('project.compile', `the host C++ compiler '${cxx}' is not available (${r.error?.message ?? r.stderr}); set CXX to a g++ or clang++ with C++20`);
  return r.stdout.split('\n')[0] ?? '';
}

/** A source file name the unity file may include: a path of plain characters, relative to src/. */
const INCLUDABLE = /^[A-Za-z0-9_][A-Za-z0-9_.\/-]*$/;

/**
 * Compiles the project in `dir` for the host (cached by content hash unless `force`). The build of one hash holds
 * that cache folder's lock, compiles into a private folder and renames the program into place; a cached program
 * counts only when its content is the one the build recorded. The project path reaches g++ only as `-I` arguments:
 * the generated unity source names its files relative to src/, so no path character can end up in C++.
 */
export function compileHost(dir: string, options: { force?: boolean } = {}): HostBuild {
  const t0 = performance.now();
  const root = resolve(dir);
  const src = join(root, 'src');
  if (!existsSync(join(src, 'app.cpp'))) throw new FirmflowError('project.compile', `${root} has no src/app.cpp (was it written by the AIE backend?)`);
  const inc = hostIncludeDir();
  const cxx = process.env['CXX'] || 'g++';
  const h = createHash('sha256');
  h.update(`flags ${HOST_CXX_FLAGS.join(' ')}\ncxx ${cxx} ${compilerVersion(cxx)}\n`);
  for (const f of listFiles(src)) h.update(`src ${relative(src, f)}\n`).update(readFileSync(f));
  for (const f of listFiles(inc)) h.update(`inc ${relative(inc, f)}\n`).update(readFileSync(f));
  const hash = h.digest('hex').slice(0, 24);
  const cache = join(hostCacheDir(), hash);
  const program = join(cache, 'sim');
  const warningsFile = join(cache, 'warnings.txt');
  const stamp = join(cache, 'build.json');
  const outputs = { program };
  // One translation unit: the graph and every kernel source, included unchanged (by names relative to src/).
  const kernels = listFiles(join(src, 'kernels')).filter((f) => f.endsWith('.cc')).map((f) => relative(src, f));
  const odd = kernels.find((k) => !INCLUDABLE.test(k));
  if (odd) throw new FirmflowError('project.compile', `${root}: the kernel source ${JSON.stringify(odd)} has a name the host build cannot include (letters, digits, '_', '.', '-' only)`);
  const unity = ['// firmflow host build of an AIE project', '#include "app.cpp"', ...kernels.map((k) => `#include "${k}"`), ''].join('\n');
  return withBuildLockSync(cache, () => {
    if (!options.force && buildUpToDate(stamp, hash, outputs) && existsSync(warningsFile)) {
      return { cached: true, ms: performance.now() - t0, program, warnings: readFileSync(warningsFile, 'utf8'), hash };
    }
    const tmp = freshBuildTemp(cache);
    const unityFile = join(tmp, 'unity.cpp');
    writeFileSync(unityFile, unity);
    const built = join(tmp, 'sim');
    const args = [...HOST_CXX_FLAGS, `-I${inc}`, `-I${src}`, `-I${join(src, 'kernels')}`, unityFile, '-o', built];
    const r = spawnSync(cxx, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const log = join(cache, 'compile.log');
    writeFileSync(log, `$ ${cxx} ${args.join(' ')}\n${r.stderr ?? ''}${r.error ? `${r.error.message}\n` : ''}(exit ${r.status})\n`);
    if (r.error || r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      throw generatedCodeError(log, r.stderr || r.error?.message || '');
    }
    writeFileSync(warningsFile, r.stderr ?? '');
    commitOutputs([{ from: built, to: program }]);
    rmSync(tmp, { recursive: true, force: true });
    writeBuildStamp(stamp, hash, outputs);
    return { cached: false, ms: performance.now() - t0, program, warnings: r.stderr ?? '', hash };
  }, { what: `the host build ${cache}` });
}

/** Whether a host build of the project in `dir` is cached (without building). */
export function hostBuildExists(program: string): boolean {
  return existsSync(program) && statSync(program).isFile();
}
