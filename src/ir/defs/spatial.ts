/**
 * IR op definitions for spatial ops: convolution, pooling, padding and nearest-neighbour resizing.
 *
 * Conventions shared by every op here (the channels-last pass and the backends rely on them):
 * - `layout` is 'NCHW' (channels first, as ONNX: x = [N, C, spatial...]) or 'NHWC' (channels last:
 *   x = [N, spatial..., C]). The names are used for 1-D data too ([N, C, W] / [N, W, C]).
 * - Only 1-D and 2-D spatial data (rank 3 or 4); the batch axis N may be symbolic, spatial axes and channels are
 *   static. Kernels take N from the data they are given.
 * - Window attributes are lists with one entry per spatial axis, in spatial order (H then W), whatever the
 *   layout: `kernelShape`, `strides`, `dilations`; `pads` is [begin per axis..., end per axis...] (ONNX's
 *   order, e.g. [top, left, bottom, right]). `auto_pad` never reaches the IR: the frontend resolves it into
 *   explicit pads from the static input shape.
 * - Output size per spatial axis: floor((in + padBegin + padEnd - ((k - 1) * d + 1)) / s) + 1, or with
 *   `ceilMode` ceil(...) + 1, minus one when the last window would start at or beyond in + padBegin (then it
 *   would cover only end padding), as onnxruntime and PyTorch do.
 */
import type { IRNode, Tensor } from '../graph.js';
import { registerIROp, type EvalContext, type IROpDef, type InferredTensor, type RtTensor } from '../ops.js';
import type { Attrs, Dim, Shape } from '../types.js';
import { formatShape } from '../types.js';
import { round32 } from './elementwise.js';

export type Layout = 'NCHW' | 'NHWC';

/** Lowest finite float32: what a float32 max-pool over an all-padding window yields (onnxruntime's start value). */
const LOWEST_F32 = -3.4028234663852886e38;

// ---------------------------------------------------------------------------------------------- helpers

function attrList(attrs: Attrs, key: string, n: number, fallback: number): number[] {
  const v = attrs[key];
  if (v === undefined || v === null) return new Array<number>(n).fill(fallback);
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'number' || !Number.isInteger(e))) throw new Error(`attribute ${key} must be a list of integers`);
  if (v.length !== n) throw new Error(`attribute ${key} has ${v.length} entries, expected ${n}`);
  return v as number[];
}

export function layoutOf(attrs: Attrs): Layout {
  const l = attrs['layout'] ?? 'NCHW';
  if (l !== 'NCHW' && l !== 'NHWC') throw new Error(`layout '${String(l)}' is neither NCHW nor NHWC`);
  return l;
}

/** Splits a data shape into batch, channels and spatial dims according to the layout. */
export function splitDataShape(shape: Shape, layout: Layout, what = 'input'): { n: Dim; c: number; spatial: number[] } {
  if (shape.length !== 3 && shape.length !== 4) {
    throw new Error(`${what} ${formatShape(shape)} must have rank 3 (1-D data) or 4 (2-D data) in ${layout} layout`);
  }
  const c = layout === 'NCHW' ? shape[1] : shape[shape.length - 1];
  const spatial = layout === 'NCHW' ? shape.slice(2) : shape.slice(1, -1);
  if (typeof c !== 'number' || spatial.some((d) => typeof d !== 'number')) {
    throw new Error(`${what} ${formatShape(shape)} has a symbolic channel or spatial dimension; only the batch axis may be symbolic`);
  }
  return { n: shape[0], c, spatial: spatial as number[] };
}

export function joinDataShape(n: Dim, c: number, spatial: number[], layout: Layout): Dim[] {
  return layout === 'NCHW' ? [n, c, ...spatial] : [n, ...spatial, c];
}

export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] */
  pads: number[];
}

export function readWindow(attrs: Attrs, rank: number): Window {
  const kernel = attrList(attrs, 'kernelShape', rank, 0);
  const strides = attrList(attrs, 'strides', rank, 1);
  const dilations = attrList(attrs, 'dilations', rank, 1);
  const pads = attrList(attrs, 'pads', 2 * rank, 0);
  kernel.forEach((k, i) => { if (k < 1) throw new Error(`kernelShape[${i}] = ${k} must be at least 1`); });
  strides.forEach((s, i) => { if (s < 1) throw new Error(`strides[${i}] = ${s} must be at least 1`); });
  dilations.forEach((d, i) => { if (d < 1) throw new Error(`dilations[${i}] = ${d} must be at least 1`); });
  pads.forEach((p, i) => { if (p < 0) throw new Error(`pads[${i}] = ${p} must not be negative`); });
  return { kernel, strides, dilations, pads };
}

