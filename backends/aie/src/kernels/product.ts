/*
 * Dense and MatMul on the AIE: a grid of aie::mmul kernels along a cascade (K slices) and parallel chains (N or M
 * slices), with the weights in the tiles or streamed from memory tiles (writer/streamed.ts). A Dense multiplies by
 * constant weights (its bias starts the accumulator); a MatMul multiplies two runtime operands. int8/int16 codes
 * accumulate exactly in acc32/acc64 and leave through one srs (per column for per-channel weights); a float graph
 * output with no quantizer is written as exact int32 codes; bf16 accumulates in fp32.
 */
import { FirmflowError, sizeOf, type Graph, type IRNode, type Tensor } from 'firmflow';
import { operandPair } from '../devices.js';
import {
  accFor, actType, base, biasInput, codesOf, finalOutput, inType, maxCode, numbers, outType, resolveShape, roundingOf, saturationOf, weightType,
  type ActType, type LegalizeContext,
} from '../legalize/context.js';
import { biasPosition, type AieIntType, type AieLayer, type AieRounding } from '../lowered.js';
import { bf16FromBits, bf16Round, toBf16Bits } from '../numerics/bf16.js';
import { gammaF32, maxAbs, maxAbsDiff, U_BF16 } from '../numerics/error.js';
import { epilogue, int32Epilogue, roundHalfEven } from '../numerics/srs.js';
import type { ProductProblem } from '../perf.js';
import { broadcastIndex, broadcastShape, checkFrac, fracOf, shiftAt, type EmuValue } from '../numerics/values.js';
import { CPP_TYPE, epilogueConfig } from '../writer/cpp.js';
import { writeStreamedDense } from '../writer/streamed.js';
import type { AieNames } from '../writer/names.js';
import type { EmitContext, Endpoint, KernelModel, LayerModel, RtpModel } from '../writer/types.js';
import type { AieKernel, EmulateContext, TraceContext } from './contract.js';

export const product: AieKernel = {
  name: 'product',
  ops: { Dense: 'dense', MatMul: 'matmul' },
  layout: 'cascade',
  legalize: (ctx, n) => legalizeProduct(ctx, n),
  emulate,
  floatConstants: (g, node, l) => {
    if (l.kernel !== 'dense' || !l.weightsCodes) return [];
    const N = Number(l.shapes?.output?.at(-1) ?? g.tensor(node.outputs[0]).shape.at(-1));
    const c = denseConstants(g, node);
    return [{ tensor: c.weights, values: weightValues(l, N) }, { tensor: c.bias, values: biasValues(l, N) }];
  },
  traceBound,
  emit,
  runtimeParameters,
  // The tiling search (tiling.ts productCandidates) models the product itself (perf.ts productKernelPerf): its
  // cycles depend on the cascade grid, not on rows x width.
  perf: { programBytes: { dense: 2560, matmul: 2816 } },
};

