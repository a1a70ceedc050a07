/*
 * Transpose of the last two axes: each kernel turns whole matrices around (a unit of the row split is a matrix);
 * codes pass through unchanged.
 */
import type { IRNode } from 'firmflow';
import type { LegalizeContext } from '../legalize/context.js';
import { legalizeElementwise, type LayerDraft } from '../legalize/elementwise.js';
import { movementBound } from '../numerics/error.js';
import { requant, type EmuValue } from '../numerics/values.js';
import { vectorPassCycles } from '../perf.js';
import { emitRowParallel } from '../writer/row-parallel.js';
import type { AieKernel, EmulateContext } from './contract.js';

export const transpose: AieKernel = {
  name: 'transpose',
  ops: { Transpose: 'transpose' },
  layout: 'rows',
  unit: 'matrix',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, { prepare, passThrough: true }),
  emulate,
  traceBound: movementBound,
  emit: (ctx) => emitRowParallel(ctx, ({ base, tileM }) => {
    const { layer, model: L } = ctx;
    const cfg = L.config.name;
    const s = layer.shapes.inputs[0];
    L.library = 'elementwise.h';
    L.config.lines.push(...base, `static constexpr unsigned BATCH = ${tileM}, ROWS = ${s[s.length - 2]}, COLS = ${s[s.length - 1]};`);
    L.instantiations.push(`void firmflow::transpose<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::output_buffer<${cfg}::out_t>&)`);
    L.summary = `transpose ${s.join('x')}`;
    return { cls: `fn:firmflow::transpose<${cfg}>` };
  }, transpose.unit === 'matrix'),
  perf: {
    programBytes: { transpose: 1536 },
    // A strided read and a store per vector.
    vectorCycles: (d, dtype, rows, width) => vectorPassCycles(d, dtype, rows, width, 2),
  },
};

/** Only the last two axes swap. */
function prepare(ctx: LegalizeContext, n: IRNode, lay: LayerDraft): boolean {
  const rank = ctx.g.tensor(n.inputs[0]).shape.length;
  const perm = (n.attrs['perm'] as number[]) ?? [];
  const ok = perm.length === rank && rank >= 2 && perm.every((p, i) => (i < rank - 2 ? p === i : p === (i === rank - 1 ? rank - 2 : rank - 1)));
  if (!ok) return !!ctx.refuse.fail(n, `perm ${JSON.stringify(perm)}: the AIE transposes only the last two axes`);
  lay.attrs['perm'] = perm;
  return true;
}

function emulate(ctx: EmulateContext): EmuValue {
  const { layer } = ctx;
  const a = ctx.value(layer.inputs[0]);
  const bf = layer.dtype.out === 'bf16';
  const fo = bf ? 0 : layer.frac.out;
  const s = a.shape;
  const R = s[s.length - 2];
  const C = s[s.length - 1];
  const B = a.data.length / (R * C);
  const o = requant(a, layer, fo);
  const t = bf ? new Float32Array(o.length) : new Int32Array(o.length);
  for (let b = 0; b < B; b++) for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) t[b * R * C + j * R + i] = o[b * R * C + i * C + j];
  return { shape: [...s.slice(0, -2), C, R], dtype: layer.dtype.out, frac: fo, data: t };
}
