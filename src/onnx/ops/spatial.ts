/**
 * ONNX handlers for convolution, pooling, padding and resizing, plus the qonnx.custom_op.channels_last Conv,
 * MaxPool and AveragePool (the same ops on channels-last data; qonnx's Conv stores its weight [M, k..., C/group]). What the IR ops mean is documented in src/ir/defs/spatial.ts.
 */
import { quoted } from '../../errors.js';
import type { Tensor } from '../../ir/graph.js';
import { normAxis } from '../../ir/shape.js';
import type { Attrs, Dim, TensorData } from '../../ir/types.js';
import { formatShape } from '../../ir/types.js';
import { autoPads, COORDINATE_MODES, NEAREST_MODES, splitDataShape, type Layout } from '../../ir/defs/spatial.js';
import { registerOpHandler, type AttrSpec, type LowerContext, type OnnxNode, type OpHandler } from '../handlers.js';

export const CHANNELS_LAST_DOMAIN = 'qonnx.custom_op.channels_last';
/**
 * Versions of the qonnx channels-last domain read as its (only) version 1. Some exporters stamp custom domains
 * with the default-domain opset number, so any version up to the current ONNX opset is accepted.
 */
const CUSTOM_DOMAIN_OPSETS: [number, number] = [1, 23];

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

const WINDOW_ATTRS: Record<string, AttrSpec> = {
  auto_pad: { type: 'string', default: 'NOTSET' },
  kernel_shape: { type: 'ints' },
  pads: { type: 'ints' },
  strides: { type: 'ints' },
  dilations: { type: 'ints' },
};

