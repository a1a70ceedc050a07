import { checkSchema } from '../options/schema.js';
import { FirmflowError } from '../errors.js';
import { getOpHandler, listOpHandlers, normalizeDomain, registerOpHandler as addOpHandler, type OpHandler } from '../onnx/handlers.js';
import { ensureBuiltinOps } from '../onnx/ops/index.js';
import { getFlow, registerFlow as addFlow, registerPass as addPass, unregisterFlow, unregisterPass } from '../pipeline/flows.js';
import type { Flow, Pass } from '../pipeline/pass.js';
import { ensureSharedFlows } from './shared.js';
import type { Backend, BackendInfo, PluginAPI, RegisterPassOptions, Writer } from './types.js';

/** Source label of registrations made by firmflow itself (its own package's plugin). */
export const BUILTIN_SOURCE = 'built-in';
/** Source label of registrations made by code that calls the API directly. */
export const USER_SOURCE = 'user code';

interface Entry<T> { value: T; source: string }

// Keys are lower-cased: backend and writer names are case-insensitive everywhere (CLI, API, manifests).
const backends = new Map<string, Entry<Backend>>();
const writers = new Map<string, Entry<Writer>>();

/**
 * Undo actions of every registration made through this module, newest last, so `resetRegistry` can return to
 * the built-in state (tests) and a plugin that fails half-way can be taken out again.
 */
let undoLog: (() => void)[] = [];

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:+-]*$/;

function checkName(kind: string, name: unknown, source: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new FirmflowError('registry.name', `${kind} name ${JSON.stringify(name)} from ${source} is not valid (letters, digits and _ . : + - only, starting with a letter or digit)`);
  }
  return name;
}

function addBackend(name: string, backend: Omit<Backend, 'name'> & { name?: string }, source: string, override = false): () => void {
  checkName('backend', name, source);
  if (!backend || typeof backend !== 'object') throw new FirmflowError('registry.backend', `backend '${name}' from ${source} is not an object`);
  if (backend.name !== undefined && backend.name !== name) {
    throw new FirmflowError('registry.backend', `backend registered as '${name}' from ${source} calls itself '${backend.name}'`);
  }
  if (!Array.isArray(backend.flows) || backend.flows.some((f) => typeof f !== 'string')) {
    throw new FirmflowError('registry.backend', `backend '${name}' from ${source} must list its flows (an array of flow names)`);
  }
  if (backend.optionKeys !== undefined && (!Array.isArray(backend.optionKeys) || backend.optionKeys.some((k) => typeof k !== 'string'))) {
    throw new FirmflowError('registry.backend', `backend '${name}' from ${source}: optionKeys must be an array of strings`);
  }
  if (backend.options !== undefined) checkSchema(backend.options, `backend '${name}' from ${source}`);
  const key = name.toLowerCase();
  const prev = backends.get(key);
  if (prev && !override) {
    throw new FirmflowError('registry.duplicate', `backend '${name}' from ${source} is already registered by ${prev.source} (as '${prev.value.name}')`);
  }
  const entry = { value: (backend.name === name ? backend : { ...backend, name }) as Backend, source };
  backends.set(key, entry);
  return () => { if (backends.get(key) === entry) restore(backends, key, prev); };
}

function addWriter(name: string, writer: Omit<Writer, 'name'> & { name?: string }, source: string, override = false): () => void {
  checkName('writer', name, source);
  if (!writer || typeof writer.write !== 'function') throw new FirmflowError('registry.writer', `writer '${name}' from ${source} has no write() function`);
  const key = name.toLowerCase();
  const prev = writers.get(key);
  if (prev && !override) throw new FirmflowError('registry.duplicate', `writer '${name}' from ${source} is already registered by ${prev.source} (as '${prev.value.name}')`);
  const entry = { value: (writer.name === name ? writer : { ...writer, name }) as Writer, source };
  writers.set(key, entry);
  return () => { if (writers.get(key) === entry) restore(writers, key, prev); };
}

/** Undoes a registration: the entry it overrode comes back, or the name is free again. */
function restore<T>(map: Map<string, Entry<T>>, key: string, prev: Entry<T> | undefined): void {
  if (prev) map.set(key, prev);
  else map.delete(key);
}

function addFlowChecked(flow: Flow, source: string): () => void {
  if (!flow || typeof flow.name !== 'string' || !Array.isArray(flow.passes)) {
    throw new FirmflowError('registry.flow', `flow from ${source} needs a name and a list of passes`);
  }
  checkName('flow', flow.name, source);
  ensureSharedFlows();
  addFlow(flow, source);
  return () => unregisterFlow(flow.name);
}

function addPassChecked(pass: Pass, options: RegisterPassOptions | undefined, source: string): () => void {
  if (!pass || typeof pass.name !== 'string' || typeof pass.transform !== 'function' || (pass.match !== 'graph' && !Array.isArray(pass.match))) {
    throw new FirmflowError('registry.pass', `pass from ${source} needs a name, match ('graph' or a list of op types) and transform()`);
  }
  checkName('pass', pass.name, source);
  ensureSharedFlows();
  addPass(pass, options, source);
  return () => unregisterPass(pass.name);
}

