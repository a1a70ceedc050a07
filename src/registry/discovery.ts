import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PluginInfo, PluginManifest } from './types.js';

/** Environment variable naming extra plugin modules, separated by path.delimiter. */
export const PLUGIN_ENV = 'FIRMFLOW_BACKEND_PLUGINS';
/** Manifest versions this firmflow understands. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [1];

export interface DiscoveryOptions {
  /** Project folder whose node_modules (and those of its parents) are searched; default process.cwd(). */
  cwd?: string;
  /** Value of FIRMFLOW_BACKEND_PLUGINS; default from process.env. */
  envPlugins?: string;
  /** firmflow's own package folder; default: found from this module's location. */
  selfRoot?: string;
}

/** A discovered plugin: what is listed, plus what is needed to import it. */
export interface PluginCandidate {
  info: PluginInfo;
  /** Registration source label used in messages ("plugin package 'x@1.0.0'"). */
  label: string;
}

const PACKAGE_NAME_RE = /^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i;
const EXPORT_RE = /^[A-Za-z_$][\w$]*$/;

let selfRootCache: string | undefined;

/** The folder of firmflow's own package.json (works from src/ under vitest and from dist/). */
export function firmflowRoot(): string {
  if (selfRootCache) return selfRootCache;
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(d, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'firmflow') return (selfRootCache = realpathOr(d));
      } catch {
        // an unreadable package.json on the way up is not ours
      }
    }
    const up = dirname(d);
    if (up === d) throw new Error(`firmflow's package.json not found above ${fileURLToPath(import.meta.url)}`);
    d = up;
  }
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** node_modules folders visible from `start`: its own and every parent's, nearest first. */
function nodeModulesChain(start: string): string[] {
  const out: string[] = [];
  let d = resolve(start);
  for (;;) {
    if (!d.endsWith(`${sep}node_modules`)) out.push(join(d, 'node_modules'));
    const up = dirname(d);
    if (up === d) return out;
    d = up;
  }
}

/**
 * Every node_modules folder to search, deduplicated by real path: the project's chain first (the nearest
 * package wins, as in Node's own resolution), then the chain of firmflow's install.
 */
export function searchFolders(cwd: string, selfRoot: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const d of [...nodeModulesChain(cwd), ...nodeModulesChain(selfRoot)]) {
    if (!existsSync(d)) continue;
    const real = realpathOr(d);
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(d);
  }
  return out;
}

interface PackageJson {
  name?: string;
  version?: string;
  main?: string;
  exports?: unknown;
  firmflow?: unknown;
}

function readPackageJson(dir: string, needFirmflowField: boolean): PackageJson | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  // Most packages never mention firmflow; skipping their JSON.parse keeps discovery cheap.
  if (needFirmflowField && !text.includes('"firmflow"')) return undefined;
  try {
    const pj = JSON.parse(text) as unknown;
    return pj && typeof pj === 'object' && !Array.isArray(pj) ? (pj as PackageJson) : undefined;
  } catch {
    return undefined;
  }
}

/** Package folders directly in one node_modules folder (scoped packages included), sorted by name. */
function packagesIn(nodeModules: string): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  const list = (d: string): string[] => {
    try {
      return readdirSync(d).filter((n) => !n.startsWith('.')).sort();
    } catch {
      return [];
    }
  };
  for (const n of list(nodeModules)) {
    if (n.startsWith('@')) {
      for (const m of list(join(nodeModules, n))) out.push({ name: `${n}/${m}`, dir: join(nodeModules, n, m) });
    } else {
      out.push({ name: n, dir: join(nodeModules, n) });
    }
  }
  return out;
}

