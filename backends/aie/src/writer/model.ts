/*
 * The AIE project model: everything the templates print, computed from the lowered graph (node.meta.aie,
 * graph.meta.aie). Kernels, their configuration structs and constructor arrays, memory-tile shared buffers with the
 * DMA access patterns that re-block tensors between row-major (streams, shared buffers) and the mmul-blocked
 * kernel buffers, PLIO ports and the connections. Names come only from sanitized identifiers (tensor and node ids).
 */
import { FirmflowError, type Graph, type IRNode } from 'firmflow';
import { layerNormConstants, softmaxTables } from '../emulate.js';
import type { AieDataType, AieGraphMeta, AieLayer, AieTiling, AieTilingParameters } from '../lowered.js';

export const CPP_TYPE: Record<AieDataType | 'int32', string> = { int8: 'int8', int16: 'int16', bf16: 'bfloat16', int32: 'int32' };
const ROUNDING_CPP = (r: string): string => `aie::rounding_mode::${r}`;

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
}

function fail(node: IRNode | undefined, msg: string): never {
  throw new FirmflowError('aie.write', node ? `node '${node.name}' (${node.op}): ${msg}` : msg, node ? { node: node.name } : undefined);
}

const prod = (s: number[]): number => s.reduce((a, b) => a * b, 1);

/** How a kernel buffer port holds its tensor. */
type Layout =
  | { kind: 'rowmajor'; rows: number; cols: number }
  | { kind: 'blockedA'; tileM: number; tileK: number; m: number; k: number; rowOff: number; colOff: number; batch: number }
  | { kind: 'blockedB'; tileK: number; tileN: number; k: number; n: number; rowOff: number; colOff: number; batch: number }
  | { kind: 'blockedC'; tileM: number; tileN: number; m: number; n: number; rowOff: number; colOff: number; batch: number };

interface Endpoint {
  /** ADF port expression, e.g. `k_fc1_c0_p0.in[0]`. */
  port: string;
  layout: Layout;
}

