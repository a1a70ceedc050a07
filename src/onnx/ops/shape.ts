import { quoted } from '../../errors.js';
import { sliceRange } from '../../ir/defs/shape.js';
import { broadcastShapes } from '../../ir/shape.js';
import type { Dim, DType, Shape } from '../../ir/types.js';
import { formatShape } from '../../ir/types.js';
import { registerOpHandler, type LowerContext } from '../handlers.js';
import { ONNX_DTYPE_NAMES, ONNX_DTYPES } from '../tensor.js';
import { registerConstantHandlers } from './constants.js';
import { axesOperand, checkedAxes, checkedAxis, defineShapeValue, hasInput, inputName, isIntegerType, symbolicOnly } from './common.js';

/** Splits dims into the product of the numbers and the (at most one) symbolic name. */
function factor(dims: Dim[]): { n: number; sym?: string } {
  let n = 1;
  let sym: string | undefined;
  for (const d of dims) {
    if (typeof d === 'number') n *= d;
    else if (sym === undefined) sym = d;
    else throw new Error(`${formatShape(dims)} holds two dynamic dimensions`);
  }
  return { n, sym };
}

/**
 * The output shape of an ONNX Reshape: 0 copies the input dim (unless allowzero), -1 takes what is left. With a
 * symbolic batch the -1 resolves only when the batch cancels exactly.
 */
export function resolveReshape(input: Shape, spec: Dim[], allowzero: boolean): Dim[] {
  const out = spec.map((e, i): Dim => {
    if (typeof e === 'string' || e > 0 || e === -1) return e;
    if (e === 0) {
      if (allowzero) return 0;
      if (i >= input.length) throw new Error(`shape entry ${i} is 0 (copy), but the input ${formatShape(input)} has no axis ${i}`);
      return input[i];
    }
    throw new Error(`shape entry ${e} is invalid`);
  });
  const neg = out.flatMap((e, i) => (e === -1 ? [i] : []));
  if (neg.length > 1) throw new Error(`shape ${formatShape(spec)} has more than one -1`);
  if (neg.length === 0) return out;
  const whole = factor(input);
  const known = factor(out.filter((_e, i) => i !== neg[0]));
  if (known.n === 0) throw new Error(`shape ${formatShape(spec)} has -1 beside a 0-sized dimension`);
  const ratio = whole.n / known.n;
  if (!Number.isInteger(ratio)) throw new Error(`cannot reshape ${formatShape(input)} to ${formatShape(spec)}`);
  let fill: Dim;
  if (whole.sym === known.sym) fill = ratio;
  else if (whole.sym !== undefined && known.sym === undefined && ratio === 1) fill = whole.sym;
  else if (whole.sym !== undefined && known.sym === undefined) {
    throw new Error(`the -1 in ${formatShape(spec)} would be ${whole.sym}*${ratio} for input ${formatShape(input)}; only the batch dimension itself may be dynamic`);
  } else throw new Error(`cannot reshape ${formatShape(input)} to ${formatShape(spec)}`);
  out[neg[0]] = fill;
  return out;
}

function attempt<T>(ctx: LowerContext, f: () => T): T {
  try {
    return f();
  } catch (e) {
    return ctx.fail((e as Error).message);
  }
}

function dataShape(ctx: LowerContext, i: number): Shape {
  return ctx.tensor(ctx.node.inputs[i]).shape;
}

