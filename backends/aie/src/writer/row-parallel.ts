/*
 * The writer's part shared by the row-parallel kernels (Add, ReLU, Sigmoid/Tanh, Softmax, LayerNorm, Transpose):
 * the plan's casNum kernels on row-major buffers, kernel c taking units (rows; whole matrices for Transpose)
 * [c*tileM, (c+1)*tileM) of the layer's output. The last kernel of an uneven split works on padding units beyond the
 * real ones (zeros read from the memory tile, results written to the buffer's padding rows). A kernel's emit states
 * its config, arrays and class in `configure`; this module makes the kernels and their buffer ends.
 */
import { sizeOf } from 'firmflow';
import type { CppName } from './names.js';
import type { AieTiling } from '../lowered.js';
import type { broadcastWindows, RowBroadcast } from '../broadcast.js';
import { CPP_TYPE, epilogueConfig } from './cpp.js';
import type { EmitContext, Endpoint, KernelModel, LayerModel, Layout } from './types.js';

export interface RowGeometry {
  t: AieTiling;
  outShape: number[];
  /** Output row length. */
  cols: number;
  tileM: number;
  casNum: number;
  /** Elements of one kernel's output buffer. */
  size: number;
  /** Vector lanes of the kernel's loads (16 with an int16 side, else 32). */
  lanes: number;
  /** `a_t`, `out_t` and `SIZE`: the first lines of most row-parallel configs. */
  base: string[];
}

export interface RowKernels {
  /** The class every kernel instantiates (`fn:` + a kernel function's name for function kernels). */
  cls: string;
  /** Constructor arrays shared by every kernel (tables). */
  ctorArgs?: CppName[];
  /** Per-kernel class and constructor arrays, by kernel index, where they differ (Add's windows). */
  perKernelCls?: string[];
  perKernelArgs?: CppName[][];
  /** Add of a broadcast runtime operand: which input broadcasts, and each kernel's window of its rows. */
  broadcast?: { side: number; b: RowBroadcast; win: ReturnType<typeof broadcastWindows> };
}

/**
 * Emits a row-parallel layer: `configure` fills the layer model's library, config lines, arrays, instantiations and
 * summary and names the kernel class; `matrices` makes a unit a whole matrix (the kernel's `unit`, Transpose) instead
 * of a row.
 */
export function emitRowParallel(ctx: EmitContext, configure: (g: RowGeometry) => RowKernels, matrices = false): LayerModel {
  const { layer, model: L } = ctx;
  const t = layer.tiling ?? ctx.fail('has no tiling (run the aie:tile flow before writing)');
  const outShape = layer.shapes.output;
  const cols = outShape[outShape.length - 1];
  const units = matrices ? sizeOf(outShape.slice(0, -2)) : sizeOf(outShape.slice(0, -1));
  const perUnit = matrices ? cols * outShape[outShape.length - 2] : cols;
  if (t.M !== units || t.K !== perUnit || t.casLength !== 1 || t.tileM * t.casNum < units) {
    ctx.fail(`its tiling (${t.casNum} kernels of ${t.tileM} of ${t.M} ${matrices ? 'matrices' : 'rows'} of ${t.K} elements) does not match its ${JSON.stringify(outShape)} output`);
  }
  const { casNum, tileM } = t;
  const split = casNum > 1;
  const size = tileM * perUnit;
  const lanes = layer.dtype.a === 'int16' || layer.dtype.out === 'int16' ? 16 : 32;
  const base = [`using a_t = ${CPP_TYPE[layer.dtype.a]};`, `using out_t = ${CPP_TYPE[layer.dtype.out]};`, `static constexpr unsigned SIZE = ${size};`];
  const k = configure({ t, outShape, cols, tileM, casNum, size, lanes, base });
  L.config.lines.push(...epilogueConfig(layer));
  if (split) L.summary += `, ${casNum} kernels of ${tileM} ${matrices ? 'matrices' : 'rows'}${tileM * casNum > units ? ` (${tileM * casNum - units} padding)` : ''}`;
  // Row-major rows of an operand (or the output) per unit: 1, or a matrix's rows for Transpose.
  const rowsPerUnit = (s: number[]): number => (matrices ? s[s.length - 2] : 1);
  const part = split ? { part: true } : {};
  for (let c = 0; c < casNum; c++) {
    const kId = ctx.names.kernel(ctx.kernelId(c, 0));
    const km: KernelModel = { id: kId, layer: ctx.node.name, cls: k.perKernelCls?.[c] ?? k.cls, ctorArgs: k.perKernelArgs?.[c] ?? k.ctorArgs ?? [], source: `kernels/${L.id}.cc`, inDims: [], outDims: [size] };
    const bcast = k.broadcast;
    layer.inputs.forEach((tn, i) => {
      let e: Endpoint;
      let port = i;
      if (bcast) {
        // The broadcast operand's window of rows (in[1]); the full operand's tileM rows (in[0]).
        port = i === bcast.side ? 1 : 0;
        const { b: bc, win } = bcast;
        e = port === 1
          ? { port: `${kId}.in[1]`, layout: { kind: 'rowmajor', rows: win.rows, cols: bc.bCols, rowOff: win.starts[c] }, ...(win.whole ? {} : { part: true }) }
          : { port: `${kId}.in[0]`, layout: { kind: 'rowmajor', rows: tileM, cols, rowOff: c * tileM }, ...part };
      } else {
        const s = layer.shapes.inputs[i] ?? outShape;
        const r = tileM * rowsPerUnit(s);
        e = { port: `${kId}.in[${i}]`, layout: { kind: 'rowmajor', rows: r, cols: s[s.length - 1] ?? cols, rowOff: c * r }, ...part };
      }
      const l = e.layout as Extract<Layout, { kind: 'rowmajor' }>;
      km.inDims[port] = l.rows * l.cols;
      ctx.dimensions.push({ port: e.port, elements: l.rows * l.cols });
      ctx.read(tn, [e]);
    });
    const r = tileM * rowsPerUnit(outShape);
    const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'rowmajor', rows: r, cols, rowOff: c * r }, ...part };
    ctx.dimensions.push({ port: oEnd.port, elements: size });
    ctx.write([oEnd]);
    ctx.place(km, c, 0);
    L.kernels.push(km);
  }
  return L;
}
