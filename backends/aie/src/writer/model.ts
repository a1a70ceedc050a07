/*
 * The AIE project model: everything the templates print, computed from the lowered graph (node.meta.aie,
 * graph.meta.aie). Kernels, their configuration structs and constructor arrays, memory-tile shared buffers with the
 * DMA access patterns that re-block tensors between row-major (streams, shared buffers) and the mmul-blocked
 * kernel buffers, PLIO ports and the connections. Every identifier comes from the project's AieNames (names.ts).
 */
import { sizeOf, type Graph, type IRNode } from 'firmflow';
import type { AieDevice } from '../devices.js';
import { kernelOf, layoutOf } from '../kernels/index.js';
import type { AieGraphMeta, AieLayer, AieTilingParameters } from '../lowered.js';
import { CPP_TYPE } from './cpp.js';
import { failWrite as fail } from './errors.js';
import type { AieDataType } from '../lowered.js';
import { hostIncludeDir } from '../compile.js';
import { templatesDir } from './templates.js';
import { AieNames } from './names.js';
import type { ConnectionModel, EmitContext, Endpoint, LayerModel, Layout, PlioModel, ProjectModel, Region, SharedBufferModel, StreamedWeights } from './types.js';

export type * from './types.js';
export { CPP_TYPE } from './cpp.js';
export { constantWindows } from '../kernels/add.js';
export { blockWeights } from '../kernels/product.js';

/** The device the graph was planned for (kept by aie:legalize; an inline device description has no file to reload). */
function plannedDevice(graph: Graph): AieDevice {
  const d = graph.meta['aieDevice'] as AieDevice | undefined;
  if (!d) fail(undefined, `graph '${graph.name}' has no AIE device (graph.meta.aieDevice); convert it for backend AIE first`);
  return d;
}

/** Access pattern of one kernel buffer inside a row-major [batch][rows][cols] shared buffer. */
function accessFor(l: Layout, dims: number[], boundary?: number[]): AieTilingParameters {
  const withBoundary = (t: AieTilingParameters): AieTilingParameters => (boundary && boundary.some((b, i) => b !== dims[i]) ? { ...t, padding: boundary.map((b, i) => ({ before: 0, after: dims[i] - b })) } : t);
  // A blocked buffer: microtiles of `cols` x `rows` elements, walked along columns, then rows, then the batch.
  const blocked = (cols: number, rows: number, tileCols: number, tileRows: number, colOff: number, rowOff: number, batch: number): AieTilingParameters => ({
    buffer_dimension: dims,
    tiling_dimension: [cols, rows, 1],
    offset: [colOff, rowOff, 0],
    tile_traversal: [{ dimension: 0, stride: cols, wrap: tileCols / cols }, { dimension: 1, stride: rows, wrap: tileRows / rows }, { dimension: 2, stride: 1, wrap: batch }],
  });
  switch (l.kind) {
    case 'rowmajor':
      return { buffer_dimension: dims, tiling_dimension: dims, offset: dims.map(() => 0), tile_traversal: [] };
    case 'blockedA':
      return withBoundary(blocked(l.k, l.m, l.tileK, l.tileM, l.colOff, l.rowOff, l.batch));
    case 'blockedB':
      return withBoundary(blocked(l.n, l.k, l.tileN, l.tileK, l.colOff, l.rowOff, l.batch));
    case 'blockedC':
      return blocked(l.n, l.m, l.tileN, l.tileM, l.colOff, l.rowOff, l.batch);
  }
}

