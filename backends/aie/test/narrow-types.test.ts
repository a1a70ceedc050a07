/*
 * Narrow integer types on the integer AIE kernels: QONNX int4/int6 weights and uint4/uint6/uint8 and narrow signed
 * activations are held in the smallest AIE type that represents them exactly (int8, or int16 for uint8), with the
 * quantizer's own clipping range applied after srs (layer.clamp) and float biases folded exactly into the srs.
 * References: the core float interpreter on the optimized model (onnxruntime cannot run QONNX Quant), and the
 * reference outputs of ../shared/models/qonnx_style_mlp (with an int16 quantizer appended to its float output).
 * The host model (g++) must equal the emulator bit for bit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, interpret, loadModel, runFlows, type Graph } from 'firmflow';
import { decodeModel, encodeModel, ModelBuilder } from 'firmflow';
import { emulateGraph } from '../src/index.js';
import type { AieLayer } from '../src/lowered.js';
import { hasCxx, hostEqualsEmulator, scratchDir, type HostOutputs } from './harness.js';
import { minstd as rng } from './random.js';

const SHARED = join(import.meta.dirname, '../../../../shared/models');
const hasShared = existsSync(join(SHARED, 'qonnx_style_mlp.onnx'));
const tmp = scratchDir('ff-aie-narrow-');

const QONNX = 'qonnx.custom_op.general';

/** Park-Miller generator in [0, 1): fixed-seed model constants and inputs. */

function quant(m: ModelBuilder, x: string, y: string, scale: number, bits: number, signed: 0 | 1, narrow: 0 | 1): void {
  m.initializer(`${y}_s`, new Float32Array([scale]), []);
  m.initializer(`${y}_z`, new Float32Array([0]), []);
  m.initializer(`${y}_b`, new Float32Array([bits]), []);
  m.node('Quant', [x, `${y}_s`, `${y}_z`, `${y}_b`], [y], { signed, narrow, rounding_mode: 'ROUND' }, { domain: QONNX, name: `${y}_quant` });
}

/**
 * 16 -> 24 -> 12 -> 6: int8 input (2^-4); W1 int4 (2^-3) -> ReLU -> uint4 (2^-2, clips at 3.75); W2 narrow int4
 * [-7, 7] (2^-3) -> ReLU -> uint6 (2^-3, clips at 7.875); W3 int6 (2^-5) -> narrow int6 [-31, 31] (2^-2, clips at
 * +-7.75). Weights drawn wide so the Quant nodes clip them too; float biases off the product grids.
 */
function narrowMlp(): Uint8Array {
  const r = rng(11);
  const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
  m.input('x', 'float32', ['N', 16]);
  quant(m, 'x', 'xq', 2 ** -4, 8, 1, 0);
  const dims = [16, 24, 12, 6];
  const wq: [number, number, 0 | 1, number][] = [[2 ** -3, 4, 0, 1.4], [2 ** -3, 4, 1, 1.0], [2 ** -5, 6, 0, 1.2]];
  let a = 'xq';
  for (let l = 0; l < 3; l++) {
    const [K, N] = [dims[l], dims[l + 1]];
    const [s, bits, narrow, spread] = wq[l];
    m.initializer(`w${l}`, Float32Array.from({ length: N * K }, () => (r() * 2 - 1) * spread), [N, K]);
    m.initializer(`bias${l}`, Float32Array.from({ length: N }, () => (r() * 2 - 1) * 0.7), [N]);
    quant(m, `w${l}`, `w${l}q`, s, bits, 1, narrow);
    m.node('Gemm', [a, `w${l}q`, `bias${l}`], [`g${l}`], { transB: 1 }, { name: `fc${l}` });
    if (l < 2) {
      m.node('Relu', [`g${l}`], [`r${l}`], {}, { name: `relu${l}` });
      quant(m, `r${l}`, `a${l}`, l === 0 ? 2 ** -2 : 2 ** -3, l === 0 ? 4 : 6, 0, 0);
      a = `a${l}`;
    } else {
      quant(m, `g${l}`, 'y', 2 ** -2, 6, 1, 1);
    }
  }
  m.output('y', 'float32', ['N', 6]);
  return m.toBytes();
}

/** qonnx_style_mlp with its float output 'y' quantized to int16 at 2^-11 (the last Gemm's product grid). */
function qonnxStyleWithOutputQuant(): Uint8Array {
  const msg = decodeModel(readFileSync(join(SHARED, 'qonnx_style_mlp.onnx')), 'qonnx_style_mlp.onnx');
  const g = msg.graph!;
  const last = g.node!.find((n) => n.output?.includes('y'))!;
  last.output = ['y_float'];
  const extra = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
  quant(extra, 'y_float', 'y', 2 ** -11, 16, 1, 0);
  const p = extra.graphProto();
  g.initializer = [...(g.initializer ?? []), ...(p.initializer ?? [])];
  g.node = [...g.node!, ...(p.node ?? [])];
  return encodeModel(msg);
}

