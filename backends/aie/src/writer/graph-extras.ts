/*
 * What the ADF graph header says beyond kernels and connections, from the plan: location constraints of the
 * memory-tile shared buffers (their memory-tile columns from graph.meta.aie.sharedBuffers, addresses packed here)
 * and of the kernels' buffer ports (the banks and tiles aie:place chose, own tile or west neighbour), and the
 * runtime parameters option `aie.rtp` asks for (the Dense/MatMul requantization shift as an asynchronous RTP).
 *
 * Syntax (UG1603 "Shared Buffer Location Constraint", UG1079/UG1603 "Mapping Constraints" and "Runtime Parameter
 * Specification"): `adf::location<adf::buffer>(sb) = {adf::address(col, row, offset), ...}` with one address per
 * copy (num_buffers) in a memory tile; `adf::location<adf::buffer>(k.in[0]) = {adf::bank(col, row, id), ...}` for
 * the ping and pong buffers of a kernel port; `adf::connect<adf::parameter>(port, adf::async(k.in[i]))`.
 */
import { FirmflowError, type Graph } from 'firmflow';
import type { AieDevice } from '../devices.js';
import type { AieLayer, AieOptions } from '../lowered.js';
import { kernelOf } from '../kernels/index.js';
import type { ProjectModel, RtpModel, SharedBufferModel } from './types.js';

export type { RtpModel } from './types.js';


export interface GraphExtras {
  /** Location constraint statements (shared buffers in memory tiles, then kernel buffer ports). */
  bufferLocations: string[];
  rtp: RtpModel[];
}

/** Bytes per element of a shared buffer's C++ element type. */
const ELEMENT_BYTES: Record<string, number> = { int8: 1, uint8: 1, int16: 2, uint16: 2, bfloat16: 2, int32: 4, float: 4 };
/** Memory-tile addresses of the buffers this writer packs are multiples of this (one 128-bit word). */
export const MEMTILE_ALIGN = 16;

const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/**
 * Memory-tile addresses of the planned shared buffers. A buffer the plan keeps in one memory tile has all its
 * copies there. A buffer the plan spreads over adjacent tiles (for their DMA channels, which reach the east and
 * west neighbours' memory, or for room) goes whole to the middle tile of its span, which every tile of the span
 * reaches, or to another tile of the span with room; only a buffer whose copies do not fit one tile puts one copy
 * in each tile, at offset 0 as the tools require for a ping-pong pair across tiles (Vitis 2025.2 and later).
 * Buffers in one tile are packed in header order, MEMTILE_ALIGN-aligned; a device with several memory-tile rows
 * fills row 0 of a column first. Returns [col, row, offset] per copy.
 */
export function memtileAddresses(shared: SharedBufferModel[], device: AieDevice): Map<string, [number, number, number][]> {
  const out = new Map<string, [number, number, number][]>();
  const next = new Map<number, number>();
  const cap = device.memoryTile.bytes;
  const rows = Math.max(1, device.memoryTile.rows ?? 1);
  const bytesOf = (b: SharedBufferModel): number => {
    const eb = ELEMENT_BYTES[b.ctype];
    if (!eb) throw new FirmflowError('aie.write', `shared buffer '${b.name}': unknown element type ${b.ctype}`);
    return b.dims.reduce((a, d) => a * d, 1) * eb;
  };
  const planned = shared.filter((b) => b.columns && b.columns.length > 0);
  const copiesOf = (b: SharedBufferModel): number => b.copies ?? 2;
  const split = (b: SharedBufferModel): boolean => b.columns!.length > 1 && copiesOf(b) > 1 && copiesOf(b) * alignUp(bytesOf(b), MEMTILE_ALIGN) > cap;
  for (const b of planned.filter(split)) {
    const bytes = bytesOf(b);
    const addrs: [number, number, number][] = [];
    for (let i = 0; i < copiesOf(b); i++) {
      const col = b.columns![Math.min(i, b.columns!.length - 1)];
      if ((next.get(col * 64) ?? 0) > 0 || bytes > cap) {
        throw new FirmflowError('aie.write', `shared buffer '${b.name}' (${copiesOf(b)} x ${bytes} bytes) needs its copies in memory tiles ${b.columns!.join(', ')} at offset 0 (a ping-pong pair across tiles), but memory tile ${col} ${bytes > cap ? `holds ${cap} bytes` : 'already holds another such buffer'}; lower aie.batch or use a device with more memory-tile room`, { buffer: b.name });
      }
      next.set(col * 64, alignUp(bytes, MEMTILE_ALIGN));
      addrs.push([col, 0, 0]);
    }
    out.set(b.name, addrs);
  }
  for (const b of planned.filter((x) => !split(x))) {
    const n = copiesOf(b);
    const bytes = alignUp(bytesOf(b), MEMTILE_ALIGN);
    const span = b.columns!;
    const mid = span[Math.floor((span.length - 1) / 2)];
    // Memory tiles of a column: row 0 first, then the next rows of a device with several memory-tile rows.
    const tiles = [mid, ...span.filter((c) => c !== mid)].flatMap((c) => Array.from({ length: rows }, (_, r) => ({ c, r, key: c * 64 + r })));
    const t = tiles.find((x) => (next.get(x.key) ?? 0) + n * bytes <= cap);
    if (t === undefined) {
      throw new FirmflowError('aie.write', `shared buffer '${b.name}' (${n} x ${bytesOf(b)} bytes) fits none of its memory tiles ${span.join(', ')} (${cap} bytes each; used before it: ${span.map((c) => next.get(c * 64) ?? 0).join(', ')})`, { buffer: b.name });
    }
    const addrs: [number, number, number][] = [];
    for (let i = 0; i < n; i++) {
      const off = next.get(t.key) ?? 0;
      addrs.push([t.c, t.r, off]);
      next.set(t.key, off + bytes);
    }
    out.set(b.name, addrs);
  }
  return out;
}

