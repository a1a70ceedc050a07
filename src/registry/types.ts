import type { Graph, IRNode } from '../ir/graph.js';
import type { OpHandler } from '../onnx/handlers.js';
import type { Flow, Pass } from '../pipeline/pass.js';
import type { Project, ResolvedOptions } from '../api.js';
import type { OptionSchema } from '../options/schema.js';
import type { CompileOptions, CompileResult, ProjectDescription, ProjectMethods } from '../project.js';

export type { NamedTensors } from '../project.js';

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
  /** Helpers that write inside `dir` only (paths are checked), deterministically. */
  files: OutputFiles;
}

/** File helpers for writers; every path is relative to the output folder and may not leave it. */
export interface OutputFiles {
  readonly root: string;
  /** Writes UTF-8 text (line endings normalized to \n); creates parent folders. Returns the absolute path. */
  text(relPath: string, content: string): string;
  binary(relPath: string, data: Uint8Array | ArrayBufferView): string;
  /** Renders an EJS template file (`<%= %>` does not HTML-escape: the output is C++, not HTML). */
  render(templateFile: string, relPath: string, data: Record<string, unknown>): string;
  /** Copies a file (e.g. a C++ header library) into the output. */
  copy(srcFile: string, relPath: string): string;
  /** Relative paths written so far, sorted. */
  written(): string[];
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
  /**
   * The conversion options this backend accepts beyond the core's generic ones: the core validates them (messages name
   * the option and where it came from), fills in their defaults, and the CLI turns them into flags and help lines.
   */
  options?: OptionSchema;
  /** @deprecated Option keys accepted as given, without validation: declare `options` instead. */
  optionKeys?: string[];
  /**
   * Implements the project's methods (compile, predict, emulate, trace, estimate, report: ProjectMethods) on the
   * object `convert` returns, by assigning them. Called after the flows ran.
   */
  extendProject?(project: Project, graph: Graph, options: ResolvedOptions): void | Promise<void>;
  /**
   * Reopens a project folder this backend wrote (its firmflow.json names the backend), for `firmflow compile` and
   * `firmflow predict`.
   */
  openProject?(dir: string): Promise<OpenedProject>;
  /**
   * The backend's design space for `firmflow sweep`: its axes (values -> conversion options) and its figures of
   * merit. A backend without it cannot be swept.
   */
  sweep?: BackendSweep;
  /**
   * The full editable configuration of a converted project, for `firmflow config`: an object `convert -c` reads back
   * to the same project (hls4ml's form: project keys and HLSConfig's Model / LayerType / LayerName). `granularity`
   * says how far down it goes: the Model section only, one entry per layer type, or one per layer.
   */
  configOf?(project: Project, granularity: ConfigGranularity): Record<string, unknown>;
}

/** How detailed a written configuration is (hls4ml's config_from_* granularity). */
export type ConfigGranularity = 'model' | 'type' | 'name';

/** A value on a sweep axis (as parsed from the command line). */
export type SweepValue = string | number;

/** One axis of a backend's design space: named values, each turned into conversion options. */
export interface SweepAxis {
  /**
   * The name on the command line (`--axis NAME=v1,v2`) and the key of a point's values; by convention the option
   * path the axis sets ('precision', 'reuseFactor', 'aie.tileBudget'). An option given at that path on the command
   * line conflicts with sweeping the axis.
   */
  name: string;
  /** One line for `firmflow sweep --list-axes`. */
  description: string;
  /** CSV column (default: the name, dots as underscores). */
  column?: string;
  /** Table header (default: the name). */
  label?: string;
  /** Values swept when no axis is named (empty: swept only when named). */
  defaults: SweepValue[];
  /** The value the base options give, shown in the rows of an axis that is not swept. */
  base?: SweepValue;
  /** A value from its command-line text; throws an error that names the problem for a bad one. */
  parse(text: string): SweepValue;
  /** The conversion options with this axis at `value` (a new object; `options` is not modified). */
  apply(options: Record<string, unknown>, value: SweepValue): Record<string, unknown>;
  /** Whether the value changes the types of the model's inputs (the default random range is the narrowest over them). */
  changesInputTypes?: boolean;
}

/** A figure of merit of a sweep point (a CSV column), and whether the Pareto front minimizes or maximizes it. */
export interface SweepFigure {
  /** Key in a result's `estimate`. */
  name: string;
  column: string;
  /** Table header; figures without one are in the CSV and JSON only. */
  label?: string;
  /** Pareto objective ('min' or 'max'); absent: reported, not an objective. */
  goal?: 'min' | 'max';
  description?: string;
}

