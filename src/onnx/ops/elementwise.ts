import { quoted } from '../../errors.js';
import { registerOpHandler, type LowerContext, type OnnxNode, type OpHandler } from '../handlers.js';
import { hasInput, inputName } from './common.js';

/** Unary ops whose ONNX attributes map one to one onto the IR op's (defaults written out). */
const UNARY_OPS: [string, [number, number], Record<string, number>][] = [
  ['Relu', [6, 23], {}],
  ['LeakyRelu', [6, 23], { alpha: 0.01 }],
  ['Elu', [6, 23], { alpha: 1.0 }],
  ['Selu', [6, 23], { alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875 }],
  ['Sigmoid', [6, 23], {}],
  ['HardSigmoid', [6, 23], { alpha: 0.2, beta: 0.5 }],
  ['HardSwish', [14, 23], {}],
  ['Tanh', [6, 23], {}],
  ['Softplus', [1, 23], {}],
  ['Softsign', [1, 23], {}],
  ['Sqrt', [6, 23], {}],
  ['Erf', [9, 23], {}],
  ['Exp', [6, 23], {}],
  ['Log', [6, 23], {}],
  ['Neg', [6, 23], {}],
  ['Abs', [6, 23], {}],
  ['Reciprocal', [6, 23], {}],
  ['Floor', [6, 23], {}],
  ['Ceil', [6, 23], {}],
  ['Round', [11, 23], {}],
];

/** Opsets before 7 carried explicit broadcast attributes on binary ops. */
const LEGACY_BROADCAST = { broadcast: { type: 'int' as const }, axis: { type: 'int' as const } };

function lowerUnary(op: string, attrs: Record<string, unknown>) {
  return (ctx: LowerContext) => {
    ctx.emit(op, [inputName(ctx, 0)], [ctx.node.outputs[0]], attrs as never);
  };
}

/**
 * B of a legacy (opset < 7) binary op, right-aligned for numpy broadcasting: with `axis`, B's dims line up with
 * A's starting at `axis`, so trailing 1s are appended.
 */
function legacyB(ctx: LowerContext, a: string, b: string): string {
  const n = ctx.node;
  if (n.opset >= 7) return b;
  const at = ctx.graph.tensor(a), bt = ctx.graph.tensor(b);
  const broadcast = (n.attrs['broadcast'] as number | undefined) ?? 0;
  if (!broadcast) {
    const same = at.shape.length === bt.shape.length && at.shape.every((d, i) => d === bt.shape[i]);
    if (!same) ctx.fail(`inputs ${JSON.stringify(at.shape)} and ${JSON.stringify(bt.shape)} differ, and broadcast is 0 (opset ${n.opset})`);
    return b;
  }
  const axis = n.attrs['axis'];
  if (axis === undefined) return b;
  const ax = (axis as number) < 0 ? (axis as number) + at.shape.length : (axis as number);
  const trailing = at.shape.length - ax - bt.shape.length;
  if (ax < 0 || trailing < 0) ctx.fail(`legacy broadcast axis ${axis} does not fit A ${JSON.stringify(at.shape)} and B ${JSON.stringify(bt.shape)}`);
  if (trailing === 0) return b;
  const out = ctx.temp('B_aligned');
  ctx.emit('Reshape', [b], [out], { shape: [...bt.shape, ...new Array<number>(trailing).fill(1)] });
  return out;
}

function binaryHandler(op: string, opsets: [number, number], legacy: boolean): OpHandler {
  return {
    op,
    opsets,
    inputs: [{ name: 'A' }, { name: 'B' }],
    attributes: legacy ? { ...LEGACY_BROADCAST } : {},
    lower(ctx) {
      const a = inputName(ctx, 0);
      const b = legacy ? legacyB(ctx, a, inputName(ctx, 1)) : inputName(ctx, 1);
      ctx.emit(op, [a, b], [ctx.node.outputs[0]]);
    },
  };
}

/** Max/Min/Sum/Mean take any number of inputs: a chain of broadcasting binary ops. */
function variadicHandler(op: 'Max' | 'Min' | 'Sum' | 'Mean'): OpHandler {
  const bin = op === 'Max' || op === 'Min' ? op : 'Add';
  return {
    op,
    opsets: [6, 23],
    inputs: [{ name: 'data_0', variadic: true }],
    attributes: {},
    lower(ctx) {
      const ins = ctx.node.inputs.map((i) => ctx.tensor(i).name);
      if (!ins.length) ctx.fail('needs at least one input');
      const out = ctx.node.outputs[0];
      if (ins.length === 1 && op !== 'Mean') {
        ctx.alias(out, ins[0]);
        return;
      }
      let acc = ins[0];
      for (let i = 1; i < ins.length; i++) {
        const last = i === ins.length - 1 && op !== 'Mean';
        const next = last ? out : ctx.temp(`${op.toLowerCase()}${i}`);
        ctx.emit(bin, [acc, ins[i]], [next]);
        acc = next;
      }
      if (op === 'Mean') {
        const k = ctx.graph.addConstant(`${ctx.node.name}_inv_n`, [], Float32Array.of(1 / ins.length)).name;
        ctx.emit('Mul', [acc, k], [out]);
      }
    },
  };
}

