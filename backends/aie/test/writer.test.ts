import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convert } from 'firmflow';
import { transformerBlock } from './transformer-model.js';

const MODELS = join(import.meta.dirname, '../../../../shared/models');
const hasShared = existsSync(join(MODELS, 'qdq_int8_mlp_pow2.onnx'));
const tmp = mkdtempSync(join(tmpdir(), 'ff-aie-writer-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function listFiles(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(dir, join(base, e.name)) : [join(base, e.name)])).sort();
}

async function writeTwice(model: string | Uint8Array, name: string): Promise<{ a: string; b: string; files: string[] }> {
  const a = join(tmp, `${name}_a`);
  const b = join(tmp, `${name}_b`);
  const p1 = await convert(model, { backend: 'AIE', projectName: name });
  const r = await p1.write(a);
  const p2 = await convert(model, { backend: 'AIE', projectName: name });
  await p2.write(b);
  return { a, b, files: r.files };
}

describe('AIE writer: transformer-style int8 block', () => {
  it('converts and writes a complete project, deterministically', async () => {
    const { a, b, files } = await writeTwice(transformerBlock(), 'attn');
    for (const f of ['Makefile', 'aie.cfg', 'firmflow.json', 'src/app.cpp', 'src/graph.h', 'src/parameters.h', 'src/kernels/dense.h', 'src/kernels/normalize.h',
      'src/kernels/elementwise.h', 'src/kernels/firmflow_aie.h', 'harness/host/host.cpp', 'harness/pl/mm2s.cpp', 'harness/pl/s2mm.cpp', 'harness/system.cfg']) {
      expect(files).toContain(f);
    }
    expect(files.some((f) => /^data\/in_.*\.txt$/.test(f))).toBe(true);
    expect(files.some((f) => /^data\/golden\/out_.*\.txt$/.test(f))).toBe(true);
    expect(listFiles(b)).toEqual(listFiles(a));
    for (const f of files) expect(readFileSync(join(b, f), 'utf8'), f).toBe(readFileSync(join(a, f), 'utf8'));

    const graph = readFileSync(join(a, 'src/graph.h'), 'utf8');
    // Every kernel kind of the block is instantiated from the library.
    expect(graph).toMatch(/firmflow::LayerNorm</);
    expect(graph).toMatch(/firmflow::Softmax</);
    expect(graph).toMatch(/firmflow::MatMul</);
    expect(graph).toMatch(/firmflow::Dense</);
    expect(graph).toMatch(/adf::kernel::create\(firmflow::transpose</);
    expect(graph).toMatch(/adf::shared_buffer<int8>::create/);
    expect(graph).toMatch(/adf::location<adf::kernel>\(k_\w+\) = adf::tile\(\d+, \d+\);/);
    // Names come from sanitized identifiers only.
    expect(graph).not.toMatch(/[^\x20-\x7e\n]/);
    const params = readFileSync(join(a, 'src/parameters.h'), 'utf8');
    expect(params).toMatch(/aie::rounding_mode::conv_even/);
    const manifest = JSON.parse(readFileSync(join(a, 'firmflow.json'), 'utf8'));
    expect(manifest.backend).toBe('AIE');
    expect(manifest.inputs.map((p: { name: string }) => p.name)).toEqual(['x']);
  });
});

describe.skipIf(!hasShared)('AIE writer: QDQ MLP', () => {
  it('writes kernels, cascades, weights and golden data that match the emulator', async () => {
    const { a, files } = await writeTwice(join(MODELS, 'qdq_int8_mlp_pow2.onnx'), 'mlp');
    const graph = readFileSync(join(a, 'src/graph.h'), 'utf8');
    const manifest = JSON.parse(readFileSync(join(a, 'firmflow.json'), 'utf8'));
    const kernels = manifest.layers.flatMap((l: { kernels: unknown[] }) => l.kernels);
    expect((graph.match(/adf::kernel::create_object</g) ?? []).length).toBe(kernels.length);
    expect((graph.match(/adf::location<adf::kernel>/g) ?? []).length).toBe(kernels.length);
    // One cascade connection per kernel that is not first in its chain.
    const params = readFileSync(join(a, 'src/parameters.h'), 'utf8');
    const chains = [...params.matchAll(/CAS_LENGTH = (\d+), CAS_NUM = (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const cascades = chains.reduce((s, [len, num]) => s + (len - 1) * num, 0);
    expect((graph.match(/adf::connect\(k_\w+\.out\[0\], k_\w+\.in\[1\]\);/g) ?? []).length).toBe(cascades);
    expect(files).toContain('src/weights/fc1_matmul.h');
    // Input data: 4 iterations x 8 rows x 16 int8 values = 32 lines of 16 values.
    const lines = readFileSync(join(a, 'data/in_x.txt'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(32);
    expect(lines.every((l) => l.split(' ').length === 16)).toBe(true);
    // The golden output is the emulator's codes on those inputs (reopened from firmflow.json).
    const { default: plugin } = await import('../src/index.js');
    void plugin;
    const { openProject } = await import('../src/index.js');
    const opened = await openProject(a);
    const codes = lines.join(' ').split(' ').map(Number);
    const out = (await opened.emulate!({ x: { shape: [32, 16], data: codes } }, { codes: true })) as unknown as Record<string, { codes: ArrayLike<number> }>;
    const golden = readFileSync(join(a, 'data/golden/out_fc3_add.txt'), 'utf8').trim().split(/\s+/).map(Number);
    expect(golden.slice(0, 32 * 5)).toEqual(Array.from(out['y'].codes));

    // `firmflow report <dir>` reopens the project through the backend's openProject hook.
    const cli = join(import.meta.dirname, '../../../bin/firmflow.js');
    const r = spawnSync(process.execPath, [cli, 'report', a], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^mlp: AIE graph on AIE-ML/);
    expect(r.stdout).toMatch(/tiles: \d+ of 304/);
    const j = spawnSync(process.execPath, [cli, 'report', a, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(j.stdout).perf.macsPerIteration).toBe(8 * (16 * 32 + 32 * 16 + 16 * 5));
  });
});

describe('AIE writer: Concat views', () => {
  it('refuses a Concat whose first operand is written in padded tiles that reach into the next operand', async () => {
    const { qdqConcatSlice } = await import('./host-models.js');
    const p = await convert(qdqConcatSlice(7, 'padded'), { backend: 'AIE', projectName: 'padded' });
    await expect(p.write(join(tmp, 'padded'))).rejects.toThrow(/tensor 'c': the writes of k_\w+\.out\[0\] and k_\w+\.out\[0\] overlap in the buffer of the views \(Concat\)/);
    expect(existsSync(join(tmp, 'padded', 'src/graph.h'))).toBe(false);
  });
});
