import { FirmflowError, type FixedType, fracBits, type Graph, type IRNode, quantizeCodes, sizeOf, type Tensor } from 'firmflow';
import { codesOf, precisionOf, sampleShape, type HlsLayer, type HlsStreamInfo, type HlsTable, type LoweredGraph, type LoweredLayer } from '../lowered.js';
import { tableIndexConstants } from '../tables.js';
import { type CppName, fixedCpp, ProjectNames } from './names.js';

/*
 * The C++ builder the kernels' `emit` write into (type definitions, constant arrays, config structs, the top
 * function's body and streams), and the per-layer context each `emit` receives. Kernel arithmetic lives in
 * backends/vitis/templates/nnet; an `emit` only fills its config from the IR and the lowering's annotations.
 */
/** A constant array: weights, biases, tables, scalar factors. Its codes go to weights.bin and the synthesis header. */
export interface ConstArray {
  name: CppName;
  /** C++ type name of the values (a typedef in defines.h). */
  typeName: CppName;
  type: FixedType;
  codes: ArrayLike<number> | BigInt64Array;
  /** What it is, for comments. */
  what: string;
}

export interface Port {
  name: string;
  /** C++ parameter name. */
  arg: CppName;
  tensor: Tensor;
  typeName: CppName;
  type: FixedType;
  shape: number[];
  size: number;
  /** io_stream: beat type and geometry. */
  beat?: { name: CppName; pack: number; beats: number };
}

export interface LayerSummary {
  index: number;
  name: string;
  node: string;
  op: string;
  kernel: string;
  cppKernel: string;
  reuseFactor: number;
  /** The reuse factor was chosen (none configured; 1 is over the io_parallel limit). */
  reuseFactorChosen?: true;
  strategy: string;
  io: string;
  inputs: string[];
  outputs: string[];
  types: Record<string, string>;
}


export function fail(node: IRNode, what: string): never {
  throw new FirmflowError('vitis.writer', `${node.op} '${node.origin?.name || node.name}': ${what}`, { node: node.name, op: node.op });
}

/** `static const <type> name = value;` lines of a config struct. */
export function fields(entries: Record<string, number | boolean | string>): string[] {
  return Object.entries(entries).map(([k, v]) => {
    if (typeof v === 'boolean') return `  static const bool ${k} = ${v};`;
    if (typeof v === 'string') return `  typedef ${v} ${k};`;
    if (!Number.isInteger(v)) throw new Error(`config field ${k} = ${v} is not an integer`);
    if (k.endsWith('_offset') || k.endsWith('_t_max') || k.endsWith('_bound')) return `  static const long long ${k} = ${v}LL;`;
    return v < 0 || k.endsWith('_shift') ? `  static const int ${k} = ${v};` : `  static const unsigned ${k} = ${v};`;
  });
}

export function struct(name: CppName, base: string, entries: Record<string, number | boolean | string>): string {
  return `struct ${name} : ${base} {\n${fields(entries).join('\n')}\n};`;
}

/** Table index constants (nnet::table_index) of a table read with `inFrac` fractional bits (tables.ts tableIndexConstants). */
export function tableIndexFields(prefix: string, table: HlsTable, inFrac: number): Record<string, number> {
  const { shift, offset } = tableIndexConstants(table, inFrac);
  return { [`${prefix}_size`]: table.size, [`${prefix}_shift`]: shift, [`${prefix}_offset`]: offset };
}

/** Strides of `shape` (right-aligned, broadcast axes 0) over the last four axes of `out`. */
export function broadcastStrides(shape: number[], out: number[]): { d: number[]; s: number[] } {
  if (out.length > 4) throw new Error('more than 4 axes per sample');
  const o = [...new Array(4 - out.length).fill(1), ...out];
  const sh = [...new Array(4 - shape.length).fill(1), ...shape];
  const s = new Array<number>(4).fill(0);
  let stride = 1;
  for (let k = 3; k >= 0; k--) {
    s[k] = sh[k] === 1 && o[k] !== 1 ? 0 : stride;
    stride *= sh[k];
  }
  return { d: o, s };
}

export class Builder {
  readonly typedefs: string[] = [];
  readonly consts: ConstArray[] = [];
  readonly configs: string[] = [];
  readonly body: string[] = [];
  readonly layers: LayerSummary[] = [];
  /** Index maps of nearest resizing (small unsigned tables, exact in every build). */
  readonly indexMaps: string[] = [];
  private readonly typed = new Set<string>();
  private readonly constByTensor = new Map<string, ConstArray>();
  /** io_stream: the stream each (tensor, reader) pair reads. */
  private readonly readStream = new Map<string, CppName[]>();
  readonly stream: boolean;

