import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { buildUpToDate, commitOutputs, FirmflowError, freshBuildTemp, generatedCodeError, withBuildLock, writeBuildStamp } from 'firmflow';

/*
 * Host simulation build: the generated firmware compiled by g++ against our ap_types into one object (the bridge
 * translation unit includes the top function), linked into a shared library with a C API and into a batch predictor
 * program. Weights are read from weights.bin at run time, so the compile time does not depend on the model's size.
 * A build is skipped when the hash of its sources, flags and compiler and of its outputs is the one recorded in build/.
 */

export const HOST_CXXFLAGS = ['-std=c++14', '-O2', '-Ifirmware/ap_types', '-Wall', '-Wextra'];

export const libName = (name: string): string => `firmflow_${name}`;

export interface CompileOptions {
  /** C++ compiler (default: $CXX or g++). */
  cxx?: string;
  /** Rebuild even when the sources are unchanged. */
  force?: boolean;
  /** Extra compiler flags (appended). */
  extraFlags?: string[];
}

export interface CompileResult {
  dir: string;
  library: string;
  program: string;
  /** True when the previous build was still valid and nothing ran. */
  cached: boolean;
  /** Wall time of the build in ms (0 when cached). */
  ms: number;
  /** What the compiler printed (warnings) when the build ran (kept for cached builds), empty for a clean build. */
  diagnostics: string;
}

function listFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listFiles(p, out);
    else out.push(p);
  }
  return out;
}

const compilerIds = new Map<string, string>();
function compilerId(cxx: string): string {
  let id = compilerIds.get(cxx);
  if (id !== undefined) return id;
  const r = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new FirmflowError('vitis.compile', `C++ compiler '${cxx}' not found or not working (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}); install g++ or set CXX`);
  }
  id = r.stdout.split('\n')[0];
  compilerIds.set(cxx, id);
  return id;
}

function run(cxx: string, args: string[], cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cxx, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('error', reject);
    p.on('close', (code) => resolvePromise({ code: code ?? 1, stderr }));
  });
}

/** The hash of everything a build reads: compiler, flags, the firmware and host sources (weights headers excluded). */
function inputsHash(dir: string, cxx: string, flags: string[]): string {
  const h = createHash('sha256');
  h.update(`${compilerId(cxx)}\n${flags.join(' ')}\n`);
  for (const f of [...listFiles(join(dir, 'firmware')), ...listFiles(join(dir, 'host'))]) {
    if (f.includes(`${join('firmware', 'weights')}`)) continue; // synthesis headers: not part of the host build
    h.update(relative(dir, f));
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

/**
 * Compiles a written project folder (the one holding firmflow.json). The build holds the lock of build/ (a second
 * compile of the folder waits), compiles and links into a private folder and renames the library and program into
 * place; it is skipped when build/.firmflow-build records the same inputs and the outputs' current content.
 */
export async function compileProjectDir(dir: string, name: string, opts: CompileOptions = {}): Promise<CompileResult> {
  const cxx = opts.cxx ?? process.env['CXX'] ?? 'g++';
  const flags = [...HOST_CXXFLAGS, ...(opts.extraFlags ?? [])];
  const build = join(dir, 'build');
  const library = join(build, `lib${libName(name)}.so`);
  const program = join(build, `${name}_predict`);
  const bridge = join('host', `${name}_bridge.cpp`);
  const main = join('host', `${name}_predict.cpp`);
  if (!existsSync(join(dir, bridge))) throw new FirmflowError('vitis.compile', `${dir} is not a firmflow Vitis project (no ${bridge})`);
  const stamp = join(build, '.firmflow-build');
  const diag = join(build, '.firmflow-diagnostics');
  const outputs = { library, program };
  return withBuildLock(build, async () => {
    const hash = inputsHash(dir, cxx, flags);
    if (!opts.force && buildUpToDate(stamp, hash, outputs)) {
      return { dir, library, program, cached: true, ms: 0, diagnostics: existsSync(diag) ? readFileSync(diag, 'utf8') : '' };
    }
    const t0 = performance.now();
    const tmp = relative(dir, freshBuildTemp(build));
    const log = join(build, 'compile.log');
    const bridgeObj = join(tmp, `${name}_bridge.o`), mainObj = join(tmp, `${name}_predict.o`);
    const tmpLib = join(tmp, basename(library)), tmpProgram = join(tmp, basename(program));
    const steps = [
      [...flags, '-fPIC', '-c', bridge, '-o', bridgeObj],
      [...flags, '-c', main, '-o', mainObj],
      ['-shared', bridgeObj, '-o', tmpLib, '-pthread'],
      [mainObj, bridgeObj, '-o', tmpProgram, '-pthread'],
    ];
    const compiled = await Promise.all(steps.slice(0, 2).map((a) => run(cxx, a, dir)));
    const linked = compiled.every((r) => r.code === 0) ? await Promise.all(steps.slice(2).map((a) => run(cxx, a, dir))) : [];
    const results = [...compiled, ...linked];
    writeFileSync(log, results.map((r, i) => `$ ${cxx} ${steps[i].join(' ')}\n${r.stderr}(exit ${r.code})\n`).join('\n'));
    const failed = results.find((r) => r.code !== 0);
    if (failed) {
      rmSync(join(dir, tmp), { recursive: true, force: true });
      throw generatedCodeError(log, failed.stderr);
    }
    commitOutputs([{ from: join(dir, tmpLib), to: library }, { from: join(dir, tmpProgram), to: program }]);
    rmSync(join(dir, tmp), { recursive: true, force: true });
    const diagnostics = results.map((r) => r.stderr).join('');
    writeFileSync(diag, diagnostics);
    writeBuildStamp(stamp, hash, outputs);
    return { dir, library, program, cached: false, ms: performance.now() - t0, diagnostics };
  }, { what: `the project in ${dir}` });
}
