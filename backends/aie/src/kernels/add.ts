/*
 * Add on the AIE: two runtime tensors of one shape, one runtime operand broadcast against the other in the row
 * patterns of broadcast.ts, or a constant operand (kept in the kernel, a window of it per kernel of a row split).
 * Both operands are aligned to the finer grid by exact left shifts, added, then srs to the output grid.
 */
import { FirmflowError, sizeOf, type IRNode } from 'firmflow';
import type { CppName } from '../writer/names.js';
import { broadcastWindows, rowBroadcast, type RowBroadcast } from '../broadcast.js';
import { codesOf, numbers, resolveShape, weightType, type LegalizeContext } from '../legalize/context.js';
import { legalizeElementwise, type LayerDraft } from '../legalize/elementwise.js';
import type { AieLayer } from '../lowered.js';
import { bf16FromBits, bf16Round, toBf16Bits } from '../numerics/bf16.js';
import { maxAbsDiff, U_BF16, U_F32 } from '../numerics/error.js';
import { epilogue } from '../numerics/srs.js';
import { broadcastIndex, broadcastShape, fracOf, type EmuValue } from '../numerics/values.js';
import { vectorPassCycles } from '../perf.js';
import { CPP_TYPE, cppBool } from '../writer/cpp.js';
import { failWrite } from '../writer/errors.js';
import { emitRowParallel, type RowGeometry, type RowKernels } from '../writer/row-parallel.js';
import type { EmitContext } from '../writer/types.js';
import type { AieKernel, EmulateContext, TraceContext } from './contract.js';

export const add: AieKernel = {
  name: 'add',
  ops: { Add: 'add' },
  layout: 'rows',
  legalize: (ctx, n, kind) => legalizeElementwise(ctx, n, kind, {
    inputs: (c, node) => node.inputs.filter((i) => !c.g.isConstant(i)),
    prepare,
    secondOperand: true,
    bf16Constants: (c, node, l) => {
      const cst = node.inputs.find((i) => c.g.isConstant(i));
      if (cst) l.weightsCodes = Int16Array.from(numbers(c.g.tensor(cst).data!), toBf16Bits);
    },
    shift: (c, node, lay, ins, o) => {
      const w = secondOperand(c, node, lay, ins);
      return w && { shift: Math.max(ins[0].frac, w.frac) - o.frac, w };
    },
  }),
  floatConstants: (g, node, l) => (l.weightsCodes ? [{
    tensor: node.inputs.find((t) => t !== '' && g.isConstant(t)),
    values: l.dtype.out === 'bf16' ? Float64Array.from(l.weightsCodes, bf16FromBits) : Float64Array.from(l.weightsCodes, (c) => c * 2 ** -Number(l.frac.w ?? 0)),
  }] : []),
  emulate,
  traceBound,
  emit: (ctx) => emitRowParallel(ctx, (g) => configure(ctx, g)),
  perf: {
    programBytes: { add: 1024 },
    // Two loads, an add and the srs per vector.
    vectorCycles: (d, dtype, rows, width) => vectorPassCycles(d, dtype, rows, width, 2),
  },
};

/** Operand shapes: equal, one runtime operand broadcasting in a row pattern, or a constant. */
function prepare(ctx: LegalizeContext, n: IRNode, lay: LayerDraft): boolean {
  const g = ctx.g;
  if (n.inputs.every((i) => g.isConstant(i))) return !!ctx.refuse.fail(n, 'both operands are constants');
  const cst = n.inputs.find((i) => g.isConstant(i));
  const shapes = n.inputs.map((i) => resolveShape(g.tensor(i).shape, ctx.batch).join('x'));
  if (!cst && shapes[0] !== shapes[1]) {
    // One runtime operand may broadcast to the other's (the output's) shape, in the row patterns of broadcast.ts.
    const outS = resolveShape(g.tensor(lay.outputs[0]).shape, ctx.batch);
    const side = shapes.findIndex((s) => s !== outS.join('x'));
    if (shapes.every((s) => s !== outS.join('x'))) return !!ctx.refuse.fail(n, `operands ${shapes.join(' and ')} both broadcast to the output ${outS.join('x')}; the AIE Add broadcasts one runtime operand against another of the output's shape`);
    const b = rowBroadcast(outS, resolveShape(g.tensor(n.inputs[side]).shape, ctx.batch));
    if (typeof b === 'string') return !!ctx.refuse.fail(n, `operand '${n.inputs[side]}' ${b}`);
    lay.attrs['broadcastSide'] = side;
  }
  if (cst) lay.attrs['constShape'] = resolveShape(g.tensor(cst).shape, ctx.batch);
  return true;
}

