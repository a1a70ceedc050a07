import { FirmflowError, type FixedType, type Graph, type GraphPass, sizeOf } from 'firmflow';
import { bankCapacities, plioBytesPerCycle, tilesOf, type AieDevice } from '../devices.js';
import { kernelOf, layoutOf } from '../kernels/index.js';
import { productProblem } from '../kernels/product.js';
import type { AieLayer, AieOptions } from '../lowered.js';
import { bytesOf } from '../perf.js';
import { paretoFront, productCandidates, selectTilings, vectorCandidates, type LayerFront, type SearchLimits, type VectorProblem } from '../tiling.js';
import { codeType } from '../legalize/context.js';
import { inputRowsPerIteration, layersOf, stateOf, timed } from './state.js';

export function vectorProblem(name: string, l: AieLayer): VectorProblem {
  const s = l.shapes.output;
  const matrices = kernelOf(l.kernel).unit === 'matrix';
  const rows = matrices ? sizeOf(s.slice(0, -2)) : sizeOf(s.slice(0, -1));
  const width = matrices ? s[s.length - 1] * s[s.length - 2] : s[s.length - 1];
  let constBytes = 0;
  if (l.weightsCodes) constBytes += l.weightsCodes.length * bytesOf(l.dtype.w ?? l.dtype.a);
  // Tables and constants the writer emits for the kernel (LayerNorm's gamma/beta/rsqrt, Sigmoid/Tanh's table).
  constBytes += kernelOf(l.kernel).perf.tableBytes?.(l, width) ?? 0;
  return { name, kind: l.kernel as VectorProblem['kind'], dtype: l.dtype.a, out: l.dtype.out, rows, width, inputs: l.inputs.length, constBytes };
}

/** Search limits common to all layers of a device. */
export function limitsFor(d: AieDevice, budget: number): SearchLimits {
  const mt = d.memoryTile;
  return {
    maxTiles: budget,
    // Leave a quarter of the memory-tile read channels for activations.
    // Each streaming kernel's store is fed by its own GMIO input (an interface-tile MM2S channel).
    maxStreamedKernels: Math.min(Math.floor(d.grid.columns * mt.rows * mt.dma.mm2s * 0.75), d.gmio.mm2sChannels),
    memTileBytes: d.grid.columns * mt.rows * mt.bytes,
    // Two channels of the span stay free for other readers of the same tensor (fanout, graph outputs).
    maxStreamsPerBuffer: Math.max(1, (1 + 2 * mt.neighbourReach) * Math.max(1, mt.rows) * Math.min(mt.dma.s2mm, mt.dma.mm2s) - 2),
  };
}

/** The AIE code type of a port's fixed-point type (int8 when it has none: the port is refused elsewhere). */
function codeDtype(p: FixedType | undefined): 'int8' | 'int16' {
  const c = p ? codeType(p) : undefined;
  return c && typeof c !== 'string' ? c.dtype : 'int8';
}

/** Cycles per iteration the graph's PLIO streams need anyway: no layer has to be faster. */
export function ioFloor(g: Graph, d: AieDevice, opts: AieOptions): number {
  const pb = plioBytesPerCycle(d);
  const { batch } = stateOf(g).meta;
  let floor = 0;
  const ports = [...g.inputs, ...g.outputs];
  for (const p of ports) {
    const t = g.tensor(p.tensor);
    const n = sizeOf(t.shape.map((x) => (typeof x === 'number' ? x : batch)));
    floor = Math.max(floor, Math.ceil((n * bytesOf(opts.mode === 'bf16' ? 'bf16' : codeDtype(t.precision))) / pb));
  }
  return floor;
}

/**
 * When the layers' smallest tilings together exceed the tile budget, the weights of the largest Dense layers move
 * to the memory tiles (streamed to their kernels every iteration), largest first, while the memory tiles hold them
 * (nine tenths of their capacity: activations need room too).
 */
