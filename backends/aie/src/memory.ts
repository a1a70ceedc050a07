/*
 * Memory-tile planning. Every activation between kernel layers, every graph input and output, and the weights of
 * layers that stream them live in memory-tile shared buffers; the DMA access patterns (adf::tiling_parameters)
 * re-block a tensor from the producer's output tiles to each consumer's input tiles. Views (Concat, Slice,
 * Reshape ...) cost nothing: they are offsets and shapes of accesses to the buffer of the tensor they view.
 *
 * Each buffer goes to the memory tile(s) nearest the kernels that use it: one tile, or up to 1 + 2 x reach
 * adjacent tiles when one is too small or has too few DMA channels (a channel addresses its east and west
 * neighbours). Capacity (bytes, ping-pong copies included) and channel counts (S2MM per writer stream, MM2S per
 * reader stream) are checked per memory tile; PLIO counts per interface column.
 */
import { FirmflowError, sizeOf, type Graph, type IRNode } from 'firmflow';
import type { AieDevice } from './devices.js';
import type { AieDataType, AieGmio, AieGraphMeta, AieLayer, AiePlio, AieSharedBuffer, AieTilingParameters, AieKernelPlacement } from './lowered.js';
import { bytesOf } from './perf.js';
import { layoutOf } from './kernels/index.js';
import { broadcastWindows, rowBroadcast } from './broadcast.js';

/** Where a tensor's elements live: a root tensor's buffer, at an offset in (last-axis columns, rows). */
interface Alias {
  root: string;
  colOff: number;
  rowOff: number;
}

interface Access {
  /** Endpoint: `<kernelId>:<port>` or a PLIO name. */
  who: string;
  /** Every kernel a broadcast read feeds (when more than the endpoint's). */
  kernels?: string[];
  access: AieTilingParameters;
  /** Column of the kernel(s) behind this access, for the placement of the buffer. */
  cols: number[];
}

interface BufferReq {
  name: string;
  tensor: string;
  kind: AieSharedBuffer['kind'];
  dtype: AieDataType;
  bytes: number;
  copies: number;
  writers: Access[];
  readers: Access[];
}

const sanitize = (s: string): string => {
  const t = s.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(t) ? t : `t_${t}`;
};

/** Root dims viewed as [cols, rows] (rows = all leading axes). */
function dims2(shape: number[]): [number, number] {
  return [shape[shape.length - 1] ?? 1, sizeOf(shape.slice(0, -1))];
}

function pad(offset: number[], extent: number[], dims: number[]): { before: number; after: number }[] | undefined {
  const p = dims.map((d, i) => ({ before: 0, after: Math.max(0, offset[i] + extent[i] - d) }));
  return p.some((x) => x.after > 0) ? p : undefined;
}

/** Access to a [cols x rows] region read or written in [tc x tr] blocks, columns innermost. */
function blocked(dims: number[], off: number[], ext: number[], blk: number[]): AieTilingParameters {
  const a: AieTilingParameters = {
    buffer_dimension: dims,
    tiling_dimension: blk,
    offset: off,
    tile_traversal: blk.map((b, i) => ({ dimension: i, stride: b, wrap: Math.max(1, Math.ceil(ext[i] / b)) })),
  };
  const p = pad(off, blk.map((b, i) => Math.ceil(ext[i] / b) * b), dims);
  if (p) a.padding = p;
  return a;
}

export interface MemoryPlan {
  sharedBuffers: AieSharedBuffer[];
  plio: (AiePlio & { rows: number })[];
  /** GMIO inputs of the memory-tile weight stores. */
  gmio: AieGmio[];
  /** Bytes and channels used per memory-tile column. */
  columns: { bytes: number; s2mm: number; mm2s: number }[];
}