  constructor(readonly lg: LoweredGraph, readonly graph: Graph, readonly names: ProjectNames) {
    this.stream = lg.info.io === 'io_stream';
  }

  /** The constant array of each constant tensor written, by tensor name. */
  get constantsByTensor(): ReadonlyMap<string, ConstArray> { return this.constByTensor; }

  typedef(name: CppName, cpp: string): void {
    if (this.typed.has(name)) return;
    this.typed.add(name);
    this.typedefs.push(`typedef ${cpp} ${name};`);
  }

  /** Type name of an activation tensor (and its beat type in io_stream). */
  act(t: Tensor): CppName {
    const n = this.names.type(t);
    this.typedef(n, fixedCpp(precisionOf(t)));
    if (this.stream && !t.data) this.typedef(this.names.beat(t), `nnet::array<${n}, ${this.streamInfo(t).pack}>`);
    return n;
  }

  streamInfo(t: Tensor): HlsStreamInfo {
    const s = t.meta['hlsStream'] as HlsStreamInfo | undefined;
    if (s) return s;
    const shape = sampleShape(t);
    const pack = shape.length ? shape[shape.length - 1] : 1;
    return { pack, beats: sizeOf(shape) / pack, depth: 1 };
  }

  /** A constant tensor as an array (once per tensor). */
  constant(t: Tensor, what: string): ConstArray {
    const have = this.constByTensor.get(t.name);
    if (have) return have;
    const type = precisionOf(t);
    if (type.width > 64) throw new FirmflowError('vitis.writer', `constant '${t.name}' has a ${type.width}-bit type; constants are limited to 64 bits`);
    const c: ConstArray = { name: this.names.constant(t), typeName: this.names.type(t), type, codes: codesOf(t), what };
    this.typedef(c.typeName, fixedCpp(type));
    this.consts.push(c);
    this.constByTensor.set(t.name, c);
    return c;
  }

  /** A node-owned constant (table, scalar factor). */
  nodeConst(node: IRNode, what: string, type: FixedType, codes: ArrayLike<number>): ConstArray {
    const c: ConstArray = { name: this.names.nodeConst(node, what), typeName: this.names.nodeType(node, what), type, codes, what: `${what} of ${node.op} '${node.origin?.name || node.name}'` };
    this.typedef(c.typeName, fixedCpp(type));
    this.consts.push(c);
    return c;
  }

  table(node: IRNode, hls: HlsLayer, key: string): ConstArray {
    const t = hls.tables?.[key];
    if (!t) fail(node, `the lowering gave no '${key}' table`);
    return this.nodeConst(node, key, t.type, t.codes);
  }

  /** The scalar code of a factor: params[`${key}_code`] in the role type. */
  scalar(node: IRNode, hls: HlsLayer, key: string, type: FixedType, fallback?: number): ConstArray {
    const p = hls.params[`${key}_code`];
    let code: number;
    if (typeof p === 'number') code = p;
    else if (fallback !== undefined) code = quantizeCodes([fallback], type)[0];
    else fail(node, `the lowering gave no '${key}_code' parameter`);
    return this.nodeConst(node, key, type, [code]);
  }

  /** A small index map of unsigned values (nearest resizing), exact in every build. */
  indexMap(name: CppName, values: number[]): void {
    this.indexMaps.push(`static const unsigned ${name}[${values.length}] = {${values.join(', ')}};`);
  }

  // ------------------------------------------------------------------ streams

  /** Declares the streams of the graph: one per reader of each activation (fan-out is copied explicitly). */
  planStreams(): void {
    const readers = new Map<string, number>();
    for (const l of this.lg.layers) for (const t of l.inputs) if (!t.data) readers.set(t.name, (readers.get(t.name) ?? 0) + 1);
    const outputs = new Set(this.lg.outputs.map((o) => o.tensor.name));
    const inputs = new Set(this.lg.inputs.map((o) => o.tensor.name));
    const declare = (t: Tensor): void => {
      const n = readers.get(t.name) ?? 0;
      const base = this.names.act(t);
      const isOut = outputs.has(t.name);
      const isIn = inputs.has(t.name);
      const own = n + (isOut ? 1 : 0);
      if (own <= 1) {
        if (!isIn && !isOut) this.declareStream(t, base);
        this.readStream.set(t.name, [base]);
        return;
      }
      // The producer writes `base` (internal unless it is a port); copies go to every reader (and the output port).
      const src = isOut && !isIn ? this.names.stream(t, 'src') : base;
      if (src !== base || (!isIn && !isOut)) this.declareStream(t, src);
      const copies: CppName[] = [];
      for (let i = 0; i < n; i++) {
        const c = this.names.stream(t, `c${i}`);
        this.declareStream(t, c);
        copies.push(c);
      }
      const targets = isOut && !isIn ? [base, ...copies] : copies;
      this.cloneChain(t, src, targets);
      this.readStream.set(t.name, copies);
      this.writeTarget.set(t.name, src);
    };
    for (const p of this.lg.inputs) declare(p.tensor);
    for (const l of this.lg.layers) for (const t of l.outputs) declare(t);
  }

