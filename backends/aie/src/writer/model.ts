/*
 * The AIE project model: everything the templates print, computed from the lowered graph (node.meta.aie,
 * graph.meta.aie). Kernels, their configuration structs and constructor arrays, memory-tile shared buffers with the
 * DMA access patterns that re-block tensors between row-major (streams, shared buffers) and the mmul-blocked
 * kernel buffers, PLIO ports and the connections. Names come only from sanitized identifiers (tensor and node ids).
 */
import { FirmflowError, type Graph, type IRNode } from 'firmflow';
import type { AieDevice } from '../devices.js';
import { bf16ActivationTable, intActivationTable, type ActivationFn } from '../activation.js';
import { layerNormBf16Constants, layerNormConstants, SOFTMAX_BF16_E0, SOFTMAX_BF16_E1, softmaxBf16Table, softmaxTables } from '../emulate.js';
import { biasPosition, type AieDataType, type AieGraphMeta, type AieLayer, type AieTiling, type AieTilingParameters } from '../lowered.js';
import { writeStreamedDense, type GmioModel, type StreamedWeights } from './streamed.js';
import { broadcastWindows, rowBroadcast, type RowBroadcast } from '../broadcast.js';

export const CPP_TYPE: Record<AieDataType | 'int32', string> = { int8: 'int8', int16: 'int16', bf16: 'bfloat16', int32: 'int32' };
const ROUNDING_CPP = (r: string): string => `aie::rounding_mode::${r}`;
/** A C++ float literal of an fp32 value: its shortest decimal, which the compiler rounds back to the same float. */
const fp32Literal = (x: number): string => { const t = String(Math.fround(x)); return /[.eE]/.test(t) ? `${t}f` : `${t}.0f`; };

export interface ArrayDecl {
  name: string;
  ctype: string;
  values: ArrayLike<number>;
}

export interface KernelModel {
  id: string;
  layer: string;
  /** C++ type created with adf::kernel::create_object. */
  cls: string;
  /** Names of the constructor arrays (from the layer's weights header). */
  ctorArgs: string[];
  /** Kernel source file, relative to src/. */
  source: string;
  location?: { col: number; row: number };
  /** Elements of each buffer port, by port index. */
  inDims: (number | undefined)[];
  outDims: (number | undefined)[];
}

export interface ConfigModel {
  name: string;
  lines: string[];
}

export interface LayerModel {
  node: string;
  id: string;
  kind: string;
  header: string;
  /** Kernel library header the layer's source includes. */
  library: string;
  instantiations: string[];
  config: ConfigModel;
  arrays: ArrayDecl[];
  kernels: KernelModel[];
  summary: string;
}

export interface SharedBufferModel {
  name: string;
  ctype: string;
  dims: number[];
  writers: { endpoint: string; access: AieTilingParameters }[];
  readers: { endpoint: string; access: AieTilingParameters }[];
  column?: number;
  /** The memory plan's memory-tile columns and copies (2: ping-pong) of this buffer, for its location constraint. */
  columns?: number[];
  copies?: number;
}

export interface PlioModel {
  id: string;
  port: string;
  tensor: string;
  direction: 'in' | 'out';
  widthBits: number;
  file: string;
  dtype: AieDataType;
  frac: number;
  /** Elements per graph iteration. */
  elements: number;
  shape: number[];
}

export interface ConnectionModel {
  from: string;
  to: string;
}

export interface ProjectModel {
  name: string;
  device: string;
  rowsPerIteration: number;
  layers: LayerModel[];
  shared: SharedBufferModel[];
  plios: PlioModel[];
  connections: ConnectionModel[];
  /** dimensions(port) = {n} for every kernel buffer port. */
  dimensions: { port: string; elements: number }[];
  locations: string[];
  /** GMIO inputs feeding memory-tile weight stores, and the async ports' buffers per iteration. */
  gmio: GmioModel[];
  asyncRepetitions: { port: string; count: number }[];
}

/** The device the graph was planned for (kept by aie:legalize; an inline device description has no file to reload). */
function plannedDevice(graph: Graph): AieDevice {
  const d = graph.meta['aieDevice'] as AieDevice | undefined;
  if (!d) fail(undefined, `graph '${graph.name}' has no AIE device (graph.meta.aieDevice); convert it for backend AIE first`);
  return d;
}

