import type { TraceReportLike } from './trace/report.js';
import { FirmflowError } from './errors.js';
import type { Graph } from './ir/graph.js';

/*
 * What a backend can do with a project: build and run its host simulation, emulate it bit-accurately, trace it layer
 * by layer against the float model, estimate it, report on it. Backends implement these (Backend.extendProject on a
 * converted project, Backend.openProject on a written folder); the core and its bench call them through these types.
 */

/** Tensors by name in the JSON layout of the reference models: { dtype, shape (batch first), data (C order) }. */
export type NamedTensors = Record<string, { dtype?: string; shape: number[]; data: ArrayLike<number> }>;

/** A value or the promise of one: backends whose work is synchronous may return it directly. */
export type Awaitable<T> = T | Promise<T>;

export interface CompileOptions {
  /** Rebuild even when the sources are unchanged. */
  force?: boolean;
  /** Backend-specific settings (compiler, flags ...). */
  [backendOption: string]: unknown;
}

export interface CompileResult {
  /** True when the previous build was still valid and nothing ran. */
  cached: boolean;
  /** Wall time of the build in ms. */
  ms: number;
  /** The shared library and the program built, when the backend builds them. */
  library?: string;
  program?: string;
}

export interface PredictOptions {
  /** Threads of the simulation (default: the backend's, usually all cores). */
  threads?: number;
  [backendOption: string]: unknown;
}

export interface TraceOptions {
  /** The float model to compare with (default: the backend's own, e.g. the optimized model before lowering). */
  reference?: Graph;
  [backendOption: string]: unknown;
}

/** A trace: the per-layer comparison (see TraceReportLike) and, from some backends, its printable table. */
export type TraceResult = TraceReportLike & { text?: string };

/**
 * An estimate in firmflow's estimate contract (what `firmflow bench` and `sweep` read): totals, per-layer figures
 * and the target's capacity. Backends add fields of their own.
 */
export interface EstimateResult {
  /** Backend that estimated. */
  backend?: string;
  total: {
    latencyCycles?: number;
    latencyNs?: number;
    ii?: number;
    /** Samples per second. */
    throughput?: number;
    /** Used resources: counts by name (dsp, lut, ff, bram18k, uram, tiles ...). */
    resources?: ResourceCounts;
    /** Capacity of the target: counts by resource name. */
    available?: ResourceCounts;
    /** Used / available by resource name. */
    fractions?: ResourceCounts;
    fits?: boolean;
  };
  /** Per-layer figures, by IR node (or layer name). */
  layers?: readonly { node?: string; name?: string; latencyCycles?: number; ii?: number; resources?: ResourceCounts }[];
  /** Assumptions of the estimate model, printed with it. */
  assumptions?: string[];
  bottleneck?: string;
}

/**
 * Numbers by resource name. Typed `object` so a backend's own interface of named counts ({ dsp: number; lut: number })
 * fits; readers take the finite numbers they find.
 */
export type ResourceCounts = object;

/** A backend's report on a project; `text` is what `firmflow report` prints. */
export interface ProjectReport {
  /** The printable report. */
  text: string;
}

/** The methods a backend provides for its projects. Every one is optional: a backend implements what it can. */
export interface ProjectMethods {
  /** Builds the host simulation (cached while the sources are unchanged). A converted project may be given its folder. */
  compile(dirOrOptions?: string | CompileOptions, options?: CompileOptions): Promise<CompileResult>;
  /** Runs the host simulation on inputs by input name (batch first); outputs by output name. */
  predict(inputs: NamedTensors, options?: PredictOptions): Promise<NamedTensors>;
  /** Runs the bit-accurate emulator (no compiler needed). */
  emulate(inputs: NamedTensors, options?: Record<string, unknown>): Awaitable<NamedTensors>;
  /** Compares every layer with the float model. */
  trace(inputs: NamedTensors, options?: TraceOptions): Awaitable<TraceResult>;
  /** Latency and resource estimate (options: the backend's, e.g. another target). */
  estimate(options?: Record<string, unknown>): Awaitable<EstimateResult>;
  /** The backend's report (estimates beside any vendor tool reports). */
  report(options?: Record<string, unknown>): Awaitable<ProjectReport>;
}

export type ProjectMethodName = keyof ProjectMethods;
export const PROJECT_METHODS: readonly ProjectMethodName[] = ['compile', 'predict', 'emulate', 'trace', 'estimate', 'report'];

/** What a backend says about a project for reports, beyond its methods. */
export interface ProjectDescription {
  /** The kernel (HLS function, AIE kernel ...) implementing an IR node, for the layer tables of reports. */
  kernelOf?(node: string): string | undefined;
  /** The data precision the backend used where the options set none. */
  defaultPrecision?(): string | undefined;
}

/**
 * Methods the core puts on every converted project before the backend's extendProject replaces those it implements:
 * each throws an error that names the backend and the method. `provided()` tells them apart.
 */
const unsupported = new WeakSet<object>();

export function unsupportedMethods(backend: string, reopens: boolean): ProjectMethods {
  // A backend that reopens written folders may have there what its converted projects lack (a host simulation).
  const hint = reopens ? `; write the project and open its folder (firmflow compile|predict|report <dir>, or the backend's openProject)` : '';
  const stub = (name: ProjectMethodName) => {
    // Async, as the implementations may be: a caller's .catch() or await sees the error either way.
    const f = async (): Promise<never> => {
      throw new FirmflowError('project.unsupported', `backend '${backend}' does not implement ${name}() for a converted project${hint}`, { method: name });
    };
    unsupported.add(f);
    return f;
  };
  return {
    compile: stub('compile'), predict: stub('predict'), emulate: stub('emulate'), trace: stub('trace'), estimate: stub('estimate'), report: stub('report'),
  };
}

/** The methods of `project` that its backend implements (not the core's placeholders). */
export function providedMethods(project: Partial<ProjectMethods>): Set<ProjectMethodName> {
  return new Set(PROJECT_METHODS.filter((m) => {
    const f = project[m];
    return f !== undefined && !unsupported.has(f);
  }));
}
