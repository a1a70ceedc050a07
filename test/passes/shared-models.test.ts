import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { interpret } from '../../src/interp/interpreter.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { runFlows } from '../../src/pipeline/driver.js';
import { ensureSharedPasses } from '../../passes/index.js';
import { isPowerOfTwo } from '../../passes/rewrite.js';
import { HAVE_SHARED, manifest, readCase, type JsonTensor } from '../helpers/shared-models.js';

/** What the optimize flow must have removed: nodes backends should never see. */
function leftovers(g: Graph): string[] {
  const bad: string[] = [];
  const constVals = (t: string | undefined) => (t && g.tensors.get(t)?.data) || undefined;
  for (const n of g.nodes.values()) {
    const why =
      ['Gemm', 'BatchNormalization', 'Identity', 'Dropout'].includes(n.op) ? n.op
      : n.op === 'MatMul' && g.isConstant(n.inputs[1]) ? 'MatMul with a constant weight'
      : n.op === 'Quant' && isPow2Quant(constVals(n.inputs[1]), constVals(n.inputs[2]), constVals(n.inputs[3])) ? 'power-of-two Quant'
      : n.op === 'QuantizeLinear' || n.op === 'DequantizeLinear' ? n.op
      : undefined;
    if (why) bad.push(`${n.name}: ${why}`);
  }
  return bad;
}

function isPow2Quant(s?: ArrayLike<unknown>, z?: ArrayLike<unknown>, b?: ArrayLike<unknown>): boolean {
  if (!s || !z || !b || Number(b[0]) === 1) return false;
  return Array.from(s as ArrayLike<number>).every((v) => isPowerOfTwo(Number(v))) && Array.from(z as ArrayLike<number>).every((v) => Number(v) === 0);
}

/** Rows [from, to) of a sample-major tensor, as a feed. */
function rows(t: JsonTensor, from: number, to: number): { shape: number[]; data: Float64Array } {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { shape: [to - from, ...t.shape.slice(1)], data: Float64Array.from(t.data.slice(from * per, to * per), Math.fround) };
}

describe.skipIf(!HAVE_SHARED)('shared models after the optimize flow', () => {
  ensureSharedPasses();
  for (const m of manifest()) {
    it(`${m.name}: verifies, keeps its numbers, and has no un-lowered nodes`, () => {
      const c = readCase(m);
      const g = loadModel(c.path);
      runFlows(g, ['optimize']);
      g.verify();
      expect(leftovers(g)).toEqual([]);

      const n = Object.values(c.inputs)[0].shape[0];
      const step = m.declared_batch === 1 ? 1 : n;
      const got: Record<string, number[]> = {};
      for (let s = 0; s < n; s += step) {
        const feed = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, rows(t, s, s + step)]));
        // The references are float32 executions: run the interpreter with float32 steps too.
        const out = interpret(g, feed, { float32: true });
        for (const [k, v] of Object.entries(out)) (got[k] ??= []).push(...v.data);
      }
      const { atol, rtol } = m.tolerance;
      const worst: string[] = [];
      for (const [name, ref] of Object.entries(c.outputs)) {
        expect(got[name], `output '${name}'`).toBeDefined();
        expect(got[name].length).toBe(ref.data.length);
        ref.data.forEach((r32, i) => {
          const r = Math.fround(r32);
          const d = Math.abs(got[name][i] - r);
          if (!(d <= atol + rtol * Math.abs(r))) worst.push(`${name}[${i}]: got ${got[name][i]}, reference ${r} (|diff| ${d.toExponential(3)})`);
        });
      }
      expect(worst.slice(0, 8), `${worst.length} value(s) beyond atol ${atol} + rtol ${rtol}`).toEqual([]);
    });
  }
});

if (!HAVE_SHARED) {
  describe('shared models after the optimize flow', () => {
    it.skip('skipped: ../shared/models is absent', () => {});
  });
}
