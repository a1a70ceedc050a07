/* BipolarQuant (QONNX): y = scale * sign(x) (+scale for x >= 0), a per-tensor scale; the result is 2 bits wide. */
import { fracBits, sizeOf } from 'firmflow';
import { viaScratch } from '../emulate/elementwise.js';
import { constCodes, constType, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { addDelay, COEF } from '../estimate/model.js';
import { elementSchedule } from '../estimate/cost.js';
import { bipolar, configuredType, numeric } from '../passes/precision-rules.js';
import { requireActivation, requireConst, sample, Unsupported } from '../passes/planning.js';
import type { VitisKernel } from './contract.js';

export const bipolarQuant: VitisKernel = {
  name: 'bipolar-quant',
  ops: ['BipolarQuant'],
  header: 'nnet_activation.h',
  stream: 'flow',
  streaming: true,

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    const s = requireConst(node, graph, 1, 'scale');
    if (s.data!.length !== 1) throw new Unsupported('only a per-tensor scale is supported');
    return { kernel: 'bipolar_quant', params: { n_in: sizeOf(sample(x)) } };
  },

  constRoles: { 1: 'scale' },
  ownsConstants: true,
  defaultResult: 'exact',
  precision(ctx) {
    // The scale is stored in the result type: +-scale are then exactly the two result values.
    const r = configuredType(ctx.config.precision.result) ?? ctx.modelResult ?? bipolar(numeric(ctx.tensor(1)!)[0]) ?? ctx.data;
    ctx.types['scale'] = ctx.typeConstant(1, r);
    return r;
  },

  emit(e) {
    const S = e.b.constant(e.l.inputs[1], 'scale');
    return e.activation('op_bipolar', { scale_t: S.typeName }, S.name);
  },

  emulate: buildBipolar,
  // A sign decision: exact unless the input error reaches across zero.
  errorBound: () => ({ L: [Infinity], own: () => 0, decision: 'sign' }),

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => {
    c.lut(c.par * 1);
    c.steps = [{ ns: addDelay(c.win, c.part) }, { ns: COEF.mux }];
  }),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate)

/** BipolarQuant: y = result(x >= 0 ? scale : -scale). */
function buildBipolar(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const sT = ctx.consts.get(1);
  if (!sT) unsupported(ctx, 'needs a constant scale');
  const sType = constType(sT, ctx.hls.types['scale'] ?? ctx.out.type);
  const sc = constCodes(sT, sType)[0];
  const n = sizeOf(x.shape);
  return viaScratch(ctx, fracBits(sType), n, ([X], T, b) => { for (let i = 0; i < n * b; i++) T[i] = X[i] >= 0 ? sc : -sc; });
}