/** Plans the memory-tile buffers of a placed graph (node.meta.aie with tiling and placement). */
export function planMemory(g: Graph, d: AieDevice): MemoryPlan {
  // Symbolic axes take the samples per iteration the graph was planned for.
  const batch = (g.meta['aie'] as AieGraphMeta).batch;
  const layers = new Map<string, AieLayer>();
  const nodes: IRNode[] = [];
  for (const n of g.topoOrder()) {
    const l = n.meta['aie'] as AieLayer | undefined;
    if (l) { layers.set(n.name, l); nodes.push(n); }
  }
  const shapeOf = (t: string): number[] => g.tensor(t).shape.map((x) => (typeof x === 'number' ? x : batch));
  // ---- views: which root buffer each tensor lives in
  const alias = new Map<string, Alias>();
  const resolve = (t: string): Alias => {
    const a = alias.get(t);
    if (!a) return { root: t, colOff: 0, rowOff: 0 };
    const r = resolve(a.root);
    return { root: r.root, colOff: r.colOff + a.colOff, rowOff: r.rowOff + a.rowOff };
  };
  for (const n of nodes) {
    const l = layers.get(n.name)!;
    if (layoutOf(l.kernel) !== 'region') continue;
    const regions = l.regions ?? [];
    if (!regions.length) throw new FirmflowError('aie.memory', `node '${n.name}' (${n.op}): has no view regions (legalize the graph for backend AIE first)`);
    if (n.op !== 'Concat' && n.op !== 'Slice' && n.op !== 'Split') {
      // Reshape / Flatten / Squeeze / Unsqueeze keep the bytes in place.
      const inS = shapeOf(l.inputs[0]), outS = shapeOf(l.outputs[0]);
      if (inS[inS.length - 1] !== outS[outS.length - 1] && (alias.has(l.inputs[0]) && resolve(l.inputs[0]).colOff !== 0)) {
        throw new FirmflowError('aie.memory', `node '${n.name}' (${n.op}): reshapes a column slice of another tensor`);
      }
    }
    for (const r of regions) alias.set(r.tensor, { root: r.src, colOff: r.colOff, rowOff: r.rowOff });
  }
  // ---- buffers, their writers and readers
  const reqs = new Map<string, BufferReq>();
  const dtypeOfTensor = new Map<string, AieDataType>();
  for (const n of nodes) {
    const l = layers.get(n.name)!;
    if (layoutOf(l.kernel) === 'region') continue;
    l.inputs.forEach((t, i) => dtypeOfTensor.set(t, i === 0 ? l.dtype.a : l.dtype.w ?? l.dtype.a));
    dtypeOfTensor.set(l.outputs[0], l.dtype.out);
  }
  const req = (tensor: string): BufferReq => {
    const root = resolve(tensor).root;
    let r = reqs.get(root);
    if (!r) {
      const dt = dtypeOfTensor.get(root) ?? dtypeOfTensor.get(tensor) ?? 'int8';
      const kind: AieSharedBuffer['kind'] = g.isGraphInput(root) ? 'input' : g.isGraphOutput(root) ? 'output' : 'activation';
      r = { name: `mt_${sanitize(g.tensor(root).id)}`, tensor: root, kind, dtype: dt, bytes: sizeOf(shapeOf(root)) * bytesOf(dt), copies: 2, writers: [], readers: [] };
      reqs.set(root, r);
    }
    return r;
  };
  const kernelsOf = (l: AieLayer): AieKernelPlacement[] => l.placement?.kernels ?? [];
  const gmios: AieGmio[] = [];
  for (const n of nodes) {
    const l = layers.get(n.name)!;
    if (layoutOf(l.kernel) === 'region' || !l.tiling) continue;
    const cascade = layoutOf(l.kernel) === 'cascade';
    const t = l.tiling;
    const ks = kernelsOf(l);
    const at = (chain: number, pos: number): number[] => ks.filter((k) => k.chain === chain && k.pos === pos).map((k) => k.col);
    const allAt = (pos: number): number[] => ks.filter((k) => k.pos === pos).map((k) => k.col);
    const kid = (chain: number, pos: number): string => ks.find((k) => k.chain === chain && k.pos === pos)?.id ?? `${sanitize(n.id)}_c${chain}_p${pos}`;
    const idsAt = (pos: number): string[] => ks.filter((k) => k.pos === pos).sort((a, b) => a.chain - b.chain).map((k) => k.id);
    // writers: the last kernel of each chain
    const out = l.outputs[0];
    const wa = resolve(out);
    const wr = req(out);
    const rootS = dims2(shapeOf(wa.root));
    const [m, , nn] = t.microtile;
    for (let c = 0; c < t.casNum; c++) {
      let access: AieTilingParameters;
      if (cascade) {
        const colOff = wa.colOff + (t.split === 'N' ? c * t.tileN : 0);
        const rowOff = wa.rowOff + (t.split === 'M' ? c * t.tileM : 0);
        const cols = t.split === 'N' ? Math.min(t.tileN, t.N - c * t.tileN) : t.N;
        const rows = (t.split === 'M' ? Math.min(t.tileM, t.M - c * t.tileM) : t.M) * t.batch;
        access = blocked([rootS[0], rootS[1]], [colOff, rowOff], [cols, rows], [nn, m]);
      } else {
        const rows = Math.min(t.tileM, t.M - c * t.tileM);
        const w = l.shapes.output[l.shapes.output.length - 1];
        const perRow = t.K / w;
        access = blocked([rootS[0], rootS[1]], [wa.colOff, wa.rowOff + c * t.tileM * perRow], [w, rows * perRow], [w, rows * perRow]);
      }
      wr.writers.push({ who: `${kid(c, t.casLength - 1)}:out0`, access, cols: at(c, t.casLength - 1) });
    }
    // readers
    l.inputs.forEach((tensor, idx) => {
      const ra = resolve(tensor);
      const rr = req(tensor);
      const rs = dims2(shapeOf(ra.root));
      if (cascade) {
        const [mm, k, n2] = t.microtile;
        const isB = idx === 1;
        for (let p = 0; p < t.casLength; p++) {
          const kOff = p * t.tileK;
          const kExt = Math.min(t.tileK, t.K - kOff);
          const chains = (isB && t.split === 'N') || (!isB && t.split === 'M') ? t.casNum : 1;
          for (let c = 0; c < chains; c++) {
            let access: AieTilingParameters;
            if (!isB) {
              const rowOff = ra.rowOff + (t.split === 'M' ? c * t.tileM : 0);
              const rows = (t.split === 'M' ? Math.min(t.tileM, t.M - c * t.tileM) : t.M) * t.batch;
              access = blocked([rs[0], rs[1]], [ra.colOff + kOff, rowOff], [kExt, rows], [k, mm]);
            } else {
              const colOff = ra.colOff + (t.split === 'N' ? c * t.tileN : 0);
              const cols = t.split === 'N' ? Math.min(t.tileN, t.N - c * t.tileN) : t.N;
              // B is [batch][K][N]: rows of the root are batch x K; one K slice per matrix of the batch.
              const acc2 = blocked([rs[0], rs[1]], [colOff, ra.rowOff + kOff], [cols, kExt], [n2, k]);
              if (t.batch > 1) {
                acc2.buffer_dimension = [rs[0], t.K, rs[1] / t.K];
                acc2.tiling_dimension = [n2, k, 1];
                acc2.offset = [colOff, kOff, ra.rowOff / t.K];
                acc2.tile_traversal.push({ dimension: 2, stride: 1, wrap: t.batch });
              }
              access = acc2;
            }
            const port = isB ? 'in1' : 'in0';
            if (chains > 1 || t.casNum === 1) rr.readers.push({ who: `${kid(c, p)}:${port}`, access, cols: at(c, p) });
            else rr.readers.push({ who: `${kid(0, p)}:${port}`, kernels: idsAt(p).map((k) => `${k}:${port}`), access, cols: allAt(p) });
          }
        }
      } else {
        const w = l.shapes.inputs[idx][l.shapes.inputs[idx].length - 1];
        const perRow = t.K / l.shapes.output[l.shapes.output.length - 1];
        const bSide = l.inputs.length > 1 ? (l.attrs['broadcastSide'] as number | undefined) : undefined;
        if (bSide !== undefined) {
          // Add of a broadcast runtime operand (marked by kernels/add.ts): it feeds in[1], each kernel its window of rows.
          const bc = rowBroadcast(l.shapes.output, l.shapes.inputs[bSide]);
          if (typeof bc === 'string') throw new FirmflowError('aie.memory', `node '${n.name}' (Add): operand '${tensor}' ${bc}`);
          const win = broadcastWindows(bc, t.tileM, t.casNum);
          for (let c = 0; c < t.casNum; c++) {
            const access = idx === bSide
              ? blocked([rs[0], rs[1]], [ra.colOff, ra.rowOff + win.starts[c]], [bc.bCols, win.rows], [bc.bCols, win.rows])
              : blocked([rs[0], rs[1]], [ra.colOff, ra.rowOff + c * t.tileM], [w, Math.min(t.tileM, t.M - c * t.tileM)], [w, Math.min(t.tileM, t.M - c * t.tileM)]);
            rr.readers.push({ who: `${kid(c, 0)}:in${idx === bSide ? 1 : 0}`, access, cols: at(c, 0) });
          }
          return;
        }
        for (let c = 0; c < t.casNum; c++) {
          const rows = Math.min(t.tileM, t.M - c * t.tileM);
          const access = blocked([rs[0], rs[1]], [ra.colOff, ra.rowOff + c * t.tileM * perRow], [w, rows * perRow], [w, rows * perRow]);
          rr.readers.push({ who: `${kid(c, 0)}:in${idx}`, access, cols: at(c, 0) });
        }
      }
    });
    // Streamed weights: one single-buffered store per kernel holding its tileK x tileN slice row-major (zero
    // padded past K and N), written from DDR by a GMIO input every iteration, read by the kernel's async weight
    // port in chunks of chunkN columns, each chunk blocked [tileK/k][chunkN/n][k][n] for aie::mmul.
    if (t.weights === 'memtile') {
      const [, kk, n3] = t.microtile;
      const R = t.tileN / t.chunkN;
      const dt = l.dtype.w ?? 'int8';
      for (const k of [...ks].sort((a, b) => a.chain - b.chain || a.pos - b.pos)) {
        const bytes = t.tileK * t.tileN * bytesOf(dt);
        const name = `mtw_${k.id}`;
        const gmio = `gmio_w_${k.id}`;
        reqs.set(`${n.name}#w${k.id}`, {
          name, tensor: n.inputs[1], kind: 'weights', dtype: dt, bytes, copies: 1,
          writers: [{ who: gmio, access: { buffer_dimension: [t.chunkN, R, t.tileK], tiling_dimension: [t.chunkN, R, t.tileK], offset: [0, 0, 0], tile_traversal: [] }, cols: [] }],
          readers: [{
            who: `${k.id}:weights`,
            access: {
              buffer_dimension: [t.chunkN, R, t.tileK],
              tiling_dimension: [n3, 1, kk],
              offset: [0, 0, 0],
              tile_traversal: [{ dimension: 0, stride: n3, wrap: t.chunkN / n3 }, { dimension: 2, stride: kk, wrap: t.tileK / kk }, { dimension: 1, stride: 1, wrap: R }],
            },
            cols: [k.col],
          }],
        });
        gmios.push({ name: gmio, store: name, node: n.name, kernel: k.id, bytes });
      }
    }
  }
  // ---- PLIO ends
  const plioWanted: { name: string; port: string; tensor: string; direction: 'in' | 'out' }[] = [];
  const taken = new Set<string>();
  const plioName = (dir: string, port: string): string => {
    let s = `plio_${dir}_${sanitize(port)}`;
    while (taken.has(s)) s += '_';
    taken.add(s);
    return s;
  };
  for (const p of g.inputs) {
    if (!reqs.has(resolve(p.tensor).root)) continue;
    const r = req(p.tensor);
    const a = resolve(p.tensor);
    const name = plioName('in', p.name);
    const rs = dims2(shapeOf(a.root)), is = dims2(shapeOf(p.tensor));
    r.writers.push({ who: name, access: blocked([rs[0], rs[1]], [a.colOff, a.rowOff], [is[0], is[1]], [is[0], is[1]]), cols: [] });
    plioWanted.push({ name, port: p.name, tensor: p.tensor, direction: 'in' });
  }
  for (const p of g.outputs) {
    const a = resolve(p.tensor);
    const r = req(p.tensor);
    r.kind = 'output';
    const name = plioName('out', p.name);
    const rs = dims2(shapeOf(a.root)), os = dims2(shapeOf(p.tensor));
    r.readers.push({ who: name, access: blocked([rs[0], rs[1]], [a.colOff, a.rowOff], [os[0], os[1]], [os[0], os[1]]), cols: [] });
    plioWanted.push({ name, port: p.name, tensor: p.tensor, direction: 'out' });
  }
  for (const r of reqs.values()) {
    if (r.writers.length === 0 && r.kind !== 'weights') {
      throw new FirmflowError('aie.memory', `tensor '${r.tensor}' is read by the AIE graph but nothing writes it (a constant activation is not supported)`);
    }
  }
  if (gmios.length > d.gmio.mm2sChannels) {
    const layers = [...new Set(gmios.map((x) => x.node))];
    throw new FirmflowError('aie.memory', `memory-tile weights: ${gmios.length} kernels stream their weights (layers ${layers.map((x) => `'${x}'`).join(', ')}), each fed by one GMIO input, but ${d.name} has ${d.gmio.mm2sChannels} interface MM2S channels for GMIO`, { needed: gmios.length, available: d.gmio.mm2sChannels });
  }
  return { ...assign(d, [...reqs.values()], plioWanted, g, shapeOf), gmio: gmios };
}

