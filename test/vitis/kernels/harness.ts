/*
 * Harness of the per-kernel tests: one tiny model per case, lowered by the whole Vitis plugin from source; the
 * layer under test, its config struct and call in the generated top function, its emulation next to the float
 * interpreter, and its estimate.
 */
import { ensureSharedFlows, type FixedType, fracBits, type Graph, type IRNode, loadModel, ModelBuilder, runFlows } from 'firmflow';
import { expect } from 'vitest';
import { readLoweredGraph, type LoweredLayer } from '../../../backends/vitis/lowered.js';
import { type KernelPlan, planKernel } from '../../../backends/vitis/passes/kernels.js';
import type { LayerEstimate } from '../../../backends/vitis/estimate/types.js';
import { buildProjectModel } from '../../../backends/vitis/writer/model.js';
import { converted, floatModel, useFullVitis, type VitisProject } from '../acceptance/build.js';

export { ModelBuilder };
export type { FixedType };

export interface KernelCase {
  project: VitisProject;
  layer: LoweredLayer;
  /** Config struct(s) of the layer, as emitted (Concat has one per input, `cfg_<id>_<i>`). */
  config: string;
  /** The layer's lines of the top function (after its comment line). */
  call: string;
  /** The C++ function named in the layer summary. */
  cppKernel: string;
  estimate(): LayerEstimate;
}

let registered: Promise<void> | undefined;
/** Registers the plugin once, also when cases are lowered concurrently. */
const ready = (): Promise<void> => (registered ??= useFullVitis());

/** Lowers (and emits, in memory) a model; the case of the first layer of op `op`. */
export async function kernelCase(model: Uint8Array, op: string, options: Record<string, unknown> = {}): Promise<KernelCase> {
  await ready();
  const project = await converted(model, options as never);
  const layer = readLoweredGraph(project.graph).layers.find((l) => l.node.op === op);
  if (!layer) throw new Error(`no ${op} layer in the lowered graph (${readLoweredGraph(project.graph).layers.map((l) => l.node.op).join(', ')})`);
  const pm = buildProjectModel(project.graph, 'kernel_test');
  const name = pm.names.config(layer.node);
  const config = pm.configs.filter((c) => c.startsWith(`struct ${name} `) || c.startsWith(`struct ${name}_`)).join('\n');
  const head = pm.body.findIndex((l) => l.startsWith(`  // ${op} `) && l.endsWith(`(${layer.hls.kernel})`) && l.includes(`'${layer.hls.layerName}'`));
  let end = head + 1;
  while (end < pm.body.length && !pm.body[end].startsWith('  // ')) end++;
  const summary = pm.layers.find((s) => s.node === layer.node.name)!;
  return {
    project, layer, config, call: pm.body.slice(head + 1, end).join('\n'), cppKernel: summary.cppKernel,
    estimate: () => (project as unknown as { estimate(): { layers: LayerEstimate[] } }).estimate().layers.find((e) => e.node === layer.node.name)!,
  };
}

/** The reason the Vitis backend gives for refusing a model (the conversion's error message). */
export async function refusal(model: Uint8Array, options: Record<string, unknown> = {}): Promise<string> {
  await ready();
  try {
    await converted(model, options as never);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the model was accepted');
}

/** Deterministic values on the grid of `frac` fractional bits in [-range, range) (exact in any wider type). */
export function gridValues(n: number, seed: number, range = 4, frac = 8): Float32Array {
  let x = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = Math.floor(((x / 4294967296) * 2 - 1) * range * 2 ** frac) / 2 ** frac;
  }
  return out;
}

/** Largest |emulated - float| per output over `samples` samples of `inputs`. */
export function emulationError(model: Uint8Array, c: KernelCase, inputs: Record<string, Float32Array>, samples: number): Record<string, number> {
  const ref = floatModel(model)(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { data: v }])), samples);
  const emu = c.project.emulate(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { data: v }])));
  const out: Record<string, number> = {};
  for (const [name, r] of Object.entries(ref)) {
    const e = emu[name].data;
    expect(e.length, name).toBe(r.length);
    let m = 0;
    for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(e[i] - r[i]));
    out[name] = m;
  }
  return out;
}

/** One LSB of a type. */
export const lsb = (t: FixedType): number => 2 ** -fracBits(t);

/** `struct` field lines the config must contain, as `name = value` pairs. */
export function expectFields(config: string, fields: Record<string, number | boolean | string>): void {
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') expect(config, k).toContain(`typedef ${v} ${k};`);
    else expect(config, k).toMatch(new RegExp(`static const \\w+( \\w+)? ${k} = ${String(v)}(LL)?;`));
  }
}

/** The figures of a layer estimate the kernel tests hold: latency and II (cycles) and resources. */
export interface EstimateFigures { latency: number; ii: number; dsp: number; lut: number; ff: number; bram18k: number }

export function figures(e: LayerEstimate): EstimateFigures {
  return { latency: e.latencyCycles, ii: e.ii, dsp: e.resources.dsp, lut: e.resources.lut, ff: e.resources.ff, bram18k: e.resources.bram18k };
}

/** Asserts a layer's estimate figures (KERNEL_PROBE=1 prints them, to record a deliberate change of the model). */
export function expectEstimate(e: LayerEstimate, expected: EstimateFigures): void {
  if (process.env['KERNEL_PROBE']) {
    console.log(`ESTIMATE ${JSON.stringify(figures(e))}`);
    return;
  }
  expect(figures(e)).toEqual(expected);
}

/**
 * The plan of the first node of op `op` in the model's optimized IR (what the lowering plans from), after `edit`
 * (to reach refusals the frontend would catch first); a string is the reason the node has no kernel.
 */
export function planOf(model: Uint8Array, op: string, edit?: (node: IRNode, graph: Graph) => void): KernelPlan | string {
  ensureSharedFlows();
  const g = loadModel(model);
  runFlows(g, ['optimize']);
  const node = [...g.nodes.values()].find((n) => n.op === op);
  if (!node) throw new Error(`no ${op} node in the optimized IR (${[...g.nodes.values()].map((n) => n.op).join(', ')})`);
  edit?.(node, g);
  return planKernel(node, g);
}