function streamUntilItFits(fronts: LayerFront[], byName: Map<string, AieLayer>, budget: number, limits: SearchLimits, opts: AieOptions, device: AieDevice): void {
  const need = (): number => fronts.reduce((a, f) => a + f.front[0].tiles, 0);
  const room = limits.memTileBytes * 0.9;
  const wBytes = (name: string): number => { const l = byName.get(name)!; return l.weightsCodes && l.kernel === 'dense' ? l.weightsCodes.length * bytesOf(l.dtype.w ?? 'int8') : 0; };
  let streamed = fronts.filter((f) => f.front[0].tiling.weights === 'memtile').reduce((a, f) => a + wBytes(f.name), 0);
  const tooBig = (): never => {
    const total = fronts.reduce((a, f) => a + wBytes(f.name), 0);
    const cap = Math.max(...bankCapacities(device));
    const inTiles = fronts.reduce((a, f) => a + (wBytes(f.name) ? Math.ceil(wBytes(f.name) / cap) : f.front[0].tiles), 0);
    const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
    throw new FirmflowError('aie.capacity', `the model needs at least ${inTiles} tiles to keep its ${mib(total)} of weights in the compute tiles but ${device.name} has ${budget} available; streaming weights from the memory tiles needs ${mib(streamed)}, more than the ${mib(room)} usable of ${mib(limits.memTileBytes)}`, { needed: inTiles, available: budget });
  };
  if (streamed > room) tooBig();
  if (need() <= budget) return;
  const order = fronts
    .filter((f) => byName.get(f.name)!.kernel === 'dense' && f.front[0].tiling.weights === 'tile' && !opts.layers[f.name])
    .sort((a, b) => b.front[0].tiles - a.front[0].tiles || (a.name < b.name ? -1 : 1));
  for (const f of order) {
    if (need() <= budget) break;
    const l = byName.get(f.name)!;
    const bytes = wBytes(f.name);
    if (streamed + bytes > room) continue;
    let cands;
    try {
      cands = productCandidates(device, productProblem(f.name, l), limits, {}, true);
    } catch {
      continue;
    }
    if (!cands.length) continue;
    const front = paretoFront(cands);
    if (front[0].tiles >= f.front[0].tiles) continue;
    f.front = front;
    streamed += bytes;
  }
}

/**
 * Tiles of chains that first-fit decreasing cannot place in `rows` rows of `cols` columns (0 when all fit).
 * Anchored layers are not modelled; the placement reports them.
 */
export function packWaste(chains: number[], cols: number, rows: number): number {
  const left = new Array<number>(rows).fill(cols);
  let waste = 0;
  for (const len of [...chains].sort((a, b) => b - a)) {
    const r = left.findIndex((x) => x >= len);
    if (r < 0) waste += len; else left[r] -= len;
  }
  return waste;
}

/** Chooses casLength / casNum / microtile of every layer (and the row split of row-parallel kernels). */
export const aieTile: GraphPass = {
  name: 'aie-tile',
  match: 'graph',
  description: 'tiling search: cascade grid and microtile of every Dense/MatMul, row split of the other kernels',
  transform(g) {
    const { device, opts } = stateOf(g);
    return timed(g, 'tiling', () => {
      const layers = layersOf(g).filter((x) => layoutOf(x.layer.kernel) !== 'region');
      const known = new Set(layersOf(g).map((x) => x.node.name));
      for (const name of Object.keys(opts.layers)) {
        if (!known.has(name)) {
          const into = layersOf(g).find((x) => x.layer.fused.includes(name));
          throw new FirmflowError('options.value', into
            ? `option 'aie.layers.${name}': node '${name}' was fused into '${into.node.name}'; configure that one`
            : `option 'aie.layers.${name}': there is no node '${name}' (nodes: ${[...known].slice(0, 12).join(', ')}${known.size > 12 ? ', ...' : ''})`);
        }
      }
      const budget = opts.tileBudget ?? tilesOf(device);
      const limits = limitsFor(device, budget);
      const fronts: LayerFront[] = [];
      const byName = new Map<string, AieLayer>();
      for (const { node, layer } of layers) {
        const user = opts.layers[node.name] ?? {};
        const cands = layoutOf(layer.kernel) === 'cascade'
          ? productCandidates(device, productProblem(node.name, layer), limits, user)
          : vectorCandidates(device, vectorProblem(node.name, layer), limits, user);
        fronts.push({ name: node.name, front: paretoFront(cands) });
        byName.set(node.name, layer);
      }
      if (!fronts.length) return 0;
      streamUntilItFits(fronts, byName, budget, limits, opts, device);
      const floor = ioFloor(g, device, opts);
      let target: number | undefined;
      if (opts.objective === 'tiles') {
        target = Math.floor((device.clockMHz * 1e6 * inputRowsPerIteration(g)) / opts.throughputTarget!);
        if (target < floor) {
          throw new FirmflowError('aie.throughput', `the throughput target of ${opts.throughputTarget} samples/s needs an iteration every ${target} cycles, but the graph's PLIO streams alone take ${floor} cycles per iteration on ${device.name}`);
        }
      }
      // Chains need a free run of their length in one row: when the chosen chains do not pack into the rows,
      // select again with the budget reduced by the tiles the packing could not use.
      let sel = selectTilings(fronts, budget, device.name, opts.objective, floor, target);
      for (let b = budget, tries = 0; tries < 8; tries++) {
        const chains = [...sel.chosen.values()].flatMap((c) => new Array<number>(c.tiling.casNum).fill(c.tiling.casLength));
        const waste = packWaste(chains, device.grid.columns, device.grid.rows);
        if (waste === 0) break;
        b -= waste;
        sel = selectTilings(fronts, b, device.name, opts.objective, floor, target);
      }
      for (const [name, c] of sel.chosen) {
        const l = byName.get(name)!;
        l.tiling = c.tiling;
        l.perf = c.perf;
      }
      return sel.chosen.size;
    });
  },
};
