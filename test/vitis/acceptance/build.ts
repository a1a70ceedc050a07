/*
 * Acceptance harness: the whole Vitis plugin (writer, host simulation, emulator) registered from source, projects
 * written to a stable folder per (model, options) under the OS temp dir so the host build's own hash cache skips
 * g++ when nothing changed between runs, and the float model for random inputs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as plugin from '../../../backends/vitis/index.js';
import { convert, type ConvertOptions, ensureSharedFlows, findBackend, type Graph, interpret, loadModel, type Project, resetPlugins, runFlows, usePlugin } from 'firmflow';

export interface Outputs { [name: string]: { shape: number[]; data: Float64Array } }
export type VitisProject = Project & {
  compile(dir?: string): Promise<unknown>;
  predict(inputs: unknown): Promise<Outputs>;
  emulate(inputs: unknown): Outputs;
};

export async function useFullVitis(): Promise<void> {
  if (findBackend('Vitis')) return;
  const root = mkdtempSync(join(tmpdir(), 'firmflow-acceptance-'));
  const self = join(root, 'self');
  mkdirSync(self, { recursive: true });
  writeFileSync(join(self, 'package.json'), JSON.stringify({ name: 'firmflow-test-self' }));
  resetPlugins({ cwd: root, envPlugins: '', selfRoot: self });
  await usePlugin({ meta: plugin.meta, register: plugin.register });
}

const CACHE = join(tmpdir(), 'firmflow-acceptance-builds');

/** Converts, writes (to a folder keyed by model and options) and compiles; g++ runs only when sources changed. */
export async function built(model: string | Uint8Array, key: string, options: Partial<ConvertOptions> = {}): Promise<VitisProject> {
  await useFullVitis();
  const p = (await convert(model, { backend: 'Vitis', ...options })) as VitisProject;
  const hash = createHash('sha256').update(typeof model === 'string' ? model : Buffer.from(model)).update(JSON.stringify(options)).digest('hex').slice(0, 12);
  const dir = join(CACHE, `${key}-${hash}`);
  await p.write(dir, { force: true });
  await p.compile();
  return p;
}

/** Converts without writing (emulation only). */
export async function converted(model: string | Uint8Array, options: Partial<ConvertOptions> = {}): Promise<VitisProject> {
  await useFullVitis();
  return (await convert(model, { backend: 'Vitis', ...options })) as VitisProject;
}

/** The float model: the optimized IR, interpreted in float64 with the model's own quantizers. */
export function floatModel(model: string | Uint8Array): (feeds: Record<string, { data: ArrayLike<number> }>, samples: number) => Record<string, Float64Array> {
  ensureSharedFlows();
  const g: Graph = loadModel(model);
  runFlows(g, ['optimize']);
  const shapes = g.inputs.map((p) => g.tensor(p.tensor).shape);
  const fixedBatch = shapes.some((s) => typeof s[0] === 'number');
  return (feeds, samples) => {
    const out: Record<string, Float64Array> = {};
    const chunk = fixedBatch ? 1 : samples;
    for (let first = 0; first < samples; first += chunk) {
      const feed: Record<string, { shape: number[]; data: Float64Array }> = {};
      g.inputs.forEach((p, i) => {
        const per = shapes[i].slice(1) as number[];
        const n = per.reduce((a, b) => a * b, 1);
        feed[p.name] = { shape: [chunk, ...per], data: Float64Array.from(Float32Array.from(feeds[p.name].data).subarray(first * n, (first + chunk) * n)) };
      });
      const r = interpret(g, feed);
      for (const [k, v] of Object.entries(r)) {
        const n = v.data.length / chunk;
        out[k] ??= new Float64Array(n * samples);
        out[k].set(v.data, first * n);
      }
    }
    return out;
  };
}

/** N(0, 1) float32 values (xorshift32 + Box-Muller), deterministic. */
export function gaussian(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  const u = (): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return (x + 1) / 4294967297; };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u())), t = 2 * Math.PI * u();
    out[i] = r * Math.cos(t);
    if (i + 1 < n) out[i + 1] = r * Math.sin(t);
  }
  return out;
}

/** Index of the first largest value of each row of `width` values. */
export function argmaxRows(data: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) {
    let b = 0;
    for (let c = 1; c < width; c++) if (data[r * width + c] > data[r * width + b]) b = c;
    out.push(b);
  }
  return out;
}
