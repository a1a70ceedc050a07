/* PRelu: x >= 0 ? x : slope * x, the slope a constant broadcast to x (nnet_merge.h with the op_prelu functor). */
import { autoConstType, DEFAULT_SCALE_TYPE, configuredType, numeric } from '../passes/precision-rules.js';
import { fracBits, sizeOf } from 'firmflow';
import { codeValues, floatOf, maxAbsDiff } from '../emulate/bounds.js';
import { maxAbsCode } from '../emulate/convert.js';
import { EXACT, operands, viaBig, viaScratch } from '../emulate/elementwise.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { addDelay, COEF } from '../estimate/model.js';
import { elementSchedule, layerConstCodes } from '../estimate/cost.js';
import { broadcastShapes, requireActivation, requireConst } from '../passes/planning.js';
import { emitMerge } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

export const prelu: VitisKernel = {
  name: 'prelu',
  ops: ['PRelu'],
  header: 'nnet_merge.h',
  stream: 'merge',
  dataRoles: ['result', 'scale', 'shift'],
  streaming: true,

  plan(node, graph) {
    requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'slope');
    const { shapes, out } = broadcastShapes(node, graph);
    return { kernel: 'prelu', params: { n_in: sizeOf(out), out_shape: out, slope_shape: shapes[1] } };
  },

  constRoles: { 1: 'scale' },
  // The slope is a factor: the model's type, else the factors' default (derived from the values only for 'auto').
  constType(ctx, role, t) {
    const set = ctx.config.precision[role];
    return configuredType(set) ?? (set === 'auto' ? autoConstType(numeric(t)) : t.precision ?? DEFAULT_SCALE_TYPE);
  },

  emit: (e) => emitMerge(e, 'op_prelu'),
  emulate: buildPRelu,

  errorBound(b) {
    const s = b.konst(1)!;
    const sq = codeValues(s, s.precision!);
    return { L: [Math.max(1, ...Array.from(sq, Math.abs))], own: (xf) => b.qR + maxAbsDiff(sq, floatOf(s)!) * xf };
  },

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => {
    c.constScale(layerConstCodes(l, 1), (i) => i);
    c.lut(c.par * (c.wout + c.conv));
    c.steps.push({ ns: COEF.mux }, { ns: addDelay(c.wout, c.part) });
  }),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/elementwise.ts)

/** PRelu: x >= 0 ? x : slope * x, the slope broadcast from a constant in its own (scale) type. */
function buildPRelu(ctx: BuildContext): EmuKernel {
  const [X, S] = operands(ctx);
  if (!S || S.act >= 0) unsupported(ctx, 'needs a constant slope');
  const n = sizeOf(ctx.out.shape);
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
