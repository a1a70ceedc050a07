import { pathToFileURL } from 'node:url';
import { FirmflowError, isFirmflowError } from '../errors.js';
import { discoverPlugins, type DiscoveryOptions, type PluginCandidate } from './discovery.js';
import { markPluginTimedOut } from './plugin-timeouts.js';
import { createPluginSession, findBackend, registeredBackends, USER_SOURCE } from './registry.js';
import type { Backend, BackendInfo, FirmflowPlugin, PluginInfo, PluginMeta, PluginRegister } from './types.js';

/**
 * Plugin state of this process. Discovery runs once (on first need) and is cached; plugins are imported lazily,
 * one at a time, in discovery order, so registrations are deterministic whatever triggered the loading.
 */
let options: DiscoveryOptions = {};
let candidates: PluginCandidate[] | undefined;
const loads = new Map<PluginCandidate, Promise<void>>();
let queue: Promise<void> = Promise.resolve();
let warnings: string[] = [];
let warned = new Set<PluginCandidate>();

/**
 * Forgets discovered plugins and warnings (not registrations: see resetRegistry) and sets where the next
 * discovery looks. Meant for tests and for hosts that change directory.
 */
export function resetPlugins(opts: DiscoveryOptions = {}): void {
  options = { ...opts };
  candidates = undefined;
  loads.clear();
  queue = Promise.resolve();
  warnings = [];
  warned = new Set();
}

function all(): PluginCandidate[] {
  if (!candidates) {
    candidates = discoverPlugins(options);
    for (const c of candidates) if (c.info.status === 'refused' || c.info.status === 'failed') warn(c);
  }
  return candidates;
}

function warn(c: PluginCandidate): void {
  if (warned.has(c)) return;
  warned.add(c);
  const verb = c.info.status === 'refused' ? 'was refused' : 'failed to load';
  warnings.push(`${c.label} ${verb}: ${c.info.reason}`);
}

/** What discovery found, from manifests and FIRMFLOW_BACKEND_PLUGINS alone (no plugin code runs). */
export function listPlugins(): PluginInfo[] {
  return all().map((c) => ({ ...c.info, backends: c.info.backends ? [...c.info.backends] : undefined }));
}

/** Warnings so far (refused and failed plugins), oldest first. */
export function getPluginWarnings(): string[] {
  all();
  return [...warnings];
}

/** Returns the warnings not yet taken and forgets them (for printing each once). */
export function takePluginWarnings(): string[] {
  all();
  const w = warnings;
  warnings = [];
  return w;
}

function pickRegister(mod: Record<string, unknown>, exportName: string | undefined): { register: PluginRegister; meta?: PluginMeta } {
  let value: unknown;
  let used: string;
  if (exportName) {
    used = exportName;
    value = mod[exportName];
    if (value === undefined) {
      throw new Error(`the module has no export '${exportName}' (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
    }
  } else {
    used = mod.register !== undefined ? 'register' : 'default';
    value = mod.register ?? mod.default;
    if (value === undefined) throw new Error(`the module exports neither 'register' nor a default export (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
  }
  return asPlugin(value, `export '${used}'`);
}

function asPlugin(value: unknown, what: string): { register: PluginRegister; meta?: PluginMeta } {
  if (typeof value === 'function') return { register: value as PluginRegister };
  if (value && typeof value === 'object' && typeof (value as FirmflowPlugin).register === 'function') {
    const p = value as FirmflowPlugin;
    const meta = p.meta;
    if (meta !== undefined && (typeof meta !== 'object' || typeof meta.name !== 'string' || (meta.version !== undefined && typeof meta.version !== 'string'))) {
      throw new Error(`${what}: meta must be { name: string, version?: string }`);
    }
    return { register: p.register.bind(p), meta };
  }
  throw new Error(`${what} is neither a register function nor a plugin object { meta, register }`);
}

async function doLoad(c: PluginCandidate): Promise<void> {
  if (c.info.status !== 'found' || !c.info.module) return;
  const module = c.info.module;
  let mod: Record<string, unknown>;
  try {
    mod = await runPluginCode('importing it', () => import(pathToFileURL(module).href) as Promise<Record<string, unknown>>);
  } catch (e) {
    if (e instanceof PluginMisbehaved) return fail(c, e.message);
    return fail(c, `cannot import ${module}: ${(e as Error)?.message ?? String(e)}`);
  }
  let plugin: { register: PluginRegister; meta?: PluginMeta };
  try {
    plugin = pickRegister(mod, c.info.exportName);
  } catch (e) {
    return fail(c, (e as Error).message);
  }
  c.info.meta = plugin.meta;
  if (plugin.meta) c.label = `${c.label} [${plugin.meta.name}${plugin.meta.version ? `@${plugin.meta.version}` : ''}]`;
  const session = createPluginSession(c.label);
  try {
    await runPluginCode('its register function', () => plugin.register(session.api));
    session.commit();
  } catch (e) {
    session.rollback();
    if (e instanceof PluginMisbehaved) return fail(c, e.message);
    if (isFirmflowError(e) && e.code === 'registry.duplicate') {
      // The README's promise: a name taken twice is an error naming both sources, not a plugin silently missing.
      fail(c, e.message);
      throw new FirmflowError('registry.duplicate', `${e.message} (a plugin that means to replace it registers it with { override: true })`);
    }
    return fail(c, `its register function threw: ${(e as Error)?.message ?? String(e)}`);
  }
  c.info.status = 'loaded';
  const missing = (c.info.backends ?? []).filter((b) => !findBackend(b));
  if (missing.length) warnings.push(`${c.label} declares backend${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} in its package.json but did not register ${missing.length > 1 ? 'them' : 'it'}`);
}

function fail(c: PluginCandidate, reason: string): void {
  c.info.status = 'failed';
  c.info.reason = reason;
  warn(c);
}

function load(c: PluginCandidate): Promise<void> {
  let p = loads.get(c);
  if (!p) {
    p = queue.then(() => doLoad(c));
    // A plugin whose load is an error (a duplicate name) must not stop the ones queued after it from loading.
    queue = p.catch(() => {});
    loads.set(c, p);
  }
  return p;
}

/** Environment variable bounding the import and the register call of each plugin, in milliseconds. */
export const PLUGIN_TIMEOUT_ENV = 'FIRMFLOW_PLUGIN_TIMEOUT_MS';
export const DEFAULT_PLUGIN_TIMEOUT_MS = 10_000;

function pluginTimeoutMs(): number {
  const raw = process.env[PLUGIN_TIMEOUT_ENV];
  const v = Number(raw);
  return raw && Number.isFinite(v) && v > 0 ? v : DEFAULT_PLUGIN_TIMEOUT_MS;
}

/** A plugin that hung or tried to end the process while loading: it becomes a warning naming it. */
class PluginMisbehaved extends Error {}

export { pluginsTimedOut } from './plugin-timeouts.js';

/**
 * Runs plugin code (its import or its register call) under the time limit, with process.exit refused: a plugin
 * ending firmflow silently (exit 0 in the middle of a conversion) is worse than any error it could report.
 * The timer is a live handle on purpose: a register awaiting a promise that never settles would otherwise leave
 * the event loop empty, and Node would end the process with exit code 13 and no message.
 */
async function runPluginCode<T>(step: string, run: () => Promise<T> | T): Promise<T> {
  const ms = pluginTimeoutMs();
  const realExit = process.exit;
  let exitCode: string | undefined;
  process.exit = ((code?: number | string | null) => {
    exitCode ??= String(code ?? 0);
    throw new PluginMisbehaved(`called process.exit(${String(code ?? '')}) while ${step} ran; firmflow refused it`);
  }) as typeof process.exit;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        markPluginTimedOut();
        reject(new PluginMisbehaved(`${step} did not finish within ${ms} ms (${PLUGIN_TIMEOUT_ENV}); the plugin was skipped`));
      }, ms);
    });
    const value = await Promise.race([Promise.resolve().then(run), timeout]);
    // A plugin that caught the refusal and carried on is still refused.
    if (exitCode !== undefined) throw new PluginMisbehaved(`called process.exit(${exitCode}) while ${step} ran; firmflow refused it`);
    return value;
  } catch (e) {
    if (exitCode !== undefined && !(e instanceof PluginMisbehaved)) throw new PluginMisbehaved(`called process.exit(${exitCode}) while ${step} ran; firmflow refused it`);
    throw e;
  } finally {
    clearTimeout(timer);
    process.exit = realExit;
  }
}

