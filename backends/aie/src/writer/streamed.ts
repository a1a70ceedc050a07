/*
 * Writer of Dense layers whose weights live in memory tiles (`tiling.weights === 'memtile'`, see
 * docs/design/aie-backend.md "Memory-tile weights"). Each kernel (chain c, position p) gets:
 * - a weight store `mtw_<kernelId>`: a single-buffered adf::shared_buffer holding its tileK x tileN slice
 *   row-major (zero padded), written once per graph iteration by an adf::input_gmio `gmio_w_<kernelId>` from DDR
 *   (the application sends the slice with gm2aie_nb; the slice is a constant array of the layer's weights header,
 *   computed here from weightsCodes), read by the kernel's async weight port in R = tileN / chunkN chunks, each
 *   blocked [tileK/k][chunkN/n][k][n] by the read access (adf::async_repetition(port) = R);
 * - the kernel firmflow::DenseStreamed (templates/kernels/dense.h): in[0] the activation (as the tile-resident
 *   Dense), in[1] the async weights, in[2] the cascade input, out[0] output or cascade; the bias is a constructor
 *   argument.
 * The access patterns of the stores come from the memory plan (graph.meta.aie.sharedBuffers), so the plan and the
 * written graph cannot disagree.
 */
import { FirmflowError, type IRNode } from 'firmflow';
import { gmioBytesPerCycle, type AieDevice } from '../devices.js';
import { biasPosition, type AieDataType, type AieGraphMeta, type AieLayer, type AieTiling } from '../lowered.js';
import type { AieNames } from './names.js';
import type { ConnectionModel, Endpoint, KernelModel, LayerModel, ProjectModel, StreamedWeights } from './types.js';

export interface StreamedContext {
  node: IRNode;
  layer: AieLayer;
  L: LayerModel;
  t: AieTiling;
  cfg: string;
  meta: AieGraphMeta;
  /** The device the graph was planned for (graph.meta.aieDevice): also an inline description, which has no file. */
  device: AieDevice;
  cppType: Record<AieDataType | 'int32', string>;
  kid: (chain: number, pos: number) => string;
  names: AieNames;
  place: (k: KernelModel, chain: number, pos: number) => void;
  dimensions: ProjectModel['dimensions'];
  connections: ConnectionModel[];
  /** Registers the kernels' activation reads (A) and output writes (C) with the tensor's buffer. */
  readA: (ends: Endpoint[]) => void;
  writeC: (ends: Endpoint[]) => void;
  out: StreamedWeights;
}

function fail(node: IRNode, msg: string): never {
  throw new FirmflowError('aie.write', `node '${node.name}' (${node.op}): ${msg}`, { node: node.name });
}

/** One kernel's weight slice [tileK][tileN] row-major, zero past the layer's K x N (the store's contents). */
export function weightSlice(w: ArrayLike<number>, K: number, N: number, k0: number, n0: number, tileK: number, tileN: number): number[] {
  const out = new Array<number>(tileK * tileN).fill(0);
  for (let r = 0; r < tileK && k0 + r < K; r++)
    for (let c = 0; c < tileN && n0 + c < N; c++) out[r * tileN + c] = w[(k0 + r) * N + n0 + c];
  return out;
}

const roleOf = (pos: number, len: number): string => (len === 1 ? 'single' : pos === 0 ? 'first' : pos === len - 1 ? 'last' : 'middle');

