import { feedData, type FeedInputs, FirmflowError, type FixedType, fracBits, isNamedInputs, type Graph, type IRNode, quantizeCodes, sizeOf } from 'firmflow';
import { graphInfo, hlsOf, sampleShape, type HlsPortLayout } from '../lowered.js';
import { kernelFor, SUPPORTED_OPS } from '../kernels/index.js';
import { inversePerm, permuteSamples } from '../layout.js';
import { buildContext, typeOf, type BuildContext, type EmuKernel } from './kernel.js';

export { permuteSamples };

/*
 * The bit-accurate emulator of a lowered graph: every node becomes a kernel over integer codes (kernel.ts), run in
 * the top function's order on chunks of samples. Inputs are taken as float32 (what the C simulation reads) and
 * converted to the input port's type; outputs are the result codes' values as doubles (what it writes).
 */

export type KernelBuilder = (ctx: BuildContext) => EmuKernel;

/** Ops the emulator implements: every op with a kernel (each kernel module carries its emulation). */
export const EMULATED_OPS: readonly string[] = SUPPORTED_OPS;

/** One input of the emulator: the JSON layout of ../shared/models, or a shape with data. */
export type EmuFeed = { shape?: number[]; data: ArrayLike<number>; dtype?: string };
/** Several named inputs (each a feed or its bare data), or the data of the only input (samples back to back). */
export type EmuInputs = FeedInputs;

export interface EmuOutput {
  /** Shape with the batch axis first (in the model's layout). */
  shape: number[];
  /** Output values (value of each result code). */
  data: Float64Array;
  /** The integer codes of the result type, in the firmware's layout. */
  codes: Float64Array;
  type: FixedType;
}

export interface EmulateOptions {
  /** Samples per chunk (default: as many as keep the working set near 32 MiB). */
  chunk?: number;
  /**
   * Called per layer and chunk with the output codes of `batch` samples starting at sample `first` (trace uses
   * it); `overflows` counts values that needed their type's overflow mode.
   */
  onLayer?: (kernel: EmuKernel, codes: Float64Array, batch: number, first: number, overflows: number) => void;
  /**
   * Receives one message per layer whose values needed their type's overflow mode (saturated or wrapped) in this
   * run, naming the layer and the count; without it the messages go to process.emitWarning.
   */
  onWarning?: (message: string) => void;
}

/** Messages for the layers of a run whose values overflowed (saturated or wrapped), in firmware order. */
export function overflowWarnings(kernels: EmuKernel[], counts: Map<EmuKernel, number>, samples: number): string[] {
  const out: string[] = [];
  for (const k of kernels) {
    const c = counts.get(k) ?? 0;
    if (c === 0) continue;
    const name = k.node.origin?.name || k.node.name;
    const on = k.node.origin && k.node.origin.op !== k.node.op ? `${k.node.op}, from ${k.node.origin.op}` : k.node.op;
    out.push(`layer '${name}' (${on}): ${c} value${c > 1 ? 's' : ''} over ${samples} sample${samples > 1 ? 's' : ''} overflowed a fixed-point type on the way (saturated or wrapped); its range exceeds its precision (give the layer a wider result or accum precision)`);
  }
  return out;
}

interface Port { name: string; tensor: string; shape: number[]; type: FixedType; layout?: HlsPortLayout }

/** A graph compiled for emulation: weights arranged once, buffers sized per chunk. */
export class Emulator {
  readonly graph: Graph;
  readonly kernels: EmuKernel[];
  readonly inputs: Port[];
  readonly outputs: Port[];
  private readonly sizes = new Map<string, number>();

  constructor(graph: Graph) {
    this.graph = graph;
    const info = graphInfo(graph);
    const nodes: IRNode[] = [...graph.nodes.values()].sort((a, b) => hlsOf(a).index - hlsOf(b).index);
    this.kernels = nodes.map((node) => {
      const hls = hlsOf(node);
      const build = kernelFor(node.op)?.emulate;
      if (!build) throw new FirmflowError('vitis.emulate', `node '${node.name}' (${node.op}): the emulator has no model of op ${node.op} (kernel ${hls.kernel})`);
      return build(buildContext(graph, node, hls));
    });
    const port = (p: { name: string; tensor: string }, layouts: HlsPortLayout[]): Port => {
      const t = graph.tensor(p.tensor);
      return { name: p.name, tensor: p.tensor, shape: sampleShape(t), type: typeOf(t), layout: layouts.find((l) => l.name === p.name) };
    };
    this.inputs = graph.inputs.map((p) => port(p, info.inputLayouts ?? []));
    this.outputs = graph.outputs.map((p) => port(p, info.outputLayouts ?? []));
    for (const t of graph.tensors.values()) if (t.data === undefined && t.meta['hlsShape']) this.sizes.set(t.name, sizeOf(sampleShape(t)));
  }

  /** Per-sample element count of an activation tensor. */
  size(tensor: string): number {
    const n = this.sizes.get(tensor);
    if (n === undefined) throw new Error(`tensor '${tensor}' is not an activation of the lowered graph`);
    return n;
  }