export function registerShapeHandlers(): void {
  registerOpHandler({
    op: 'Reshape',
    opsets: [5, 23],
    inputs: [{ name: 'data' }, { name: 'shape', constant: true }],
    attributes: { allowzero: { type: 'int', default: 0 } },
    lower(ctx) {
      const n = ctx.node;
      const spec = ctx.symbolic(n.inputs[1]);
      if (!spec) ctx.fail(`shape (${quoted(n.inputs[1])}) must be a constant or computed from static shapes and the batch size`);
      const x = ctx.tensor(n.inputs[0]);
      const shape = attempt(ctx, () => resolveReshape(x.shape, spec!, n.attrs['allowzero'] === 1));
      ctx.emit('Reshape', [x.name], [n.outputs[0]], { shape });
    },
  });

  registerOpHandler({
    op: 'Flatten',
    opsets: [1, 23],
    inputs: [{ name: 'input' }],
    attributes: { axis: { type: 'int', default: 1 } },
    lower(ctx) {
      const rank = dataShape(ctx, 0).length;
      let axis = ctx.node.attrs['axis'] as number;
      if (axis < 0) axis += rank;
      if (axis < 0 || axis > rank) ctx.fail(`axis ${ctx.node.attrs['axis']} is out of range for rank ${rank}`);
      ctx.emit('Flatten', [inputName(ctx, 0)], [ctx.node.outputs[0]], { axis });
    },
  });

  registerOpHandler({
    op: 'Transpose',
    opsets: [1, 23],
    inputs: [{ name: 'data' }],
    attributes: { perm: { type: 'ints' } },
    lower(ctx) {
      const rank = dataShape(ctx, 0).length;
      const perm = (ctx.node.attrs['perm'] as number[] | undefined) ?? [...Array(rank).keys()].reverse();
      ctx.emit('Transpose', [inputName(ctx, 0)], [ctx.node.outputs[0]], { perm: perm.map((p) => (p < 0 ? p + rank : p)) });
    },
  });

  registerOpHandler({
    op: 'Squeeze',
    opsets: [1, 23],
    inputs: [{ name: 'data' }, { name: 'axes', optional: true, constant: true }],
    attributes: { axes: { type: 'ints' } },
    lower(ctx) {
      const shape = dataShape(ctx, 0);
      const given = axesOperand(ctx, 1);
      // Without axes every static 1 goes; a symbolic batch is kept (its size is not known to be 1).
      const axes = given ? checkedAxes(ctx, given, shape.length) : shape.flatMap((d, i) => (d === 1 ? [i] : []));
      const sym = symbolicOnly(ctx, ctx.node.inputs[0]);
      const emit = () => { ctx.emit('Squeeze', [inputName(ctx, 0)], [ctx.node.outputs[0]], { axes }); };
      if (sym) defineShapeValue(ctx, sym, shape.filter((_d, i) => !axes.includes(i)) as number[], ctx.tensor(ctx.node.inputs[0]).dtype, emit);
      else emit();
    },
  });

  registerOpHandler({
    op: 'Unsqueeze',
    opsets: [1, 23],
    inputs: [{ name: 'data' }, { name: 'axes', optional: true, constant: true }],
    attributes: { axes: { type: 'ints' } },
    lower(ctx) {
      const shape = dataShape(ctx, 0);
      const given = axesOperand(ctx, 1);
      if (!given) ctx.fail('needs axes');
      const axes = checkedAxes(ctx, given!, shape.length + given!.length);
      const sym = symbolicOnly(ctx, ctx.node.inputs[0]);
      const emit = () => { ctx.emit('Unsqueeze', [inputName(ctx, 0)], [ctx.node.outputs[0]], { axes }); };
      if (sym) {
        const dims: number[] = [];
        let k = 0;
        for (let i = 0; i < shape.length + axes.length; i++) dims.push(axes.includes(i) ? 1 : (shape[k++] as number));
        defineShapeValue(ctx, sym, dims, ctx.tensor(ctx.node.inputs[0]).dtype, emit);
      } else emit();
    },
  });

  registerOpHandler({
    op: 'Concat',
    opsets: [4, 23],
    inputs: [{ name: 'inputs', variadic: true }],
    attributes: { axis: { type: 'int', required: true } },
    lower(ctx) {
      const n = ctx.node;
      const ins = n.inputs.filter((i) => i !== '');
      if (!ins.length) ctx.fail('needs at least one input');
      const rank = ctx.tensor(ins[0]).shape.length;
      const axis = checkedAxis(ctx, n.attrs['axis'] as number, rank);
      const emit = () => { ctx.emit('Concat', ins.map((i) => ctx.tensor(i).name), [n.outputs[0]], { axis }); };
      // Shape vectors with a symbolic entry concatenate symbolically (x.view(x.size(0), -1) in PyTorch exports).
      if (rank === 1 && ins.some((i) => symbolicOnly(ctx, i))) {
        const parts = ins.map((i) => ctx.symbolic(i));
        if (parts.every((p) => p !== undefined)) {
          const value = parts.flat() as Dim[];
          defineShapeValue(ctx, value, [value.length], ctx.tensor(ins[0]).dtype, emit);
          return;
        }
      }
      emit();
    },
  });

  registerOpHandler({
    op: 'Shape',
    opsets: [1, 23],
    inputs: [{ name: 'data' }],
    attributes: { start: { type: 'int', default: 0 }, end: { type: 'int' } },
    lower(ctx) {
      const shape = dataShape(ctx, 0);
      const rank = shape.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
      const start = clamp(ctx.node.attrs['start'] as number);
      const end = clamp((ctx.node.attrs['end'] as number | undefined) ?? rank);
      const value = shape.slice(start, end);
      defineShapeValue(ctx, value, [value.length], 'int64', () => {
        ctx.emit('Shape', [inputName(ctx, 0)], [ctx.node.outputs[0]], { start, end });
      });
    },
  });

  registerOpHandler({
    op: 'Gather',
    opsets: [1, 23],
    inputs: [{ name: 'data' }, { name: 'indices' }],
    attributes: { axis: { type: 'int', default: 0 } },
    lower(ctx) {
      const n = ctx.node;
      const data = ctx.tensor(n.inputs[0]), idx = ctx.tensor(n.inputs[1]);
      const axis = checkedAxis(ctx, n.attrs['axis'] as number, data.shape.length);
      const emit = () => { ctx.emit('Gather', [data.name, idx.name], [n.outputs[0]], { axis }); };
      const sym = symbolicOnly(ctx, n.inputs[0]);
      const ids = ctx.constant(n.inputs[1]);
      if (sym && ids && data.shape.length === 1) {
        const value: Dim[] = Array.from(ids as ArrayLike<number | bigint>, (v) => {
          let i = Number(v);
          if (i < 0) i += sym.length;
          if (!(i >= 0 && i < sym.length)) ctx.fail(`index ${Number(v)} is out of range for a shape vector of ${sym.length} entries`);
          return sym[i];
        });
        defineShapeValue(ctx, value, idx.shape as number[], data.dtype, emit);
        return;
      }
      emit();
    },
  });

  registerOpHandler({
    op: 'Slice',
    opsets: [1, 23],
    inputs: [
      { name: 'data' }, { name: 'starts', optional: true, constant: true }, { name: 'ends', optional: true, constant: true },
      { name: 'axes', optional: true, constant: true }, { name: 'steps', optional: true, constant: true },
    ],
    attributes: { starts: { type: 'ints' }, ends: { type: 'ints' }, axes: { type: 'ints' } },
    validate(node) {
      if (node.opset < 10 && (node.attrs['starts'] === undefined || node.attrs['ends'] === undefined)) return ["attributes 'starts' and 'ends' are required before opset 10"];
      if (node.opset >= 10 && node.inputs.length < 3) return ["inputs 'starts' and 'ends' are required from opset 10"];
      if (node.opset >= 10 && (node.attrs['starts'] !== undefined || node.attrs['ends'] !== undefined || node.attrs['axes'] !== undefined)) return ['attributes starts/ends/axes became inputs in opset 10'];
      return [];
    },
    lower(ctx) {
      const n = ctx.node;
      const x = ctx.tensor(n.inputs[0]);
      const rank = x.shape.length;
      const operand = (i: number, attr: string): number[] | undefined =>
        n.opset >= 10 ? (hasInput(ctx, i) ? ctx.constantValues(n.inputs[i], attr) : undefined) : (n.attrs[attr] as number[] | undefined);
      const starts = operand(1, 'starts')!, ends = operand(2, 'ends')!;
      const axesIn = operand(3, 'axes') ?? starts.map((_s, i) => i);
      const steps = operand(4, 'steps') ?? starts.map(() => 1);
      if (ends.length !== starts.length || axesIn.length !== starts.length || steps.length !== starts.length) ctx.fail('starts, ends, axes and steps differ in length');
      if (steps.some((s) => s === 0)) ctx.fail('a step is 0');
      const axes = axesIn.map((a) => checkedAxis(ctx, a, rank, 'Slice axis'));
      if (new Set(axes).size !== axes.length) ctx.fail(`axes [${axesIn.join(', ')}] repeat an axis`);
      const emit = () => { ctx.emit('Slice', [x.name], [n.outputs[0]], { starts, ends, axes, steps }); };
      const sym = symbolicOnly(ctx, n.inputs[0]);
      if (sym && rank === 1) {
        const r = sliceRange(sym.length, starts[0], ends[0], steps[0]);
        const value = Array.from({ length: r.count }, (_v, k) => sym[r.start + k * steps[0]]);
        defineShapeValue(ctx, value, [value.length], x.dtype, emit);
        return;
      }
      emit();
    },
  });

  registerOpHandler({
    op: 'Split',
    opsets: [1, 23],
    // Opset 1 and 13+ take the sizes as an optional constant input, opsets 1-12 as an attribute; 18 adds num_outputs.
    inputs: [{ name: 'input' }, { name: 'split', optional: true, constant: true }],
    attributes: { axis: { type: 'int', default: 0 }, split: { type: 'ints' }, num_outputs: { type: 'int' } },
    outputs: Infinity,
    summary: 'consecutive blocks along an axis (one IR Split with explicit sizes)',
    validate(node) {
      const given = node.inputs.length > 1 && node.inputs[1] !== '';
      const why: string[] = [];
      if (node.opset >= 13 && node.attrs['split'] !== undefined) why.push("attribute 'split' became an input in opset 13");
      if (node.opset >= 2 && node.opset < 13 && given) why.push(`input 'split' exists only in opset 1 and from opset 13 (this node is opset ${node.opset}; use the attribute)`);
      if (node.opset < 18 && node.attrs['num_outputs'] !== undefined) why.push(`attribute 'num_outputs' exists from opset 18 (this node is opset ${node.opset})`);
      if (node.attrs['num_outputs'] !== undefined && (given || node.attrs['split'] !== undefined)) why.push("gives both 'num_outputs' and 'split'; ONNX allows one of them");
      if (node.opset === 1 && given && node.attrs['split'] !== undefined) why.push("gives 'split' both as attribute and as input");
      if (node.outputs.length < 1) why.push('has no outputs');
      return why;
    },
    lower(ctx) {
      const n = ctx.node;
      const x = ctx.tensor(n.inputs[0]);
      const rank = x.shape.length;
      if (rank === 0) ctx.fail('cannot split a scalar');
      const axis = checkedAxis(ctx, n.attrs['axis'] as number, rank, 'Split axis');
      const outs = n.outputs;
      const k = outs.length;
      const d = x.shape[axis];
      const numOutputs = n.attrs['num_outputs'] as number | undefined;
      let sizes: number[] | undefined = hasInput(ctx, 1) ? ctx.constantValues(n.inputs[1], 'split') : (n.attrs['split'] as number[] | undefined);
      if (sizes && sizes.length === 0 && n.opset >= 13) sizes = undefined;
      if (typeof d !== 'number') {
        // The parts of a dynamic axis would have sizes that depend on the batch; one part is the input itself.
        if (k === 1 && !sizes && numOutputs === undefined) {
          ctx.alias(outs[0], x.name);
          return;
        }
        ctx.fail(`splits the dynamic axis ${axis} (${quoted(d)}) of ${formatShape(x.shape)}; the parts of a run-time size cannot be fixed (give the axis a static size with inputShapes)`);
      }
      const dim = d as number;
      if (sizes) {
        if (sizes.length !== k) ctx.fail(`split [${sizes.join(', ')}] gives ${sizes.length} size(s) for ${k} output(s)`);
        if (sizes.some((s) => !Number.isInteger(s) || s < 0)) ctx.fail(`split [${sizes.join(', ')}] has a negative size`);
        const total = sizes.reduce((a, b) => a + b, 0);
        if (total !== dim) ctx.fail(`split [${sizes.join(', ')}] adds up to ${total}, but axis ${axis} of ${formatShape(x.shape)} has ${dim} entries`);
      } else if (numOutputs !== undefined) {
        if (!Number.isInteger(numOutputs) || numOutputs < 1) ctx.fail(`num_outputs ${numOutputs} must be a positive integer`);
        if (numOutputs !== k) ctx.fail(`num_outputs is ${numOutputs}, but the node has ${k} output(s)`);
        if (numOutputs > dim) ctx.fail(`num_outputs ${numOutputs} is more than the ${dim} entries of axis ${axis} of ${formatShape(x.shape)}`);
        // Opset 18: ceil(dim / n) per part, the last part takes what is left.
        const chunk = Math.ceil(dim / numOutputs);
        const last = dim - chunk * (numOutputs - 1);
        // (A last part of 0 or less has no agreed meaning: onnxruntime rejects it, so it is refused here too.)
        if (last <= 0) ctx.fail(`num_outputs ${numOutputs} does not fit axis ${axis} of size ${dim}: parts of ceil(${dim}/${numOutputs}) = ${chunk} leave ${Math.max(last, 0)} for the last`);
        sizes = [...Array<number>(numOutputs - 1).fill(chunk), last];
      } else {
        if (dim % k !== 0) ctx.fail(`axis ${axis} of ${formatShape(x.shape)} (${dim} entries) does not split into ${k} equal parts; give 'split'${n.opset >= 18 ? " or 'num_outputs'" : ''}`);
        sizes = Array<number>(k).fill(dim / k);
      }
      // One part is the input itself.
      if (k === 1) {
        if (outs[0] !== '') ctx.alias(outs[0], x.name);
        return;
      }
      const emit = () => { ctx.emit('Split', [x.name], outs, { axis, split: sizes! }); };
      // A shape vector holding the batch name splits symbolically (shape arithmetic of exported models).
      const sym = symbolicOnly(ctx, n.inputs[0]);
      if (sym && rank === 1) {
        let at = 0;
        const parts = sizes.map((s) => sym.slice(at, (at += s)));
        emit();
        parts.forEach((p, i) => { if (outs[i] !== '') ctx.setSymbolic(outs[i], p); });
        return;
      }
      emit();
    },
  });

  registerOpHandler({
    op: 'Cast',
    opsets: [6, 23],
    inputs: [{ name: 'input' }],
    attributes: { to: { type: 'int', required: true }, saturate: { type: 'int', default: 1 }, round_mode: { type: 'string' } },
    validate(node) {
      const to = node.attrs['to'] as number;
      return ONNX_DTYPES[to] ? [] : [`cast to ${ONNX_DTYPE_NAMES[to] ?? to} is not supported`];
    },
    lower(ctx) {
      const n = ctx.node;
      const to: DType = ONNX_DTYPES[n.attrs['to'] as number];
      const x = ctx.tensor(n.inputs[0]);
      const emit = () => { ctx.emit('Cast', [x.name], [n.outputs[0]], { to }); };
      if (x.dtype === to && !x.data) {
        ctx.alias(n.outputs[0], x.name);
        return;
      }
      const sym = symbolicOnly(ctx, n.inputs[0]);
      if (sym && isIntegerType(to)) {
        defineShapeValue(ctx, sym, x.shape as number[], to, emit);
        return;
      }
      emit();
    },
  });

  registerOpHandler({
    op: 'Expand',
    opsets: [8, 23],
    inputs: [{ name: 'input' }, { name: 'shape', constant: true }],
    attributes: {},
    lower(ctx) {
      const n = ctx.node;
      const spec = ctx.symbolic(n.inputs[1]);
      if (!spec) ctx.fail(`shape (${quoted(n.inputs[1])}) must be a constant or computed from static shapes and the batch size`);
      const x = ctx.tensor(n.inputs[0]);
      const shape = attempt(ctx, () => broadcastShapes(x.shape, spec!));
      ctx.emit('Expand', [x.name], [n.outputs[0]], { shape });
    },
  });

  registerConstantHandlers();
}

