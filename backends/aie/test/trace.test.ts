import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type Graph } from 'firmflow';
import { bench, ModelBuilder, runCli as run } from 'firmflow';
import { capture } from '../../../test/bench/helpers.js';
import { openProject } from '../src/index.js';
import type { AieLayer } from '../src/lowered.js';
import { layerNormRsqrtError, traceGraph, type AieTraceLayer, type AieTraceReport } from '../src/trace.js';
import { referenceOf, scratchDir } from './harness.js';
import { JET_TAGGER, qdqMlp } from './host-models.js';
import { lcg } from './random.js';
import { DIM, SEQ, transformerBlock } from './transformer-model.js';

/*
 * The AIE per-layer trace (src/trace.ts): the integer emulator against the float model layer by layer, with the
 * bounds documented there. Against the QDQ model (the real reference, as `firmflow bench` passes it) a pow2 Dense
 * layer is exact; Softmax and LayerNorm approximate within their tables' proven error; a corrupted plan or a
 * saturation the model does not have is flagged at its layer with its overflow count.
 */
const tmp = scratchDir('firmflow-aie-trace-');

function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}


async function lowered(bytes: Uint8Array, name: string, options: Record<string, unknown> = {}): Promise<{ graph: Graph; path: string; project: Record<string, unknown> }> {
  const path = join(tmp, `${name}.onnx`);
  writeFileSync(path, bytes);
  const project = (await convert(path, { backend: 'AIE', ...options } as never)) as unknown as Record<string, unknown> & { graph: Graph };
  return { graph: project.graph, path, project };
}

const row = (r: AieTraceReport, layer: string): AieTraceLayer => {
  const l = r.layers.find((x) => x.layer === layer);
  if (!l) throw new Error(`no row '${layer}' in ${r.layers.map((x) => x.layer).join(', ')}`);
  return l;
};
const fracOf = (l: AieTraceLayer): number => Number(/f=(-?\d+)/.exec(l.type)![1]);
const explained = (r: AieTraceReport): void => {
  for (const l of r.layers) {
    expect(l.ratio, `${l.layer}: error ${l.maxAbsError} vs bound ${l.bound}`).toBeLessThanOrEqual(1 + 1e-9);
    expect(l.exceeds, l.layer).toBe(false);
  }
  expect(r.firstUnexplained).toBeUndefined();
};

const MLP = qdqMlp(JET_TAGGER);
const MLP_LAYERS = ['input x', 'MatMul_4', 'MatMul_11', 'MatMul_18', 'MatMul_25'];
const S = 64;
const mlpInputs = (lo: number, hi: number): { x: { shape: number[]; data: Float32Array } } => ({ x: { shape: [S, 16], data: uniform(S * 16, lo, hi, 99) } });

