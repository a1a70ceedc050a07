import { basename, resolve } from 'node:path';
import { FirmflowError } from './errors.js';
import type { Graph } from './ir/graph.js';
import { sanitizeIdentifier } from './ir/names.js';
import { loadModel } from './onnx/frontend.js';
import { runFlows } from './pipeline/driver.js';
import type { PassRecord } from './pipeline/pass.js';
import { getBackend, getPluginWarnings } from './registry/plugins.js';
import { blame } from './registry/blame.js';
import { backendSource, getWriter, writerSource } from './registry/registry.js';
import { ensureSharedFlows } from './registry/shared.js';
import type { Backend } from './registry/types.js';
import { writeAtomically } from './writer/atomic.js';
import { createOutputFiles } from './writer/files.js';
import { badOption } from './options/schema.js';
import { loadConfig, resolveOptions, type ConvertOptions, type ResolvedOptions } from './options/resolve.js';
import { providedMethods, unsupportedMethods, type ProjectDescription, type ProjectMethodName, type ProjectMethods } from './project.js';

export type { ConvertOptions, LayerOptions, ResolvedOptions } from './options/resolve.js';
export { readConfigFile, resolveOptions } from './options/resolve.js';
export { checkPrecision } from './precision/parse.js';

export interface WriteOptions {
  force?: boolean;
}

export interface WriteResult {
  /** Absolute path of the written folder. */
  dir: string;
  /** Files written, relative to `dir`, sorted. */
  files: string[];
}

/**
 * What `convert` returns. The methods of ProjectMethods are always there: those the backend implements (through
 * Backend.extendProject) do the work, the others throw an error naming the backend (`provides` tells which).
 */
export interface Project extends ProjectMethods, ProjectDescription {
  graph: Graph;
  backend: Backend;
  options: ResolvedOptions;
  projectName: string;
  /** Flows run, in order. */
  flows: string[];
  passRecords: PassRecord[];
  /** Plugin warnings so far (plugins that were refused or failed to load), for hosts to show. */
  warnings: string[];
  /** Writes the backend's project into `dir` (default options.outputDir), atomically. */
  write(dir?: string, options?: WriteOptions): Promise<WriteResult>;
  /** Whether the backend implements a method (compile, predict, emulate, trace, estimate, report). */
  provides(method: ProjectMethodName): boolean;
  /** Backend-specific extras (untyped; the typed ones are above). */
  [extension: string]: unknown;
}

function defaultProjectName(model: string | Uint8Array): string {
  if (typeof model === 'string') return sanitizeIdentifier(basename(model).replace(/\.onnx$/i, ''), 'project');
  return 'myproject';
}

/**
 * Converts an ONNX model for a backend: loads it, runs the backend's flows (the shared ones they require
 * first), and returns the project. Nothing is written until project.write().
 */
export async function convert(model: string | Uint8Array, options: ConvertOptions): Promise<Project> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new FirmflowError('options.value', 'convert needs an options object with at least { backend }');
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new FirmflowError('options.value', 'convert needs a model file path or the bytes of an ONNX model');
  }
  const config = loadConfig(options.config);
  const backendName = options.backend ?? config.values.backend;
  if (backendName === undefined) throw new FirmflowError('options.key', "option 'backend' is required", { key: 'backend' });
  if (typeof backendName !== 'string') badOption('backend', options.backend === undefined ? `config file ${config.file ?? ''}: ` : '', `must be a backend name, got ${JSON.stringify(backendName)}`);
  const backend = await getBackend(backendName);
  const resolved = resolveOptions(options, config.values, config.file, backend, defaultProjectName(model));
  const progress = options.progress ?? (() => {});
  const log = options.log ?? (() => {});

  progress(`loading ${typeof model === 'string' ? model : 'model'}`);
  const graph = loadModel(model, { inputShapes: resolved.inputShapes });
  checkLayerNames(resolved, graph);

  ensureSharedFlows();
  progress(`running flows for ${backend.name}`);
  const result = runFlows(graph, backend.flows, { backend: backend.name, options: resolved, log });

  let provided: Set<ProjectMethodName> | undefined;
  const project: Project = {
    ...unsupportedMethods(backend.name, backend.openProject !== undefined),
    graph,
    backend,
    options: resolved,
    projectName: resolved.projectName,
    flows: result.flows,
    passRecords: result.records,
    warnings: getPluginWarnings(),
    write: (dir?: string, wopts: WriteOptions = {}) => writeProject(project, dir, wopts, progress),
    provides: (method) => (provided ??= providedMethods(project)).has(method),
  };
  if (backend.extendProject) await blame(backendSource(backend.name), `backend '${backend.name}' (extendProject)`, () => backend.extendProject!(project, graph, resolved));
  provided = providedMethods(project);
  return project;
}

function checkLayerNames(options: ResolvedOptions, graph: Graph): void {
  const names = new Set<string>();
  for (const n of graph.nodes.values()) {
    names.add(n.name);
    if (n.origin?.name) names.add(n.origin.name);
  }
  const unknown = Object.keys(options.layers).filter((l) => !names.has(l));
  if (unknown.length) {
    throw new FirmflowError('options.value', `option 'layers' names node${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} that the model does not have`, { key: 'layers', unknown });
  }
}

async function writeProject(project: Project, dir: string | undefined, opts: WriteOptions, progress: (step: string) => void): Promise<WriteResult> {
  const target = dir ?? project.options.outputDir;
  if (!target) throw new FirmflowError('options.key', "no output folder given (-o <dir> on the command line, write(dir) or option 'outputDir' in the API or config)", { key: 'outputDir' });
  const b = project.backend;
  const writerName = b.writer ?? b.name;
  const writer = getWriter(writerName);
  if (!writer) throw new FirmflowError('registry.writer', `backend '${b.name}' writes through writer '${writerName}', which is not registered`);
  progress(`writing ${target}`);
  const files = await writeAtomically(
    target,
    async (tmp) => {
      const out = createOutputFiles(tmp);
      const write = () => writer.write({ graph: project.graph, projectName: project.projectName, backend: b.name, options: project.options, dir: tmp, files: out });
      await blame(writerSource(writerName), `writer '${writerName}'`, write);
      return out.written();
    },
    { force: opts.force ?? project.options.force },
  );
  return { dir: resolve(target), files };
}