function legalizeProduct(ctx: LegalizeContext, n: IRNode): AieLayer | undefined {
  const out = finalOutput(ctx.plan, n);
  const isDense = n.op === 'Dense';
  const [xName, wName] = n.inputs;
  const g = ctx.g;
  if (!isDense) {
    if (g.isConstant(xName)) return ctx.refuse.fail(n, `first operand '${xName}' is a constant; AIE MatMul takes two runtime inputs (a constant second operand becomes a Dense)`);
    if (g.isConstant(wName)) return ctx.refuse.fail(n, `second operand '${wName}' is a constant that was not turned into a Dense layer`);
  } else if (!g.isConstant(wName)) {
    return ctx.refuse.fail(n, `weights '${wName}' are not a constant`);
  }
  const xs = resolveShape(g.tensor(xName).shape, ctx.batch), ws = resolveShape(g.tensor(wName).shape, ctx.batch);
  if (xs.length < 1 || ws.length < 2) return ctx.refuse.fail(n, `operands ${JSON.stringify(xs)} x ${JSON.stringify(ws)}: AIE products need a matrix second operand`);
  const K = xs[xs.length - 1], N = ws[ws.length - 1];
  const lay = base(isDense ? 'dense' : 'matmul', n, ctx, isDense ? [xName] : [xName, wName], out);
  const bName = biasInput(n);
  const bT = bName ? g.tensor(bName) : undefined;
  if (isDense && ws.length !== 2) return ctx.refuse.fail(n, `weights of rank ${ws.length}`);
  if (!isDense) {
    const bs = xs.slice(0, -2), bb = ws.slice(0, -2);
    if (bb.length > bs.length || bb.some((d, i) => d !== bs[bs.length - bb.length + i])) {
      return ctx.refuse.fail(n, `batch axes of ${JSON.stringify(xs)} x ${JSON.stringify(ws)} do not match; AIE MatMul needs equal leading axes (no broadcasting of the first operand)`);
    }
    lay.attrs['batch'] = sizeOf(bs);
  }
  if (ctx.opts.mode === 'bf16') {
    const lw: AieLayer = { ...lay, dtype: { a: 'bf16', w: 'bf16', out: 'bf16', acc: 'accfloat' }, frac: { a: 0, w: 0, out: 0 }, shift: 0, rounding: 'conv_even', saturate: false };
    if (isDense) lw.weightsCodes = Int16Array.from(numbers(g.tensor(wName).data!), toBf16Bits);
    if (bT?.data) lw.biasFloat = Float32Array.from(numbers(bT.data));
    return lw;
  }
  const a = inType(ctx, n, xName);
  let wt: { dtype: AieIntType; frac: number | number[] } | undefined;
  let bAct: ActType | undefined;
  if (isDense) wt = weightType(ctx, n, g.tensor(wName), 1);
  else {
    bAct = inType(ctx, n, wName);
    wt = bAct && { dtype: bAct.dtype, frac: bAct.frac };
  }
  const floatOut = isFloatGraphOutput(ctx, out);
  const o = floatOut ? undefined : outType(ctx, n, out);
  if (!a || !wt || (!o && !floatOut)) return undefined;
  const pair = operandPair(a.dtype, wt.dtype);
  if (!ctx.device.macsPerCycle[pair] || !ctx.device.microtiles[pair]) {
    return ctx.refuse.fail(n, `${a.dtype} x ${wt.dtype} products are not supported on ${ctx.device.name}`);
  }
  if (!o) return int32Product(ctx, n, lay, { a, w: wt, b: bAct, K, N, out, weights: isDense ? g.tensor(wName) : undefined, bias: bT });
  const fw = wt.frac;
  const prodFrac = (c: number): number => a.frac + (typeof fw === 'number' ? fw : fw[c]);
  const shifts = Array.from({ length: typeof fw === 'number' ? 1 : N }, (_, c) => prodFrac(c) - o.frac);
  const neg = shifts.findIndex((s) => s < 0);
  if (neg >= 0) return ctx.refuse.fail(n, `output '${out}' has ${o.frac} fractional bits, finer than the product's ${prodFrac(neg)}; an srs cannot shift left`);
  let rounding = roundingOf(ctx, o.fixed, n);
  const saturate = saturationOf(ctx, o, n);
  if (rounding === undefined || saturate === undefined) return undefined;
  const perColumn = typeof fw !== 'number';
  let codes: Float64Array | undefined;
  if (isDense) {
    codes = codesOf(ctx, n, g.tensor(wName), fw, wt.dtype === 'int8' ? 8 : 16, N);
    if (!codes) return undefined;
  }
  let biasCodes: Int32Array | undefined;
  let biasMax = 0;
  if (bT) {
    if (!bT.data) return ctx.refuse.fail(n, `bias '${bT.name}' is not a constant`);
    if (bT.data.length !== N) return ctx.refuse.fail(n, `bias '${bT.name}' has ${bT.data.length} values for ${N} columns`);
    if (bT.quant) return ctx.refuse.fail(n, `bias '${bT.name}' has scale ${bT.quant.scale[0]} that is not a power of two`);
    biasCodes = new Int32Array(N);
    const vs = Array.from({ length: N }, (_, c) => Number(bT.data![c]) * 2 ** prodFrac(c));
    const fold = bT.precision ? undefined : floatBiasFold(vs, (c) => shifts[perColumn ? c : 0], rounding);
    if (fold) rounding = fold.rounding;
    for (let c = 0; c < N; c++) {
      const v = vs[c];
      // A bias on the product grid (QDQ's int32 bias at scale s_a * s_w) is exact; a float bias folds exactly into
      // the srs (floatBiasFold), or, when it cannot, is rounded onto the grid.
      const r = Number.isInteger(v) ? v : fold ? fold.codes[c] : roundHalfEven(v);
      if (bT.precision && !Number.isInteger(v)) return ctx.refuse.fail(n, `bias '${bT.name}' value ${Number(bT.data[c])} is finer than the product scale 2^-${prodFrac(c)}`);
      if (Math.abs(r) >= 2 ** 31) return ctx.refuse.fail(n, `bias '${bT.name}' value ${Number(bT.data[c])} overflows 32 bits at the product scale 2^-${prodFrac(c)}`);
      biasCodes[c] = r;
      biasMax = Math.max(biasMax, Math.abs(r));
    }
  }
  const perCol = typeof fw !== 'number';
  const layer: AieLayer = {
    ...lay,
    dtype: { a: a.dtype, w: wt.dtype, out: o.dtype, acc: accFor(a.dtype, wt.dtype, K, biasMax) },
    frac: { a: a.frac, w: fw, out: o.frac, ...(bT ? { b: perCol ? Array.from({ length: N }, (_, c) => prodFrac(c)) : prodFrac(0) } : {}) },
    shift: perCol ? shifts : shifts[0],
    rounding,
    saturate,
    ...(o.clamp ? { clamp: o.clamp } : {}),
  };
  if (codes) layer.weightsCodes = wt.dtype === 'int8' ? Int8Array.from(codes) : Int16Array.from(codes);
  if (biasCodes) layer.biasCodes = biasCodes;
  return layer;
}

/**
 * A product's output that is a float graph output (no quantizer of its own, nothing else reads it): QONNX/Brevitas
 * exports end a quantized network that way. The kernel writes int32 codes instead of int8/int16 ones.
 */
