/*
 * The contract every kernel module of the Vitis/Vivado backend fulfils: everything the backend knows about one
 * family of IR ops, from planning to C++, emulation and estimates. The passes, writer, emulator and estimator look
 * a node's kernel up (kernels/index.ts) and call it; the engines these hooks use live below kernels/.
 */
import type { FixedType, Graph, IRNode, Tensor } from 'firmflow';
import type { LayerConfig, Role } from '../layer-config.js';
import type { BoundContext, ErrorBound } from '../emulate/bounds.js';
import type { BuildContext, EmuKernel } from '../emulate/kernel.js';
import type { LayerContext, LayerSchedule } from '../estimate/cost.js';
import type { HlsLayer, LoweredLayer } from '../lowered.js';
import type { Planner } from '../passes/planning.js';
import type { TableFunction } from '../tables.js';
import type { Emitted, LayerEmit } from '../writer/emit.js';

/** One node's types under construction (passes/precision.ts builds it; a kernel's `precision` hook reads it). */
export interface PrecisionContext {
  node: IRNode;
  layer: HlsLayer;
  graph: Graph;
  config: LayerConfig;
  /** The model-wide data type. */
  data: FixedType;
  /** Types given so far: 'input', 'input1' ... for activations and constant operands, the constant roles. */
  types: Record<string, FixedType>;
  /** Type of the first activation input. */
  input: FixedType;
  /** The type the model's own quantizer gave the result, if any. */
  modelResult?: FixedType;
  /** The node's input `i` (undefined when absent). */
  tensor(i: number): Tensor | undefined;
  /** Gives constant input `i` the type (copying a constant shared with differently typed readers); its type. */
  typeConstant(i: number, type: FixedType): FixedType;
  /** The accumulator for an exact one: configured, else the exact type capped (with a warning). */
  accum(exact: FixedType): FixedType;
  /** Type of a constant of a role: configured > the model's type > exact (between quantizers) > from the values. */
  constType(t: Tensor, role: Role): FixedType;
}

/** What passes/tables.ts hands a kernel that builds lookup tables. */
export interface TableContext {
  node: IRNode;
  layer: HlsLayer;
  config: LayerConfig;
  /** The node, for messages. */
  where: string;
}

/**
 * How a kernel reads its input streams in io_stream, for FIFO depths: 'flow' reads on as it writes, 'merge' reads
 * several streams in lock step (a lagging branch is absorbed by a FIFO), 'line-buffer' holds back a row or window.
 */
export type StreamKind = 'flow' | 'merge' | 'line-buffer';

/** Where a layer's result type comes from when no precision is configured for it. */
export type DefaultResult =
  /** the model's quantizer, else the data type */
  | 'data'
  /** the model's quantizer, else the exact result (movement, max pooling, bipolar), else the data type */
  | 'exact'
  /** the model's quantizer, required (a quantizer node's own type) */
  | 'model';

export interface VitisKernel {
  /** The kernel family, as its module is named. */
  name: string;
  /** The IR ops it implements (each op has exactly one kernel). */
  ops: readonly string[];
  /** The C++ header of backends/vitis/templates/nnet that holds its functions. */
  header: string;

  /** Its kernel name and config sizes for a node, or a thrown `Unsupported` naming why it cannot take it. */
  plan: Planner;
  /** Takes the ParallelizationFactor of its configuration (windowed kernels). */
  parallelization?: boolean;
  /** Constant inputs by index and the roles whose precision types them. */
  constRoles?: Readonly<Record<number, Role>>;
  /** Roles a precision string sets (default result, weight, bias; tables, accumulators and factors keep theirs). */
  dataRoles?: readonly Role[];
  /** Its choices of algorithm (the `Implementation` key), the first one the default; absent: it has no choice. */
  implementations?: readonly string[];
  /** Types its constants itself in `precision` (the generic pass leaves them alone). */
  ownsConstants?: boolean;
  /** The type of a constant of a role when it differs from the generic rule. */
  constType?(ctx: PrecisionContext, role: Role, t: Tensor): FixedType;
  /** Derives accumulators and factors into ctx.types / layer params; returns the exact result type, if any. */
  precision?(ctx: PrecisionContext): FixedType | undefined;
  /** Default result type (see DefaultResult; 'data' when absent). */
  defaultResult?: DefaultResult;
  /** Adjusts the result type after the generic rules (ctx.types.result is not set yet). */
  adjustResult?(ctx: PrecisionContext, result: FixedType): FixedType;
  /** Names of its lookup tables (the keys of TableSize / TableRange and table precision roles). */
  tables?: readonly string[];
  /** The function its table samples, per op and attributes (table activations; tables.ts functionTable). */
  tableFunction?(op: string, attrs: Record<string, unknown>): TableFunction;
  /** Builds its tables into layer.tables (and their types into layer.types). */
  buildTables?(ctx: TableContext): void;
  /** How it reads streams in io_stream. */
  stream: StreamKind;

  /** Its config struct and call(s) in the top function. */
  emit(e: LayerEmit): Emitted;
  /** Its bit-accurate emulation over integer codes. */
  emulate(ctx: BuildContext): EmuKernel;
  /** Its error bound in --trace (emulate/bounds.ts; a copy's bound, inputs passed unamplified, when absent). */
  errorBound?(b: BoundContext): ErrorBound;
  /**
   * io_stream: it writes results before it has read its whole input, so as a DATAFLOW stage it adds its pipeline
   * depth rather than its whole latency (element-wise kernels, line-buffered windows).
   */
  streaming?: boolean;
  /** Its core and schedule for the estimate of one call. */
  estimate(l: LoweredLayer, ctx: LayerContext): LayerSchedule;
}