function fail(node: IRNode | undefined, msg: string): never {
  throw new FirmflowError('aie.write', node ? `node '${node.name}' (${node.op}): ${msg}` : msg, node ? { node: node.name } : undefined);
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** How a kernel buffer port holds its tensor. */
export type Layout =
  | { kind: 'rowmajor'; rows: number; cols: number; colOff?: number; rowOff?: number }
  | { kind: 'blockedA'; tileM: number; tileK: number; m: number; k: number; rowOff: number; colOff: number; batch: number }
  | { kind: 'blockedB'; tileK: number; tileN: number; k: number; n: number; rowOff: number; colOff: number; batch: number }
  | { kind: 'blockedC'; tileM: number; tileN: number; m: number; n: number; rowOff: number; colOff: number; batch: number };

export interface Endpoint {
  /** ADF port expression, e.g. `k_fc1_c0_p0.in[0]`. */
  port: string;
  layout: Layout;
  /** The region of the root buffer the endpoint's tensor is (a Concat input, a Slice): [cols, rows] at an offset. */
  slot?: Region;
  /** A row range of its tensor (one kernel of a row-split layer), not the whole tensor. */
  part?: boolean;
}

/** A [cols x rows] region of a root tensor's row-major buffer (rows: all leading axes). */
interface Region {
  colOff: number;
  rowOff: number;
  cols: number;
  rows: number;
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

/** Blocked weights [tileK/k][tileN/n][k][n] of one kernel's slice, zero beyond the layer's K x N. */
export function blockWeights(w: ArrayLike<number>, K: number, N: number, k0: number, n0: number, tileK: number, tileN: number, k: number, n: number): number[] {
  const out: number[] = new Array(tileK * tileN).fill(0);
  let i = 0;
  for (let kb = 0; kb < tileK / k; kb++)
    for (let nb = 0; nb < tileN / n; nb++)
      for (let r = 0; r < k; r++)
        for (let c = 0; c < n; c++, i++) {
          const kk = k0 + kb * k + r;
          const nn = n0 + nb * n + c;
          if (kk < K && nn < N) out[i] = w[kk * N + nn];
        }
  return out;
}

function tilingOf(layer: AieLayer, node: IRNode): AieTiling {
  if (!layer.tiling) fail(node, 'has no tiling (run the aie:tile flow before writing)');
  return layer.tiling;
}

function roleOf(pos: number, len: number): 'single' | 'first' | 'middle' | 'last' {
  if (len === 1) return 'single';
  if (pos === 0) return 'first';
  return pos === len - 1 ? 'last' : 'middle';
}

/** Builds the project model. Throws a FirmflowError naming the node for anything the writer cannot emit. */
export function buildProjectModel(graph: Graph, projectName: string): ProjectModel {
  const meta = graph.meta['aie'] as AieGraphMeta | undefined;
  if (!meta) fail(undefined, `graph '${graph.name}' has no AIE plan (graph.meta.aie); convert it for backend AIE first`);
  const rows = meta.batch;
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
    const slot: Region = { colOff: v.colOff, rowOff: v.rowOff, cols, rows: prod(s) / cols };
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
    const out = layer.outputs[0];
    const cfg = `${id}_cfg`;
    const L: LayerModel = { node: node.name, id, kind: layer.kernel, header: `weights/${id}.h`, library: '', instantiations: [], config: { name: cfg, lines: [] }, arrays: [], kernels: [], summary: '' };
    const place = new Map((layer.placement?.kernels ?? []).map((k) => [`${k.chain}:${k.pos}`, k]));
    const kid = (chain: number, pos: number): string => place.get(`${chain}:${pos}`)?.id ?? `${id}_c${chain}_p${pos}`;
    const place1 = (k: KernelModel, chain: number, pos: number): void => {
      const p = place.get(`${chain}:${pos}`);
      if (p) {
        k.location = { col: p.col, row: p.row };
        locations.push(`adf::location<adf::kernel>(${k.id}) = adf::tile(${p.col}, ${p.row});`);
      }
    };
    const modes = (lines: string[]): void => {
      lines.push(`static constexpr aie::rounding_mode ROUNDING = ${ROUNDING_CPP(layer.rounding)};`);
      lines.push(`static constexpr aie::saturation_mode SATURATION = aie::saturation_mode::${layer.saturate ? 'saturate' : 'none'};`);
      // A narrow output quantizer's own code range (quantize.ts codeType), clamped after srs and ReLU.
      lines.push(`static constexpr bool CLAMP = ${layer.clamp ? 'true' : 'false'};`,
        `static constexpr int CLAMP_MIN = ${layer.clamp?.min ?? 0}, CLAMP_MAX = ${layer.clamp?.max ?? 0};`);
    };
    const cfgLines = L.config.lines;

    // Views move no data: their tensors are regions of their root's buffer (collectViews).
    if (layer.kernel === 'view') continue;

    if (layer.kernel === 'dense' || layer.kernel === 'matmul') {
      const t = tilingOf(layer, node);
      const [m, k, n] = t.microtile;
      const isDense = layer.kernel === 'dense';
      const a = layer.dtype.a;
      const w = layer.dtype.w ?? a;
      const perCol = typeof layer.shift !== 'number';
      // An int32 output (a float graph output): the bias is added after the upshift, by the chain's last kernel.
      const int32Out = layer.upshift !== undefined;
      const perColUp = Array.isArray(layer.upshift);
      L.library = 'dense.h';
      cfgLines.push(
        `using a_t = ${CPP_TYPE[a]};`, `using w_t = ${CPP_TYPE[w]};`, `using out_t = ${CPP_TYPE[layer.dtype.out]};`,
        `using bias_t = ${layer.dtype.acc === 'accfloat' ? 'float' : 'int32'};`, `using acc_t = ${layer.dtype.acc};`,
        `static constexpr aie_dm_resource DM = aie_dm_resource::none;`,
        `static constexpr unsigned BATCH = ${t.batch};`,
        `static constexpr unsigned MM_M = ${m}, MM_K = ${k}, MM_N = ${n};`,
        `static constexpr unsigned TILE_M = ${t.tileM}, TILE_K = ${t.tileK}, TILE_N = ${t.tileN};`,
        `static constexpr unsigned CAS_LENGTH = ${t.casLength}, CAS_NUM = ${t.casNum};`,
        `static constexpr bool HAS_BIAS = ${isDense && (layer.biasCodes || layer.biasFloat) ? 'true' : 'false'};`,
        `static constexpr bool RELU = ${layer.fusedRelu ? 'true' : 'false'};`,
        `static constexpr bool PER_COLUMN_SHIFT = ${perCol ? 'true' : 'false'};`,
        `static constexpr int SHIFT = ${perCol ? 0 : layer.shift};`,
      );
      if (perCol) cfgLines.push(`static constexpr int SHIFTS[${t.tileN * t.casNum}] = {${padTo(layer.shift as number[], t.tileN * t.casNum).join(', ')}};`);
      cfgLines.push(
        `static constexpr bool INT32_OUT = ${int32Out ? 'true' : 'false'};`,
        `static constexpr bool PER_COLUMN_UPSHIFT = ${perColUp ? 'true' : 'false'};`,
        `static constexpr int UPSHIFT = ${int32Out && !perColUp ? (layer.upshift as number) : 0};`,
      );
      if (perColUp) cfgLines.push(`static constexpr int UPSHIFTS[${t.tileN * t.casNum}] = {${padTo(layer.upshift as number[], t.tileN * t.casNum).join(', ')}};`);
      modes(cfgLines);
      if (t.weights === 'memtile') {
        // Weights streamed from memory tiles (GMIO -> shared buffer -> async port): writer/streamed.ts.
        writeStreamedDense({
          node, layer, L, t, cfg, meta, device: plannedDevice(graph), cppType: CPP_TYPE, kid, place: place1, dimensions, connections: connectionsCascade, out: streamed,
          readA: (ends) => addConsumer(resolve(layer.inputs[0]), node, inRoot(layer.inputs[0], ends)),
          writeC: (ends) => addProducer(out, node, layer, ends),
        });
        layers.push(L);
        continue;
      }
      const batch = t.batch;
      for (let c = 0; c < t.casNum; c++) {
        for (let p = 0; p < t.casLength; p++) {
          const role = roleOf(p, t.casLength);
          // A Dense with per-column shifts: chain c's first column (template argument COL0) selects its shifts.
          const cls = `firmflow::${isDense ? 'Dense' : 'MatMul'}<${cfg}, firmflow::Role::${role}${isDense && (perCol || perColUp) && c > 0 && t.split === 'N' ? `, ${c * t.tileN}` : ''}>`;
          if (!L.instantiations.includes(cls)) L.instantiations.push(cls);
          const kId = `k_${kid(c, p)}`;
          const km: KernelModel = { id: kId, layer: node.name, cls, ctorArgs: [], source: `kernels/${id}.cc`, inDims: [], outDims: [] };
          const colOff = t.split === 'N' ? c * t.tileN : 0;
          const rowOff = t.split === 'M' ? c * t.tileM : 0;
          if (isDense) {
            const wName = `${id}_w_c${c}_p${p}`;
            const bName = `${id}_b_c${c}_p${p}`;
            const codes = layer.weightsCodes;
            if (!codes) fail(node, 'has no weight codes');
            L.arrays.push({ name: wName, ctype: CPP_TYPE[w], values: blockWeights(codes, t.K, t.N, p * t.tileK, colOff, t.tileK, t.tileN, k, n) });
            const bias = new Array(t.tileN).fill(0);
            const src = layer.dtype.acc === 'accfloat' ? layer.biasFloat : layer.biasCodes;
            if (src && p === biasPosition(layer, t.casLength)) for (let j = 0; j < t.tileN && colOff + j < t.N; j++) bias[j] = src[colOff + j];
            L.arrays.push({ name: bName, ctype: layer.dtype.acc === 'accfloat' ? 'float' : 'int32', values: bias });
            km.ctorArgs = [wName, bName];
          }
          // Port indices follow the run_* signatures: buffers, then cascade in, then outputs.
          const aEnd: Endpoint = { port: `${kId}.in[0]`, layout: { kind: 'blockedA', tileM: t.tileM, tileK: t.tileK, m, k, rowOff, colOff: p * t.tileK, batch } };
          km.inDims[0] = t.tileM * t.tileK * batch;
          dimensions.push({ port: aEnd.port, elements: km.inDims[0]! });
          addConsumer(resolve(layer.inputs[0]), node, inRoot(layer.inputs[0], [aEnd]));
          if (!isDense) {
            const bEnd: Endpoint = { port: `${kId}.in[1]`, layout: { kind: 'blockedB', tileK: t.tileK, tileN: t.tileN, k, n, rowOff: p * t.tileK, colOff, batch } };
            km.inDims[1] = t.tileK * t.tileN * batch;
            dimensions.push({ port: bEnd.port, elements: km.inDims[1]! });
            addConsumer(resolve(layer.inputs[1]), node, inRoot(layer.inputs[1], [bEnd]));
          }
          const nBuf = isDense ? 1 : 2;
          if (role === 'single' || role === 'last') {
            const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'blockedC', tileM: t.tileM, tileN: t.tileN, m, n, rowOff, colOff, batch } };
            km.outDims[0] = t.tileM * t.tileN * batch;
            dimensions.push({ port: oEnd.port, elements: km.outDims[0]! });
            addProducer(out, node, layer, [oEnd]);
          }
          if (p > 0) connectionsCascade.push({ from: `k_${kid(c, p - 1)}.out[0]`, to: `${kId}.in[${nBuf}]` });
          place1(km, c, p);
          L.kernels.push(km);
        }
      }
      L.summary = `${layer.kernel} ${t.M}x${t.K}x${t.N}${batch > 1 ? ` (x${batch})` : ''}, cascade ${t.casLength} x ${t.casNum}, mmul ${m}x${k}x${n}`;
    } else {
      // Row-parallel kernels (row-major buffers): the plan's casNum kernels, kernel c taking units (rows; whole
      // matrices for Transpose) [c*tileM, (c+1)*tileM) of the layer's output. The last kernel of an uneven split
      // works on padding units beyond the real ones (zeros read from the memory tile, results written to the
      // buffer's padding rows).
      const t = layer.tiling ?? fail(node, 'has no tiling (run the aie:tile flow before writing)');
      const outShape = layer.shapes.output;
      const cols = outShape[outShape.length - 1];
      const isT = layer.kernel === 'transpose';
      const units = isT ? prod(outShape.slice(0, -2)) : prod(outShape.slice(0, -1));
      const perUnit = isT ? cols * outShape[outShape.length - 2] : cols;
      if (t.M !== units || t.K !== perUnit || t.casLength !== 1 || t.tileM * t.casNum < units) {
        fail(node, `its tiling (${t.casNum} kernels of ${t.tileM} of ${t.M} ${isT ? 'matrices' : 'rows'} of ${t.K} elements) does not match its ${JSON.stringify(outShape)} output`);
      }
      const casNum = t.casNum, tileM = t.tileM;
      const split = casNum > 1;
      const size = tileM * perUnit;
      const a = layer.dtype.a;
      const lanes = a === 'int16' || layer.dtype.out === 'int16' ? 16 : 32;
      const base = [`using a_t = ${CPP_TYPE[a]};`, `using out_t = ${CPP_TYPE[layer.dtype.out]};`, `static constexpr unsigned SIZE = ${size};`];
      // Row-major rows of an operand (or the output) per unit: 1, or a matrix's rows for Transpose.
      const rowsPerUnit = (s: number[]): number => (isT ? s[s.length - 2] : 1);
      /** Per-kernel constructor arguments (Add's constant window), by kernel index. */
      const perKernelArgs: string[][] = [];
      /** Per-kernel kernel functions (Add of a broadcast runtime operand: each kernel's row offset), by kernel index. */
      const perKernelCls: string[] = [];
      // An Add whose runtime operand `side` broadcasts (quantize marks it): its rows and each kernel's window of them.
      const bSide = layer.kernel === 'add' && layer.inputs.length > 1 ? (layer.attrs['broadcastSide'] as number | undefined) : undefined;
      const bcast = bSide === undefined ? undefined : ((): { side: number; b: RowBroadcast; win: ReturnType<typeof broadcastWindows> } => {
        const b = rowBroadcast(outShape, layer.shapes.inputs[bSide]);
        if (typeof b === 'string') fail(node, `operand '${layer.inputs[bSide]}' ${b}`);
        return { side: bSide, b, win: broadcastWindows(b, tileM, casNum) };
      })();
      let cls = '';
      let ctorShared: string[] = [];
      switch (layer.kernel) {
        case 'add': {
          const w = layer.dtype.w ?? a;
          const runtimeB = layer.inputs.length > 1;
          if (runtimeB && bcast) {
            // A broadcast runtime operand: the full-shape operand goes to port in[0], the broadcast one to in[1].
            const [fa, fb] = bcast.side === 0 ? [w, a] : [a, w];
            const fw0 = typeof layer.frac.w === 'number' ? layer.frac.w : layer.frac.a;
            const [sa, sb] = bcast.side === 0 ? [fw0, layer.frac.a] : [layer.frac.a, fw0];
            const F = Math.max(sa, sb);
            const { b: bc, win } = bcast;
            const bl = [fa, fb, layer.dtype.out].includes('int16') ? 16 : 32;
            L.library = 'elementwise.h';
            cfgLines.push(`using a_t = ${CPP_TYPE[fa]};`, `using out_t = ${CPP_TYPE[layer.dtype.out]};`, `static constexpr unsigned SIZE = ${size};`,
              `using b_t = ${CPP_TYPE[fb]};`, `using acc_t = ${fa === 'bf16' ? 'accfloat' : fa === 'int16' || fb === 'int16' ? 'acc64' : 'acc32'};`,
              `static constexpr unsigned LANES = ${bl}, COLS = ${cols}, B_SIZE = ${win.rows * bc.bCols}, B_COLS = ${bc.bCols};`,
              `static constexpr unsigned GROUP = ${bc.group}, PERIOD = ${bc.repeat > 1 ? bc.period : 0};`,
              `static constexpr int SHIFT_A = ${F - sa}, SHIFT_B = ${F - sb}, SHIFT = ${F - layer.frac.out};`,
              `static constexpr bool RELU = ${layer.fusedRelu ? 'true' : 'false'};`);
            for (let c = 0; c < casNum; c++) {
              const fn = `firmflow::add_broadcast<${cfg}, ${c * tileM}, ${win.starts[c]}>`;
              perKernelCls[c] = `fn:${fn}`;
              const inst = `void ${fn}(adf::input_buffer<${cfg}::a_t>&, adf::input_buffer<${cfg}::b_t>&, adf::output_buffer<${cfg}::out_t>&)`;
              if (!L.instantiations.includes(inst)) L.instantiations.push(inst);
            }
            cls = perKernelCls[0];
            L.summary = `add ${outShape.join('x')} + broadcast ${layer.shapes.inputs[bcast.side].join('x')}`;
            break;
          }
          if (runtimeB && prod(layer.shapes.inputs[1]) !== prod(outShape)) fail(node, `operands ${JSON.stringify(layer.shapes.inputs)} differ; the AIE Add of two runtime tensors takes equal shapes (or one that broadcasts, marked by quantize)`);
          const fw = typeof layer.frac.w === 'number' ? layer.frac.w : layer.frac.a;
          const F = Math.max(layer.frac.a, fw);
          let bSize = size;
          if (!runtimeB) {
            const cShape = (layer.attrs['constShape'] as number[] | undefined) ?? outShape;
            const codes = layer.weightsCodes ?? fail(node, 'has no codes for its constant operand');
            const c = constantWindows(node, codes, cShape, outShape, size, casNum, lanes);
            bSize = c.bSize;
            const distinct = new Map<string, string>();
            c.windows.forEach((win, k) => {
              const key = win.join(',');
              let name = distinct.get(key);
              if (!name) {
                name = distinct.size === 0 ? `${id}_const` : `${id}_const_${distinct.size}`;
                distinct.set(key, name);
                L.arrays.push({ name, ctype: CPP_TYPE[w], values: win });
              }
              perKernelArgs[k] = [name];
            });
          }
          L.library = 'elementwise.h';
          cfgLines.push(...base, `using b_t = ${CPP_TYPE[w]};`, `using acc_t = ${a === 'bf16' ? 'accfloat' : layer.dtype.a === 'int16' || w === 'int16' ? 'acc64' : 'acc32'};`,
            `static constexpr unsigned LANES = ${lanes}, B_SIZE = ${bSize};`,
            `static constexpr int SHIFT_A = ${F - layer.frac.a}, SHIFT_B = ${F - fw}, SHIFT = ${F - layer.frac.out};`,
            `static constexpr bool RELU = ${layer.fusedRelu ? 'true' : 'false'};`);
          if (runtimeB) {
            L.instantiations.push(`void firmflow::add<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::input_buffer<${cfg}::b_t>&, adf::output_buffer<${cfg}::out_t>&)`);
            cls = `fn:firmflow::add<${cfg}>`;
          } else {
            cls = `firmflow::AddConst<${cfg}>`;
            L.instantiations.push(cls);
          }
          L.summary = `add ${outShape.join('x')}`;
          break;
        }
        case 'relu':
          L.library = 'elementwise.h';
          cfgLines.push(...base, `using acc_t = ${a === 'int16' ? 'acc64' : 'acc32'};`, `static constexpr unsigned LANES = ${lanes};`,
            `static constexpr int SHIFT = ${Math.max(0, layer.frac.a - layer.frac.out)}, UPSHIFT = ${Math.max(0, layer.frac.out - layer.frac.a)};`);
          cls = `fn:firmflow::relu<${cfg}>`;
          L.instantiations.push(`void firmflow::relu<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::output_buffer<${cfg}::out_t>&)`);
          L.summary = `relu ${outShape.join('x')}`;
          break;
        case 'activation': {
          // Sigmoid / Tanh: one table (activation.ts, computed here once), shared by the casNum kernels' constructors.
          const fn = layer.attrs['fn'] as ActivationFn;
          L.library = 'elementwise.h';
          if (a === 'bf16') {
            const t = bf16ActivationTable(fn);
            cfgLines.push(...base, `static constexpr unsigned E0 = ${t.e0}, E1 = ${t.e1};`,
              `static constexpr bool BELOW_IDENTITY = ${t.below < 0 ? 'true' : 'false'};`,
              `static constexpr uint16 BELOW = 0x${Math.max(0, t.below).toString(16)}, SAT_POS = 0x${t.satPos.toString(16)}, SAT_NEG = 0x${t.satNeg.toString(16)};`);
            L.arrays.push({ name: `${id}_lut`, ctype: 'uint16', values: Array.from(t.table) });
            cls = `firmflow::LookupBf16<${cfg}>`;
          } else {
            if (a !== 'int8') fail(node, `a ${fn} table lookup takes int8 input codes, not ${a}`);
            cfgLines.push(...base);
            L.arrays.push({ name: `${id}_lut`, ctype: CPP_TYPE[layer.dtype.out], values: Array.from(intActivationTable(layer).table) });
            cls = `firmflow::LookupInt8<${cfg}>`;
          }
          ctorShared = [`${id}_lut`];
          L.instantiations.push(cls);
          L.summary = `${fn}${a === 'bf16' ? ' (bf16)' : ''} ${outShape.join('x')} (table lookup)`;
          break;
        }
        case 'transpose': {
          const s = layer.shapes.inputs[0];
          L.library = 'elementwise.h';
          cfgLines.push(...base, `static constexpr unsigned BATCH = ${tileM}, ROWS = ${s[s.length - 2]}, COLS = ${s[s.length - 1]};`);
          cls = `fn:firmflow::transpose<${cfg}>`;
          L.instantiations.push(`void firmflow::transpose<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::output_buffer<${cfg}::out_t>&)`);
          L.summary = `transpose ${s.join('x')}`;
          break;
        }
        case 'softmax': {
          if (a === 'bf16') {
            L.library = 'normalize.h';
            cfgLines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, `static constexpr int E0 = ${SOFTMAX_BF16_E0}, E1 = ${SOFTMAX_BF16_E1};`);
            L.arrays.push({ name: `${id}_exp`, ctype: 'float', values: softmaxBf16Table() });
            cls = `firmflow::SoftmaxBf16<${cfg}>`;
            ctorShared = [`${id}_exp`];
            L.instantiations.push(cls);
            L.summary = `softmax (bf16) ${outShape.join('x')}`;
            break;
          }
          const tab = softmaxTables(layer.frac.a);
          L.library = 'normalize.h';
          cfgLines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, 'static constexpr int EXP_FRAC = 14, RECIP_BITS = 28;', `static constexpr int OUT_FRAC = ${layer.frac.out};`);
          L.arrays.push({ name: `${id}_exp`, ctype: 'int32', values: tab.exp });
          cls = `firmflow::Softmax<${cfg}>`;
          ctorShared = [`${id}_exp`];
          L.instantiations.push(cls);
          L.summary = `softmax ${outShape.join('x')}`;
          break;
        }
        case 'layernorm': {
          if (a === 'bf16') {
            const c = layerNormBf16Constants(layer, cols);
            L.library = 'normalize.h';
            cfgLines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, `static constexpr float EPS = ${fp32Literal(c.eps)};`);
            L.arrays.push({ name: `${id}_gamma`, ctype: 'float', values: c.gamma }, { name: `${id}_beta`, ctype: 'float', values: c.beta });
            cls = `firmflow::LayerNormBf16<${cfg}>`;
            ctorShared = [`${id}_gamma`, `${id}_beta`];
            L.instantiations.push(cls);
            L.summary = `layernorm (bf16) ${outShape.join('x')}`;
            break;
          }
          const c = layerNormConstants(layer, cols);
          L.library = 'normalize.h';
          cfgLines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, `static constexpr long long EPS_V = ${c.epsV}LL;`,
            `static constexpr int NORM_FRAC = 12, RSQ_BITS = 21, GAMMA_FRAC = ${c.gammaFrac}, OUT_FRAC = ${layer.frac.out};`);
          L.arrays.push({ name: `${id}_gamma`, ctype: 'int16', values: c.gammaQ }, { name: `${id}_beta`, ctype: 'int32', values: c.betaQ }, { name: `${id}_rsqrt`, ctype: 'int16', values: c.rsqrt });
          cls = `firmflow::LayerNorm<${cfg}>`;
          ctorShared = [`${id}_gamma`, `${id}_beta`, `${id}_rsqrt`];
          L.instantiations.push(cls);
          L.summary = `layernorm ${outShape.join('x')}`;
          break;
        }
        default:
          fail(node, `no AIE kernel for '${layer.kernel}'`);
      }
      modes(cfgLines);
      if (split) L.summary += `, ${casNum} kernels of ${tileM} ${isT ? 'matrices' : 'rows'}${tileM * casNum > units ? ` (${tileM * casNum - units} padding)` : ''}`;
      for (let c = 0; c < casNum; c++) {
        const kId = `k_${kid(c, 0)}`;
        const km: KernelModel = { id: kId, layer: node.name, cls: perKernelCls[c] ?? cls, ctorArgs: perKernelArgs[c] ?? ctorShared, source: `kernels/${id}.cc`, inDims: [], outDims: [size] };
        layer.inputs.forEach((tn, i) => {
          if (bcast) {
            // The broadcast operand's window of rows (in[1]); the full operand's tileM rows (in[0]).
            const port = i === bcast.side ? 1 : 0;
            const bc = bcast.b, win = bcast.win;
            const e: Endpoint = port === 1
              ? { port: `${kId}.in[1]`, layout: { kind: 'rowmajor', rows: win.rows, cols: bc.bCols, rowOff: win.starts[c] }, ...(win.whole ? {} : { part: true }) }
              : { port: `${kId}.in[0]`, layout: { kind: 'rowmajor', rows: tileM, cols, rowOff: c * tileM }, ...(split ? { part: true } : {}) };
            const l = e.layout as Extract<Layout, { kind: 'rowmajor' }>;
            km.inDims[port] = l.rows * l.cols;
            dimensions.push({ port: e.port, elements: l.rows * l.cols });
            addConsumer(resolve(tn), node, inRoot(tn, [e]));
            return;
          }
          const s = layer.shapes.inputs[i] ?? outShape;
          const ic = s[s.length - 1] ?? cols;
          const r = tileM * rowsPerUnit(s);
          const e: Endpoint = { port: `${kId}.in[${i}]`, layout: { kind: 'rowmajor', rows: r, cols: ic, rowOff: c * r }, ...(split ? { part: true } : {}) };
          km.inDims[i] = r * ic;
          dimensions.push({ port: e.port, elements: r * ic });
          addConsumer(resolve(tn), node, inRoot(tn, [e]));
        });
        const r = tileM * rowsPerUnit(outShape);
        const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'rowmajor', rows: r, cols, rowOff: c * r }, ...(split ? { part: true } : {}) };
        dimensions.push({ port: oEnd.port, elements: size });
        addProducer(out, node, layer, [oEnd]);
        place1(km, c, 0);
        L.kernels.push(km);
      }
    }
    layers.push(L);
  }

  // ----------------------------------------------------------------- PLIO ports
  const plios: PlioModel[] = [];
  const plioWidth = meta.plio[0]?.widthBits ?? 128;
  const portId = new Set<string>();
  const pid = (base: string): string => {
    let s = base;
    for (let i = 2; portId.has(s); i++) s = `${base}_${i}`;
    portId.add(s);
    return s;
  };
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
  for (const port of graph.inputs) {
    const f = fmtOf(port.tensor);
    const id = pid(`in_${graph.tensor(port.tensor).id}`);
    const shape = shapeOfTensor(port.tensor);
    plios.push({ id, port: port.name, tensor: port.tensor, direction: 'in', widthBits: plioWidth, file: `data/${id}.txt`, ...f, elements: prod(shape), shape });
  }
  for (const port of graph.outputs) {
    const t = resolve(port.tensor);
    const p = producers.get(t);
    if (!p) fail(undefined, `graph output '${port.name}' is not produced by an AIE kernel`);
    const id = pid(`out_${graph.tensor(port.tensor).id}`);
    const shape = shapeOfTensor(port.tensor);
    plios.push({ id, port: port.name, tensor: t, direction: 'out', widthBits: plioWidth, file: `data/${id}.txt`, dtype: p.layer.dtype.out, frac: p.layer.frac.out, elements: prod(shape), shape });
  }

  // ----------------------------------------------------------------- connections
  const connections: ConnectionModel[] = [...connectionsCascade];
  const shared: SharedBufferModel[] = [];
  const planned = new Map((meta.sharedBuffers ?? []).map((b) => [b.tensor, b]));
  const tensors = new Set<string>([...producers.keys(), ...graph.inputs.flatMap((p) => [resolve(p.tensor), ...(copies.get(p.tensor) ?? []).map((c) => copyTarget(c).root)])]);
  const wholeOf = (t: string): Layout => {
    const s = shapeOf(t);
    const c = s[s.length - 1] ?? 1;
    return { kind: 'rowmajor', rows: prod(s) / c, cols: c };
  };
  for (const t of [...tensors].sort((a, b) => order(graph, a) - order(graph, b) || (a < b ? -1 : 1))) {
    const srcEnds: Endpoint[] = [];
    const p = producers.get(t);
    if (p) srcEnds.push(...p.ends);
    const shape = shapeOfTensor(t);
    const cols = shape[shape.length - 1] ?? 1;
    const total = prod(shape);
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
      while (prod(extent) % l.cols !== 0) extent[extent[2] > 1 ? 2 : 1]++;
    }
    const real = [cols, total / cols / batch, batch];
    const plan = planned.get(t);
    const name = `mt_${graph.tensor(t).id}`;
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
      const dims = reshaped(e) || extent[2] > 1 ? [gc, prod(extent) / gc, 1] : extent;
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
  return { name: projectName, device: meta.device, rowsPerIteration: rows, layers, shared, plios, connections, dimensions, locations, gmio: streamed.gmio, asyncRepetitions: streamed.repetitions };
}


