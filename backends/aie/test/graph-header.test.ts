// The ADF graph header's plan-driven parts: location constraints of memory-tile buffers (the memory plan's columns)
// and kernel buffer ports (the planned banks), runtime parameters (aie.rtp: the Dense/MatMul shift written by
// graph.update), and bf16 PLIO data files; each checked on the host model against the TypeScript emulator.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convert, type Graph, sizeOf } from 'firmflow';
import { compileHost, openProject } from '../src/index.js';
import { bf16FromBits, bf16Round, emulateGraph } from '../src/emulate.js';
import type { AieDevice } from '../src/devices.js';
import type { AieGraphMeta, AieLayer } from '../src/lowered.js';
import { parseAieOptions } from '../src/passes/options.js';
import { memtileAddresses } from '../src/writer/graph-extras.js';
import { plioText } from '../src/writer/index.js';
import type { SharedBufferModel } from '../src/writer/model.js';
import { floatMlp, JET_TAGGER, qdqMlp } from './host-models.js';
import { transformerBlock } from './transformer-model.js';
import { hasCxx, scratchDir } from './harness.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-header-');

/** Lets the worker answer the test runner between host builds (each blocks in g++ for tens of seconds). */
const breathe = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;

async function write(model: Uint8Array, name: string, aie: Record<string, unknown> = {}): Promise<{ dir: string; graph: Graph }> {
  const dir = join(tmp, name);
  const p = await convert(model, { backend: 'AIE', projectName: name, aie });
  await p.write(dir);
  const opened = await openProject(dir);
  return { dir, graph: (opened as unknown as { graph: () => Graph }).graph() };
}

/** Element bytes of an ADF element type. */
const EB: Record<string, number> = { int8: 1, int16: 2, bfloat16: 2 };

