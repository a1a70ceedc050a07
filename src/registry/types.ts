import type { Graph, IRNode } from '../ir/graph.js';
import type { OpHandler } from '../onnx/handlers.js';
import type { Flow, Pass } from '../pipeline/pass.js';

/** Identity of a plugin (ESLint flat-config style). */
export interface PluginMeta {
  name: string;
  version?: string;
}

/** What a project hands to a writer. */
export interface WriteContext {
  graph: Graph;
  /** The project name (a sanitized identifier). */
  projectName: string;
  backend: string;
  /** Resolved conversion options. */
  options: Record<string, unknown>;
  /** Folder the writer fills; it is a fresh temporary folder renamed into place when the writer returns. */
  dir: string;
}

export interface Writer {
  name: string;
  meta?: PluginMeta;
  write(ctx: WriteContext): void | Promise<void>;
}

/**
 * A backend: the flows that lower the optimized IR for a target, the writer that emits its project, and
 * what it can say about support for individual nodes (for `firmflow inspect`).
 */
export interface Backend {
  name: string;
  meta?: PluginMeta;
  description?: string;
  /**
   * Flows to run for this backend, in order of need; their `requires` pull in the shared flows
   * (normally `optimize`).
   */
  flows: string[];
  /** Name of the writer used by `convert`/`write` (defaults to the backend's own name). */
  writer?: string;
  /** Whether the backend can implement a node of the optimized IR; a string gives the reason it cannot. */
  supports?(node: IRNode, graph: Graph): true | string;
  /** Option keys this backend accepts (beyond the core's), for validation of typed options. */
  optionKeys?: string[];
  /**
   * Project extensions (compile, predict, emulate, report) attached to the object `convert` returns.
   * Called after the flows ran.
   */
  extendProject?(project: Record<string, unknown>, graph: Graph, options: Record<string, unknown>): void | Promise<void>;
}

export interface RegisterPassOptions {
  flow: string;
  before?: string;
  after?: string;
}

/** The API a plugin's register function receives (bound to the plugin, so conflicts can name it). */
export interface PluginAPI {
  registerBackend(name: string, backend: Omit<Backend, 'name'> & { name?: string }): void;
  registerWriter(name: string, writer: Omit<Writer, 'name'> & { name?: string }): void;
  registerPass(pass: Pass, options: RegisterPassOptions): void;
  registerFlow(flow: Flow): void;
  registerOpHandler(handler: OpHandler): void;
}

export type PluginRegister = (api: PluginAPI) => void | Promise<void>;