function isInside(parent: string, child: string): boolean {
  const r = relative(parent, child);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

/**
 * Checks a package's `"firmflow"` field. Returns the manifest, or the reason the plugin is refused (an
 * unsupported apiVersion, a module outside the package, a missing module, malformed fields).
 */
export function parseManifest(field: unknown, pkgDir: string): { manifest: PluginManifest; module: string } | { refused: string } {
  if (!field || typeof field !== 'object' || Array.isArray(field)) {
    return { refused: 'its package.json "firmflow" field must be an object { "apiVersion": 1, "plugin": "./module.js", "backends": [...] }' };
  }
  const f = field as Record<string, unknown>;
  if (f.apiVersion === undefined) return { refused: 'its package.json "firmflow" field has no apiVersion' };
  if (typeof f.apiVersion !== 'number' || !SUPPORTED_API_VERSIONS.includes(f.apiVersion)) {
    return {
      refused: `it declares firmflow apiVersion ${JSON.stringify(f.apiVersion)}, but this firmflow supports apiVersion ${SUPPORTED_API_VERSIONS.join(', ')} only (use a version of the plugin made for it, or a firmflow that supports its API)`,
    };
  }
  if (typeof f.plugin !== 'string' || f.plugin === '') return { refused: 'its package.json "firmflow" field has no "plugin" module path' };
  const module = resolve(pkgDir, f.plugin);
  if (!isInside(pkgDir, module)) return { refused: `its plugin module '${f.plugin}' lies outside the package folder` };
  if (!existsSync(module) || !statSync(module).isFile()) return { refused: `its plugin module '${f.plugin}' does not exist (is the package built?)` };
  let backends: string[] = [];
  if (f.backends !== undefined) {
    if (!Array.isArray(f.backends) || f.backends.some((b) => typeof b !== 'string' || b === '')) {
      return { refused: 'its package.json "firmflow.backends" must be a list of backend names' };
    }
    backends = [...(f.backends as string[])];
  }
  return { manifest: { apiVersion: f.apiVersion, plugin: f.plugin, backends }, module: realpathOr(module) };
}

function packageCandidate(name: string, dir: string, pj: PackageJson, origin: 'built-in' | 'package'): PluginCandidate {
  const version = typeof pj.version === 'string' ? pj.version : undefined;
  const label = origin === 'built-in' ? 'built-in' : `plugin package '${name}${version ? `@${version}` : ''}'`;
  const parsed = parseManifest(pj.firmflow, dir);
  const info: PluginInfo = { name, version, origin, packageDir: dir, status: 'found' };
  if ('refused' in parsed) {
    info.status = 'refused';
    info.reason = parsed.refused;
  } else {
    info.module = parsed.module;
    info.backends = parsed.manifest.backends;
  }
  return { info, label };
}

// ------------------------------------------------------------------ FIRMFLOW_BACKEND_PLUGINS entries

function looksLikePath(spec: string): boolean {
  return isAbsolute(spec) || spec.startsWith('.') || spec.startsWith('file:') || /^[A-Za-z]:[\\/]/.test(spec) || spec.includes('\\');
}

/** Splits `spec#exportName`; a `#` followed by something that is not an identifier belongs to the path. */
export function splitExport(entry: string): { spec: string; exportName?: string } {
  const i = entry.lastIndexOf('#');
  if (i > 0 && EXPORT_RE.test(entry.slice(i + 1))) return { spec: entry.slice(0, i), exportName: entry.slice(i + 1) };
  return { spec: entry };
}

/** `@scope/pkg/sub/path` -> name `@scope/pkg`, subpath `./sub/path`. */
function splitPackageSpec(spec: string): { name: string; subpath: string } | undefined {
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  if (parts.length < n) return undefined;
  const name = parts.slice(0, n).join('/');
  if (!PACKAGE_NAME_RE.test(name)) return undefined;
  const rest = parts.slice(n).join('/');
  return { name, subpath: rest ? `./${rest}` : '.' };
}

const CONDITIONS = ['import', 'node', 'default'];

/** Picks the target of an exports entry for an ESM import under Node (conditions import, node, default). */
function pickTarget(t: unknown): string | undefined {
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    for (const x of t) {
      const r = pickTarget(x);
      if (r) return r;
    }
    return undefined;
  }
  if (t && typeof t === 'object') {
    for (const [k, v] of Object.entries(t)) if (CONDITIONS.includes(k)) return pickTarget(v);
  }
  return undefined;
}

