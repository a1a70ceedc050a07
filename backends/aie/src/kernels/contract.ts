/*
 * What one AIE kernel module holds: the IR ops it implements and, for each stage of the backend, its part of the
 * story. The stages (quantize.ts, emulate.ts, trace.ts, writer/model.ts, tiling.ts) only look a kernel up in
 * kernels/index.ts and call it; the engines they share (numerics/, legalize/, writer/row-parallel.ts, perf.ts) sit
 * below kernels/ and never import it.
 */
import type { Graph, IRNode } from 'firmflow';
import type { AieNames } from '../writer/names.js';
import type { AieDevice } from '../devices.js';
import type { LegalizeContext } from '../legalize/context.js';
import type { AieDataType, AieKernelKind, AieLayer } from '../lowered.js';
import type { TraceContext } from '../numerics/error.js';
import type { EmuValue } from '../numerics/values.js';
import type { EmitContext, LayerModel, RtpModel } from '../writer/types.js';

export type { EmuValue, TraceContext };

/** What the emulator gives a kernel: its layer, its inputs' values, and where a second output goes (Split). */
export interface EmulateContext {
  graph: Graph;
  node: IRNode;
  layer: AieLayer;
  /** Samples in this run (the value of a symbolic batch axis). */
  samples: number;
  /** The tensor this layer's value is recorded under (its first output). */
  outName: string;
  /** The value of a tensor the layer reads; throws naming the node when nothing computed it. */
  value(tensor: string): EmuValue;
  /** Records an output besides the returned one (the other parts of a Split). */
  store(tensor: string, v: EmuValue): void;
}

/** The analytic performance model's per-kernel figures. */
export interface KernelPerfModel {
  /** Program memory of one kernel instance, by layer kind (the product adds its tiling-dependent code). */
  programBytes: Partial<Record<AieKernelKind, number>>;
  /** Constants a row-parallel kernel keeps in its tile besides `weightsCodes` (tables, gamma/beta), in bytes. */
  tableBytes?(layer: AieLayer, width: number): number;
  /** Bytes of the lookup table buffer the kernel reads while it runs (placed in a bank of its own). */
  lutBytes?(dtype: AieDataType): number;
  /** Compute cycles of one row-parallel kernel over `rows` rows of `width` elements (call overhead included). */
  vectorCycles?(d: AieDevice, dtype: AieDataType, rows: number, width: number): number;
}

export type KernelLayout = 'cascade' | 'rows' | 'region';

export interface AieKernel {
  /** The module's name (its file under kernels/). */
  name: string;
  /** IR op -> the layer kind it becomes (AieLayer.kernel). */
  ops: Readonly<Record<string, AieKernelKind>>;
  /**
   * How its layers are planned: 'cascade', a grid of mmul kernels along cascades with blocked buffers (the tiling
   * search's products); 'rows', row-parallel kernels on row-major buffers; 'region', no kernel at all (its tensors
   * are regions of another tensor's buffer).
   */
  layout: KernelLayout;
  /** What a unit of a row split is: a row (default), or a whole matrix of the last two axes (Transpose). */
  unit?: 'row' | 'matrix';
  /** The layer for `node` in the context's mode (int codes or bf16), or undefined after recording a refusal. */
  legalize(ctx: LegalizeContext, node: IRNode, kind: AieKernelKind): AieLayer | undefined;
  /** The codes (or bf16 values) the generated kernel writes, bit exact (bf16 products: close, see emulate.ts). */
  emulate(ctx: EmulateContext): EmuValue;
  /**
   * Real values of the layer's constant inputs rebuilt from its codes (a reopened project keeps only the codes), so
   * the trace can run the lowered graph as a float model.
   */
  floatConstants?(graph: Graph, node: IRNode, layer: AieLayer): { tensor: string | undefined; values: Float64Array | undefined }[];
  /** A sound bound of the layer's output error per sample against the float model. */
  traceBound(ctx: TraceContext): (sample: number) => number;
  /** The layer's part of the project model (config, arrays, kernels, buffer ends); undefined when it has no kernel. */
  emit(ctx: EmitContext): LayerModel | undefined;
  /**
   * The layer's runtime parameters for the `aie.rtp` kinds asked (kernels whose setting the application changes at
   * run time); may change the classes of `model`'s kernels. None when absent.
   */
  runtimeParameters?(layer: AieLayer, model: LayerModel, kinds: string[], names: AieNames): RtpModel[];
  perf: KernelPerfModel;
}
