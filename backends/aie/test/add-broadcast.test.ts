// Add of a runtime operand that broadcasts (numpy / ONNX rules) against a full-shape operand: b one row per sample
// repeated over the sample's rows ([N, 1, C] of [N, 5, C]), one value per row ([N, 5, 1]), one value per sample
// ([N, 1, 1]), the same rows for every block of rows ([1, 1, 5, C] of [1, 4, 5, C]), each as the second and as the
// first operand. int8 QDQ
// models (power-of-two scales) are bit-exact against onnxruntime; bf16 float models are within their bf16 rounding
// (below). Split over 2 and 3 kernels (3: an uneven split whose last kernel has padding rows), the host run (g++
// against the host model) equals the emulator bit for bit. Broadcast patterns outside the kernel's are refused by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, type FirmflowError, type Graph, sizeOf } from 'firmflow';
import * as ort from 'onnxruntime-node';
import { compileHost, openProject } from '../src/index.js';
import type { AieLayer } from '../src/lowered.js';
import { QdqModelBuilder } from './qdq-builder.js';
import { hasCxx, scratchDir } from './harness.js';
import { lcg } from './random.js';

const tmp = scratchDir('ff-aie-addbc-');
const SAMPLES = 11; // not a whole number of 8-row iterations
const U_BF16 = 2 ** -8;

type Dim = number | 'N';
type Out = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number> }>;
type Project = Awaited<ReturnType<typeof convert>> & { graph: Graph; emulate: (i: unknown, o?: unknown) => Out };
type Feeds = Record<string, { shape: number[]; data: Float32Array }>;

interface Pattern {
  name: string;
  /** The full operand's shape and the broadcast operand's. */
  full: Dim[];
  bcast: Dim[];
}

const PATTERNS: Pattern[] = [
  { name: 'row per sample', full: ['N', 5, 16], bcast: ['N', 1, 16] },
  { name: 'value per row', full: ['N', 5, 16], bcast: ['N', 5, 1] },
  { name: 'value per sample', full: ['N', 5, 16], bcast: ['N', 1, 1] },
  // One sample of 4 blocks of 5 rows: b's 5 rows repeat over the blocks (a graph input's leading axis is its samples,
  // so two graph inputs broadcast this way only inside a sample).
  { name: 'rows for every block', full: [1, 4, 5, 16], bcast: [1, 1, 5, 16] },
  // Rows a whole number of vectors long (32 lanes): the kernel's vectorized path.
  { name: 'row per sample, 32 columns', full: ['N', 5, 32], bcast: ['N', 1, 32] },
  { name: 'value per row, 32 columns', full: ['N', 5, 32], bcast: ['N', 5, 1] },
];

const concrete = (s: Dim[]): number[] => s.map((d) => (d === 'N' ? SAMPLES : d));

/**
 * y = Add(first, second) of graph inputs `full` and `b` (node `layer`); bFirst puts b first. int8: full at 2^-4,
 * b at 2^-5, y at 2^-4 (a rounding shift of 1); float: no quantizers (aie.mode 'auto' picks bf16).
 */
function addModel(p: Pattern, bFirst: boolean, int8: boolean): Uint8Array {
  const m = new QdqModelBuilder(17, 3);
  m.input('full', 'float32', p.full);
  m.input('b', 'float32', p.bcast);
  m.output('y', 'float32', p.full);
  const x = int8 ? m.qdq('full', 2 ** -4, 'xq') : 'full';
  const b = int8 ? m.qdq('b', 2 ** -5, 'bq') : 'b';
  m.node('Add', bFirst ? [b, x] : [x, b], [int8 ? 'h' : 'y'], {}, { name: 'layer' });
  if (int8) m.qdq('h', 2 ** -4, 'y');
  return m.toBytes();
}

/** Inputs on the quantizers' grids for int8 (so they are exact), any floats for bf16. */
function feedsFor(p: Pattern, int8: boolean, seed: number): Feeds {
  const r = lcg(seed);
  const draw = (n: number, amp: number, grid: number): Float32Array => Float32Array.from({ length: n }, () => (int8 ? Math.round((r() * 2 - 1) * amp) / grid : (r() * 2 - 1) * 4));
  return {
    full: { shape: concrete(p.full), data: draw(sizeOf(concrete(p.full)), 110, 16) },
    b: { shape: concrete(p.bcast), data: draw(sizeOf(concrete(p.bcast)), 120, 32) },
  };
}