/** The second operand's type: the constant's (its codes kept on the layer), or the second runtime input's. */
function secondOperand(ctx: LegalizeContext, n: IRNode, lay: LayerDraft, ins: { frac: number; dtype: 'int8' | 'int16' }[]): { frac: number; dtype: 'int8' | 'int16' } | undefined {
  const g = ctx.g;
  const cst = n.inputs.find((i) => g.isConstant(i));
  if (!cst) return { frac: ins[1].frac, dtype: ins[1].dtype };
  const ct = weightType(ctx, n, g.tensor(cst), g.tensor(cst).shape.length - 1);
  if (!ct) return undefined;
  if (typeof ct.frac !== 'number') return ctx.refuse.fail(n, `constant operand '${cst}' is quantized per channel`);
  const codes = codesOf(ctx, n, g.tensor(cst), ct.frac, ct.dtype === 'int8' ? 8 : 16, 1);
  if (!codes) return undefined;
  lay.attrs['constSide'] = n.inputs.indexOf(cst);
  (lay as AieLayer).weightsCodes = ct.dtype === 'int8' ? Int8Array.from(codes) : Int16Array.from(codes);
  return { frac: ct.frac, dtype: ct.dtype };
}

function emulate(ctx: EmulateContext): EmuValue {
  const { graph, node, layer } = ctx;
  const bf = layer.dtype.out === 'bf16';
  const a = ctx.value(layer.inputs[0]);
  let b: EmuValue;
  if (layer.inputs.length > 1) b = ctx.value(layer.inputs[1]);
  else {
    const cname = node.inputs.find((t) => t !== '' && graph.isConstant(t));
    if (!layer.weightsCodes || !cname) throw new FirmflowError('aie.emulate', `add node '${node.name}' has one runtime input and no constant operand`, { node: node.name });
    const cs = graph.tensor(cname).shape.map(Number);
    b = { shape: cs, dtype: layer.dtype.w ?? layer.dtype.a, frac: bf ? 0 : fracOf(layer.frac.w, 'the constant operand', node), data: bf ? Float32Array.from(layer.weightsCodes, bf16FromBits) : Int32Array.from(layer.weightsCodes) };
  }
  const shape = broadcastShape(a.shape, b.shape);
  return { shape, dtype: layer.dtype.out, frac: bf ? 0 : layer.frac.out, data: addValues(a, b, layer, shape) };
}

/** a + b broadcast to `outShape`: bf16 (one rounding), or codes aligned to the finer grid then srs. */
export function addValues(a: EmuValue, b: EmuValue, layer: AieLayer, outShape: number[]): Int32Array | Float32Array {
  const n = sizeOf(outShape);
  const ia = broadcastIndex(outShape, a.shape);
  const ib = broadcastIndex(outShape, b.shape);
  if (layer.dtype.out === 'bf16') {
    const o = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = bf16Round(a.data[ia[i]] + b.data[ib[i]]);
      o[i] = layer.fusedRelu && v < 0 ? 0 : v;
    }
    return o;
  }
  const F = Math.max(a.frac, b.frac);
  const sa = 2 ** (F - a.frac);
  const sb = 2 ** (F - b.frac);
  const sh = F - layer.frac.out;
  const o = new Int32Array(n);
  for (let i = 0; i < n; i++) o[i] = epilogue(a.data[ia[i]] * sa + b.data[ib[i]] * sb, sh, layer);
  return o;
}