/** The graph port a planned kernel buffer belongs to (`in[0]`, `out[0]` ...), or undefined (weights, tables, chunks). */
export function portOfBuffer(name: string): string | undefined {
  const m = /^in(\d+)_(ping|pong)$/.exec(name);
  if (m) return `in[${m[1]}]`;
  return /^out_(ping|pong)$/.test(name) ? 'out[0]' : undefined;
}

/**
 * Kernel buffer-port locations from the plan (layer.buffers): the ping and pong of every buffer port in the bank and
 * tile aie:place assigned. Ports connected kernel to kernel share one buffer between the two kernels; the plan
 * holds a buffer for each side, so such ports are left to the compiler.
 */
function kernelBufferLocations(graph: Graph, model: ProjectModel): string[] {
  const ports = new Set(model.dimensions.map((d) => d.port));
  const kernels = new Set(model.layers.flatMap((l) => l.kernels.map((k) => k.id)));
  const direct = new Set<string>();
  for (const c of model.connections) if (ports.has(c.from) && ports.has(c.to)) { direct.add(c.from); direct.add(c.to); }
  const lines: string[] = [];
  for (const node of graph.topoOrder()) {
    const layer = node.meta['aie'] as AieLayer | undefined;
    if (!layer?.buffers) continue;
    const byPort = new Map<string, { ping?: string; pong?: string }>();
    for (const b of layer.buffers) {
      const kid = model.names.declaredKernel(b.kernelId);
      const port = portOfBuffer(b.name);
      if (!port || !kid || !kernels.has(kid)) continue;
      const expr = `${kid}.${port}`;
      if (!ports.has(expr) || direct.has(expr)) continue;
      const e = byPort.get(expr) ?? {};
      e[b.name.endsWith('_pong') ? 'pong' : 'ping'] = `adf::bank(${b.tile[0]}, ${b.tile[1]}, ${b.bank})`;
      byPort.set(expr, e);
    }
    for (const [expr, e] of byPort) {
      const banks = [e.ping, e.pong].filter((x): x is string => !!x);
      lines.push(`adf::location<adf::buffer>(${expr}) = {${banks.join(', ')}};`);
    }
  }
  return lines;
}

/**
 * Runtime parameters (`aie.rtp`): each layer's kernel module says which of its kernels take a setting at run time
 * (kernels/product.ts: the srs shift of a Dense/MatMul), changing their classes in `model`.
 */
function runtimeParameters(graph: Graph, model: ProjectModel, kinds: string[]): RtpModel[] {
  if (!kinds.length) return [];
  const byName = new Map(graph.topoOrder().map((n) => [n.name, n]));
  return model.layers.flatMap((L) => {
    const layer = byName.get(L.node)?.meta['aie'] as AieLayer | undefined;
    return layer ? kernelOf(layer.kernel).runtimeParameters?.(layer, L, kinds, model.names) ?? [] : [];
  });
}

/** Location constraints and runtime parameters of the project; the RTP kernels replace theirs in `model`. */
export function graphExtras(graph: Graph, model: ProjectModel): GraphExtras {
  const device = graph.meta['aieDevice'] as AieDevice | undefined;
  const opts = graph.meta['aieOptions'] as AieOptions | undefined;
  const lines: string[] = [];
  if (device) {
    const addrs = memtileAddresses(model.shared, device);
    for (const b of model.shared) {
      const a = addrs.get(b.name);
      if (!a) continue;
      lines.push(`adf::location<adf::buffer>(${b.name}) = {${a.map(([c, r, o]) => `adf::address(${c}, ${r}, ${o})`).join(', ')}};`);
    }
  }
  lines.push(...kernelBufferLocations(graph, model));
  return { bufferLocations: lines, rtp: runtimeParameters(graph, model, opts?.rtp ?? []) };
}
