import { describe, expect, it } from 'vitest';
import { HAVE_SHARED, manifest, readCase, type ManifestEntry } from '../../helpers/shared-models.js';
import { argmaxRows, built, converted, floatModel, gaussian } from './build.js';

/*
 * Issue 4 acceptance over ../shared/models: every model converts, compiles and predicts; the C simulation and the
 * emulator agree bit for bit (the 16 reference samples and 64 random ones); with fixed<32,16> and wide tables the
 * float models are within 1e-3 of the reference; with the defaults the classifiers keep the float model's class on
 * >= 98% of 1,000 random inputs; the quantized models (QDQ, QONNX, binarized, power-of-two scales) match the
 * reference exactly. One g++ build per model with the defaults, two more with wide types; the bulk checks use the
 * emulator, which the first test proves bit-exact.
 */

const models = manifest();
const QUANTIZED = new Set(['qdq_int8_mlp_pow2', 'qonnx_style_mlp', 'bnn_model_fc_1layer']);
const CLASSIFIERS = ['three_layer_keras', 'three_layer_pytorch', 'conv1d_small_keras', 'conv2d_small_keras', 'conv2d_small_mp_keras', 'jet_tagger_mlp'];

/** fixed<32,16> data and 2^16-entry tables with 32-bit entries. */
const T32 = 'fixed<32,8,RND,SAT>', U32 = 'ufixed<32,2,RND,SAT>';
const WIDE = {
  precision: 'fixed<32,16,RND_CONV,SAT>',
  config: {
    Model: { TableSize: 65536 },
    LayerType: { Softmax: { Precision: { exp_table: U32, inv_table: U32 } }, Sigmoid: { Precision: { table: T32 } }, Selu: { Precision: { table: T32 } } },
  },
};

/** The reference inputs plus `extra` random N(0,1) samples, per input. */
function feeds(m: ManifestEntry, extra: number, seed: number): { feed: Record<string, { shape: number[]; data: Float32Array }>; samples: number } {
  const { inputs } = readCase(m);
  const feed: Record<string, { shape: number[]; data: Float32Array }> = {};
  let samples = 0;
  Object.entries(inputs).forEach(([name, t], i) => {
    const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
    let rnd = gaussian(extra * per, seed + i);
    // The binarized model's inputs are signs; keep random ones away from exact zero as the reference's are.
    if (m.name === 'bnn_model_fc_1layer') rnd = rnd.map((v) => (v === 0 ? 1 : v));
    const data = new Float32Array(t.data.length + rnd.length);
    data.set(Float32Array.from(t.data));
    data.set(rnd, t.data.length);
    feed[name] = { shape: [t.shape[0] + extra, ...t.shape.slice(1)], data };
    samples = t.shape[0] + extra;
  });
  return { feed, samples };
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!HAVE_SHARED)('shared models: C simulation and emulator (issue 4 acceptance)', () => {
  for (const m of models) {
    it(`${m.name}: C simulation == emulator bit for bit, default precision`, async () => {
      const { path, outputs } = readCase(m);
      const p = await built(path, m.name);
      const { feed } = feeds(m, 64, 17);
      const sim = await p.predict(feed);
      const emu = p.emulate(feed);
      for (const name of Object.keys(outputs)) {
        expect(emu[name].shape).toEqual(sim[name].shape);
        expect(Array.from(emu[name].data)).toEqual(Array.from(sim[name].data));
      }
      if (QUANTIZED.has(m.name) && m.name !== 'qonnx_style_mlp') {
        // Power-of-two quantizers end to end: the reference exactly.
        for (const [name, ref] of Object.entries(outputs)) expect(maxAbs(emu[name].data, ref.data, ref.data.length)).toBe(0);
      }
    }, 120_000);
  }

  it('fixed<32,16> with wide tables: float models within 1e-3 of the reference', async () => {
    for (const m of models.filter((x) => !QUANTIZED.has(x.name))) {
      const { path, inputs, outputs } = readCase(m);
      const p = await converted(path, WIDE);
      const emu = p.emulate(inputs);
      for (const [name, ref] of Object.entries(outputs)) {
        const err = maxAbs(emu[name].data, ref.data);
        expect(err, `${m.name} output ${name}`).toBeLessThanOrEqual(1e-3);
        expect(err, `${m.name} output ${name}`).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  for (const name of ['jet_tagger_mlp', 'conv2d_small_mp_keras']) {
    it(`${name}: C simulation == emulator with fixed<32,16> and wide tables`, async () => {
      const m = models.find((x) => x.name === name)!;
      const { path, outputs } = readCase(m);
      const p = await built(path, `${name}-wide`, WIDE);
      const { feed } = feeds(m, 16, 5);
      const sim = await p.predict(feed);
      const emu = p.emulate(feed);
      for (const o of Object.keys(outputs)) expect(Array.from(emu[o].data)).toEqual(Array.from(sim[o].data));
    }, 120_000);
  }

  it('default fixed<16,6>: classifiers keep the float model\'s class on >= 98% of 1,000 random inputs', async () => {
    for (const name of CLASSIFIERS) {
      const m = models.find((x) => x.name === name)!;
      const { path, inputs, outputs } = readCase(m);
      const p = await converted(path);
      const feed: Record<string, { data: Float32Array }> = {};
      Object.entries(inputs).forEach(([k, t], i) => { feed[k] = { data: gaussian(1000 * t.shape.slice(1).reduce((a, b) => a * b, 1), 1000 + i) }; });
      const emu = p.emulate(feed);
      const ref = floatModel(path)(feed, 1000);
      for (const o of Object.keys(outputs)) {
        const width = outputs[o].shape[outputs[o].shape.length - 1];
        const a = argmaxRows(emu[o].data, width), b = argmaxRows(ref[o], width);
        const agree = a.filter((v, i) => v === b[i]).length / a.length;
        expect(agree, `${name}: argmax agreement`).toBeGreaterThanOrEqual(0.98);
      }
    }
  }, 120_000);

  it('QONNX model with float biases: exact accumulators and results reproduce the reference', async () => {
    const m = models.find((x) => x.name === 'qonnx_style_mlp')!;
    const { path, inputs, outputs } = readCase(m);
    // Quantizers are exact fixed-point types; the float biases need a wide type and the Gemm results exact ones.
    const p = await converted(path, { config: { LayerType: { Dense: { Precision: { result: 'auto', bias: 'fixed<40,8>' } } } } });
    const emu = p.emulate(inputs);
    for (const [name, ref] of Object.entries(outputs)) {
      for (let i = 0; i < ref.data.length; i++) {
        expect(Math.abs(emu[name].data[i] - ref.data[i])).toBeLessThanOrEqual(m.tolerance.atol + m.tolerance.rtol * Math.abs(ref.data[i]));
      }
    }
  }, 60_000);
});
