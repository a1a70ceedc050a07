/*
 * Bit-accurate TypeScript emulation of the Vitis/Vivado kernels on a lowered graph: emulate() for outputs,
 * trace() for the per-layer comparison with the float model, attachEmulation() for project.emulate/trace.
 */
import type { Graph, Project } from 'firmflow';
import { emulate, type EmulateOptions, type EmuInputs, type EmuOutput } from './emulator.js';
import { formatTrace, trace, type TraceOptions, type TraceReport } from './trace.js';

export { emulate, emulatorFor, Emulator, EMULATED_OPS, permuteSamples } from './emulator.js';
export type { EmulateOptions, EmuFeed, EmuInputs, EmuOutput } from './emulator.js';
export { trace, formatTrace, roundingStep } from './trace.js';
export type { TraceLayer, TraceOptions, TraceReport } from './trace.js';
export { makeConverter } from './convert.js';

/** What attachEmulation adds to a project. */
export interface EmulationMethods {
  /** Emulated outputs by output name, in the JSON layout of ../shared/models (dtype, shape, data). */
  emulate(inputs: EmuInputs, options?: EmulateOptions): Record<string, EmuOutput>;
  /** Per-layer comparison with the float model. */
  trace(inputs: EmuInputs, options?: TraceOptions): TraceReport;
  /** The trace as a table. */
  formatTrace(report: TraceReport): string;
}

/**
 * Adds `emulate(inputs)` and `trace(inputs)` to a project (called from the backend's extendProject). `reference`
 * gives the float model for traces (the optimized IR before lowering), when the backend keeps one.
 */
export function attachEmulation(project: Project | Record<string, unknown>, graph: Graph, reference?: () => Graph | undefined): EmulationMethods {
  const methods: EmulationMethods = {
    emulate: (inputs, options) => emulate(graph, inputs, options),
    trace: (inputs, options = {}) => trace(graph, inputs, { reference: options.reference ?? reference?.(), ...options }),
    formatTrace,
  };
  // The emulator is compiled (weights arranged) on the first call, once per graph.
  Object.assign(project, methods);
  return methods;
}

/** The backend's project extension (backends/vitis/index.ts finds it by this name). */
export function extendProject(project: Project, graph: Graph): void {
  attachEmulation(project, graph);
}
