// Host runs of generated AIE projects: g++ against firmflow's own ADF / aie_api model (backends/aie/host/include).
// The generated sources compile unchanged and warning-free, and the outputs equal the TypeScript emulator's bit for bit.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from 'firmflow';
import { compileHost, HOST_CXX_FLAGS, hostIncludeDir, openProject, roundShift, srs } from '../src/index.js';
import type { AieRounding } from '../src/lowered.js';
import { transformerBlock } from './transformer-model.js';
import { CLI, hasCxx, scratchDir } from './harness.js';
import { lcg } from './random.js';

const MODELS = join(import.meta.dirname, '../../../../shared/models');
const hasShared = existsSync(join(MODELS, 'qdq_int8_mlp_pow2.onnx'));
const tmp = scratchDir('ff-aie-host-');

type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;

async function checkModel(model: string | Uint8Array, name: string, sampleShape: number[], samples: number): Promise<string> {
  const dir = join(tmp, name);
  const p = await convert(model, { backend: 'AIE', projectName: name });
  await p.write(dir);
  const opened = await openProject(dir);
  // Builds once per content hash; the build's diagnostics are kept with it.
  const b = compileHost(dir);
  expect(b.warnings).toBe('');
  const again = await opened.compile();
  expect(again.cached).toBe(true);

  // The written PLIO inputs reproduce the written golden outputs (what `make x86sim` compares).
  const manifest = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8'));
  const inPort = manifest.inputs[0];
  const outPort = manifest.outputs[0];
  const codesIn = readFileSync(join(dir, inPort.file), 'utf8').trim().split(/\s+/).map(Number);
  const per = sampleShape.reduce((a, x) => a * x, 1);
  const nGolden = manifest.rowsPerIteration * manifest.dataIterations;
  const hostGolden = (await opened.predict({ [inPort.name]: { shape: [nGolden, ...sampleShape], data: codesIn.slice(0, nGolden * per) } }, { codes: true })) as unknown as Out;
  const golden = readFileSync(join(dir, `data/golden/${outPort.plio}.txt`), 'utf8').trim().split(/\s+/).map(Number);
  const got = Array.from(hostGolden[outPort.name].codes);
  expect(got).toEqual(golden.slice(0, got.length));

  // Real-valued inputs (a sample count that is not a whole number of iterations): host run == emulator.
  const r = lcg(77);
  const x = Float32Array.from({ length: samples * per }, () => (r() * 2 - 1) * 3);
  const feed = { [inPort.name]: { shape: [samples, ...sampleShape], data: x } };
  const host = (await opened.predict(feed, {})) as unknown as Out;
  const emu = (await opened.emulate!(feed, {})) as unknown as Out;
  for (const k of Object.keys(emu)) {
    expect(host[k].shape).toEqual(emu[k].shape);
    expect(Array.from(host[k].codes)).toEqual(Array.from(emu[k].codes));
    expect(Array.from(host[k].data)).toEqual(Array.from(emu[k].data));
  }
  return dir;
}