function clipValidate(node: OnnxNode): string[] {
  if (node.opset < 11 && node.inputs.length > 1) return ['min/max inputs need opset 11 or later'];
  if (node.opset >= 11 && (node.attrs['min'] !== undefined || node.attrs['max'] !== undefined)) return ["attributes 'min'/'max' were replaced by inputs in opset 11"];
  return [];
}

export function registerElementwiseHandlers(): void {
  for (const [op, opsets, attrs] of UNARY_OPS) {
    registerOpHandler({
      op,
      opsets,
      inputs: [{ name: 'X' }],
      attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { type: 'float', default: v }])),
      lower(ctx) {
        lowerUnary(op, { ...ctx.node.attrs })(ctx);
      },
    });
  }
  registerOpHandler({
    op: 'Gelu',
    opsets: [20, 23],
    inputs: [{ name: 'X' }],
    attributes: { approximate: { type: 'string', default: 'none' } },
    validate: (n) => (['none', 'tanh'].includes(n.attrs['approximate'] as string) ? [] : [`approximate ${quoted(String(n.attrs['approximate']))} is neither 'none' nor 'tanh'`]),
    lower(ctx) {
      lowerUnary('Gelu', { approximate: ctx.node.attrs['approximate'] })(ctx);
    },
  });

  for (const op of ['Add', 'Sub', 'Mul', 'Div']) registerOpHandler(binaryHandler(op, [6, 23], true));
  registerOpHandler(binaryHandler('Pow', [6, 23], true));
  // Opset 7 made PRelu's slope broadcast unidirectionally (numpy rules); opset 6 slopes of size 1 or X's shape are the same thing.
  registerOpHandler(binaryHandler('PRelu', [6, 23], false));
  for (const op of ['Max', 'Min', 'Sum', 'Mean'] as const) registerOpHandler(variadicHandler(op));

  registerOpHandler({
    op: 'Clip',
    opsets: [6, 23],
    inputs: [{ name: 'input' }, { name: 'min', optional: true, constant: true }, { name: 'max', optional: true, constant: true }],
    attributes: { min: { type: 'float' }, max: { type: 'float' } },
    validate: clipValidate,
    lower(ctx) {
      const bound = (i: number, attr: string, fallback: number): number => {
        if (hasInput(ctx, i)) {
          const v = ctx.constantValues(ctx.node.inputs[i], attr);
          if (v.length !== 1) ctx.fail(`${attr} must be a scalar, got ${v.length} values`);
          return v[0];
        }
        const a = ctx.node.attrs[attr];
        return typeof a === 'number' ? a : fallback;
      };
      // Absent bounds are written as infinities, so the IR node always carries both.
      const min = bound(1, 'min', -Infinity), max = bound(2, 'max', Infinity);
      ctx.emit('Clip', [inputName(ctx, 0)], [ctx.node.outputs[0]], { min, max });
    },
  });

  registerOpHandler({
    op: 'Identity',
    opsets: [1, 23],
    inputs: [{ name: 'input' }],
    attributes: {},
    lower(ctx) {
      ctx.alias(ctx.node.outputs[0], inputName(ctx, 0));
    },
  });

  registerOpHandler({
    op: 'Dropout',
    opsets: [6, 23],
    inputs: [{ name: 'data' }, { name: 'ratio', optional: true }, { name: 'training_mode', optional: true }],
    // firmflow compiles for inference, where Dropout passes data through whatever ratio/is_test say.
    attributes: { ratio: { type: 'float' }, is_test: { type: 'int' }, seed: { type: 'int' } },
    outputs: 1,
    lower(ctx) {
      if (hasInput(ctx, 2)) {
        const t = ctx.constantValues(ctx.node.inputs[2], 'training_mode');
        if (t[0]) ctx.fail('training_mode is true; firmflow converts inference graphs only');
      }
      ctx.alias(ctx.node.outputs[0], inputName(ctx, 0));
    },
  });
}
