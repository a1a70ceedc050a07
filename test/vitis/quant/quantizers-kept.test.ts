import { describe, expect, it } from 'vitest';
import { type Graph, isFirmflowError } from 'firmflow';
import { emulate } from '../../../backends/vitis/emulate/index.js';
import { MODEL_PRECISION_KEY } from '../../../backends/vitis/passes/precision-rules.js';
import { HAVE_SHARED, manifest, readCase } from '../../helpers/shared-models.js';
import { converted } from '../acceptance/build.js';

/*
 * Issue 12, item 1: a precision setting widens what is not quantized, never what a quantizer fixed. Every
 * quantized shared model is converted at model-level precisions from narrow to wide; the values of every tensor a
 * quantizer typed (emulator, bit for bit) and the outputs do not move, and the power-of-two models stay exact
 * against their reference.
 */
const PRECISIONS = [undefined, 'fixed<32,16>', 'fixed<8,3>', 'fixed<18,8>'];
const quantizedModels = manifest().filter((m) => m.quantized);

/** Values of every tensor the model's quantizers typed, by tensor name, and the outputs. */
function quantizedValues(graph: Graph, inputs: Parameters<typeof emulate>[1]): Record<string, number[]> {
  const seen: Record<string, number[]> = {};
  const typed = new Set([...graph.tensors.values()].filter((t) => t.meta[MODEL_PRECISION_KEY]).map((t) => t.name));
  const out = emulate(graph, inputs, {
    onWarning: () => {},
    onLayer: (k, codes, batch) => {
      if (!typed.has(k.output)) return;
      const t = graph.tensor(k.output).precision!;
      const step = 2 ** -(t.width - t.integer);
      // One chunk holds all 16 samples.
      expect(batch).toBe(16);
      (seen[k.output] ??= []).push(...Array.from(codes, (c) => c * step));
    },
  });
  for (const [k, v] of Object.entries(out)) seen[`output ${k}`] = Array.from(v.data);
  return seen;
}

describe.skipIf(!HAVE_SHARED)('quantizers are kept whatever precision is configured (issue 12, item 1)', () => {
  it('the shared models include quantized ones', () => {
    expect(quantizedModels.map((m) => m.name).sort()).toEqual(['bnn_model_fc_1layer', 'qdq_int8_mlp_pow2', 'qonnx_style_mlp']);
  });

  for (const m of quantizedModels) {
    it(`${m.name}: quantized tensors and outputs identical at ${PRECISIONS.map(String).join(', ')}`, async () => {
      const { path, inputs, outputs } = readCase(m);
      const base = quantizedValues((await converted(path)).graph, inputs);
      expect(Object.keys(base).length).toBeGreaterThan(Object.keys(outputs).length);
      for (const precision of PRECISIONS.slice(1)) {
        const got = quantizedValues((await converted(path, { precision })).graph, inputs);
        expect(Object.keys(got).sort(), precision).toEqual(Object.keys(base).sort());
        for (const k of Object.keys(base)) expect(got[k], `${precision}: ${k}`).toEqual(base[k]);
      }
      // Power-of-two quantizers: the reference exactly (qonnx_style_mlp ends in a float Gemm whose float32
      // reference is rounded to float32: within its half ulp).
      const tol = m.name === 'qonnx_style_mlp' ? 1e-6 : 0;
      for (const [k, ref] of Object.entries(outputs)) {
        const e = base[`output ${k}`];
        for (let i = 0; i < ref.data.length; i++) expect(Math.abs(e[i] - ref.data[i]), `${k}[${i}]`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(ref.data[i])));
      }
    });
  }

  it('a layer type precision (LayerType Dense) does not move the quantized outputs either', async () => {
    const m = quantizedModels.find((x) => x.name === 'qdq_int8_mlp_pow2')!;
    const { path, inputs } = readCase(m);
    const base = quantizedValues((await converted(path)).graph, inputs);
    const got = quantizedValues((await converted(path, { config: { LayerType: { Dense: { Precision: 'fixed<6,2>' } } } })).graph, inputs);
    for (const k of Object.keys(base)) if (k !== 'output y') expect(got[k], k).toEqual(base[k]);
  });

  it('a narrower type by name on a quantized tensor is refused, naming the layer', async () => {
    const m = quantizedModels.find((x) => x.name === 'qdq_int8_mlp_pow2')!;
    const { path } = readCase(m);
    const g = (await converted(path)).graph;
    const fc1 = [...g.nodes.values()].find((n) => n.outputs.includes('fc1_relu'))!;
    const name = fc1.origin?.name ?? fc1.name;
    let err: unknown;
    try { await converted(path, { config: { LayerName: { [name]: { Precision: { result: 'fixed<6,4>' } } } } }); } catch (e) { err = e; }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toContain(`layer '${name}'`);
    expect((err as Error).message).toMatch(/fixed<6,4.*narrower than fixed<8,5.*quantizer/);
    // The same for a quantized weight and a quantized graph input.
    const dense = g.topoOrder().find((n) => n.op === 'Dense')!;
    const dn = dense.origin?.name ?? dense.name;
    const w = await converted(path, { config: { LayerName: { [dn]: { Precision: { weight: 'fixed<4,1>' } } } } }).catch((e: unknown) => e);
    expect((w as Error).message).toMatch(new RegExp(`layer '${dn}'.*fixed<4,1.* for its weight '.*' is narrower than fixed<8,2`));
    const x = await converted(path, { config: { LayerName: { x: { Precision: 'fixed<6,3>' } } } }).catch((e: unknown) => e);
    expect((x as Error).message).toMatch(/graph input 'x': the configured precision fixed<6,3.* is narrower than fixed<8,4.*the model's quantizer/);
    // A wider one is ignored with a warning; the values stay.
    const p = await converted(path, { config: { LayerName: { [name]: { Precision: { result: 'fixed<24,10>' } } } } });
    expect(p.graph.tensor('fc1_relu').precision).toMatchObject({ width: 8, integer: 5 });
    expect(p.warnings.some((m) => m.includes(`layer '${name}'`) && /fixed<24,10.* is ignored: the model's quantizer fixed fixed<8,5/.test(m))).toBe(true);
  });
});