function withExtensions(p: string): string | undefined {
  for (const c of [p, `${p}.js`, `${p}.mjs`, join(p, 'index.js'), join(p, 'index.mjs')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

/** Resolves a package subpath the way an ESM import would (the exports map, else main / the file itself). */
export function resolvePackageEntry(dir: string, pj: PackageJson, subpath: string): string {
  const exp = pj.exports;
  if (exp !== undefined && exp !== null) {
    const isSubpathMap = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    let target: string | undefined;
    if (!isSubpathMap) {
      if (subpath === '.') target = pickTarget(exp);
    } else {
      const map = exp as Record<string, unknown>;
      if (subpath in map) target = pickTarget(map[subpath]);
      else {
        for (const [k, v] of Object.entries(map)) {
          const star = k.indexOf('*');
          if (star < 0) continue;
          const pre = k.slice(0, star);
          const post = k.slice(star + 1);
          if (subpath.startsWith(pre) && subpath.endsWith(post) && subpath.length >= pre.length + post.length) {
            const t = pickTarget(v);
            if (t) target = t.replace('*', subpath.slice(pre.length, subpath.length - post.length));
            break;
          }
        }
      }
    }
    if (!target) throw new Error(`package '${pj.name ?? dir}' does not export '${subpath}' for import`);
    const file = resolve(dir, target);
    if (!isInside(dir, file) || !existsSync(file)) throw new Error(`package '${pj.name ?? dir}' exports '${subpath}' as '${target}', which does not exist`);
    return file;
  }
  const file = withExtensions(resolve(dir, subpath === '.' ? (pj.main ?? 'index.js') : subpath));
  if (!file || !isInside(dir, file)) throw new Error(`cannot find '${subpath}' in package '${pj.name ?? dir}'`);
  return file;
}

function envCandidate(entry: string, cwd: string, folders: string[]): PluginCandidate {
  const { spec, exportName } = splitExport(entry);
  const label = `plugin '${entry}' (from ${PLUGIN_ENV})`;
  const info: PluginInfo = { name: entry, origin: 'env', status: 'found', exportName };
  const fail = (reason: string): PluginCandidate => {
    info.status = 'failed';
    info.reason = reason;
    return { info, label };
  };
  if (looksLikePath(spec)) {
    const file = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(cwd, spec);
    if (!existsSync(file) || !statSync(file).isFile()) return fail(`module file ${file} does not exist`);
    info.module = realpathOr(file);
    return { info, label };
  }
  const ps = splitPackageSpec(spec);
  if (!ps) return fail(`'${spec}' is neither a file path (start it with ./ or /) nor a package name`);
  for (const nm of folders) {
    const dir = join(nm, ps.name);
    const pj = readPackageJson(dir, false);
    if (!pj) continue;
    const pkgDir = realpathOr(dir);
    info.packageDir = pkgDir;
    info.version = typeof pj.version === 'string' ? pj.version : undefined;
    // A plugin package named by its bare name loads its manifest's module, like a discovered one.
    if (ps.subpath === '.' && !exportName && pj.firmflow !== undefined) {
      const parsed = parseManifest(pj.firmflow, pkgDir);
      if ('refused' in parsed) {
        info.status = 'refused';
        info.reason = parsed.refused;
        return { info, label };
      }
      info.module = parsed.module;
      info.backends = parsed.manifest.backends;
      return { info, label };
    }
    try {
      info.module = realpathOr(resolvePackageEntry(pkgDir, pj, ps.subpath));
    } catch (e) {
      return fail((e as Error).message);
    }
    return { info, label };
  }
  return fail(`package '${ps.name}' is not installed where ${cwd} can see it`);
}

/**
 * Finds plugins without running any of their code: firmflow's own manifest (built-in backends), every
 * installed package with a `"firmflow"` field, then the FIRMFLOW_BACKEND_PLUGINS entries. Packages reached
 * twice (workspace symlinks, several node_modules) are listed once, the nearest first.
 */
export function discoverPlugins(options: DiscoveryOptions = {}): PluginCandidate[] {
  const cwd = resolve(options.cwd ?? process.cwd());
  const selfRoot = options.selfRoot ?? firmflowRoot();
  const folders = searchFolders(cwd, selfRoot);
  const out: PluginCandidate[] = [];
  const seenDirs = new Set<string>([selfRoot]);
  const seenNames = new Set<string>(['firmflow']);
  const seenModules = new Set<string>();

  const self = readPackageJson(selfRoot, true);
  if (self?.firmflow !== undefined) out.push(packageCandidate('firmflow', selfRoot, self, 'built-in'));

  for (const nm of folders) {
    for (const { name, dir } of packagesIn(nm)) {
      if (seenNames.has(name)) continue;
      const pj = readPackageJson(dir, true);
      if (!pj || pj.firmflow === undefined) continue;
      const real = realpathOr(dir);
      if (seenDirs.has(real)) continue;
      seenDirs.add(real);
      seenNames.add(name);
      out.push(packageCandidate(name, real, pj, 'package'));
    }
  }
  for (const c of out) if (c.info.module) seenModules.add(`${c.info.module}#`);

  const env = options.envPlugins ?? process.env[PLUGIN_ENV] ?? '';
  for (const raw of env.split(delimiter)) {
    const entry = raw.trim();
    if (!entry) continue;
    const c = envCandidate(entry, cwd, folders);
    if (c.info.module) {
      const key = `${c.info.module}#${c.info.exportName ?? ''}`;
      if (seenModules.has(key)) continue;
      seenModules.add(key);
    }
    out.push(c);
  }
  return out;
}