/** Every same-object equality, +0 and -0 told apart. */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('AIE graph header: location constraints', () => {
  for (const [label, model] of [['jet tagger', () => qdqMlp(JET_TAGGER)], ['transformer block', () => transformerBlock()]] as const) {
    it(`every planned memory-tile buffer of the ${label} is constrained to the plan's columns, without overlaps`, async () => {
      const { dir, graph } = await write(model(), `loc_${label.replace(/\W/g, '_')}`);
      const h = readFileSync(join(dir, 'src/graph.h'), 'utf8');
      const meta = graph.meta['aie'] as AieGraphMeta;
      const declared = new Map([...h.matchAll(/(\w+) = adf::shared_buffer<(\w+)>::create\(\{([\d, ]+)\}/g)].map((m) => [m[1], { ctype: m[2], elems: sizeOf(m[3].split(',').map(Number)) }]));
      const numBuffers = new Map([...h.matchAll(/adf::num_buffers\((\w+)\) = (\d+);/g)].map((m) => [m[1], Number(m[2])]));
      const located = new Map([...h.matchAll(/adf::location<adf::buffer>\((mt\w+)\) = \{([^}]*)\};/g)].map((m) => [m[1], [...m[2].matchAll(/adf::address\((\d+), (\d+), (\d+)\)/g)].map((a) => a.slice(1).map(Number))]));
      const planned = meta.sharedBuffers.filter((b) => declared.has(b.name));
      expect(planned.length).toBeGreaterThanOrEqual(2);
      const used = new Map<number, [number, number, string][]>();
      for (const b of planned) {
        const addrs = located.get(b.name);
        expect(addrs, `${b.name} has a location constraint`).toBeDefined();
        expect(addrs!.length, `${b.name}: one address per copy`).toBe(b.copies);
        expect(numBuffers.get(b.name)).toBe(b.copies);
        const d = declared.get(b.name)!;
        const bytes = d.elems * EB[d.ctype];
        for (const [col, row, off] of addrs!) {
          expect(b.columns, `${b.name} in a column of its plan`).toContain(col);
          expect(row).toBe(0);
          expect(off % 16).toBe(0);
          expect(off + bytes).toBeLessThanOrEqual(524288);
          if (!used.has(col)) used.set(col, []);
          used.get(col)!.push([off, off + bytes, b.name]);
        }
      }
      for (const [col, ranges] of used) {
        ranges.sort((x, y) => x[0] - y[0]);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i][0], `memory tile ${col}: ${ranges[i - 1][2]} and ${ranges[i][2]}`).toBeGreaterThanOrEqual(ranges[i - 1][1]);
      }
      // Kernel buffer ports: the ping/pong banks and tiles of the plan (layer.buffers).
      const banks = [...h.matchAll(/adf::location<adf::buffer>\(k_(\w+)\.(in|out)\[(\d+)\]\) = \{([^}]*)\};/g)];
      expect(banks.length).toBeGreaterThan(0);
      const byKernel = new Map<string, { name: string; bank: number; tile: [number, number] }[]>();
      for (const n of graph.topoOrder()) for (const b of (n.meta['aie'] as AieLayer | undefined)?.buffers ?? []) {
        if (!byKernel.has(b.kernelId)) byKernel.set(b.kernelId, []);
        byKernel.get(b.kernelId)!.push(b);
      }
      for (const m of banks) {
        const [, kid, dir2, idx, list] = m;
        const got = [...list.matchAll(/adf::bank\((\d+), (\d+), (\d+)\)/g)].map((a) => a.slice(1).map(Number));
        const base = dir2 === 'in' ? `in${idx}` : 'out';
        const want = ['ping', 'pong'].map((h2) => byKernel.get(kid)!.find((b) => b.name === `${base}_${h2}`)!).map((b) => [b.tile[0], b.tile[1], b.bank]);
        expect(got, `${kid}.${dir2}[${idx}]`).toEqual(want);
      }
      // Kernel locations are still there, and nothing constrains a port twice.
      expect(h).toMatch(/adf::location<adf::kernel>\(k_\w+\) = adf::tile\(\d+, \d+\);/);
      const targets = [...h.matchAll(/adf::location<adf::buffer>\(([^)]+)\)/g)].map((m) => m[1]);
      expect(new Set(targets).size).toBe(targets.length);
    }, 120_000);
  }

  it('packs memory-tile buffers per column, puts channel-spread buffers whole in the middle tile, splits only what one tile cannot hold', () => {
    const dev = { memoryTile: { bytes: 4096 } } as unknown as AieDevice;
    const sb = (name: string, elems: number, columns: number[], copies = 2): SharedBufferModel => ({ name, ctype: 'int8', dims: [elems, 1, 1], writers: [], readers: [], columns, copies });
    const a = memtileAddresses([sb('a', 100, [3]), sb('b', 1000, [2, 3, 4]), sb('c', 3000, [5, 6]), sb('w', 64, [3], 1)], dev);
    expect(a.get('a')).toEqual([[3, 0, 0], [3, 0, 112]]);
    // The middle tile (3) has room for both copies of b after a's.
    expect(a.get('b')).toEqual([[3, 0, 224], [3, 0, 1232]]);
    // c's two copies (6000 bytes) do not fit one 4096-byte tile: one copy per tile at offset 0.
    expect(a.get('c')).toEqual([[5, 0, 0], [6, 0, 0]]);
    expect(a.get('w')).toEqual([[3, 0, 2240]]);
    expect(() => memtileAddresses([sb('x', 3000, [5, 6]), sb('y', 3000, [6, 7])], dev)).toThrow(/'y'.*offset 0.*memory tile 6 already holds/);
    expect(() => memtileAddresses([sb('z', 1500, [1]), sb('q', 600, [1])], dev)).toThrow(/'q'.*fits none of its memory tiles 1/);
    // Two memory-tile rows: row 0 of the column first, then row 1.
    const dev2 = { memoryTile: { bytes: 4096, rows: 2 } } as unknown as AieDevice;
    const two = memtileAddresses([sb('r1', 3000, [1], 1), sb('r2', 3000, [1], 1), sb('r3', 1000, [1], 1)], dev2);
    expect([two.get('r1'), two.get('r2'), two.get('r3')]).toEqual([[[1, 0, 0]], [[1, 1, 0]], [[1, 0, 3008]]]);
  });
});

describe('AIE options: aie.rtp', () => {
  it('accepts true, false and a list of kinds, and names the option on bad values', () => {
    expect(parseAieOptions({ aie: { rtp: true } }).rtp).toEqual(['shift']);
    expect(parseAieOptions({ aie: { rtp: ['shift', 'shift'] } }).rtp).toEqual(['shift']);
    expect(parseAieOptions({ aie: { rtp: false } }).rtp).toEqual([]);
    expect(parseAieOptions({ aie: {} }).rtp).toEqual([]);
    expect(() => parseAieOptions({ aie: { rtp: ['bias'] } })).toThrow(/option 'aie\.rtp' must be true, false or a list of 'shift', got \["bias"\]/);
    expect(() => parseAieOptions({ aie: { rtp: 'shift' } })).toThrow(/aie\.rtp/);
  });
});

