/*
 * Placement of kernel groups on the compute-tile grid. A group is one layer: `chains` cascade chains of `length`
 * kernels. A chain occupies consecutive columns of one row, west to east (the cascade flows east); the chains of a
 * group are stacked in adjacent rows, in bands side by side when there are more chains than rows.
 *
 * Cost (total wire distance, in tile hops): every kernel streams from / to the memory-tile row below the array
 * (row + 1 hops), and a layer's data travels between its producers' and its own column centroids once per stream.
 * Groups are placed in topological order (anchored groups first), each at the feasible position and shape of
 * least added cost; ties go to the westmost, then southmost position, so the same input gives the same placement.
 */
import { FirmflowError } from 'firmflow';
import type { AieDevice } from './devices.js';
import type { AieKernelPlacement } from './lowered.js';

export interface PlacementGroup {
  name: string;
  /** Identifier prefix of its kernels (a C++ identifier). */
  id: string;
  chains: number;
  length: number;
  /** Producer groups and the streams between them (weights of the wire cost). */
  inputs: { from: string; streams: number }[];
  /** Streams to and from the memory tiles per kernel (input slices, outputs, streamed weights). */
  memStreams: number;
  anchor?: [number, number];
}

export interface PlacementResult {
  kernels: Map<string, AieKernelPlacement[]>;
  wireCost: number;
  tilesUsed: number;
}

interface Shape {
  /** Chains per band (rows used) and bands (side by side). */
  height: number;
  bands: number;
}

class Grid {
  readonly occ: Uint8Array;
  private prefix: Int32Array;
  private dirty = true;
  constructor(readonly cols: number, readonly rows: number) {
    this.occ = new Uint8Array(cols * rows);
    this.prefix = new Int32Array((cols + 1) * (rows + 1));
  }
  take(c: number, r: number): void {
    this.occ[r * this.cols + c] = 1;
    this.dirty = true;
  }
  used(c: number, r: number): boolean {
    return this.occ[r * this.cols + c] === 1;
  }
  private rebuild(): void {
    const W = this.cols + 1;
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        this.prefix[(r + 1) * W + c + 1] = this.occ[r * this.cols + c] + this.prefix[r * W + c + 1] + this.prefix[(r + 1) * W + c] - this.prefix[r * W + c];
      }
    }
    this.dirty = false;
  }
  /** Whether the rectangle [c, c+w) x [r, r+h) is inside the grid and free. */
  free(c: number, r: number, w: number, h: number): boolean {
    if (c < 0 || r < 0 || c + w > this.cols || r + h > this.rows) return false;
    if (this.dirty) this.rebuild();
    const W = this.cols + 1;
    const s = this.prefix[(r + h) * W + c + w] - this.prefix[r * W + c + w] - this.prefix[(r + h) * W + c] + this.prefix[r * W + c];
    return s === 0;
  }
}

/** Kernel coordinates of a group placed at (c0, r0) with a shape. */
function layout(g: PlacementGroup, s: Shape, c0: number, r0: number): AieKernelPlacement[] {
  const out: AieKernelPlacement[] = [];
  for (let chain = 0; chain < g.chains; chain++) {
    const band = Math.floor(chain / s.height);
    const row = r0 + (chain % s.height);
    for (let pos = 0; pos < g.length; pos++) out.push({ id: `${g.id}_c${chain}_p${pos}`, col: c0 + band * g.length + pos, row, chain, pos });
  }
  return out;
}

function fitsShape(grid: Grid, g: PlacementGroup, s: Shape, c0: number, r0: number): boolean {
  for (let b = 0; b < s.bands; b++) {
    const h = Math.min(s.height, g.chains - b * s.height);
    if (!grid.free(c0 + b * g.length, r0, g.length, h)) return false;
  }
  return true;
}

function shapesOf(g: PlacementGroup, rows: number, cols: number): Shape[] {
  const out: Shape[] = [];
  for (let h = Math.min(g.chains, rows); h >= 1; h--) {
    const bands = Math.ceil(g.chains / h);
    // Only heights that change the band count are distinct shapes.
    if (out.length && out[out.length - 1].bands === bands) continue;
    if (bands * g.length <= cols) out.push({ height: h, bands });
  }
  return out;
}

function centroidCol(ks: AieKernelPlacement[]): number {
  return ks.reduce((a, k) => a + k.col, 0) / ks.length;
}

