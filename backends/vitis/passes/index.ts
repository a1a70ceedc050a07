import type { Flow, Pass } from 'firmflow';
import { checkKernels, checkLimits, checkOutputs, checkOverflow } from './check.js';
import { configure } from './configure.js';
import { selectKernels } from './kernels.js';
import { portLayout } from './port-layout.js';
import { applyPrecision } from './precision.js';
import { validateReuseFactors } from './reuse.js';
import { streamLayers } from './stream.js';
import { buildTables } from './tables.js';

export const LOWER_FLOW = 'vitis:lower';
export const STREAM_FLOW = 'vitis:stream';
export const CHECK_FLOW = 'vitis:check';

/** The flows of the Vitis and Vivado backends (both run the same passes), in order, each once. */
export const VITIS_FLOWS: { flow: Flow; passes: Pass[] }[] = [
  {
    flow: { name: LOWER_FLOW, passes: [], requires: ['optimize'], fixedPoint: false, description: 'annotate the optimized IR for HLS: configuration, kernels, precisions, reuse factors, tables' },
    passes: [portLayout, configure, selectKernels, applyPrecision, validateReuseFactors, buildTables],
  },
  {
    flow: { name: STREAM_FLOW, passes: [], requires: [LOWER_FLOW], fixedPoint: false, description: 'io_stream: stream kernels, packing, line buffers, FIFO depths (nothing in io_parallel)' },
    passes: [streamLayers],
  },
  {
    flow: { name: CHECK_FLOW, passes: [], requires: [STREAM_FLOW], fixedPoint: false, description: 'checks before anything is written: outputs some layer produces, kernels for every node, io_parallel limits, overflow warnings' },
    passes: [checkOutputs, checkKernels, checkLimits, checkOverflow],
  },
];

export { checkOutputs, checkKernels, checkLimits, checkOverflow, configure, portLayout, selectKernels, applyPrecision, validateReuseFactors, streamLayers, buildTables };