function ints(node: OnnxNode, key: string): number[] | undefined {
  const v = node.attrs[key];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

/** Node-only checks shared by Conv and the pools: attribute lengths agree and only 1-D/2-D windows. */
function validateWindow(node: OnnxNode): string[] {
  const problems: string[] = [];
  const autoPad = String(node.attrs['auto_pad'] ?? 'NOTSET');
  if (!AUTO_PADS.includes(autoPad)) problems.push(`auto_pad ${quoted(autoPad)} is not one of ${AUTO_PADS.join(', ')}`);
  const k = ints(node, 'kernel_shape');
  const r = k?.length;
  if (r !== undefined && r !== 1 && r !== 2) problems.push(`kernel_shape [${k!.join(', ')}] is ${r}-D; only 1-D and 2-D windows are supported (3-D convolution/pooling is not)`);
  if (r === 1 || r === 2) {
    for (const key of ['strides', 'dilations']) {
      const v = ints(node, key);
      if (v && v.length !== r) problems.push(`${key} has ${v.length} entries, kernel_shape has ${r}`);
      if (v?.some((e) => e < 1)) problems.push(`${key} [${v.join(', ')}] must be positive`);
    }
    const p = ints(node, 'pads');
    if (p && p.length !== 2 * r) problems.push(`pads has ${p.length} entries, expected ${2 * r} (begin and end per spatial axis)`);
  }
  const p = ints(node, 'pads');
  if (p?.some((e) => e < 0)) problems.push(`pads [${p.join(', ')}] must not be negative`);
  if (p && autoPad !== 'NOTSET' && p.some((e) => e !== 0)) problems.push(`pads and auto_pad ${quoted(autoPad)} are both given`);
  return problems;
}

/** Explicit window attributes for the IR from the node's attributes and the static spatial lengths. */
function resolveWindow(ctx: LowerContext, spatial: number[], kernel: number[]): { strides: number[]; dilations: number[]; pads: number[] } {
  const r = spatial.length;
  const node = ctx.node;
  const strides = ints(node, 'strides') ?? new Array<number>(r).fill(1);
  const dilations = ints(node, 'dilations') ?? new Array<number>(r).fill(1);
  if (strides.length !== r || dilations.length !== r) ctx.fail(`strides/dilations must have ${r} entries for ${r}-D data`);
  const autoPad = String(node.attrs['auto_pad'] ?? 'NOTSET');
  let pads = ints(node, 'pads') ?? new Array<number>(2 * r).fill(0);
  if (autoPad !== 'NOTSET') pads = autoPads(autoPad, spatial, kernel, strides, dilations);
  if (pads.length !== 2 * r) ctx.fail(`pads must have ${2 * r} entries for ${r}-D data`);
  return { strides: [...strides], dilations: [...dilations], pads: [...pads] };
}

function dataShape(ctx: LowerContext, x: Tensor, layout: Layout): { n: Dim; c: number; spatial: number[] } {
  try {
    return splitDataShape(x.shape, layout, `input ${quoted(ctx.node.inputs[0])}`);
  } catch (e) {
    const rank = x.shape.length;
    if (rank === 5) return ctx.fail(`input ${quoted(ctx.node.inputs[0])} ${formatShape(x.shape)} is 3-D spatial data; only 1-D and 2-D ${ctx.node.op} is supported`);
    return ctx.fail((e as Error).message);
  }
}

/** Row-major transpose of constant data. */
export function transposeData(data: TensorData, shape: number[], perm: number[]): { data: TensorData; shape: number[] } {
  const r = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStr = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) { inStr[i] = acc; acc *= shape[i]; }
  const permStr = perm.map((p) => inStr[p]);
  const out = new (data.constructor as { new (n: number): TensorData })(data.length);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let k = 0; k < data.length; k++) {
    (out as unknown as unknown[])[k] = (data as unknown as unknown[])[src];
    for (let i = r - 1; i >= 0; i--) {
      idx[i]++;
      src += permStr[i];
      if (idx[i] < outShape[i]) break;
      src -= permStr[i] * outShape[i];
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

// ---------------------------------------------------------------------------------------------- Conv

function convHandler(layout: Layout): OpHandler {
  const channelsLast = layout === 'NHWC';
  return {
    op: 'Conv',
    domains: channelsLast ? [CHANNELS_LAST_DOMAIN] : undefined,
    opsets: channelsLast ? CUSTOM_DOMAIN_OPSETS : [1, 22],
    inputs: [{ name: 'X' }, { name: 'W', constant: true }, { name: 'B', optional: true, constant: true }],
    attributes: { ...WINDOW_ATTRS, group: { type: 'int', default: 1 } },
    summary: channelsLast ? 'convolution on channels-last data (weights [M, k..., C/group])' : '1-D/2-D convolution',
    validate(node) {
      const problems = validateWindow(node);
      const g = node.attrs['group'] as number;
      if (!Number.isInteger(g) || g < 1) problems.push(`group ${g} must be a positive integer`);
      return problems;
    },
    lower(ctx) {
      const [xn, wn, bn] = ctx.node.inputs;
      const x = ctx.tensor(xn);
      const wt = ctx.tensor(wn);
      if (!wt.data) ctx.fail(`weight input W (${quoted(wn)}) is not a constant; only convolutions with constant weights are supported`);
      const r = wt.shape.length - 2;
      if (r === 3) ctx.fail(`weight ${quoted(wn)} ${formatShape(wt.shape)} is a 3-D kernel; only 1-D and 2-D convolution is supported`);
      if (r !== 1 && r !== 2) ctx.fail(`weight ${quoted(wn)} ${formatShape(wt.shape)} must have rank 3 (1-D) or 4 (2-D)`);
      const ws = wt.shape as number[];
      const xs = dataShape(ctx, x, layout);
      if (xs.spatial.length !== r) ctx.fail(`input ${formatShape(x.shape)} and weight ${formatShape(ws)} disagree on the number of spatial axes`);
      // ONNX stores [M, C/group, k...]; the channels-last domain stores [M, k..., C/group].
      const kernelOfW = channelsLast ? ws.slice(1, r + 1) : ws.slice(2);
      const kernel = ints(ctx.node, 'kernel_shape') ?? kernelOfW;
      if (kernel.length !== r || kernel.some((k, i) => k !== kernelOfW[i])) {
        ctx.fail(`kernel_shape [${kernel.join(', ')}] does not match weight ${quoted(wn)} ${formatShape(ws)}`);
      }
      const win = resolveWindow(ctx, xs.spatial, kernel);
      const group = ctx.node.attrs['group'] as number;
      const M = ws[0];
      const Cg = channelsLast ? ws[r + 1] : ws[1];
      if (Cg * group !== xs.c) ctx.fail(`weight ${quoted(wn)} ${formatShape(ws)} with group ${group} expects ${Cg * group} input channels, input ${quoted(xn)} ${formatShape(x.shape)} has ${xs.c}`);
      if (M % group !== 0) ctx.fail(`group ${group} does not divide the ${M} output channels`);
      let wIr = wt.name;
      if (channelsLast) {
        // Once, here: [M, k..., C/group] -> [k..., C/group, M] (HWIO), the layout of the IR's NHWC Conv.
        const perm = [...Array.from({ length: r + 1 }, (_, i) => i + 1), 0];
        const t = transposeData(wt.data!, ws, perm);
        const c = ctx.graph.addConstant(`${wt.name}_hwio`, t.shape, t.data, wt.dtype);
        c.meta = { ...structuredClone(wt.meta), transposedFrom: { tensor: wt.name, perm } };
        permuteQuantizerNote(c.meta, perm);
        wIr = c.name;
      }
      const inputs = [x.name, wIr];
      if (bn) {
        const b = ctx.tensor(bn);
        if (!b.data) ctx.fail(`bias input B (${quoted(bn)}) is not a constant; only constant biases are supported`);
        if (b.shape.length !== 1 || b.shape[0] !== M) ctx.fail(`bias ${quoted(bn)} ${formatShape(b.shape)} must be [${M}]`);
        inputs.push(b.name);
      }
      ctx.emit('Conv', inputs, [ctx.node.outputs[0]], {
        kernelShape: [...kernel], strides: win.strides, pads: win.pads, dilations: win.dilations, group, layout,
      });
    },
  };
}

/**
 * A quantizer note on a folded weight (see src/onnx/ops/quant.ts) describes scale/zeropt shapes in the weight's
 * original axis order; after a transpose, permute them too (their data order is unchanged when at most one axis
 * is longer than 1, the per-channel case). Otherwise the note no longer applies and is dropped.
 */
function permuteQuantizerNote(meta: Record<string, unknown>, perm: number[]): void {
  const q = meta['quantizer'] as { scaleShape?: number[]; zeroptShape?: number[] } | undefined;
  if (!q) return;
  for (const key of ['scaleShape', 'zeroptShape'] as const) {
    const s = q[key];
    if (!s || s.length === 0) continue;
    if (s.length !== perm.length || s.filter((d) => d > 1).length > 1) { delete meta['quantizer']; return; }
    q[key] = perm.map((p) => s[p]);
  }
}

// ---------------------------------------------------------------------------------------------- pooling

function poolHandler(op: 'MaxPool' | 'AveragePool', layout: Layout): OpHandler {
  const channelsLast = layout === 'NHWC';
  const attributes: Record<string, AttrSpec> = {
    ...WINDOW_ATTRS,
    kernel_shape: { type: 'ints', required: true },
    ceil_mode: { type: 'int', default: 0 },
  };
  if (op === 'MaxPool') attributes['storage_order'] = { type: 'int', default: 0 };
  else attributes['count_include_pad'] = { type: 'int', default: 0 };
  return {
    op,
    domains: channelsLast ? [CHANNELS_LAST_DOMAIN] : undefined,
    opsets: channelsLast ? CUSTOM_DOMAIN_OPSETS : [1, 22],
    inputs: [{ name: 'X' }],
    attributes,
    // MaxPool's second output (Indices) is refused by the frontend when anything reads it.
    outputs: 1,
    summary: `${channelsLast ? 'channels-last ' : ''}1-D/2-D ${op === 'MaxPool' ? 'max' : 'average'} pooling`,
    validate(node) {
      const problems = validateWindow(node);
      const cm = node.attrs['ceil_mode'];
      if (cm !== 0 && cm !== 1) problems.push(`ceil_mode ${String(cm)} must be 0 or 1`);
      return problems;
    },
    lower(ctx) {
      const x = ctx.tensor(ctx.node.inputs[0]);
      const xs = dataShape(ctx, x, layout);
      const kernel = ints(ctx.node, 'kernel_shape')!;
      if (kernel.length !== xs.spatial.length) ctx.fail(`kernel_shape [${kernel.join(', ')}] does not fit input ${formatShape(x.shape)} (${xs.spatial.length} spatial axes)`);
      const win = resolveWindow(ctx, xs.spatial, kernel);
      const attrs: Attrs = {
        kernelShape: [...kernel], strides: win.strides, pads: win.pads, dilations: win.dilations,
        ceilMode: ctx.node.attrs['ceil_mode'] === 1, layout,
      };
      if (op === 'AveragePool') attrs['countIncludePad'] = ctx.node.attrs['count_include_pad'] === 1;
      ctx.emit(op, [x.name], [ctx.node.outputs[0]], attrs);
    },
  };
}

function globalPoolHandler(op: 'GlobalAveragePool' | 'GlobalMaxPool'): OpHandler {
  return {
    op,
    opsets: [1, 22],
    inputs: [{ name: 'X' }],
    attributes: {},
    summary: `${op === 'GlobalMaxPool' ? 'max' : 'mean'} over the spatial axes`,
    lower(ctx) {
      const x = ctx.tensor(ctx.node.inputs[0]);
      dataShape(ctx, x, 'NCHW');
      ctx.emit(op, [x.name], [ctx.node.outputs[0]], { layout: 'NCHW' });
    },
  };
}

// ---------------------------------------------------------------------------------------------- Pad

const PAD_HANDLER: OpHandler = {
  op: 'Pad',
  opsets: [2, 23],
  inputs: [{ name: 'data' }, { name: 'pads', optional: true, constant: true }, { name: 'constant_value', optional: true, constant: true }, { name: 'axes', optional: true, constant: true }],
  attributes: { mode: { type: 'string', default: 'constant' }, pads: { type: 'ints' }, value: { type: 'float', default: 0 } },
  summary: 'constant padding',
  validate(node) {
    const mode = String(node.attrs['mode']);
    const problems: string[] = [];
    if (mode !== 'constant') problems.push(`mode ${quoted(mode)} is not supported (only 'constant' padding)`);
    if (node.opset < 11 && !ints(node, 'pads')) problems.push(`required attribute 'pads' is missing`);
    if (node.opset >= 11 && (node.inputs[1] ?? '') === '') problems.push(`input 'pads' is missing`);
    return problems;
  },
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    const rank = x.shape.length;
    let pads: number[];
    let value = 0;
    if (node.opset < 11) {
      pads = ints(node, 'pads')!;
      value = node.attrs['value'] as number;
    } else {
      pads = ctx.constantValues(node.inputs[1], 'input pads');
      const cv = node.inputs[2] ?? '';
      if (cv !== '') {
        const v = ctx.constantValues(cv, 'input constant_value');
        if (v.length > 1) ctx.fail(`constant_value must be a scalar, it has ${v.length} elements`);
        if (v.length === 1) value = v[0];
      }
      const an = node.inputs[3] ?? '';
      if (an !== '') {
        // Pads given for some axes only: spread them over all axes.
        const axes = ctx.constantValues(an, 'input axes').map((a) => {
          try { return normAxis(a, rank); } catch (e) { return ctx.fail(`axes: ${(e as Error).message}`); }
        });
        if (pads.length !== 2 * axes.length) ctx.fail(`pads has ${pads.length} entries, expected ${2 * axes.length} for axes [${axes.join(', ')}]`);
        const full = new Array<number>(2 * rank).fill(0);
        axes.forEach((a, i) => { full[a] = pads[i]; full[rank + a] = pads[axes.length + i]; });
        pads = full;
      }
    }
    if (pads.length !== 2 * rank) ctx.fail(`pads has ${pads.length} entries, expected ${2 * rank} for input ${formatShape(x.shape)}`);
    if (pads.every((p) => p === 0)) { ctx.alias(node.outputs[0], x.name); return; }
    ctx.emit('Pad', [x.name], [node.outputs[0]], { pads: [...pads], value });
  },
};

// ---------------------------------------------------------------------------------------------- Resize

const RESIZE_MODES_REFUSED: Record<string, string> = {
  linear: "mode 'linear' is not supported (only 'nearest')",
  cubic: "mode 'cubic' is not supported (only 'nearest')",
};

function validateNearest(node: OnnxNode, modeKey = 'mode'): string[] {
  const problems: string[] = [];
  const mode = String(node.attrs[modeKey] ?? 'nearest');
  if (mode !== 'nearest') problems.push(RESIZE_MODES_REFUSED[mode] ?? `mode ${quoted(mode)} is not supported (only 'nearest')`);
  return problems;
}

/**
 * Scales per axis (float32) and output sizes for a nearest resize, validated: the batch axis keeps its length.
 * `given` is either scales or sizes over `axes`.
 */
function resizeGeometry(ctx: LowerContext, x: Tensor, kind: 'scales' | 'sizes', given: Dim[], axes: number[]): { scales: number[]; sizes: number[] | null } {
  const rank = x.shape.length;
  if (given.length !== axes.length) ctx.fail(`${kind} has ${given.length} entries, expected ${axes.length}`);
  const scales = new Array<number>(rank).fill(1);
  const sizes = kind === 'sizes' ? x.shape.map((d) => (typeof d === 'number' ? d : -1)) : null;
  axes.forEach((a, i) => {
    const v = given[i];
    const d = x.shape[a];
    if (kind === 'scales') {
      if (typeof v !== 'number' || !(v > 0)) ctx.fail(`scales[${i}] = ${String(v)} must be positive`);
      scales[a] = Math.fround(v as number);
      if (a === 0 && scales[a] !== 1) ctx.fail(`resizing the batch axis (scale ${String(v)}) is not supported`);
    } else {
      if (a === 0) {
        if (typeof d !== 'number' && typeof v === 'number') {
          ctx.fail(`sizes[${i}] = ${v} fixes the batch axis, which is symbolic (${quoted(d)}); give the batch size with inputShapes (--input-shape)`);
        }
        if (v !== d) ctx.fail(`resizing the batch axis (size ${String(v)} for batch ${String(d)}) is not supported`);
        return;
      }
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) ctx.fail(`sizes[${i}] = ${String(v)} must be a positive integer`);
      sizes![a] = v as number;
      scales[a] = Math.fround((v as number) / (d as number));
    }
  });
  if (sizes) sizes[0] = -1;
  return { scales, sizes };
}