/** Imports every discovered plugin (for listing all backends). Failures become warnings. */
export async function loadAllPlugins(): Promise<void> {
  await Promise.all(all().map(load));
}

/**
 * Imports the plugins that can contribute to a conversion for `backend`: those that declare it, and those whose
 * backends are not known up front (FIRMFLOW_BACKEND_PLUGINS modules, packages declaring no backends, which may
 * add passes to shared flows).
 */
async function loadPluginsFor(backend: string): Promise<void> {
  const key = backend.toLowerCase();
  await Promise.all(
    all()
      .filter((c) => !c.info.backends || c.info.backends.length === 0 || c.info.backends.some((b) => b.toLowerCase() === key))
      .map(load),
  );
}

/**
 * The backend registered under `name` (case-insensitive), importing the plugins that may provide it first.
 * An unknown name is a FirmflowError listing the available backends.
 */
export async function getBackend(name: string): Promise<Backend> {
  if (typeof name !== 'string' || name === '') throw new FirmflowError('registry.backend', 'no backend given');
  await loadPluginsFor(name);
  let b = findBackend(name);
  if (!b) {
    await loadAllPlugins();
    b = findBackend(name);
  }
  if (!b) {
    const names = registeredBackends().map((x) => x.name);
    throw new FirmflowError(
      'registry.backend',
      names.length
        ? `unknown backend '${name}' (available: ${names.join(', ')})`
        : `unknown backend '${name}': no backends are available (install a backend plugin package, or name one in FIRMFLOW_BACKEND_PLUGINS)`,
      { available: names },
    );
  }
  return b;
}

/** Every backend, after importing all discovered plugins. */
export async function getAvailableBackends(): Promise<BackendInfo[]> {
  await loadAllPlugins();
  return registeredBackends();
}

/**
 * Registers an explicit plugin object (or register function) from user code, ESLint flat-config style.
 * Unlike discovered plugins, a failure here is thrown to the caller (after taking back its registrations).
 */
export async function usePlugin(plugin: FirmflowPlugin | PluginRegister): Promise<void> {
  let p: { register: PluginRegister; meta?: PluginMeta };
  try {
    p = asPlugin(plugin, 'usePlugin argument');
  } catch (e) {
    throw new FirmflowError('registry.plugin', (e as Error).message);
  }
  const label = p.meta ? `plugin '${p.meta.name}${p.meta.version ? `@${p.meta.version}` : ''}' (${USER_SOURCE})` : USER_SOURCE;
  const session = createPluginSession(label);
  try {
    await p.register(session.api);
    session.commit();
  } catch (e) {
    session.rollback();
    throw e;
  }
}
