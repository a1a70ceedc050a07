/*
 * A ReLU that could not fuse into the product before it: max(0, x) per element, with an srs when its output grid is
 * coarser than its input's (an unquantized output keeps the input's type).
 */
import { legalizeElementwise } from '../legalize/elementwise.js';
import { movementBound } from '../numerics/error.js';
import { epilogue } from '../numerics/srs.js';
import type { EmuValue } from '../numerics/values.js';
import { vectorPassCycles } from '../perf.js';
import { emitRowParallel } from '../writer/row-parallel.js';
import type { AieKernel, EmulateContext } from './contract.js';

export const relu: AieKernel = {
  name: 'relu',
  ops: { Relu: 'relu' },
  layout: 'rows',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, {
    keepsUnquantizedType: true,
    clipsAtZero: true,
    shift: (_c, _n, _lay, ins, o) => ({ shift: ins[0].frac - o.frac }),
  }),
  emulate,
  traceBound: movementBound,
  emit: (ctx) => emitRowParallel(ctx, ({ base, lanes, outShape }) => {
    const { layer, model: L } = ctx;
    const cfg = L.config.name;
    L.library = 'elementwise.h';
    L.config.lines.push(...base, `using acc_t = ${layer.dtype.a === 'int16' ? 'acc64' : 'acc32'};`, `static constexpr unsigned LANES = ${lanes};`,
      `static constexpr int SHIFT = ${Math.max(0, layer.frac.a - layer.frac.out)}, UPSHIFT = ${Math.max(0, layer.frac.out - layer.frac.a)};`);
    L.instantiations.push(`void firmflow::relu<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::output_buffer<${cfg}::out_t>&)`);
    L.summary = `relu ${outShape.join('x')}`;
    return { cls: `fn:firmflow::relu<${cfg}>` };
  }),
  perf: {
    programBytes: { relu: 768 },
    // One pass: load, max, store.
    vectorCycles: (d, dtype, rows, width) => vectorPassCycles(d, dtype, rows, width, 1),
  },
};

function emulate(ctx: EmulateContext): EmuValue {
  const { layer } = ctx;
  const a = ctx.value(layer.inputs[0]);
  const bf = layer.dtype.out === 'bf16';
  const fo = bf ? 0 : layer.frac.out;
  const o = bf ? new Float32Array(a.data.length) : new Int32Array(a.data.length);
  const sh = a.frac - fo;
  for (let i = 0; i < a.data.length; i++) {
    const v = a.data[i] > 0 ? a.data[i] : 0;
    o[i] = bf ? v : epilogue(v, sh, layer);
  }
  return { shape: [...a.shape], dtype: layer.dtype.out, frac: fo, data: o };
}
