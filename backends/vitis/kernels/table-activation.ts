/*
 * Activations read from a lookup table (tables.ts activationTable): Sigmoid, Tanh, Softplus over the whole input;
 * Elu and Selu only for x < 0 (x >= 0 is the exact linear part, Selu's gamma in the 'scale' role type); HardSwish
 * below 3 (x >= 3 is exactly x; the table's default range [-4, 4) reaches its zero part).
 */
import { fracBits, type IRNode, sizeOf } from 'firmflow';
import { roundingStep } from '../emulate/bounds.js';
import { maxAbsCode } from '../emulate/convert.js';
import { attrNum, EXACT, scaleCode, viaBig, viaScratch } from '../emulate/elementwise.js';
import { role, unsupported, type BuildContext, type EmuKernel } from '../emulate/kernel.js';
import { tableReader } from '../emulate/tables.js';
import { addDelay, COEF } from '../estimate/model.js';
import { elementSchedule, tableStorage } from '../estimate/cost.js';
import { codeOf, configuredType, scaleFactorType } from '../passes/precision-rules.js';
import { requireActivation, sample } from '../passes/planning.js';
import { DEFAULT_TABLE_SIZE, DEFAULT_TABLE_TYPE, functionTable, SELU_ALPHA, SELU_GAMMA, sigmoid, softplus, type TableFunction } from '../tables.js';
import { NONE, tableIndexFields } from '../writer/emit.js';
import type { VitisKernel } from './contract.js';

/** nnet_activation.h functor of each op (the table functor unless a linear part for x >= 0 is added). */
const FUNCTORS: Record<string, string> = { Sigmoid: 'op_table', Tanh: 'op_table', Elu: 'op_elu', Selu: 'op_selu', Softplus: 'op_table', HardSwish: 'op_hardswish' };

/** HardSwish is x itself from 3 on (ONNX: x * max(0, min(1, x / 6 + 1 / 2))). */
const HARDSWISH_LINEAR_FROM = 3;
/** HardSwish's default table range: the curved part [-3, 3) and a bin of zeros below it, a power-of-two span. */
const HARDSWISH_RANGE: [number, number] = [-4, 4];

/** The smallest input code (F fractional bits) at or above HardSwish's linear part: one number for C++ and emulator. */
export function hardswishLinearBound(inFrac: number): number {
  return Math.ceil(HARDSWISH_LINEAR_FROM * 2 ** inFrac);
}

type Attrs = Record<string, unknown>;
const attrOr = (a: Attrs, k: string, d: number): number => (typeof a[k] === 'number' ? (a[k] as number) : d);

/** The function each op's table samples (Elu and Selu: the x < 0 part). */
const TABLE_FUNCTIONS: Record<string, (a: Attrs) => TableFunction> = {
  Sigmoid: () => ({ f: sigmoid, fn: 'sigmoid', negativeOnly: false }),
  Tanh: () => ({ f: Math.tanh, fn: 'tanh', negativeOnly: false }),
  Softplus: () => ({ f: softplus, fn: 'softplus', negativeOnly: false }),
  HardSwish: () => ({ f: (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5)), fn: 'hardswish', negativeOnly: false }),
  Elu: (a) => { const al = attrOr(a, 'alpha', 1); return { f: (x) => al * Math.expm1(x), fn: `elu(alpha=${al})`, negativeOnly: true }; },
  Selu: (a) => {
    const al = attrOr(a, 'alpha', SELU_ALPHA), g = attrOr(a, 'gamma', SELU_GAMMA);
    return { f: (x) => g * al * Math.expm1(x), fn: `selu(alpha=${al}, gamma=${g})`, negativeOnly: true };
  },
};

/** Lipschitz constant of each function in the max norm (the amplification of an input error). */
const LIPSCHITZ: Record<string, (attrs: IRNode['attrs']) => number> = {
  Sigmoid: () => 0.25,
  Tanh: () => 1,
  Softplus: () => 1,
  // d/dx x (x + 3) / 6 = (2x + 3) / 6, largest (1.5) at x = 3
  HardSwish: () => 1.5,
  Elu: (a) => Math.max(1, Math.abs(Number(a['alpha'] ?? 1))),
  Selu: (a) => Math.abs(Number(a['gamma'] ?? 1.0507009873554805)) * Math.max(1, Math.abs(Number(a['alpha'] ?? 1.6732632423543772))),
};