function isFloatGraphOutput(ctx: LegalizeContext, out: string): boolean {
  const t = ctx.g.tensor(out);
  return ctx.opts.mode !== 'bf16' && !t.precision && !t.quant && ctx.g.isGraphOutput(out) && ctx.g.consumers(out).length === 0 && typeof actType(ctx, out, ctx.g.producer(out)!) === 'string';
}

/** Largest |code| of an activation type (its narrow clamp, or the AIE type's range). */
const maxActCode = (t: ActType): number => (t.clamp ? Math.max(Math.abs(t.clamp.min), Math.abs(t.clamp.max)) : maxCode(t.dtype));

/** The finest output grid an int32 output may use beyond the product grid (bias exactness search limit). */
const INT32_MAX_UPSHIFT = 40;

/**
 * int32 output codes for a Dense/MatMul whose float graph output has no quantizer. With power-of-two scales the
 * product sum P_c of column c is an exact integer on the product grid 2^-pf_c (pf_c = frac_a + frac_w,c); the output
 * grid is 2^-F with F >= max_c pf_c, chosen as the coarsest grid on which every bias value is exact (a float32 bias
 * of a QONNX model is rarely on the product grid), but no finer than the int32 bound allows. The kernel takes the
 * accumulator to int32 with srs shift 0 (no rounding), shifts it left by u_c = F - pf_c and adds the bias codes
 * round(b_c 2^F): y_c = P_c 2^u_c + B_c, exactly the float result when the bias is on the grid.
 * Exactness bound, checked here from the constants and the input type's code range: for every column
 *   maxA * sum_k |w_kc| * 2^u_c + |B_c| < 2^31     (maxA: the largest |code| of the input type; for a runtime
 * second operand, K * maxA * maxB), so neither the accumulator, the srs to int32, the shift nor the bias add can
 * overflow. When the bound leaves no grid fine enough for the bias, the bias is rounded to the finest grid it
 * allows (an error of at most half an output LSB, which the trace reports as the layer's own error); when even the
 * product grid overflows, the layer is refused by name.
 */
function int32Product(
  ctx: LegalizeContext, n: IRNode, lay: ReturnType<typeof base>,
  p: { a: ActType; w: { dtype: AieIntType; frac: number | number[] }; b?: ActType; K: number; N: number; out: string; weights?: Tensor; bias?: Tensor },
): AieLayer | undefined {
  const { a, w, K, N, out } = p;
  const fw = w.frac;
  const perColumn = typeof fw !== 'number';
  const pf = (c: number): number => a.frac + (typeof fw === 'number' ? fw : fw[c]);
  const pfMax = Math.max(...Array.from({ length: perColumn ? N : 1 }, (_, c) => pf(c)));
  let codes: Float64Array | undefined;
  const colAbs = new Float64Array(N);
  const maxA = maxActCode(a);
  if (p.weights) {
    codes = codesOf(ctx, n, p.weights, fw, w.dtype === 'int8' ? 8 : 16, N);
    if (!codes) return undefined;
    for (let i = 0; i < codes.length; i++) colAbs[i % N] += Math.abs(codes[i]);
    for (let c = 0; c < N; c++) colAbs[c] *= maxA;
  } else {
    colAbs.fill(K * maxA * maxActCode(p.b!));
  }
  let bias: number[] | undefined;
  if (p.bias) {
    const bT = p.bias;
    if (!bT.data) return ctx.refuse.fail(n, `bias '${bT.name}' is not a constant`);
    if (bT.data.length !== N) return ctx.refuse.fail(n, `bias '${bT.name}' has ${bT.data.length} values for ${N} columns`);
    if (bT.quant) return ctx.refuse.fail(n, `bias '${bT.name}' has scale ${bT.quant.scale[0]} that is not a power of two`);
    bias = Array.from({ length: N }, (_, c) => Number(bT.data![c]));
    const bad = bias.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return ctx.refuse.fail(n, `bias '${bT.name}' value ${bias[bad]} at column ${bad} is not finite`);
  }
  const up = (F: number, c: number): number => F - pf(perColumn ? c : 0);
  const bound = (F: number): number => {
    let m = 0;
    for (let c = 0; c < N; c++) m = Math.max(m, colAbs[c] * 2 ** up(F, c) + (bias ? Math.abs(roundHalfEven(bias[c] * 2 ** F)) : 0));
    return m;
  };
  let F = pfMax;
  if (bias) while (F < pfMax + INT32_MAX_UPSHIFT && !bias.every((v) => Number.isInteger(v * 2 ** F))) F++;
  while (F > pfMax && bound(F) >= 2 ** 31) F--;
  const worst = bound(F);
  if (worst >= 2 ** 31) {
    return ctx.refuse.fail(n, `output '${out}' is a float graph output with no quantizer, written as int32 codes at 2^-${F}: its accumulator can reach ${worst} (input codes up to ${maxA} times the weights' column sums${bias ? ', plus the bias' : ''}), beyond the int32 range; quantize the output (QuantizeLinear/DequantizeLinear) or use aie.mode 'bf16'`);
  }
  const ups = Array.from({ length: perColumn ? N : 1 }, (_, c) => up(F, c));
  const layer: AieLayer = {
    ...lay,
    dtype: { a: a.dtype, w: w.dtype, out: 'int32', acc: accFor(a.dtype, w.dtype, K, 0) },
    frac: { a: a.frac, w: fw, out: F, ...(bias ? { b: F } : {}) },
    shift: 0,
    upshift: perColumn && ups.some((u) => u !== ups[0]) ? ups : ups[0],
    // srs with shift 0 drops no bits: the rounding mode never applies.
    rounding: ctx.opts.rounding ?? 'conv_even',
    saturate: true,
  };
  if (codes) layer.weightsCodes = w.dtype === 'int8' ? Int8Array.from(codes) : Int16Array.from(codes);
  if (bias) layer.biasCodes = Int32Array.from(bias, (v) => roundHalfEven(v * 2 ** F));
  return layer;
}

