import { fixedAdd as fxAdd, fixedCast as fxCast, convertRaw, fixedDiv as fxDiv, type FixedType, fracBits, type Fx, rawFromNumber, fixedSub as fxSub } from 'firmflow';
import { makeConverter, maxAbsCode, overflowsBig, type CodeConverter } from './convert.js';
import { constCodes, constType, product, role, unsupported, type BuildContext, type EmuKernel } from './kernel.js';
import { broadcastMap } from './movement.js';
import { tableReader } from './tables.js';

/*
 * Element-wise layers. Each computes an exact intermediate code per element into a scratch buffer (at a fixed
 * number of fractional bits) and converts the whole buffer to the result type in one pass, so the rounding and
 * overflow rule lives in one place (convert.ts).
 */

/** A kernel from a per-chunk "exact intermediate" function at `frac` fractional bits. */
function viaScratch(ctx: BuildContext, frac: number, n: number, fill: (X: Float64Array[], T: Float64Array, batch: number) => void): EmuKernel {
  const conv = makeConverter(frac, ctx.out.type);
  let T = new Float64Array(0);
  return {
    node: ctx.node, inputs: ctx.acts.map((a) => a.tensor.name), output: ctx.out.tensor.name,
    run(X, Y, batch) {
      const len = n * batch;
      if (T.length < len) T = new Float64Array(len);
      fill(X, T, batch);
      return conv(T, Y, len);
    },
  };
}

/** 2^53: beyond it a double no longer holds every integer, so exact intermediates go to BigInt. */
const EXACT = 2 ** 53;

/**
 * The BigInt twin of viaScratch for layers whose exact intermediate can exceed 2^53 (wide data times wide factors):
 * `elem` gives element i's exact code (at `frac` fractional bits) of the chunk, converted to the result one by one.
 */
function viaBig(ctx: BuildContext, frac: number, n: number, elem: (X: Float64Array[], i: number) => bigint): EmuKernel {
  const R = ctx.out.type;
  return {
    node: ctx.node, inputs: ctx.acts.map((a) => a.tensor.name), output: ctx.out.tensor.name,
    run(X, Y, batch) {
      let over = 0;
      for (let i = 0; i < n * batch; i++) {
        const v = elem(X, i);
        if (overflowsBig(v, frac, R)) over++;
        Y[i] = Number(convertRaw(v, frac, R));
      }
      return over;
    },
  };
}

/**
 * A constant factor of role `scale` (LeakyRelu alpha, HardSigmoid alpha/beta, Selu gamma, Clip bounds): the
 * lowering's code in params[`${key}_code`] when it records one, else the attribute quantized to the scale type
 * (the same quantizeCodes rule the lowering applies).
 */
function scaleCode(ctx: BuildContext, key: string, value: number, type: FixedType): number {
  const p = ctx.hls.params[`${key}_code`];
  if (typeof p === 'number') return p;
  return Number(rawFromNumber(value, type));
}

const attrNum = (ctx: BuildContext, k: string, d: number): number => (typeof ctx.node.attrs[k] === 'number' ? (ctx.node.attrs[k] as number) : d);