  private readonly writeTarget = new Map<string, CppName>();
  private readonly pendingClones: { after: string; lines: string[] }[] = [];
  private readonly readCount = new Map<string, number>();

  private declareStream(t: Tensor, name: CppName): void {
    const info = this.streamInfo(t);
    this.act(t);
    this.body.push(`  hls::stream<${this.names.beat(t)}> ${name}("${name}");`);
    this.body.push(`  NNET_PRAGMA(HLS STREAM variable = ${name} depth = ${Math.max(1, info.depth)})`);
  }

  /** Copies of a stream for several readers, as a chain of two-way clones. */
  private cloneChain(t: Tensor, src: CppName, targets: CppName[]): void {
    const beats = this.streamInfo(t).beats;
    const beat = this.names.beat(t);
    const lines: string[] = [];
    let from = src;
    for (let i = 0; i < targets.length - 1; i++) {
      const rest = i === targets.length - 2 ? targets[i + 1] : this.names.stream(t, `r${i}`);
      if (rest !== targets[i + 1]) {
        lines.push(`  hls::stream<${beat}> ${rest}("${rest}");`);
        lines.push(`  NNET_PRAGMA(HLS STREAM variable = ${rest} depth = ${Math.max(1, this.streamInfo(t).depth)})`);
      }
      lines.push(`  nnet::clone_stream<${beat}, ${beats}>(${from}, ${targets[i]}, ${rest});`);
      from = rest;
    }
    this.pendingClones.push({ after: t.name, lines });
  }

  /** The expression a layer reads tensor `t` from (its own copy in io_stream). */
  input(t: Tensor): string {
    if (t.data) return this.constant(t, 'constant operand').name;
    if (!this.stream) return this.names.act(t);
    const list = this.readStream.get(t.name) ?? [this.names.act(t)];
    const i = this.readCount.get(t.name) ?? 0;
    this.readCount.set(t.name, i + 1);
    return list[Math.min(i, list.length - 1)];
  }

  output(t: Tensor): string {
    if (!this.stream) return this.names.act(t);
    return this.writeTarget.get(t.name) ?? this.names.act(t);
  }

  /** Lines that copy a stream to its readers, emitted right after its producer. */
  afterProducer(t: Tensor): void {
    for (const c of this.pendingClones.filter((p) => p.after === t.name)) this.body.push(...c.lines);
  }

  declareParallelActivation(t: Tensor): void {
    const n = this.act(t);
    const a = this.names.act(t);
    this.body.push(`  ${n} ${a}[${sizeOf(sampleShape(t))}];`);
    this.body.push(`  NNET_PRAGMA(HLS ARRAY_PARTITION variable = ${a} complete dim = 0)`);
  }
}

/** The null pointer a kernel call passes for an unused constant. */
export const NONE = '(const nnet::no_const_t*)0';

/** inv_count[n] = scale(1/n) codes: the lowering's, else quantized here by the same rule. */
export function invCounts(node: IRNode, P: HlsLayer['params'], taps: number, scale: FixedType): number[] {
  const given = P['inv_count_codes'] ?? P['inv_count'];
  if (Array.isArray(given) && given.length >= taps + 1) return given.slice(0, taps + 1);
  const v = new Float64Array(taps + 1);
  for (let c = 1; c <= taps; c++) v[c] = 1 / c;
  const codes = Array.from(quantizeCodes(v, scale));
  codes[0] = 0;
  void node;
  return codes;
}
/** What a kernel's `emit` gives back: the C++ function it calls (for summaries) and its lines of the top function. */
export interface Emitted {
  cppKernel: string;
  /** Lines in io_parallel / io_stream form (the builder already resolved the input/output expressions). */
  lines: string[];
}

