// The AIE host build (issue 15): the project path reaches g++ only as -I arguments (a '"' or a line break in the
// output folder neither breaks nor injects code), the cached program counts only with the content its build
// recorded, and generated C++ that g++ rejects is an internal error (not a FirmflowError) with the compiler log.
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convert, isFirmflowError } from 'firmflow';
import { compileHost } from '../src/index.js';
import { hasCxx, openedHostEqualsEmulator, scratchDir } from './harness.js';
import { QdqModelBuilder } from './qdq-builder.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-host-build-');
const saved = process.env['FIRMFLOW_AIE_HOST_CACHE'];
// A cache of this file's own: the builds below must run, not be found in the shared cache.
beforeAll(() => { process.env['FIRMFLOW_AIE_HOST_CACHE'] = join(tmp, 'cache'); });
afterAll(() => { if (saved === undefined) delete process.env['FIRMFLOW_AIE_HOST_CACHE']; else process.env['FIRMFLOW_AIE_HOST_CACHE'] = saved; });

function dense(): Uint8Array {
  const m = new QdqModelBuilder(13, 31);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 8]);
  const x = m.qdq('x', 2 ** -4, 'x_q');
  m.dense(x, 'd0', 16, 8, true, 'y');
  return m.toBytes();
}

describe.skipIf(!hasCxx)('AIE host build', () => {
  it('builds a project whose folder name holds a quote, a line break and #include, and equals the emulator', async () => {
    const parent = join(tmp, 'a"b\n#include "/etc/passwd"\nc d');
    mkdirSync(parent, { recursive: true });
    const dir = join(parent, 'proj');
    await (await convert(dense(), { backend: 'AIE', projectName: 'proj' } as never)).write(dir);
    const b = compileHost(dir, { force: true });
    expect([b.cached, b.warnings]).toEqual([false, '']);
    const r = lcg(5);
    const feed = { x: { shape: [8, 16], data: Float32Array.from({ length: 128 }, () => (r() * 2 - 1) * 3) } };
    const emu = await openedHostEqualsEmulator(dir, feed);
    expect(new Set(Array.from(emu['y'].codes)).size).toBeGreaterThan(4);

    // The cached program counts only with its recorded content: emptied (a killed build's leftover), it is rebuilt.
    expect(compileHost(dir).cached).toBe(true);
    truncateSync(b.program, 0);
    const again = compileHost(dir);
    expect(again.cached).toBe(false);
    expect(readFileSync(again.program).length).toBeGreaterThan(0);
  }, 180_000);

  it('reports generated C++ that g++ rejects as an internal error with the compiler log', async () => {
    const dir = join(tmp, 'broken');
    await (await convert(dense(), { backend: 'AIE', projectName: 'broken' } as never)).write(dir);
    appendFileSync(join(dir, 'src', 'app.cpp'), '\nthis is not C++;\n');
    let err: unknown;
    try { compileHost(dir); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(Error);
    expect(isFirmflowError(err)).toBe(false);
    const m = /^generated C\+\+ did not compile \(compiler log: (.*)\): /.exec((err as Error).message);
    expect(m).not.toBeNull();
    expect(existsSync(m![1])).toBe(true);
    expect(readFileSync(m![1], 'utf8')).toMatch(/app\.cpp.*error/);
  }, 180_000);
});

/** Dense `k` then Dense `w`: k's weights array and w's kernel were both `k_w_c0_p0`. */
function clashingDense(): Uint8Array {
  const m = new QdqModelBuilder(13, 37);
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 8]);
  let cur = m.qdq('x', 2 ** -4, 'x_q');
  for (const [name, K, N] of [['k', 16, 16], ['w', 16, 8]] as const) {
    m.initializer(`${name}_wraw`, m.onGrid(K * N, 100, 2 ** -7), [K, N]);
    const w = m.qdq(`${name}_wraw`, 2 ** -7, `${name}_wq`);
    m.node('MatMul', [cur, w], [`${name}_mm`], {}, { name });
    cur = m.qdq(`${name}_mm`, 2 ** -4, name === 'w' ? 'y' : `${name}_out`);
  }
  return m.toBytes();
}

describe.skipIf(!hasCxx)('AIE names', () => {
  it('gives a weights array and a kernel that spell the same name two names; the host run equals the emulator', async () => {
    const dir = join(tmp, 'clash');
    await (await convert(clashingDense(), { backend: 'AIE', projectName: 'clash' } as never)).write(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8')) as { layers: { node: string; kernels: { id: string }[] }[] };
    const kernels = manifest.layers.flatMap((l) => l.kernels.map((k) => k.id));
    const graphH = readFileSync(join(dir, 'src', 'graph.h'), 'utf8') + readFileSync(join(dir, 'src', 'parameters.h'), 'utf8');
    const weights = readFileSync(join(dir, 'src', 'weights', 'k.h'), 'utf8');
    expect(weights).toMatch(/\bk_w_c0_p0\b/);
    expect(kernels).toContain('k_w_c0_p0_2');
    expect(graphH).toMatch(/adf::kernel k_w_c0_p0_2;/);
    const b = compileHost(dir, { force: true });
    expect(b.warnings).toBe('');
    const r = lcg(9);
    const feed = { x: { shape: [8, 16], data: Float32Array.from({ length: 128 }, () => (r() * 2 - 1) * 3) } };
    const emu = await openedHostEqualsEmulator(dir, feed);
    expect(new Set(Array.from(emu['y'].codes)).size).toBeGreaterThan(4);
  }, 180_000);
});