export function buildUnary(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = product(x.shape);
  const fx = fracBits(x.type);
  const op = ctx.node.op;
  switch (op) {
    case 'Relu':
      return viaScratch(ctx, fx, n, ([X], T, b) => { for (let i = 0; i < n * b; i++) { const v = X[i]; T[i] = v > 0 ? v : 0; } });
    case 'FixedCast':
      return viaScratch(ctx, fx, n, ([X], T, b) => { T.set(X.subarray(0, n * b)); });
    case 'LeakyRelu': {
      const s = role(ctx, 'scale');
      const a = scaleCode(ctx, 'alpha', attrNum(ctx, 'alpha', 0.01), s);
      const up = 2 ** fracBits(s);
      if (maxAbsCode(x.type) * Math.max(up, Math.abs(a)) >= EXACT) {
        const ub = BigInt(up), ab = BigInt(a);
        return viaBig(ctx, fx + fracBits(s), n, ([X], i) => { const v = BigInt(X[i]); return v >= 0n ? v * ub : v * ab; });
      }
      return viaScratch(ctx, fx + fracBits(s), n, ([X], T, b) => { for (let i = 0; i < n * b; i++) { const v = X[i]; T[i] = v >= 0 ? v * up : v * a; } });
    }
    case 'HardSigmoid': {
      // t = accum(alpha * x + beta); t <= 0 -> 0, t >= 1 -> 1, else result(t).
      const s = role(ctx, 'scale'), fs = fracBits(s);
      const a = scaleCode(ctx, 'alpha', attrNum(ctx, 'alpha', 0.2), s);
      const beta = scaleCode(ctx, 'beta', attrNum(ctx, 'beta', 0.5), s) * 2 ** fx;
      const A = ctx.hls.types['accum'];
      const F = fx + fs;
      const bound = maxAbsCode(x.type) * Math.abs(a) + Math.abs(beta);
      if (bound >= EXACT) {
        // Wide data: the same steps in BigInt (t = accum(alpha * x + beta) when an accumulator is named).
        const ab = BigInt(a), bb = BigInt(beta);
        const fa = A ? fracBits(A) : F;
        const one = 1n << BigInt(fa);
        return viaBig(ctx, fa, n, ([X], i) => {
          let v = BigInt(X[i]) * ab + bb;
          if (A) v = convertRaw(v, F, A);
          return v <= 0n ? 0n : v >= one ? one : v;
        });
      }
      if (!A || holdsExactly(A, F, bound)) {
        const one = 2 ** F;
        return viaScratch(ctx, F, n, ([X], T, b) => {
          for (let i = 0; i < n * b; i++) { const v = X[i] * a + beta; T[i] = v < 0 ? 0 : v > one ? one : v; }
        });
      }
      const fa = fracBits(A), one = 2 ** fa;
      const toAcc = makeConverter(F, A);
      const tmp = new Float64Array(1);
      return viaScratch(ctx, fa, n, ([X], T, b) => {
        for (let i = 0; i < n * b; i++) {
          tmp[0] = X[i] * a + beta;
          toAcc(tmp, tmp, 1);
          const v = tmp[0];
          T[i] = v <= 0 ? 0 : v >= one ? one : v;
        }
      });
    }
    case 'Clip': {
      const lo = attrNum(ctx, 'min', -Infinity), hi = attrNum(ctx, 'max', Infinity);
      const s = ctx.hls.types['scale'] ?? x.type;
      const fs = fracBits(s), F = Math.max(fx, fs);
      const up = 2 ** (F - fx);
      const loC = Number.isFinite(lo) ? scaleCode(ctx, 'min', lo, s) * 2 ** (F - fs) : -Infinity;
      const hiC = Number.isFinite(hi) ? scaleCode(ctx, 'max', hi, s) * 2 ** (F - fs) : Infinity;
      return viaScratch(ctx, F, n, ([X], T, b) => {
        for (let i = 0; i < n * b; i++) { const v = X[i] * up; T[i] = v < loC ? loC : v > hiC ? hiC : v; }
      });
    }
    case 'Sigmoid': case 'Tanh': case 'Softplus': case 'Elu': case 'Selu':
      return tableActivation(ctx);
    default:
      return unsupported(ctx, `no emulation of ${op}`);
  }
}

function tableActivation(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = product(x.shape);
  const fx = fracBits(x.type);
  const table = ctx.hls.tables?.['table'];
  if (!table) unsupported(ctx, 'has no lookup table in its HLS annotation');
  const rd = tableReader(table, fx);
  const ft = fracBits(table.type);
  const codes = rd.codes;
  const op = ctx.node.op;
  if (op === 'Elu' || op === 'Selu') {
    // x >= 0: the exact linear part (x, or gamma * x with gamma in the scale type); x < 0: the table.
    const s = op === 'Selu' ? role(ctx, 'scale') : undefined;
    const g = s ? scaleCode(ctx, 'gamma', attrNum(ctx, 'gamma', 1.05070102214813232421875), s) : 1;
    const fl = fx + (s ? fracBits(s) : 0);
    const F = Math.max(fl, ft);
    const lin = g * 2 ** (F - fl), tab = 2 ** (F - ft);
    let maxT = 0;
    for (const c of codes) maxT = Math.max(maxT, Math.abs(c));
    if (Math.max(maxAbsCode(x.type) * Math.abs(lin), maxT * tab) >= EXACT) {
      const gb = BigInt(g), ls = BigInt(F - fl), ts = BigInt(F - ft);
      return viaBig(ctx, F, n, ([X], i) => { const v = X[i]; return v >= 0 ? (BigInt(v) * gb) << ls : BigInt(codes[rd.index(v)]) << ts; });
    }
    return viaScratch(ctx, F, n, ([X], T, b) => {
      for (let i = 0; i < n * b; i++) { const v = X[i]; T[i] = v >= 0 ? v * lin : codes[rd.index(v)] * tab; }
    });
  }
  return viaScratch(ctx, ft, n, ([X], T, b) => { for (let i = 0; i < n * b; i++) T[i] = codes[rd.index(X[i])]; });
}

/** An operand of a binary op: activation (per sample) or constant (shared), with its broadcast map. */
interface Operand { act: number; codes?: Float64Array; type: FixedType; map: Int32Array; size: number; identity: boolean }