/** Wire cost a group adds at a given layout. */
function cost(g: PlacementGroup, ks: AieKernelPlacement[], placed: Map<string, AieKernelPlacement[]>): number {
  let c = 0;
  for (const k of ks) c += (k.row + 1) * g.memStreams;
  const mine = centroidCol(ks);
  for (const e of g.inputs) {
    const p = placed.get(e.from);
    if (p) c += Math.abs(centroidCol(p) - mine) * e.streams;
  }
  return c;
}

function tooBig(d: AieDevice, needed: number, groups: PlacementGroup[]): FirmflowError {
  const avail = d.grid.columns * d.grid.rows;
  const top = [...groups].sort((a, b) => b.chains * b.length - a.chains * a.length).slice(0, 5).map((g) => `'${g.name}' ${g.chains * g.length}`);
  return new FirmflowError('aie.capacity', `the model needs ${needed} tiles but ${d.name} has ${avail} (${d.grid.columns} x ${d.grid.rows}); largest layers: ${top.join(', ')}`, { needed, available: avail });
}

/**
 * Places every group; throws when the device is too small or an anchor is invalid. When the cost-driven pass
 * leaves the free tiles too scattered for a later chain, the whole placement is redone by packing: a chain only
 * needs a free run of its length in one row, so the chains (longest first) go first-fit into the free runs of the
 * rows, and within a run they follow the layer order.
 */
export function placeGroups(d: AieDevice, groups: PlacementGroup[]): PlacementResult {
  try {
    return placeByCost(d, groups);
  } catch (e) {
    if (!(e instanceof FirmflowError) || e.code !== 'aie.fragmented') throw e;
    return placeByPacking(d, groups, e);
  }
}

function placeByPacking(d: AieDevice, groups: PlacementGroup[], why: FirmflowError): PlacementResult {
  const cols = d.grid.columns, rows = d.grid.rows;
  const grid = new Grid(cols, rows);
  const placed = new Map<string, AieKernelPlacement[]>();
  for (const g of groups) {
    if (!g.anchor) continue;
    const shape = shapesOf(g, rows - g.anchor[1], cols - g.anchor[0])[0];
    const ks = layout(g, shape, g.anchor[0], g.anchor[1]);
    for (const k of ks) grid.take(k.col, k.row);
    placed.set(g.name, ks);
  }
  const runs: { row: number; start: number; len: number; items: { gi: number; chain: number }[]; left: number }[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols;) {
      if (grid.used(c, r)) { c++; continue; }
      let e = c;
      while (e < cols && !grid.used(e, r)) e++;
      runs.push({ row: r, start: c, len: e - c, items: [], left: e - c });
      c = e;
    }
  }
  const chains = groups.flatMap((g, gi) => (g.anchor ? [] : Array.from({ length: g.chains }, (_, chain) => ({ gi, chain, len: g.length }))));
  chains.sort((a, b) => b.len - a.len || a.gi - b.gi || a.chain - b.chain);
  for (const ch of chains) {
    const run = runs.find((r) => r.left >= ch.len);
    if (!run) throw why;
    run.items.push({ gi: ch.gi, chain: ch.chain });
    run.left -= ch.len;
  }
  for (const run of runs) {
    run.items.sort((a, b) => a.gi - b.gi || a.chain - b.chain);
    let c = run.start;
    for (const it of run.items) {
      const g = groups[it.gi];
      const list = placed.get(g.name) ?? [];
      for (let pos = 0; pos < g.length; pos++) list.push({ id: `${g.id}_c${it.chain}_p${pos}`, col: c + pos, row: run.row, chain: it.chain, pos });
      placed.set(g.name, list);
      c += g.length;
    }
  }
  let wire = 0;
  const done = new Map<string, AieKernelPlacement[]>();
  for (const g of groups) {
    const ks = placed.get(g.name)!.sort((a, b) => a.chain - b.chain || a.pos - b.pos);
    done.set(g.name, ks);
    wire += cost(g, ks, done) + g.chains * (g.length - 1);
  }
  return { kernels: new Map(groups.map((g) => [g.name, done.get(g.name)!])), wireCost: wire, tilesUsed: groups.reduce((a, g) => a + g.chains * g.length, 0) };
}