describe.skipIf(!hasCxx)('AIE host model: srs (to_vector) against the emulator', () => {
  it('every rounding mode, saturation on and off, int8/int16/int32 outputs', () => {
    const modes: AieRounding[] = ['floor', 'ceil', 'positive_inf', 'negative_inf', 'symmetric_inf', 'symmetric_zero', 'conv_even', 'conv_odd'];
    const values: number[] = [];
    for (let v = -40; v <= 40; v++) values.push(v);
    const r = lcg(5);
    for (let i = 0; i < 200; i++) values.push(Math.floor((r() * 2 - 1) * 2 ** 31));
    values.push(2147483647, -2147483648, 65535, -65536, 1 << 20, -(1 << 20) - 1);
    const shifts = [0, 1, 2, 3, 5, 8, 12, 17];
    const src = `#include <aie_api/aie.hpp>
#include <cstdio>
static const long long V[] = {${values.join(', ')}};
static const int S[] = {${shifts.join(', ')}};
int main() {
  const aie::rounding_mode M[] = {${modes.map((m) => `aie::rounding_mode::${m}`).join(', ')}};
  for (int sat = 0; sat < 2; ++sat) {
    aie::set_saturation(sat ? aie::saturation_mode::saturate : aie::saturation_mode::none);
    for (auto m : M) {
      aie::set_rounding(m);
      for (int s : S)
        for (long long v : V) {
          aie::accum<acc64, 8> a;
          a.from_vector(aie::broadcast<int64, 8>(v), 0);
          aie::accum<acc32, 8> b;
          b.from_vector(aie::broadcast<int32, 8>((int32)v), 0);
          std::printf("%d %d %d %lld\\n", (int)b.to_vector<int8>(s)[3], (int)b.to_vector<int16>(s)[5], (int)a.to_vector<int32>(s)[7], (long long)a.to_vector<int8>(s)[0]);
        }
    }
  }
  return 0;
}
`;
    const file = join(tmp, 'srs.cpp');
    writeFileSync(file, src);
    const exe = join(tmp, 'srs');
    const c = spawnSync(process.env['CXX'] || 'g++', [...HOST_CXX_FLAGS, `-I${hostIncludeDir()}`, file, '-o', exe], { encoding: 'utf8' });
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const lines = spawnSync(exe, [], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.trim().split('\n');
    const expected: string[] = [];
    for (const sat of [false, true])
      for (const m of modes)
        for (const s of shifts)
          for (const v of values) {
            const v32 = v | 0;
            expected.push(`${srs(v32, s, m, 'int8', sat)} ${srs(v32, s, m, 'int16', sat)} ${srs32(v, s, m, sat)} ${srs(v, s, m, 'int8', sat)}`);
          }
    expect(lines.length).toBe(expected.length);
    expect(lines).toEqual(expected);
  });
});

/** srs into int32 (the emulator's srs covers int8/int16): the same rounding, then the int32 range or a wrap. */
function srs32(x: number, shift: number, mode: AieRounding, sat: boolean): number {
  const v = roundShift(x, shift, mode);
  return sat ? Math.max(-2147483648, Math.min(2147483647, v)) : v | 0;
}

describe.skipIf(!hasCxx || !hasShared)('AIE host model: QDQ int8 MLP', () => {
  it('compiles warning-free and equals the emulator bit for bit; firmflow compile / predict work', async () => {
    const dir = await checkModel(join(MODELS, 'qdq_int8_mlp_pow2.onnx'), 'mlp', [16], 21);
    // The CLI hooks, as for FPGA projects.
    const c = spawnSync(process.execPath, [CLI, 'compile', dir], { encoding: 'utf8' });
    expect(c.status).toBe(0);
    expect(c.stdout).toMatch(/mlp: (up to date|compiled in)/);
    const r = lcg(9);
    const x = Array.from({ length: 5 * 16 }, () => Math.round((r() * 2 - 1) * 300) / 100);
    const xf = join(tmp, 'x.json');
    writeFileSync(xf, JSON.stringify({ x: { shape: [5, 16], data: x } }));
    const pr = spawnSync(process.execPath, [CLI, 'predict', dir, '-i', xf], { encoding: 'utf8' });
    expect(pr.status).toBe(0);
    const em = spawnSync(process.execPath, [CLI, 'predict', dir, '-i', xf, '--emulate'], { encoding: 'utf8' });
    expect(em.status).toBe(0);
    const host = JSON.parse(pr.stdout);
    const emu = JSON.parse(em.stdout);
    expect(Object.keys(host)).toEqual(Object.keys(emu));
    for (const k of Object.keys(emu)) {
      expect(host[k].shape).toEqual([5, 5]);
      expect(host[k].data).toEqual(emu[k].data);
    }
  });
});

describe.skipIf(!hasCxx)('AIE host model: int8 transformer-style block', () => {
  it('LayerNorm, Q/K/V, batched MatMul, Transpose, Softmax through memory-tile tilings equal the emulator', async () => {
    await checkModel(transformerBlock(), 'attn', [8, 16], 11);
  });
});

describe.skipIf(!hasCxx)('AIE host model: int8 jet tagger (16-64-32-32-5)', () => {
  it('equals the emulator bit for bit', async () => {
    const { qdqMlp, JET_TAGGER } = await import('./host-models.js');
    await checkModel(qdqMlp(JET_TAGGER), 'jet', [16], 37);
  });
});

describe.skipIf(!hasCxx)('AIE host model: Concat and Slice as memory-tile views', () => {
  it('fills one buffer from two Dense layers, reads a column slice, and equals the emulator', async () => {
    const { qdqConcatSlice } = await import('./host-models.js');
    const dir = await checkModel(qdqConcatSlice(), 'views', [16], 19);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    // The Concat output is one buffer written by both branches' chains; nothing is copied by a kernel.
    const c = graph.match(/mt_c = adf::shared_buffer<int8>::create\(\{16, (\d+), 1\}, (\d+), (\d+)\);/);
    expect(c).not.toBeNull();
    const writes = [...graph.matchAll(/adf::write_access\(mt_c\.in\[\d+\]\) = adf::tiling\(\{[^;]*\.offset = \{(\d+), 0, 0\}/g)].map((m) => Number(m[1]));
    expect(writes.length).toBe(Number(c![2]));
    // The second branch writes from column 8 on.
    expect(writes.some((o) => o >= 8)).toBe(true);
    expect(writes.some((o) => o < 8)).toBe(true);
    // The last Dense reads the Slice: columns [8, 16) of the third layer's output buffer.
    expect(graph).toMatch(/adf::read_access\(mt_d3_relu\.out\[\d+\]\) = adf::tiling\(\{[^;]*\.offset = \{8, 0, 0\}/);
    expect(graph).not.toMatch(/Concat|Slice/);
  });

  it('reads a Slice of the graph input, and serves a Concat output and a Slice of it to two output PLIOs', async () => {
    const { qdqViewsAtPorts } = await import('./host-models.js');
    const dir = await checkModel(qdqViewsAtPorts(), 'views_ports', [16], 7);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    expect(graph).toMatch(/adf::read_access\(mt_y\.out\[\d+\]\) = adf::tiling\(\{\.buffer_dimension = \{16, \d+, 1\}, \.tiling_dimension = \{8, \d+, 1\}, \.offset = \{4, 0, 0\}\}\);\n\s*adf::connect\(mt_y\.out\[\d+\], out_z\.in\[0\]\);/);
  });

  it('writes a graph input into its region of a Concat buffer through the PLIO access pattern', async () => {
    const { qdqConcatSlice } = await import('./host-models.js');
    const dir = await checkModel(qdqConcatSlice(7, 'input'), 'views_in', [16], 9);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    expect(graph).toMatch(/adf::write_access\(mt_c\.in\[\d+\]\) = adf::tiling\(\{\.buffer_dimension = \{24, \d+, 1\}, \.tiling_dimension = \{16, \d+, 1\}, \.offset = \{8, 0, 0\}\}\);\n\s*adf::connect\(in_x\.out\[0\], mt_c\.in\[\d+\]\);/);
  });
});
