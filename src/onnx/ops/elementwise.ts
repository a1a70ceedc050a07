import { registerOpHandler, type OpHandler } from '../handlers.js';

/** Unary activations whose ONNX attributes map one to one onto the IR op's. */
const UNARY_ACTIVATIONS: [string, [number, number], Record<string, number>][] = [
  ['Relu', [6, 23], {}],
  ['LeakyRelu', [6, 23], { alpha: 0.01 }],
  ['Elu', [6, 23], { alpha: 1.0 }],
  ['Selu', [6, 23], { alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875 }],
  ['Sigmoid', [6, 23], {}],
  ['HardSigmoid', [6, 23], { alpha: 0.2, beta: 0.5 }],
  ['Tanh', [6, 23], {}],
  ['Softplus', [1, 23], {}],
  ['Softsign', [1, 23], {}],
];

export function registerElementwiseHandlers(): void {
  for (const [op, opsets, attrs] of UNARY_ACTIVATIONS) {
    const h: OpHandler = {
      op,
      opsets,
      inputs: [{ name: 'X' }],
      attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { type: 'float', default: v }])),
      lower(ctx) {
        ctx.emit(op, [ctx.tensor(ctx.node.inputs[0]).name], [ctx.node.outputs[0]], { ...ctx.node.attrs });
      },
    };
    registerOpHandler(h);
  }
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    registerOpHandler({
      op,
      opsets: [6, 23],
      inputs: [{ name: 'A' }, { name: 'B' }],
      // Opsets before 7 used explicit broadcast attributes; with broadcast=1 and the default axis the meaning is numpy's.
      attributes: { broadcast: { type: 'int' }, axis: { type: 'int' }, consumed_inputs: { type: 'ints' } },
      validate(node) {
        if (node.opset < 7 && node.attrs['axis'] !== undefined) return ["legacy 'axis' broadcasting (opset < 7) is not supported"];
        return [];
      },
      lower(ctx) {
        const [a, b] = ctx.node.inputs.map((i) => ctx.tensor(i).name);
        ctx.emit(op, [a, b], [ctx.node.outputs[0]]);
      },
    });
  }
}
