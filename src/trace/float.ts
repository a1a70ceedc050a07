import { FirmflowError } from '../errors.js';
import { ensureBuiltinIROps } from '../ir/defs/index.js';
import type { Graph } from '../ir/graph.js';
import type { RtTensor } from '../ir/ops.js';
import { interpret } from '../interp/interpreter.js';
import { sizeOf } from '../ir/shape.js';

/*
 * The float side of a trace: every tensor of the float model, for every sample, recorded as the core's float
 * interpreter computes it on the same inputs the backend's emulator read.
 */

/** One graph input's float values, samples back to back in the model's layout. */
export interface FloatFeed {
  /** The reference's input (port) name. */
  name: string;
  data: Float64Array;
  /** Shape of one sample. */
  perSample: readonly number[];
}

export interface FloatRecordOptions {
  /** Apply the fixed-point types the reference's tensors carry (a model's own quantizers). Default false. */
  applyPrecision?: boolean;
  /** Changes a chunk of an input's values in place before the run (e.g. a model's own input quantizer). */
  input?(name: string, tensor: string, data: Float64Array): void;
  /** Changes a tensor's values in place as they are computed: later nodes read, and the record holds, the result. */
  tensor?(name: string, value: RtTensor): void;
}

/**
 * Float values of every tensor of `ref` (graph inputs as fed, after `options.input`), all samples, sample-major.
 * A model whose declared batch is a fixed number (Keras exports with Flatten(axis=0)) is run one sample at a
 * time, as its batch axis then means one sample; otherwise all samples in one run.
 */
export function recordFloat(ref: Graph, feeds: readonly FloatFeed[], samples: number, options: FloatRecordOptions = {}): Map<string, Float64Array> {
  // A reopened project has not loaded a model, so the interpreter's ops may not be registered yet.
  ensureBuiltinIROps();
  const byName = new Map(feeds.map((f) => [f.name, f]));
  for (const p of ref.inputs) {
    if (!byName.has(p.name)) throw new FirmflowError('trace.input', `missing value for input '${p.name}' of the float model`, { input: p.name });
  }
  const fixedBatch = ref.inputs.some((p) => typeof ref.tensor(p.tensor).shape[0] === 'number');
  const chunk = fixedBatch ? 1 : samples;
  const out = new Map<string, Float64Array>();
  for (let first = 0; first < samples; first += chunk) {
    const b = Math.min(chunk, samples - first);
    const record = (name: string, data: Float64Array): void => {
      const n = data.length / b;
      let all = out.get(name);
      if (!all) { all = new Float64Array(n * samples); out.set(name, all); }
      all.set(data, first * n);
    };
    const feed: Record<string, { shape: number[]; data: Float64Array }> = {};
    for (const p of ref.inputs) {
      const f = byName.get(p.name)!;
      const n = sizeOf(f.perSample as number[]);
      const data = f.data.slice(first * n, (first + b) * n);
      options.input?.(p.name, p.tensor, data);
      feed[p.name] = { shape: [b, ...f.perSample], data };
      record(p.tensor, data);
    }
    interpret(ref, feed, {
      applyPrecision: options.applyPrecision ?? false,
      onTensor: (name, v) => { options.tensor?.(name, v); record(name, v.data); },
    });
  }
  return out;
}
