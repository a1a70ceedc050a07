/*
 * Rescale (QONNX Quant as integer requantization, docs/design/vitis-backend.md "Rescale"): p = x * inv_scale
 * (exact), q = clamp(round(p) + zp), y = result((q - zp) * scale), per tensor or per channel.
 */
import { FirmflowError, fracBits, quantRange, sizeOf } from 'firmflow';
import { viaBig } from '../emulate/elementwise.js';
import { constCodes, constType, numParam, role, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { RESCALE_ROUNDING, roundCodes } from '../emulate/rounding.js';
import { elementSchedule, layerConstCodes, scaleCost } from '../estimate/cost.js';
import { describe } from '../passes/common.js';
import { widenedToHold } from '../passes/input-types.js';
import { autoConstType, codesFor, configuredType, numeric, RESCALE_CONST_WIDTH, typeForCodes } from '../passes/precision-rules.js';
import { num, requireActivation, requireConst, sample, Unsupported } from '../passes/planning.js';
import { fail } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const rescale: VitisKernel = {
  name: 'rescale',
  ops: ['Rescale'],
  header: 'nnet_rescale.h',
  stream: 'flow',
  streaming: true,

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    const sc = requireConst(node, graph, 1, 'scale');
    const zp = node.inputs[2] ? requireConst(node, graph, 2, 'zero point') : undefined;
    const s = sample(x);
    const axis = num(node.attrs['axis'], 1);
    const perChannel = sc.data!.length > 1 || (zp?.data!.length ?? 1) > 1;
    if (perChannel && (axis < 1 || axis > s.length)) throw new Unsupported(`per-channel rescaling along axis ${axis}, the batch axis`);
    const zpv = zp ? Array.from(zp.data!, Number) : [0];
    if (zpv.some((z) => !Number.isInteger(z))) throw new Unsupported('its zero point is not an integer');
    return {
      kernel: 'rescale',
      params: {
        n_in: sizeOf(s), n_chan: perChannel ? s[axis - 1] : 1, n_inner: perChannel ? sizeOf(s.slice(axis)) : sizeOf(s),
        bits: num(node.attrs['bits'], 8), signed: node.attrs['signed'] === false ? 0 : 1, narrow: node.attrs['narrow'] === true ? 1 : 0,
        rounding_mode: String(node.attrs['roundingMode'] ?? 'ROUND'), zero_point: zpv,
        zero_point_before_rounding: node.attrs['zeroPointBeforeRounding'] === true ? 1 : 0,
      },
    };
  },

  constRoles: { 1: 'scale' },
  ownsConstants: true,
  // The quantizer clips at its own levels, never earlier: unless the layer names its result type, the result holds
  // every level (integer bits added to the configured or default type).
  adjustResult(ctx, result) {
    if (ctx.config.layerRoles.includes('result')) return result;
    const sv = numeric(ctx.tensor(1)!);
    const zv = ctx.node.inputs[2] ? numeric(ctx.tensor(2)!) : new Float64Array([0]);
    const [qmin, qmax] = quantRange(ctx.layer.params['bits'] as number, ctx.layer.params['signed'] === 1, ctx.layer.params['narrow'] === 1);
    let bound = 0;
    sv.forEach((s, i) => {
      const z = zv[zv.length === 1 ? 0 : i] ?? 0;
      bound = Math.max(bound, Math.abs((qmin - z) * s), Math.abs((qmax - z) * s));
    });
    return widenedToHold(result, bound);
  },
  precision(ctx) {
    const { layer, types, node } = ctx;
    const x = ctx.input, P = ctx.config.precision;
    // The two factors are constants of their own roles, derived from the values at 24 bits.
    const sv = numeric(ctx.tensor(1)!);
    types['scale'] = ctx.typeConstant(1, configuredType(P.scale) ?? autoConstType(sv, RESCALE_CONST_WIDTH));
    const inv = Float64Array.from(sv, (v) => 1 / v);
    const it = configuredType(P.inv_scale) ?? autoConstType(inv, RESCALE_CONST_WIDTH);
    types['inv_scale'] = it;
    layer.params['inv_scale_codes'] = Array.from(codesFor(inv, it) as ArrayLike<number>, Number);
    const prodFrac = fracBits(x) + fracBits(it);
    if (prodFrac < 0 || x.width + it.width > 62) {
      throw new FirmflowError('vitis.precision', `${describe(node)}: x * 1/scale needs ${x.width + it.width} bits with ${prodFrac} fractional bits (the kernel takes at most 62 bits and at least 0 fractional bits); give Precision.inv_scale or a narrower input type`, { layer: layer.layerName });
    }
    layer.params['prod_frac'] = prodFrac;
    const [qmin, qmax] = quantRange(layer.params['bits'] as number, layer.params['signed'] === 1, layer.params['narrow'] === 1);
    layer.params['q_min'] = qmin;
    layer.params['q_max'] = qmax;
    const zv = node.inputs[2] ? numeric(ctx.tensor(2)!) : new Float64Array([0]);
    const zt = typeForCodes(BigInt(Math.min(0, ...zv)), BigInt(Math.max(0, ...zv)), 0);
    types['zero_point'] = { ...zt, width: Math.max(zt.width, 2), integer: Math.max(zt.width, 2) };
    if (node.inputs[2]) ctx.typeConstant(2, types['zero_point']);
    layer.params['zero_point_codes'] = Array.from(zv);
    return undefined;
  },

  emit(e) {
    const { b, node, hls, P, x } = e;
    // nnet_rescale.h: codes of 1/scale, scale and the zero points are the lowering's.
    const inv = b.nodeConst(node, 'inv_scale', e.role('inv_scale'), P['inv_scale_codes'] as number[]);
    const S = b.constant(e.l.inputs[1], 'scale');
    const Z = b.nodeConst(node, 'zero_point', e.role('zero_point'), P['zero_point_codes'] as number[]);
    const rounding = (RESCALE_ROUNDING as readonly string[]).indexOf(String(P['rounding_mode'] ?? 'ROUND'));
    if (rounding < 0) fail(node, `unknown rounding mode ${String(P['rounding_mode'])}`);
    e.config('nnet::rescale_config', {
      n_in: e.num('n_in'), n_chan: e.num('n_chan', 1), inner: e.num('n_inner', e.num('n_in')), n_scale: (P['inv_scale_codes'] as number[]).length,
      n_zero: (P['zero_point_codes'] as number[]).length, rounding, zero_point_before_rounding: e.num('zero_point_before_rounding', 0) === 1,
      prod_frac: e.num('prod_frac'), q_lower_bound: e.num('q_min'), q_upper_bound: e.num('q_max'), reuse_factor: hls.reuseFactor,
      inv_scale_t: inv.typeName, scale_t: S.typeName, zero_t: Z.typeName,
    });
    const fn = `nnet::rescale${e.stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: e.call(`${fn}<${e.io()}, ${e.cfg}>`, [e.input(x), e.out, inv.name, S.name, Z.name]) };
  },

  emulate: buildRescale,

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => scaleCost(c, layerConstCodes(l, 1))),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/rounding.ts)

/**
 * Rescale as nnet_rescale.h computes it: p = code(x) * code(inv_scale[c]) (exact, prod_frac fractional bits);
 * q = clamp(round(p / 2^F) + zp) (or clamp(round((p + zp 2^F) / 2^F)) when the zero point comes before rounding);
 * y = result((q - zp) * scale[c]).
 */
function buildRescale(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, role(ctx, 'scale'));
  const sc = Array.from(constCodes(sT, sType), BigInt);
  const invCodes = ctx.hls.params['inv_scale_codes'];
  if (!Array.isArray(invCodes)) unsupported(ctx, "has no 'inv_scale_codes' in its HLS annotation");
  const inv = invCodes.map((c) => BigInt(c));
  const zp = (Array.isArray(ctx.hls.params['zero_point_codes']) ? (ctx.hls.params['zero_point_codes'] as number[]) : [0]).map((z) => BigInt(z));
  const F = numParam(ctx, 'prod_frac');
  const qmin = BigInt(numParam(ctx, 'q_min')), qmax = BigInt(numParam(ctx, 'q_max'));
  const before = numParam(ctx, 'zero_point_before_rounding', 0) === 1;
  const mode = String(ctx.hls.params['rounding_mode'] ?? 'ROUND');
  const n = sizeOf(x.shape);
  const inner = numParam(ctx, 'n_inner', n);
  const C = numParam(ctx, 'n_chan', 1);
  const fs = fracBits(sType);
  const pick = <T>(a: T[], c: number): T => a[a.length === 1 ? 0 : c];
  return viaBig(ctx, fs, n, ([X], i) => {
    const c = C === 1 ? 0 : Math.floor((i % n) / inner) % C;
    const z = pick(zp, c);
    const p = BigInt(X[i]) * pick(inv, c);
    let q = before ? roundCodes(p + (z << BigInt(Math.max(0, F))), F, mode) : roundCodes(p, F, mode) + z;
    if (q < qmin) q = qmin;
    if (q > qmax) q = qmax;
    return (q - z) * pick(sc, c);
  });
}