/**
 * Exact folding of a float bias that is off the product grid (QONNX models keep float biases): with P the exact
 * product sum in codes of 2^-fp, v = b * 2^fp = floor(v) + rho, rho in (0, 1), the layer computes rnd((P + v) / 2^s).
 * - floor: floor((P + floor(v) + rho) / 2^s) = floor((P + floor(v)) / 2^s): bias code floor(v).
 * - ceil: (P + v) / 2^s is never an integer, so ceil = floor(..) + 1 = ceil((P + ceil(v)) / 2^s): code ceil(v).
 * - any round-to-nearest mode, s >= 1: (P + v) / 2^s is never a tie (that needs P + v on the integer grid), so the
 *   result is floor((P + v) / 2^s + 1/2) = floor((P + floor(v) + 2^(s-1)) / 2^s): srs positive_inf of
 *   P + floor(v). Columns on the grid need the quantizer's own tie rule, so the layer switches to positive_inf only
 *   when every column with s >= 1 is off the grid (or the mode is positive_inf already).
 * - s = 0: srs rounds nothing; the nearest code of v is exact unless rho = 1/2 exactly (then a tie rule on P).
 * Undefined when no column is off the grid or the fold is not exact (the bias is then rounded onto the grid).
 */
function floatBiasFold(vs: number[], shiftOf: (c: number) => number, rounding: AieRounding): { codes: number[]; rounding: AieRounding } | undefined {
  const off = vs.map((v) => !Number.isInteger(v));
  if (!off.some(Boolean)) return undefined;
  if (rounding === 'floor') return { codes: vs.map(Math.floor), rounding };
  if (rounding === 'ceil') return { codes: vs.map(Math.ceil), rounding };
  const codes: number[] = [];
  for (let c = 0; c < vs.length; c++) {
    const v = vs[c], f = Math.floor(v);
    if (!off[c]) { codes.push(v); continue; }
    if (shiftOf(c) === 0) {
      if (v - f === 0.5) return undefined;
      codes.push(v - f > 0.5 ? f + 1 : f);
    } else codes.push(f);
  }
  const switchable = rounding === 'positive_inf' || vs.every((_, c) => off[c] || shiftOf(c) === 0);
  if (!switchable) return undefined;
  // With every s >= 1 column off the grid, positive_inf only applies to those; s = 0 columns never round.
  return { codes, rounding: vs.some((_, c) => shiftOf(c) > 0) ? 'positive_inf' : rounding };
}


/** Dense: rows of x [M][K] times weights [K][N] plus bias, srs per column. */
export function denseCodes(x: ArrayLike<number>, M: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, layer: Pick<AieLayer, 'dtype' | 'shift' | 'rounding' | 'saturate' | 'fusedRelu' | 'clamp' | 'upshift'>): Int32Array {
  if (layer.upshift !== undefined) return denseInt32(x, M, K, N, w, bias, layer, layer.upshift);
  const out = new Int32Array(M * N);
  const acc32 = layer.dtype.acc === 'acc32';
  const accI = new Int32Array(N);
  const accF = new Float64Array(N);
  const perCol = typeof layer.shift !== 'number';
  const s0 = typeof layer.shift === 'number' ? layer.shift : 0;
  for (let m = 0; m < M; m++) {
    if (acc32) {
      for (let n = 0; n < N; n++) accI[n] = bias ? bias[n] | 0 : 0;
      for (let k = 0; k < K; k++) {
        const xv = x[m * K + k];
        if (xv === 0) continue;
        const wo = k * N;
        for (let n = 0; n < N; n++) accI[n] = (accI[n] + xv * w[wo + n]) | 0;
      }
      for (let n = 0; n < N; n++) {
        out[m * N + n] = epilogue(accI[n], perCol ? shiftAt(layer.shift, n) : s0, layer);
      }
    } else {
      for (let n = 0; n < N; n++) accF[n] = bias ? bias[n] : 0;
      for (let k = 0; k < K; k++) {
        const xv = x[m * K + k];
        if (xv === 0) continue;
        const wo = k * N;
        for (let n = 0; n < N; n++) accF[n] += xv * w[wo + n];
      }
      for (let n = 0; n < N; n++) {
        out[m * N + n] = epilogue(accF[n], perCol ? shiftAt(layer.shift, n) : s0, layer);
      }
    }
  }
  return out;
}

