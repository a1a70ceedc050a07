import { FirmflowError, type Graph, type GraphPass, type IRNode } from 'firmflow';
import { layoutOf } from '../kernels/index.js';
import { bankCapacities, type AieDevice } from '../devices.js';
import type { AieBuffer, AieLayer } from '../lowered.js';
import { placeGroups, type PlacementGroup } from '../placement.js';
import { packBanks, productBuffers, vectorBuffers, type BufferSpec } from '../tiling.js';
import { layersOf, stateOf, timed } from './state.js';
import { productProblem } from '../kernels/product.js';
import { vectorProblem } from './tile.js';

const cid = (s: string): string => {
  const t = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(t) ? t : `k_${t}`;
};

/** Kernel layers that produce a tensor, looking through views. */
function producersOf(g: Graph, tensor: string, seen = 0): IRNode[] {
  const p = g.producer(tensor);
  if (!p || seen > 64) return [];
  const l = p.meta['aie'] as AieLayer | undefined;
  if (l && layoutOf(l.kernel) === 'region') return l.inputs.flatMap((i) => producersOf(g, i, seen + 1));
  return l ? [p] : [];
}

/** Buffers of one kernel, by position along its chain. */
export function kernelBuffers(name: string, l: AieLayer, pos: number): BufferSpec[] {
  if (layoutOf(l.kernel) === 'cascade') return productBuffers(productProblem(name, l), l.tiling!, pos);
  return vectorBuffers(vectorProblem(name, l), l.tiling!);
}

/**
 * Assigns each kernel's buffers to banks of its own tile; a buffer that does not fit there goes to its west
 * neighbour's memory (which the kernel addresses directly) when that tile has room.
 */
export function assignBuffers(d: AieDevice, layers: { name: string; layer: AieLayer }[]): void {
  const free = new Map<string, number[]>();
  const capsOf = (c: number, r: number): number[] => {
    const key = `${c},${r}`;
    let f = free.get(key);
    if (!f) { f = bankCapacities(d); free.set(key, f); }
    return f;
  };
  const pending: { l: AieLayer; kid: string; tile: [number, number]; b: BufferSpec }[] = [];
  for (const { name, layer } of layers) {
    const out: AieBuffer[] = [];
    for (const k of layer.placement?.kernels ?? []) {
      const bufs = kernelBuffers(name, layer, k.pos);
      const caps = capsOf(k.col, k.row);
      const banks = packBanks(caps, bufs);
      if (banks) {
        bufs.forEach((b, i) => { caps[banks[i]] -= b.bytes; out.push({ kernelId: k.id, name: b.name, bytes: b.bytes, bank: banks[i], tile: [k.col, k.row] }); });
      } else {
        for (const b of bufs) pending.push({ l: layer, kid: k.id, tile: [k.col, k.row], b });
      }
    }
    layer.buffers = out;
  }
  for (const p of pending) {
    for (const [c, r] of [p.tile, [p.tile[0] - 1, p.tile[1]] as [number, number]]) {
      if (c < 0) continue;
      const caps = capsOf(c, r);
      const bank = caps.findIndex((f) => f >= p.b.bytes);
      if (bank >= 0) {
        caps[bank] -= p.b.bytes;
        p.l.buffers!.push({ kernelId: p.kid, name: p.b.name, bytes: p.b.bytes, bank, tile: [c, r] });
        break;
      }
      if (c === p.tile[0] - 1) {
        throw new FirmflowError('aie.memory', `kernel '${p.kid}': buffer '${p.b.name}' (${p.b.bytes} bytes) fits neither its tile [${p.tile.join(', ')}] nor its west neighbour`);
      }
    }
  }
}

/** Places the kernel groups on the grid and their buffers in tile memory. */
export const aiePlace: GraphPass = {
  name: 'aie-place',
  match: 'graph',
  description: 'placement of kernel groups on the tile grid (cascade chains along rows), buffers in banks',
  transform(g) {
    const { device, opts } = stateOf(g);
    return timed(g, 'placement', () => {
      const layers = layersOf(g).filter((x) => layoutOf(x.layer.kernel) !== 'region' && x.layer.tiling);
      const groups: PlacementGroup[] = layers.map(({ node, layer }) => {
        const t = layer.tiling!;
        const inputs = layer.inputs.flatMap((i) => producersOf(g, i)).map((p) => ({ from: p.name, streams: t.casLength }));
        return {
          name: node.name,
          id: cid(node.id),
          chains: t.casNum,
          length: t.casLength,
          inputs,
          memStreams: 1 + (t.weights === 'memtile' || layer.kernel === 'matmul' ? 1 : 0),
          anchor: opts.layers[node.name]?.anchor,
        };
      });
      const res = placeGroups(device, groups);
      for (const { node, layer } of layers) layer.placement = { kernels: res.kernels.get(node.name)! };
      assignBuffers(device, layers.map(({ node, layer }) => ({ name: node.name, layer })));
      return layers.length;
    });
  },
};