describe('AIE trace: int8 QDQ jet tagger 16-64-32-32-5', () => {
  it('matches the QDQ model exactly at every layer, each within its rounding bound', async () => {
    const { graph } = await lowered(MLP, 'mlp');
    const r = traceGraph(graph, mlpInputs(-1, 1), { reference: referenceOf(MLP) });
    expect(r.samples).toBe(S);
    expect(r.reference).toBe('model');
    expect(r.layers.map((l) => l.layer)).toEqual(MLP_LAYERS);
    explained(r);
    // Input conversion and every Dense: the same integer arithmetic as the model's QDQ pairs, so 0 error; the bound
    // is the two roundings (AIE srs conv_even and the model's RND_CONV quantizer), half an LSB of 2^-4 each.
    for (const l of r.layers) {
      expect(l.maxAbsError, l.layer).toBe(0);
      expect(l.meanAbsError, l.layer).toBe(0);
      expect(l.bound, l.layer).toBe(2 ** -5 + 2 ** -5);
      expect(l.type).toBe('int8 f=4');
      expect(l.overflows).toBe(0);
    }
    expect(r.outputs['y']).toEqual({ maxAbsError: 0, meanAbsError: 0 });
    expect(r.overflowed).toEqual([]);
    expect(r.text).toMatch(/^#\s+layer\s+op\s+kernel\s+type\s+max\|err\|/);
    expect(r.text).toContain("Every layer's error is explained by its arithmetic.");
  });

  it('against the float model (no quantizers): real errors, explained; a reopened project traces the same', async () => {
    const { graph, project } = await lowered(MLP, 'mlp-float');
    const x = mlpInputs(-1, 1);
    const r = traceGraph(graph, x);
    expect(r.reference).toBe('lowered graph (float)');
    explained(r);
    const input = row(r, 'input x');
    // Round half to even at 2^-4: at most half an LSB, and the bound is exactly that.
    expect(input.maxAbsError).toBeGreaterThan(0);
    expect(input.maxAbsError).toBeLessThanOrEqual(2 ** -5);
    expect(input.bound).toBe(2 ** -5);
    for (const name of MLP_LAYERS.slice(1)) {
      const l = row(r, name);
      expect(l.maxAbsError, name).toBeGreaterThan(2 ** -5);
      // Per sample: the largest error against that sample's bound (the row shows the worst ratio's bound).
      expect(l.ratio, name).toBeGreaterThan(0.1);
    }
    // The written project keeps only codes; its float model is the dequantized codes, equal to the QDQ weights.
    const dir = join(tmp, 'mlp-project');
    await (project['write'] as (d: string) => Promise<unknown>)(dir);
    const opened = await openProject(dir);
    const again = (await opened.trace!(x as never, {})) as AieTraceReport;
    expect(again.layers.map((l) => [l.layer, l.maxAbsError, l.bound])).toEqual(r.layers.map((l) => [l.layer, l.maxAbsError, l.bound]));
  });

  it('flags a corrupted shift at its layer, with the values it saturated', async () => {
    const { graph } = await lowered(MLP, 'mlp-broken');
    const x = mlpInputs(-1, 1);
    const reference = referenceOf(MLP);
    expect(traceGraph(graph, x, { reference }).overflowed).toEqual([]);
    const layer = graph.node('MatMul_18').meta['aie'] as AieLayer;
    layer.shift = (layer.shift as number) - 2; // every output x4
    const r = traceGraph(graph, x, { reference });
    const bad = row(r, 'MatMul_18');
    expect(r.firstUnexplained?.layer).toBe('MatMul_18');
    expect(bad.exceeds).toBe(true);
    expect(bad.ratio).toBeGreaterThan(10);
    expect(bad.overflows).toBeGreaterThan(0);
    expect(bad.overflowKind).toBe('saturated');
    expect(r.overflowed[0]).toEqual({ layer: 'MatMul_18', count: bad.overflows, kind: 'saturated' });
    for (const name of ['input x', 'MatMul_4', 'MatMul_11']) expect(row(r, name).maxAbsError).toBe(0);
    expect(r.text).toMatch(/MatMul_18 .*<- first unexplained/);
    expect(r.text).toContain("First layer whose error its arithmetic does not explain: 'MatMul_18'");
  });

  it('flags saturation the float model does not have; the QDQ model saturates alike', async () => {
    const { graph } = await lowered(MLP, 'mlp-saturating');
    const x = mlpInputs(-4, 4);
    const float = traceGraph(graph, x);
    const first = float.firstUnexplained!;
    expect(first.layer).toBe('MatMul_4');
    expect(first.overflows).toBeGreaterThan(0);
    expect(first.floatRange[1]).toBeGreaterThan(first.typeRange[1]);
    expect(first.fixedRange[1]).toBe(127 / 16);
    expect(row(float, 'input x').exceeds).toBe(false);
    // The QDQ model clips at the same int8 range: explained, and the overflow counts are still reported.
    const qdq = traceGraph(graph, x, { reference: referenceOf(MLP) });
    explained(qdq);
    expect(qdq.overflowed).toEqual(float.overflowed);
    for (const l of qdq.layers) expect(l.maxAbsError).toBe(0);
    // Inputs beyond the input type: the host's conversion saturates, which the float model does not.
    const wide = traceGraph(graph, mlpInputs(-16, 16));
    expect(wide.firstUnexplained?.layer).toBe('input x');
    expect(row(wide, 'input x').overflows).toBeGreaterThan(S * 16 / 3);
  });
});

describe('AIE trace: int8 transformer block', () => {
  const x = { x: { shape: [32, SEQ, DIM], data: uniform(32 * SEQ * DIM, -4, 4, 5) } };
  const LAYERS = ['input x', 'LayerNormalization_2', 'MatMul_7', 'MatMul_13', 'MatMul_19', 'Transpose_23', 'MatMul_24', 'Softmax_27', 'MatMul_30', 'MatMul_35'];

  it('explains every layer against the QDQ model; LayerNorm and Softmax approximate', async () => {
    const { graph } = await lowered(transformerBlock(), 'transformer');
    const r = traceGraph(graph, x, { reference: referenceOf(transformerBlock()) });
    expect(r.layers.map((l) => l.layer)).toEqual(LAYERS);
    explained(r);
    expect(row(r, 'input x').maxAbsError).toBe(0);
    // Both sides land on the same grid: every error is a whole number of output LSBs.
    for (const l of r.layers) expect(Number.isInteger(l.maxAbsError * 2 ** fracOf(l)), l.layer).toBe(true);
    // LayerNorm: the integer algorithm (rsqrt table, quantized gamma/beta) is off by at most one LSB of 2^-5 here.
    const ln = row(r, 'LayerNormalization_2');
    expect(ln.maxAbsError).toBe(2 ** -5);
    expect(ln.meanAbsError).toBeGreaterThan(0);
    expect(ln.meanAbsError).toBeLessThan(2 ** -10);
    const sm = row(r, 'Softmax_27');
    expect(sm.maxAbsError).toBeGreaterThan(0);
    // Its bound holds at least the algorithm's own error and both roundings at 2^-7.
    expect(sm.bound).toBeGreaterThanOrEqual(2 ** -8 + 2 ** -13 + 9 * 2 ** -15 + 2 ** -8);
    // The QDQ model's probabilities saturate at 127/128 like the AIE's; both are reported, neither unexplained.
    expect(sm.overflows).toBeGreaterThan(0);
    expect(r.overflowed.map((o) => o.layer)).toContain('Softmax_27');
  });

  it('against the float model it finds where the int8 scores saturate', async () => {
    const { graph } = await lowered(transformerBlock(), 'transformer-float');
    const r = traceGraph(graph, x);
    const first = r.firstUnexplained!;
    // The QDQ model's 2^-3 scale for Q K^T tops out at 15.875: the float scores go past it.
    expect(first.layer).toBe('MatMul_24');
    expect(first.overflows).toBeGreaterThan(0);
    expect(first.floatRange[1]).toBeGreaterThan(127 / 8);
    for (const name of LAYERS.slice(0, LAYERS.indexOf('MatMul_24'))) expect(row(r, name).exceeds, name).toBe(false);
    expect(row(r, 'LayerNormalization_2').maxAbsError).toBeGreaterThan(0);
  });

  it("bounds the LayerNorm reciprocal square root table's relative error near 2^-11", () => {
    const d = layerNormRsqrtError();
    expect(d).toBeGreaterThan(2 ** -12);
    expect(d).toBeLessThan(2 ** -10);
  });
});

describe('AIE trace: bf16 mode', () => {
  it('bounds a float MLP from bf16 rounding and fp32 accumulation', async () => {
    const m = new ModelBuilder({ opsets: { '': 17 } });
    m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 5]);
    const r = uniform(1000, -0.5, 0.5, 7);
    let k = 0;
    const take = (n: number): Float32Array => r.slice(k, (k += n));
    m.initializer('w1', take(16 * 32), [16, 32]).initializer('b1', take(32), [32]);
    m.initializer('w2', take(32 * 5), [32, 5]).initializer('b2', take(5), [5]);
    m.node('MatMul', ['x', 'w1'], ['mm1']).node('Add', ['mm1', 'b1'], ['a1']).node('Relu', ['a1'], ['h']);
    m.node('MatMul', ['h', 'w2'], ['mm2']).node('Add', ['mm2', 'b2'], ['y']);
    const bytes = m.toBytes();
    const { graph } = await lowered(bytes, 'float-mlp', { aie: { mode: 'bf16' } });
    const t = traceGraph(graph, mlpInputs(-1, 1), { reference: referenceOf(bytes) });
    explained(t);
    expect(t.layers.every((l) => l.type === 'bf16')).toBe(true);
    const input = t.layers[0];
    // bf16 keeps 8 significant bits: the input conversion loses at most 2^-8 relative (|x| < 1 here).
    expect(input.maxAbsError).toBeGreaterThan(0);
    expect(input.maxAbsError).toBeLessThanOrEqual(2 ** -9);
    for (const l of t.layers.slice(1)) {
      expect(l.maxAbsError).toBeGreaterThan(0);
      expect(Number.isFinite(l.bound)).toBe(true);
      expect(l.bound).toBeLessThan(0.1);
    }
  });
});