describe.skipIf(!hasCxx)('AIE graph header: runtime parameters on the host model', () => {
  let rtp: { dir: string; graph: Graph };
  let plain: { dir: string; graph: Graph };
  const r = lcg(31);
  const samples = 21;
  const x = Float32Array.from({ length: samples * 16 }, () => (r() * 2 - 1) * 3);
  const feed = { x: { shape: [samples, 16], data: x } };
  beforeAll(async () => {
    rtp = await write(qdqMlp(JET_TAGGER), 'jet_rtp', { rtp: ['shift'] });
    plain = await write(qdqMlp(JET_TAGGER), 'jet_plain');
  }, 120_000);

  it('declares a parameter port per shift-applying kernel, connected async, set by app.cpp from the plan', () => {
    const h = readFileSync(join(rtp.dir, 'src/graph.h'), 'utf8');
    const app = readFileSync(join(rtp.dir, 'src/app.cpp'), 'utf8');
    const manifest = JSON.parse(readFileSync(join(rtp.dir, 'firmflow.json'), 'utf8'));
    const params = manifest.runtimeParameters as { port: string; kernel: string; input: number; node: string; value: number }[];
    // One per last kernel of every chain of the four Dense layers.
    let expected = 0;
    for (const n of rtp.graph.topoOrder()) {
      const l = n.meta['aie'] as AieLayer;
      if (l.kernel !== 'dense') continue;
      expected += l.tiling!.casNum;
      const mine = params.filter((p) => p.node === n.name);
      expect(mine.length).toBe(l.tiling!.casNum);
      for (const p of mine) {
        expect(p.value).toBe(l.shift);
        expect(p.input).toBe(l.tiling!.casLength > 1 ? 2 : 1);
        expect(h).toContain(`  adf::input_port ${p.port};`);
        expect(h).toContain(`adf::connect<adf::parameter>(${p.port}, adf::async(${p.kernel}.in[${p.input}]));`);
        expect(app).toContain(`.update(jet_rtp.${p.port}, int32(${l.shift}));`);
      }
    }
    expect(params.length).toBe(expected);
    // update comes before run.
    expect(app.lastIndexOf('.update(')).toBeLessThan(app.indexOf('.run(ITERATIONS)'));
    expect(h).toMatch(/firmflow::DenseRtp<\w+, firmflow::Role::(last|single)>/);
    expect(h).toContain('#include "kernels/dense_rtp.h"');
    // The project without the option has none of it.
    const h0 = readFileSync(join(plain.dir, 'src/graph.h'), 'utf8');
    expect(h0).not.toMatch(/input_port|DenseRtp/);
  });

  it('compiles warning-free and gives the same bits as the project without runtime parameters and as the emulator', async () => {
    expect(compileHost(rtp.dir).warnings).toBe('');
    await breathe();
    const a = (await (await openProject(rtp.dir)).predict(feed, {})) as unknown as Out;
    await breathe();
    const b = (await (await openProject(plain.dir)).predict(feed, {})) as unknown as Out;
    await breathe();
    const e = emulateGraph(rtp.graph, feed) as unknown as Out;
    const k = Object.keys(e)[0];
    expect(a[k].shape).toEqual([samples, 5]);
    expect(Array.from(a[k].codes)).toEqual(Array.from(b[k].codes));
    expect(Array.from(a[k].codes)).toEqual(Array.from(e[k].codes));
  }, 180_000);

  it('a shift written with graph.update changes the results exactly as the emulator predicts for that shift', async () => {
    // The application writes other shifts: the last layer's two steps coarser, the first layer's one step finer.
    const dir = join(tmp, 'jet_rtp_updated');
    cpSync(rtp.dir, dir, { recursive: true });
    const nodes = rtp.graph.topoOrder().filter((n) => (n.meta['aie'] as AieLayer).kernel === 'dense');
    const first = nodes[0], last = nodes[nodes.length - 1];
    const s0 = (first.meta['aie'] as AieLayer).shift as number, s1 = (last.meta['aie'] as AieLayer).shift as number;
    const manifest = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8'));
    let app = readFileSync(join(dir, 'src/app.cpp'), 'utf8');
    for (const p of manifest.runtimeParameters as { port: string; node: string }[]) {
      const v = p.node === first.name ? s0 - 1 : p.node === last.name ? s1 + 2 : undefined;
      if (v === undefined) continue;
      const re = new RegExp(`(\\.update\\(jet_rtp\\.${p.port}, int32\\()(\\d+)(\\)\\))`);
      expect(app).toMatch(re);
      app = app.replace(re, `$1${v}$3`);
    }
    writeFileSync(join(dir, 'src/app.cpp'), app);
    await breathe();
    const host = (await (await openProject(dir)).predict(feed, {})) as unknown as Out;
    // The emulator with the same shifts in the lowered plan.
    const g = (await openProject(dir) as unknown as { graph: () => Graph }).graph();
    for (const n of g.topoOrder()) {
      const l = n.meta['aie'] as AieLayer;
      if (n.name === first.name) l.shift = s0 - 1;
      if (n.name === last.name) l.shift = s1 + 2;
    }
    const emu = emulateGraph(g, feed) as unknown as Out;
    const before = emulateGraph(rtp.graph, feed) as unknown as Out;
    const k = Object.keys(emu)[0];
    expect(Array.from(host[k].codes)).toEqual(Array.from(emu[k].codes));
    expect(Array.from(host[k].data)).toEqual(Array.from(emu[k].data));
    // And the new shifts did change the results.
    const changed = Array.from(emu[k].codes).filter((c, i) => c !== before[k].codes[i]).length;
    expect(changed).toBeGreaterThan(samples * 5 / 2);
  }, 180_000);
});