/** Output length of one spatial axis (see the file comment). */
export function windowOutputSize(inSize: number, k: number, s: number, d: number, pb: number, pe: number, ceilMode = false): number {
  const span = inSize + pb + pe - ((k - 1) * d + 1);
  if (span < 0) return 0;
  let out = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceilMode && (out - 1) * s >= inSize + pb) out--;
  return out;
}

function outputSpatial(spatial: number[], w: Window, ceilMode: boolean): number[] {
  const r = spatial.length;
  return spatial.map((len, i) => {
    const o = windowOutputSize(len, w.kernel[i], w.strides[i], w.dilations[i], w.pads[i], w.pads[r + i], ceilMode);
    if (o < 1) {
      throw new Error(`spatial axis ${i} of length ${len} with pads ${w.pads[i]}+${w.pads[r + i]} is shorter than the dilated kernel ${(w.kernel[i] - 1) * w.dilations[i] + 1}`);
    }
    return o;
  });
}

/**
 * Explicit pads for ONNX auto_pad on static spatial lengths: SAME_* pads so that out = ceil(in / stride),
 * SAME_UPPER putting the odd extra pad at the end and SAME_LOWER at the beginning; VALID pads nothing.
 */
export function autoPads(mode: string, spatial: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  const r = spatial.length;
  const pads = new Array<number>(2 * r).fill(0);
  if (mode === 'VALID') return pads;
  for (let i = 0; i < r; i++) {
    const target = Math.ceil(spatial[i] / strides[i]);
    const total = Math.max(0, (target - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - spatial[i]);
    const small = Math.floor(total / 2);
    pads[i] = mode === 'SAME_LOWER' ? total - small : small;
    pads[r + i] = total - pads[i];
  }
  return pads;
}

/** Element strides of a rank-4 view [N, C, H, W] of NCHW or NHWC data (1-D data is viewed with H = 1). */
interface View4 { N: number; C: number; H: number; W: number; sN: number; sC: number; sH: number; sW: number }

function view4(shape: number[], layout: Layout): View4 {
  const oneD = shape.length === 3;
  let N: number, C: number, H: number, W: number;
  if (layout === 'NCHW') [N, C, H, W] = oneD ? [shape[0], shape[1], 1, shape[2]] : shape;
  else [N, H, W, C] = oneD ? [shape[0], 1, shape[1], shape[2]] : shape;
  return layout === 'NCHW'
    ? { N, C, H, W, sN: C * H * W, sC: H * W, sH: W, sW: 1 }
    : { N, C, H, W, sN: H * W * C, sH: W * C, sW: C, sC: 1 };
}

/** A window as 2-D (1-D windows get a unit H axis). */
function window2(w: Window): { kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; pbm: number; pr: number } {
  if (w.kernel.length === 1) {
    return { kh: 1, kw: w.kernel[0], sh: 1, sw: w.strides[0], dh: 1, dw: w.dilations[0], pt: 0, pl: w.pads[0], pbm: 0, pr: w.pads[1] };
  }
  return { kh: w.kernel[0], kw: w.kernel[1], sh: w.strides[0], sw: w.strides[1], dh: w.dilations[0], dw: w.dilations[1], pt: w.pads[0], pl: w.pads[1], pbm: w.pads[2], pr: w.pads[3] };
}

function staticShape(t: Tensor | undefined, what: string): Shape {
  if (!t) throw new Error(`${what} is missing`);
  return t.shape;
}

// ---------------------------------------------------------------------------------------------- Conv

/**
 * IR 'Conv': inputs [x, W, B?], attrs {kernelShape, strides, pads, dilations, group, layout}.
 * - layout 'NCHW': x [N, C, spatial...], W [M, C/group, k...] (ONNX's layout), y [N, M, out...].
 * - layout 'NHWC': x [N, spatial..., C], W [k..., C/group, M] ("HWIO", as Keras and FPGA kernels store it),
 *   y [N, out..., M].
 * - B is [M] (optional). Group g: input channels [g*C/group, (g+1)*C/group) feed output channels
 *   [g*M/group, (g+1)*M/group); depthwise is group == C. W and B are constants after the frontend.
 * y[n, m, o] = B[m] + sum_{c, k} x[n, g*C/group + c, o*stride - padBegin + k*dilation] * W[m, c, k], padding reads 0.
 */
function convInfer(node: IRNode, inputs: (Tensor | undefined)[]): InferredTensor[] {
  const layout = layoutOf(node.attrs);
  const x = splitDataShape(staticShape(inputs[0], 'input x'), layout, 'input');
  const r = x.spatial.length;
  const w = readWindow(node.attrs, r);
  const group = typeof node.attrs['group'] === 'number' ? (node.attrs['group'] as number) : 1;
  const ws = staticShape(inputs[1], 'weight W');
  if (ws.length !== r + 2 || ws.some((d) => typeof d !== 'number')) throw new Error(`weight ${formatShape(ws)} must be a static tensor of rank ${r + 2}`);
  const wsn = ws as number[];
  const [M, Cg, ks] = layout === 'NCHW' ? [wsn[0], wsn[1], wsn.slice(2)] : [wsn[r + 1], wsn[r], wsn.slice(0, r)];
  if (!Number.isInteger(group) || group < 1) throw new Error(`group ${group} must be a positive integer`);
  if (x.c % group !== 0 || M % group !== 0) throw new Error(`group ${group} does not divide input channels ${x.c} and output channels ${M}`);
  if (Cg * group !== x.c) throw new Error(`weight ${formatShape(ws)} (${layout}) expects ${Cg * group} input channels with group ${group}, the input has ${x.c}`);
  if (ks.some((k, i) => k !== w.kernel[i])) throw new Error(`weight ${formatShape(ws)} (${layout}) does not match kernelShape [${w.kernel.join(', ')}]`);
  const b = inputs[2];
  if (b && (b.shape.length !== 1 || b.shape[0] !== M)) throw new Error(`bias ${formatShape(b.shape)} must be [${M}]`);
  const out = outputSpatial(x.spatial, w, false);
  return [{ shape: joinDataShape(x.n, M, out, layout), dtype: inputs[0]!.dtype }];
}

function convEval(node: IRNode, [x, wt, b]: (RtTensor | undefined)[], ctx: EvalContext): RtTensor[] {
  const layout = layoutOf(node.attrs);
  const r = x!.shape.length - 2;
  const win = readWindow(node.attrs, r);
  const group = typeof node.attrs['group'] === 'number' ? (node.attrs['group'] as number) : 1;
  const xv = view4(x!.shape, layout);
  const ws = wt!.shape;
  const M = layout === 'NCHW' ? ws[0] : ws[r + 1];
  const Cg = xv.C / group, Mg = M / group;
  const w2 = window2(win);
  const spatial = layout === 'NCHW' ? x!.shape.slice(2) : x!.shape.slice(1, -1);
  const outSp = outputSpatial(spatial, win, false);
  const outShape = joinDataShape(x!.shape[0], M, outSp, layout) as number[];
  const yv = view4(outShape, layout);
  // Weight strides over (m, c, kh, kw); a 1-D kernel has kh = 1 so its stride never matters.
  let wsM: number, wsC: number, wsH: number, wsW: number;
  if (layout === 'NCHW') { wsW = 1; wsH = w2.kw; wsC = w2.kh * w2.kw; wsM = Cg * wsC; }
  else { wsM = 1; wsC = M; wsW = Cg * M; wsH = w2.kw * wsW; }
  const X = x!.data, W = wt!.data, B = b?.data;
  const Y = new Float64Array(yv.N * yv.sN);
  for (let n = 0; n < xv.N; n++) {
    for (let g = 0; g < group; g++) {
      for (let mg = 0; mg < Mg; mg++) {
        const m = g * Mg + mg;
        const bias = B ? B[m] : 0;
        for (let oh = 0; oh < yv.H; oh++) {
          const ih0 = oh * w2.sh - w2.pt;
          for (let ow = 0; ow < yv.W; ow++) {
            const iw0 = ow * w2.sw - w2.pl;
            let acc = bias;
            for (let c = 0; c < Cg; c++) {
              const xc = n * xv.sN + (g * Cg + c) * xv.sC;
              const wc = m * wsM + c * wsC;
              for (let kh = 0; kh < w2.kh; kh++) {
                const ih = ih0 + kh * w2.dh;
                if (ih < 0 || ih >= xv.H) continue;
                const xh = xc + ih * xv.sH, wh = wc + kh * wsH;
                for (let kw = 0; kw < w2.kw; kw++) {
                  const iw = iw0 + kw * w2.dw;
                  if (iw < 0 || iw >= xv.W) continue;
                  acc += X[xh + iw * xv.sW] * W[wh + kw * wsW];
                }
              }
            }
            Y[n * yv.sN + m * yv.sC + oh * yv.sH + ow * yv.sW] = acc;
          }
        }
      }
    }
  }
  return [{ shape: outShape, data: round32(Y, ctx) }];
}

// ---------------------------------------------------------------------------------------------- pooling

/**
 * IR 'MaxPool': inputs [x], attrs {kernelShape, strides, pads, dilations, ceilMode, layout}. Padding never wins
 * (it acts as -inf). IR 'AveragePool': inputs [x], attrs {kernelShape, strides, pads, dilations, ceilMode,
 * countIncludePad, layout}: the divisor is the number of window taps inside the input, or with countIncludePad
 * the number of taps inside the padded input [-padBegin, in + padEnd) (taps beyond that, which only ceilMode
 * creates, never count), as onnxruntime and PyTorch do.
 */
function poolInfer(node: IRNode, inputs: (Tensor | undefined)[]): InferredTensor[] {
  const layout = layoutOf(node.attrs);
  const x = splitDataShape(staticShape(inputs[0], 'input x'), layout, 'input');
  const w = readWindow(node.attrs, x.spatial.length);
  const out = outputSpatial(x.spatial, w, node.attrs['ceilMode'] === true);
  return [{ shape: joinDataShape(x.n, x.c, out, layout), dtype: inputs[0]!.dtype }];
}

function poolEval(kind: 'max' | 'avg') {
  return (node: IRNode, [x]: (RtTensor | undefined)[], ctx: EvalContext): RtTensor[] => {
    const layout = layoutOf(node.attrs);
    const r = x!.shape.length - 2;
    const win = readWindow(node.attrs, r);
    const ceilMode = node.attrs['ceilMode'] === true;
    const includePad = node.attrs['countIncludePad'] === true;
    const xv = view4(x!.shape, layout);
    const spatial = layout === 'NCHW' ? x!.shape.slice(2) : x!.shape.slice(1, -1);
    const outShape = joinDataShape(x!.shape[0], xv.C, outputSpatial(spatial, win, ceilMode), layout) as number[];
    const yv = view4(outShape, layout);
    const w2 = window2(win);
    const X = x!.data;
    const Y = new Float64Array(yv.N * yv.sN);
    for (let n = 0; n < xv.N; n++) {
      for (let c = 0; c < xv.C; c++) {
        const xc = n * xv.sN + c * xv.sC;
        for (let oh = 0; oh < yv.H; oh++) {
          const ih0 = oh * w2.sh - w2.pt;
          for (let ow = 0; ow < yv.W; ow++) {
            const iw0 = ow * w2.sw - w2.pl;
            let acc = kind === 'max' ? LOWEST_F32 : 0;
            let inside = 0, padded = 0;
            for (let kh = 0; kh < w2.kh; kh++) {
              const ih = ih0 + kh * w2.dh;
              const hIn = ih >= 0 && ih < xv.H;
              const hPad = ih >= -w2.pt && ih < xv.H + w2.pbm;
              for (let kw = 0; kw < w2.kw; kw++) {
                const iw = iw0 + kw * w2.dw;
                if (hPad && iw >= -w2.pl && iw < xv.W + w2.pr) padded++;
                if (!hIn || iw < 0 || iw >= xv.W) continue;
                const v = X[xc + ih * xv.sH + iw * xv.sW];
                inside++;
                if (kind === 'max') { if (v > acc || Number.isNaN(v)) acc = v; } else acc += v;
              }
            }
            if (kind === 'avg') {
              const div = includePad ? padded : inside;
              acc = div > 0 ? acc / div : 0;
            }
            Y[n * yv.sN + c * yv.sC + oh * yv.sH + ow * yv.sW] = acc;
          }
        }
      }
    }
    return [{ shape: outShape, data: round32(Y, ctx) }];
  };
}

/**
 * IR 'GlobalAveragePool' / 'GlobalMaxPool': inputs [x], attrs {layout}; the mean / max over all spatial axes,
 * which stay in the output with length 1 ([N, C, 1, 1] or [N, 1, 1, C]).
 */
function globalInfer(node: IRNode, inputs: (Tensor | undefined)[]): InferredTensor[] {
  const layout = layoutOf(node.attrs);
  const x = splitDataShape(staticShape(inputs[0], 'input x'), layout, 'input');
  return [{ shape: joinDataShape(x.n, x.c, x.spatial.map(() => 1), layout), dtype: inputs[0]!.dtype }];
}

function globalEval(kind: 'max' | 'avg') {
  return (node: IRNode, [x]: (RtTensor | undefined)[], ctx: EvalContext): RtTensor[] => {
    const layout = layoutOf(node.attrs);
    const xv = view4(x!.shape, layout);
    const outShape = x!.shape.map((d, i) => (i === 0 || i === (layout === 'NCHW' ? 1 : x!.shape.length - 1) ? d : 1));
    const Y = new Float64Array(xv.N * xv.C);
    const X = x!.data;
    const count = xv.H * xv.W;
    for (let n = 0; n < xv.N; n++) {
      for (let c = 0; c < xv.C; c++) {
        const base = n * xv.sN + c * xv.sC;
        let acc = kind === 'max' ? -Infinity : 0;
        for (let h = 0; h < xv.H; h++) {
          for (let w = 0; w < xv.W; w++) {
            const v = X[base + h * xv.sH + w * xv.sW];
            if (kind === 'max') { if (v > acc || Number.isNaN(v)) acc = v; } else acc += v;
          }
        }
        // With unit spatial axes, [N, C, 1, 1] and [N, 1, 1, C] have the same flat order.
        Y[n * xv.C + c] = kind === 'max' ? acc : acc / count;
      }
    }
    return [{ shape: outShape, data: round32(Y, ctx) }];
  };
}

// ---------------------------------------------------------------------------------------------- Pad

/**
 * IR 'Pad': inputs [x], attrs {pads: [begin per axis..., end per axis...] over every axis of x, value}.
 * Constant mode only. Negative pads crop. Pads on the batch axis are zero when the batch is symbolic.
 */
function padList(node: IRNode, rank: number): number[] {
  const p = node.attrs['pads'];
  if (!Array.isArray(p) || p.length !== 2 * rank || p.some((v) => typeof v !== 'number' || !Number.isInteger(v))) {
    throw new Error(`pads must list ${2 * rank} integers for rank ${rank}`);
  }
  return p as number[];
}

function padInfer(node: IRNode, inputs: (Tensor | undefined)[]): InferredTensor[] {
  const x = inputs[0]!;
  const r = x.shape.length;
  const pads = padList(node, r);
  const shape = x.shape.map((d, i) => {
    const extra = pads[i] + pads[r + i];
    if (typeof d !== 'number') {
      if (extra !== 0 || pads[i] !== 0) throw new Error(`cannot pad symbolic axis ${i} ('${d}')`);
      return d;
    }
    const o = d + extra;
    if (o < 1) throw new Error(`pads [${pads.join(', ')}] crop axis ${i} of length ${d} to nothing`);
    return o;
  });
  return [{ shape, dtype: x.dtype }];
}

function padEval(node: IRNode, [x]: (RtTensor | undefined)[], _ctx: EvalContext): RtTensor[] {
  const r = x!.shape.length;
  const pads = padList(node, r);
  const value = typeof node.attrs['value'] === 'number' ? (node.attrs['value'] as number) : 0;
  const inS = x!.shape;
  const outS = inS.map((d, i) => d + pads[i] + pads[r + i]);
  const total = outS.reduce((a, b) => a * b, 1);
  const Y = new Float64Array(total).fill(value);
  if (total === 0) return [{ shape: outS, data: Y }];
  // Copy row by row along the last axis: for every output row, find its source row (if any).
  const last = r - 1;
  const inStr = new Array<number>(r), outStr = new Array<number>(r);
  let a = 1, b = 1;
  for (let i = r - 1; i >= 0; i--) { inStr[i] = a; outStr[i] = b; a *= inS[i]; b *= outS[i]; }
  const rows = total / outS[last];
  const idx = new Array<number>(r).fill(0);
  const lo = Math.max(0, pads[last]), hi = Math.min(outS[last], inS[last] + pads[last]);
  for (let row = 0; row < rows; row++) {
    let rem = row, src = 0, ok = true;
    for (let i = last - 1; i >= 0; i--) {
      idx[i] = rem % outS[i];
      rem = Math.floor(rem / outS[i]);
      const s = idx[i] - pads[i];
      if (s < 0 || s >= inS[i]) { ok = false; break; }
      src += s * inStr[i];
    }
    if (!ok) continue;
    const dst = row * outS[last];
    for (let o = lo; o < hi; o++) Y[dst + o] = x!.data[src + o - pads[last]];
  }
  return [{ shape: outS, data: Y }];
}

// ---------------------------------------------------------------------------------------------- Resize

/** How an output coordinate maps back to the input (ONNX coordinate_transformation_mode values). */
export const COORDINATE_MODES = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'] as const;
/**
 * How a fractional input coordinate picks a pixel: ONNX nearest_mode values, plus 'simple' = the rule of
 * Upsample and Resize-10 (truncate when upsampling, ceil when downsampling on that axis).
 */
export const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'] as const;

/**
 * IR 'Resize': inputs [x], attrs {mode: 'nearest', coordinateTransformationMode, nearestMode, scales, sizes}.
 * `scales` has one float32 value per axis of x (1 on the batch axis); `sizes` is null or one output length per
 * axis (the batch entry is ignored: the batch comes from the data). Output length: sizes[i], else
 * floor(float32(in[i] * scales[i])). Each output index o on an axis reads input index
 * clamp(nearest(coord(o)), 0, in - 1), where coord is the coordinate transformation evaluated in float32 with
 * that axis's scale (for sizes, float32(sizes[i] / in[i])), exactly as onnxruntime does.
 */
function resizeAttrs(node: IRNode, rank: number): { scales: number[]; sizes: number[] | null; ctm: string; nm: string } {
  const scales = node.attrs['scales'];
  const sizes = node.attrs['sizes'];
  if (!Array.isArray(scales) || scales.length !== rank || scales.some((s) => typeof s !== 'number' || !(s > 0))) {
    throw new Error(`scales must list ${rank} positive numbers`);
  }
  if (sizes !== null && sizes !== undefined && (!Array.isArray(sizes) || sizes.length !== rank)) throw new Error(`sizes must list ${rank} integers`);
  const ctm = String(node.attrs['coordinateTransformationMode'] ?? 'half_pixel');
  const nm = String(node.attrs['nearestMode'] ?? 'round_prefer_floor');
  if (!(COORDINATE_MODES as readonly string[]).includes(ctm)) throw new Error(`coordinate transformation mode '${ctm}' is not supported`);
  if (!(NEAREST_MODES as readonly string[]).includes(nm)) throw new Error(`nearest mode '${nm}' is not supported`);
  if ((node.attrs['mode'] ?? 'nearest') !== 'nearest') throw new Error(`resize mode '${String(node.attrs['mode'])}' is not supported`);
  return { scales: scales as number[], sizes: (sizes as number[] | null | undefined) ?? null, ctm, nm };
}

function resizeOutDim(inDim: number, scale: number, size: number | undefined): number {
  return size !== undefined ? size : Math.floor(Math.fround(inDim * scale));
}

function resizeInfer(node: IRNode, inputs: (Tensor | undefined)[]): InferredTensor[] {
  const x = inputs[0]!;
  const { scales, sizes } = resizeAttrs(node, x.shape.length);
  if (scales[0] !== 1) throw new Error(`the batch axis cannot be resized (scale ${scales[0]})`);
  const shape = x.shape.map((d, i) => {
    if (i === 0) return d;
    if (typeof d !== 'number') throw new Error(`cannot resize symbolic axis ${i} ('${d}')`);
    const o = resizeOutDim(d, scales[i], sizes?.[i]);
    if (!(o >= 1)) throw new Error(`axis ${i} of length ${d} resizes to ${o}`);
    return o;
  });
  return [{ shape, dtype: x.dtype }];
}

/** Input index for every output index of one axis. */
export function nearestIndexMap(inLen: number, outLen: number, scale: number, ctm: string, nm: string): Int32Array {
  const f = Math.fround;
  const map = new Int32Array(outLen);
  const down = scale < 1;
  for (let o = 0; o < outLen; o++) {
    let x: number;
    switch (ctm) {
      case 'asymmetric': x = f(o / scale); break;
      case 'half_pixel': x = f(f(f(o + 0.5) / scale) - 0.5); break;
      case 'pytorch_half_pixel': x = outLen > 1 ? f(f(f(o + 0.5) / scale) - 0.5) : 0; break;
      case 'tf_half_pixel_for_nn': x = f(f(o + 0.5) / scale); break;
      case 'align_corners': x = outLen === 1 ? 0 : f(f(o * (inLen - 1)) / (outLen - 1)); break;
      case 'half_pixel_symmetric': {
        const adjustment = f(outLen / f(scale * inLen));
        const offset = f(f(inLen / 2) * f(1 - adjustment));
        x = f(offset + f(f(f(o + 0.5) / scale) - 0.5));
        break;
      }
      default: throw new Error(`coordinate transformation mode '${ctm}' is not supported`);
    }
    let i: number;
    switch (nm) {
      case 'round_prefer_floor': i = x === Math.trunc(x) + 0.5 ? Math.trunc(x) : roundHalfAway(x); break;
      case 'round_prefer_ceil': i = roundHalfAway(x); break;
      case 'floor': i = Math.floor(x); break;
      case 'ceil': i = Math.ceil(x); break;
      case 'simple': i = down ? Math.ceil(x) : Math.trunc(x); break;
      default: throw new Error(`nearest mode '${nm}' is not supported`);
    }
    map[o] = i < 0 ? 0 : i > inLen - 1 ? inLen - 1 : i;
  }
  return map;
}

function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function resizeEval(node: IRNode, [x]: (RtTensor | undefined)[], _ctx: EvalContext): RtTensor[] {
  const inS = x!.shape;
  const r = inS.length;
  const { scales, sizes, ctm, nm } = resizeAttrs(node, r);
  const outS = inS.map((d, i) => (i === 0 ? d : resizeOutDim(d, scales[i], sizes?.[i])));
  const maps = outS.map((o, i) => {
    if (i === 0) return null;
    const scale = sizes ? Math.fround(o / inS[i]) : scales[i];
    return nearestIndexMap(inS[i], o, scale, ctm, nm);
  });
  const inStr = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) { inStr[i] = acc; acc *= inS[i]; }
  const total = outS.reduce((a, b) => a * b, 1);
  const Y = new Float64Array(total);
  const idx = new Array<number>(r).fill(0);
  for (let k = 0; k < total; k++) {
    let src = 0;
    for (let i = 0; i < r; i++) src += (i === 0 ? idx[0] : maps[i]![idx[i]]) * inStr[i];
    Y[k] = x!.data[src];
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i] < outS[i]) break;
      idx[i] = 0;
    }
  }
  return [{ shape: outS, data: Y }];
}

// ---------------------------------------------------------------------------------------------- registry

const DEFS: IROpDef[] = [
  { op: 'Conv', summary: '1-D/2-D convolution (NCHW with OIHW weights, or NHWC with HWIO weights)', inferShape: convInfer, evaluate: convEval },
  { op: 'MaxPool', summary: '1-D/2-D max pooling', inferShape: poolInfer, evaluate: poolEval('max') },
  { op: 'AveragePool', summary: '1-D/2-D average pooling', inferShape: poolInfer, evaluate: poolEval('avg') },
  { op: 'GlobalAveragePool', summary: 'mean over all spatial axes', inferShape: globalInfer, evaluate: globalEval('avg') },
  { op: 'GlobalMaxPool', summary: 'max over all spatial axes', inferShape: globalInfer, evaluate: globalEval('max') },
  { op: 'Pad', summary: 'constant padding (negative pads crop)', inferShape: padInfer, evaluate: padEval },
  { op: 'Resize', summary: 'nearest-neighbour resize', inferShape: resizeInfer, evaluate: resizeEval },
];

export function registerSpatialOps(): void {
  for (const d of DEFS) registerIROp(d);
}
