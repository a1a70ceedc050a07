/**
 * IR op definitions for matrix products, normalizations, softmax and reductions. Attribute names follow ONNX;
 * every attribute is explicit (the frontend writes defaults) and opset differences are gone:
 *
 * - 'Gemm' (A, B, C?) {alpha, beta, transA, transB}: Y = alpha * op(A) @ op(B) + beta * C, A and B 2-D, C
 *   broadcast to [M, N] (scalar, [N], [M, 1], [1, N] or [M, N]). M may be the symbolic batch.
 * - 'MatMul' (A, B): numpy matmul. 1-D operands are promoted (A to [1, K], B to [K, 1]) and the added axis is
 *   dropped from the result; leading (batch) axes broadcast.
 * - 'BatchNormalization' (X, scale, B, mean, var) {epsilon}: inference form on channel axis 1,
 *   Y = (X - mean) / sqrt(var + epsilon) * scale + B; the parameters are [C].
 * - 'LayerNormalization' (X, scale, B?) {axis, epsilon}: normalizes over axes axis..rank-1 (axis non-negative),
 *   Y = (X - mean) / sqrt(variance + epsilon) * scale + B, scale and B broadcast to the normalized shape.
 * - 'Softmax' / 'LogSoftmax' (X) {axis}: over the single non-negative `axis` (opset < 13's "coerce to 2-D"
 *   form is rewritten by the frontend with Reshapes).
 * - 'ReduceMean' / 'ReduceSum' / 'ReduceMax' / 'ReduceMin' / 'ReduceProd' (X) {axes, keepdims}: `axes` sorted,
 *   non-negative and never empty (the frontend expands "all axes"); keepdims 0 or 1.
 */
import type { IRNode, Tensor } from '../graph.js';
import { registerIROp, type IROpDef, type RtTensor } from '../ops.js';
import { broadcastShapes, intsAttr, normAxis, numAttr, sizeOf, strides } from '../shape.js';
import type { Dim, Shape } from '../types.js';
import { formatShape } from '../types.js';
import { broadcastBinary, round32 } from './elementwise.js';

function need(t: Tensor | undefined, what: string, node: IRNode): Tensor {
  if (!t) throw new Error(`${node.op}: input ${what} is missing`);
  return t;
}

/** Two dims that must agree (a symbolic dim agrees only with itself). */
function dimsAgree(a: Dim, b: Dim): boolean {
  return a === b;
}

// ------------------------------------------------------------------------------------------------ Gemm

const gemm: IROpDef = {
  op: 'Gemm',
  summary: 'Y = alpha * op(A) @ op(B) + beta * C',
  inferShape(node, [a, b, c]) {
    const at = need(a, 'A', node), bt = need(b, 'B', node);
    if (at.shape.length !== 2 || bt.shape.length !== 2) throw new Error(`Gemm needs 2-D A and B, got A ${formatShape(at.shape)} and B ${formatShape(bt.shape)}`);
    const tA = numAttr(node.attrs, 'transA', 0) !== 0, tB = numAttr(node.attrs, 'transB', 0) !== 0;
    const [M, Ka] = tA ? [at.shape[1], at.shape[0]] : at.shape;
    const [Kb, N] = tB ? [bt.shape[1], bt.shape[0]] : bt.shape;
    if (!dimsAgree(Ka, Kb)) throw new Error(`Gemm inner dimensions differ: op(A) ${formatShape([M, Ka])}, op(B) ${formatShape([Kb, N])}`);
    if (c) {
      const out = broadcastShapes([M, N], c.shape);
      if (out.length !== 2 || out[0] !== M || out[1] !== N) throw new Error(`Gemm C ${formatShape(c.shape)} does not broadcast to ${formatShape([M, N])}`);
    }
    return [{ shape: [M, N], dtype: at.dtype }];
  },
  evaluate(node, [a, b, c], ctx) {
    const tA = numAttr(node.attrs, 'transA', 0) !== 0, tB = numAttr(node.attrs, 'transB', 0) !== 0;
    const alpha = numAttr(node.attrs, 'alpha', 1), beta = numAttr(node.attrs, 'beta', 1);
    const A = a!.data, B = b!.data;
    const M = tA ? a!.shape[1] : a!.shape[0], K = tA ? a!.shape[0] : a!.shape[1];
    const N = tB ? b!.shape[0] : b!.shape[1];
    const out = new Float64Array(M * N);
    const row = new Float64Array(N);
    for (let m = 0; m < M; m++) {
      if (tB && !tA) {
        // Rows of A and of B are both contiguous: plain dot products.
        const ao = m * K;
        for (let n = 0; n < N; n++) {
          const bo = n * K;
          let acc = 0;
          for (let k = 0; k < K; k++) acc += A[ao + k] * B[bo + k];
          out[m * N + n] = alpha * acc;
        }
        continue;
      }
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = tA ? A[k * M + m] : A[m * K + k];
        if (av === 0) continue;
        if (tB) for (let n = 0; n < N; n++) row[n] += av * B[n * K + k];
        else { const bo = k * N; for (let n = 0; n < N; n++) row[n] += av * B[bo + n]; }
      }
      const o = m * N;
      for (let n = 0; n < N; n++) out[o + n] = alpha * row[n];
    }
    if (c && beta !== 0) {
      const cb = broadcastBinary({ shape: [M, N], data: out }, c, (x, y) => x + beta * y);
      return [{ shape: [M, N], data: round32(cb.data, ctx) }];
    }
    return [{ shape: [M, N], data: round32(out, ctx) }];
  },
};