/** Builds the project model. Throws a FirmflowError naming the node for anything the writer cannot emit. */
export function buildProjectModel(graph: Graph, projectName: string): ProjectModel {
  const meta = graph.meta['aie'] as AieGraphMeta | undefined;
  if (!meta) fail(undefined, `graph '${graph.name}' has no AIE plan (graph.meta.aie); convert it for backend AIE first`);
  const rows = meta.batch;
  const names = new AieNames(templatesDir(), hostIncludeDir());
  const layers: LayerModel[] = [];
  const producers = new Map<string, { node: IRNode; layer: AieLayer; ends: Endpoint[] }>();
  const consumers = new Map<string, { node: IRNode; ends: Endpoint[] }[]>();
  const dimensions: ProjectModel['dimensions'] = [];
  const locations: string[] = [];
  const addConsumer = (t: string, node: IRNode, ends: Endpoint[]): void => {
    if (!consumers.has(t)) consumers.set(t, []);
    consumers.get(t)!.push({ node, ends });
  };
  const connectionsCascade: ConnectionModel[] = [];
  const streamed: StreamedWeights = { shared: [], gmio: [], repetitions: [] };
  // Views (Reshape-like, Concat, Slice): a tensor lives in its root tensor's buffer at a (column, row) offset.
  const { views, copies } = collectViews(graph);
  const locate = (t: string): { root: string; colOff: number; rowOff: number } => {
    let x = t, colOff = 0, rowOff = 0;
    for (let v = views.get(x); v; v = views.get(x)) {
      colOff += v.colOff;
      rowOff += v.rowOff;
      x = v.src;
    }
    return { root: x, colOff, rowOff };
  };
  const resolve = (t: string): string => locate(t).root;
  const shapeOf = (t: string): number[] => graph.tensor(t).shape.map((d) => (typeof d === 'number' ? d : rows));
  /** Moves endpoints of tensor `t` into its root buffer (offsets of the view, and the view's region). */
  const inRoot = (t: string, ends: Endpoint[], at: { root: string; colOff: number; rowOff: number } = locate(t)): Endpoint[] => {
    const v = at;
    const s = shapeOf(t);
    const cols = s[s.length - 1] ?? 1;
    const slot: Region = { colOff: v.colOff, rowOff: v.rowOff, cols, rows: sizeOf(s) / cols };
    return ends.map((e) => {
      const l = e.layout;
      const layout: Layout = l.kind === 'rowmajor' ? { ...l, colOff: (l.colOff ?? 0) + v.colOff, rowOff: (l.rowOff ?? 0) + v.rowOff } : { ...l, colOff: l.colOff + v.colOff, rowOff: l.rowOff + v.rowOff };
      return { ...e, layout, slot };
    });
  };
  const addProducer = (t: string, node: IRNode, layer: AieLayer, ends: Endpoint[]): void => {
    const root = resolve(t);
    if (!producers.has(root)) producers.set(root, { node, layer, ends: [] });
    producers.get(root)!.ends.push(...inRoot(t, ends));
    // A Concat operand that is read elsewhere too keeps its own buffer; its producer also writes the Concat's.
    for (const c of copies.get(t) ?? []) {
      const at = copyTarget(c);
      if (!producers.has(at.root)) producers.set(at.root, { node, layer, ends: [] });
      producers.get(at.root)!.ends.push(...inRoot(t, ends, at));
    }
  };
  function copyTarget(c: { src: string; colOff: number; rowOff: number }): { root: string; colOff: number; rowOff: number } {
    const r = locate(c.src);
    return { root: r.root, colOff: r.colOff + c.colOff, rowOff: r.rowOff + c.rowOff };
  }

  for (const node of graph.topoOrder()) {
    const layer = node.meta['aie'] as AieLayer | undefined;
    if (!layer) fail(node, 'has no AIE lowering (node.meta.aie)');
    const id = node.id;
    const model: LayerModel = { node: node.name, id, kind: layer.kernel, header: `weights/${id}.h`, library: '', instantiations: [], config: { name: names.config(id), lines: [] }, arrays: [], kernels: [], summary: '' };
    const place = new Map((layer.placement?.kernels ?? []).map((k) => [`${k.chain}:${k.pos}`, k]));
    const ctx: EmitContext = {
      graph, node, layer, meta, model, names,
      device: () => plannedDevice(graph),
      kernelId: (chain, pos) => place.get(`${chain}:${pos}`)?.id ?? `${id}_c${chain}_p${pos}`,
      place: (k, chain, pos) => {
        const p = place.get(`${chain}:${pos}`);
        if (p) {
          k.location = { col: p.col, row: p.row };
          locations.push(`adf::location<adf::kernel>(${k.id}) = adf::tile(${p.col}, ${p.row});`);
        }
      },
      dimensions, connections: connectionsCascade, streamed,
      read: (t, ends) => addConsumer(resolve(t), node, inRoot(t, ends)),
      write: (ends) => addProducer(layer.outputs[0], node, layer, ends),
      fail: (msg) => fail(node, msg),
    };
    const emitted = kernelOf(layer.kernel).emit(ctx);
    if (emitted) layers.push(emitted);
  }

  // ----------------------------------------------------------------- PLIO ports
  const plios: PlioModel[] = [];
  const plioWidth = meta.plio[0]?.widthBits ?? 128;
  const fmtOf = (t: string): { dtype: AieDataType; frac: number } => {
    for (const c of consumers.get(t) ?? []) {
      const l = c.node.meta['aie'] as AieLayer;
      const i = l.inputs.map(resolve).indexOf(t);
      if (i === 1 && typeof l.frac.w === 'number') return { dtype: l.dtype.w ?? l.dtype.a, frac: l.frac.w };
      return { dtype: l.dtype.a, frac: l.frac.a };
    }
    const p = producers.get(t);
    if (p) return { dtype: p.layer.dtype.out, frac: p.layer.frac.out };
    return { dtype: 'int8', frac: 0 };
  };
  const shapeOfTensor = (t: string): number[] => graph.tensor(t).shape.map((d) => (typeof d === 'number' ? d : rows));
  for (const [i, port] of graph.inputs.entries()) {
    const f = fmtOf(port.tensor);
    const id = names.plio('in', i, graph.tensor(port.tensor).id);
    const shape = shapeOfTensor(port.tensor);
    plios.push({ id, port: port.name, tensor: port.tensor, direction: 'in', widthBits: plioWidth, file: `data/${id}.txt`, ...f, elements: sizeOf(shape), shape });
  }
  for (const [i, port] of graph.outputs.entries()) {
    const t = resolve(port.tensor);
    const p = producers.get(t);
    if (!p) fail(undefined, `graph output '${port.name}' is not produced by an AIE kernel`);
    const id = names.plio('out', i, graph.tensor(port.tensor).id);
    const shape = shapeOfTensor(port.tensor);
    plios.push({ id, port: port.name, tensor: t, direction: 'out', widthBits: plioWidth, file: `data/${id}.txt`, dtype: p.layer.dtype.out, frac: p.layer.frac.out, elements: sizeOf(shape), shape });
  }

  // ----------------------------------------------------------------- connections
  const connections: ConnectionModel[] = [...connectionsCascade];
  const shared: SharedBufferModel[] = [];
  const planned = new Map((meta.sharedBuffers ?? []).map((b) => [b.tensor, b]));
  const tensors = new Set<string>([...producers.keys(), ...graph.inputs.flatMap((p) => [resolve(p.tensor), ...(copies.get(p.tensor) ?? []).map((c) => copyTarget(c).root)])]);
  const wholeOf = (t: string): Layout => {
    const s = shapeOf(t);
    const c = s[s.length - 1] ?? 1;
    return { kind: 'rowmajor', rows: sizeOf(s) / c, cols: c };
  };
  for (const t of [...tensors].sort((a, b) => order(graph, a) - order(graph, b) || (a < b ? -1 : 1))) {
    const srcEnds: Endpoint[] = [];
    const p = producers.get(t);
    if (p) srcEnds.push(...p.ends);
    const shape = shapeOfTensor(t);
    const cols = shape[shape.length - 1] ?? 1;
    const total = sizeOf(shape);
    for (const x of plios.filter((x) => x.direction === 'in')) {
      if (resolve(x.tensor) === t) srcEnds.push(...inRoot(x.tensor, [{ port: `${x.id}.out[0]`, layout: wholeOf(x.tensor) }]));
      for (const c of copies.get(x.tensor) ?? []) {
        const at = copyTarget(c);
        if (at.root === t) srcEnds.push(...inRoot(x.tensor, [{ port: `${x.id}.out[0]`, layout: wholeOf(x.tensor) }], at));
      }
    }
    const dstEnds: Endpoint[] = (consumers.get(t) ?? []).flatMap((c) => c.ends);
    for (const o of plios.filter((x) => x.direction === 'out' && x.tensor === t)) {
      const portTensor = graph.outputs.find((g) => g.name === o.port)?.tensor ?? t;
      dstEnds.push(...inRoot(portTensor, [{ port: `${o.id}.in[0]`, layout: wholeOf(portTensor) }]));
    }
    if (!srcEnds.length || !dstEnds.length) continue;
    const whole = (e: Endpoint): boolean => !e.slot || (e.slot.colOff === 0 && e.slot.rowOff === 0 && e.slot.cols === cols && e.slot.cols * e.slot.rows === total);
    const allRowMajor = [...srcEnds, ...dstEnds].every((e) => e.layout.kind === 'rowmajor' && whole(e) && !e.part);
    if (allRowMajor && srcEnds.length === 1) {
      for (const d of dstEnds) connections.push({ from: srcEnds[0].port, to: d.port });
      continue;
    }
    // A memory-tile buffer re-blocks and slices: row-major [batch][rows][cols], padded to every kernel's extent.
    const extent = [cols, total / cols, 1];
    let batch = 1;
    for (const e of [...srcEnds, ...dstEnds]) {
      const l = e.layout;
      if (l.kind === 'blockedA') { extent[0] = Math.max(extent[0], l.colOff + l.tileK); extent[1] = Math.max(extent[1], l.rowOff + l.tileM); batch = Math.max(batch, l.batch); }
      if (l.kind === 'blockedB') { extent[0] = Math.max(extent[0], l.colOff + l.tileN); extent[1] = Math.max(extent[1], l.rowOff + l.tileK); batch = Math.max(batch, l.batch); }
      if (l.kind === 'blockedC') { extent[0] = Math.max(extent[0], l.colOff + l.tileN); extent[1] = Math.max(extent[1], l.rowOff + l.tileM); batch = Math.max(batch, l.batch); }
    }
    const viewed = [...srcEnds, ...dstEnds].some((e) => !whole(e));
    const who = (e: Endpoint): IRNode | undefined => producers.get(t)?.node ?? consumers.get(t)?.find((c) => c.ends.includes(e))?.node;
    if (viewed) checkViews(t, srcEnds, dstEnds, batch, [cols, total / cols], whole, who);
    if (batch > 1) extent[1] = Math.max(1, Math.round(total / cols / batch));
    extent[2] = batch;
    // A tensor viewed with another row length (a Reshape of the whole root) is a flat range of the root's elements.
    const reshaped = (e: Endpoint): boolean => !!e.slot && e.slot.colOff === 0 && e.slot.rowOff === 0 && e.slot.cols !== cols && e.slot.cols * e.slot.rows === total;
    // Row ranges of row-split kernels, padding units included, must lie inside the buffer: extend its rows (or its
    // batch of matrices; the rows of a batched buffer are addressed flat, matrix after matrix).
    const parts = [...srcEnds, ...dstEnds].filter((e) => e.part && e.layout.kind === 'rowmajor');
    let needRows = 0;
    for (const e of parts) {
      const l = e.layout as Extract<Layout, { kind: 'rowmajor' }>;
      const end = (l.rowOff ?? 0) + l.rows;
      needRows = Math.max(needRows, reshaped(e) ? Math.ceil((end * l.cols) / cols) : end);
    }
    if (extent[2] > 1) extent[2] = Math.max(extent[2], Math.ceil(needRows / extent[1]));
    else extent[1] = Math.max(extent[1], needRows);
    for (const e of [...srcEnds, ...dstEnds].filter((x) => x.layout.kind === 'rowmajor' && reshaped(x))) {
      const l = e.layout as Extract<Layout, { kind: 'rowmajor' }>;
      if (extent[0] !== cols) fail(who(e), `tensor '${t}' is read or written with rows of ${l.cols} (a Reshape) while its buffer rows are padded from ${cols} to ${extent[0]} columns for a blocked kernel; the writer emits reshapes of unpadded buffers only`);
      while (sizeOf(extent) % l.cols !== 0) extent[extent[2] > 1 ? 2 : 1]++;
    }
    const real = [cols, total / cols / batch, batch];
    const plan = planned.get(t);
    const name = names.shared(graph.tensor(t).id);
    const dtype = fmtOf(t).dtype;
    /**
     * A row-major endpoint's access: the whole tensor, or its region [cols x rows] at [colOff, rowOff] of the
     * buffer seen as rows (the flat rows of a batched buffer; rows of the Reshape's length). Reads of rows past the
     * tensor's real rows (the padding units of a split's last kernel) are zero-filled by the MM2S DMA
     * (boundary_dimension); writes of them land in the buffer's padding rows.
     */
    const rowMajorAccess = (e: Endpoint, read: boolean): AieTilingParameters => {
      const l = e.layout as Extract<Layout, { kind: 'rowmajor' }>;
      if (whole(e) && !e.part) return { buffer_dimension: extent, tiling_dimension: real, offset: [0, 0, 0], tile_traversal: [] };
      const gc = reshaped(e) ? l.cols : extent[0];
      const dims = reshaped(e) || extent[2] > 1 ? [gc, sizeOf(extent) / gc, 1] : extent;
      const realRows = total / (reshaped(e) ? l.cols : cols);
      const a: AieTilingParameters = { buffer_dimension: dims, tiling_dimension: [l.cols, l.rows, 1], offset: [l.colOff ?? 0, l.rowOff ?? 0, 0], tile_traversal: [] };
      if (read && e.part && (l.rowOff ?? 0) + l.rows > realRows) a.padding = [{ before: 0, after: 0 }, { before: 0, after: dims[1] - realRows }, { before: 0, after: 0 }];
      return a;
    };
    shared.push({
      name,
      ctype: CPP_TYPE[dtype],
      dims: extent,
      column: plan?.columns[0],
      columns: plan?.columns,
      copies: plan?.copies,
      writers: srcEnds.map((e) => ({ endpoint: e.port, access: e.layout.kind === 'rowmajor' ? rowMajorAccess(e, false) : accessFor(e.layout, extent) })),
      readers: dstEnds.map((e) => ({ endpoint: e.port, access: e.layout.kind === 'rowmajor' ? rowMajorAccess(e, true) : accessFor(e.layout, extent, real) })),
    });
  }
  connections.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : 1));
  shared.push(...streamed.shared);
  return { name: projectName, names, device: meta.device, rowsPerIteration: rows, layers, shared, plios, connections, dimensions, locations, gmio: streamed.gmio, asyncRepetitions: streamed.repetitions };
}