function operands(ctx: BuildContext): Operand[] {
  const outS = ctx.out.shape;
  const n = product(outS);
  const res: Operand[] = [];
  const roleNames = ['input', 'input1', 'input2'];
  ctx.node.inputs.forEach((name, idx) => {
    if (name === '') return;
    const a = ctx.acts.findIndex((t) => t.index === idx);
    if (a >= 0) {
      const act = ctx.acts[a];
      const map = broadcastMap(act.shape, false, outS);
      res.push({ act: a, type: act.type, map, size: product(act.shape), identity: product(act.shape) === n });
    } else {
      const t = ctx.consts.get(idx)!;
      const type = constType(t, ctx.hls.types[roleNames[idx]] ?? ctx.out.type);
      res.push({ act: -1, codes: constCodes(t, type), type, map: broadcastMap(t.shape as number[], true, outS), size: 0, identity: false });
    }
  });
  return res;
}

export function buildBinary(ctx: BuildContext): EmuKernel {
  const op = ctx.node.op;
  const [A, B] = operands(ctx);
  if (!A || !B) unsupported(ctx, 'needs two operands');
  const outN = product(ctx.out.shape);
  const fa = fracBits(A.type), fb = fracBits(B.type);
  const mul = op === 'Mul';
  const F = mul ? fa + fb : Math.max(fa, fb);
  const sa = mul ? 1 : 2 ** (F - fa), sb = mul ? 1 : 2 ** (F - fb);
  const sign = op === 'Sub' ? -1 : 1;
  const bound = mul ? maxAbsCode(A.type) * maxAbsCode(B.type) : maxAbsCode(A.type) * sa + maxAbsCode(B.type) * sb;
  if (bound >= 2 ** 53) return binaryBig(ctx, A, B, F, outN);
  const get = (o: Operand, X: Float64Array[], s: number, i: number): number => (o.act < 0 ? o.codes![o.map[i]] : X[o.act][s * o.size + o.map[i]]);
  if (op !== 'Add' && op !== 'Sub' && op !== 'Mul') unsupported(ctx, `no emulation of ${op}`);
  return viaScratch(ctx, F, outN, (X, T, batch) => {
    for (let s = 0; s < batch; s++) {
      const o = s * outN;
      for (let i = 0; i < outN; i++) {
        const a = get(A, X, s, i), b = get(B, X, s, i);
        T[o + i] = mul ? a * b : a * sa + sign * b * sb;
      }
    }
  });
}

function binaryBig(ctx: BuildContext, A: Operand, B: Operand, F: number, outN: number): EmuKernel {
  const op = ctx.node.op;
  const fa = fracBits(A.type), fb = fracBits(B.type);
  const R = ctx.out.type;
  const get = (o: Operand, X: Float64Array[], s: number, i: number): bigint => BigInt(o.act < 0 ? o.codes![o.map[i]] : X[o.act][s * o.size + o.map[i]]);
  return {
    node: ctx.node, inputs: ctx.acts.map((a) => a.tensor.name), output: ctx.out.tensor.name,
    run(X, Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        for (let i = 0; i < outN; i++) {
          const a = get(A, X, s, i), b = get(B, X, s, i);
          const v = op === 'Mul' ? a * b : (a << BigInt(F - fa)) + (op === 'Sub' ? -1n : 1n) * (b << BigInt(F - fb));
          if (overflowsBig(v, F, R)) over++;
          Y[s * outN + i] = Number(convertRaw(v, F, R));
        }
      }
      return over;
    },
  };
}

/** PRelu: x >= 0 ? x : slope * x, the slope broadcast from a constant in its own (scale) type. */
export function buildPRelu(ctx: BuildContext): EmuKernel {
  const [X, S] = operands(ctx);
  if (!S || S.act >= 0) unsupported(ctx, 'needs a constant slope');
  const n = product(ctx.out.shape);
  const fx = fracBits(X.type), fs = fracBits(S.type);
  const up = 2 ** fs;
  const slope = S.codes!, map = S.map;
  let maxS = up;
  for (const v of slope) maxS = Math.max(maxS, Math.abs(v));
  if (maxAbsCode(X.type) * maxS >= EXACT) {
    const ub = BigInt(up);
    return viaBig(ctx, fx + fs, n, ([x], j) => { const v = BigInt(x[j]); return v >= 0n ? v * ub : v * BigInt(slope[map[j % n]]); });
  }
  return viaScratch(ctx, fx + fs, n, ([x], T, batch) => {
    for (let s = 0; s < batch; s++) {
      const o = s * n;
      for (let i = 0; i < n; i++) { const v = x[o + i]; T[o + i] = v >= 0 ? v * up : v * slope[map[i]]; }
    }
  });
}

