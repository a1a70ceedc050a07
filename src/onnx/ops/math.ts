import { dimProduct } from '../../ir/shape.js';
import { registerOpHandler, type OnnxNode } from '../handlers.js';
import { axesOperand, checkedAxes, checkedAxis, inputName, rankOf } from './common.js';

const REDUCE_OPS: { op: string; axesInputFrom: number }[] = [
  { op: 'ReduceMean', axesInputFrom: 18 },
  { op: 'ReduceSum', axesInputFrom: 13 },
  { op: 'ReduceMax', axesInputFrom: 18 },
  { op: 'ReduceMin', axesInputFrom: 18 },
  { op: 'ReduceProd', axesInputFrom: 18 },
];

export function registerMathHandlers(): void {
  registerOpHandler({
    op: 'Gemm',
    opsets: [6, 23],
    inputs: [{ name: 'A' }, { name: 'B' }, { name: 'C', optional: true }],
    attributes: {
      alpha: { type: 'float', default: 1.0 }, beta: { type: 'float', default: 1.0 },
      transA: { type: 'int', default: 0 }, transB: { type: 'int', default: 0 },
      // Opset 6 only; C broadcasts in every opset firmflow reads, so the flag changes nothing for valid models.
      broadcast: { type: 'int' },
    },
    lower(ctx) {
      const { alpha, beta, transA, transB } = ctx.node.attrs;
      ctx.emit('Gemm', [inputName(ctx, 0), inputName(ctx, 1), inputName(ctx, 2)], [ctx.node.outputs[0]], {
        alpha, beta, transA: transA ? 1 : 0, transB: transB ? 1 : 0,
      });
    },
  });

  registerOpHandler({
    op: 'MatMul',
    opsets: [1, 23],
    inputs: [{ name: 'A' }, { name: 'B' }],
    attributes: {},
    lower(ctx) {
      ctx.emit('MatMul', [inputName(ctx, 0), inputName(ctx, 1)], [ctx.node.outputs[0]]);
    },
  });

  for (const op of ['Softmax', 'LogSoftmax']) {
    registerOpHandler({
      op,
      opsets: [1, 23],
      inputs: [{ name: 'input' }],
      // The default axis moved from 1 to -1 in opset 13; it is resolved in lower() from the opset.
      attributes: { axis: { type: 'int' } },
      lower(ctx) {
        const n = ctx.node;
        const x = ctx.tensor(n.inputs[0]);
        const rank = x.shape.length;
        const axis = checkedAxis(ctx, (n.attrs['axis'] as number | undefined) ?? (n.opset >= 13 ? -1 : 1), rank);
        if (n.opset >= 13 || axis === rank - 1) {
          ctx.emit(op, [x.name], [n.outputs[0]], { axis });
          return;
        }
        // Before opset 13 the input is seen as 2-D [prod(dims[:axis]), prod(dims[axis:])] and normalized per row.
        let rows, cols;
        try {
          rows = dimProduct(x.shape.slice(0, axis), `${op} (opset ${n.opset}) rows`);
          cols = dimProduct(x.shape.slice(axis), `${op} (opset ${n.opset}) row length`);
        } catch (e) {
          return ctx.fail((e as Error).message);
        }
        if (typeof cols !== 'number') return ctx.fail(`${op} axis ${axis} (opset ${n.opset}) normalizes across the dynamic batch axis; fix the batch size with inputShapes`);
        const flat = ctx.temp('2d'), sm = ctx.temp(op.toLowerCase());
        ctx.emit('Reshape', [x.name], [flat], { shape: [rows, cols] });
        ctx.emit(op, [flat], [sm], { axis: 1 });
        ctx.emit('Reshape', [sm], [n.outputs[0]], { shape: [...x.shape] });
      },
    });
  }

  registerOpHandler({
    op: 'BatchNormalization',
    opsets: [6, 23],
    inputs: [{ name: 'X' }, { name: 'scale', constant: true }, { name: 'B', constant: true }, { name: 'input_mean', constant: true }, { name: 'input_var', constant: true }],
    attributes: {
      epsilon: { type: 'float', default: 1e-5 },
      momentum: { type: 'float' },
      spatial: { type: 'int' },
      is_test: { type: 'int' },
      training_mode: { type: 'int' },
      consumed_inputs: { type: 'ints' },
    },
    // Training outputs (running mean/var, saved statistics) must be unused.
    outputs: 1,
    validate(node: OnnxNode) {
      const out: string[] = [];
      if (node.attrs['spatial'] === 0) out.push('spatial=0 (per-element statistics) is not supported');
      if (node.attrs['training_mode']) out.push('training_mode=1 is not supported (inference graphs only)');
      return out;
    },
    lower(ctx) {
      const ins = [0, 1, 2, 3, 4].map((i) => inputName(ctx, i));
      ctx.emit('BatchNormalization', ins, [ctx.node.outputs[0]], { epsilon: ctx.node.attrs['epsilon'] });
    },
  });

  registerOpHandler({
    op: 'LayerNormalization',
    opsets: [17, 23],
    inputs: [{ name: 'X' }, { name: 'Scale' }, { name: 'B', optional: true }],
    attributes: { axis: { type: 'int', default: -1 }, epsilon: { type: 'float', default: 1e-5 }, stash_type: { type: 'int', default: 1 } },
    // Mean and InvStdDev outputs must be unused.
    outputs: 1,
    lower(ctx) {
      const axis = checkedAxis(ctx, ctx.node.attrs['axis'] as number, rankOf(ctx, 0));
      ctx.emit('LayerNormalization', [inputName(ctx, 0), inputName(ctx, 1), inputName(ctx, 2)], [ctx.node.outputs[0]], {
        axis, epsilon: ctx.node.attrs['epsilon'],
      });
    },
  });

  for (const { op, axesInputFrom } of REDUCE_OPS) {
    registerOpHandler({
      op,
      opsets: [1, 23],
      inputs: [{ name: 'data' }, { name: 'axes', optional: true, constant: true }],
      attributes: { axes: { type: 'ints' }, keepdims: { type: 'int', default: 1 }, noop_with_empty_axes: { type: 'int', default: 0 } },
      validate(node) {
        if (node.opset < axesInputFrom && node.inputs.length > 1) return [`axes as an input needs opset ${axesInputFrom} or later`];
        if (node.opset >= axesInputFrom && node.attrs['axes'] !== undefined) return [`attribute 'axes' became an input in opset ${axesInputFrom}`];
        return [];
      },
      lower(ctx) {
        const rank = rankOf(ctx, 0);
        const given = axesOperand(ctx, 1) ?? [];
        if (!given.length && ctx.node.attrs['noop_with_empty_axes']) {
          ctx.alias(ctx.node.outputs[0], inputName(ctx, 0));
          return;
        }
        const axes = given.length ? checkedAxes(ctx, given, rank) : [...Array(rank).keys()];
        if (!axes.length) {
          // A scalar input reduces to itself.
          ctx.alias(ctx.node.outputs[0], inputName(ctx, 0));
          return;
        }
        ctx.emit(op, [inputName(ctx, 0)], [ctx.node.outputs[0]], { axes, keepdims: ctx.node.attrs['keepdims'] ? 1 : 0 });
      },
    });
  }
}