type ViewStep = { src: string; colOff: number; rowOff: number };

/**
 * The views of a graph: tensor -> the tensor whose buffer holds it, at a (column, row) offset (rows: leading axes).
 * A Slice's output and each part of a Split are regions of their input's buffer.
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
    if (l?.kernel !== 'view') continue;
    const out = l.outputs[0];
    const outS = l.shapes.output;
    const rank = outS.length;
    if (node.op === 'Concat') {
      const axis = ((Number(l.attrs['axis']) % rank) + rank) % rank;
      if (axis !== rank - 1 && prod(outS.slice(0, axis)) !== 1) fail(node, `along axis ${axis} of ${JSON.stringify(outS)} its inputs interleave; only the last axis or the outermost non-unit axis is a view`);
      let acc = 0;
      l.inputs.forEach((t, i) => {
        const s = l.shapes.inputs[i];
        const v = axis === rank - 1 ? { src: out, colOff: acc, rowOff: 0 } : { src: out, colOff: 0, rowOff: acc * prod(s.slice(axis + 1, -1)) };
        if (views.has(t)) fail(node, `operand '${t}' is already a region of '${views.get(t)!.src}' (a Slice, a Reshape, or a repeated operand); a Concat operand must be a kernel's output or a graph input`);
        if (graph.isGraphInput(t) || graph.isGraphOutput(t) || graph.consumers(t).length > 1) {
          const p = graph.producer(t);
          if (p && (p.meta['aie'] as AieLayer | undefined)?.kernel === 'view') fail(node, `operand '${t}' is a view (${p.op}) that other layers read too; the writer copies only kernel outputs and graph inputs into a Concat`);
          if (!copies.has(t)) copies.set(t, []);
          copies.get(t)!.push(v);
        } else set(node, t, v);
        acc += s[axis];
      });
    } else if (node.op === 'Slice') {
      const inS = l.shapes.inputs[0];
      const axes = (l.attrs['axes'] as number[] | undefined) ?? inS.map((_, i) => i);
      const starts = l.attrs['starts'] as number[];
      const cut = axes.map((a, i) => ({ a: a < 0 ? a + inS.length : a, s: starts[i] })).filter((x) => outS[x.a] !== inS[x.a]);
      if (cut.length > 1) fail(node, `slices ${cut.length} axes; a view slices one`);
      let colOff = 0, rowOff = 0;
      if (cut.length === 1) {
        const { a } = cut[0];
        const st = Math.min(Math.max(cut[0].s < 0 ? cut[0].s + inS[a] : cut[0].s, 0), inS[a]);
        if (a === inS.length - 1) colOff = st;
        else if (prod(inS.slice(0, a)) === 1) rowOff = st * prod(inS.slice(a + 1, -1));
        else fail(node, `a slice of axis ${a} of ${JSON.stringify(inS)} is not contiguous; only the last axis or the outermost non-unit axis is a view`);
      }
      set(node, out, { src: l.inputs[0], colOff, rowOff });
    } else if (node.op === 'Split') {
      // Each part is a block of the input's columns (last axis) or rows (outermost non-unit axis), in order.
      const inS = l.shapes.inputs[0];
      const r = inS.length;
      const axis = ((Number(l.attrs['axis']) % r) + r) % r;
      const sizes = l.attrs['split'] as number[];
      if (axis !== r - 1 && prod(inS.slice(0, axis)) !== 1) fail(node, `along axis ${axis} of ${JSON.stringify(inS)} its parts interleave; only the last axis or the outermost non-unit axis is a view`);
      let acc = 0;
      node.outputs.forEach((t, i) => {
        const at = acc;
        acc += sizes[i];
        if (t === '') return;
        set(node, t, axis === r - 1 ? { src: l.inputs[0], colOff: at, rowOff: 0 } : { src: l.inputs[0], colOff: 0, rowOff: at * prod(inS.slice(axis + 1, -1)) });
      });
    } else {
      // Reshape / Flatten / Squeeze / Unsqueeze / Identity: the same bytes in the same order.
      set(node, out, { src: l.inputs[0], colOff: 0, rowOff: 0 });
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
      if (last(x) !== last(v.src) && prod(shapeOf(x)) === prod(shapeOf(v.src)) && v.colOff === 0 && v.rowOff === 0) reshaped = true;
      x = v.src;
    }
    if (reshaped && (colOff !== 0 || rowOff !== 0 || prod(shapeOf(t)) !== prod(shapeOf(x)))) {
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

/**
 * The constant operand of an Add as each kernel of a row split sees it: the constant broadcast to the output repeats
 * with period P (the trailing axes from its first non-unit one); kernel c, starting at output element c*size, gets
 * the window of B_SIZE values from (c*size) mod P on. B_SIZE is a multiple of the vector lanes (whole vector loads at
 * i mod B_SIZE never cross its end) and of P (so i mod B_SIZE keeps the phase), or covers the kernel's whole size.
 */