/**
 * One layer as its kernel's `emit` sees it: its tensors, their C++ type names (declared on construction, result
 * first, so the order of typedefs is the same for every kernel), its config struct name and the lowering's
 * parameters and role types, read with a clear error when the lowering left one out.
 */
export class LayerEmit {
  readonly node: IRNode;
  readonly hls: HlsLayer;
  /** The first activation input (undefined for a layer reading constants only). */
  readonly x: Tensor;
  readonly y: Tensor;
  /** Config struct name. */
  readonly cfg: CppName;
  readonly xT: CppName | '';
  readonly yT: CppName;
  readonly stream: boolean;
  /** Fractional bits of the first activation input. */
  readonly inFrac: number;
  readonly P: HlsLayer['params'];
  /** Per-sample shape of the result. */
  readonly ys: number[];
  /** The expression the result is written to. */
  readonly out: string;

  constructor(readonly b: Builder, readonly l: LoweredLayer) {
    this.node = l.node;
    this.hls = l.hls;
    const x = l.inputs.filter((t) => !t.data)[0];
    const y = l.outputs[0];
    if (!y) fail(l.node, 'has no output');
    this.x = x;
    this.y = y;
    this.cfg = b.names.config(l.node);
    this.yT = b.act(y);
    this.xT = x ? b.act(x) : '';
    this.stream = b.stream;
    this.inFrac = x ? fracBits(precisionOf(x)) : 0;
    this.P = l.hls.params;
    this.ys = sampleShape(y);
    this.out = b.output(y);
  }

  get graph(): Graph { return this.b.graph; }

  beat(t: Tensor): CppName { return this.b.names.beat(t); }

  /** A numeric parameter of the lowering (the fallback when it has none, else an error). */
  num(k: string, d?: number): number {
    const v = this.P[k];
    if (typeof v === 'number') return v;
    if (d !== undefined) return d;
    fail(this.node, `the lowering gave no '${k}' parameter`);
  }

  /** The type of a role (the fallback when the lowering gave none, else an error). */
  role(r: string, fallback?: FixedType): FixedType {
    const t = this.hls.types[r] ?? fallback;
    if (!t) fail(this.node, `the lowering gave no '${r}' type`);
    return t;
  }

  /** The C++ type name of a role, declared on first use. */
  roleType(r: string, fallback?: FixedType): CppName {
    const t = this.role(r, fallback);
    const n = this.b.names.nodeType(this.node, r);
    this.b.typedef(n, fixedCpp(t));
    return n;
  }

  /** The expression this layer reads `t` from (its own copy of a fanned-out stream). */
  input(t: Tensor): string { return this.b.input(t); }

  /** The optional input `i` of the node (bias, shift, zero point ...). */
  optional(i: number): Tensor | undefined {
    return this.node.inputs[i] ? this.b.graph.tensor(this.node.inputs[i]) : undefined;
  }

  /** Data and result type arguments of a kernel: element types in io_parallel, beat types in io_stream. */
  io(): string {
    return this.stream ? `${this.beat(this.x)}, ${this.beat(this.y)}` : `${this.xT}, ${this.yT}`;
  }

  config(base: string, entries: Record<string, number | boolean | string>, name: CppName = this.cfg): void {
    this.b.configs.push(struct(name, base, entries));
  }

  call(fn: string, args: string[]): string[] {
    return [`  ${fn}(${args.join(', ')});`];
  }

  /** A layer without a native io_stream kernel: the whole tensor is buffered around the parallel kernel. */
  buffered(fn: (ins: string[], o: string) => string[]): string[] {
    const { b, l, y } = this;
    const lines: string[] = ['  {'];
    const ins = l.inputs.map((t, i) => {
      if (t.data) return b.constant(t, 'constant operand').name;
      const buf = b.names.buffer(t, i);
      const n = sizeOf(sampleShape(t));
      lines.push(`    ${b.act(t)} ${buf}[${n}];`);
      lines.push(`    nnet::stream_to_array<${this.beat(t)}, ${b.act(t)}, ${n}>(${this.input(t)}, ${buf});`);
      return buf;
    });
    const ny = sizeOf(sampleShape(y));
    const out = b.names.bufferOut();
    lines.push(`    ${this.yT} ${out}[${ny}];`);
    lines.push(...fn(ins, out).map((s) => `  ${s}`));
    lines.push(`    nnet::array_to_stream<${this.yT}, ${this.beat(y)}, ${ny}>(${out}, ${this.out});`);
    lines.push('  }');
    return lines;
  }