const RESIZE_HANDLER: OpHandler = {
  op: 'Resize',
  opsets: [10, 23],
  inputs: [{ name: 'X' }, { name: 'roi', optional: true }, { name: 'scales', optional: true, constant: true }, { name: 'sizes', optional: true, constant: true }],
  attributes: {
    mode: { type: 'string', default: 'nearest' },
    coordinate_transformation_mode: { type: 'string', default: 'half_pixel' },
    nearest_mode: { type: 'string', default: 'round_prefer_floor' },
    cubic_coeff_a: { type: 'float', default: -0.75 },
    exclude_outside: { type: 'int', default: 0 },
    extrapolation_value: { type: 'float', default: 0 },
    antialias: { type: 'int', default: 0 },
    axes: { type: 'ints' },
    keep_aspect_ratio_policy: { type: 'string', default: 'stretch' },
  },
  summary: 'nearest-neighbour resize (upsampling)',
  validate(node) {
    const problems = validateNearest(node);
    if (node.opset >= 11) {
      const ctm = String(node.attrs['coordinate_transformation_mode']);
      if (ctm === 'tf_crop_and_resize') problems.push(`coordinate_transformation_mode 'tf_crop_and_resize' is not supported (it needs a region of interest)`);
      else if (!(COORDINATE_MODES as readonly string[]).includes(ctm)) problems.push(`coordinate_transformation_mode ${quoted(ctm)} is not supported (${COORDINATE_MODES.join(', ')})`);
      const nm = String(node.attrs['nearest_mode']);
      if (nm === 'simple' || !(NEAREST_MODES as readonly string[]).includes(nm)) problems.push(`nearest_mode ${quoted(nm)} is not supported (round_prefer_floor, round_prefer_ceil, floor, ceil)`);
    }
    const kar = String(node.attrs['keep_aspect_ratio_policy']);
    if (kar !== 'stretch' && kar !== 'not_larger' && kar !== 'not_smaller') problems.push(`keep_aspect_ratio_policy ${quoted(kar)} is unknown`);
    return problems;
  },
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    const rank = x.shape.length;
    // Resize-10 had inputs (X, scales) and the Upsample rule; from 11 on (X, roi, scales, sizes).
    const scalesName = (node.opset === 10 ? node.inputs[1] : node.inputs[2]) ?? '';
    const sizesName = node.opset === 10 ? '' : node.inputs[3] ?? '';
    const axesAttr = ints(node, 'axes');
    const axes = axesAttr
      ? axesAttr.map((a) => { try { return normAxis(a, rank); } catch (e) { return ctx.fail(`axes: ${(e as Error).message}`); } })
      : Array.from({ length: rank }, (_, i) => i);
    const scalesV = scalesName !== '' ? ctx.constantValues(scalesName, 'input scales') : [];
    let sizesV: Dim[] = [];
    if (sizesName !== '') {
      const s = ctx.symbolic(sizesName);
      if (!s) ctx.fail(`input sizes (${quoted(sizesName)}) must be a constant (or computable from static shapes)`);
      sizesV = s!;
    }
    if (scalesV.length > 0 && sizesV.length > 0) ctx.fail('both scales and sizes are given; exactly one may be');
    if (scalesV.length === 0 && sizesV.length === 0) ctx.fail('neither scales nor sizes is given');
    if (sizesV.length > 0 && String(node.attrs['keep_aspect_ratio_policy']) !== 'stretch') {
      ctx.fail(`keep_aspect_ratio_policy ${quoted(String(node.attrs['keep_aspect_ratio_policy']))} is not supported (only 'stretch')`);
    }
    const geo = scalesV.length > 0 ? resizeGeometry(ctx, x, 'scales', scalesV, axes) : resizeGeometry(ctx, x, 'sizes', sizesV, axes);
    const ctm = node.opset === 10 ? 'asymmetric' : String(node.attrs['coordinate_transformation_mode']);
    const nm = node.opset === 10 ? 'simple' : String(node.attrs['nearest_mode']);
    emitResize(ctx, x, geo.scales, geo.sizes, ctm, nm);
  },
};