describe('firmflow bench and predict --trace on AIE projects', () => {
  it('bench fills every layer trace of its JSON report', async () => {
    const model = join(tmp, 'jet-bench.onnx');
    writeFileSync(model, MLP);
    const dir = join(tmp, 'jet-bench'), json = join(tmp, 'jet-bench.json');
    const c = capture();
    expect(await run(['node', 'firmflow', 'bench', model, '-b', 'AIE', '-n', '48', '--no-csim', '-o', dir, '--json', json], c.io), c.err()).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8'));
    expect(r.trace).toEqual({ samples: 48, firstUnexplained: null, overflowed: expect.any(Array) });
    expect(r.layers.map((l: { name: string }) => l.name)).toEqual(MLP_LAYERS.slice(1));
    for (const l of r.layers) {
      // Random inputs over the input type's whole range saturate, as the QDQ model does: exact all the same.
      expect(l.trace, l.name).toEqual({ maxAbsError: 0, meanAbsError: 0, bound: 0.0625, ratio: 0, exceeds: false, overflows: expect.any(Number), overflowKind: expect.anything() });
    }
    expect(r.trace.overflowed.length).toBeGreaterThan(0);

    // The written folder, reopened (what `firmflow bench <dir> --model m.onnx` does): traced against the model too.
    const again = await bench({ projectDir: dir, referenceModel: model, csim: false, samples: 16 });
    expect(again.trace?.samples).toBe(16);
    expect(again.layers.every((l) => l.trace?.maxAbsError === 0 && l.trace.exceeds === false)).toBe(true);
  });

  it('predict --trace prints the per-layer table', async () => {
    const { project } = await lowered(MLP, 'jet-predict');
    const dir = join(tmp, 'jet-predict');
    await (project['write'] as (d: string) => Promise<unknown>)(dir);
    const input = join(tmp, 'jet-predict-x.json');
    const x = mlpInputs(-1, 1).x;
    writeFileSync(input, JSON.stringify({ x: { dtype: 'float32', shape: x.shape, data: Array.from(x.data) } }));
    const c = capture();
    expect(await run(['node', 'firmflow', 'predict', dir, '--trace', '--emulate', '-i', input, '-o', join(tmp, 'jet-predict-y.json')], c.io), c.err()).toBe(0);
    const err = c.err();
    expect(err).toMatch(/#\s+layer\s+op\s+kernel\s+type\s+max\|err\|\s+mean\|err\|\s+bound\s+err\/bound\s+overflows/);
    for (const name of MLP_LAYERS) expect(err).toContain(name);
    expect(err).toContain(`${S} samples against the lowered graph run in float`);
    expect(err).toContain("Every layer's error is explained by its arithmetic.");
  });
});