  /**
   * An element-wise layer through nnet::activation(_stream) and the functor `functor` (nnet_activation.h):
   * `entries` add to the activ_config defaults, p0/p1 are the functor's constant arrays.
   */
  activation(functor: string, entries: Record<string, number | boolean | string> = {}, p0 = NONE, p1 = NONE): Emitted {
    const n = sizeOf(sampleShape(this.x));
    this.config('nnet::activ_config', { n_in: n, n_chan: 1, inner: 1, ...entries });
    const fn = this.stream ? 'nnet::activation_stream' : 'nnet::activation';
    return { cppKernel: `${fn}<${functor}>`, lines: this.call(`${fn}<${this.io()}, ${this.cfg}, nnet::${functor}>`, [this.input(this.x), this.out, p0, p1]) };
  }
}

/**
 * A two-operand nnet::merge with the functor `functor` (Add/Sub/Mul, PRelu): broadcast strides over the last four
 * axes; in io_stream lock-step streams, an activation with a constant, or the tensors buffered.
 */
export function emitMerge(e: LayerEmit, functor: string): Emitted {
  const { b, l, node, y, ys } = e;
  const [A, B] = [l.inputs[0], l.inputs[1]];
  const full = (t: Tensor): number[] => {
    if (!t.data) return sampleShape(t);
    const s = t.shape as number[];
    const padded = [...new Array(Math.max(0, y.shape.length - s.length)).fill(1), ...s];
    return padded.slice(1);
  };
  const sa = full(A), sb = full(B);
  if (ys.length > 4) fail(node, `its result has ${ys.length} axes per sample; at most 4 are supported`);
  const ba = broadcastStrides(sa, ys), bb = broadcastStrides(sb, ys);
  const same = sizeOf(sa) === sizeOf(ys) && sizeOf(sb) === sizeOf(ys);
  const aT = A.data ? b.constant(A, 'constant operand').typeName : b.act(A);
  const bT = B.data ? b.constant(B, 'constant operand').typeName : b.act(B);
  const config = (sa: typeof ba, sb: typeof bb, at: string, bt: string, sameShape: boolean): string => struct(e.cfg, 'nnet::merge_config', {
    n_out: sizeOf(ys), d0: ba.d[0], d1: ba.d[1], d2: ba.d[2], d3: ba.d[3],
    a_s0: sa.s[0], a_s1: sa.s[1], a_s2: sa.s[2], a_s3: sa.s[3], b_s0: sb.s[0], b_s1: sb.s[1], b_s2: sb.s[2], b_s3: sb.s[3],
    same_shape: sameShape, a_t: at, b_t: bt,
  });
  b.configs.push(config(ba, bb, aT, bT, same));
  const fn = `nnet::${functor}`;
  const yT = e.yT;
  if (e.stream) {
    if (!A.data && !B.data && same && b.streamInfo(A).pack === b.streamInfo(y).pack && b.streamInfo(B).pack === b.streamInfo(y).pack) {
      return { cppKernel: 'nnet::merge_stream', lines: e.call(`nnet::merge_stream<${e.beat(A)}, ${e.beat(B)}, ${e.beat(y)}, ${e.cfg}, ${fn}>`, [e.input(A), e.input(B), e.out]) };
    }
    if ((!A.data) !== (!B.data) && sizeOf(A.data ? sb : sa) === sizeOf(ys)) {
      const act = A.data ? B : A, con = A.data ? A : B;
      // merge_const_stream reads the constant through the b strides: swap them when the constant is operand a.
      if (A.data) {
        b.configs.pop();
        b.configs.push(config(bb, ba, bT, aT, false));
      }
      return {
        cppKernel: 'nnet::merge_const_stream',
        lines: e.call(`nnet::merge_const_stream<${e.beat(act)}, ${b.constant(con, 'constant operand').typeName}, ${e.beat(y)}, ${e.cfg}, ${fn}, ${A.data ? 'true' : 'false'}>`, [e.input(act), b.constant(con, 'constant operand').name, e.out]),
      };
    }
    return { cppKernel: 'nnet::merge (buffered)', lines: e.buffered((ins, o) => e.call(`nnet::merge<${aT}, ${bT}, ${yT}, ${e.cfg}, ${fn}>`, [ins[0], ins[1], o])) };
  }
  return { cppKernel: 'nnet::merge', lines: e.call(`nnet::merge<${aT}, ${bT}, ${yT}, ${e.cfg}, ${fn}>`, [e.input(A), e.input(B), e.out]) };
}