/** Access pattern of one kernel buffer inside a row-major [batch][rows][cols] shared buffer. */
function accessFor(l: Layout, dims: number[], boundary?: number[]): AieTilingParameters {
  const withBoundary = (t: AieTilingParameters): AieTilingParameters => (boundary && boundary.some((b, i) => b !== dims[i]) ? { ...t, padding: boundary.map((b, i) => ({ before: 0, after: dims[i] - b })) } : t);
  switch (l.kind) {
    case 'rowmajor':
      return { buffer_dimension: dims, tiling_dimension: dims, offset: dims.map(() => 0), tile_traversal: [] };
    case 'blockedA':
      return withBoundary({
        buffer_dimension: dims,
        tiling_dimension: [l.k, l.m, 1],
        offset: [l.colOff, l.rowOff, 0],
        tile_traversal: [{ dimension: 0, stride: l.k, wrap: l.tileK / l.k }, { dimension: 1, stride: l.m, wrap: l.tileM / l.m }, { dimension: 2, stride: 1, wrap: l.batch }],
      });
    case 'blockedB':
      return withBoundary({
        buffer_dimension: dims,
        tiling_dimension: [l.n, l.k, 1],
        offset: [l.colOff, l.rowOff, 0],
        tile_traversal: [{ dimension: 0, stride: l.n, wrap: l.tileN / l.n }, { dimension: 1, stride: l.k, wrap: l.tileK / l.k }, { dimension: 2, stride: 1, wrap: l.batch }],
      });
    case 'blockedC':
      return {
        buffer_dimension: dims,
        tiling_dimension: [l.n, l.m, 1],
        offset: [l.colOff, l.rowOff, 0],
        tile_traversal: [{ dimension: 0, stride: l.n, wrap: l.tileN / l.n }, { dimension: 1, stride: l.m, wrap: l.tileM / l.m }, { dimension: 2, stride: 1, wrap: l.batch }],
      };
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
  if (layer.tiling.weights === 'memtile') fail(node, `its weights (${layer.tiling.K} x ${layer.tiling.N}) are planned in memory tiles; the writer emits tile-resident weights only (lower casLength/casNum limits or a larger device)`);
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
  const aliases = new Map<string, string>();
  const connectionsCascade: ConnectionModel[] = [];
  const resolve = (t: string): string => {
    let x = t;
    while (aliases.has(x)) x = aliases.get(x)!;
    return x;
  };

  for (const node of graph.topoOrder()) {
    const layer = node.meta['aie'] as AieLayer | undefined;
    if (!layer) fail(node, 'has no AIE lowering (node.meta.aie)');
    const id = node.id;
    const out = layer.outputs[0];
    const cfg = `${id}_cfg`;
    const L: LayerModel = { node: node.name, id, kind: layer.kernel, header: `weights/${id}.h`, library: '', instantiations: [], config: { name: cfg, lines: [] }, arrays: [], kernels: [], summary: '' };
    const place = new Map((layer.placement?.kernels ?? []).map((k) => [`${k.chain}:${k.pos}`, k]));
    const kid = (chain: number, pos: number): string => place.get(`${chain}:${pos}`)?.id ?? `${id}_c${chain}_p${pos}`;
    const locate = (k: KernelModel, chain: number, pos: number): void => {
      const p = place.get(`${chain}:${pos}`);
      if (p) {
        k.location = { col: p.col, row: p.row };
        locations.push(`adf::location<adf::kernel>(${k.id}) = adf::tile(${p.col}, ${p.row});`);
      }
    };
    const modes = (lines: string[]): void => {
      lines.push(`static constexpr aie::rounding_mode ROUNDING = ${ROUNDING_CPP(layer.rounding)};`);
      lines.push(`static constexpr aie::saturation_mode SATURATION = aie::saturation_mode::${layer.saturate ? 'saturate' : 'none'};`);
    };
    const cfgLines = L.config.lines;

    if (layer.kernel === 'view' && (node.op === 'Reshape' || node.op === 'Flatten' || node.op === 'Squeeze' || node.op === 'Unsqueeze' || node.op === 'Identity')) {
      // Same bytes in the same order: the consumers read the producer's tensor.
      aliases.set(out, layer.inputs[0]);
      continue;
    }
    if (layer.kernel === 'view') fail(node, `${node.op} as a view needs a memory-tile plan the writer does not emit yet`);

    if (layer.kernel === 'dense' || layer.kernel === 'matmul') {
      const t = tilingOf(layer, node);
      const [m, k, n] = t.microtile;
      const isDense = layer.kernel === 'dense';
      const a = layer.dtype.a;
      const w = layer.dtype.w ?? a;
      const perCol = typeof layer.shift !== 'number';
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
      modes(cfgLines);
      const batch = t.batch;
      for (let c = 0; c < t.casNum; c++) {
        for (let p = 0; p < t.casLength; p++) {
          const role = roleOf(p, t.casLength);
          const cls = `firmflow::${isDense ? 'Dense' : 'MatMul'}<${cfg}, firmflow::Role::${role}>`;
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
            if (src && p === 0) for (let j = 0; j < t.tileN && colOff + j < t.N; j++) bias[j] = src[colOff + j];
            L.arrays.push({ name: bName, ctype: layer.dtype.acc === 'accfloat' ? 'float' : 'int32', values: bias });
            km.ctorArgs = [wName, bName];
          }
          // Port indices follow the run_* signatures: buffers, then cascade in, then outputs.
          const aEnd: Endpoint = { port: `${kId}.in[0]`, layout: { kind: 'blockedA', tileM: t.tileM, tileK: t.tileK, m, k, rowOff, colOff: p * t.tileK, batch } };
          km.inDims[0] = t.tileM * t.tileK * batch;
          dimensions.push({ port: aEnd.port, elements: km.inDims[0]! });
          addConsumer(resolve(layer.inputs[0]), node, [aEnd]);
          if (!isDense) {
            const bEnd: Endpoint = { port: `${kId}.in[1]`, layout: { kind: 'blockedB', tileK: t.tileK, tileN: t.tileN, k, n, rowOff: p * t.tileK, colOff, batch } };
            km.inDims[1] = t.tileK * t.tileN * batch;
            dimensions.push({ port: bEnd.port, elements: km.inDims[1]! });
            addConsumer(resolve(layer.inputs[1]), node, [bEnd]);
          }
          const nBuf = isDense ? 1 : 2;
          if (role === 'single' || role === 'last') {
            const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'blockedC', tileM: t.tileM, tileN: t.tileN, m, n, rowOff, colOff, batch } };
            km.outDims[0] = t.tileM * t.tileN * batch;
            dimensions.push({ port: oEnd.port, elements: km.outDims[0]! });
            if (!producers.has(out)) producers.set(out, { node, layer, ends: [] });
            producers.get(out)!.ends.push(oEnd);
          }
          if (p > 0) connectionsCascade.push({ from: `k_${kid(c, p - 1)}.out[0]`, to: `${kId}.in[${nBuf}]` });
          locate(km, c, p);
          L.kernels.push(km);
        }
      }
      L.summary = `${layer.kernel} ${t.M}x${t.K}x${t.N}${batch > 1 ? ` (x${batch})` : ''}, cascade ${t.casLength} x ${t.casNum}, mmul ${m}x${k}x${n}`;
    } else {
      // Row-major kernels over the whole tensor of one iteration.
      const outShape = layer.shapes.output;
      const size = prod(outShape);
      const cols = outShape[outShape.length - 1];
      const a = layer.dtype.a;
      const kId = `k_${kid(0, 0)}`;
      const km: KernelModel = { id: kId, layer: node.name, cls: '', ctorArgs: [], source: `kernels/${id}.cc`, inDims: [], outDims: [size] };
      const lanes = a === 'int16' || layer.dtype.out === 'int16' ? 16 : 32;
      const base = [`using a_t = ${CPP_TYPE[a]};`, `using out_t = ${CPP_TYPE[layer.dtype.out]};`, `static constexpr unsigned SIZE = ${size};`];
      const inSize = (i: number): number => prod(layer.shapes.inputs[i] ?? outShape);
      switch (layer.kernel) {
        case 'add': {
          const w = layer.dtype.w ?? a;
          const bShape = layer.inputs.length > 1 ? layer.shapes.inputs[1] : ((layer.attrs['constShape'] as number[] | undefined) ?? outShape);
          const bSize = prod(bShape);
          const fw = typeof layer.frac.w === 'number' ? layer.frac.w : layer.frac.a;
          const F = Math.max(layer.frac.a, fw);
          L.library = 'elementwise.h';
          cfgLines.push(...base, `using b_t = ${CPP_TYPE[w]};`, `using acc_t = ${layer.dtype.a === 'int16' || w === 'int16' ? 'acc64' : 'acc32'};`,
            `static constexpr unsigned LANES = ${lanes}, B_SIZE = ${bSize};`,
            `static constexpr int SHIFT_A = ${F - layer.frac.a}, SHIFT_B = ${F - fw}, SHIFT = ${F - layer.frac.out};`,
            `static constexpr bool RELU = ${layer.fusedRelu ? 'true' : 'false'};`);
          if (size % bSize !== 0) fail(node, `constant operand of ${bSize} values does not tile the output of ${size}`);
          if (layer.inputs.length > 1) {
            km.cls = 'kernel-function';
            L.instantiations.push(`void firmflow::add<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::input_buffer<${cfg}::b_t>&, adf::output_buffer<${cfg}::out_t>&)`);
            km.cls = `fn:firmflow::add<${cfg}>`;
          } else {
            const cName = `${id}_const`;
            L.arrays.push({ name: cName, ctype: CPP_TYPE[w], values: layer.weightsCodes ?? [] });
            km.cls = `firmflow::AddConst<${cfg}>`;
            km.ctorArgs = [cName];
            L.instantiations.push(km.cls);
          }
          L.summary = `add ${outShape.join('x')}`;
          break;
        }
        case 'relu':
          L.library = 'elementwise.h';
          cfgLines.push(...base, `using acc_t = ${a === 'int16' ? 'acc64' : 'acc32'};`, `static constexpr unsigned LANES = ${lanes};`,
            `static constexpr int SHIFT = ${Math.max(0, layer.frac.a - layer.frac.out)}, UPSHIFT = ${Math.max(0, layer.frac.out - layer.frac.a)};`);
          km.cls = `fn:firmflow::relu<${cfg}>`;
          L.instantiations.push(`void firmflow::relu<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::output_buffer<${cfg}::out_t>&)`);
          L.summary = `relu ${outShape.join('x')}`;
          break;
        case 'transpose': {
          const s = layer.shapes.inputs[0];
          L.library = 'elementwise.h';
          cfgLines.push(...base, `static constexpr unsigned BATCH = ${prod(s.slice(0, -2))}, ROWS = ${s[s.length - 2]}, COLS = ${s[s.length - 1]};`);
          km.cls = `fn:firmflow::transpose<${cfg}>`;
          L.instantiations.push(`void firmflow::transpose<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::output_buffer<${cfg}::out_t>&)`);
          L.summary = `transpose ${s.join('x')}`;
          break;
        }
        case 'softmax': {
          const tab = softmaxTables(layer.frac.a);
          L.library = 'normalize.h';
          cfgLines.push(...base, `static constexpr unsigned ROWS = ${size / cols}, LEN = ${cols};`, 'static constexpr int EXP_FRAC = 14, RECIP_BITS = 28;', `static constexpr int OUT_FRAC = ${layer.frac.out};`);
          L.arrays.push({ name: `${id}_exp`, ctype: 'int32', values: tab.exp });
          km.cls = `firmflow::Softmax<${cfg}>`;
          km.ctorArgs = [`${id}_exp`];
          L.instantiations.push(km.cls);
          L.summary = `softmax ${outShape.join('x')}`;
          break;
        }
        case 'layernorm': {
          const c = layerNormConstants(layer, cols);
          L.library = 'normalize.h';
          cfgLines.push(...base, `static constexpr unsigned ROWS = ${size / cols}, LEN = ${cols};`, `static constexpr long long EPS_V = ${c.epsV}LL;`,
            `static constexpr int NORM_FRAC = 12, RSQ_BITS = 21, GAMMA_FRAC = ${c.gammaFrac}, OUT_FRAC = ${layer.frac.out};`);
          L.arrays.push({ name: `${id}_gamma`, ctype: 'int16', values: c.gammaQ }, { name: `${id}_beta`, ctype: 'int32', values: c.betaQ }, { name: `${id}_rsqrt`, ctype: 'int16', values: c.rsqrt });
          km.cls = `firmflow::LayerNorm<${cfg}>`;
          km.ctorArgs = [`${id}_gamma`, `${id}_beta`, `${id}_rsqrt`];
          L.instantiations.push(km.cls);
          L.summary = `layernorm ${outShape.join('x')}`;
          break;
        }
        default:
          fail(node, `no AIE kernel for '${layer.kernel}'`);
      }
      modes(cfgLines);
      const inputs = layer.inputs;
      inputs.forEach((t, i) => {
        const e: Endpoint = { port: `${kId}.in[${i}]`, layout: { kind: 'rowmajor', rows: inSize(i) / (layer.shapes.inputs[i]?.at(-1) ?? cols), cols: layer.shapes.inputs[i]?.at(-1) ?? cols } };
        km.inDims[i] = inSize(i);
        dimensions.push({ port: e.port, elements: inSize(i) });
        addConsumer(resolve(t), node, [e]);
      });
      const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'rowmajor', rows: size / cols, cols } };
      dimensions.push({ port: oEnd.port, elements: size });
      producers.set(out, { node, layer, ends: [oEnd] });
      locate(km, 0, 0);
      L.kernels.push(km);
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
  const tensors = new Set<string>([...producers.keys(), ...graph.inputs.map((p) => p.tensor)]);
  for (const t of [...tensors].sort((a, b) => order(graph, a) - order(graph, b) || (a < b ? -1 : 1))) {
    const srcEnds: Endpoint[] = [];
    const p = producers.get(t);
    if (p) srcEnds.push(...p.ends);
    const inPlio = plios.find((x) => x.direction === 'in' && x.tensor === t);
    const shape = shapeOfTensor(t);
    const cols = shape[shape.length - 1] ?? 1;
    const total = prod(shape);
    if (inPlio) srcEnds.push({ port: `${inPlio.id}.out[0]`, layout: { kind: 'rowmajor', rows: total / cols, cols } });
    const dstEnds: Endpoint[] = (consumers.get(t) ?? []).flatMap((c) => c.ends);
    for (const o of plios.filter((x) => x.direction === 'out' && x.tensor === t)) dstEnds.push({ port: `${o.id}.in[0]`, layout: { kind: 'rowmajor', rows: total / cols, cols } });
    if (!srcEnds.length || !dstEnds.length) continue;
    const allRowMajor = [...srcEnds, ...dstEnds].every((e) => e.layout.kind === 'rowmajor');
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
    if (batch > 1) extent[1] = Math.max(1, Math.round(total / cols / batch));
    extent[2] = batch;
    const real = [cols, total / cols / batch, batch];
    const plan = planned.get(t);
    const name = `mt_${graph.tensor(t).id}`;
    const dtype = fmtOf(t).dtype;
    const rowMajorAccess = (): AieTilingParameters => ({ buffer_dimension: extent, tiling_dimension: real, offset: [0, 0, 0], tile_traversal: [] });
    shared.push({
      name,
      ctype: CPP_TYPE[dtype],
      dims: extent,
      column: plan?.columns[0],
      writers: srcEnds.map((e) => ({ endpoint: e.port, access: e.layout.kind === 'rowmajor' ? rowMajorAccess() : accessFor(e.layout, extent) })),
      readers: dstEnds.map((e) => ({ endpoint: e.port, access: e.layout.kind === 'rowmajor' ? rowMajorAccess() : accessFor(e.layout, extent, real) })),
    });
  }
  connections.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : 1));
  return { name: projectName, device: meta.device, rowsPerIteration: rows, layers, shared, plios, connections, dimensions, locations };
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