function placeByCost(d: AieDevice, groups: PlacementGroup[]): PlacementResult {
  const cols = d.grid.columns, rows = d.grid.rows;
  const needed = groups.reduce((a, g) => a + g.chains * g.length, 0);
  if (needed > cols * rows) throw tooBig(d, needed, groups);
  const grid = new Grid(cols, rows);
  const placed = new Map<string, AieKernelPlacement[]>();
  let wire = 0;
  const commit = (g: PlacementGroup, ks: AieKernelPlacement[]): void => {
    for (const k of ks) grid.take(k.col, k.row);
    placed.set(g.name, ks);
    wire += cost(g, ks, placed) + g.chains * (g.length - 1);
  };
  for (const g of groups) {
    if (g.length > cols) throw new FirmflowError('aie.placement', `layer '${g.name}': a cascade chain of ${g.length} kernels is longer than the ${cols} columns of ${d.name}`);
    if (!g.anchor) continue;
    const [c0, r0] = g.anchor;
    if (c0 >= cols || r0 >= rows) throw new FirmflowError('aie.placement', `layer '${g.name}': anchor [${c0}, ${r0}] is outside the ${cols} x ${rows} grid of ${d.name}`);
    const shape = shapesOf(g, rows - r0, cols - c0)[0];
    if (!shape || !fitsShape(grid, g, shape, c0, r0)) {
      throw new FirmflowError('aie.placement', `layer '${g.name}': anchored at [${c0}, ${r0}], its ${g.chains} chain(s) of ${g.length} kernel(s) do not fit there (outside the grid or over another anchored layer)`);
    }
    commit(g, layout(g, shape, c0, r0));
  }
  for (const g of groups) {
    if (placed.has(g.name)) continue;
    let best: { c: number; s: Shape; c0: number; r0: number } | undefined;
    const producers = g.inputs.map((e) => ({ col: placed.has(e.from) ? centroidCol(placed.get(e.from)!) : undefined, w: e.streams })).filter((p) => p.col !== undefined) as { col: number; w: number }[];
    for (const s of shapesOf(g, rows, cols)) {
      const w = s.bands * g.length;
      const h = Math.min(s.height, g.chains);
      // Cost in closed form: the rows term does not depend on the column, the centroid moves with it.
      let rowTerm = 0, offSum = 0;
      for (let chain = 0; chain < g.chains; chain++) {
        rowTerm += (chain % s.height + 1) * g.length;
        offSum += (Math.floor(chain / s.height) * g.length + (g.length - 1) / 2) * g.length;
      }
      const off = offSum / (g.chains * g.length);
      for (let c0 = 0; c0 + w <= cols; c0++) {
        let colTerm = 0;
        for (const p of producers) colTerm += Math.abs(p.col - (c0 + off)) * p.w;
        for (let r0 = 0; r0 + h <= rows; r0++) {
          const c = (rowTerm + r0 * g.chains * g.length) * g.memStreams + colTerm;
          if (best && c >= best.c - 1e-9) continue;
          if (!fitsShape(grid, g, s, c0, r0)) continue;
          best = { c, s, c0, r0 };
        }
      }
    }
    if (best) {
      commit(g, layout(g, best.s, best.c0, best.r0));
      continue;
    }
    commit(g, placeChainsApart(grid, g, placed, d).ks);
  }
  return { kernels: placed, wireCost: wire, tilesUsed: needed };
}

/** When no block shape fits the free tiles, each chain goes to the cheapest free run of `length` tiles in a row. */
function placeChainsApart(grid: Grid, g: PlacementGroup, placed: Map<string, AieKernelPlacement[]>, d: AieDevice): { c: number; ks: AieKernelPlacement[] } {
  const ks: AieKernelPlacement[] = [];
  const taken = new Set<string>();
  for (let chain = 0; chain < g.chains; chain++) {
    let best: { c: number; col: number; row: number } | undefined;
    for (let r = 0; r < grid.rows; r++) {
      for (let c0 = 0; c0 + g.length <= grid.cols; c0++) {
        let ok = grid.free(c0, r, g.length, 1);
        for (let p = 0; ok && p < g.length; p++) if (taken.has(`${c0 + p},${r}`)) ok = false;
        if (!ok) continue;
        const trial = Array.from({ length: g.length }, (_, pos) => ({ id: '', col: c0 + pos, row: r, chain, pos }));
        const c = cost({ ...g, chains: 1 }, trial, placed);
        if (!best || c < best.c - 1e-9) best = { c, col: c0, row: r };
      }
    }
    if (!best) {
      const free = grid.occ.reduce((a, v) => a + (v ? 0 : 1), 0) - taken.size;
      throw new FirmflowError('aie.fragmented', `layer '${g.name}': chain ${chain} needs ${g.length} free tiles in a row and none is left on ${d.name} (${free} tiles free, scattered)`);
    }
    for (let pos = 0; pos < g.length; pos++) {
      taken.add(`${best.col + pos},${best.row}`);
      ks.push({ id: `${g.id}_c${chain}_p${pos}`, col: best.col + pos, row: best.row, chain, pos });
    }
  }
  return { c: cost(g, ks, placed), ks };
}
