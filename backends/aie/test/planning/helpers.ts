import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureBuiltinIROps, ensureSharedFlows, getFlow, Graph, registerFlow, registerPass, runFlows, type FixedType } from 'firmflow';
import type { AieLayer } from '../../src/lowered.js';
import { registerAiePasses, MEMORY_FLOW } from '../../src/passes/index.js';

/** Registers the shared flows and the AIE flows once per test file. */
export function setupFlows(): void {
  ensureBuiltinIROps();
  ensureSharedFlows();
  if (!getFlow('aie:legalize')) registerAiePasses({ registerFlow, registerPass });
}

export const SHARED_MODELS = resolve(import.meta.dirname, '../../../../../shared/models');
export const haveShared = existsSync(SHARED_MODELS);

export const fx = (width: number, frac: number): FixedType => ({ signed: true, width, integer: width - frac, rounding: 'RND_CONV', overflow: 'SAT' });

/** Deterministic pseudo-random codes in [-range, range). */
export function codes(n: number, seed: number, range = 64): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s % (2 * range)) - range;
  }
  return out;
}

/**
 * An int8 MLP in optimized-IR form: Dense layers with power-of-two weights (frac 6), biases on the product grid,
 * int8 activations (frac 4), ReLU between layers.
 */
export function denseChain(sizes: number[], opts: { rows?: number | string; relu?: boolean; name?: string } = {}): Graph {
  const g = new Graph(opts.name ?? 'mlp');
  const rows = opts.rows ?? 'N';
  g.addTensor({ name: 'x', shape: [rows, sizes[0]], precision: fx(8, 4) });
  g.inputs = [{ name: 'x', tensor: 'x' }];
  let cur = 'x';
  for (let i = 0; i + 1 < sizes.length; i++) {
    const K = sizes[i], N = sizes[i + 1];
    const w = g.addTensor({ name: `w${i}`, shape: [K, N], data: codes(K * N, 7 + i).map((v) => v / 64), precision: fx(8, 6) });
    const b = g.addTensor({ name: `b${i}`, shape: [N], data: codes(N, 99 + i, 1000).map((v) => v / 1024), precision: fx(32, 10) });
    const last = i + 2 === sizes.length;
    const y = g.addTensor({ name: `y${i}`, shape: [rows, N], precision: last || !opts.relu ? fx(8, 4) : undefined });
    g.addNode({ name: `fc${i}`, op: 'Dense', inputs: [cur, w.name, b.name], outputs: [y.name] });
    cur = y.name;
    if (opts.relu && !last) {
      const r = g.addTensor({ name: `r${i}`, shape: [rows, N], precision: fx(8, 4) });
      g.addNode({ name: `relu${i}`, op: 'Relu', inputs: [cur], outputs: [r.name] });
      cur = r.name;
    }
  }
  g.outputs = [{ name: 'y', tensor: cur }];
  return g;
}

export function plan(g: Graph, options: Record<string, unknown> = {}, target = MEMORY_FLOW): Graph {
  setupFlows();
  runFlows(g, [target], { backend: 'AIE', options });
  return g;
}

/** The AIE layer of node `name` (node.meta.aie). */
export const layerOf = (g: Graph, name: string): AieLayer => g.node(name).meta['aie'] as AieLayer;

/** The error `f` throws (fails the test when it throws none). */
export function errorOf(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected an error');
}