/** Dense/MatMul with an int32 output: the products alone in the accumulator, the bias added after the upshift. */
function denseInt32(x: ArrayLike<number>, M: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, layer: Pick<AieLayer, 'dtype' | 'rounding' | 'saturate' | 'fusedRelu'>, upshift: number | number[]): Int32Array {
  const out = new Int32Array(M * N);
  const acc32 = layer.dtype.acc === 'acc32';
  const acc = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const xv = x[m * K + k];
      if (xv === 0) continue;
      const wo = k * N;
      if (acc32) for (let n = 0; n < N; n++) acc[n] = (acc[n] + xv * w[wo + n]) | 0;
      else for (let n = 0; n < N; n++) acc[n] += xv * w[wo + n];
    }
    for (let n = 0; n < N; n++) out[m * N + n] = int32Epilogue(acc[n], shiftAt(upshift, n), bias ? bias[n] : 0, layer);
  }
  return out;
}

function denseBf16(x: ArrayLike<number>, M: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, relu: boolean): Float32Array {
  const out = new Float32Array(M * N);
  const acc = new Float64Array(N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) acc[n] = bias ? Math.fround(bias[n]) : 0;
    for (let k = 0; k < K; k++) {
      const xv = x[m * K + k];
      for (let n = 0; n < N; n++) acc[n] = Math.fround(acc[n] + Math.fround(xv * w[k * N + n]));
    }
    for (let n = 0; n < N; n++) {
      const v = bf16Round(acc[n]);
      out[m * N + n] = relu && v < 0 ? 0 : v;
    }
  }
  return out;
}

function matmul(a: EmuValue, b: EmuValue, layer: AieLayer, outShape: number[], node: IRNode): Int32Array | Float32Array {
  const M = a.shape[a.shape.length - 2];
  const K = a.shape[a.shape.length - 1];
  const N = b.shape[b.shape.length - 1];
  if (b.shape[b.shape.length - 2] !== K) throw new FirmflowError('aie.emulate', `matmul node '${node.name}': inner sizes differ (${K} and ${b.shape[b.shape.length - 2]})`, { node: node.name });
  const batchShape = outShape.slice(0, -2);
  const nb = sizeOf(batchShape);
  const ai = broadcastIndex(batchShape, a.shape.slice(0, -2));
  const bi = broadcastIndex(batchShape, b.shape.slice(0, -2));
  const bf = layer.dtype.out === 'bf16';
  const out = bf ? new Float32Array(nb * M * N) : new Int32Array(nb * M * N);
  if (!bf) {
    checkFrac(a, layer.frac.a, node);
    checkFrac(b, fracOf(layer.frac.w, 'the second operand', node), node);
  }
  for (let t = 0; t < nb; t++) {
    const x = a.data.subarray(ai[t] * M * K, (ai[t] + 1) * M * K);
    const w = b.data.subarray(bi[t] * K * N, (bi[t] + 1) * K * N);
    const r = bf ? denseBf16(x, M, K, N, w, undefined, layer.fusedRelu) : denseCodes(x, M, K, N, w, undefined, layer);
    out.set(r, t * M * N);
  }
  return out;
}


/** Dense / MatMul: the exact integer products (or fp32 sums of bf16 products) of the kernel. */
function emulate(ctx: EmulateContext): EmuValue {
  const { node, layer } = ctx;
  const bf = layer.dtype.out === 'bf16';
  const result = (data: Int32Array | Float32Array, shape: number[]): EmuValue => ({ shape, dtype: layer.dtype.out, frac: bf ? 0 : layer.frac.out, data });
  if (layer.kernel === 'matmul') {
    const a = ctx.value(layer.inputs[0]);
    const b = ctx.value(layer.inputs[1]);
    const shape = [...broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]];
    return result(matmul(a, b, layer, shape, node), shape);
  }
  const x = ctx.value(layer.inputs[0]);
  const N = layer.shapes?.output?.length ? layer.shapes.output[layer.shapes.output.length - 1] : Number(ctx.graph.tensor(ctx.outName).shape.at(-1));
  const shape = [...x.shape.slice(0, -1), N];
  const K = x.shape[x.shape.length - 1];
  const M = x.data.length / K;
  if (!layer.weightsCodes) throw new FirmflowError('aie.emulate', `dense node '${node.name}' has no weight codes`, { node: node.name });
  if (bf) return result(denseBf16(x.data, M, K, N, Float32Array.from(layer.weightsCodes, bf16FromBits), layer.biasFloat, layer.fusedRelu), shape);
  checkFrac(x, layer.frac.a, node);
  return result(denseCodes(x.data, M, K, N, layer.weightsCodes, layer.biasCodes, layer), shape);
}

/** Real values of a layer's integer weights [K][N] (per-column scales), or bf16 patterns. */
function weightValues(layer: AieLayer, N: number): Float64Array {
  const c = layer.weightsCodes!;
  if (layer.dtype.out === 'bf16' || layer.dtype.w === 'bf16') return Float64Array.from(c, bf16FromBits);
  const fw = layer.frac.w ?? 0;
  return Float64Array.from(c, (v, i) => v * 2 ** -(typeof fw === 'number' ? fw : fw[i % N]));
}