describe('AIE PLIO data files: bf16', () => {
  it('writes bf16 as exact decimal values, eight 16-bit values per 128-bit line, and reads them back', () => {
    const r = lcg(3);
    const v = Array.from({ length: 37 }, () => bf16Round((r() * 2 - 1) * 2 ** Math.floor(r() * 40 - 20)));
    v.push(bf16FromBits(0x0001), bf16FromBits(0x7f7f), -0.5, 0); // subnormal, largest finite, simple values
    const text = plioText(v, 'bf16', 128);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBe(Math.ceil(v.length / 8));
    for (const l of lines) expect(l.split(' ').length).toBe(8);
    const back = text.trim().split(/\s+/).map(Number).slice(0, v.length);
    expect(back).toEqual(v);
    // Each value is a bf16 value already: rounding it again changes nothing.
    for (const x of back) expect(bf16Round(x)).toBe(x);
    expect(plioText([1, -2, 3], 'int16', 128).trim()).toBe('1 -2 3 0 0 0 0 0');
  });

  describe.skipIf(!hasCxx)('bf16 mode on the host model', () => {
    let bf: { dir: string; graph: Graph };
    beforeAll(async () => {
      bf = await write(floatMlp(JET_TAGGER), 'jet_bf16', { mode: 'bf16' });
    }, 120_000);

    it('emits bf16 weights as their values and compiles warning-free', () => {
      const w = readFileSync(join(bf.dir, 'src/weights/MatMul_1.h'), 'utf8');
      // The weight arrays (bfloat16); the bias arrays are float.
      const body = [...w.matchAll(/static const bfloat16 \w+\[\d+\] = \{([^}]*)\}/g)].map((m) => m[1]).join(',');
      const lits = [...body.matchAll(/(-?[\d.]+(?:e[-+]?\d+)?)f/g)].map((m) => Number(m[1]));
      expect(lits.length).toBeGreaterThan(16 * 64 / 2);
      for (const x of lits) expect(bf16Round(x)).toBe(x);
      // The first kernel's first blocked weight is the layer's w[0][0] (block [0][0], row 0, column 0).
      const layer = bf.graph.topoOrder()[0].meta['aie'] as AieLayer;
      expect(lits[0]).toBe(bf16FromBits(layer.weightsCodes![0]));
      expect(compileHost(bf.dir).warnings).toBe('');
    }, 120_000);

    it('the written input file reproduces the written golden outputs, and host runs equal the emulator bit for bit', async () => {
      const opened = await openProject(bf.dir);
      const manifest = JSON.parse(readFileSync(join(bf.dir, 'firmflow.json'), 'utf8'));
      const inPort = manifest.inputs[0], outPort = manifest.outputs[0];
      expect(inPort.dtype).toBe('bf16');
      const codesIn = readFileSync(join(bf.dir, inPort.file), 'utf8').trim().split(/\s+/).map(Number);
      const n = manifest.rowsPerIteration * manifest.dataIterations;
      const host = (await opened.predict({ x: { shape: [n, 16], data: codesIn.slice(0, n * 16) } }, { codes: true })) as unknown as Out;
      const golden = readFileSync(join(bf.dir, `data/golden/${outPort.plio}.txt`), 'utf8').trim().split(/\s+/).map(Number);
      expect(sameBits(host[outPort.name].codes, golden.slice(0, n * 5))).toBe(true);
      const r = lcg(91);
      const samples = 27;
      const feed = { x: { shape: [samples, 16], data: Float32Array.from({ length: samples * 16 }, () => (r() * 2 - 1) * 4) } };
      const h = (await opened.predict(feed, {})) as unknown as Out;
      const e = (await opened.emulate!(feed, {})) as unknown as Out;
      for (const k of Object.keys(e)) {
        expect(h[k].shape).toEqual(e[k].shape);
        expect(sameBits(h[k].codes, e[k].codes)).toBe(true);
        expect(sameBits(h[k].data, e[k].data)).toBe(true);
      }
      // Not a trivial output: many distinct bf16 values.
      expect(new Set(Array.from(e[outPort.name].codes)).size).toBeGreaterThan(samples * 3);
    }, 180_000);
  });
});