/** The float interpreter on the optimized model (its quantizers applied), one output. */
function reference(bytes: Uint8Array, x: Float32Array, rows: number, cols: number, float32: boolean): Float64Array {
  const g = loadModel(bytes);
  runFlows(g, ['optimize']);
  const res = interpret(g, { x: { shape: [rows, cols], data: Float64Array.from(x) } }, { float32 });
  return Float64Array.from(res['y'].data);
}

/** Per AIE layer: values the epilogue moved to the type's bounds (srs saturation and the narrow clamp). */
function saturations(graph: Graph, x: Float32Array, rows: number, cols: number): Map<string, number> {
  const counts = new Map<string, number>();
  emulateGraph(graph, { x: { shape: [rows, cols], data: x } }, { onLayer: (node, _v, over) => counts.set(node.name, over) });
  return counts;
}

describe('narrow QONNX types on the integer AIE kernels (int4/int6 weights, uint4/uint6 activations)', () => {
  const bytes = narrowMlp();
  const rows = 64;
  const r = rng(5);
  // Inputs past the int8 input's range (+-8) too.
  const x = Float32Array.from({ length: rows * 16 }, () => (r() * 2 - 1) * 9);

  it('legalizes to int8 codes with the quantizers\' own clamps, and the emulator equals the float interpreter bit for bit', async () => {
    const p = await convert(bytes, { backend: 'AIE', projectName: 'narrow' });
    const rep = (p as unknown as { report(): { mode: string } }).report();
    expect(rep.mode).toBe('int');
    const layers = [...p.graph.nodes.values()].map((n) => [n.name, n.meta['aie'] as AieLayer] as const).filter(([, l]) => l);
    const byName = new Map(layers);
    const l0 = byName.get('fc0')!, l1 = byName.get('fc1')!, l2 = byName.get('fc2')!;
    expect([l0, l1, l2].map((l) => [l.dtype.a, l.dtype.w, l.dtype.out, l.dtype.acc])).toEqual([
      ['int8', 'int8', 'int8', 'acc32'], ['int8', 'int8', 'int8', 'acc32'], ['int8', 'int8', 'int8', 'acc32'],
    ]);
    expect([l0.clamp, l1.clamp, l2.clamp]).toEqual([{ min: 0, max: 15 }, { min: 0, max: 63 }, { min: -31, max: 31 }]);
    expect([l0.shift, l1.shift, l2.shift]).toEqual([5, 2, 6]);
    // Float biases off the product grid fold exactly: floor codes, srs rounding half up (no ties are possible).
    expect([l0.rounding, l1.rounding, l2.rounding]).toEqual(['positive_inf', 'positive_inf', 'positive_inf']);
    // Weights kept their narrow ranges inside int8 (the Quant nodes clipped the wide draws).
    const range = (c: ArrayLike<number>): [number, number] => [Math.min(...Array.from(c)), Math.max(...Array.from(c))];
    expect(range(l0.weightsCodes!)).toEqual([-8, 7]);
    expect(range(l1.weightsCodes!)).toEqual([-7, 7]);
    const w2 = range(l2.weightsCodes!);
    expect(w2[0]).toBeGreaterThanOrEqual(-32);
    expect(w2[1]).toBeLessThanOrEqual(31);

    const emu = p.emulate({ x: { shape: [rows, 16], data: x } }) as unknown as HostOutputs;
    const codes = Array.from(emu['y'].codes);
    for (const float32 of [false, true]) {
      const ref = reference(bytes, x, rows, 16, float32);
      expect(Array.from(emu['y'].data)).toEqual(Array.from(ref));
    }
    // The narrow bounds are reached on both sides of the output, never the int8 ones.
    expect(Math.min(...codes)).toBe(-31);
    expect(Math.max(...codes)).toBe(31);
    const sat = saturations(p.graph, x, rows, 16);
    // Measured clamp counts at the narrow bounds (64 samples): recorded so a change in the arithmetic shows.
    expect(Object.fromEntries(['fc0', 'fc1', 'fc2'].map((n) => [n, sat.get(n)]))).toEqual(MEASURED_NARROW);
  });

  it.skipIf(!hasCxx)('host model (g++) equals the emulator bit for bit', async () => {
    await hostEqualsEmulator(join(tmp, 'narrow_host'), bytes, { x: { shape: [rows, 16], data: x } });
  }, 120_000);

  it('refuses a narrow graph input, and an int6 WRAP output, by name', async () => {
    const m = new ModelBuilder({ opsets: { '': 13, [QONNX]: 1 } });
    m.input('x', 'float32', ['N', 8]);
    quant(m, 'x', 'xq', 2 ** -2, 6, 0, 0);
    m.initializer('w', Float32Array.from({ length: 32 }, (_, i) => ((i % 7) - 3) / 8), [4, 8]);
    quant(m, 'w', 'wq', 2 ** -3, 4, 1, 0);
    m.node('Gemm', ['xq', 'wq'], ['g'], { transB: 1 }, { name: 'fc' });
    quant(m, 'g', 'y', 2 ** -2, 8, 1, 0);
    m.output('y', 'float32', ['N', 4]);
    const e = await convert(m.toBytes(), { backend: 'AIE', projectName: 'bad' }).then(() => undefined, (err: unknown) => err as Error & { code: string });
    expect(e?.code).toBe('aie.unsupported');
    expect(e!.message).toMatch(/node 'fc' \(Dense[^)]*\): graph input 'x' is unsigned 6-bit \(codes \[0, 63\]\) held in int8/);
  });
});

