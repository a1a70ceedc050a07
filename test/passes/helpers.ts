import { expect } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { ensureBuiltinIROps } from '../../src/ir/defs/index.js';
import { interpret, type InterpretOptions } from '../../src/interp/interpreter.js';
import { runPass } from '../../src/pipeline/driver.js';
import type { Pass, PassContext } from '../../src/pipeline/pass.js';
import type { Shape } from '../../src/ir/types.js';
import { mulberry32 } from '../../src/util/random.js';

ensureBuiltinIROps();

export const ctx: PassContext = { options: {}, log: () => {} };

/** Deterministic uniform numbers in [-1, 1). */
export function rng(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() * 2 - 1;
}

export function randomArray(n: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r() * scale);
}

/** float64 constant (the tests of float folding use float64 weights so 1e-12 agreement is meaningful). */
export function const64(g: Graph, name: string, shape: number[], seed: number, scale = 1): string {
  g.addTensor({ name, shape, dtype: 'float64', data: randomArray(shape.reduce((a, b) => a * b, 1), seed, scale) });
  return name;
}

export function input(g: Graph, name: string, shape: Shape, dtype: 'float64' | 'float32' = 'float64'): string {
  g.addTensor({ name, shape, dtype });
  g.inputs.push({ name, tensor: name });
  return name;
}

export function tensor(g: Graph, name: string, shape: Shape, dtype: 'float64' | 'float32' = 'float64'): string {
  g.addTensor({ name, shape, dtype });
  return name;
}

export function output(g: Graph, name: string): void {
  g.outputs.push({ name, tensor: name });
}

/** Runs passes round after round until none changes the graph; returns the total change count. */
export function apply(g: Graph, passes: Pass[], c: PassContext = ctx): number {
  let total = 0;
  for (let round = 0; round < 30; round++) {
    let changed = 0;
    for (const p of passes) changed += runPass(g, p, c);
    total += changed;
    if (!changed) { g.verify(); return total; }
  }
  throw new Error('passes did not converge in the test');
}

export function ops(g: Graph): string[] {
  return g.topoOrder().map((n) => n.op);
}

/** Feeds for every graph input: `batch` rows of random values (float32-representable). */
export function feeds(g: Graph, seed: number, batch = 2, scale = 2): Record<string, { shape: number[]; data: Float64Array }> {
  const out: Record<string, { shape: number[]; data: Float64Array }> = {};
  g.inputs.forEach((p, i) => {
    const shape = g.tensor(p.tensor).shape.map((d, k) => (typeof d === 'number' ? d : k === 0 ? batch : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    out[p.name] = { shape, data: Float64Array.from(randomArray(n, seed + i * 7919, scale), Math.fround) };
  });
  return out;
}

/**
 * Interprets `before` and `after` on the same random inputs. rel = 0 demands bit-exact equality, otherwise
 * |a - b| <= rel * max(1, |a|).
 */
export function expectSameOutputs(before: Graph, after: Graph, rel: number, opts: InterpretOptions = {}, seeds = [1, 2, 3]): void {
  for (const seed of seeds) {
    const f = feeds(before, seed);
    const a = interpret(before, f, opts), b = interpret(after, f, opts);
    for (const name of Object.keys(a)) {
      expect(b[name].shape).toEqual(a[name].shape);
      const x = a[name].data, y = b[name].data;
      for (let i = 0; i < x.length; i++) {
        if (rel === 0) {
          if (!Object.is(x[i], y[i]) && x[i] !== y[i]) expect.fail(`output '${name}'[${i}]: ${y[i]} != ${x[i]} (seed ${seed})`);
        } else if (Math.abs(x[i] - y[i]) > rel * Math.max(1, Math.abs(x[i]))) {
          expect.fail(`output '${name}'[${i}]: ${y[i]} vs ${x[i]} (seed ${seed}), beyond relative ${rel}`);
        }
      }
    }
  }
}