/**
 * ScaleShift: y = result(x * scale[c] + shift[c]), the sum formed exactly (the accumulator type holds it; a
 * narrower accumulator applies its modes to the product and to the sum, as `acc = x * s; acc += shift`).
 */
export function buildScaleShift(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1), hT = ctx.consts.get(2);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, role(ctx, 'scale'));
  const hType = hT ? constType(hT, role(ctx, 'shift')) : undefined;
  const sc = constCodes(sT, sType), sh = hT ? constCodes(hT, hType!) : undefined;
  const rank = x.shape.length;
  const axisAttr = typeof ctx.node.attrs['axis'] === 'number' ? (ctx.node.attrs['axis'] as number) : 1;
  const axis = (axisAttr < 0 ? axisAttr + rank + 1 : axisAttr) - 1;
  const C = x.shape[axis];
  const inner = product(x.shape.slice(axis + 1));
  const n = product(x.shape);
  const fx = fracBits(x.type), fs = fracBits(sType), fh = hType ? fracBits(hType) : fx + fs;
  const F = Math.max(fx + fs, fh);
  const ps = 2 ** (F - fx - fs), hs = 2 ** (F - fh);
  const accum = ctx.hls.types['accum'];
  let maxS = 0, maxH = 0;
  for (const v of sc) maxS = Math.max(maxS, Math.abs(v));
  if (sh) for (const v of sh) maxH = Math.max(maxH, Math.abs(v));
  const bound = maxAbsCode(x.type) * maxS * ps + maxH * hs;
  const lossless = !accum || holdsExactly(accum, F, bound);
  const chan = new Int32Array(n);
  for (let i = 0; i < n; i++) chan[i] = Math.floor(i / inner) % C;
  const sAt = (c: number): number => sc[sc.length === 1 ? 0 : c];
  const hAt = (c: number): number => (sh ? sh[sh.length === 1 ? 0 : c] : 0);
  if (lossless && bound < 2 ** 53) {
    return viaScratch(ctx, F, n, ([X], T, batch) => {
      for (let s = 0; s < batch; s++) {
        const o = s * n;
        for (let i = 0; i < n; i++) { const c = chan[i]; T[o + i] = X[o + i] * sAt(c) * ps + hAt(c) * hs; }
      }
    });
  }
  const A = accum!;
  const fa = fracBits(A), R = ctx.out.type;
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        for (let i = 0; i < n; i++) {
          const c = chan[i];
          const exact = (BigInt(X[s * n + i]) * BigInt(sAt(c)) << BigInt(F - fx - fs)) + (BigInt(hAt(c)) << BigInt(F - fh));
          if (overflowsBig(exact, F, A)) over++;
          const t = convertRaw(exact, F, A);
          if (overflowsBig(t, fa, R)) over++;
          Y[s * n + i] = Number(convertRaw(t, fa, R));
        }
      }
      return over;
    },
  };
}

/** Whether an accumulator holds every exact value with `frac` fractional bits up to |code| <= bound. */
export function holdsExactly(A: FixedType, frac: number, bound: number): boolean {
  return A.signed && fracBits(A) >= frac && bound * 2 ** (fracBits(A) - frac) <= maxAbsCode(A);
}

/** BipolarQuant: y = result(x >= 0 ? scale : -scale). */
export function buildBipolar(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, ctx.hls.types['scale'] ?? ctx.out.type);
  const sc = constCodes(sT, sType)[0];
  const n = product(x.shape);
  return viaScratch(ctx, fracBits(sType), n, ([X], T, b) => { for (let i = 0; i < n * b; i++) T[i] = X[i] >= 0 ? sc : -sc; });
}

/**
 * Softsign: num = accum(x), den = accum(1 + |x|), y = result(num / den) with the vendor's division: the quotient
 * truncated toward zero to accum's fractional bits (src/fixed div).
 */
export function buildSoftsign(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const A = role(ctx, 'accum');
  const n = product(x.shape);
  const one: Fx = { raw: 1n, type: { signed: false, width: 1, integer: 1, rounding: 'TRN', overflow: 'WRAP' } };
  const R = ctx.out.type;
  return {
    node: ctx.node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let i = 0; i < n * batch; i++) {
        const xv: Fx = { raw: BigInt(X[i]), type: x.type };
        const num = fxCast(xv, A);
        const den = fxCast(X[i] < 0 ? fxSub(one, xv) : fxAdd(one, xv), A);
        const q = fxDiv(num, den);
        const fq = fracBits(q.type);
        if (overflowsBig(q.raw, fq, R)) over++;
        Y[i] = Number(convertRaw(q.raw, fq, R));
      }
      return over;
    },
  };
}

export type { CodeConverter };