// ---------------------------------------------------------------------------------------------- MatMul

/** Output shape of numpy matmul, with the promotions of 1-D operands. */
export function matmulShape(a: Shape, b: Shape): Shape {
  if (a.length === 0 || b.length === 0) throw new Error('MatMul operands must have rank 1 or more');
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const K1 = A[A.length - 1], K2 = B[B.length - 2];
  if (!dimsAgree(K1, K2)) throw new Error(`MatMul inner dimensions differ: ${formatShape(a)} @ ${formatShape(b)}`);
  const batch = broadcastShapes(A.slice(0, -2), B.slice(0, -2));
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

const matmul: IROpDef = {
  op: 'MatMul',
  summary: 'numpy matrix product',
  inferShape(node, [a, b]) {
    const at = need(a, 'A', node), bt = need(b, 'B', node);
    return [{ shape: matmulShape(at.shape, bt.shape), dtype: at.dtype }];
  },
  evaluate(_node, [a, b], ctx) {
    const shape = matmulShape(a!.shape, b!.shape) as number[];
    const As = a!.shape.length === 1 ? [1, a!.shape[0]] : a!.shape;
    const Bs = b!.shape.length === 1 ? [b!.shape[0], 1] : b!.shape;
    const M = As[As.length - 2], K = As[As.length - 1], N = Bs[Bs.length - 1];
    const A = a!.data, B = b!.data;
    const batch = broadcastShapes(As.slice(0, -2), Bs.slice(0, -2)) as number[];
    const nb = sizeOf(batch);
    const out = new Float64Array(nb * M * N);
    // Offsets of each batch's matrix in A and B under broadcasting.
    const aBatch = As.slice(0, -2), bBatch = Bs.slice(0, -2);
    const aStr = batchStrides(aBatch, batch, M * K), bStr = batchStrides(bBatch, batch, K * N);
    const bst = strides(batch);
    for (let i = 0; i < nb; i++) {
      let ao = 0, bo = 0, rem = i;
      for (let d = 0; d < batch.length; d++) {
        const idx = Math.floor(rem / bst[d]);
        rem -= idx * bst[d];
        ao += idx * aStr[d];
        bo += idx * bStr[d];
      }
      const oo = i * M * N;
      for (let m = 0; m < M; m++) {
        const orow = oo + m * N, arow = ao + m * K;
        for (let k = 0; k < K; k++) {
          const av = A[arow + k];
          if (av === 0) continue;
          const brow = bo + k * N;
          for (let n = 0; n < N; n++) out[orow + n] += av * B[brow + n];
        }
      }
    }
    return [{ shape, data: round32(out, ctx) }];
  },
};

/** Element strides (in units of whole matrices of `matSize`) of a batch shape broadcast to `out`. */
function batchStrides(shape: number[], out: number[], matSize: number): number[] {
  const res = new Array<number>(out.length).fill(0);
  const off = out.length - shape.length;
  let acc = matSize;
  for (let i = shape.length - 1; i >= 0; i--) {
    res[off + i] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return res;
}

// ------------------------------------------------------------------------------------- normalizations

function checkVector(t: Tensor | undefined, what: string, C: Dim, node: IRNode): void {
  const tt = need(t, what, node);
  if (tt.shape.length !== 1 || !dimsAgree(tt.shape[0], C)) {
    throw new Error(`BatchNormalization ${what} has shape ${formatShape(tt.shape)}, expected [${C}] (channel axis 1)`);
  }
}

const batchNorm: IROpDef = {
  op: 'BatchNormalization',
  summary: 'inference batch normalization on channel axis 1',
  inferShape(node, [x, scale, b, mean, v]) {
    const xt = need(x, 'X', node);
    if (xt.shape.length < 2) throw new Error(`BatchNormalization input ${formatShape(xt.shape)} has no channel axis`);
    const C = xt.shape[1];
    checkVector(scale, 'scale', C, node); checkVector(b, 'B', C, node);
    checkVector(mean, 'mean', C, node); checkVector(v, 'var', C, node);
    return [{ shape: xt.shape, dtype: xt.dtype }];
  },
  evaluate(node, [x, scale, b, mean, v], ctx) {
    const eps = numAttr(node.attrs, 'epsilon', 1e-5);
    const C = x!.shape[1];
    const inner = sizeOf(x!.shape.slice(2));
    const mul = new Float64Array(C), add = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      mul[c] = scale!.data[c] / Math.sqrt(v!.data[c] + eps);
      add[c] = b!.data[c] - mean!.data[c] * mul[c];
    }
    const X = x!.data;
    const out = new Float64Array(X.length);
    for (let i = 0; i < X.length; i++) {
      const c = Math.floor(i / inner) % C;
      out[i] = X[i] * mul[c] + add[c];
    }
    return [{ shape: x!.shape, data: round32(out, ctx) }];
  },
};

const layerNorm: IROpDef = {
  op: 'LayerNormalization',
  summary: 'layer normalization over axes axis..rank-1',
  inferShape(node, [x, scale, b]) {
    const xt = need(x, 'X', node);
    const axis = normAxis(numAttr(node.attrs, 'axis', -1), xt.shape.length);
    const norm = xt.shape.slice(axis);
    if (norm.some((d) => typeof d !== 'number')) throw new Error(`LayerNormalization over ${formatShape(norm)} includes the dynamic batch axis`);
    for (const [t, what] of [[scale, 'scale'], [b, 'B']] as const) {
      if (!t) { if (what === 'scale') throw new Error('LayerNormalization: input scale is missing'); continue; }
      const bs = broadcastShapes(norm, t.shape);
      if (bs.length !== norm.length || bs.some((d, i) => d !== norm[i])) throw new Error(`LayerNormalization ${what} ${formatShape(t.shape)} does not broadcast to ${formatShape(norm)}`);
    }
    return [{ shape: xt.shape, dtype: xt.dtype }];
  },
  evaluate(node, [x, scale, b], ctx) {
    const axis = normAxis(numAttr(node.attrs, 'axis', -1), x!.shape.length);
    const eps = numAttr(node.attrs, 'epsilon', 1e-5);
    const normShape = x!.shape.slice(axis);
    const D = sizeOf(normShape);
    const S = expandTo(scale!, normShape), B = b ? expandTo(b, normShape) : undefined;
    const X = x!.data, out = new Float64Array(X.length);
    for (let o = 0; o < X.length; o += D) {
      let mean = 0;
      for (let i = 0; i < D; i++) mean += X[o + i];
      mean /= D;
      let vr = 0;
      for (let i = 0; i < D; i++) { const d = X[o + i] - mean; vr += d * d; }
      const inv = 1 / Math.sqrt(vr / D + eps);
      for (let i = 0; i < D; i++) out[o + i] = (X[o + i] - mean) * inv * S[i] + (B ? B[i] : 0);
    }
    return [{ shape: x!.shape, data: round32(out, ctx) }];
  },
};

/** A tensor broadcast to `shape`, as a flat array. */
function expandTo(t: RtTensor, shape: number[]): Float64Array {
  if (t.data.length === sizeOf(shape)) return t.data;
  return broadcastBinary({ shape, data: new Float64Array(sizeOf(shape)) }, t, (_z, y) => y).data;
}

// --------------------------------------------------------------------------------------------- Softmax

/** Outer count, axis length and inner stride for walking one axis of a static shape. */
function axisGeometry(shape: number[], axis: number): { outer: number; len: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), len: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

function softmaxDef(op: 'Softmax' | 'LogSoftmax'): IROpDef {
  return {
    op,
    summary: `${op} over one axis`,
    inferShape(node, [x]) {
      const xt = need(x, 'X', node);
      normAxis(numAttr(node.attrs, 'axis', -1), xt.shape.length);
      return [{ shape: xt.shape, dtype: xt.dtype }];
    },
    evaluate(node, [x], ctx) {
      const axis = normAxis(numAttr(node.attrs, 'axis', -1), x!.shape.length);
      const { outer, len, inner } = axisGeometry(x!.shape, axis);
      const X = x!.data, out = new Float64Array(X.length);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          const base = o * len * inner + i;
          let mx = -Infinity;
          for (let k = 0; k < len; k++) mx = Math.max(mx, X[base + k * inner]);
          let sum = 0;
          for (let k = 0; k < len; k++) sum += Math.exp(X[base + k * inner] - mx);
          if (op === 'Softmax') for (let k = 0; k < len; k++) out[base + k * inner] = Math.exp(X[base + k * inner] - mx) / sum;
          else { const ls = Math.log(sum); for (let k = 0; k < len; k++) out[base + k * inner] = X[base + k * inner] - mx - ls; }
        }
      }
      return [{ shape: x!.shape, data: round32(out, ctx) }];
    },
  };
}