/** L = 1 per operand; own = the srs rounding, a constant's quantization, bf16's rounding of the sum. */
function traceBound(ctx: TraceContext): (s: number) => number {
  const { layer, bf, ins, inV } = ctx;
  let dC = 0;
  if (ins.length < 2 && layer.weightsCodes) {
    const cname = ctx.node.inputs.find((t) => t !== '' && ctx.graph.isConstant(t));
    const cq = bf ? Float64Array.from(layer.weightsCodes, bf16FromBits) : Float64Array.from(layer.weightsCodes, (c) => c * 2 ** -Number(layer.frac.w ?? 0));
    dC = maxAbsDiff(cq, ctx.refConst(cname, cq.length));
  }
  const F = Math.max(...inV.map((v) => v.frac), bf ? 0 : Number(layer.frac.w ?? -Infinity));
  return (s) => ins.reduce((t, i) => { const e = ctx.err(i, s); return t + (e === 0 ? 0 : e); }, 0) + dC + ctx.rho(F > ctx.fo) + ctx.rr + ctx.bfOut(s, U_BF16 + 2 * U_F32);
}

function configure(ctx: EmitContext, g: RowGeometry): RowKernels {
  const { layer, node, model: L } = ctx;
  const cfg = L.config.name, cfgLines = L.config.lines;
  const { outShape, cols, tileM, casNum, size, lanes } = g;
  const a = layer.dtype.a;
  const w = layer.dtype.w ?? a;
  const runtimeB = layer.inputs.length > 1;
  L.library = 'elementwise.h';
  // An Add whose runtime operand `side` broadcasts (marked at legalization): its rows and each kernel's window of them.
  const side = runtimeB ? (layer.attrs['broadcastSide'] as number | undefined) : undefined;
  if (side !== undefined) {
    const bc: RowBroadcast | string = rowBroadcast(outShape, layer.shapes.inputs[side]);
    if (typeof bc === 'string') ctx.fail(`operand '${layer.inputs[side]}' ${bc}`);
    const win = broadcastWindows(bc, tileM, casNum);
    // The full-shape operand goes to port in[0], the broadcast one to in[1].
    const [fa, fb] = side === 0 ? [w, a] : [a, w];
    const fw0 = typeof layer.frac.w === 'number' ? layer.frac.w : layer.frac.a;
    const [sa, sb] = side === 0 ? [fw0, layer.frac.a] : [layer.frac.a, fw0];
    const F = Math.max(sa, sb);
    const bl = [fa, fb, layer.dtype.out].includes('int16') ? 16 : 32;
    cfgLines.push(`using a_t = ${CPP_TYPE[fa]};`, `using out_t = ${CPP_TYPE[layer.dtype.out]};`, `static constexpr unsigned SIZE = ${size};`,
      `using b_t = ${CPP_TYPE[fb]};`, `using acc_t = ${fa === 'bf16' ? 'accfloat' : fa === 'int16' || fb === 'int16' ? 'acc64' : 'acc32'};`,
      `static constexpr unsigned LANES = ${bl}, COLS = ${cols}, B_SIZE = ${win.rows * bc.bCols}, B_COLS = ${bc.bCols};`,
      `static constexpr unsigned GROUP = ${bc.group}, PERIOD = ${bc.repeat > 1 ? bc.period : 0};`,
      `static constexpr int SHIFT_A = ${F - sa}, SHIFT_B = ${F - sb}, SHIFT = ${F - layer.frac.out};`,
      `static constexpr bool RELU = ${cppBool(layer.fusedRelu)};`);
    const perKernelCls: string[] = [];
    for (let c = 0; c < casNum; c++) {
      const fn = `firmflow::add_broadcast<${cfg}, ${c * tileM}, ${win.starts[c]}>`;
      perKernelCls[c] = `fn:${fn}`;
      const inst = `void ${fn}(adf::input_buffer<${cfg}::a_t>&, adf::input_buffer<${cfg}::b_t>&, adf::output_buffer<${cfg}::out_t>&)`;
      if (!L.instantiations.includes(inst)) L.instantiations.push(inst);
    }
    L.summary = `add ${outShape.join('x')} + broadcast ${layer.shapes.inputs[side].join('x')}`;
    return { cls: perKernelCls[0], perKernelCls, broadcast: { side, b: bc, win } };
  }
  if (runtimeB && sizeOf(layer.shapes.inputs[1]) !== sizeOf(outShape)) ctx.fail(`operands ${JSON.stringify(layer.shapes.inputs)} differ; the AIE Add of two runtime tensors takes equal shapes (or one that broadcasts, marked by quantize)`);
  const fw = typeof layer.frac.w === 'number' ? layer.frac.w : layer.frac.a;
  const F = Math.max(layer.frac.a, fw);
  let bSize = size;
  const perKernelArgs: CppName[][] = [];
  if (!runtimeB) {
    const cShape = (layer.attrs['constShape'] as number[] | undefined) ?? outShape;
    const codes = layer.weightsCodes ?? ctx.fail('has no codes for its constant operand');
    const c = constantWindows(node, codes, cShape, outShape, size, casNum, lanes);
    bSize = c.bSize;
    const distinct = new Map<string, CppName>();
    c.windows.forEach((win, k) => {
      const key = win.join(',');
      let name = distinct.get(key);
      if (!name) {
        name = ctx.names.array(L.id, distinct.size === 0 ? 'const' : `const_${distinct.size}`);
        distinct.set(key, name);
        L.arrays.push({ name, ctype: CPP_TYPE[w], values: win });
      }
      perKernelArgs[k] = [name];
    });
  }
  cfgLines.push(...g.base, `using b_t = ${CPP_TYPE[w]};`, `using acc_t = ${a === 'bf16' ? 'accfloat' : a === 'int16' || w === 'int16' ? 'acc64' : 'acc32'};`,
    `static constexpr unsigned LANES = ${lanes}, B_SIZE = ${bSize};`,
    `static constexpr int SHIFT_A = ${F - layer.frac.a}, SHIFT_B = ${F - fw}, SHIFT = ${F - layer.frac.out};`,
    `static constexpr bool RELU = ${cppBool(layer.fusedRelu)};`);
  let cls: string;
  if (runtimeB) {
    L.instantiations.push(`void firmflow::add<${cfg}>(adf::input_buffer<${cfg}::a_t>&, adf::input_buffer<${cfg}::b_t>&, adf::output_buffer<${cfg}::out_t>&)`);
    cls = `fn:firmflow::add<${cfg}>`;
  } else {
    cls = `firmflow::AddConst<${cfg}>`;
    L.instantiations.push(cls);
  }
  L.summary = `add ${outShape.join('x')}`;
  return { cls, perKernelArgs };
}

