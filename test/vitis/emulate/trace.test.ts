import { describe, expect, it } from 'vitest';
import { formatTrace, trace } from '../../../backends/vitis/emulate/index.js';
import { mlp, uniform } from '../../../bench/vitis-models.js';
import { ensureSharedFlows, loadModel, runFlows } from 'firmflow';
import { lower } from '../helpers.js';

/*
 * --trace on an MLP 16-32-32-5 (layers fc0, relu0, fc1, relu1, fc2, softmax). With default types every error is
 * explained by the precision; with a result type too narrow for a layer's values that layer is named as the first
 * unexplained one, and its overflows are counted (saturated or wrapped, after the type's overflow mode).
 */
const model = mlp([16, 32, 32, 5], 3);
const x = uniform(16 * 64, 99, 2.5);
const feed = { x: { shape: [64, 16], data: x } };

describe('trace', () => {
  it('explains every layer with the default precision', async () => {
    const p = await lower(model.bytes);
    const r = trace(p.graph, feed);
    expect(r.samples).toBe(64);
    expect(r.layers.map((l) => l.layer)).toEqual(['input x', 'fc0', 'relu0', 'fc1', 'relu1', 'fc2', 'softmax']);
    expect(r.firstUnexplained).toBeUndefined();
    expect(r.overflowed).toEqual([]);
    for (const l of r.layers) {
      expect(l.maxAbsError).toBeGreaterThan(0);
      expect(l.bound).toBeGreaterThan(0);
      expect(l.ratio).toBeLessThanOrEqual(1);
    }
    // Input conversion: fixed<16,6,RND_CONV> rounds to half an LSB at most.
    expect(r.layers[0].maxAbsError).toBeLessThanOrEqual(2 ** -11);
    expect(r.outputs['y'].maxAbsError).toBe(r.layers[6].maxAbsError);
    expect(formatTrace(r)).toMatch(/Every layer's error is explained by its precision/);
  });

  it('names the first layer whose values overflow its type, and counts them', async () => {
    const config = { LayerName: { fc1: { Precision: { result: 'fixed<8,1,RND,SAT>' } } } };
    const p = await lower(model.bytes, { config });
    const r = trace(p.graph, feed);
    expect(r.firstUnexplained?.layer).toBe('fc1');
    const fc1 = r.layers.find((l) => l.layer === 'fc1')!;
    expect(fc1.overflows).toBeGreaterThan(0);
    expect(fc1.overflowKind).toBe('saturated');
    expect(fc1.fixedRange[1]).toBeLessThanOrEqual(1);
    expect(fc1.floatRange[1]).toBeGreaterThan(1);
    expect(r.overflowed[0]).toEqual({ layer: 'fc1', count: fc1.overflows, kind: 'saturated' });
    // Every layer before it is explained.
    for (const l of r.layers.slice(0, r.layers.indexOf(fc1))) expect(l.exceeds).toBe(false);
    const text = formatTrace(r);
    expect(text).toMatch(/First layer whose error its precision does not explain: 'fc1' \(Dense, fixed<8,1,RND,SAT>\)/);
    expect(text).toMatch(new RegExp(`${fc1.overflows} value\\(s\\) saturated`));
  });

  it('reports wrapped values for a wrapping result type', async () => {
    const config = { LayerName: { fc0: { Precision: { result: 'fixed<6,1>' } } } };
    const p = await lower(model.bytes, { config });
    const r = trace(p.graph, feed);
    expect(r.firstUnexplained?.layer).toBe('fc0');
    expect(r.overflowed[0].kind).toBe('wrapped');
  });

  it('takes an explicit float reference (the optimized graph before lowering)', async () => {
    const p = await lower(model.bytes);
    ensureSharedFlows();
    const ref = loadModel(model.bytes);
    runFlows(ref, ['optimize']);
    const a = trace(p.graph, feed);
    const b = trace(p.graph, feed, { reference: ref });
    expect(b.layers.map((l) => l.maxAbsError)).toEqual(a.layers.map((l) => l.maxAbsError));
  });
});

describe('trace of a model with its own quantizers, without the optimized IR (as from a reopened project)', () => {
  it('keeps the model quantizers in the reference: the QDQ MLP is reproduced exactly, every layer explained', async () => {
    const { HAVE_SHARED, manifest, readCase } = await import('../../helpers/shared-models.js');
    if (!HAVE_SHARED) return;
    const m = manifest().find((e) => e.name === 'qdq_int8_mlp_pow2')!;
    const c = readCase(m);
    const p = await lower(c.path);
    // A reopened project has only the lowered graph: the reference is that graph with only the model's types.
    const r = trace(p.graph, c.inputs as never);
    expect(r.firstUnexplained).toBeUndefined();
    for (const o of Object.values(r.outputs)) expect(o.maxAbsError).toBe(0);
    // Every model quantizer is recorded on its tensor for that reference.
    expect([...p.graph.tensors.values()].filter((t) => t.meta['hlsModelPrecision']).length).toBeGreaterThanOrEqual(4);
  });
});
