/** Test helpers for the spatial and quantizer op tests: seeded data, onnxruntime runs, comparisons. */
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { interpret } from '../../src/interp/interpreter.js';
import type { Graph } from '../../src/ir/graph.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { mulberry32 } from '../../src/util/random.js';
import { readCase, type ManifestEntry } from '../helpers/shared-models.js';

/** Deterministic float32 values in [lo, hi). */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const u = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * u());
}

export type OrtFeed = Record<string, { data: Float32Array; dims: number[] }>;

/** Runs a model on onnxruntime (CPU, no graph optimizations, as the shared references were made). */
export async function runOrt(bytes: Uint8Array, feeds: OrtFeed): Promise<Record<string, { data: ArrayLike<number>; dims: number[] }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  const inputs: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', v.data, v.dims);
  const res = await session.run(inputs);
  const out: Record<string, { data: ArrayLike<number>; dims: number[] }> = {};
  for (const [k, v] of Object.entries(res)) out[k] = { data: v.data as ArrayLike<number>, dims: [...v.dims] };
  await session.release();
  return out;
}

/** Loads `bytes` with the frontend, checks the IR verifies, and interprets it (float32 mode). */
export function runFirmflow(bytes: Uint8Array, feeds: OrtFeed): { graph: Graph; outputs: Record<string, { data: Float64Array; shape: number[] }> } {
  const graph = loadModel(bytes, { source: 'test.onnx' });
  graph.verify();
  const outputs = interpret(graph, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, { shape: v.dims, data: v.data }])), { float32: true });
  return { graph, outputs };
}

/** |got - want| <= atol + rtol * |want| elementwise, with a message naming the first bad element. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what = 'output'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(err <= 0) && (worst < 0 || err > worstErr)) { worst = i; worstErr = err; }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${got[worst]}, expected ${want[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** Compares firmflow's interpreter with onnxruntime on one model; returns the firmflow graph. */
export async function compareWithOrt(bytes: Uint8Array, feeds: OrtFeed, tol = { atol: 1e-5, rtol: 1e-5 }): Promise<Graph> {
  const want = await runOrt(bytes, feeds);
  const { graph, outputs } = runFirmflow(bytes, feeds);
  for (const [name, w] of Object.entries(want)) {
    const g = outputs[name];
    expect(g, `output ${name}`).toBeDefined();
    expect(g.shape, `shape of ${name}`).toEqual(w.dims);
    expectClose(g.data, w.data, tol.atol, tol.rtol, name);
  }
  return graph;
}

/** Same values with +0/-0 told apart only by value (for arrays compared with toEqual). */
export function plain(a: ArrayLike<number>): number[] {
  return Array.from(a, (v) => (v === 0 ? 0 : v));
}

/**
 * Loads a shared reference model, verifies the IR and checks the float interpreter against the reference
 * outputs within the manifest tolerance. Models with a declared batch of 1 get one sample per run.
 */
export function checkSharedModel(m: ManifestEntry): void {
  const c = readCase(m);
  const graph = loadModel(c.path);
  graph.verify();
  const names = Object.keys(c.inputs);
  const samples = c.inputs[names[0]].shape[0];
  const perRun = m.declared_batch === 1 ? 1 : samples;
  const got: Record<string, number[]> = {};
  for (let s0 = 0; s0 < samples; s0 += perRun) {
    const feeds = Object.fromEntries(names.map((k) => {
      const t = c.inputs[k];
      const row = t.shape.slice(1).reduce((a, b) => a * b, 1);
      return [k, { shape: [perRun, ...t.shape.slice(1)], data: Float32Array.from(t.data.slice(s0 * row, (s0 + perRun) * row)) }];
    }));
    const out = interpret(graph, feeds, { float32: true });
    for (const [k, v] of Object.entries(out)) (got[k] ??= []).push(...v.data);
  }
  for (const [k, ref] of Object.entries(c.outputs)) {
    expect(got[k], `output ${k}`).toBeDefined();
    expectClose(got[k], ref.data, m.tolerance.atol, m.tolerance.rtol, `${m.name}:${k}`);
  }
}