/** Op handlers cannot be removed again, so a conflict is checked up front and the handler registered last. */
function checkOpHandler(handler: OpHandler, source: string): void {
  if (!handler || typeof handler.op !== 'string' || typeof handler.lower !== 'function' || !Array.isArray(handler.opsets)) {
    throw new FirmflowError('registry.op', `ONNX op handler from ${source} needs op, opsets, inputs, attributes and lower()`);
  }
  // Built-in handlers register lazily; they must be in place before a conflict can be seen.
  ensureBuiltinOps();
  for (const d of handler.domains ?? ['']) {
    if (getOpHandler(d, handler.op)) {
      const dom = normalizeDomain(d);
      const prev = listOpHandlers().find((h) => h.op === handler.op && h.domain === dom);
      throw new FirmflowError('registry.duplicate', `ONNX op handler for ${handler.op}${dom ? ` (domain ${dom})` : ''} from ${source} is already registered by ${prev?.source ?? 'firmflow'}`);
    }
  }
}

function addOpHandlerChecked(handler: OpHandler, source: string): void {
  checkOpHandler(handler, source);
  try {
    addOpHandler(handler, source);
  } catch (e) {
    throw new FirmflowError('registry.duplicate', (e as Error).message);
  }
}

// ------------------------------------------------------------------ user-code API

export function registerBackend(name: string, backend: Omit<Backend, 'name'> & { name?: string }): void {
  undoLog.push(addBackend(name, backend, USER_SOURCE));
}

export function registerWriter(name: string, writer: Omit<Writer, 'name'> & { name?: string }): void {
  undoLog.push(addWriter(name, writer, USER_SOURCE));
}

/** Adds a pass; with `{ flow, before | after }` it is placed in that flow (at the end without an anchor). */
export function registerPass(pass: Pass, options?: RegisterPassOptions): void {
  undoLog.push(addPassChecked(pass, options, USER_SOURCE));
}

export function registerFlow(flow: Flow): void {
  undoLog.push(addFlowChecked(flow, USER_SOURCE));
}

export function registerOpHandler(handler: OpHandler): void {
  addOpHandlerChecked(handler, USER_SOURCE);
}

// ------------------------------------------------------------------ plugin sessions

export interface PluginSession {
  /** The API handed to the plugin's register function; every registration carries the plugin's label. */
  api: PluginAPI;
  /** Makes the registrations permanent (registers deferred op handlers). */
  commit(): void;
  /** Takes back everything registered so far (the plugin failed). */
  rollback(): void;
}

/**
 * A registration session for one plugin. Backends, writers, flows and passes apply at once (later calls of the
 * same plugin may refer to them); op handlers are checked at once and registered on commit, because the ONNX
 * handler table cannot take them back if the plugin fails afterwards.
 */
export function createPluginSession(source: string): PluginSession {
  const undos: (() => void)[] = [];
  const pendingHandlers: OpHandler[] = [];
  let closed = false;
  const guard = (what: string): void => {
    if (closed) throw new FirmflowError('registry.late', `${source} called ${what} after its register function finished`);
  };
  const api: PluginAPI = {
    registerBackend: (name, backend, opts) => { guard('registerBackend'); undos.push(addBackend(name, backend, source, opts?.override === true)); },
    registerWriter: (name, writer, opts) => { guard('registerWriter'); undos.push(addWriter(name, writer, source, opts?.override === true)); },
    registerPass: (pass, options) => { guard('registerPass'); undos.push(addPassChecked(pass, options, source)); },
    registerFlow: (flow) => { guard('registerFlow'); undos.push(addFlowChecked(flow, source)); },
    registerOpHandler: (handler) => {
      guard('registerOpHandler');
      checkOpHandler(handler, source);
      if (pendingHandlers.some((h) => h.op === handler.op && (h.domains ?? ['']).some((d) => (handler.domains ?? ['']).map(normalizeDomain).includes(normalizeDomain(d))))) {
        throw new FirmflowError('registry.duplicate', `ONNX op handler for ${handler.op} is registered twice by ${source}`);
      }
      pendingHandlers.push(handler);
    },
  };
  return {
    api,
    commit() {
      closed = true;
      for (const h of pendingHandlers) addOpHandlerChecked(h, source);
      undoLog.push(...undos);
    },
    rollback() {
      closed = true;
      for (const u of undos.reverse()) u();
    },
  };
}

// ------------------------------------------------------------------ lookups (registered only; no plugin loading)

/** A registered backend (case-insensitive), without loading plugins. Use getBackend to load on demand. */
export function findBackend(name: string): Backend | undefined {
  return backends.get(name.toLowerCase())?.value;
}

export function backendSource(name: string): string | undefined {
  return backends.get(name.toLowerCase())?.source;
}

export function getWriter(name: string): Writer | undefined {
  return writers.get(name.toLowerCase())?.value;
}

export function writerSource(name: string): string | undefined {
  return writers.get(name.toLowerCase())?.source;
}

export function registeredBackends(): BackendInfo[] {
  return [...backends.values()]
    .map(({ value: b, source }) => ({
      name: b.name,
      description: b.description,
      source,
      meta: b.meta,
      flows: [...b.flows],
      writer: b.writer ?? b.name,
    }))
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
}

/**
 * Takes back every backend, writer, flow and pass registered through this module (user code and plugins).
 * Built-in shared passes registered directly with the pipeline stay. ONNX op handlers cannot be removed.
 */
export function resetRegistry(): void {
  const log = undoLog;
  undoLog = [];
  for (const u of log.reverse()) u();
}

/** Whether a flow exists (after the shared flows are registered). */
export function hasFlow(name: string): boolean {
  ensureSharedFlows();
  return getFlow(name) !== undefined;
}
