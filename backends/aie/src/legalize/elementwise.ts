/*
 * The legalization every row-parallel kernel (Add, ReLU, Sigmoid/Tanh, Softmax, LayerNorm, Transpose, views) goes
 * through: op checks (the kernel's `prepare`), then bf16 mode, or the int types of inputs and output, the srs shift,
 * rounding and saturation. A kernel states what differs in `ElementwiseRules`; the order of the checks, and so the
 * refusal a node gets, is the same for all.
 */
import type { IRNode } from 'firmflow';
import type { AieIntType, AieKernelKind, AieLayer } from '../lowered.js';
import { base, inType, outType, roundingOf, saturationOf, type ActType, type LegalizeContext } from './context.js';

export type LayerDraft = ReturnType<typeof base>;

/** A second operand's type (Add): its fractional bits and AIE type. */
export interface OperandType {
  frac: number;
  dtype: AieIntType;
}

export interface ElementwiseRules {
  /** The runtime tensors the kernel reads (default: the node's first input). */
  inputs?(ctx: LegalizeContext, n: IRNode): string[];
  /** Op attributes and shape checks, before any typing; false after recording a refusal. */
  prepare?(ctx: LegalizeContext, n: IRNode, lay: LayerDraft): boolean;
  /** The kernel moves codes without arithmetic (views, Transpose): the output keeps the input's type. */
  passThrough?: boolean;
  /** The output takes the input's type when it has no quantizer of its own (ReLU). */
  keepsUnquantizedType?: boolean;
  /** Every input must have one type (a view cannot rescale). */
  uniformInputs?: boolean;
  /** The kernel is a ReLU: its epilogue clips at 0 (fusedRelu). */
  clipsAtZero?: boolean;
  /** The layer has a second operand type (Add): `dtype.w` in bf16 mode too. */
  secondOperand?: boolean;
  /** bf16 mode: constants of the layer (Add's constant operand). */
  bf16Constants?(ctx: LegalizeContext, n: IRNode, l: AieLayer): void;
  /** Type rules of the kernel on its int input and output; false after recording a refusal. */
  checkTypes?(ctx: LegalizeContext, n: IRNode, a: ActType, o: ActType): boolean;
  /**
   * The srs shift from the input grid to the output grid, and the second operand's type; undefined after recording
   * a refusal. Default: no shift.
   */
  shift?(ctx: LegalizeContext, n: IRNode, lay: LayerDraft, ins: ActType[], o: ActType): { shift: number; w?: OperandType } | undefined;
  /** A table lookup: no srs, whatever the grids (Sigmoid/Tanh). */
  lookup?: boolean;
  /** The kernel writes the whole int8 range: a narrow output quantizer is refused (Softmax, LayerNorm). */
  fullRangeOutput?: boolean;
}