// ------------------------------------------------------------------------------------------ reductions

const REDUCERS: Record<string, { init: number; step: (acc: number, v: number) => number; finish?: (acc: number, n: number) => number }> = {
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n },
  ReduceSum: { init: 0, step: (a, v) => a + v },
  ReduceMax: { init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a) },
  ReduceMin: { init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a) },
  ReduceProd: { init: 1, step: (a, v) => a * v },
};

function reducedShape(shape: Shape, axes: number[], keep: boolean): Shape {
  const set = new Set(axes);
  const out: Dim[] = [];
  shape.forEach((d, i) => { if (!set.has(i)) out.push(d); else if (keep) out.push(1); });
  return out;
}

function reduceDef(op: string): IROpDef {
  const r = REDUCERS[op];
  return {
    op,
    summary: `${op} over the listed axes`,
    inferShape(node, [x]) {
      const xt = need(x, 'X', node);
      const axes = intsAttr(node.attrs, 'axes');
      if (!axes.length) throw new Error(`${op} needs a non-empty axes list`);
      for (const a of axes) if (a < 0 || a >= xt.shape.length) throw new Error(`${op} axis ${a} is out of range for ${formatShape(xt.shape)}`);
      return [{ shape: reducedShape(xt.shape, axes, numAttr(node.attrs, 'keepdims', 1) !== 0), dtype: xt.dtype }];
    },
    evaluate(node, [x], ctx) {
      const axes = intsAttr(node.attrs, 'axes');
      const keep = numAttr(node.attrs, 'keepdims', 1) !== 0;
      const shape = x!.shape, rank = shape.length;
      const outShape = reducedShape(shape, axes, keep) as number[];
      const keptShape = reducedShape(shape, axes, true) as number[];
      const ks = strides(keptShape);
      const set = new Set(axes);
      const out = new Float64Array(sizeOf(keptShape)).fill(r.init);
      const X = x!.data;
      const idx = new Array<number>(rank).fill(0);
      let o = 0;
      for (let i = 0; i < X.length; i++) {
        out[o] = r.step(out[o], X[i]);
        for (let k = rank - 1; k >= 0; k--) {
          idx[k]++;
          if (!set.has(k)) o += ks[k];
          if (idx[k] < shape[k]) break;
          if (!set.has(k)) o -= ks[k] * shape[k];
          idx[k] = 0;
        }
      }
      if (r.finish) {
        let n = 1;
        for (const a of axes) n *= shape[a];
        for (let i = 0; i < out.length; i++) out[i] = r.finish(out[i], n);
      }
      return [{ shape: outShape, data: round32(out, ctx) }];
    },
  };
}

export function registerMathOps(): void {
  registerIROp(gemm);
  registerIROp(matmul);
  registerIROp(batchNorm);
  registerIROp(layerNorm);
  registerIROp(softmaxDef('Softmax'));
  registerIROp(softmaxDef('LogSoftmax'));
  for (const op of Object.keys(REDUCERS)) registerIROp(reduceDef(op));
}
