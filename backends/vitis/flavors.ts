/*
 * The two tool flavours of the HLS backend: Vitis HLS and Vivado HLS differ only in tool names, pragma spellings,
 * the default part and report paths. A leaf module, so the writer, estimate and reports read it without importing
 * the backend object.
 */
import type { ToolFlavor } from './lowered.js';

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
