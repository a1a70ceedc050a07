import { interpret } from '../interp/interpreter.js';
import type { Graph } from '../ir/graph.js';
import { sizeOf } from '../ir/shape.js';
import type { NamedTensors } from '../registry/types.js';

/*
 * The float reference of a benchmark: onnxruntime-node on the original model (the executor users trust), or
 * firmflow's float interpreter when onnxruntime is not installed (it is a devDependency) or cannot run the model
 * (custom-domain ops such as QONNX quantizers). The reason for a fallback is kept for the report.
 */

export interface ReferenceResult {
  executor: 'onnxruntime' | 'interpreter';
  version: string | null;
  note: string | null;
  outputs: Record<string, Float64Array>;
  ms: number;
}

interface OrtTensor { dims: readonly number[]; data: ArrayLike<number | bigint> }
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
  env: { logLevel?: string; versions?: { common?: string } };
}

let ortModule: Promise<OrtModule | string> | undefined;

/** onnxruntime-node, imported on first use; a string says why it is unavailable. */
export function loadOnnxRuntime(): Promise<OrtModule | string> {
  ortModule ??= (async () => {
    const spec: string = 'onnxruntime-node';
    try {
      const m = (await import(spec)) as OrtModule & { default?: OrtModule };
      const ort = (m.InferenceSession ? m : m.default) as OrtModule;
      ort.env.logLevel = 'error';
      return ort;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        return 'onnxruntime-node is not installed (it is a development dependency of firmflow: npm install --save-dev onnxruntime-node)';
      }
      return `onnxruntime-node does not load (${(e as Error).message.split('\n')[0]})`;
    }
  })();
  return ortModule;
}

/** Input feeds split into the batches the model's declared batch dimension allows. */
function batches(graph: Graph, inputs: NamedTensors, samples: number): { first: number; count: number; pad: number }[] {
  const declared = graph.inputs.map((p) => graph.tensor(p.tensor).shape[0]);
  const fixed = declared.find((d): d is number => typeof d === 'number');
  if (fixed === undefined || fixed === samples) return [{ first: 0, count: samples, pad: samples }];
  // Batch 1 (Keras exports with Flatten(axis=0)): one sample at a time. Another literal number (old PyTorch
  // exports): rows are independent, so the batch is padded with zeros to the declared size.
  if (fixed === 1) return Array.from({ length: samples }, (_, i) => ({ first: i, count: 1, pad: 1 }));
  const out: { first: number; count: number; pad: number }[] = [];
  for (let i = 0; i < samples; i += fixed) out.push({ first: i, count: Math.min(fixed, samples - i), pad: fixed });
  void inputs;
  return out;
}

const perSample = (shape: readonly (number | string)[]): number[] => shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN));

/** Runs the ONNX model in onnxruntime-node; throws when onnxruntime cannot (the caller falls back). */
async function runOrt(ort: OrtModule, bytes: Uint8Array, graph: Graph, inputs: NamedTensors, samples: number): Promise<Record<string, Float64Array>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    const out: Record<string, Float64Array> = {};
    for (const b of batches(graph, inputs, samples)) {
      // Padding a batch to a large literal size costs memory; beyond 64 Mi values the interpreter is used instead.
      const feeds: Record<string, unknown> = {};
      for (const p of graph.inputs) {
        const s = perSample(graph.tensor(p.tensor).shape);
        const n = sizeOf(s);
        if (!Number.isFinite(n)) throw new Error(`input '${p.name}' has a symbolic dimension besides the batch`);
        if (b.pad * n > 64 * 1024 * 1024) throw new Error(`the declared batch ${b.pad} of input '${p.name}' is too large to pad`);
        const data = new Float32Array(b.pad * n);
        data.set(Float32Array.from(inputs[p.name].data).subarray(b.first * n, (b.first + b.count) * n));
        feeds[p.name] = new ort.Tensor('float32', data, [b.pad, ...s]);
      }
      const res = await session.run(feeds);
      for (const p of graph.outputs) {
        const t = res[p.name];
        if (!t) throw new Error(`onnxruntime returned no output '${p.name}'`);
        const n = t.data.length / b.pad;
        const all = (out[p.name] ??= new Float64Array(n * samples));
        for (let i = 0; i < b.count * n; i++) all[b.first * n + i] = Number(t.data[i]);
      }
    }
    return out;
  } finally {
    await session.release();
  }
}

/**
 * Float interpreter on `graph` (float32 rounding of every op, as a float32 executor). `applyPrecision` false ignores
 * fixed-point annotations (for a lowered graph); true keeps the model's own quantizers (the float model of a
 * quantized network).
 */
export function runInterpreter(graph: Graph, inputs: NamedTensors, samples: number, applyPrecision = true): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  const declared = graph.inputs.map((p) => graph.tensor(p.tensor).shape[0]);
  const chunk = declared.some((d) => typeof d === 'number') ? 1 : samples;
  for (let first = 0; first < samples; first += chunk) {
    const count = Math.min(chunk, samples - first);
    const feeds: Record<string, { shape: number[]; data: Float64Array }> = {};
    for (const p of graph.inputs) {
      const s = perSample(graph.tensor(p.tensor).shape);
      const n = inputs[p.name].data.length / samples;
      const shape = s.every(Number.isFinite) && sizeOf(s) === n ? s : [n];
      feeds[p.name] = { shape: [count, ...shape], data: Float64Array.from(Float32Array.from(inputs[p.name].data).subarray(first * n, (first + count) * n)) };
    }
    const res = interpret(graph, feeds, { float32: true, applyPrecision });
    for (const p of graph.outputs) {
      const v = res[p.name] ?? res[p.tensor];
      const n = v.data.length / count;
      (out[p.name] ??= new Float64Array(n * samples)).set(v.data, first * n);
    }
  }
  return out;
}

/**
 * The float reference outputs. `model` is the ONNX bytes with `graph` its IR as loaded (before any pass); without
 * a model, `graph` is run by the interpreter (precision ignored).
 */
export async function referenceOutputs(
  model: Uint8Array | undefined,
  graph: Graph,
  inputs: NamedTensors,
  samples: number,
  prefer: 'auto' | 'onnxruntime' | 'interpreter' = 'auto',
): Promise<ReferenceResult> {
  const t0 = performance.now();
  let note: string | null = null;
  if (model && prefer !== 'interpreter') {
    const ort = await loadOnnxRuntime();
    if (typeof ort === 'string') {
      note = `${ort}; the float interpreter is the reference instead`;
    } else {
      try {
        const outputs = await runOrt(ort, model, graph, inputs, samples);
        return { executor: 'onnxruntime', version: ort.env.versions?.common ?? null, note: null, outputs, ms: performance.now() - t0 };
      } catch (e) {
        const custom = [...graph.nodes.values()].map((n) => n.origin?.domain).filter((d) => d && d !== 'ai.onnx' && d !== '');
        note = custom.length
          ? `onnxruntime cannot run this model (custom domain ${[...new Set(custom)].join(', ')}); the float interpreter is the reference instead`
          : `onnxruntime failed on this model (${(e as Error).message.split('\n')[0].slice(0, 200)}); the float interpreter is the reference instead`;
      }
    }
  } else if (!model) {
    note = 'no ONNX model was given: the float interpreter runs the project\'s own graph with its fixed-point types ignored';
  }
  const t1 = performance.now();
  const outputs = runInterpreter(graph, inputs, samples, model !== undefined);
  return { executor: 'interpreter', version: null, note, outputs, ms: performance.now() - t1 };
}