export const tableActivation: VitisKernel = {
  name: 'table-activation',
  ops: Object.keys(FUNCTORS),
  header: 'nnet_activation.h',
  stream: 'flow',
  streaming: true,

  plan(node, graph) {
    const x = requireActivation(node, graph, 0);
    return { kernel: node.op.toLowerCase(), params: { n_in: sizeOf(sample(x)) } };
  },

  precision(ctx) {
    if (ctx.node.op !== 'Selu') return undefined;
    const st = (ctx.types['scale'] = scaleFactorType(ctx.config.precision.scale));
    const g = ctx.node.attrs['gamma'];
    ctx.layer.params['gamma_code'] = codeOf(typeof g === 'number' ? g : SELU_GAMMA, st);
    return undefined;
  },

  tables: ['table'],
  tableFunction: (op, attrs) => TABLE_FUNCTIONS[op](attrs),
  buildTables({ node, layer, config: cfg, where }) {
    const range = cfg.tableRange['table'] ?? (node.op === 'HardSwish' ? HARDSWISH_RANGE : undefined);
    const t = functionTable(TABLE_FUNCTIONS[node.op](node.attrs), cfg.tableSize['table'] ?? DEFAULT_TABLE_SIZE, range, configuredType(cfg.precision.table) ?? DEFAULT_TABLE_TYPE, where);
    layer.tables = { table: t };
    layer.types['table'] = t.type;
  },

  emit(e) {
    const { b, node, hls } = e;
    const t = b.table(node, hls, 'table');
    const entries: Record<string, number | boolean | string> = { table_t: t.typeName, ...tableIndexFields('table', hls.tables!['table'], e.inFrac) };
    let p1 = NONE;
    if (node.op === 'Selu') {
      p1 = b.scalar(node, hls, 'gamma', e.role('scale')).name;
      entries['scale_t'] = e.roleType('scale');
    }
    if (node.op === 'HardSwish') entries['linear_bound'] = hardswishLinearBound(e.inFrac);
    return e.activation(FUNCTORS[node.op], entries, t.name, p1);
  },

  emulate: emulateTable,

  // The table type's rounding plus the slope times half a bin (entries hold the function at bin centres).
  errorBound({ node, hls, qR }) {
    const t = hls.tables?.['table'];
    const lip = LIPSCHITZ[node.op](node.attrs);
    const bin = t ? (t.hi - t.lo) / t.size : 0;
    const tq = t ? roundingStep(t.type) : 0;
    let gammaErr = 0;
    if (node.op === 'Selu' && typeof hls.params['gamma_code'] === 'number') {
      const g = Number(node.attrs['gamma'] ?? SELU_GAMMA);
      gammaErr = Math.abs((hls.params['gamma_code'] as number) * 2 ** -fracBits(hls.types['scale']) - g);
    }
    return { L: [lip], own: (xf) => qR + tq + (lip * bin) / 2 + gammaErr * xf };
  },

  estimate: (l, ctx) => elementSchedule(l, ctx, (c) => {
    const t = tableStorage(l, c.par);
    c.add(t.res);
    c.lut(c.par * (c.win + c.conv));
    c.storage = { bits: t.bits, in: t.in };
    c.steps = [{ ns: addDelay(c.win, c.part) }, t.bram ? { cycles: COEF.bramCycles } : { ns: 0.6 }, { ns: addDelay(c.wout, c.part) }];
    // a linear part: the comparison and a multiplexer per element
    if (l.node.op === 'Selu' || l.node.op === 'Elu' || l.node.op === 'HardSwish') { c.lut(c.par * c.wout); c.steps.push({ ns: COEF.mux }); }
    if (t.bram) c.notes.push(`table in block RAM, ${Math.ceil(c.par / 2)} cop${c.par > 2 ? 'ies' : 'y'} for ${c.par} parallel reads`);
  }),
};

// ----------------------------------------------------------------------------------------------------
// emulation (bit-accurate, emulate/elementwise.ts)

function emulateTable(ctx: BuildContext): EmuKernel {
  const x = ctx.acts[0];
  const n = sizeOf(x.shape);
  const fx = fracBits(x.type);
  const table = ctx.hls.tables?.['table'];
  if (!table) unsupported(ctx, 'has no lookup table in its HLS annotation');
  const rd = tableReader(table, fx);
  const ft = fracBits(table.type);
  const codes = rd.codes;
  const op = ctx.node.op;
  if (op === 'Elu' || op === 'Selu' || op === 'HardSwish') {
    // From the linear bound up (code 0 for Elu and Selu, HardSwish's 3): the exact linear part (x, or gamma * x with
    // gamma in the scale type); below it: the table.
    const s = op === 'Selu' ? role(ctx, 'scale') : undefined;
    const g = s ? scaleCode(ctx, 'gamma', attrNum(ctx, 'gamma', 1.05070102214813232421875), s) : 1;
    const from = op === 'HardSwish' ? hardswishLinearBound(fx) : 0;
    const fl = fx + (s ? fracBits(s) : 0);
    const F = Math.max(fl, ft);
    const lin = g * 2 ** (F - fl), tab = 2 ** (F - ft);
    let maxT = 0;
    for (const c of codes) maxT = Math.max(maxT, Math.abs(c));
    if (Math.max(maxAbsCode(x.type) * Math.abs(lin), maxT * tab) >= EXACT) {
      const gb = BigInt(g), ls = BigInt(F - fl), ts = BigInt(F - ft);
      return viaBig(ctx, F, n, ([X], i) => { const v = X[i]; return v >= from ? (BigInt(v) * gb) << ls : BigInt(codes[rd.index(v)]) << ts; });
    }
    return viaScratch(ctx, F, n, ([X], T, b) => {
      for (let i = 0; i < n * b; i++) { const v = X[i]; T[i] = v >= from ? v * lin : codes[rd.index(v)] * tab; }
    });
  }
  return viaScratch(ctx, ft, n, ([X], T, b) => { for (let i = 0; i < n * b; i++) T[i] = codes[rd.index(X[i])]; });
}
