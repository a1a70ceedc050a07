/*
 * Add, Sub and Mul of two operands with broadcasting (nnet_merge.h): an activation with an activation, or with a
 * constant. The exact result type is the operation's on the operands' types.
 */
import { convertRaw, type FixedType, fracBits, resultType, sizeOf, typeRange } from 'firmflow';
import { maxAbsCode, overflowsBig } from '../emulate/convert.js';
import { type Operand, operands, viaScratch } from '../emulate/elementwise.js';
import { unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { addDelay } from '../estimate/model.js';
import { elementSchedule, multSteps, varMult, w } from '../estimate/cost.js';
import { broadcastShapes, Unsupported } from '../passes/planning.js';
import { emitMerge } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

const KINDS: Record<string, { kernel: 'add' | 'sub' | 'mul'; functor: string }> = {
  Add: { kernel: 'add', functor: 'op_add' }, Sub: { kernel: 'sub', functor: 'op_sub' }, Mul: { kernel: 'mul', functor: 'op_mul' },
};

export const merge: VitisKernel = {
  name: 'merge',
  ops: Object.keys(KINDS),
  header: 'nnet_merge.h',
  stream: 'merge',
  streaming: true,

  plan(node, graph) {
    if (node.inputs.every((i) => i === '' || graph.isConstant(i))) throw new Unsupported('both operands are constants; constant folding should have removed this node');
    const { shapes, out } = broadcastShapes(node, graph);
    const same = shapes.every((s) => s.length === out.length && s.every((d, i) => d === out[i]));
    return { kernel: KINDS[node.op].kernel, params: { n_out: sizeOf(out), out_shape: out, in0_shape: shapes[0], in1_shape: shapes[1], broadcast: same ? 0 : 1 } };
  },

  precision: (ctx): FixedType => resultType(KINDS[ctx.node.op].kernel, ctx.types['input'], ctx.types['input1']),

  emit: (e) => emitMerge(e, KINDS[e.node.op].functor),
  emulate: buildBinary,

  errorBound(b) {
    if (b.node.op !== 'Mul') return { L: b.ones, own: () => b.qR };
    // |a_q b_q - a_f b_f| <= |b_q| e_a + |a_f| e_b: bounded with the operands' type ranges.
    const ts = b.node.inputs.filter((t) => t !== '').map((t) => b.graph.tensor(t));
    const mags = ts.map((t) => { const r = typeRange(t.precision!); return Math.max(Math.abs(r.min), Math.abs(r.max)); });
    const acts = ts.filter((t) => !b.graph.isConstant(t.name)).map((t) => t.name);
    const L = acts.map((a) => { const other = ts.find((t) => t.name !== a); return other ? mags[ts.indexOf(other)] : 1; });
    return { L, own: () => b.qR };
  },

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => {
    if (l.hls.kernel.startsWith('mul')) {
      const wb = w(l.hls.types['input1'], c.win);
      const vm = varMult(c.win, wb, c.part);
      c.add({ dsp: vm.dsp * c.par, lut: vm.lut * c.par + c.par * c.conv });
      c.mult = { multiplications: c.par, instances: c.par, widths: [c.win, wb], impl: vm.impl, dspEach: vm.impl === 'dsp' ? vm.dsp : 0, lutEach: vm.lut };
      c.steps = [...multSteps(vm.impl, c.win, wb, vm.dsp, c.part), { ns: addDelay(c.wout, c.part) }];
      return;
    }
    c.lut(c.par * (c.wout + 1 + c.conv));
    c.steps = [{ ns: addDelay(c.wout + 1, c.part) }, { ns: addDelay(c.wout, c.part) }];
  }),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/elementwise.ts)

function buildBinary(ctx: BuildContext): EmuKernel {
  const op = ctx.node.op;
  const [A, B] = operands(ctx);
  if (!A || !B) unsupported(ctx, 'needs two operands');
  const outN = sizeOf(ctx.out.shape);
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