export function legalizeElementwise(ctx: LegalizeContext, n: IRNode, kernel: AieKernelKind, rules: ElementwiseRules): AieLayer | undefined {
  // (A Split may leave its first output unnamed.)
  const out = n.outputs.find((o) => o !== '') ?? n.outputs[0];
  const inputs = rules.inputs ? rules.inputs(ctx, n) : [n.inputs[0]];
  const lay = base(kernel, n, ctx, inputs, out);
  if (rules.prepare && !rules.prepare(ctx, n, lay)) return undefined;
  if (ctx.opts.mode === 'bf16') {
    const l: AieLayer = { ...lay, dtype: { a: 'bf16', ...(rules.secondOperand ? { w: 'bf16' as const } : {}), out: 'bf16', acc: 'accfloat' }, frac: { a: 0, out: 0 }, shift: 0, rounding: 'conv_even', saturate: false };
    rules.bf16Constants?.(ctx, n, l);
    return l;
  }
  const ins: ActType[] = [];
  for (const i of inputs) {
    const t = inType(ctx, n, i);
    if (!t) return undefined;
    ins.push(t);
  }
  const a = ins[0];
  const passThrough = !!rules.passThrough;
  if (rules.uniformInputs && ins.some((t) => t.dtype !== a.dtype || t.frac !== a.frac)) {
    return ctx.refuse.fail(n, `inputs have different types (${ins.map((t, i) => `'${inputs[i]}' ${t.dtype} 2^-${t.frac}`).join(', ')}); a view cannot rescale`);
  }
  const o = outputType(ctx, n, lay, a, out, rules);
  if (!o) return undefined;
  if (rules.checkTypes && !rules.checkTypes(ctx, n, a, o)) return undefined;
  let shift = 0;
  let w: OperandType | undefined;
  if (rules.shift) {
    const s = rules.shift(ctx, n, lay, ins, o);
    if (!s) return undefined;
    shift = s.shift;
    w = s.w;
  }
  if (shift < 0 && !rules.lookup) return ctx.refuse.fail(n, `output '${out}' has ${o.frac} fractional bits, finer than the input's; an srs cannot shift left`);
  const rounding = passThrough ? 'conv_even' : roundingOf(ctx, o.fixed, n);
  const saturate = passThrough ? true : saturationOf(ctx, o, n);
  if (rounding === undefined || saturate === undefined) return undefined;
  // A narrow output's clamp (o.clamp): a pass-through keeps codes already in range; the int8 Softmax / LayerNorm
  // write the whole int8 range.
  const clamp = passThrough ? undefined : o.clamp;
  if (rules.lookup) shift = 0;
  if (clamp && rules.fullRangeOutput) {
    return ctx.refuse.fail(n, `output '${out}' is ${o.fixed.signed ? '' : 'unsigned '}${o.fixed.width}-bit (codes [${clamp.min}, ${clamp.max}]); the AIE ${n.op} kernel writes the full int8 range (quantize its output to int8)`);
  }
  return {
    ...lay,
    dtype: { a: a.dtype, ...(w ? { w: w.dtype } : {}), out: o.dtype, acc: 'acc32' },
    frac: { a: a.frac, ...(w ? { w: w.frac } : {}), out: o.frac },
    shift,
    rounding,
    saturate,
    fusedRelu: rules.clipsAtZero ? true : lay.fusedRelu,
    ...(clamp ? { clamp } : {}),
  };
}

/** The output's int type: the input's for a pass-through (whose output quantizer must not change the grid). */
function outputType(ctx: LegalizeContext, n: IRNode, lay: LayerDraft, a: ActType, out: string, rules: ElementwiseRules): ActType | undefined {
  const own = ctx.g.tensor(out);
  if (!rules.passThrough && !(rules.keepsUnquantizedType && !own.precision && !own.quant)) return outType(ctx, n, out);
  if (rules.passThrough) {
    // (A Split's every part is checked: each is a region of the same buffer.)
    for (const name of lay.outputs) {
      const p = ctx.g.tensor(name).precision;
      // A quantizer on a view's output that changes the grid is a requantization, not a view.
      if (p && (p.width !== a.fixed.width || p.width - p.integer !== a.frac)) return ctx.refuse.fail(n, `output '${name}' is quantized to a different type than its input; requantize in a computing layer`);
    }
  }
  return a;
}

/** Rules the normalizing kernels share. Softmax and LayerNorm normalize along the last axis only. */
export function lastAxisOnly(ctx: LegalizeContext, n: IRNode, lay: LayerDraft): boolean {
  const rank = ctx.g.tensor(n.inputs[0]).shape.length;
  const axis = Number(n.attrs['axis'] ?? rank - 1);
  if (axis !== rank - 1) return !!ctx.refuse.fail(n, `normalizes over axis ${axis}; AIE ${n.op} works along the last axis only`);
  lay.attrs['axis'] = axis;
  return true;
}

/** The integer Softmax and LayerNorm take int8 in and out. */
export function int8InOut(ctx: LegalizeContext, n: IRNode, a: ActType, o: ActType): boolean {
  if (a.dtype === 'int8' && o.dtype === 'int8') return true;
  return !!ctx.refuse.fail(n, `${a.dtype} -> ${o.dtype}: the integer AIE ${n.op} takes int8 in and out (use aie.mode 'bf16' for float)`);
}

