/*
 * The design space `firmflow sweep` explores for the AIE backend: what AIE users trade against each other - how many
 * tiles for which throughput (aie.tileBudget), what a rounding mode costs in accuracy (aie.rounding), and rows per
 * graph iteration (aie.batch) against throughput and latency. Every point is planned, not built: tiling, placement
 * and the memory plan take milliseconds, accuracy comes from the emulator and the figures from the performance model
 * (the project's estimate(), report.ts).
 */
import { FirmflowError, positiveAxisValue, type BackendSweep, type Graph, type SweepAxis, type SweepContext, type SweepValue } from 'firmflow';
import { layoutOf } from './kernels/index.js';
import { AIE_ROUNDING_MODES, type AieLayer, type AieRounding } from './lowered.js';
import type { AieEstimate, AieReport } from './report.js';

/** The aie.rounding value that leaves each layer the rounding of its own quantizer (the option unset). */
export const MODEL_ROUNDING = 'model';

/** Rounding modes swept by default besides the model's own: truncation (the cheapest) and the two round-to-nearest ties. */
const DEFAULT_ROUNDINGS: AieRounding[] = ['floor', 'symmetric_inf', 'conv_even'];

/**
 * The default tile budgets: the number of layers (every kernel needs a tile), then powers of two, up to the tiles the
 * unconstrained plan uses (a larger budget plans the same design), never beyond the device's tiles.
 */
export function tileLadder(layers: number, saturation: number, deviceTiles: number): number[] {
  const top = Math.min(Math.max(saturation, 1), deviceTiles);
  const out = [Math.min(Math.max(layers, 1), top)];
  for (let p = 2 ** Math.ceil(Math.log2(out[0] + 1)); p < top; p *= 2) out.push(p);
  if (out[out.length - 1] !== top) out.push(top);
  return out;
}

function aieObject(options: Record<string, unknown>): Record<string, unknown> {
  const a = options['aie'];
  return typeof a === 'object' && a !== null && !Array.isArray(a) ? (a as Record<string, unknown>) : {};
}

/**
 * Options with `aie.<key>` set to `value` (deleted for undefined). The `aie` object starts from the resolved one of the
 * base design, so a config file's aie settings (layers, device ...) are kept: an explicit `aie` replaces the config's.
 */
function withAie(options: Record<string, unknown>, resolvedAie: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const aie = { ...resolvedAie, ...aieObject(options) };
  if (value === undefined) delete aie[key];
  else aie[key] = value;
  return { ...options, aie };
}

