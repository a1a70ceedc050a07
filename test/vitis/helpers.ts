/*
 * Test harness of the Vitis backend: registers the plugin from source (not the built dist/ module the package.json
 * manifest names), with discovery isolated so the built-in copy is not loaded beside it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert, type ConvertOptions, findBackend, type Project, resetPlugins, usePlugin } from 'firmflow';
import { meta, register as registerFull, registerBackends } from '../../backends/vitis/index.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { templatesDir } from '../../backends/vitis/writer/index.js';
import { HostSimulation } from '../../backends/vitis/project.js';
import type { CompileResult } from '../../backends/vitis/compile.js';

let root: string | undefined;

/**
 * Registers the Vitis/Vivado backends from source once per test file: flows, passes and backends, without the
 * writer and project extensions (the lowering tests do not write projects).
 */
export async function useVitis(): Promise<void> {
  if (findBackend('Vitis')) return;
  root ??= mkdtempSync(join(tmpdir(), 'firmflow-vitis-test-'));
  const self = join(root, 'self');
  mkdirSync(self, { recursive: true });
  // A stand-in for firmflow's own package without the "firmflow" manifest: only the source plugin exists.
  writeFileSync(join(self, 'package.json'), JSON.stringify({ name: 'firmflow-test-self' }));
  resetPlugins({ cwd: root, envPlugins: '', selfRoot: self });
  await usePlugin({ meta, register: (api) => registerBackends(api) });
}

/** Converts (runs every flow of the backend) without writing. */
export async function lower(model: string | Uint8Array, options: Partial<ConvertOptions> = {}): Promise<Project> {
  await useVitis();
  return convert(model, { backend: 'Vitis', ...options });
}

// ------------------------------------------------------------------------------------------------------------------
// Compiled projects shared by the test files (engineer B): a (model, options) pair is converted, written and built
// with g++ once per source version; every test file (and process) reuses the folder and its cached build.


// The repository root, from the writer's own lookup of backends/vitis/templates.
const REPO = join(templatesDir(), '..', '..', '..');

/** Registers the whole plugin from source: flows, writers, host simulation and emulator extensions. */
export async function useVitisFull(): Promise<void> {
  if (findBackend('Vitis')) return;
  root ??= mkdtempSync(join(tmpdir(), 'firmflow-vitis-test-'));
  const self = join(root, 'self');
  mkdirSync(self, { recursive: true });
  writeFileSync(join(self, 'package.json'), JSON.stringify({ name: 'firmflow-test-self' }));
  resetPlugins({ cwd: root, envPlugins: '', selfRoot: self });
  await usePlugin({ meta, register: registerFull });
}

let sourcesHash: string | undefined;
function hashSources(): string {
  if (sourcesHash) return sourcesHash;
  const h = createHash('sha256');
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else { h.update(p); h.update(readFileSync(p)); }
    }
  };
  for (const d of ['backends/vitis', 'src/fixed', 'src/precision', 'passes']) walk(join(REPO, d));
  sourcesHash = h.digest('hex').slice(0, 16);
  return sourcesHash;
}

export interface BuiltProject {
  project: Project;
  dir: string;
  sim: HostSimulation;
  build: CompileResult;
}

const built = new Map<string, Promise<BuiltProject>>();

/** Converts, writes and compiles `model` with `options` (cached across test files by content). */
export function buildProject(model: string | Uint8Array, options: Partial<ConvertOptions> = {}): Promise<BuiltProject> {
  const h = createHash('sha256');
  h.update(typeof model === 'string' ? readFileSync(model) : model);
  h.update(JSON.stringify(options));
  h.update(hashSources());
  const key = h.digest('hex').slice(0, 24);
  let p = built.get(key);
  if (!p) {
    p = (async () => {
      await useVitisFull();
      const project = await convert(model, { backend: 'Vitis', projectName: 'tb', ...options });
      const dir = join(tmpdir(), 'firmflow-vitis-csim-cache', key);
      if (!existsSync(join(dir, 'firmflow.json'))) await project.write(dir, { force: true });
      const sim = new HostSimulation(dir);
      const build = await sim.compile();
      return { project, dir, sim, build };
    })();
    built.set(key, p);
  }
  return p;
}