/** fc0 (uint4), fc1 (uint6), fc2 (narrow int6): values clamped at the quantizers' bounds on the 64 samples. */
const MEASURED_NARROW = { fc0: 629, fc1: 35, fc2: 90 };

describe.skipIf(!hasShared)('qonnx_style_mlp (../shared/models) with an int16 quantizer on its float output', () => {
  const bytes = hasShared ? qonnxStyleWithOutputQuant() : new Uint8Array();
  const read = (f: string): Record<string, { shape: number[]; data: number[] }> => JSON.parse(readFileSync(join(SHARED, f), 'utf8'));

  it('int6/int4/int8 weights -> int8, uint6 -> int8, uint8 -> int16; equals the manifest reference on the 2^-11 grid', async () => {
    const inputs = read('qonnx_style_mlp.inputs.json');
    const outputs = read('qonnx_style_mlp.outputs.json');
    const x = Float32Array.from(inputs['x'].data);
    const p = await convert(bytes, { backend: 'AIE', projectName: 'qonnx' });
    const byName = new Map([...p.graph.nodes.values()].map((n) => [n.name, n.meta['aie'] as AieLayer]));
    const [l1, l2, l3] = ['fc1_gemm', 'fc2_gemm', 'fc3_gemm'].map((n) => byName.get(n)!);
    expect([l1, l2, l3].map((l) => [l.dtype.a, l.dtype.w, l.dtype.out])).toEqual([['int8', 'int8', 'int8'], ['int8', 'int8', 'int16'], ['int16', 'int8', 'int16']]);
    expect([l1.clamp, l2.clamp, l3.clamp]).toEqual([{ min: 0, max: 63 }, { min: 0, max: 255 }, undefined]);
    const emu = p.emulate({ x: { shape: [16, 16], data: x } }) as unknown as HostOutputs;
    // The manifest's float32 reference, quantized as the appended Quant does (x * 2^11, round half even, int16).
    const want = outputs['y'].data.map((v) => {
      const t = v * 2048, f = Math.floor(t), d = t - f;
      const q = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
      return Math.max(-32768, Math.min(32767, q)) / 2048;
    });
    expect(Array.from(emu['y'].data)).toEqual(want);
    for (const float32 of [false, true]) expect(Array.from(emu['y'].data)).toEqual(Array.from(reference(bytes, x, 16, 16, float32)));
    const sat = saturations(p.graph, x, 16, 16);
    expect(Object.fromEntries(['fc1_gemm', 'fc2_gemm', 'fc3_gemm'].map((n) => [n, sat.get(n)]))).toEqual(MEASURED_QONNX);
  });

  it.skipIf(!hasCxx)('host model (g++) equals the emulator bit for bit', async () => {
    const x = Float32Array.from(read('qonnx_style_mlp.inputs.json')['x'].data);
    await hostEqualsEmulator(join(tmp, 'qonnx_host'), bytes, { x: { shape: [16, 16], data: x } });
  }, 120_000);
});

/** fc1 (uint6) clips 5 values at 63 on the 16 reference samples; fc2 (uint8 in int16) and fc3 (int16) none. */
const MEASURED_QONNX = { fc1_gemm: 5, fc2_gemm: 0, fc3_gemm: 0 };