/** Emits a memory-tile-weight Dense layer (the config lines common to every Dense are already in ctx.L). */
export function writeStreamedDense(ctx: StreamedContext): void {
  const { node, layer, L, t, cfg } = ctx;
  if (layer.kernel !== 'dense') fail(node, `weights in memory tiles apply to a Dense; this is a ${layer.kernel}`);
  if (t.batch !== 1 || t.split !== 'N') fail(node, 'a Dense with memory-tile weights splits N and has no batch axis');
  const codes = layer.weightsCodes;
  if (!codes) fail(node, 'has no weight codes');
  const [m, k, n] = t.microtile;
  const R = t.tileN / t.chunkN;
  if (!Number.isInteger(R) || t.chunkN % n !== 0) fail(node, `chunkN ${t.chunkN} does not split tileN ${t.tileN} into whole microtile columns (n = ${n})`);
  const w = layer.dtype.w ?? layer.dtype.a;
  const stores = new Map(ctx.meta.sharedBuffers.filter((s) => s.kind === 'weights').map((s) => [s.name, s]));
  const device = ctx.device;
  const bandwidthMBps = Math.round(gmioBytesPerCycle(device).channel * device.clockMHz);
  const id = node.id;
  L.config.lines.push(`static constexpr unsigned CHUNK_N = ${t.chunkN}, CHUNKS = ${R};`);
  for (let c = 0; c < t.casNum; c++) {
    for (let p = 0; p < t.casLength; p++) {
      const role = roleOf(p, t.casLength);
      // Per-column shifts: the chain's first column selects its shifts (template argument COL0).
      const perCol = typeof layer.shift !== 'number' || Array.isArray(layer.upshift);
      const cls = `firmflow::DenseStreamed<${cfg}, firmflow::Role::${role}${perCol && c > 0 ? `, ${c * t.tileN}` : ''}>`;
      if (!L.instantiations.includes(cls)) L.instantiations.push(cls);
      const kernelId = ctx.kid(c, p);
      const kId = ctx.names.kernel(kernelId);
      const km: KernelModel = { id: kId, layer: node.name, cls, ctorArgs: [], source: `kernels/${id}.cc`, inDims: [], outDims: [] };
      const colOff = c * t.tileN;
      const bName = ctx.names.array(id, `b_c${c}_p${p}`);
      const bias = new Array<number>(t.tileN).fill(0);
      const src = layer.dtype.acc === 'accfloat' ? layer.biasFloat : layer.biasCodes;
      if (src && p === biasPosition(layer, t.casLength)) for (let j = 0; j < t.tileN && colOff + j < t.N; j++) bias[j] = src[colOff + j];
      L.arrays.push({ name: bName, ctype: layer.dtype.acc === 'accfloat' ? 'float' : 'int32', values: bias });
      km.ctorArgs = [bName];

      // Activation, as the tile-resident Dense reads it.
      const aEnd: Endpoint = { port: `${kId}.in[0]`, layout: { kind: 'blockedA', tileM: t.tileM, tileK: t.tileK, m, k, rowOff: 0, colOff: p * t.tileK, batch: 1 } };
      km.inDims[0] = t.tileM * t.tileK;
      ctx.dimensions.push({ port: aEnd.port, elements: km.inDims[0]! });
      ctx.readA([aEnd]);

      // Weights: GMIO -> store (memory tile) -> async port, R chunks per iteration.
      const planned = `mtw_${kernelId}`;
      const plan = stores.get(planned);
      const storeName = ctx.names.store(planned);
      if (!plan) fail(node, `the memory plan has no weight store '${storeName}' for kernel ${kernelId} (run the aie:memory flow before writing)`);
      const writer = plan.writers[0];
      const reader = plan.readers.find((r) => r.to === `${kernelId}:weights`);
      if (plan.writers.length !== 1 || !writer || !reader) fail(node, `weight store '${storeName}' must have one GMIO writer and the kernel's weight port as reader`);
      const wArr = ctx.names.array(id, `w_c${c}_p${p}`);
      const slice = weightSlice(codes, t.K, t.N, p * t.tileK, colOff, t.tileK, t.tileN);
      L.arrays.push({ name: wArr, ctype: ctx.cppType[w], values: slice });
      const wPort = `${kId}.in[1]`;
      km.inDims[1] = t.tileK * t.chunkN;
      ctx.dimensions.push({ port: wPort, elements: km.inDims[1]! });
      ctx.out.repetitions.push({ port: wPort, count: R });
      ctx.out.shared.push({
        name: storeName,
        ctype: ctx.cppType[w],
        dims: writer.access.buffer_dimension,
        writers: [{ endpoint: `${ctx.names.gmio(writer.from)}.out[0]`, access: writer.access }],
        readers: [{ endpoint: wPort, access: reader.access }],
        column: plan.columns[0],
        columns: plan.columns,
        copies: plan.copies,
      });
      ctx.out.gmio.push({ id: ctx.names.gmio(writer.from), store: storeName, array: wArr, ctype: ctx.cppType[w], dtype: w, values: slice, bytes: plan.bytes, burst: 64, bandwidthMBps });

      if (role === 'single' || role === 'last') {
        const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'blockedC', tileM: t.tileM, tileN: t.tileN, m, n, rowOff: 0, colOff, batch: 1 } };
        km.outDims[0] = t.tileM * t.tileN;
        ctx.dimensions.push({ port: oEnd.port, elements: km.outDims[0]! });
        ctx.writeC([oEnd]);
      }
      if (p > 0) ctx.connections.push({ from: `${ctx.names.kernel(ctx.kid(c, p - 1))}.out[0]`, to: `${kId}.in[2]` });
      ctx.place(km, c, p);
      L.kernels.push(km);
    }
  }
  L.summary = `dense ${t.M}x${t.K}x${t.N}, cascade ${t.casLength} x ${t.casNum}, mmul ${m}x${k}x${n}, weights streamed from memory tiles in ${R} chunk(s) of ${t.tileK}x${t.chunkN} per kernel (GMIO from DDR every iteration)`;
}
