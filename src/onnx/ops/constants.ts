import { dtypeOfData } from '../../ir/graph.js';
import type { TensorData } from '../../ir/types.js';
import { registerOpHandler } from '../handlers.js';

/** An array of `n` copies of the first value of `like`, in its storage type. */
function filled(like: TensorData, n: number): TensorData {
  const C = like.constructor as unknown as { new (n: number): TensorData };
  const out = new C(n);
  (out as { fill(v: unknown): unknown }).fill(like[0]);
  return out;
}

export function registerConstantHandlers(): void {
  registerOpHandler({
    op: 'Constant',
    opsets: [1, 23],
    inputs: [],
    attributes: {
      value: { type: 'tensor' }, value_float: { type: 'float' }, value_floats: { type: 'floats' },
      value_int: { type: 'int' }, value_ints: { type: 'ints' },
    },
    validate(node) {
      const given = ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'].filter((k) => node.attrs[k] !== undefined || node.tensorAttrs[k]);
      return given.length === 1 ? [] : [given.length ? `sets ${given.join(' and ')}; exactly one value attribute is allowed` : 'has no value attribute'];
    },
    lower(ctx) {
      const { attrs, tensorAttrs, outputs } = ctx.node;
      const t = tensorAttrs['value'];
      if (t) ctx.defineConstant(outputs[0], t.dims, t.data, t.dtype);
      else if (attrs['value_float'] !== undefined) ctx.defineConstant(outputs[0], [], Float32Array.of(attrs['value_float'] as number));
      else if (attrs['value_floats'] !== undefined) { const v = attrs['value_floats'] as number[]; ctx.defineConstant(outputs[0], [v.length], Float32Array.from(v)); }
      else if (attrs['value_int'] !== undefined) ctx.defineConstant(outputs[0], [], BigInt64Array.of(BigInt(attrs['value_int'] as number)));
      else { const v = attrs['value_ints'] as number[]; ctx.defineConstant(outputs[0], [v.length], BigInt64Array.from(v, (x) => BigInt(x))); }
    },
  });

  registerOpHandler({
    op: 'ConstantOfShape',
    opsets: [9, 23],
    inputs: [{ name: 'input', constant: true }],
    attributes: { value: { type: 'tensor' } },
    lower(ctx) {
      const n = ctx.node;
      const dims = ctx.constantValues(n.inputs[0], 'shape');
      if (dims.some((d) => !Number.isInteger(d) || d < 0)) ctx.fail(`shape [${dims.join(', ')}] is invalid`);
      const count = dims.reduce((p, d) => p * d, 1);
      const v = n.tensorAttrs['value'];
      ctx.checkFoldSize(count, v?.dtype ?? 'float32');
      if (v && v.data.length !== 1) ctx.fail('value must hold exactly one element');
      ctx.defineConstant(n.outputs[0], dims, filled(v ? v.data : new Float32Array(1), count), v?.dtype ?? 'float32');
    },
  });

  registerOpHandler({
    op: 'Range',
    opsets: [11, 23],
    inputs: [{ name: 'start', constant: true }, { name: 'limit', constant: true }, { name: 'delta', constant: true }],
    attributes: {},
    lower(ctx) {
      const n = ctx.node;
      const [start, limit, delta] = [0, 1, 2].map((i) => ctx.constantValues(n.inputs[i], ['start', 'limit', 'delta'][i]));
      if ([start, limit, delta].some((v) => v.length !== 1)) ctx.fail('start, limit and delta must be scalars');
      if (delta[0] === 0) ctx.fail('delta is 0');
      const count = Math.max(Math.ceil((limit[0] - start[0]) / delta[0]), 0);
      const like = ctx.constant(n.inputs[0])!;
      ctx.checkFoldSize(count, dtypeOfData(like));
      const values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = start[0] + i * delta[0];
      const C = like.constructor as unknown as { from(a: ArrayLike<number>, f?: (v: number) => unknown): TensorData };
      const data = dtypeOfData(like) === 'int64' || dtypeOfData(like) === 'uint64'
        ? C.from(values, (v) => BigInt(v))
        : C.from(values);
      ctx.defineConstant(n.outputs[0], [count], data);
    },
  });
}
