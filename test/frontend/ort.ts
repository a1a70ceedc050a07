import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { interpret } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/graph.js';
import type { ModelBuilder } from '../../src/onnx/builder.js';
import { loadModel, type LoadOptions } from '../../src/onnx/frontend.js';

/** Deterministic pseudo-random numbers (xorshift32), so failures reproduce. */
export function rng(seed = 1): (lo?: number, hi?: number) => number {
  let s = seed >>> 0 || 1;
  return (lo = -1, hi = 1) => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return lo + (hi - lo) * (s / 4294967296);
  };
}

export function randomF32(n: number, seed = 1, lo = -2, hi = 2): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r(lo, hi));
}

export interface Feed { shape: number[]; data: Float32Array | Float64Array | BigInt64Array | Int32Array }

const ORT_TYPE = (d: Feed['data']): ort.Tensor.Type =>
  d instanceof Float32Array ? 'float32' : d instanceof Float64Array ? 'float64' : d instanceof BigInt64Array ? 'int64' : 'int32';

/** Runs the model in onnxruntime-node (graph optimizations off, as the shared references were made). */
export async function runOrt(bytes: Uint8Array, feeds: Record<string, Feed>): Promise<Record<string, { shape: number[]; data: number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(ORT_TYPE(v.data), v.data, v.shape)]));
  const res = await session.run(inputs);
  const out: Record<string, { shape: number[]; data: number[] }> = {};
  for (const [k, t] of Object.entries(res)) out[k] = { shape: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
  await session.release();
  return out;
}

export const ATOL = 1e-5;
export const RTOL = 1e-4;

/**
 * Builds `model`, runs it in onnxruntime-node and in firmflow's float interpreter (float32 mode: every op's result
 * rounded to float32, as onnxruntime computes), and checks every output within |got-ref| <= ATOL + RTOL*|ref|
 * (or exactly with `exact`). Returns the IR graph for structural checks.
 */
export async function checkAgainstOrt(model: ModelBuilder, feeds: Record<string, Feed>, options: { exact?: boolean; load?: LoadOptions } = {}): Promise<Graph> {
  const bytes = model.toBytes();
  const ref = await runOrt(bytes, feeds);
  const g = loadModel(bytes, options.load);
  g.verify();
  const got = interpret(g, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data as ArrayLike<number | bigint>, Number) }])), { float32: true });
  for (const [name, r] of Object.entries(ref)) {
    const o = got[name];
    expect(o, `output ${name}`).toBeDefined();
    expect(o.shape, `shape of ${name}`).toEqual(r.shape);
    const a = Array.from(o.data);
    if (options.exact) {
      expect(a, `values of ${name}`).toEqual(r.data);
      continue;
    }
    let worst = -Infinity, at = -1;
    r.data.forEach((v, i) => {
      const excess = Math.abs(a[i] - v) - (ATOL + RTOL * Math.abs(v));
      if (excess > worst || Number.isNaN(excess)) { worst = Number.isNaN(excess) ? Infinity : excess; at = i; }
    });
    if (r.data.length) expect(worst, `${name}[${at}]: got ${a[at]}, onnxruntime ${r.data[at]}`).toBeLessThanOrEqual(0);
  }
  return g;
}

/** Op types of the IR graph, sorted, for structural assertions. */
export function opsOf(g: Graph): string[] {
  return [...g.nodes.values()].map((n) => n.op).sort();
}