export function biasValues(layer: AieLayer, N: number): Float64Array | undefined {
  if (layer.dtype.out === 'bf16') return layer.biasFloat ? Float64Array.from(layer.biasFloat) : undefined;
  if (!layer.biasCodes) return undefined;
  const fa = layer.frac.a, fw = layer.frac.w ?? 0, fb = layer.frac.b;
  const at = (n: number): number => {
    if (typeof fb === 'number') return fb;
    if (Array.isArray(fb)) return fb[n];
    return fa + (typeof fw === 'number' ? fw : fw[n]);
  };
  return Float64Array.from(layer.biasCodes, (v, n) => v * 2 ** -at(n % N));
}

/** max_n sum_k |a[k][n]| over the K x N matrices stored back to back in `a`. */
function maxColAbsSum(a: ArrayLike<number>, K: number, N: number, from = 0, to = a.length): number {
  let m = 0;
  const col = new Float64Array(N);
  for (let base = from; base + K * N <= to; base += K * N) {
    col.fill(0);
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) col[n] += Math.abs(a[base + k * N + n]);
    for (let n = 0; n < N; n++) if (col[n] > m) m = col[n];
  }
  return m;
}

/**
 * max_{m,n} |sum_k w[k][n] (xq[m][k] - xf[m][k])|: the float layer's linear map applied to the actual input error,
 * which never exceeds L * e = max_n sum_k |w[k][n]| * max |xq - xf| and is exact where L * e is a worst case.
 */
function propagated(w: ArrayLike<number>, K: number, N: number, xq: ArrayLike<number>, xf: ArrayLike<number>): number {
  let m = 0;
  const acc = new Float64Array(N);
  for (let r = 0; r + K <= xq.length; r += K) {
    acc.fill(0);
    for (let k = 0; k < K; k++) {
      const d = xq[r + k] - xf[r + k];
      if (d === 0) continue;
      for (let n = 0; n < N; n++) acc[n] += w[k * N + n] * d;
    }
    for (let n = 0; n < N; n++) { const v = Math.abs(acc[n]); if (v > m) m = v; }
  }
  // Float64 rounding of the sums (K terms): relative K * 2^-53 of sum |w| |d| <= L * e.
  return m * (1 + K * 2 ** -52);
}

/**
 * max |(A_q - A_f) B_q + A_f (B_q - B_f)| over the elements of matrix pairs stored back to back: A_q B_q - A_f B_f
 * exactly, the float product's response to the actual operand errors (<= e_A max colsum |B_q| + e_B max rowsum |A_f|).
 */
function propagatedProduct(aq: ArrayLike<number>, af: ArrayLike<number>, bq: ArrayLike<number>, bf: ArrayLike<number>, M: number, K: number, N: number): number {
  let m = 0;
  const acc = new Float64Array(N);
  let scale = 0;
  for (let t = 0; (t + 1) * M * K <= aq.length; t++) {
    const ao = t * M * K, bo = t * K * N;
    for (let i = 0; i < M; i++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const da = aq[ao + i * K + k] - af[ao + i * K + k], a = af[ao + i * K + k];
        for (let n = 0; n < N; n++) {
          const term = da * bq[bo + k * N + n] + a * (bq[bo + k * N + n] - bf[bo + k * N + n]);
          acc[n] += term;
          scale = Math.max(scale, Math.abs(term));
        }
      }
      for (let n = 0; n < N; n++) { const v = Math.abs(acc[n]); if (v > m) m = v; }
    }
  }
  // Float64 rounding of the 2K-term sums.
  return m + 2 * K * K * scale * 2 ** -52;
}

/** max_m sum_k |a[m][k]| over rows of K. */
function maxRowAbsSum(a: ArrayLike<number>, K: number, from = 0, to = a.length): number {
  let m = 0;
  for (let r = from; r + K <= to; r += K) {
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.abs(a[r + k]);
    if (s > m) m = s;
  }
  return m;
}

/** The weight and bias tensors of a dense layer: Dense (x, W, b), or a MatMul with a constant operand (no bias). */
function denseConstants(g: Graph, node: IRNode): { weights?: string; bias?: string } {
  if (node.op === 'Dense') return { weights: node.inputs[1], bias: node.inputs[2] || undefined };
  return { weights: node.inputs.find((t) => t !== '' && g.isConstant(t)) };
}


/**
 * Dense: W_q (x_q - x_f) on the actual input error, plus the srs rounding and the constants' quantization (bf16:
 * fp32 accumulation and the output rounding). MatMul: (A_q - A_f) B_q + A_f (B_q - B_f) on the sample's matrices.
 */