async function reference(model: Uint8Array, feeds: Feeds): Promise<Float32Array> {
  const sess = await ort.InferenceSession.create(model);
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor('float32', v.data, v.shape);
  return (await sess.run(f))['y'].data as Float32Array;
}

interface Case {
  pattern: Pattern;
  bFirst: boolean;
  int8: boolean;
  casNum: number;
}

const CASES: Case[] = [
  ...PATTERNS.flatMap((pattern, i) => [false, true].map((bFirst) => ({ pattern, bFirst, int8: true, casNum: (i + (bFirst ? 1 : 0)) % 2 === 0 ? 3 : 2 }))),
  ...PATTERNS.slice(0, 4).flatMap((pattern, i) => [false, true].map((bFirst) => ({ pattern, bFirst, int8: false, casNum: (i + (bFirst ? 0 : 1)) % 2 === 0 ? 3 : 2 }))),
];

/** The largest |emulator - reference| over the bf16 bound u (|a| + |b| + |y|) of each element (<= 1 within it). */
function bf16Ratio(feeds: Feeds, p: Pattern, emu: ArrayLike<number>, ref: Float32Array): number {
  // Element i of y reads b at the broadcast index of i.
  const out = concrete(p.full), bs = concrete(p.bcast);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    let rest = i, bi = 0, stride = 1;
    for (let d = out.length - 1; d >= 0; d--) {
      const x = rest % out[d];
      rest = Math.floor(rest / out[d]);
      if (bs[d] !== 1) bi += x * stride;
      stride *= bs[d];
    }
    const a = feeds['full'].data[i], b = feeds['b'].data[bi];
    const bound = U_BF16 * (Math.abs(a) + Math.abs(b) + Math.abs(ref[i]));
    worst = Math.max(worst, Math.abs(emu[i] - ref[i]) / bound);
  }
  return worst;
}

