import { FirmflowError, type FixedType, type Graph, sizeOf, type Tensor } from 'firmflow';
import { kernelFor } from '../kernels/index.js';
import { readLoweredGraph, type LoweredGraph, type LoweredLayer } from '../lowered.js';
import { Builder, type ConstArray, type Emitted, LayerEmit, type LayerSummary, type Port } from './emit.js';
import { fixedCpp, ProjectNames } from './names.js';
import { templatesDir } from './templates.js';

export type { ConstArray, LayerSummary, Port } from './emit.js';

/*
 * Builds everything the templates print from a lowered graph: type definitions, constant arrays, one config struct
 * and one kernel call per layer (each layer's kernel module emits its own, kernels/*.ts), and the top function's
 * ports.
 */

export interface ProjectModel {
  /** The top function's name (also the project's file names): the project name, unless it is reserved in C++. */
  name: string;
  /** Every identifier of the project. */
  names: ProjectNames;
  /** The weights.bin array of each constant tensor, by tensor name. */
  constants: ReadonlyMap<string, ConstArray>;
  io: 'io_parallel' | 'io_stream';
  typedefs: string[];
  consts: ConstArray[];
  configs: string[];
  indexMaps: string[];
  body: string[];
  inputs: Port[];
  outputs: Port[];
  layers: LayerSummary[];
  lowered: LoweredGraph;
}

/** A layer's config struct and call, by its kernel. */
function emitLayer(b: Builder, l: LoweredLayer): Emitted {
  const kernel = kernelFor(l.node.op);
  if (!kernel) throw new FirmflowError('vitis.writer', `${l.node.op} '${l.node.origin?.name || l.node.name}': no C++ kernel in the firmflow library implements op ${l.node.op} (lowered kernel '${l.hls.kernel}')`, { node: l.node.name, op: l.node.op });
  return kernel.emit(new LayerEmit(b, l));
}

function port(b: Builder, p: { name: string; tensor: Tensor; precision: FixedType; shape: number[] }): Port {
  const typeN = b.act(p.tensor);
  const info = b.stream ? b.streamInfo(p.tensor) : undefined;
  return {
    name: p.name, arg: b.names.act(p.tensor), tensor: p.tensor, typeName: typeN, type: p.precision, shape: p.shape, size: sizeOf(p.shape),
    ...(info ? { beat: { name: b.names.beat(p.tensor), pack: info.pack, beats: info.beats } } : {}),
  };
}

const formatType = (t: FixedType): string => fixedCpp(t);

/** The whole project model of a lowered graph. */
export function buildProjectModel(graph: Graph, projectName: string): ProjectModel {
  const lg = readLoweredGraph(graph);
  const names = new ProjectNames(projectName, templatesDir());
  const b = new Builder(lg, graph, names);
  const inputs = lg.inputs.map((p) => port(b, p));
  const outputs = lg.outputs.map((p) => port(b, p));
  const portTensors = new Set([...inputs, ...outputs].map((p) => p.tensor.name));
  if (b.stream) b.planStreams();
  for (const l of lg.layers) {
    if (!b.stream) for (const t of l.outputs) if (!portTensors.has(t.name)) b.declareParallelActivation(t);
  }
  if (b.stream) for (const p of lg.inputs) b.afterProducer(p.tensor);
  for (const l of lg.layers) {
    const e = emitLayer(b, l);
    b.body.push(`  // ${l.node.op} '${(l.node.origin?.name || l.node.name).replace(/[^\x20-\x7e]|\*\//g, '?')}' (${l.hls.kernel})`);
    b.body.push(...e.lines);
    if (b.stream) for (const t of l.outputs) b.afterProducer(t);
    b.layers.push({
      index: l.hls.index, name: l.hls.layerName, node: l.node.name, op: l.node.op, kernel: l.hls.kernel, cppKernel: e.cppKernel,
      reuseFactor: l.hls.reuseFactor, ...(l.hls.reuseFactorChosen ? { reuseFactorChosen: true as const } : {}), strategy: l.hls.strategy, io: l.hls.io,
      inputs: l.inputs.map((t) => t.name), outputs: l.outputs.map((t) => t.name),
      types: Object.fromEntries(Object.entries(l.hls.types).map(([k, v]) => [k, formatType(v)])),
    });
  }
  return { name: names.top, names, constants: b.constantsByTensor, io: lg.info.io, typedefs: b.typedefs, consts: b.consts, configs: b.configs, indexMaps: b.indexMaps, body: b.body, inputs, outputs, layers: b.layers, lowered: lg };
}