export function constantWindows(node: IRNode, codes: ArrayLike<number>, cShape: number[], outShape: number[], size: number, casNum: number, lanes: number): { bSize: number; windows: number[][] } {
  if (cShape.length > outShape.length || prod(cShape) !== codes.length) fail(node, `constant operand of shape ${JSON.stringify(cShape)} (${codes.length} values) does not broadcast to the output ${JSON.stringify(outShape)}`);
  const cs = [...new Array<number>(outShape.length - cShape.length).fill(1), ...cShape];
  cs.forEach((d, i) => {
    if (d !== 1 && d !== outShape[i]) fail(node, `constant operand of shape ${JSON.stringify(cShape)} does not broadcast to the output ${JSON.stringify(outShape)}`);
  });
  let j = 0;
  while (j < cs.length && cs[j] === 1) j++;
  const tail = outShape.slice(j);
  const P = prod(tail);
  // The constant expanded over one period of the output.
  const period = new Array<number>(P);
  const strides = cs.slice(j).map((_, i) => prod(cs.slice(j + i + 1)));
  for (let e = 0; e < P; e++) {
    let rest = e, src = 0;
    for (let i = tail.length - 1; i >= 0; i--) {
      const x = rest % tail[i];
      rest = Math.floor(rest / tail[i]);
      if (cs[j + i] !== 1) src += x * strides[i];
    }
    period[e] = codes[src];
  }
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  const whole = Math.ceil(size / lanes) * lanes;
  const lcm = (P / gcd(P, lanes)) * lanes;
  const bSize = Math.min(lcm, whole);
  const windows: number[][] = [];
  for (let c = 0; c < casNum; c++) windows.push(Array.from({ length: bSize }, (_, i) => period[(c * size + i) % P]));
  return { bSize, windows };
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

function padTo(a: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => a[i] ?? 0);
}
