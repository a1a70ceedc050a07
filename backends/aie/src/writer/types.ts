/*
 * The AIE project model (what the templates print) and what a kernel's `emit` is given to build its part of it.
 * Types only: the writer (model.ts), the streamed-weights writer and the kernels share them without importing each
 * other.
 */
import type { Graph, IRNode } from 'firmflow';
import type { AieNames, CppName } from './names.js';
import type { AieDevice } from '../devices.js';
import type { AieDataType, AieGraphMeta, AieLayer, AieTilingParameters } from '../lowered.js';

export interface ArrayDecl {
  name: CppName;
  ctype: string;
  values: ArrayLike<number>;
}

export interface KernelModel {
  id: CppName;
  layer: string;
  /** C++ type created with adf::kernel::create_object. */
  cls: string;
  /** Names of the constructor arrays (from the layer's weights header). */
  ctorArgs: CppName[];
  /** Kernel source file, relative to src/. */
  source: string;
  location?: { col: number; row: number };
  /** Elements of each buffer port, by port index. */
  inDims: (number | undefined)[];
  outDims: (number | undefined)[];
}

export interface ConfigModel {
  name: CppName;
  lines: string[];
}

export interface LayerModel {
  node: string;
  id: string;
  kind: string;
  header: string;
  /** Kernel library header the layer's source includes. */
  library: string;
  instantiations: string[];
  config: ConfigModel;
  arrays: ArrayDecl[];
  kernels: KernelModel[];
  summary: string;
}

export interface SharedBufferModel {
  name: CppName;
  ctype: string;
  dims: number[];
  writers: { endpoint: string; access: AieTilingParameters }[];
  readers: { endpoint: string; access: AieTilingParameters }[];
  column?: number;
  /** The memory plan's memory-tile columns and copies (2: ping-pong) of this buffer, for its location constraint. */
  columns?: number[];
  copies?: number;
}

export interface PlioModel {
  id: CppName;
  port: string;
  tensor: string;
  direction: 'in' | 'out';
  widthBits: number;
  file: string;
  dtype: AieDataType;
  frac: number;
  /** Elements per graph iteration. */
  elements: number;
  shape: number[];
}

export interface ConnectionModel {
  from: string;
  to: string;
}

export interface ProjectModel {
  name: string;
  /** Every identifier of the project. */
  names: AieNames;
  device: string;
  rowsPerIteration: number;
  layers: LayerModel[];
  shared: SharedBufferModel[];
  plios: PlioModel[];
  connections: ConnectionModel[];
  /** dimensions(port) = {n} for every kernel buffer port. */
  dimensions: { port: string; elements: number }[];
  locations: string[];
  /** GMIO inputs feeding memory-tile weight stores, and the async ports' buffers per iteration. */
  gmio: GmioModel[];
  asyncRepetitions: { port: string; count: number }[];
}

/** A GMIO input of the graph: its array (weights header) is sent to the store once per graph iteration. */
export interface GmioModel {
  id: CppName;
  /** The shared buffer it writes. */
  store: string;
  /** Constant array (in the layer's weights header) with the store's contents in stream order. */
  array: string;
  ctype: string;
  dtype: AieDataType;
  /** The store's contents (the array's values), also written to data/weights/<id>.txt for the board harness. */
  values: number[];
  bytes: number;
  /** adf::input_gmio::create arguments: burst length (bytes) and bandwidth (MB/s). */
  burst: number;
  bandwidthMBps: number;
}

/** What streamed layers add to the project model. */
export interface StreamedWeights {
  shared: SharedBufferModel[];
  gmio: GmioModel[];
  /** adf::async_repetition(port) = count. */
  repetitions: { port: string; count: number }[];
}

/** How a kernel buffer port holds its tensor. */
export type Layout =
  | { kind: 'rowmajor'; rows: number; cols: number; colOff?: number; rowOff?: number }
  | { kind: 'blockedA'; tileM: number; tileK: number; m: number; k: number; rowOff: number; colOff: number; batch: number }
  | { kind: 'blockedB'; tileK: number; tileN: number; k: number; n: number; rowOff: number; colOff: number; batch: number }
  | { kind: 'blockedC'; tileM: number; tileN: number; m: number; n: number; rowOff: number; colOff: number; batch: number };

export interface Endpoint {
  /** ADF port expression, e.g. `k_fc1_c0_p0.in[0]`. */
  port: string;
  layout: Layout;
  /** The region of the root buffer the endpoint's tensor is (a Concat input, a Slice): [cols, rows] at an offset. */
  slot?: Region;
  /** A row range of its tensor (one kernel of a row-split layer), not the whole tensor. */
  part?: boolean;
}

/** A [cols x rows] region of a root tensor's row-major buffer (rows: all leading axes). */
export interface Region {
  colOff: number;
  rowOff: number;
  cols: number;
  rows: number;
}

/** One runtime parameter: a graph input_port bound to a kernel's scalar argument, with its initial value. */
export interface RtpModel {
  /** Graph member name (an adf::input_port). */
  port: CppName;
  kernel: string;
  /** Kernel input port index of the scalar argument. */
  index: number;
  ctype: 'int32';
  kind: 'shift';
  /** Value app.cpp writes before graph.run (the lowered plan's shift). */
  value: number;
  node: string;
}

/** What `buildProjectModel` gives a kernel's `emit` (kernels/contract.ts) for one layer. */
export interface EmitContext {
  graph: Graph;
  node: IRNode;
  layer: AieLayer;
  meta: AieGraphMeta;
  /** The layer's model, created empty (config `<id>_cfg`, header `weights/<id>.h`); emit fills and returns it. */
  model: LayerModel;
  /** Every identifier of the project (the only source of the names the templates print). */
  names: AieNames;
  /** The device the graph was planned for. */
  device(): AieDevice;
  /** The placed id of the kernel at (chain, pos). */
  kernelId(chain: number, pos: number): string;
  /** Sets the kernel's tile from the placement (and its location constraint). */
  place(k: KernelModel, chain: number, pos: number): void;
  /** dimensions(port) = {elements}, and the cascade connections between kernels of the layer. */
  dimensions: ProjectModel['dimensions'];
  connections: ConnectionModel[];
  /** What streamed-weight layers add (weight stores, GMIO inputs, async repetitions). */
  streamed: StreamedWeights;
  /** Registers kernel ends reading tensor `t` / writing the layer's output, in their tensors' root buffers. */
  read(t: string, ends: Endpoint[]): void;
  write(ends: Endpoint[]): void;
  /** Throws the writer's error naming the node. */
  fail(msg: string): never;
}