  /** Converts inputs (model layout, float values) to input codes in the firmware layout, and counts samples. */
  prepareInputs(inputs: EmuInputs): { codes: Map<string, Float64Array>; samples: number } {
    const feeds = this.feeds(inputs);
    const codes = new Map<string, Float64Array>();
    let samples = -1;
    for (const p of this.inputs) {
      const f = feeds[p.name];
      if (!f) throw new FirmflowError('vitis.emulate', `missing value for input '${p.name}' (inputs given: ${Object.keys(feeds).join(', ') || 'none'})`);
      const per = sizeOf(p.shape);
      if (f.data.length % per !== 0 || f.data.length === 0) {
        throw new FirmflowError('vitis.emulate', `input '${p.name}' has ${f.data.length} values, not a whole number of samples of ${per} values (shape [${p.shape.join(', ')}] per sample)`);
      }
      const n = f.data.length / per;
      if (samples >= 0 && n !== samples) throw new FirmflowError('vitis.emulate', `inputs have different sample counts (${samples} and ${n} for '${p.name}')`);
      samples = n;
      // float32 first: the C simulation reads float32 inputs.
      let data: ArrayLike<number> = f.data instanceof Float32Array ? f.data : Float32Array.from(f.data);
      if (p.layout) data = permuteSamples(data, n, p.layout.modelShape.slice(1) as number[], p.layout.perm);
      codes.set(p.tensor, quantizeCodes(data, p.type, new Float64Array(data.length)) as Float64Array);
    }
    return { codes, samples: Math.max(samples, 0) };
  }

  /** Inputs by port name, each with its data. */
  feeds(inputs: EmuInputs): Record<string, { data: ArrayLike<number> }> {
    if (!isNamedInputs(inputs)) {
      if (this.inputs.length !== 1) throw new FirmflowError('vitis.emulate', `the model has ${this.inputs.length} inputs (${this.inputs.map((p) => p.name).join(', ')}); pass them by name`);
      return { [this.inputs[0].name]: { data: inputs } };
    }
    const known = new Set(this.inputs.map((p) => p.name));
    for (const k of Object.keys(inputs)) if (!known.has(k)) throw new FirmflowError('vitis.emulate', `unknown input '${k}' (the model's inputs: ${[...known].join(', ')})`);
    const out: Record<string, { data: ArrayLike<number> }> = {};
    for (const [k, v] of Object.entries(inputs)) out[k] = { data: feedData(v).data };
    return out;
  }

  /** Runs prepared input codes; returns output codes (firmware layout) per output tensor. */
  runCodes(inputCodes: Map<string, Float64Array>, samples: number, options: EmulateOptions = {}): Map<string, Float64Array> {
    const perSample = [...this.sizes.values()].reduce((a, b) => a + b, 0);
    const chunk = Math.max(1, Math.min(samples, options.chunk ?? Math.floor((4 * 1024 * 1024) / Math.max(1, perSample))));
    const outCodes = new Map<string, Float64Array>();
    for (const p of this.outputs) outCodes.set(p.tensor, new Float64Array(samples * this.size(p.tensor)));
    const bufs = new Map<string, Float64Array>();
    for (const [t, n] of this.sizes) bufs.set(t, new Float64Array(n * chunk));
    for (let first = 0; first < samples; first += chunk) {
      const batch = Math.min(chunk, samples - first);
      for (const p of this.inputs) {
        const n = this.size(p.tensor);
        bufs.get(p.tensor)!.set(inputCodes.get(p.tensor)!.subarray(first * n, (first + batch) * n));
      }
      for (const k of this.kernels) {
        const out = bufs.get(k.output)!;
        const over = k.run(k.inputs.map((t) => bufs.get(t)!), out, batch);
        options.onLayer?.(k, out, batch, first, over);
      }
      for (const p of this.outputs) {
        const n = this.size(p.tensor);
        outCodes.get(p.tensor)!.set(bufs.get(p.tensor)!.subarray(0, batch * n), first * n);
      }
    }
    return outCodes;
  }

  /** Emulates the firmware on float inputs; outputs are in the model's layout. */
  run(inputs: EmuInputs, options: EmulateOptions = {}): Record<string, EmuOutput> {
    const { codes, samples } = this.prepareInputs(inputs);
    const counts = new Map<EmuKernel, number>();
    const onLayer = options.onLayer;
    const out = this.runCodes(codes, samples, {
      ...options,
      onLayer: (k, c, b, f, over) => { if (over) counts.set(k, (counts.get(k) ?? 0) + over); onLayer?.(k, c, b, f, over); },
    });
    const report = options.onWarning ?? ((m: string) => process.emitWarning(m, 'FirmflowOverflowWarning'));
    for (const m of overflowWarnings(this.kernels, counts, samples)) report(m);
    const result: Record<string, EmuOutput> = {};
    for (const p of this.outputs) {
      const c = out.get(p.tensor)!;
      const scale = 2 ** -fracBits(p.type);
      let data = new Float64Array(c.length);
      for (let i = 0; i < c.length; i++) data[i] = c[i] * scale;
      let shape = [samples, ...p.shape];
      if (p.layout) {
        // The firmware's layout is the model's permuted by `perm`: undo it.
        data = Float64Array.from(permuteSamples(data, samples, p.shape, inversePerm(p.layout.perm)));
        shape = [samples, ...(p.layout.modelShape.slice(1) as number[])];
      }
      result[p.name] = { shape, data, codes: c, type: p.type };
    }
    return result;
  }
}

const cache = new WeakMap<Graph, Emulator>();

/** The emulator of a lowered graph, compiled once per graph. */
export function emulatorFor(graph: Graph): Emulator {
  let e = cache.get(graph);
  if (!e) { e = new Emulator(graph); cache.set(graph, e); }
  return e;
}

/** Emulates a lowered graph on float inputs (JSON layout of ../shared/models, or the only input's data). */
export function emulate(graph: Graph, inputs: EmuInputs, options: EmulateOptions = {}): Record<string, EmuOutput> {
  return emulatorFor(graph).run(inputs, options);
}