function emitResize(ctx: LowerContext, x: Tensor, scales: number[], sizes: number[] | null, ctm: string, nm: string): void {
  const out = ctx.node.outputs[0];
  if (scales.every((s) => s === 1) && (!sizes || sizes.every((s, i) => i === 0 || s === x.shape[i]))) { ctx.alias(out, x.name); return; }
  ctx.emit('Resize', [x.name], [out], { mode: 'nearest', coordinateTransformationMode: ctm, nearestMode: nm, scales, sizes });
}

/** Upsample (opsets 7-9, deprecated since 10): nearest only; the asymmetric/truncating rule of Resize-10. */
const UPSAMPLE_HANDLER: OpHandler = {
  op: 'Upsample',
  opsets: [7, 9],
  inputs: [{ name: 'X' }, { name: 'scales', optional: true, constant: true }],
  attributes: { mode: { type: 'string', default: 'nearest' }, scales: { type: 'floats' } },
  summary: 'nearest-neighbour upsampling (deprecated op)',
  validate(node) {
    const problems = validateNearest(node);
    if (node.opset < 9 && !Array.isArray(node.attrs['scales'])) problems.push(`required attribute 'scales' is missing`);
    return problems;
  },
  lower(ctx) {
    const node = ctx.node;
    const x = ctx.tensor(node.inputs[0]);
    const scales = Array.isArray(node.attrs['scales']) ? (node.attrs['scales'] as number[]) : ctx.constantValues(node.inputs[1] ?? '', 'input scales');
    const geo = resizeGeometry(ctx, x, 'scales', scales, Array.from({ length: x.shape.length }, (_, i) => i));
    if (geo.scales.some((s) => s < 1)) ctx.fail(`scales [${scales.join(', ')}] must be at least 1 for Upsample`);
    emitResize(ctx, x, geo.scales, null, 'asymmetric', 'simple');
  },
};

export function registerSpatialHandlers(): void {
  registerOpHandler(convHandler('NCHW'));
  registerOpHandler(convHandler('NHWC'));
  for (const op of ['MaxPool', 'AveragePool'] as const) registerOpHandler(poolHandler(op, 'NCHW'));
  registerOpHandler(poolHandler('MaxPool', 'NHWC'));
  // qonnx wraps AveragePool the same way (standard attributes, NHWC data); cheap to accept too.
  registerOpHandler(poolHandler('AveragePool', 'NHWC'));
  registerOpHandler(globalPoolHandler('GlobalAveragePool'));
  registerOpHandler(globalPoolHandler('GlobalMaxPool'));
  registerOpHandler(PAD_HANDLER);
  registerOpHandler(RESIZE_HANDLER);
  registerOpHandler(UPSAMPLE_HANDLER);
}