/** `Backend.sweep`: what `firmflow sweep` varies and measures for a backend. */
export interface BackendSweep {
  /**
   * The axes for one model and the sweep's base options (`options`, as given). `project()` converts the model with
   * those options (memoized; its `options` are the resolved ones, a config file's included) for defaults that
   * depend on the model; a backend that needs no model to name its axes need not call it.
   */
  axes(ctx: SweepContext): SweepAxis[] | Promise<SweepAxis[]>;
  /** Figures of merit besides accuracy, in column order (default: those of the estimate contract, as firmflow bench reads it). */
  figures?: SweepFigure[];
  /** The figures of one converted point (keys of `figures`; null when unknown). Runs in the sweep worker. */
  measure?(project: Project): Record<string, number | null> | Promise<Record<string, number | null>>;
}

/** What `BackendSweep.axes` is given. */
export interface SweepContext {
  /** The model file swept. */
  model: string;
  /** The base conversion options, as given (before a config file is merged). */
  options: Record<string, unknown>;
  /** The model converted with the base options (memoized). */
  project(): Promise<Project>;
}

/** A written project reopened by its backend: the host simulation always, the other methods when it has them. */
export interface OpenedProject extends Partial<Omit<ProjectMethods, 'compile' | 'predict'>>, ProjectDescription {
  dir: string;
  name: string;
  backend: string;
  /** Builds the host simulation (cached when the sources are unchanged). */
  compile(options?: CompileOptions): Promise<CompileResult>;
  predict: ProjectMethods['predict'];
  /** The project's (lowered) graph, for `firmflow bench <dir>`: its inputs, layers and their estimates. */
  graph?(): Graph;
}

export interface RegisterPassOptions {
  flow: string;
  before?: string;
  after?: string;
}

/**
 * A name already registered is an error naming both sources; a plugin that means to replace a backend or writer
 * of another says so with `override: true` (its replacement is taken back with it, restoring the previous one).
 */
export interface RegisterNameOptions {
  override?: boolean;
}

/** The API a plugin's register function receives (bound to the plugin, so conflicts can name it). */
export interface PluginAPI {
  registerBackend(name: string, backend: Omit<Backend, 'name'> & { name?: string }, options?: RegisterNameOptions): void;
  registerWriter(name: string, writer: Omit<Writer, 'name'> & { name?: string }, options?: RegisterNameOptions): void;
  registerPass(pass: Pass, options: RegisterPassOptions): void;
  registerFlow(flow: Flow): void;
  registerOpHandler(handler: OpHandler): void;
}

export type PluginRegister = (api: PluginAPI) => void | Promise<void>;

/**
 * A plugin as an explicit object (ESLint flat-config style): identity plus one register hook. A plugin module
 * exports either this object or the bare register function.
 */
export interface FirmflowPlugin {
  meta: PluginMeta;
  register: PluginRegister;
}

/** The `"firmflow"` field of a plugin package's package.json. */
export interface PluginManifest {
  apiVersion: number;
  /** Module that registers the plugin, relative to the package folder. */
  plugin: string;
  /** Backends the plugin registers, so discovery can list them and load the plugin only when one is needed. */
  backends: string[];
}

/** Where a discovered plugin came from. */
export type PluginOrigin = 'built-in' | 'package' | 'env';

/** Load state of a discovered plugin. */
export type PluginStatus = 'found' | 'loaded' | 'failed' | 'refused';

/** A plugin found by discovery, described from its manifest (or its FIRMFLOW_BACKEND_PLUGINS entry) alone. */
export interface PluginInfo {
  /** Package name, or the FIRMFLOW_BACKEND_PLUGINS entry as written. */
  name: string;
  version?: string;
  origin: PluginOrigin;
  /** Package folder (real path) for packages. */
  packageDir?: string;
  /** Resolved module file, when it could be resolved. */
  module?: string;
  /** Export used as the register function ('register', else 'default', unless named with #export). */
  exportName?: string;
  /** Backends declared by the manifest; undefined when not known before loading (environment entries). */
  backends?: string[];
  status: PluginStatus;
  /** Why the plugin was refused or failed. */
  reason?: string;
  /** meta of the plugin object, once loaded. */
  meta?: PluginMeta;
}

/** A registered backend as listed by `firmflow backends`. */
export interface BackendInfo {
  name: string;
  description?: string;
  /** Who registered it: 'built-in', 'user code' or the plugin. */
  source: string;
  meta?: PluginMeta;
  flows: string[];
  writer: string;
}
