/*
 * The Vitis / Vivado HLS backend. Both names register this one implementation; they differ only in the tool
 * flavour (tool names, pragma spellings, script and report paths) the writer and the build scripts use.
 */
import { editableConfig } from './editable-config.js';
import type { Backend, Graph, IRNode, Project, ProjectDescription, ResolvedOptions } from 'firmflow';
import { VITIS_OPTIONS } from './options.js';
import type { HlsGraphInfo, ToolFlavor } from './lowered.js';
import { planKernel } from './passes/kernels.js';
import { CHECK_FLOW, LOWER_FLOW, STREAM_FLOW } from './passes/index.js';
import { VITIS_SWEEP } from './sweep.js';

// The flavours live in a leaf module (flavors.ts); index.ts and tests read them here.
export { VITIS_FLAVOR, VIVADO_FLAVOR, toolFlavor } from './flavors.js';

/** Flows both backends run, in order (`firmflow passes --backend Vitis|Vivado` lists them with their passes). */
export const FLOWS = [LOWER_FLOW, STREAM_FLOW, CHECK_FLOW];

/** Project extensions contributed by other modules (compile/predict, emulate), set by index.ts. */
export type ProjectExtension = (project: Project, graph: Graph, options: ResolvedOptions) => void | Promise<void>;

/** What reports show of a lowered graph: each layer's kernel and the default data precision. */
export function describeLowered(graph: () => Graph): Required<ProjectDescription> {
  return {
    kernelOf: (node) => {
      const kernel = (graph().nodes.get(node)?.meta['hls'] as { kernel?: unknown } | undefined)?.kernel;
      return typeof kernel === 'string' ? kernel : undefined;
    },
    defaultPrecision: () => (graph().meta['hls'] as HlsGraphInfo | undefined)?.defaultPrecision,
  };
}

/** The backend object of one flavour. `extensions` are applied in order by extendProject. */
export function makeBackend(flavor: ToolFlavor, extensions: ProjectExtension[]): Omit<Backend, 'name'> & { name: string } {
  return {
    name: flavor.backend,
    description: `${flavor.backend === 'Vitis' ? 'AMD Vitis HLS' : 'Xilinx Vivado HLS'} C++ for FPGAs (${flavor.tool}); io_parallel or io_stream, latency or resource strategy`,
    flows: [...FLOWS],
    writer: flavor.backend,
    options: VITIS_OPTIONS,
    supports(node: IRNode, graph: Graph): true | string {
      const plan = planKernel(node, graph);
      return typeof plan === 'string' ? plan : true;
    },
    // firmflow sweep: precision x reuse factor against the estimate
    sweep: VITIS_SWEEP,
    // firmflow config: the resolved configuration, every layer explicit, in hls4ml's file form
    configOf: editableConfig,
    // Reopening a written folder (firmflow compile/predict): the host-simulation module, loaded when needed.
    async openProject(dir: string) {
      const spec = './project.js';
      const m = (await import(spec)) as typeof import('./project.js');
      // estimate() and report() (firmflow report): the estimate beside the vendor's reports
      const reports = './reports/index.js';
      const r = (await import(reports)) as typeof import('./reports/index.js');
      const opened = await m.openVitisProject(dir);
      return r.attachReports(Object.assign(opened, describeLowered(opened.graph)));
    },
    async extendProject(project, graph, options) {
      const info = graph.meta['hls'] as HlsGraphInfo | undefined;
      if (info) for (const w of info.warnings) if (!project.warnings.includes(w)) project.warnings.push(w);
      project['toolFlavor'] = flavor;
      Object.assign(project, describeLowered(() => graph));
      for (const ext of extensions) await ext(project, graph, options);
    },
  };
}
