/*
 * Sigmoid and Tanh: a table lookup per element (numerics/activation.ts computes the tables once, exact by
 * construction), int8 input codes -> output codes of any scale and type, or bf16 -> bf16. The writer emits the table;
 * every kernel of a row split shares it.
 */
import { FirmflowError } from 'firmflow';
import { legalizeElementwise } from '../legalize/elementwise.js';
import { ACTIVATION_LIPSCHITZ, ACTIVATION_OPS, activationTableBytes, bf16ActivationLookup, bf16ActivationTable, intActivationTable, type ActivationFn } from '../numerics/activation.js';
import { bf16Bits, bf16FromBits } from '../numerics/bf16.js';
import { srsStep, U_BF16, type TraceContext } from '../numerics/error.js';
import { countOverflows } from '../numerics/srs.js';
import { checkFrac, type EmuValue } from '../numerics/values.js';
import { CPP_TYPE, cppBool } from '../writer/cpp.js';
import { emitRowParallel } from '../writer/row-parallel.js';
import type { AieKernel, EmulateContext } from './contract.js';

/**
 * Scalar loads (no vector gather): a software-pipelined loop of load, indexed load and store per element (int8);
 * the bf16 kernel adds the exponent tests and selects.
 */
const CYCLES_PER_ELEMENT = { int: 1, bf16: 3 };

export const activation: AieKernel = {
  name: 'activation',
  ops: { Sigmoid: 'activation', Tanh: 'activation' },
  layout: 'rows',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, {
    prepare: (_c, node, lay) => {
      lay.attrs['fn'] = ACTIVATION_OPS[node.op];
      return true;
    },
    checkTypes: (c, node, a) => {
      // One table entry per input code: 256 for int8; an int16 input would need 64 Ki entries per kernel.
      if (a.dtype === 'int8') return true;
      return !!c.refuse.fail(node, `input '${node.inputs[0]}' is ${a.dtype} (${a.fixed.width}-bit); the AIE ${node.op} looks int8 input codes up in a 256-entry table (quantize its input to 8 bits, or use aie.mode 'bf16')`);
    },
    lookup: true,
  }),
  emulate,
  traceBound,
  emit: (ctx) => emitRowParallel(ctx, ({ base, outShape }) => {
    const { layer, model: L } = ctx;
    const cfg = L.config.name, id = L.id;
    const a = layer.dtype.a;
    const fn = layer.attrs['fn'] as ActivationFn;
    L.library = 'elementwise.h';
    let cls: string;
    if (a === 'bf16') {
      const t = bf16ActivationTable(fn);
      L.config.lines.push(...base, `static constexpr unsigned E0 = ${t.e0}, E1 = ${t.e1};`,
        `static constexpr bool BELOW_IDENTITY = ${cppBool(t.below < 0)};`,
        `static constexpr uint16 BELOW = 0x${Math.max(0, t.below).toString(16)}, SAT_POS = 0x${t.satPos.toString(16)}, SAT_NEG = 0x${t.satNeg.toString(16)};`);
      L.arrays.push({ name: ctx.names.array(id, 'lut'), ctype: 'uint16', values: Array.from(t.table) });
      cls = `firmflow::LookupBf16<${cfg}>`;
    } else {
      if (a !== 'int8') ctx.fail(`a ${fn} table lookup takes int8 input codes, not ${a}`);
      L.config.lines.push(...base);
      L.arrays.push({ name: ctx.names.array(id, 'lut'), ctype: CPP_TYPE[layer.dtype.out], values: Array.from(intActivationTable(layer).table) });
      cls = `firmflow::LookupInt8<${cfg}>`;
    }
    L.instantiations.push(cls);
    L.summary = `${fn}${a === 'bf16' ? ' (bf16)' : ''} ${outShape.join('x')} (table lookup)`;
    return { cls, ctorArgs: [ctx.names.array(id, 'lut')] };
  }),
  perf: {
    programBytes: { activation: 768 },
    tableBytes: (layer) => activationTableBytes(layer),
    vectorCycles: (d, dtype, rows, width) => rows * width * CYCLES_PER_ELEMENT[dtype === 'bf16' ? 'bf16' : 'int'] + d.overheads.kernelCallCycles,
  },
};

/** The kernel's table lookup, nothing else. */
function emulate(ctx: EmulateContext): EmuValue {
  const { layer, node } = ctx;
  const a = ctx.value(layer.inputs[0]);
  const fn = layer.attrs['fn'] as ActivationFn;
  const result = (data: Int32Array | Float32Array): EmuValue => ({ shape: [...a.shape], dtype: layer.dtype.out, frac: layer.dtype.out === 'bf16' ? 0 : layer.frac.out, data });
  if (layer.dtype.out === 'bf16') {
    const t = bf16ActivationTable(fn);
    return result(Float32Array.from(a.data, (v) => bf16FromBits(bf16ActivationLookup(t, bf16Bits(v)))));
  }
  if (a.dtype !== 'int8') throw new FirmflowError('aie.emulate', `${fn} node '${node.name}': the AIE table lookup takes int8 or bf16 input, not ${a.dtype}`, { node: node.name });
  checkFrac(a, layer.frac.a, node);
  const { table, saturated } = intActivationTable(layer);
  const o = new Int32Array(a.data.length);
  for (let i = 0; i < o.length; i++) {
    o[i] = table[a.data[i] + 128];
    countOverflows(saturated[a.data[i] + 128]);
  }
  return result(o);
}

/**
 * |f(a) - f(b)| <= L |a - b| (L = max |f'| = 1/4, 1); own = the table entry's one rounding of the exact f (half an
 * output LSB, or the rounding mode's step; bf16: u |y|), the entries being computed in double.
 */
function traceBound(ctx: TraceContext): (s: number) => number {
  const L = ACTIVATION_LIPSCHITZ[ctx.layer.attrs['fn'] as ActivationFn];
  const own = ctx.bf ? 0 : srsStep(ctx.layer.rounding, ctx.fo);
  return (s) => { const e = ctx.err(ctx.ins[0], s); return (e === 0 ? 0 : L * e) + own + ctx.bfOut(s, U_BF16) + ctx.rr; };
}