function traceBound(ctx: TraceContext): (s: number) => number {
  const { layer, bf, ins, inV, out } = ctx;
  const shifts = typeof layer.shift === 'number' ? layer.shift > 0 : layer.shift.some((v) => v > 0);
  if (layer.kernel === 'matmul') {
    const [a, b] = ins;
    const av = inV[0], bv = inV[1];
    const K = av.shape[av.shape.length - 1], N = bv.shape[bv.shape.length - 1];
    const perSample = (v: EmuValue): boolean => v.shape[0] === ctx.samples && v.shape.length === out.shape.length;
    const part = (t: string, v: EmuValue, s: number, of: (t: string, s?: number) => Float64Array | undefined): Float64Array | undefined => (perSample(v) ? of(t, s) : of(t));
    // Operands with the same batch axes pair matrix for matrix: the exact propagation applies.
    const paired = perSample(av) && perSample(bv) && av.shape.slice(0, -2).join() === bv.shape.slice(0, -2).join();
    const M = av.shape[av.shape.length - 2];
    return (s) => {
      const aq = part(a, av, s, ctx.fixedOf)!, bq = part(b, bv, s, ctx.fixedOf)!, af = part(a, av, s, ctx.floatOf), bfl = part(b, bv, s, ctx.floatOf);
      const eA = ctx.err(a, s), eB = ctx.err(b, s);
      let own = ctx.rho(shifts) + ctx.rr;
      if (bf) own += ctx.bfOut(s, U_BF16) + gammaF32(K + 1) * maxRowAbsSum(aq, K) * maxAbs(bq);
      if (eA === 0 && eB === 0) return own;
      if (paired && af && bfl) return propagatedProduct(aq, af, bq, bfl, M, K, N) + own;
      const LA = maxColAbsSum(bq, K, N);
      const LB = af ? maxRowAbsSum(af, K) : Infinity;
      return (eA === 0 ? 0 : LA * eA) + (eB === 0 ? 0 : LB * eB) + own;
    };
  }
  const N = out.shape[out.shape.length - 1];
  const wq = weightValues(layer, N);
  const K = wq.length / N;
  const bq = biasValues(layer, N);
  const names = denseConstants(ctx.graph, ctx.node);
  const wf = ctx.refConst(names.weights, wq.length);
  const bfl = bq ? ctx.refConst(names.bias, bq.length) : undefined;
  const L = maxColAbsSum(wq, K, N);
  const dW = wf ? maxColAbsSum(Float64Array.from(wq, (v, i) => v - wf[i]), K, N) : 0;
  const dB = bq ? maxAbsDiff(bq, bfl) : 0;
  const bmax = bq ? maxAbs(bq) : 0;
  const x = ins[0];
  return (s) => {
    const xq = ctx.fixedOf(x, s)!, xf = ctx.floatOf(x, s);
    const e = ctx.err(x, s);
    let own = ctx.rho(shifts) + ctx.rr + dB + (dW ? dW * (xf ? maxAbs(xf) : Infinity) : 0);
    if (bf) own += ctx.bfOut(s, U_BF16) + gammaF32(K + 1) * (L * maxAbs(xq) + bmax);
    return (e === 0 ? 0 : xf ? propagated(wq, K, N, xq, xf) : Infinity) + own;
  };
}