type ViewStep = { src: string; colOff: number; rowOff: number };

/**
 * The views of a graph: tensor -> the tensor whose buffer holds it, at a (column, row) offset (rows: leading axes),
 * as the legalization found them (layer.regions, kernels/view.ts).
 * A Concat operand that is a graph input or output, or is read by other layers too, keeps its own buffer (a reader
 * of the operand that feeds another operand would otherwise make the Concat's buffer a cycle); its producer writes
 * it a second time into the Concat's buffer (`copies`).
 */
function collectViews(graph: Graph): { views: Map<string, ViewStep>; copies: Map<string, ViewStep[]> } {
  const views = new Map<string, ViewStep>();
  const copies = new Map<string, ViewStep[]>();
  const set = (node: IRNode, t: string, v: { src: string; colOff: number; rowOff: number }): void => {
    if (views.has(t)) fail(node, `tensor '${t}' is already a view of '${views.get(t)!.src}'; a tensor lives in one buffer`);
    views.set(t, v);
  };
  for (const node of graph.topoOrder()) {
    const l = node.meta['aie'] as AieLayer | undefined;
    if (!l || layoutOf(l.kernel) !== 'region') continue;
    const regions = l.regions ?? fail(node, 'has no view regions (legalize the graph for backend AIE first)');
    for (const r of regions) {
      const v: ViewStep = { src: r.src, colOff: r.colOff, rowOff: r.rowOff };
      const t = r.tensor;
      if (node.op !== 'Concat') { set(node, t, v); continue; }
      if (views.has(t)) fail(node, `operand '${t}' is already a region of '${views.get(t)!.src}' (a Slice, a Reshape, or a repeated operand); a Concat operand must be a kernel's output or a graph input`);
      if (graph.isGraphInput(t) || graph.isGraphOutput(t) || graph.consumers(t).length > 1) {
        const p = graph.producer(t);
        const pl = p?.meta['aie'] as AieLayer | undefined;
        if (p && pl && layoutOf(pl.kernel) === 'region') fail(node, `operand '${t}' is a view (${p.op}) that other layers read too; the writer copies only kernel outputs and graph inputs into a Concat`);
        if (!copies.has(t)) copies.set(t, []);
        copies.get(t)!.push(v);
      } else set(node, t, v);
    }
  }
  // A region at an offset keeps its meaning only along views that keep the row length: a chain through a reshape
  // that changes it must be whole tensors all along.
  const shapeOf = (t: string): number[] => graph.tensor(t).shape.map((d) => (typeof d === 'number' ? d : 1));
  const last = (t: string): number => shapeOf(t)[shapeOf(t).length - 1] ?? 1;
  for (const t of views.keys()) {
    let x = t, colOff = 0, rowOff = 0, reshaped = false;
    for (let v = views.get(x); v; v = views.get(x)) {
      colOff += v.colOff;
      rowOff += v.rowOff;
      if (last(x) !== last(v.src) && sizeOf(shapeOf(x)) === sizeOf(shapeOf(v.src)) && v.colOff === 0 && v.rowOff === 0) reshaped = true;
      x = v.src;
    }
    if (reshaped && (colOff !== 0 || rowOff !== 0 || sizeOf(shapeOf(t)) !== sizeOf(shapeOf(x)))) {
      fail(graph.producer(t) ?? undefined, `tensor '${t}' is a region of '${x}' through a reshape that changes the row length; the writer emits views that keep it`);
    }
  }
  return { views, copies };
}