/**
 * The constant operand of an Add as each kernel of a row split sees it: the constant broadcast to the output repeats
 * with period P (the trailing axes from its first non-unit one); kernel c, starting at output element c*size, gets
 * the window of B_SIZE values from (c*size) mod P on. B_SIZE is a multiple of the vector lanes (whole vector loads at
 * i mod B_SIZE never cross its end) and of P (so i mod B_SIZE keeps the phase), or covers the kernel's whole size.
 */
export function constantWindows(node: IRNode, codes: ArrayLike<number>, cShape: number[], outShape: number[], size: number, casNum: number, lanes: number): { bSize: number; windows: number[][] } {
  if (cShape.length > outShape.length || sizeOf(cShape) !== codes.length) failWrite(node, `constant operand of shape ${JSON.stringify(cShape)} (${codes.length} values) does not broadcast to the output ${JSON.stringify(outShape)}`);
  const cs = [...new Array<number>(outShape.length - cShape.length).fill(1), ...cShape];
  cs.forEach((d, i) => {
    if (d !== 1 && d !== outShape[i]) failWrite(node, `constant operand of shape ${JSON.stringify(cShape)} does not broadcast to the output ${JSON.stringify(outShape)}`);
  });
  let j = 0;
  while (j < cs.length && cs[j] === 1) j++;
  const tail = outShape.slice(j);
  const P = sizeOf(tail);
  // The constant expanded over one period of the output.
  const period = new Array<number>(P);
  const strides = cs.slice(j).map((_, i) => sizeOf(cs.slice(j + i + 1)));
  for (let e = 0; e < P; e++) {
    let rest = e, src = 0;
    for (let i = tail.length - 1; i >= 0; i--) {
      const x = rest % tail[i];
      rest = Math.floor(rest / tail[i]);
      if (cs[j + i] !== 1) src += x * strides[i];
    }
    period[e] = codes[src];
  }
  const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
  const whole = Math.ceil(size / lanes) * lanes;
  const lcm = (P / gcd(P, lanes)) * lanes;
  const bSize = Math.min(lcm, whole);
  const windows: number[][] = [];
  for (let c = 0; c < casNum; c++) windows.push(Array.from({ length: bSize }, (_, i) => period[(c * size + i) % P]));
  return { bSize, windows };
}