function assign(d: AieDevice, reqs: BufferReq[], plioWanted: { name: string; port: string; tensor: string; direction: 'in' | 'out' }[], g: Graph, shapeOf: (t: string) => number[]): Omit<MemoryPlan, 'gmio'> {
  const C = d.grid.columns;
  const mt = d.memoryTile;
  if (mt.rows === 0) throw new FirmflowError('aie.memory', `${d.name} has no memory tiles; this backend moves activations through memory tiles`);
  const cap = { bytes: mt.bytes * mt.rows, s2mm: mt.dma.s2mm * mt.rows, mm2s: mt.dma.mm2s * mt.rows };
  const used = Array.from({ length: C }, () => ({ bytes: 0, s2mm: 0, mm2s: 0 }));
  const maxSpan = 1 + 2 * mt.neighbourReach;
  // Activations first (they need many channels in one neighbourhood; a weight store needs one), largest first;
  // ties by name, so the plan is deterministic.
  const rank = (r: BufferReq): number => (r.kind === 'weights' ? 1 : 0);
  const order = [...reqs].sort((a, b) => rank(a) - rank(b) || b.bytes * b.copies - a.bytes * a.copies || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: AieSharedBuffer[] = [];
  for (const r of order) {
    const total = r.bytes * r.copies;
    const cols = [...r.writers, ...r.readers].flatMap((a) => a.cols);
    const pref = cols.length ? Math.round(cols.reduce((a, b) => a + b, 0) / cols.length) : Math.floor(C / 2);
    // One S2MM channel per writer stream (kernel, PLIO or GMIO), one MM2S per reader stream.
    const W = r.writers.length;
    const R = r.readers.length;
    let best: { span: number; c0: number; dist: number } | undefined;
    for (let span = 1; span <= Math.min(maxSpan, C) && !best; span++) {
      for (let c0 = 0; c0 + span <= C; c0++) {
        let fb = 0, fs = 0, fm = 0;
        for (let c = c0; c < c0 + span; c++) { fb += cap.bytes - used[c].bytes; fs += cap.s2mm - used[c].s2mm; fm += cap.mm2s - used[c].mm2s; }
        if (fb < total || fs < W || fm < R) continue;
        // Even split of the bytes must fit each tile of the span.
        const share = Math.ceil(total / span);
        let ok = true;
        for (let c = c0; c < c0 + span; c++) if (cap.bytes - used[c].bytes < share) ok = false;
        if (!ok) continue;
        const dist = Math.abs(c0 + (span - 1) / 2 - pref);
        if (!best || dist < best.dist - 1e-9) best = { span, c0, dist };
      }
    }
    if (!best) {
      const freeBytes = used.map((u) => cap.bytes - u.bytes), freeS = used.map((u) => cap.s2mm - u.s2mm), freeM = used.map((u) => cap.mm2s - u.mm2s);
      throw new FirmflowError('aie.memory', `memory-tile plan: buffer '${r.name}' (tensor '${r.tensor}', ${total} bytes with copies, ${W} write and ${R} read streams) fits no ${maxSpan} adjacent memory tiles of ${d.name} (${mt.bytes} bytes, ${mt.dma.s2mm} S2MM and ${mt.dma.mm2s} MM2S channels each; most free: ${Math.max(...freeBytes)} bytes, ${Math.max(...freeS)} S2MM, ${Math.max(...freeM)} MM2S)`,
        { buffer: r.name, bytes: total, writers: W, readers: R });
    }
    const columns: number[] = [], perCol: number[] = [];
    let left = total;
    for (let c = best.c0; c < best.c0 + best.span; c++) {
      const share = Math.min(left, Math.ceil(total / best.span));
      used[c].bytes += share;
      left -= share;
      columns.push(c);
      perCol.push(share / r.copies);
    }
    // Channels: fill the span's columns in order.
    let w = W, rd = R;
    for (const c of columns) {
      const a = Math.min(w, cap.s2mm - used[c].s2mm); used[c].s2mm += a; w -= a;
      const b = Math.min(rd, cap.mm2s - used[c].mm2s); used[c].mm2s += b; rd -= b;
    }
    out.push({
      name: r.name, tensor: r.tensor, kind: r.kind, dtype: r.dtype, bytes: r.bytes, copies: r.copies, columns, bytesPerColumn: perCol,
      writers: r.writers.map((x) => ({ from: x.who, access: x.access })), readers: r.readers.map((x) => ({ to: x.who, ...(x.kernels ? { kernels: x.kernels } : {}), access: x.access })),
    });
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // PLIOs on the interface columns of their buffers (or the nearest with a free PL stream).
  const plioUse = Array.from({ length: C }, () => ({ in: 0, out: 0 }));
  const plio: MemoryPlan['plio'] = [];
  const byTensor = new Map(out.map((s) => [s.tensor, s]));
  for (const p of plioWanted) {
    const buf = [...byTensor.values()].find((s) => s.readers.some((x) => x.to === p.name) || s.writers.some((x) => x.from === p.name));
    const want = buf ? buf.columns[0] : 0;
    const limit = p.direction === 'in' ? d.plio.inputsPerColumn : d.plio.outputsPerColumn;
    let col = -1;
    for (let dist = 0; dist < C && col < 0; dist++) {
      for (const c of [want - dist, want + dist]) {
        if (c >= 0 && c < C && plioUse[c][p.direction] < limit) { col = c; break; }
      }
    }
    if (col < 0) throw new FirmflowError('aie.memory', `graph ${p.direction === 'in' ? 'input' : 'output'} '${p.port}': no PLIO left on ${d.name} (${limit} per column)`);
    plioUse[col][p.direction]++;
    const shape = shapeOf(p.tensor);
    const dt = buf?.dtype ?? 'int8';
    plio.push({ name: p.name, port: p.port, tensor: p.tensor, direction: p.direction, widthBits: d.plio.widthBits, column: col, bytes: sizeOf(shape) * bytesOf(dt), rows: sizeOf(shape.slice(0, -1)) });
  }
  void g;
  return { sharedBuffers: out, plio, columns: used };
}
