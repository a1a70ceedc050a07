import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Graph, isFirmflowError, loadModel, runFlows, type FirmflowError } from 'firmflow';
import type { AieLayer } from '../../src/lowered.js';
import { toBf16Bits } from '../../src/quantize.js';
import { denseChain, fx, haveShared, plan, setupFlows, SHARED_MODELS, layerOf as layer } from './helpers.js';


function roundHalfEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}
/** srs with conv_even rounding and int8 saturation, as the contract defines it. */
function srs8(acc: number, shift: number): number {
  const r = roundHalfEven(acc / 2 ** shift);
  return Math.max(-128, Math.min(127, r));
}

function legalizeError(g: Graph, options: Record<string, unknown> = {}): FirmflowError {
  try {
    plan(g, options, 'aie:legalize');
  } catch (e) {
    if (isFirmflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe.skipIf(!haveShared)('QDQ int8 MLP from ../shared/models', () => {
  test('legalizes to int8 layers whose integer arithmetic reproduces the reference bit for bit', () => {
    const g = loadModel(`${SHARED_MODELS}/qdq_int8_mlp_pow2.onnx`);
    setupFlows();
    runFlows(g, ['aie:legalize'], { backend: 'AIE', options: {} });
    const dense = g.topoOrder();
    expect(dense.map((n) => n.op)).toEqual(['Dense', 'Dense', 'Dense']);
    const l1 = layer(g, 'fc1_matmul');
    expect(l1).toMatchObject({ kernel: 'dense', dtype: { a: 'int8', w: 'int8', out: 'int8', acc: 'acc32' }, frac: { a: 4, w: 6, b: 10, out: 3 }, shift: 7, rounding: 'conv_even', saturate: true, fusedRelu: true, fused: ['fc1_relu'] });
    expect(layer(g, 'fc2_matmul')).toMatchObject({ frac: { a: 3, w: 7, out: 3 }, shift: 7, fusedRelu: true });
    expect(layer(g, 'fc3_matmul')).toMatchObject({ frac: { a: 3, w: 6, out: 3 }, shift: 6, fusedRelu: false, fused: [] });
    expect(l1.weightsCodes).toBeInstanceOf(Int8Array);
    expect(l1.weightsCodes!.length).toBe(16 * 32);
    // Run the lowered integer arithmetic on the reference inputs.
    const inp = JSON.parse(readFileSync(`${SHARED_MODELS}/qdq_int8_mlp_pow2.inputs.json`, 'utf8')).x;
    const ref = JSON.parse(readFileSync(`${SHARED_MODELS}/qdq_int8_mlp_pow2.outputs.json`, 'utf8')).y;
    const rows = inp.shape[0];
    let act: number[][] = [];
    for (let r = 0; r < rows; r++) act.push(Array.from({ length: 16 }, (_, k) => srs8(roundHalfEven(inp.data[r * 16 + k] * 2 ** l1.frac.a), 0)));
    for (const n of dense) {
      const l = layer(g, n.name);
      const [K, N] = [l.shapes.inputs[0][1], l.shapes.output[1]];
      act = act.map((x) => Array.from({ length: N }, (_, c) => {
        let acc = l.biasCodes![c];
        for (let k = 0; k < K; k++) acc += x[k] * l.weightsCodes![k * N + c];
        const y = srs8(acc, l.shift as number);
        return l.fusedRelu ? Math.max(0, y) : y;
      }));
    }
    const fo = layer(g, 'fc3_matmul').frac.out;
    const got = act.flat().map((c) => c / 2 ** fo);
    expect(got).toEqual(ref.data);
  });
});

describe('refusals', () => {
  test('every unsupported node and quantizer is refused at once, by name', () => {
    const g = new Graph('bad');
    g.addTensor({ name: 'x', shape: ['N', 8], precision: fx(8, 4) });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.addTensor({ name: 's', shape: ['N', 8] });
    g.addNode({ name: 'my_selu', op: 'Selu', attrs: { alpha: 1.67, gamma: 1.05 }, inputs: ['x'], outputs: ['s'] });
    g.addTensor({ name: 'sc', shape: [], data: new Float32Array([0.1]) });
    g.addTensor({ name: 'q', shape: ['N', 8] });
    g.addNode({ name: 'odd_scale', op: 'Rescale', attrs: { bits: 8, signed: true, narrow: false, roundingMode: 'ROUND', axis: 1, zeroPointBeforeRounding: false }, inputs: ['s', 'sc'], outputs: ['q'] });
    g.addTensor({ name: 'e', shape: ['N', 8] });
    g.addNode({ name: 'my_exp', op: 'Exp', inputs: ['q'], outputs: ['e'] });
    g.outputs = [{ name: 'y', tensor: 'e' }];
    const e = legalizeError(g);
    expect(e.code).toBe('aie.unsupported');
    expect(e.message).toContain('cannot implement 3 nodes');
    expect(e.message).toContain("node 'my_selu' (Selu): op Selu is not supported");
    expect(e.message).toContain("node 'odd_scale' (Rescale): scale 0.1 is not a power of two");
    expect(e.message).toContain("node 'my_exp' (Exp)");
    expect((e.details as unknown[]).length).toBe(3);
    // Nothing was rewritten before the refusal.
    expect(g.node('my_selu').meta['aie']).toBeUndefined();
  });

  test('float weights, a missing output quantizer, int16 softmax and a leading-axis transpose', () => {
    const g = new Graph('bad2');
    g.addTensor({ name: 'x', shape: [4, 8], precision: fx(8, 4) });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.addTensor({ name: 'w', shape: [8, 8], data: new Float32Array(64).fill(0.3) });
    g.addTensor({ name: 'h', shape: [4, 8] });
    g.addNode({ name: 'float_dense', op: 'Dense', inputs: ['x', 'w'], outputs: ['h'] });
    g.addTensor({ name: 'x16', shape: [4, 8], precision: fx(16, 8) });
    g.addTensor({ name: 'wq', shape: [8, 8], data: new Float32Array(64).fill(0.25), precision: fx(8, 6) });
    g.addNode({ name: 'to16', op: 'Dense', inputs: ['x', 'wq'], outputs: ['x16'] });
    g.addTensor({ name: 'sm', shape: [4, 8], precision: fx(16, 8) });
    g.addNode({ name: 'soft16', op: 'Softmax', attrs: { axis: 1 }, inputs: ['x16'], outputs: ['sm'] });
    g.addTensor({ name: 't3', shape: [2, 2, 8], precision: fx(8, 4) });
    g.addNode({ name: 'rs', op: 'Reshape', attrs: { shape: [2, 2, 8] }, inputs: ['x'], outputs: ['t3'] });
    g.addTensor({ name: 'tt', shape: [2, 2, 8], precision: fx(8, 4) });
    g.addNode({ name: 'tr01', op: 'Transpose', attrs: { perm: [1, 0, 2] }, inputs: ['t3'], outputs: ['tt'] });
    g.outputs = [{ name: 'h', tensor: 'h' }, { name: 'sm', tensor: 'sm' }, { name: 'tt', tensor: 'tt' }];
    const e = legalizeError(g);
    expect(e.message).toContain("node 'float_dense' (Dense): weights 'w' are float (no quantizer)");
    // A float graph output of a Dense is written as int32 codes now (int32-output.test.ts): only its weights fail.
    expect(e.message).not.toContain("output 'h' has no quantizer");
    expect(e.message).toContain("node 'soft16' (Softmax): int16 -> int16: the integer AIE Softmax takes int8");
    expect(e.message).toContain("node 'tr01' (Transpose): perm [1,0,2]: the AIE transposes only the last two axes");
  });

  test('non-power-of-two and per-input-channel weight scales', () => {
    const mk = (scale: number[], axis: number): Graph => {
      const g = new Graph('pc');
      g.addTensor({ name: 'x', shape: ['N', 4], precision: fx(8, 4) });
      g.inputs = [{ name: 'x', tensor: 'x' }];
      const w = g.addTensor({ name: 'w', shape: [4, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8].map((v, i) => v * scale[(axis === 1 ? i % 2 : Math.floor(i / 2)) % scale.length])) });
      w.quant = { scale: Float64Array.from(scale), zeroPoint: new Float64Array(scale.length), axis, bits: 8, signed: true, narrow: false };
      g.addTensor({ name: 'y', shape: ['N', 2], precision: fx(8, 2) });
      g.addNode({ name: 'pc_dense', op: 'Dense', inputs: ['x', 'w'], outputs: ['y'] });
      g.outputs = [{ name: 'y', tensor: 'y' }];
      return g;
    };
    expect(legalizeError(mk([0.3, 0.25], 1)).message).toContain("weights 'w' have scale 0.3, not a power of two");
    expect(legalizeError(mk([0.5, 0.25, 0.125, 0.25], 0)).message).toContain('quantized per channel along axis 0 (input features)');
    // Per-output-column power-of-two scales become per-column shifts.
    const g = plan(mk([0.5, 0.125], 1), {}, 'aie:legalize');
    const l = layer(g, 'pc_dense');
    expect(l.frac.w).toEqual([1, 3]);
    expect(l.shift).toEqual([4 + 1 - 2, 4 + 3 - 2]);
    expect(Array.from(l.weightsCodes!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('fusion and modes', () => {
  test('MatMul with two runtime inputs takes a ReLU; a bias Add after it is not folded into it', () => {
    const build = (withBias: boolean): Graph => {
      const g = new Graph('mm');
      g.addTensor({ name: 'a', shape: [2, 4, 8], precision: fx(8, 4) });
      g.addTensor({ name: 'b', shape: [2, 8, 16], precision: fx(8, 5) });
      g.inputs = [{ name: 'a', tensor: 'a' }, { name: 'b', tensor: 'b' }];
      g.addTensor({ name: 'p', shape: [2, 4, 16] });
      g.addNode({ name: 'mm', op: 'MatMul', inputs: ['a', 'b'], outputs: ['p'] });
      let pre = 'p';
      if (withBias) {
        g.addTensor({ name: 'bias', shape: [16], data: Float32Array.from({ length: 16 }, (_, i) => i / 8), precision: fx(16, 3) });
        g.addTensor({ name: 'pb', shape: [2, 4, 16] });
        g.addNode({ name: 'add_bias', op: 'Add', inputs: ['p', 'bias'], outputs: ['pb'] });
        pre = 'pb';
      }
      g.addTensor({ name: 'r', shape: [2, 4, 16], precision: fx(8, 3) });
      g.addNode({ name: 'act', op: 'Relu', inputs: [pre], outputs: ['r'] });
      g.outputs = [{ name: 'r', tensor: 'r' }];
      return g;
    };
    const g = build(false);
    plan(g, {}, 'aie:legalize');
    expect(g.topoOrder().map((n) => n.name)).toEqual(['mm']);
    expect(layer(g, 'mm')).toMatchObject({ kernel: 'matmul', inputs: ['a', 'b'], outputs: ['r'], fusedRelu: true, fused: ['act'], frac: { a: 4, w: 5, out: 3 }, shift: 6, attrs: { batch: 2 } });
    // The MatMul kernel has no bias: the Add stays its own layer, and the unquantized product between them is refused
    // by name (it used to fold into the MatMul as a bias that nothing applied).
    const e = legalizeError(build(true));
    expect(e.message).toContain("node 'mm' (MatMul): output 'p' has no quantizer");
  });

  test('bf16 mode keeps float weights as bf16 bit patterns', () => {
    expect(toBf16Bits(1)).toBe(0x3f80);
    expect(toBf16Bits(-2)).toBe((0xc000 << 16) >> 16);
    // 1 + 2^-8 is a tie between bf16 neighbours 1 and 1 + 2^-7: to even -> 1.
    expect(toBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(toBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    const g = new Graph('f');
    g.addTensor({ name: 'x', shape: ['N', 2] });
    g.inputs = [{ name: 'x', tensor: 'x' }];
    g.addTensor({ name: 'w', shape: [2, 2], data: Float32Array.from([1, -2, 0.5, 3]) });
    g.addTensor({ name: 'b', shape: [2], data: Float32Array.from([0.25, -1]) });
    g.addTensor({ name: 'y', shape: ['N', 2] });
    g.addNode({ name: 'd', op: 'Dense', inputs: ['x', 'w', 'b'], outputs: ['y'] });
    g.outputs = [{ name: 'y', tensor: 'y' }];
    plan(g, { aie: { mode: 'bf16' } }, 'aie:legalize');
    const l = layer(g, 'd');
    expect(l.dtype).toEqual({ a: 'bf16', w: 'bf16', out: 'bf16', acc: 'accfloat' });
    expect(Array.from(l.weightsCodes!, (v) => v & 0xffff)).toEqual([0x3f80, 0xc000, 0x3f00, 0x4040]);
    expect(Array.from(l.biasFloat!)).toEqual([0.25, -1]);
  });

  test('int16 activations with int8 weights pick the accumulator from the worst case', () => {
    const g = denseChain([64, 8], { rows: 4 });
    g.tensor('x').precision = fx(16, 8);
    g.tensor('y0').precision = fx(16, 8);
    plan(g, {}, 'aie:legalize');
    // 64 x 2^15 x 2^7 = 2^28 fits 31 bits.
    expect(layer(g, 'fc0').dtype).toEqual({ a: 'int16', w: 'int8', out: 'int16', acc: 'acc32' });
    const h = denseChain([4096, 8], { rows: 4 });
    h.tensor('x').precision = fx(16, 8);
    h.tensor('y0').precision = fx(16, 8);
    plan(h, {}, 'aie:legalize');
    expect(layer(h, 'fc0').dtype.acc).toBe('acc64');
  });

  test('unknown options are refused by key', () => {
    const g = denseChain([16, 16], { rows: 4 });
    expect(legalizeError(g, { aie: { objectiv: 'tiles' } }).message).toContain("option 'aie.objectiv' is not known");
    expect(legalizeError(denseChain([16, 16]), { aie: { objective: 'tiles' } }).message).toContain("'aie.throughputTarget' is required");
    expect(legalizeError(denseChain([16, 16]), { aie: { layers: { fc0: { microtile: [4, 8] } } } }).message).toContain("'aie.layers.fc0.microtile' must be a list of 3 integers");
  });
});