/**
 * Checks that the accesses to a buffer holding views stay in their regions: no two writers' (padded) blocks overlap,
 * and a MatMul's B operand read from a view does not read a neighbour's data as its padding.
 */
function checkViews(t: string, srcEnds: Endpoint[], dstEnds: Endpoint[], batch: number, root: [number, number], whole: (e: Endpoint) => boolean, who: (e: Endpoint) => IRNode | undefined): void {
  if (batch > 1) fail(who(srcEnds[0]), `tensor '${t}' holds views (Concat/Slice) and is read as a batch of matrices; the writer emits views of 2-D buffers only`);
  const box = (e: Endpoint): Region => {
    const l = e.layout;
    switch (l.kind) {
      case 'rowmajor': return { colOff: l.colOff ?? 0, rowOff: l.rowOff ?? 0, cols: l.cols, rows: l.rows };
      case 'blockedA': return { colOff: l.colOff, rowOff: l.rowOff, cols: l.tileK, rows: l.tileM };
      case 'blockedB': return { colOff: l.colOff, rowOff: l.rowOff, cols: l.tileN, rows: l.tileK };
      case 'blockedC': return { colOff: l.colOff, rowOff: l.rowOff, cols: l.tileN, rows: l.tileM };
    }
  };
  // Inside the root's real extent (padding beyond it is the buffer's own).
  const clip = (r: Region): Region => ({ ...r, cols: Math.max(0, Math.min(r.colOff + r.cols, root[0]) - r.colOff), rows: Math.max(0, Math.min(r.rowOff + r.rows, root[1]) - r.rowOff) });
  const overlap = (a: Region, b: Region): boolean => a.colOff < b.colOff + b.cols && b.colOff < a.colOff + a.cols && a.rowOff < b.rowOff + b.rows && b.rowOff < a.rowOff + a.rows;
  const ws = srcEnds.map((e) => clip(box(e)));
  for (let i = 0; i < ws.length; i++)
    for (let j = i + 1; j < ws.length; j++)
      if (overlap(ws[i], ws[j])) fail(who(srcEnds[i]), `tensor '${t}': the writes of ${srcEnds[i].port} and ${srcEnds[j].port} overlap in the buffer of the views (Concat) they fill; their padded tiles (${ws[i].cols}x${ws[i].rows} at ${ws[i].colOff},${ws[i].rowOff}) must stay in their own regions`);
  for (const e of dstEnds) {
    if (e.layout.kind !== 'blockedB' || whole(e) || !e.slot) continue;
    const r = clip(box(e));
    const s = e.slot;
    if (r.colOff + r.cols > s.colOff + s.cols || r.rowOff + r.rows > s.rowOff + s.rows) fail(who(e), `tensor '${t}': ${e.port} reads the matrix operand B from a view (Slice/Concat input) and its padded tiles reach into the neighbouring region`);
  }
}

function order(graph: Graph, t: string): number {
  const p = graph.producer(t);
  if (!p) return -1;
  let i = 0;
  for (const n of graph.topoOrder()) {
    if (n === p) return i;
    i++;
  }
  return i;
}
