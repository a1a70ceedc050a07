import { FirmflowError, sizeOf, type Graph, type IRNode, type PassContext } from 'firmflow';
import { loadDevice, type AieDevice } from '../devices.js';
import type { AieGraphMeta, AieLayer, AieOptions } from '../lowered.js';
import { parseAieOptions } from './options.js';

/**
 * The device and options of a run, kept on the graph (graph.meta.aieDevice, graph.meta.aieOptions) so every later
 * pass, the writer and the report read the same ones.
 */
export function setup(g: Graph, ctx: PassContext): { device: AieDevice; opts: AieOptions } {
  const opts = parseAieOptions(ctx.options, g);
  const device = loadDevice(opts.device);
  if (opts.tileBudget !== undefined && opts.tileBudget > device.grid.columns * device.grid.rows) {
    throw new FirmflowError('options.value', `option 'aie.tileBudget' (${opts.tileBudget}) exceeds the ${device.grid.columns * device.grid.rows} tiles of ${device.name}`);
  }
  g.meta['aieDevice'] = device;
  g.meta['aieOptions'] = opts;
  const meta: AieGraphMeta = {
    device: device.name,
    ...(device.file ? { deviceFile: device.file } : {}),
    mode: opts.mode,
    modeChoice: { requested: opts.requestedMode, reason: opts.modeReason },
    objective: opts.objective,
    batch: rowsPerIteration(g, opts.batch),
    sharedBuffers: [],
    plio: [],
    planningMs: {},
  };
  g.meta['aie'] = meta;
  return { device, opts };
}

/**
 * Samples per graph iteration: aie.batch binds a symbolic batch axis; a model whose inputs all have a literal leading
 * axis (exported with batch 1, say) runs that many per iteration whatever aie.batch says.
 */
function rowsPerIteration(g: Graph, batch: number): number {
  const lead = g.inputs.map((p) => g.tensor(p.tensor).shape[0]);
  if (lead.length > 0 && lead.every((d) => typeof d === 'number' && d === lead[0])) return lead[0] as number;
  return batch;
}

export function stateOf(g: Graph): { device: AieDevice; opts: AieOptions; meta: AieGraphMeta } {
  const device = g.meta['aieDevice'] as AieDevice | undefined;
  const opts = g.meta['aieOptions'] as AieOptions | undefined;
  const meta = g.meta['aie'] as AieGraphMeta | undefined;
  if (!device || !opts || !meta) throw new Error('AIE planning pass run before aie:legalize');
  return { device, opts, meta };
}

export function layerOf(n: IRNode): AieLayer | undefined {
  return n.meta['aie'] as AieLayer | undefined;
}

/** Layers in topological order. */
export function layersOf(g: Graph): { node: IRNode; layer: AieLayer }[] {
  const out: { node: IRNode; layer: AieLayer }[] = [];
  for (const node of g.topoOrder()) {
    const layer = layerOf(node);
    if (layer) out.push({ node, layer });
  }
  return out;
}

export function timed<T>(g: Graph, step: string, f: () => T): T {
  const t0 = performance.now();
  try {
    return f();
  } finally {
    const m = g.meta['aie'] as AieGraphMeta | undefined;
    if (m?.planningMs) m.planningMs[step] = (m.planningMs[step] ?? 0) + (performance.now() - t0);
  }
}

/**
 * Rows (all leading axes flattened, the batch included) of the widest graph input per iteration, its shapes resolved
 * with the graph's samples per iteration (graph.meta.aie.batch, set once by `setup`).
 */
export function inputRowsPerIteration(g: Graph): number {
  const { batch } = stateOf(g).meta;
  let rows = 1;
  for (const p of g.inputs) rows = Math.max(rows, sizeOf(g.tensor(p.tensor).shape.map((x) => (typeof x === 'number' ? x : batch)).slice(0, -1)));
  return rows;
}
