import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFirmflowError } from 'firmflow';
import { hlsOf } from '../../../backends/vitis/lowered.js';
import { isValidReuseFactor, nearestReuseFactor, nearestReuseFactors, validReuseFactors } from '../../../backends/vitis/passes/reuse.js';
import { lower } from '../helpers.js';
import { mlp } from '../models.js';

const MODELS = resolve(__dirname, '../../../models');
const JET = join(MODELS, 'jet_tagger.onnx');
const CNN = join(MODELS, 'small_cnn.onnx');

async function refusal(p: Promise<unknown>): Promise<{ message: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    if (!isFirmflowError(e)) throw e;
    return { message: e.message, details: e.details };
  }
  throw new Error('expected a refusal');
}

function layer(p: { graph: { nodes: Map<string, { origin?: { name: string }; meta: Record<string, unknown> }> } }, name: string) {
  const n = [...p.graph.nodes.values()].find((x) => x.origin?.name === name || (x as { name?: string }).name === name);
  if (!n) throw new Error(`no layer ${name}`);
  return hlsOf(n as never);
}

describe('valid reuse factors', () => {
  it('follow the rule: R divides n_in * n_out, and divides n_in or is a multiple of it', () => {
    expect(validReuseFactors(16, 5)).toEqual([1, 2, 4, 8, 16, 80]);
    expect(validReuseFactors(6, 4)).toEqual([1, 2, 3, 6, 12, 24]);
    expect(validReuseFactors(9, 8)).toEqual([1, 3, 9, 18, 36, 72]);
    expect(isValidReuseFactor(16, 64, 7)).toBe(false);
    expect(isValidReuseFactor(16, 64, 1024)).toBe(true);
    expect(isValidReuseFactor(16, 64, 2048)).toBe(false);
  });

  it('nearest values on both sides; the nearest policy takes the closer, the smaller on a tie', () => {
    expect(nearestReuseFactors(16, 64, 7)).toEqual({ below: 4, above: 8 });
    expect(nearestReuseFactors(16, 64, 20)).toEqual({ below: 16, above: 32 });
    expect(nearestReuseFactors(16, 5, 100)).toEqual({ below: 80, above: undefined });
    expect(nearestReuseFactor(16, 64, 7)).toBe(8);
    expect(nearestReuseFactor(16, 64, 6)).toBe(4);
    expect(nearestReuseFactor(16, 5, 100)).toBe(80);
  });
});

describe('reuse factor validation in the lowering', () => {
  it('a valid reuse factor is kept', async () => {
    const p = await lower(JET, { reuseFactor: 4 });
    for (const name of ['/fc1/Gemm', '/fc2/Gemm', '/fc3/Gemm', '/fc4/Gemm']) expect(layer(p, name).reuseFactor).toBe(4);
    // Layers without multipliers keep 1.
    const relu = [...p.graph.nodes.values()].find((n) => n.op === 'Relu')!;
    expect(hlsOf(relu).reuseFactor).toBe(1);
  });

  it('an invalid one is refused for every layer at once, with the nearest valid values on both sides', async () => {
    const r = await refusal(lower(JET, { reuseFactor: 7 }));
    expect(r.message).toMatch(/invalid reuse factors for backend Vitis/);
    expect(r.message).toContain("layer '/fc1/Gemm' (Dense, from Gemm): reuse factor 7 (option 'reuseFactor') is not valid for its 16 x 64 multiplications; the nearest valid values are 4 and 8");
    expect(r.details).toEqual([
      { layer: '/fc1/Gemm', node: expect.any(String), reuseFactor: 7, nIn: 16, nOut: 64, below: 4, above: 8 },
      { layer: '/fc2/Gemm', node: expect.any(String), reuseFactor: 7, nIn: 64, nOut: 32, below: 4, above: 8 },
      { layer: '/fc3/Gemm', node: expect.any(String), reuseFactor: 7, nIn: 32, nOut: 32, below: 4, above: 8 },
      { layer: '/fc4/Gemm', node: expect.any(String), reuseFactor: 7, nIn: 32, nOut: 5, below: 4, above: 8 },
    ]);
  });

  it('names where the value came from (LayerName over LayerType over Model)', async () => {
    const r = await refusal(lower(JET, { config: { LayerType: { Dense: { ReuseFactor: 4 } }, LayerName: { '/fc2/Gemm': { ReuseFactor: 48 } } } }));
    expect(r.message).toContain("layer '/fc2/Gemm' (Dense, from Gemm): reuse factor 48 (config LayerName./fc2/Gemm.ReuseFactor) is not valid for its 64 x 32 multiplications; the nearest valid values are 32 and 64");
    expect((r.details as unknown[]).length).toBe(1);
  });

  it('convolutions: over (k * c_in) x c_out', async () => {
    const r = await refusal(lower(CNN, { config: { LayerName: { '/conv1/Conv': { ReuseFactor: 5 } } } }));
    expect(r.details).toEqual([{ layer: '/conv1/Conv', node: expect.any(String), reuseFactor: 5, nIn: 9, nOut: 8, below: 3, above: 9 }]);
  });

  it("the 'nearest' policy applies the nearest valid value with a warning", async () => {
    const p = await lower(JET, { reuseFactor: 7, reuseFactorPolicy: 'nearest' } as never);
    expect(layer(p, '/fc1/Gemm').reuseFactor).toBe(8);
    expect(layer(p, '/fc4/Gemm').reuseFactor).toBe(8);
    expect(p.warnings).toContain("layer '/fc1/Gemm' (Dense, from Gemm): reuse factor 7 is not valid for its 16 x 64 multiplications; using 8, the nearest valid value");
    const q = await lower(JET, { config: { Model: { ReuseFactor: 6, ReuseFactorPolicy: 'nearest' } } });
    expect(layer(q, '/fc2/Gemm').reuseFactor).toBe(4);
  });

  it('a parallelization factor must divide the output pixels', async () => {
    const r = await refusal(lower(CNN, { io: 'stream', config: { LayerName: { '/conv1/Conv': { ParallelizationFactor: 5 } } } }));
    expect(r.message).toContain("layer '/conv1/Conv' (Conv): parallelization factor 5 does not divide its 144 output pixels; the nearest valid values are 4 and 6");
    const p = await lower(CNN, { io: 'stream', config: { LayerName: { '/conv1/Conv': { ParallelizationFactor: 4 } } } });
    expect(layer(p, '/conv1/Conv').parallelization).toBe(4);
  });

  it('reuse factors above the block size are refused with the largest valid one', async () => {
    const r = await refusal(lower(mlp([4, 3]), { reuseFactor: 20 }));
    expect(r.message).toContain('reuse factor 20 (option \'reuseFactor\') is not valid for its 4 x 3 multiplications; the nearest valid values are 12');
  });
});