describe('AIE Add of a broadcast runtime operand', () => {
  it.each(CASES)('$pattern.name (b first: $bFirst), int8 $int8, $casNum kernels: host == emulator == reference', async (c) => {
    const { pattern: p, bFirst, int8, casNum } = c;
    const model = addModel(p, bFirst, int8);
    const name = `${p.name.replace(/[^a-z0-9]+/g, '_')}_${bFirst ? 'bfirst' : 'bsecond'}_${int8 ? 'int8' : 'bf16'}_${casNum}`;
    const project = (await convert(model, { backend: 'AIE', projectName: name, aie: { layers: { layer: { casNum } } } })) as Project;
    const layer = project.graph.topoOrder().find((n) => n.name === 'layer')!.meta['aie'] as AieLayer;
    expect(layer.dtype.a).toBe(int8 ? 'int8' : 'bf16');
    expect(layer.attrs['broadcastSide']).toBe(bFirst ? 0 : 1);
    expect(layer.tiling!.casNum).toBe(casNum);
    const dir = join(tmp, name);
    await project.write(dir);
    const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
    // One add_broadcast kernel per row block, its template arguments the block's first row and its b window's.
    const kernels = [...graph.matchAll(/k_layer_c(\d+)_p0 = adf::kernel::create\(firmflow::add_broadcast<layer_cfg, (\d+), (\d+)>\);/g)].map((m) => m.slice(1).map(Number));
    expect(kernels.map((k) => k[0])).toEqual(Array.from({ length: casNum }, (_, i) => i));
    const tileM = layer.tiling!.tileM;
    expect(kernels.map((k) => k[1])).toEqual(Array.from({ length: casNum }, (_, i) => i * tileM));

    const feeds = feedsFor(p, int8, 7);
    const emu = project.emulate(feeds, {});
    const ref = await reference(model, feeds);
    expect(emu['y'].data.length).toBe(ref.length);
    if (int8) {
      // Power-of-two QDQ: onnxruntime's int8 arithmetic exactly.
      expect(Array.from(emu['y'].data)).toEqual(Array.from(ref));
      expect(new Set(Array.from(emu['y'].codes)).size).toBeGreaterThan(20);
    } else {
      const ratio = bf16Ratio(feeds, p, emu['y'].data, ref);
      expect(ratio).toBeLessThanOrEqual(1);
      expect(ratio).toBeGreaterThan(0);
    }
    // One kernel: the same numbers (the split changes where rows are computed, not how).
    const one = (await convert(model, { backend: 'AIE', aie: { layers: { layer: { casNum: 1 } } } })) as Project;
    expect(Array.from(one.emulate(feeds, {})['y'].data)).toEqual(Array.from(emu['y'].data));
    if (hasCxx) {
      const b = compileHost(dir);
      expect(b.warnings).toBe('');
      const host = (await (await openProject(dir)).predict!(feeds as never, {})) as unknown as Out;
      expect(host['y'].shape).toEqual(emu['y'].shape);
      expect(Array.from(host['y'].codes)).toEqual(Array.from(emu['y'].codes));
      expect(Array.from(host['y'].data)).toEqual(Array.from(emu['y'].data));
    }
  }, 120_000);

  it("gives each kernel the window of b its rows read (40 rows over 3 kernels of 14)", async () => {
    const windows = async (p: Pattern): Promise<{ kernels: number[][]; bDims: number[] }> => {
      const project = await convert(addModel(p, false, true), { backend: 'AIE', projectName: 'w', aie: { layers: { layer: { casNum: 3 } } } });
      const dir = join(tmp, `windows_${p.bcast.join('_')}`);
      await project.write(dir);
      const graph = readFileSync(join(dir, 'src/graph.h'), 'utf8');
      return {
        kernels: [...graph.matchAll(/add_broadcast<layer_cfg, (\d+), (\d+)>/g)].map((m) => [Number(m[1]), Number(m[2])]),
        bDims: [...graph.matchAll(/adf::dimensions\(k_layer_c\d_p0\.in\[1\]\) = \{(\d+)\};/g)].map((m) => Number(m[1])),
      };
    };
    // b [N, 1, 16]: row r reads b row floor(r / 5); kernels start at rows 0, 14, 28 -> b rows 0-2, 2-5, 5-8: 4 rows.
    expect(await windows(PATTERNS[0])).toEqual({ kernels: [[0, 0], [14, 2], [28, 5]], bDims: [64, 64, 64] });
    // b [N, 5, 1]: one value per row, the kernel's own 14.
    expect(await windows(PATTERNS[1])).toEqual({ kernels: [[0, 0], [14, 14], [28, 28]], bDims: [14, 14, 14] });
    // b [1, 1, 5, 16] of [1, 4, 5, 16] (20 rows, 3 kernels of 7): every kernel reads all 5 rows (row r reads r mod 5).
    expect(await windows(PATTERNS[3])).toEqual({ kernels: [[0, 0], [7, 0], [14, 0]], bDims: [80, 80, 80] });
    const cfg = readFileSync(join(tmp, 'windows_1_1_5_16/src/parameters.h'), 'utf8');
    expect(cfg).toMatch(/static constexpr unsigned GROUP = 1, PERIOD = 5;/);
  });

  it('refuses by name the broadcasts the AIE Add does not implement', async () => {
    const refused = async (full: Dim[], bcast: Dim[]): Promise<FirmflowError> => {
      const m = new QdqModelBuilder(17, 3);
      m.input('a', 'float32', full).input('b', 'float32', bcast);
      const out = full.map((d, i) => (d === 1 ? bcast[i] : d));
      m.output('y', 'float32', out);
      m.node('Add', ['a', 'b'], ['y'], {}, { name: 'layer' });
      const e = await convert(m.toBytes(), { backend: 'AIE' }).then(() => undefined, (err: unknown) => err as FirmflowError);
      expect(e, 'conversion was expected to be refused').toBeDefined();
      expect(e!.code).toBe('aie.unsupported');
      return e!;
    };
    // Both operands broadcast (an outer sum).
    expect((await refused(['N', 5, 1], ['N', 1, 16])).message).toMatch(/node 'layer' \(Add\): operands 8x5x1 and 8x1x16 both broadcast to the output 8x5x16; the AIE Add broadcasts one runtime operand/);
    // A broadcast axis between kept axes: b's rows neither repeat as a block nor serve consecutive output rows.
    expect((await refused(['N', 2, 5, 16], ['N', 1, 5, 16])).message).toMatch(/node 'layer' \(Add\): operand 'b' of shape \[8,1,5,16\] broadcasts to \[8,2,5,16\] along a leading axis between axes it keeps/);
  });
});
