import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import type { FixedType } from '../../src/ir/types.js';
import { interpret } from '../../src/interp/interpreter.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { fracBits, maxRaw, minRaw, quantizeArray } from '../../src/fixed/index.js';
import { assignPrecision, calibratePrecision, parsePrecision, precisionCommand, readPrecisionConfig, resolvePrecision, layerOf } from '../../src/precision/index.js';
import { configToObject } from '../../src/precision/config.js';
import { HAVE_SHARED, SHARED_MODELS, manifest, readCase } from '../helpers/shared-models.js';

describe('precision strings', () => {
  it('reads every spelling', () => {
    expect(parsePrecision('fixed<16,6>')).toEqual({ signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' });
    expect(parsePrecision('ap_fixed<16, 6, AP_RND_CONV, AP_SAT>')).toEqual({ signed: true, width: 16, integer: 6, rounding: 'RND_CONV', overflow: 'SAT' });
    expect(parsePrecision('ufixed<8,-2,RND,WRAP_SM>'.replace('u', ''))).toMatchObject({ overflow: 'WRAP_SM', integer: -2 });
    expect(parsePrecision('ap_ufixed<8,10,TRN,WRAP,2>')).toEqual({ signed: false, width: 8, integer: 10, rounding: 'TRN', overflow: 'WRAP', satBits: 2 });
    expect(parsePrecision('int<8>')).toEqual({ signed: true, width: 8, integer: 8, rounding: 'TRN_ZERO', overflow: 'WRAP' });
    expect(parsePrecision('ap_uint<12>')).toMatchObject({ signed: false, width: 12, integer: 12 });
    expect(parsePrecision('AUTO')).toBe('auto');
  });
  it('names the key in errors', () => {
    expect(() => parsePrecision('fixed<16>', 'layerName.fc1.weight')).toThrow(/layerName\.fc1\.weight: 'fixed<16>' needs 2 to 5 arguments/);
    expect(() => parsePrecision('fixed<16,6,RND_HALF>', 'model.result')).toThrow(/model\.result: unknown rounding mode 'RND_HALF'/);
    expect(() => parsePrecision('float', 'model')).toThrow(/model: cannot read precision 'float'/);
    expect(() => parsePrecision('ufixed<8,2,TRN,WRAP_SM>')).toThrow(/WRAP_SM/);
    expect(() => parsePrecision('fixed<0,0>')).toThrow(/width 0/);
  });
});

/** x[N,16] -> Gemm(W[4,16], b[4], transB) -> Relu -> y */
function smallGraph(): Graph {
  const g = new Graph('small');
  g.addTensor({ name: 'x', shape: ['N', 16] });
  const w = new Float32Array(64).map((_, i) => ((i * 37) % 19) / 8 - 1.1);
  g.addTensor({ name: 'W', shape: [4, 16], data: w });
  g.addTensor({ name: 'b', shape: [4], data: Float32Array.from([0.5, -0.25, 1, 0]) });
  g.addTensor({ name: 'h', shape: ['N', 4] });
  g.addTensor({ name: 'y', shape: ['N', 4] });
  g.addNode({ name: 'fc', op: 'Gemm', attrs: { alpha: 1, beta: 1, transA: 0, transB: 1 }, inputs: ['x', 'W', 'b'], outputs: ['h'], origin: { op: 'Gemm', name: 'fc' } });
  g.addNode({ name: 'act', op: 'Relu', inputs: ['h'], outputs: ['y'], origin: { op: 'Relu', name: 'act' } });
  g.inputs = [{ name: 'x', tensor: 'x' }];
  g.outputs = [{ name: 'y', tensor: 'y' }];
  return g;
}

describe('precision configuration', () => {
  it('resolves layerName over layerType over model, role before default', () => {
    const g = smallGraph();
    const cfg = readPrecisionConfig(YAML.parse(`
precision:
  model:
    default: fixed<16,6>
    weight: fixed<8,2>
  layerType:
    Gemm: { result: 'fixed<20,8,RND,SAT>' }
    Relu: ufixed<12,4>
  layerName:
    fc:
      weight: fixed<6,1>
`), g, 'cfg.yaml');
    const fc = layerOf(g.node('fc')), act = layerOf(g.node('act'));
    expect(resolvePrecision(cfg, fc, 'weight')).toMatchObject({ spec: { width: 6, integer: 1 }, from: 'layerName.fc.weight' });
    expect(resolvePrecision(cfg, fc, 'result')).toMatchObject({ spec: { width: 20, rounding: 'RND' }, from: 'layerType.Gemm.result' });
    expect(resolvePrecision(cfg, fc, 'bias')).toMatchObject({ spec: { width: 16 }, from: 'model.default' });
    expect(resolvePrecision(cfg, act, 'result')).toMatchObject({ spec: { signed: false, width: 12 }, from: 'layerType.Relu.default' });
    expect(resolvePrecision(cfg, fc, 'accumulator').spec).toBe('auto');
  });
  it('understands the hls4ml spellings from JSON', () => {
    const cfg = readPrecisionConfig(JSON.parse('{"Model": {"Precision": "ap_fixed<18,8>"}, "LayerName": {"fc": {"Precision": {"weight": "ap_fixed<8,3>", "result": "ap_fixed<12,4>"}}}}'), smallGraph());
    expect(resolvePrecision(cfg, { name: 'fc', types: ['Gemm'] }, 'weight').spec).toMatchObject({ width: 8, integer: 3 });
    expect(resolvePrecision(cfg, { name: 'act', types: ['Relu'] }, 'result').spec).toMatchObject({ width: 18, integer: 8 });
  });
  it('hints at quoting when YAML flow syntax split a type at its comma', () => {
    expect(() => readPrecisionConfig(YAML.parse('model: { result: fixed<16,6> }'), smallGraph(), 'c.yaml')).toThrow(/c\.yaml\.model\.result: cannot read precision 'fixed<16'.*quote/);
  });
  it('errors name the offending key and layer', () => {
    const g = smallGraph();
    expect(() => readPrecisionConfig({ layerName: { fc: { wieght: 'fixed<8,2>' } } }, g, 'my.yaml')).toThrow('my.yaml.layerName.fc.wieght: is not a precision role (known: input, weight, bias, accumulator, result, table, default)');
    expect(() => readPrecisionConfig({ layerName: { fc9: 'fixed<8,2>' } }, g, 'my.yaml')).toThrow(/my\.yaml\.layerName\.fc9: the model has no layer named 'fc9' \(layers: fc, act, x\)/);
    expect(() => readPrecisionConfig({ layerType: { Conv: 'fixed<8,2>' } }, g, 'my.yaml')).toThrow(/layerType\.Conv: the model has no layer of type 'Conv'/);
    expect(() => readPrecisionConfig({ layerType: { Gemm: { result: 'fixed<8>' } } }, g, 'my.yaml')).toThrow(/my\.yaml\.layerType\.Gemm\.result: 'fixed<8>' needs/);
    expect(() => readPrecisionConfig({ modle: 'fixed<8,2>' }, g, 'my.yaml')).toThrow(/my\.yaml\.modle: unknown key/);
  });
});

describe('precision configuration in hls4ml form (the shared section reader)', () => {
  it('reads HLSConfig sections: Precision.default, accum, hls4ml layer classes, graph inputs; other keys are the backend\'s', () => {
    const g = smallGraph();
    const cfg = readPrecisionConfig({
      Backend: 'Vitis',
      HLSConfig: {
        Model: { Precision: { default: 'ap_fixed<18,8>', accum: 'fixed<40,12>' }, ReuseFactor: 2, BramFactor: 1_000_000_000 },
        LayerType: { Activation: { Precision: 'ufixed<10,4>' } },
        LayerName: { x: { Precision: { result: 'fixed<8,3>' } }, fc: { Precision: { weight: 'fixed<6,1>', exp_table: 'ufixed<18,1>' }, ReuseFactor: 4 } },
      },
    }, g, 'h.yml');
    const fc = layerOf(g.nodes.get('fc')!);
    expect(resolvePrecision(cfg, fc, 'weight')).toMatchObject({ spec: { width: 6, integer: 1 }, from: 'layerName.fc.weight' });
    expect(resolvePrecision(cfg, fc, 'bias')).toMatchObject({ spec: { width: 18, integer: 8 }, from: 'model.default' });
    expect(resolvePrecision(cfg, fc, 'accumulator')).toMatchObject({ spec: { width: 40, integer: 12 }, from: 'model.accumulator' });
    expect(resolvePrecision(cfg, layerOf(g.nodes.get('act')!), 'result')).toMatchObject({ spec: { signed: false, width: 10, integer: 4 }, from: 'layerType.Relu.default' });
    expect(resolvePrecision(cfg, { name: 'x', types: ['Input'] }, 'input').spec).toMatchObject({ width: 8, integer: 3 });
  });

  it('errors of the shared reader name the file and key', () => {
    const g = smallGraph();
    expect(() => readPrecisionConfig({ LayerName: { fc9: { Precision: 'fixed<8,2>' } } }, g, 'h.yml')).toThrow(/^h\.yml LayerName names layer 'fc9' that the model does not have \(its layers: fc, act, x\)/);
    expect(() => readPrecisionConfig({ LayerType: { Activation: { Precision: { default: 'fixed<8>' } } } }, g, 'h.yml')).toThrow(/^h\.yml LayerType\.Activation\.Precision\.default: 'fixed<8>' needs/);
    expect(() => readPrecisionConfig({ KerasJson: 'm.json', Model: {} }, g, 'h.yml')).toThrow("h.yml: hls4ml key not implemented by firmflow: 'KerasJson' (firmflow converts ONNX models: give the model as the command argument)");
  });

  it('configToObject writes the sections back; reading them gives the same resolution', () => {
    const g = smallGraph();
    const cfg = readPrecisionConfig({ model: { default: 'fixed<14,5>', accumulator: 'auto' }, layerName: { fc: { weight: 'fixed<6,1>' }, x: { input: 'fixed<8,3>' } } }, g);
    const obj = configToObject(cfg, g);
    expect(obj).toEqual({ Model: { Precision: { default: 'fixed<14,5>', accum: 'auto' } }, LayerName: { fc: { Precision: { weight: 'fixed<6,1>' } }, x: { Precision: 'fixed<8,3>' } } });
    const back = readPrecisionConfig(obj, g);
    for (const [layer, role] of [[layerOf(g.nodes.get('fc')!), 'weight'], [layerOf(g.nodes.get('act')!), 'result'], [{ name: 'x', types: ['Input'] }, 'input']] as const) {
      expect(resolvePrecision(back, layer, role).spec).toEqual(resolvePrecision(cfg, layer, role).spec);
    }
  });
});

describe('auto precision inference', () => {
  const typeMax = (t: FixedType): number => Number(maxRaw(t)) * 2 ** -fracBits(t);
  const typeMin = (t: FixedType): number => Number(minRaw(t)) * 2 ** -fracBits(t);

  it('derives exact accumulator and result types that cannot overflow', () => {
    const g = smallGraph();
    const cfg = readPrecisionConfig({ model: { input: 'fixed<8,3>', weight: 'fixed<6,1>', bias: 'fixed<8,2>', result: 'auto', accumulator: 'auto' } }, g);
    const layers = assignPrecision(g, cfg);
    const fc = layers.find((l) => l.layer === 'fc')!;
    // product fixed<14,4>; 16 terms add 4 integer bits; the bias adds one more: I = 9, F = max(10, 6)
    expect(fc.accumulator).toEqual({ signed: true, width: 19, integer: 9, rounding: 'TRN', overflow: 'WRAP' });
    expect(g.tensor('h').precision).toEqual(fc.accumulator);
    expect(g.tensor('y').precision).toEqual({ signed: false, width: 18, integer: 8, rounding: 'TRN', overflow: 'WRAP' });
    // Worst case over the whole input range and the quantized weights fits the accumulator.
    const W = quantizeArray(Float64Array.from(g.tensor('W').data as Float32Array), fc.weight!);
    const b = quantizeArray(Float64Array.from(g.tensor('b').data as Float32Array), fc.bias!);
    const xmax = typeMax(fc.input!), xmin = typeMin(fc.input!);
    for (let n = 0; n < 4; n++) {
      let hi = b[n], lo = b[n];
      for (let k = 0; k < 16; k++) {
        const w = W[n * 16 + k];
        hi += Math.max(w * xmax, w * xmin);
        lo += Math.min(w * xmax, w * xmin);
      }
      expect(hi).toBeLessThanOrEqual(typeMax(fc.accumulator!));
      expect(lo).toBeGreaterThanOrEqual(typeMin(fc.accumulator!));
    }
  });
  it('caps auto widths at maxWidth by dropping fractional bits, and says so', () => {
    const g = smallGraph();
    const cfg = readPrecisionConfig({ model: { input: 'fixed<16,3>', weight: 'fixed<16,1>', accumulator: 'auto', result: 'auto' }, maxWidth: 24 }, g);
    const fc = assignPrecision(g, cfg).find((l) => l.layer === 'fc')!;
    expect(fc.accumulator).toMatchObject({ width: 24, integer: 9 });
    expect(fc.notes.join()).toMatch(/accumulator needs 3\d bits .* capped to 24/);
  });
  it("rejects 'auto' for a graph input", () => {
    expect(() => assignPrecision(smallGraph(), readPrecisionConfig({ model: 'auto' }))).toThrow(/'auto' cannot be inferred for graph input 'x'/);
  });
});

describe.skipIf(!HAVE_SHARED)('data-driven precision on jet_tagger_mlp (../shared/models)', () => {
  it('reaches a 1e-2 target, and the written configuration reproduces the reported error', () => {
    const m = manifest().find((e) => e.name === 'jet_tagger_mlp')!;
    const c = readCase(m);
    const dir = mkdtempSync(join(tmpdir(), 'firmflow-prec-'));
    try {
      const out = join(dir, 'jet.yaml');
      const r = precisionCommand({ model: c.path, calibrate: join(SHARED_MODELS, m.inputs), targetError: 1e-2, output: out });
      expect(r.calibration!.met).toBe(true);
      expect(r.calibration!.error).toBeLessThanOrEqual(1e-2);
      expect(r.text).toMatch(/\/fc1\/Gemm\s+Gemm\s+fixed<\d+,-?\d+,RND_CONV,SAT>/);
      const widths = r.layers.filter((l) => l.op === 'Gemm').map((l) => l.result!.width);
      expect(widths.length).toBe(4);
      for (const w of widths) expect(w).toBeLessThan(16); // narrower than hls4ml's default ap_fixed<16,6>

      // Independent check: read the file back, assign, quantize weights, interpret, compare with float.
      const g = loadModel(c.path);
      const cfg = readPrecisionConfig(YAML.parse(readFileSync(out, 'utf8')), g, out);
      assignPrecision(g, cfg);
      for (const t of g.tensors.values()) if (t.data && t.precision) t.data = quantizeArray(Float64Array.from(t.data as Float32Array), t.precision);
      const x = c.inputs.x;
      const fixed = interpret(g, { x: { shape: x.shape, data: x.data } }).y.data;
      const float = interpret(loadModel(c.path), { x: { shape: x.shape, data: x.data } }, { applyPrecision: false }).y.data;
      let err = 0;
      for (let i = 0; i < fixed.length; i++) err = Math.max(err, Math.abs(fixed[i] - float[i]));
      expect(err).toBe(r.calibration!.error);
      // and the float interpreter itself matches the reference outputs
      const ref = c.outputs.y.data;
      for (let i = 0; i < ref.length; i++) expect(Math.abs(float[i] - ref[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(ref[i]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a tighter target needs more bits', () => {
    const m = manifest().find((e) => e.name === 'jet_tagger_mlp')!;
    const c = readCase(m);
    const feeds = { x: { shape: c.inputs.x.shape, data: c.inputs.x.data } };
    const loose = calibratePrecision(loadModel(c.path), { inputs: feeds, targetError: 1e-1 });
    const tight = calibratePrecision(loadModel(c.path), { inputs: feeds, targetError: 1e-3 });
    const bits = (r: typeof loose): number => r.layers.reduce((a, l) => a + (l.result?.width ?? 0) + (l.weight?.width ?? 0), 0);
    expect(tight.met && loose.met).toBe(true);
    expect(bits(tight)).toBeGreaterThan(bits(loose));
    expect(tight.error).toBeLessThanOrEqual(1e-3);
  });
});