/** The sweep axes of the AIE backend for one model (defaults from its base design's plan). */
export async function aieSweepAxes(ctx: SweepContext): Promise<SweepAxis[]> {
  const project = await ctx.project();
  const graph = project['graph'] as Graph;
  const resolvedAie = aieObject((project['options'] ?? {}) as Record<string, unknown>);
  const estimate = (project['estimate'] as () => AieEstimate)();
  const report = (project['report'] as () => AieReport)();
  const deviceTiles = estimate.total.available.tiles;
  const layers = estimate.layers.length;
  const intMode = report.mode !== 'bf16';
  // Rows per iteration are the model's batch when it is a literal one; aie.batch sets them for a symbolic batch.
  const symbolicBatch = graph.inputs.some((p) => typeof graph.tensor(p.tensor).shape[0] !== 'number');
  const roundings = new Set<string>();
  for (const n of graph.topoOrder()) {
    const l = n.meta['aie'] as AieLayer | undefined;
    if (l && layoutOf(l.kernel) !== 'region' && l.dtype.out !== 'bf16') roundings.add(l.rounding);
  }
  const budgetSet = resolvedAie['tileBudget'] !== undefined;
  const saturation = budgetSet ? deviceTiles : estimate.total.resources.tiles;
  const baseBatch = report.rowsPerIteration;
  const roundingBase: SweepValue = typeof resolvedAie['rounding'] === 'string' ? resolvedAie['rounding'] : MODEL_ROUNDING;

  return [
    {
      name: 'aie.tileBudget',
      column: 'tile_budget',
      label: 'budget',
      description: `tiles the tiling search may use (1..${deviceTiles} on ${report.device}); default ladder: the layer count, powers of two, up to the ${saturation} tiles the unconstrained plan uses`,
      defaults: tileLadder(layers, saturation, deviceTiles),
      base: typeof resolvedAie['tileBudget'] === 'number' ? resolvedAie['tileBudget'] : deviceTiles,
      parse(text) {
        const v = positiveAxisValue('aie.tileBudget', text);
        if (v > deviceTiles) throw new FirmflowError('sweep.axis', `axis 'aie.tileBudget': ${v} exceeds the ${deviceTiles} tiles of ${report.device}`);
        return v;
      },
      apply: (o, v) => withAie(o, resolvedAie, 'tileBudget', Number(v)),
    },
    {
      name: 'aie.rounding',
      column: 'rounding',
      label: 'rounding',
      description: intMode
        ? `aie::rounding_mode of every requantization (srs): '${MODEL_ROUNDING}' keeps each layer's from its quantizer (here ${[...roundings].join(', ') || 'none'}), or one of ${AIE_ROUNDING_MODES.join(', ')}`
        : 'aie::rounding_mode of the integer kernels (this model runs the bf16 kernels, which round to nearest even: no effect)',
      defaults: intMode ? [MODEL_ROUNDING, ...DEFAULT_ROUNDINGS.filter((r) => !(roundings.size === 1 && roundings.has(r)))] : [],
      base: roundingBase,
      parse(text) {
        const t = text.trim();
        if (!intMode) throw new FirmflowError('sweep.axis', `axis 'aie.rounding': this model runs the bf16 kernels (${report.modeReason ?? `aie.mode ${report.mode}`}), whose rounding is fixed (to nearest even); the rounding mode applies to the integer kernels`);
        if (t !== MODEL_ROUNDING && !(AIE_ROUNDING_MODES as readonly string[]).includes(t)) {
          throw new FirmflowError('sweep.axis', `axis 'aie.rounding': '${text}' is not '${MODEL_ROUNDING}' or one of ${AIE_ROUNDING_MODES.join(', ')}`);
        }
        return t;
      },
      apply: (o, v) => withAie(o, resolvedAie, 'rounding', v === MODEL_ROUNDING ? undefined : v),
    },
    {
      name: 'aie.batch',
      column: 'batch',
      label: 'rows/iter',
      description: symbolicBatch
        ? 'rows (samples) per graph iteration, the symbolic batch axis'
        : `rows per graph iteration: the model's literal batch (${baseBatch}) sets them; make the batch symbolic (inputShapes) to sweep them`,
      defaults: symbolicBatch ? [...new Set([1, baseBatch, 4 * baseBatch])].sort((a, b) => a - b) : [],
      base: baseBatch,
      parse(text) {
        const v = positiveAxisValue('aie.batch', text);
        if (!symbolicBatch) throw new FirmflowError('sweep.axis', `axis 'aie.batch': the model's batch is the literal ${baseBatch}, which sets the rows per iteration; give it a symbolic batch with the inputShapes option (e.g. -O 'inputShapes={"${graph.inputs[0]?.name ?? 'x'}":["N",...]}') to sweep them`);
        return v;
      },
      apply: (o, v) => withAie(o, resolvedAie, 'batch', Number(v)),
    },
  ];
}

/** `Backend.sweep` of the AIE backend: the axes above, measured by the performance model. */
export const AIE_SWEEP: BackendSweep = {
  axes: aieSweepAxes,
  figures: [
    { name: 'tiles', column: 'tiles', label: 'tiles', goal: 'min', description: 'AIE tiles (kernels) used' },
    { name: 'throughput', column: 'throughput_sps', label: 'throughput (/s)', goal: 'max', description: 'estimated samples (rows) per second at the bottleneck stage' },
    { name: 'latencyCycles', column: 'latency_cycles', label: 'latency (cyc)', description: 'estimated latency of one iteration, AIE clock cycles' },
    { name: 'latencyNs', column: 'latency_ns', label: 'latency (ns)', description: 'estimated latency of one iteration, ns' },
    { name: 'ii', column: 'ii', label: 'II', description: 'cycles between graph iterations (the bottleneck)' },
    { name: 'rowsPerIteration', column: 'rows_per_iteration', description: 'rows (samples) per graph iteration' },
    { name: 'memoryTiles', column: 'memory_tiles', label: 'mem tiles', description: 'memory tiles used' },
    { name: 'tileMemoryBytes', column: 'tile_memory_bytes', description: 'largest data memory used on one tile, bytes' },
    { name: 'memoryTileBytes', column: 'memtile_bytes', description: 'largest memory used on one memory tile, bytes' },
  ],
  measure(project) {
    const e = (project['estimate'] as () => AieEstimate)();
    const r = (project['report'] as () => AieReport)();
    const t = e.total;
    return {
      tiles: t.resources.tiles, throughput: t.throughput, latencyCycles: t.latencyCycles, latencyNs: t.latencyNs, ii: t.ii,
      rowsPerIteration: r.rowsPerIteration, memoryTiles: t.resources.memoryTiles, tileMemoryBytes: t.resources.tileMemoryBytes, memoryTileBytes: t.resources.memoryTileBytes,
    };
  },
};
