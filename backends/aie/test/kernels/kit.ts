/*
 * What the per-kernel tests share: small IR graphs of one kernel between fixed-point tensors, planned by the AIE
 * flows; inputs on the input's grid; the float interpreter's result, the emulator's, the trace and the layer's part
 * of the project model.
 */
import { interpret, isFirmflowError, type FixedType, type Graph } from 'firmflow';
import { emulateGraph, type AieEmuOutput } from '../../src/emulate.js';
import { loadDevice, type AieDevice } from '../../src/devices.js';
import type { AieLayer } from '../../src/lowered.js';
import { traceGraph, type AieTraceLayer } from '../../src/trace.js';
import { buildProjectModel, type LayerModel } from '../../src/writer/model.js';
import { lcg } from '../random.js';
import { layerOf, plan } from '../planning/helpers.js';

export { fx } from '../planning/helpers.js';

/** Samples per iteration of the tests' graphs (their symbolic batch axis). */
export const ROWS = 8;

export type Feed = { shape: number[]; data: Float64Array };

/** Plans a fresh graph through every AIE flow (legalize, tile, place, memory). */
export function lower(build: () => Graph, options: Record<string, unknown> = {}): Graph {
  return plan(build(), options);
}

/** The AIE layer of node `name` of a planned graph. */
export const layer = (g: Graph, name: string): AieLayer => layerOf(g, name);

/** The refusal message the legalization gives (fails the test when there is none). */
export function refusal(build: () => Graph, options: Record<string, unknown> = {}): string {
  try {
    plan(build(), options, 'aie:legalize');
  } catch (e) {
    if (isFirmflowError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** `samples` rows of `shape` (without the batch axis) on the grid 2^-frac, codes in [-range, range). */
export function onGrid(shape: number[], frac: number, seed: number, range = 100, samples = ROWS): Feed {
  const r = lcg(seed);
  const n = samples * shape.reduce((a, b) => a * b, 1);
  return { shape: [samples, ...shape], data: Float64Array.from({ length: n }, () => Math.floor((r() * 2 - 1) * range) / 2 ** frac) };
}

/** Real values in [-amp, amp) (bf16 tests). */
export function uniform(shape: number[], amp: number, seed: number, samples = ROWS): Feed {
  const r = lcg(seed);
  const n = samples * shape.reduce((a, b) => a * b, 1);
  return { shape: [samples, ...shape], data: Float64Array.from({ length: n }, () => (r() * 2 - 1) * amp) };
}

/** The float interpreter on a fresh graph, its fixed-point types applied (the model's own quantizers). */
export function reference(build: () => Graph, feeds: Record<string, Feed>, output = 'y'): Float64Array {
  return Float64Array.from(interpret(build(), feeds)[output].data);
}

/** The emulator's output `output` on real inputs. */
export function emulate(g: Graph, feeds: Record<string, Feed>, output = 'y'): AieEmuOutput {
  return emulateGraph(g, feeds)[output];
}

/** The trace row of node `name`, against the lowered graph run in float. */
export function traceRow(g: Graph, feeds: Record<string, Feed>, name: string): AieTraceLayer {
  const row = traceGraph(g, feeds).layers.find((l) => l.node === name);
  if (!row) throw new Error(`no trace row for '${name}'`);
  return row;
}

/** The layer model (config, arrays, kernels) the writer builds for node `name`. */
export function emitted(g: Graph, name: string): LayerModel | undefined {
  return buildProjectModel(g, 'proj').layers.find((l) => l.node === name);
}

export const AIE_ML: AieDevice = loadDevice('AIE-ML');

/** Max |a - b|. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A signed fixed-point type that truncates (TRN), for refusal cases. */
export const fxTrn = (width: number, frac: number): FixedType => ({ signed: true, width, integer: width - frac, rounding: 'TRN', overflow: 'SAT' });
