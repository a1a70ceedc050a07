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

export const VITIS_FLAVOR: ToolFlavor = {
  backend: 'Vitis',
  tool: 'vitis_hls',
  scriptArgs: ['-f', 'build_prj.tcl'],
  defaultPart: 'xcvu13p-flga2577-2-e',
  solution: 'solution1',
  csynthReport: 'solution1/syn/report/{top}_csynth.xml',
  cosimReport: 'solution1/sim/report/{top}_cosim.rpt',
  pragmas: {
    partitionComplete: '#pragma HLS ARRAY_PARTITION variable={var} type=complete dim=0',
    romBinding: '#pragma HLS BIND_STORAGE variable={var} type=rom_1p impl=bram',
    parallelPort: '#pragma HLS INTERFACE mode=ap_vld port={port}',
    streamPort: '#pragma HLS INTERFACE mode=axis port={port}',
    fifoDepth: '#pragma HLS STREAM variable={var} depth={depth}',
    pipeline: '#pragma HLS PIPELINE II={ii}',
  },
  exportCommand: 'export_design -format ip_catalog',
  hasMaxPartitionConfig: false,
};

export const VIVADO_FLAVOR: ToolFlavor = {
  backend: 'Vivado',
  tool: 'vivado_hls',
  scriptArgs: ['-f', 'build_prj.tcl'],
  defaultPart: 'xcku115-flvb2104-2-i',
  solution: 'solution1',
  csynthReport: 'solution1/syn/report/{top}_csynth.xml',
  cosimReport: 'solution1/sim/report/{top}_cosim.rpt',
  pragmas: {
    partitionComplete: '#pragma HLS ARRAY_PARTITION variable={var} complete dim=0',
    romBinding: '#pragma HLS RESOURCE variable={var} core=ROM_1P_BRAM',
    parallelPort: '#pragma HLS INTERFACE ap_vld port={port}',
    streamPort: '#pragma HLS INTERFACE axis port={port}',
    fifoDepth: '#pragma HLS STREAM variable={var} depth={depth}',
    pipeline: '#pragma HLS PIPELINE II={ii}',
  },
  exportCommand: 'export_design -format ip_catalog',
  hasMaxPartitionConfig: true,
};

/** The flavour of a backend name (case-insensitive; anything but Vivado is Vitis). */
export function toolFlavor(backend: string): ToolFlavor {
  return backend.toLowerCase() === 'vivado' ? VIVADO_FLAVOR : VITIS_FLAVOR;
}

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
