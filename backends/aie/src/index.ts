/*
 * Plugin entry of the AMD AI Engine backend. The package declares it in its package.json ("firmflow" field), so
 * firmflow finds it by discovery like any third-party plugin; it imports the core only as 'firmflow'.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FirmflowError, type Graph, type IRNode, type NamedTensors, type OpenedProject, type PluginAPI, type Project } from 'firmflow';
import { compileHost, type HostBuild } from './compile.js';
import { emulateGraph, type AieEmulateOptions, type AieInputs } from './emulate.js';
import { runHost, type HostManifest, type HostRunOptions } from './host.js';
import { AIE_BACKEND_FLOWS, AIE_OPTIONS, registerAiePasses } from './passes/index.js';
import { SUPPORTED_OPS } from './quantize.js';
import { traceGraph, type AieTraceOptions } from './trace.js';
import { estimateOf, reportOf } from './report.js';
import { AIE_SWEEP } from './sweep.js';
import { deserializeLowered } from './writer/serialize.js';
import { registerAieWriter } from './writer/index.js';

export const meta = { name: 'firmflow-backend-aie', version: '0.1.0' };

export { emulateGraph, srs, roundShift, softmaxTables, layerNormConstants } from './emulate.js';
export type { AieEmuOutput, AieEmulateOptions, AieInputs } from './emulate.js';
export { traceGraph, formatAieTrace, layerNormRsqrtError, srsStep } from './trace.js';
export type { AieTraceLayer, AieTraceOptions, AieTraceReport } from './trace.js';
export { reportOf, estimateOf, type AieReport, type AieEstimate } from './report.js';
export { writeAieProject } from './writer/index.js';
export { AIE_SWEEP, MODEL_ROUNDING, aieSweepAxes, tileLadder } from './sweep.js';
export { compileHost, hostIncludeDir, hostCacheDir, HOST_CXX_FLAGS, type HostBuild } from './compile.js';
export { runHost, type HostManifest, type HostRunOptions } from './host.js';
export type * from './lowered.js';

const SUPPORTED = Object.keys(SUPPORTED_OPS).sort();

/** Whether the AIE lowering implements a node of the optimized IR (for `firmflow inspect`). */
export function supports(node: IRNode): true | string {
  if (SUPPORTED_OPS[node.op]) return true;
  return `op ${node.op} has no AIE kernel (supported: ${SUPPORTED.join(', ')})`;
}

/** What convert() adds to an AIE project. */
export function extendProject(project: Project, graph: Graph): void {
  project.emulate = (inputs, options) => emulateGraph(graph, inputs as AieInputs, options as AieEmulateOptions);
  // Per-layer comparison with the float model (`firmflow bench` passes the optimized model as `reference`).
  project.trace = (inputs, options) => traceGraph(graph, inputs as AieInputs, options as AieTraceOptions);
  project.report = () => reportOf(graph, project.projectName ?? graph.name);
  project.estimate = () => estimateOf(graph, project.projectName ?? graph.name);
}

/** Reopens a written AIE project (its firmflow.json) for `firmflow predict --emulate` and `firmflow report`. */
export async function openProject(dir: string): Promise<OpenedProject> {
  const file = join(dir, 'firmflow.json');
  let manifest: { backend?: string; projectName?: string; lowered?: unknown } & Partial<HostManifest>;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FirmflowError('project.open', `${dir} is not a firmflow project folder (${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (manifest.backend !== 'AIE' || !manifest.lowered) throw new FirmflowError('project.open', `${file} was not written by the AIE backend`);
  const graph = deserializeLowered(manifest.lowered, file);
  const name = manifest.projectName ?? graph.name;
  // compile/predict: g++ against firmflow's own host model of ADF and aie_api (host/include); the vendor flow stays
  // 'make x86sim' / 'make aiesim' in the project folder.
  let build: HostBuild | undefined;
  const compile = (force?: boolean): HostBuild => {
    if (!build || force) build = compileHost(dir, { force });
    return build;
  };
  const opened: OpenedProject = {
    dir: resolve(dir),
    name,
    backend: 'AIE',
    compile: async (options?: { force?: boolean }) => {
      const b = compileHost(dir, { force: options?.force });
      build = b;
      return { cached: b.cached, ms: b.ms, program: b.program };
    },
    predict: async (inputs: NamedTensors, options?: Record<string, unknown>) => {
      const b = compile();
      const host: HostManifest = { projectName: name, rowsPerIteration: manifest.rowsPerIteration, inputs: manifest.inputs ?? [], outputs: manifest.outputs ?? [] };
      return runHost(b.program, host, inputs as never, options as HostRunOptions) as unknown as NamedTensors;
    },
    emulate: async (inputs: NamedTensors, options?: Record<string, unknown>) => emulateGraph(graph, inputs, options as AieEmulateOptions) as unknown as NamedTensors,
    // Without a reference the float model is the lowered graph with its dequantized constants (the manifest keeps
    // no float weights); `text` is the table `firmflow predict --trace` prints.
    trace: async (inputs: NamedTensors, options?: Record<string, unknown>) => traceGraph(graph, inputs, options as AieTraceOptions),
    report: async () => ({ ...reportOf(graph, name) }),
    estimate: async () => estimateOf(graph, name),
    // The planned graph, for `firmflow bench <dir>` (inputs, layers and their estimates).
    graph: () => graph,
  };
  return opened;
}

export function register(api: PluginAPI): void {
  registerAiePasses(api);
  registerAieWriter(api);
  api.registerBackend('AIE', {
    meta,
    description: 'AMD AI Engine (AIE-ML, AIE-MLv2): ADF graph with aie_api kernels, cascade tiling, placement, memory-tile plan',
    flows: AIE_BACKEND_FLOWS,
    writer: 'AIE',
    supports,
    options: AIE_OPTIONS,
    extendProject,
    openProject,
    // firmflow sweep: tile budget x rounding x rows per iteration, against tiles, throughput and latency
    sweep: AIE_SWEEP,
  });
}

export default { meta, register };
