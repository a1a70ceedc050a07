/**
 * IR op definitions for element-wise ops. Attribute names and meanings follow ONNX, every attribute explicit:
 *
 * - Unary (X) -> Y of X's shape: Relu; LeakyRelu {alpha}; Elu {alpha}; Selu {alpha, gamma}; Sigmoid;
 *   HardSigmoid {alpha, beta}; HardSwish (x * HardSigmoid(x), alpha 1/6 and beta 1/2); Tanh; Softplus; Softsign;
 *   Clip {min, max} (both always present, -Infinity / Infinity for an absent bound; ONNX's min/max inputs are
 *   folded into these); Neg; Abs; Sqrt; Exp; Log;
 *   Reciprocal; Floor; Ceil; Round (half to even); Erf; Gelu {approximate: 'none' | 'tanh'}; Identity.
 * - Binary (A, B) -> numpy broadcast of the two shapes: Add, Sub, Mul, Div, Pow, Max, Min, PRelu (B is the
 *   slope, broadcast to X). ONNX's variadic Max/Min/Sum/Mean arrive as chains of these; opset < 7 legacy
 *   broadcasting is rewritten by the frontend into numpy form.
 */
import type { IRNode } from '../graph.js';
import { registerIROp, type EvalContext, type IROpDef, type RtTensor } from '../ops.js';
import { broadcastShapes, broadcastStrides } from '../shape.js';
import type { Attrs } from '../types.js';

const num = (attrs: Attrs, k: string, d: number): number => (typeof attrs[k] === 'number' ? (attrs[k] as number) : d);

/** Element-wise functions of one input. Attribute names and meanings follow ONNX. */
export const UNARY: Record<string, (a: Attrs) => (x: number) => number> = {
  Relu: () => (x) => (x > 0 ? x : 0),
  LeakyRelu: (a) => { const al = num(a, 'alpha', 0.01); return (x) => (x >= 0 ? x : al * x); },
  Elu: (a) => { const al = num(a, 'alpha', 1); return (x) => (x >= 0 ? x : al * Math.expm1(x)); },
  Selu: (a) => {
    const al = num(a, 'alpha', 1.67326319217681884765625), g = num(a, 'gamma', 1.05070102214813232421875);
    return (x) => (x > 0 ? g * x : g * al * Math.expm1(x));
  },
  Sigmoid: () => (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  HardSigmoid: (a) => { const al = num(a, 'alpha', 0.2), b = num(a, 'beta', 0.5); return (x) => Math.max(0, Math.min(1, al * x + b)); },
  HardSwish: () => (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)),
  Tanh: () => Math.tanh,
  Softplus: () => (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  Softsign: () => (x) => x / (1 + Math.abs(x)),
  Clip: (a) => { const lo = num(a, 'min', -Infinity), hi = num(a, 'max', Infinity); return (x) => (x < lo ? lo : x > hi ? hi : x); },
  Neg: () => (x) => -x,
  Abs: () => Math.abs,
  Sqrt: () => Math.sqrt,
  Exp: () => Math.exp,
  Log: () => Math.log,
  Reciprocal: () => (x) => 1 / x,
  Floor: () => Math.floor,
  Ceil: () => Math.ceil,
  // ONNX Round is half to even.
  Round: () => (x) => { const r = Math.round(x); return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; },
  Erf: () => erf,
  Gelu: (a) => (a['approximate'] === 'tanh'
    ? (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
    : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))),
  Identity: () => (x) => x,
};

/** Element-wise functions of two broadcast inputs. */
export const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
  Pow: (a, b) => a ** b,
  Max: (a, b) => (a > b ? a : b),
  Min: (a, b) => (a < b ? a : b),
  // PRelu: x where x >= 0, slope * x elsewhere (slope broadcast to x).
  PRelu: (x, s) => (x >= 0 ? x : s * x),
};

/** Error function to near double precision: Maclaurin series for |x| < 2.5, erfc continued fraction beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)); converges fast for |x| < 2.5.
    let term = ax, sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc continued fraction (Lentz) for large |x|.
  const z = ax;
  let f = z, C = z, D = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    D = z + an * D; D = 1 / D;
    C = z + an / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  return x < 0 ? erfc - 1 : 1 - erfc;
}

export function round32(data: Float64Array, ctx: EvalContext): Float64Array {
  if (ctx.float32) for (let i = 0; i < data.length; i++) data[i] = Math.fround(data[i]);
  return data;
}

function unaryDef(op: string): IROpDef {
  return {
    op,
    summary: `element-wise ${op}`,
    inferShape: (_n, [x]) => [{ shape: x!.shape, dtype: x!.dtype }],
    evaluate(node: IRNode, [x], ctx) {
      const f = UNARY[op](node.attrs);
      const out = new Float64Array(x!.data.length);
      for (let i = 0; i < out.length; i++) out[i] = f(x!.data[i]);
      return [{ shape: x!.shape, data: round32(out, ctx) }];
    },
  };
}

/** Applies `f` over two tensors with numpy broadcasting. */
export function broadcastBinary(a: RtTensor, b: RtTensor, f: (x: number, y: number) => number): RtTensor {
  const shape = broadcastShapes(a.shape, b.shape) as number[];
  const n = shape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(n);
  if (a.data.length === n && b.data.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a.data[i], b.data[i]);
    return { shape, data: out };
  }
  if (b.data.length === 1) {
    const y = b.data[0];
    for (let i = 0; i < n; i++) out[i] = f(a.data[i % a.data.length], y);
    if (a.data.length === n) return { shape, data: out };
  }
  const sa = broadcastStrides(a.shape, shape), sb = broadcastStrides(b.shape, shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let ia = 0, ib = 0;
  for (let i = 0; i < n; i++) {
    out[i] = f(a.data[ia], b.data[ib]);
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      ia += sa[k]; ib += sb[k];
      if (idx[k] < shape[k]) break;
      ia -= sa[k] * shape[k]; ib -= sb[k] * shape[k];
      idx[k] = 0;
    }
  }
  return { shape, data: out };
}

function binaryDef(op: string): IROpDef {
  return {
    op,
    summary: `element-wise ${op} with broadcasting`,
    inferShape: (_n, [a, b]) => [{ shape: broadcastShapes(a!.shape, b!.shape), dtype: a!.dtype }],
    evaluate(_node, [a, b], ctx) {
      const r = broadcastBinary(a!, b!, BINARY[op]);
      return [{ shape: r.shape, data: round32(r.data, ctx) }];
    },
  };
}

export function registerElementwiseOps(): void {
  for (const op of Object.keys(UNARY)) registerIROp(unaryDef(op));
  for (const op of Object.keys(BINARY)) registerIROp(binaryDef(op));
}