/** The cascade grid of mmul kernels (tile-resident weights), or the streamed-weights Dense (writer/streamed.ts). */
function emit(ctx: EmitContext): LayerModel {
  const { layer, node, model: L } = ctx;
  const cfg = L.config.name, cfgLines = L.config.lines, id = L.id;
  const t = layer.tiling ?? ctx.fail('has no tiling (run the aie:tile flow before writing)');
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
  cfgLines.push(...epilogueConfig(layer));
  if (t.weights === 'memtile') {
    // Weights streamed from memory tiles (GMIO -> shared buffer -> async port): writer/streamed.ts.
    writeStreamedDense({
      node, layer, L, t, cfg, meta: ctx.meta, device: ctx.device(), cppType: CPP_TYPE, kid: ctx.kernelId, names: ctx.names, place: ctx.place, dimensions: ctx.dimensions, connections: ctx.connections, out: ctx.streamed,
      readA: (ends) => ctx.read(layer.inputs[0], ends),
      writeC: (ends) => ctx.write(ends),
    });
    return L;
  }
  const batch = t.batch;
  for (let c = 0; c < t.casNum; c++) {
    for (let p = 0; p < t.casLength; p++) {
      const role = roleOf(p, t.casLength);
      // A Dense with per-column shifts: chain c's first column (template argument COL0) selects its shifts.
      const cls = `firmflow::${isDense ? 'Dense' : 'MatMul'}<${cfg}, firmflow::Role::${role}${isDense && (perCol || perColUp) && c > 0 && t.split === 'N' ? `, ${c * t.tileN}` : ''}>`;
      if (!L.instantiations.includes(cls)) L.instantiations.push(cls);
      const kId = ctx.names.kernel(ctx.kernelId(c, p));
      const km: KernelModel = { id: kId, layer: node.name, cls, ctorArgs: [], source: `kernels/${id}.cc`, inDims: [], outDims: [] };
      const colOff = t.split === 'N' ? c * t.tileN : 0;
      const rowOff = t.split === 'M' ? c * t.tileM : 0;
      if (isDense) {
        const wName = ctx.names.array(id, `w_c${c}_p${p}`);
        const bName = ctx.names.array(id, `b_c${c}_p${p}`);
        const codes = layer.weightsCodes;
        if (!codes) ctx.fail('has no weight codes');
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
      ctx.dimensions.push({ port: aEnd.port, elements: km.inDims[0]! });
      ctx.read(layer.inputs[0], [aEnd]);
      if (!isDense) {
        const bEnd: Endpoint = { port: `${kId}.in[1]`, layout: { kind: 'blockedB', tileK: t.tileK, tileN: t.tileN, k, n, rowOff: p * t.tileK, colOff, batch } };
        km.inDims[1] = t.tileK * t.tileN * batch;
        ctx.dimensions.push({ port: bEnd.port, elements: km.inDims[1]! });
        ctx.read(layer.inputs[1], [bEnd]);
      }
      const nBuf = isDense ? 1 : 2;
      if (role === 'single' || role === 'last') {
        const oEnd: Endpoint = { port: `${kId}.out[0]`, layout: { kind: 'blockedC', tileM: t.tileM, tileN: t.tileN, m, n, rowOff, colOff, batch } };
        km.outDims[0] = t.tileM * t.tileN * batch;
        ctx.dimensions.push({ port: oEnd.port, elements: km.outDims[0]! });
        ctx.write([oEnd]);
      }
      if (p > 0) ctx.connections.push({ from: `${ctx.names.kernel(ctx.kernelId(c, p - 1))}.out[0]`, to: `${kId}.in[${nBuf}]` });
      ctx.place(km, c, p);
      L.kernels.push(km);
    }
  }
  L.summary = `${layer.kernel} ${t.M}x${t.K}x${t.N}${batch > 1 ? ` (x${batch})` : ''}, cascade ${t.casLength} x ${t.casNum}, mmul ${m}x${k}x${n}`;
  return L;
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

function roleOf(pos: number, len: number): 'single' | 'first' | 'middle' | 'last' {
  if (len === 1) return 'single';
  if (pos === 0) return 'first';
  return pos === len - 1 ? 'last' : 'middle';
}

function padTo(a: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => a[i] ?? 0);
}

/** The kernel classes that can take their srs shift as a runtime parameter: the chain ends that apply srs. */
const RTP_CLASS = /^firmflow::(Dense|MatMul)<(\w+), firmflow::Role::(single|last)>$/;

/**
 * Runtime parameters (`aie.rtp` 'shift'): the kernel that applies srs of an int Dense/MatMul layer with one scalar
 * shift becomes DenseRtp/MatMulRtp (templates/kernels/dense_rtp.h), whose shift argument follows its buffers and
 * cascade. Changes the layer's kernel classes in `L`. Layers with per-column shifts, bf16 layers, int32 outputs (no
 * srs shift: the exact accumulator) and layers whose weights stream from memory tiles keep their constant shift.
 */
function runtimeParameters(layer: AieLayer, L: LayerModel, kinds: string[], names: AieNames): RtpModel[] {
  const out: RtpModel[] = [];
  if (!kinds.includes('shift') || typeof layer.shift !== 'number' || layer.dtype.acc === 'accfloat' || layer.upshift !== undefined) return out;
  for (const k of L.kernels) {
    const m = RTP_CLASS.exec(k.cls);
    if (!m) continue;
    const [, kind, cfg, role] = m;
    k.cls = `firmflow::${kind}Rtp<${cfg}, firmflow::Role::${role}>`;
    if (!L.instantiations.includes(k.cls)) L.instantiations.push(k.cls);
    // Inputs before the scalar: A (and MatMul's B), then the cascade of a last kernel.
    const index = (kind === 'Dense' ? 1 : 2) + (role === 'last' ? 1 : 0);
    out.push({ port: names.rtp(k.id, 'shift'), kernel: k.id, index, ctype: 'int32', kind: 'shift', value: layer.shift, node: L.node });
  }
  if (out.length) {
    const used = new Set(L.kernels.map((k) => k.cls));
    L.instantiations = L.instantiations.filter((i) => i.startsWith('void ') || used.has(i));
    L.library = 'dense_rtp.h';
  }
  return out;
}

/** What the tiling search (tiling.ts productCandidates) needs of a Dense/MatMul layer. */
export function productProblem(name: string, l: AieLayer): ProductProblem {
  const xs = l.shapes.inputs[0];
  const out = l.shapes.output;
  const K = xs[xs.length - 1], N = out[out.length - 1];
  const batch = l.kernel === 'matmul' ? Number(l.attrs['batch'] ?? 1) : 1;
  const M = l.kernel === 'matmul' ? (xs.length >= 2 ? xs[xs.length - 2] : 1) : sizeOf(xs.slice(0, -1));
  return {
    name, kind: l.kernel as 'dense' | 'matmul', M, K, N, batch,
    a: l.dtype.a, w: l.dtype.w ?? l.dtype.a, out: l.dtype.out, acc: l.dtype.acc, runtimeB: l.kernel === 'matmul',
    perChannel: Array.isArray(l.shift), hasBias: !!(l.biasCodes || l.biasFloat), fusedRelu: l.fusedRelu,
  };
}
