/*
 * Softmax over the last axis. int8: an exponential table indexed by max(x) - x_j, one scalar reciprocal per row and
 * an srs per element (numerics/softmax.ts); bf16: an fp32 exp table indexed by the bf16 pattern of x_j - max, fp32
 * sum and reciprocal. The writer emits the table; the kernel only looks values up.
 */
import { FirmflowError } from 'firmflow';
import { int8InOut, lastAxisOnly, legalizeElementwise } from '../legalize/elementwise.js';
import { gammaF32, srsStep, U_BF16, U_F32, type TraceContext } from '../numerics/error.js';
import { SOFTMAX_BF16_E0, SOFTMAX_BF16_E1, SOFTMAX_BF16_TABLE, softmaxBf16Table, softmaxRow, softmaxRowBf16, softmaxTables } from '../numerics/softmax.js';
import type { EmuValue } from '../numerics/values.js';
import { vectorPassCycles } from '../perf.js';
import { emitRowParallel } from '../writer/row-parallel.js';
import type { AieKernel, EmulateContext } from './contract.js';

/** Exponential table lookups per cycle (int8). */
const LUT_PER_CYCLE = 8;
/** int8: the int32 exp table of 256 entries. bf16: the fp32 exp table (softmaxBf16Table) and the row's fp32 exponentials. */
const LUT_BYTES = 1024;
const LUT_BYTES_BF16 = SOFTMAX_BF16_TABLE * 4;

export const softmax: AieKernel = {
  name: 'softmax',
  ops: { Softmax: 'softmax' },
  layout: 'rows',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, { prepare: lastAxisOnly, checkTypes: int8InOut, fullRangeOutput: true }),
  emulate,
  traceBound,
  emit: (ctx) => emitRowParallel(ctx, ({ base, tileM, cols, outShape }) => {
    const { layer, model: L } = ctx;
    const cfg = L.config.name, id = L.id;
    L.library = 'normalize.h';
    let cls: string;
    if (layer.dtype.a === 'bf16') {
      L.config.lines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, `static constexpr int E0 = ${SOFTMAX_BF16_E0}, E1 = ${SOFTMAX_BF16_E1};`);
      L.arrays.push({ name: ctx.names.array(id, 'exp'), ctype: 'float', values: softmaxBf16Table() });
      cls = `firmflow::SoftmaxBf16<${cfg}>`;
      L.summary = `softmax (bf16) ${outShape.join('x')}`;
    } else {
      L.config.lines.push(...base, `static constexpr unsigned ROWS = ${tileM}, LEN = ${cols};`, 'static constexpr int EXP_FRAC = 14, RECIP_BITS = 28;', `static constexpr int OUT_FRAC = ${layer.frac.out};`);
      L.arrays.push({ name: ctx.names.array(id, 'exp'), ctype: 'int32', values: softmaxTables(layer.frac.a).exp });
      cls = `firmflow::Softmax<${cfg}>`;
      L.summary = `softmax ${outShape.join('x')}`;
    }
    L.instantiations.push(cls);
    return { cls, ctorArgs: [ctx.names.array(id, 'exp')] };
  }),
  perf: {
    programBytes: { softmax: 3072 },
    lutBytes: (dtype) => (dtype === 'bf16' ? LUT_BYTES_BF16 : LUT_BYTES),
    // Four passes (max, exp and sum, scale, store) and a reciprocal per row; int8 adds the table lookups.
    vectorCycles: (d, dtype, rows, width) => vectorPassCycles(d, dtype, rows, width, 4, 40) + (dtype !== 'bf16' ? Math.ceil((rows * width) / LUT_PER_CYCLE) : 0),
  },
};

function emulate(ctx: EmulateContext): EmuValue {
  const { layer, node } = ctx;
  const a = ctx.value(layer.inputs[0]);
  const L = a.shape[a.shape.length - 1];
  const rows = a.data.length / L;
  if (a.dtype === 'bf16') {
    const table = softmaxBf16Table();
    const o = new Float32Array(a.data.length);
    const e = new Float32Array(L);
    for (let r = 0; r < rows; r++) softmaxRowBf16(a.data, r * L, L, table, o, r * L, e);
    return { shape: [...a.shape], dtype: layer.dtype.out, frac: 0, data: o };
  }
  if (a.dtype !== 'int8') throw new FirmflowError('aie.emulate', `softmax node '${node.name}': the AIE softmax takes int8 or bf16 input, not ${a.dtype}`, { node: node.name });
  const fo = layer.frac.out;
  const { exp } = softmaxTables(a.frac);
  const o = new Int32Array(a.data.length);
  const e = new Int32Array(L);
  for (let r = 0; r < rows; r++) softmaxRow(a.data, r * L, L, exp, fo, layer.rounding, layer.dtype.out, layer.saturate, o, r * L, e);
  return { shape: [...a.shape], dtype: layer.dtype.out, frac: fo, data: o };
}

/**
 * Softmax is 1/2-Lipschitz in the max norm. int8 own = rho + 2^-13 + (1 + n) 2^-15 (see trace.ts). bf16: each e_j is
 * off by at most 2^-9 + 2^-24 (d rounded to bf16: e^d |d| 2^-8 e^{|d| 2^-8} <= 0.42 * 2^-8 for |d| < 32; 1 for
 * |d| < 2^-9; the table's fp32 rounding), and the sum S >= 1 holds the exact 1 of the maximum, so |e_j/S - ê_j/Ŝ| <=
 * (1 + n)(2^-9 + 2^-24); the fp32 sum, reciprocal and product add gamma_{n+2}; the bf16 output rounding u |y|.
 */
function traceBound(ctx: TraceContext): (s: number) => number {
  const x = ctx.ins[0];
  const n = ctx.inV[0].shape[ctx.inV[0].shape.length - 1];
  const prop = (s: number): number => { const e = ctx.err(x, s); return e === 0 ? 0 : 0.5 * e; };
  if (ctx.bf) {
    const own = (1 + n) * (2 ** -9 + U_F32) + gammaF32(n + 2);
    return (s) => prop(s) + own + ctx.bfOut(s, U_BF16) + ctx.rr;
  }
  const own = srsStep(ctx.layer.rounding, ctx.fo) + 2 ** -13 + (1 + n) * 2 ** -15;
  return (s) => prop(s) + own + ctx.rr;
}
