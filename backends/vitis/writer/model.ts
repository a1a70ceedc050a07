import { FirmflowError, type FixedType, fracBits, type Graph, type IRNode, quantizeCodes, type Tensor } from 'firmflow';
import { codesOf, precisionOf, readLoweredGraph, sampleShape, type HlsLayer, type HlsStreamInfo, type HlsTable, type LoweredGraph, type LoweredLayer } from '../lowered.js';
import { actName, beatName, configName, constName, fixedCpp, nodeConstName, nodeTypeName, typeName } from './names.js';

/*
 * Builds everything the templates print from a lowered graph: type definitions, constant arrays, one config struct
 * and one kernel call per layer, and the top function's ports. Kernel arithmetic lives in backends/vitis/templates/nnet; this
 * file only chooses the kernel and fills its config from the IR (shapes, attributes) and the lowering's annotations.
 */

/** A constant array: weights, biases, tables, scalar factors. Its codes go to weights.bin and the synthesis header. */
export interface ConstArray {
  name: string;
  /** C++ type name of the values (a typedef in defines.h). */
  typeName: string;
  type: FixedType;
  codes: ArrayLike<number> | BigInt64Array;
  /** What it is, for comments. */
  what: string;
}

export interface Port {
  name: string;
  /** C++ parameter name. */
  arg: string;
  tensor: Tensor;
  typeName: string;
  type: FixedType;
  shape: number[];
  size: number;
  /** io_stream: beat type and geometry. */
  beat?: { name: string; pack: number; beats: number };
}

export interface LayerSummary {
  index: number;
  name: string;
  node: string;
  op: string;
  kernel: string;
  cppKernel: string;
  reuseFactor: number;
  strategy: string;
  io: string;
  inputs: string[];
  outputs: string[];
  types: Record<string, string>;
}

export interface ProjectModel {
  name: string;
  io: 'io_parallel' | 'io_stream';
  typedefs: string[];
  consts: ConstArray[];
  configs: string[];
  indexMaps: string[];
  body: string[];
  inputs: Port[];
  outputs: Port[];
  layers: LayerSummary[];
  lowered: LoweredGraph;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function fail(node: IRNode, what: string): never {
  throw new FirmflowError('vitis.writer', `${node.op} '${node.origin?.name || node.name}': ${what}`, { node: node.name, op: node.op });
}

/** `static const <type> name = value;` lines of a config struct. */
function fields(entries: Record<string, number | boolean | string>): string[] {
  return Object.entries(entries).map(([k, v]) => {
    if (typeof v === 'boolean') return `  static const bool ${k} = ${v};`;
    if (typeof v === 'string') return `  typedef ${v} ${k};`;
    if (!Number.isInteger(v)) throw new Error(`config field ${k} = ${v} is not an integer`);
    if (k.endsWith('_offset') || k.endsWith('_t_max') || k.endsWith('_bound')) return `  static const long long ${k} = ${v}LL;`;
    return v < 0 || k.endsWith('_shift') ? `  static const int ${k} = ${v};` : `  static const unsigned ${k} = ${v};`;
  });
}

function struct(name: string, base: string, entries: Record<string, number | boolean | string>): string {
  return `struct ${name} : ${base} {\n${fields(entries).join('\n')}\n};`;
}

/** Table index constants (nnet::table_index): shift = F - k, offset = lo * 2^k with size / (hi - lo) = 2^k. */
function tableIndexFields(prefix: string, table: HlsTable, inFrac: number): Record<string, number> {
  const k = Math.log2(table.size / (table.hi - table.lo));
  if (!Number.isInteger(k)) throw new Error(`table size ${table.size} over [${table.lo}, ${table.hi}) is not a power-of-two scale`);
  const offset = table.lo * 2 ** k;
  return { [`${prefix}_size`]: table.size, [`${prefix}_shift`]: inFrac - k, [`${prefix}_offset`]: offset };
}

/** Strides of `shape` (right-aligned, broadcast axes 0) over the last four axes of `out`. */
function broadcastStrides(shape: number[], out: number[]): { d: number[]; s: number[] } {
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

class Builder {
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
  private readonly readStream = new Map<string, string[]>();
  readonly stream: boolean;

  constructor(readonly lg: LoweredGraph, readonly graph: Graph) {
    this.stream = lg.info.io === 'io_stream';
  }

  typedef(name: string, cpp: string): void {
    if (this.typed.has(name)) return;
    this.typed.add(name);
    this.typedefs.push(`typedef ${cpp} ${name};`);
  }

  /** Type name of an activation tensor (and its beat type in io_stream). */
  act(t: Tensor): string {
    const n = typeName(t);
    this.typedef(n, fixedCpp(precisionOf(t)));
    if (this.stream && !t.data) this.typedef(beatName(t), `nnet::array<${n}, ${this.streamInfo(t).pack}>`);
    return n;
  }

  streamInfo(t: Tensor): HlsStreamInfo {
    const s = t.meta['hlsStream'] as HlsStreamInfo | undefined;
    if (s) return s;
    const shape = sampleShape(t);
    const pack = shape.length ? shape[shape.length - 1] : 1;
    return { pack, beats: prod(shape) / pack, depth: 1 };
  }

  /** A constant tensor as an array (once per tensor). */
  constant(t: Tensor, what: string): ConstArray {
    const have = this.constByTensor.get(t.name);
    if (have) return have;
    const type = precisionOf(t);
    if (type.width > 64) throw new FirmflowError('vitis.writer', `constant '${t.name}' has a ${type.width}-bit type; constants are limited to 64 bits`);
    const c: ConstArray = { name: constName(t), typeName: typeName(t), type, codes: codesOf(t), what };
    this.typedef(c.typeName, fixedCpp(type));
    this.consts.push(c);
    this.constByTensor.set(t.name, c);
    return c;
  }

  /** A node-owned constant (table, scalar factor). */
  nodeConst(node: IRNode, what: string, type: FixedType, codes: ArrayLike<number>): ConstArray {
    const c: ConstArray = { name: nodeConstName(node, what), typeName: nodeTypeName(node, what), type, codes, what: `${what} of ${node.op} '${node.origin?.name || node.name}'` };
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

  // ------------------------------------------------------------------ streams

  /** Declares the streams of the graph: one per reader of each activation (fan-out is copied explicitly). */
  planStreams(): void {
    const readers = new Map<string, number>();
    for (const l of this.lg.layers) for (const t of l.inputs) if (!t.data) readers.set(t.name, (readers.get(t.name) ?? 0) + 1);
    const outputs = new Set(this.lg.outputs.map((o) => o.tensor.name));
    const inputs = new Set(this.lg.inputs.map((o) => o.tensor.name));
    const declare = (t: Tensor): void => {
      const n = readers.get(t.name) ?? 0;
      const base = actName(t);
      const isOut = outputs.has(t.name);
      const isIn = inputs.has(t.name);
      const own = n + (isOut ? 1 : 0);
      if (own <= 1) {
        if (!isIn && !isOut) this.declareStream(t, base);
        this.readStream.set(t.name, [base]);
        return;
      }
      // The producer writes `base` (internal unless it is a port); copies go to every reader (and the output port).
      const src = isOut && !isIn ? `${base}_src` : base;
      if (src !== base || (!isIn && !isOut)) this.declareStream(t, src);
      const copies: string[] = [];
      for (let i = 0; i < n; i++) {
        const c = `${base}_c${i}`;
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

  private readonly writeTarget = new Map<string, string>();
  private readonly pendingClones: { after: string; lines: string[] }[] = [];
  private readonly readCount = new Map<string, number>();

  private declareStream(t: Tensor, name: string): void {
    const info = this.streamInfo(t);
    this.act(t);
    this.body.push(`  hls::stream<${beatName(t)}> ${name}("${name}");`);
    this.body.push(`  NNET_PRAGMA(HLS STREAM variable = ${name} depth = ${Math.max(1, info.depth)})`);
  }

  /** Copies of a stream for several readers, as a chain of two-way clones. */
  private cloneChain(t: Tensor, src: string, targets: string[]): void {
    const beats = this.streamInfo(t).beats;
    const lines: string[] = [];
    let from = src;
    for (let i = 0; i < targets.length - 1; i++) {
      const rest = i === targets.length - 2 ? targets[i + 1] : `${actName(t)}_r${i}`;
      if (rest !== targets[i + 1]) {
        lines.push(`  hls::stream<${beatName(t)}> ${rest}("${rest}");`);
        lines.push(`  NNET_PRAGMA(HLS STREAM variable = ${rest} depth = ${Math.max(1, this.streamInfo(t).depth)})`);
      }
      lines.push(`  nnet::clone_stream<${beatName(t)}, ${beats}>(${from}, ${targets[i]}, ${rest});`);
      from = rest;
    }
    this.pendingClones.push({ after: t.name, lines });
  }

  /** The expression a layer reads tensor `t` from (its own copy in io_stream). */
  input(t: Tensor): string {
    if (t.data) return this.constant(t, 'constant operand').name;
    if (!this.stream) return actName(t);
    const list = this.readStream.get(t.name) ?? [actName(t)];
    const i = this.readCount.get(t.name) ?? 0;
    this.readCount.set(t.name, i + 1);
    return list[Math.min(i, list.length - 1)];
  }

  output(t: Tensor): string {
    if (!this.stream) return actName(t);
    return this.writeTarget.get(t.name) ?? actName(t);
  }

  /** Lines that copy a stream to its readers, emitted right after its producer. */
  afterProducer(t: Tensor): void {
    for (const c of this.pendingClones.filter((p) => p.after === t.name)) this.body.push(...c.lines);
  }

  declareParallelActivation(t: Tensor): void {
    const n = this.act(t);
    this.body.push(`  ${n} ${actName(t)}[${prod(sampleShape(t))}];`);
    this.body.push(`  NNET_PRAGMA(HLS ARRAY_PARTITION variable = ${actName(t)} complete dim = 0)`);
  }
}

const NONE = '(const nnet::no_const_t*)0';

/** Element-wise ops and their nnet functor. */
const ACTIVATION_OPS: Record<string, string> = {
  Relu: 'op_relu', LeakyRelu: 'op_leaky_relu', Clip: 'op_clip', HardSigmoid: 'op_hard_sigmoid', Softsign: 'op_softsign',
  Sigmoid: 'op_table', Tanh: 'op_table', Softplus: 'op_table', Elu: 'op_elu', Selu: 'op_selu', FixedCast: 'op_linear',
  ScaleShift: 'op_scale_shift', BipolarQuant: 'op_bipolar', Identity: 'op_linear',
};
const COPY_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
const MERGE_OPS: Record<string, string> = { Add: 'op_add', Sub: 'op_sub', Mul: 'op_mul', PRelu: 'op_prelu' };

interface Emitted {
  cppKernel: string;
  /** Lines in io_parallel / io_stream form (the builder already resolved the input/output expressions). */
  lines: string[];
}

function emitLayer(b: Builder, l: LoweredLayer): Emitted {
  const { node, hls } = l;
  const acts = l.inputs.filter((t) => !t.data);
  const x = acts[0];
  const y = l.outputs[0];
  if (!y) fail(node, 'has no output');
  const cfg = configName(node);
  const yT = b.act(y);
  const xT = x ? b.act(x) : '';
  const stream = b.stream;
  const beat = (t: Tensor): string => beatName(t);
  const inFrac = x ? fracBits(precisionOf(x)) : 0;
  const P = hls.params;
  const num = (k: string, d?: number): number => {
    const v = P[k];
    if (typeof v === 'number') return v;
    if (d !== undefined) return d;
    fail(node, `the lowering gave no '${k}' parameter`);
  };
  const role = (r: string, fallback?: FixedType): FixedType => {
    const t = hls.types[r] ?? fallback;
    if (!t) fail(node, `the lowering gave no '${r}' type`);
    return t;
  };
  const roleType = (r: string, fallback?: FixedType): string => {
    const t = role(r, fallback);
    const n = nodeTypeName(node, r);
    b.typedef(n, fixedCpp(t));
    return n;
  };
  const inputArg = (t: Tensor): string => b.input(t);
  const out = b.output(y);
  const parallelCall = (fn: string, args: string[]): string[] => [`  ${fn}(${args.join(', ')});`];

  // A layer without a native io_stream kernel: the whole tensor is buffered around the parallel kernel.
  const buffered = (fn: (ins: string[], o: string) => string[]): string[] => {
    const lines: string[] = ['  {'];
    const ins = l.inputs.map((t) => {
      if (t.data) return b.constant(t, 'constant operand').name;
      const buf = `buf_${actName(t)}`;
      const n = prod(sampleShape(t));
      lines.push(`    ${b.act(t)} ${buf}[${n}];`);
      lines.push(`    nnet::stream_to_array<${beat(t)}, ${b.act(t)}, ${n}>(${inputArg(t)}, ${buf});`);
      return buf;
    });
    const ny = prod(sampleShape(y));
    lines.push(`    ${yT} buf_out[${ny}];`);
    lines.push(...fn(ins, 'buf_out').map((s) => `  ${s}`));
    lines.push(`    nnet::array_to_stream<${yT}, ${beat(y)}, ${ny}>(buf_out, ${out});`);
    lines.push('  }');
    return lines;
  };

  const op = node.op;
  const ys = sampleShape(y);

  if (op === 'Dense') {
    const w = l.inputs[1], bias = node.inputs[2] ? b.graph.tensor(node.inputs[2]) : undefined;
    const W = b.constant(w, 'weights'), B = bias ? b.constant(bias, 'biases') : W;
    b.configs.push(struct(cfg, 'nnet::dense_config', {
      n_in: num('n_in'), n_out: num('n_out'), n_rows: num('n_rows', 1), reuse_factor: hls.reuseFactor,
      has_bias: !!bias, strategy_resource: hls.strategy === 'resource',
      accum_t: roleType('accum'), weight_t: W.typeName, bias_t: B.typeName,
    }));
    if (stream) return { cppKernel: 'nnet::dense_stream', lines: parallelCall(`nnet::dense_stream<${beat(x)}, ${beat(y)}, ${cfg}>`, [inputArg(x), out, W.name, B.name]) };
    return { cppKernel: 'nnet::dense', lines: parallelCall(`nnet::dense<${xT}, ${yT}, ${cfg}>`, [inputArg(x), out, W.name, B.name]) };
  }

  if (op === 'Conv') {
    const w = l.inputs[1], bias = node.inputs[2] ? b.graph.tensor(node.inputs[2]) : undefined;
    const W = b.constant(w, 'weights'), B = bias ? b.constant(bias, 'biases') : W;
    const twoD = P['in_height'] !== undefined;
    b.configs.push(struct(cfg, 'nnet::conv_config', {
      in_height: num('in_height', 1), in_width: num('in_width'), n_chan: num('n_chan'),
      filt_height: num('filt_height', 1), filt_width: num('filt_width'), n_filt: num('n_filt'),
      n_groups: typeof node.attrs['group'] === 'number' ? (node.attrs['group'] as number) : 1,
      stride_height: num('stride_height', 1), stride_width: num('stride_width'),
      dilation_height: num('dilation_height', 1), dilation_width: num('dilation_width'),
      pad_top: num('pad_top', 0), pad_left: num('pad_left'), out_height: num('out_height', 1), out_width: num('out_width'),
      reuse_factor: hls.reuseFactor, parallelization: hls.parallelization ?? 1, strategy_resource: hls.strategy === 'resource', has_bias: !!bias,
      accum_t: roleType('accum'), weight_t: W.typeName, bias_t: B.typeName,
    }));
    const fn = `nnet::conv_${twoD ? 2 : 1}d${stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: parallelCall(`${fn}<${stream ? beat(x) : xT}, ${stream ? beat(y) : yT}, ${cfg}>`, [inputArg(x), out, W.name, B.name]) };
  }

  if (op === 'MaxPool' || op === 'AveragePool') {
    const isMax = op === 'MaxPool';
    const taps = num('pool_height', num('filt_height', 1)) * num('pool_width', num('filt_width'));
    const scaleT = isMax ? undefined : role('scale');
    const inv = isMax ? undefined : b.nodeConst(node, 'inv_count', scaleT!, invCounts(node, P, taps, scaleT!));
    b.configs.push(struct(cfg, 'nnet::pool_config', {
      in_height: num('in_height', 1), in_width: num('in_width'), n_chan: num('n_chan'),
      pool_height: num('pool_height', num('filt_height', 1)), pool_width: num('pool_width', num('filt_width')),
      stride_height: num('stride_height', 1), stride_width: num('stride_width'),
      dilation_height: num('dilation_height', 1), dilation_width: num('dilation_width', 1),
      pad_top: num('pad_top', 0), pad_left: num('pad_left', 0), out_height: num('out_height', 1), out_width: num('out_width'),
      is_max: isMax, count_include_pad: num('count_include_pad', 0) === 1,
      ...(isMax ? {} : { accum_t: roleType('accum'), scale_t: inv!.typeName }),
    }));
    const fn = `nnet::pooling2d${stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: parallelCall(`${fn}<${stream ? beat(x) : xT}, ${stream ? beat(y) : yT}, ${cfg}>`, [inputArg(x), out, inv ? inv.name : NONE]) };
  }

  if (op === 'GlobalMaxPool' || op === 'GlobalAveragePool') {
    const isMax = op === 'GlobalMaxPool';
    const xs = sampleShape(x);
    const C = xs[xs.length - 1], pixels = prod(xs) / C;
    const scaleT = isMax ? undefined : role('scale');
    const given = P['inv_count_codes'];
    const inv = isMax ? undefined : b.nodeConst(node, 'inv_count', scaleT!, Array.isArray(given) && given.length === 1 ? given : [invCounts(node, P, pixels, scaleT!)[pixels]]);
    b.configs.push(struct(cfg, 'nnet::global_pool_config', {
      n_pixels: pixels, n_chan: C, is_max: isMax, ...(isMax ? {} : { accum_t: roleType('accum'), scale_t: inv!.typeName }),
    }));
    const fn = `nnet::global_pooling${stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: parallelCall(`${fn}<${stream ? beat(x) : xT}, ${stream ? beat(y) : yT}, ${cfg}>`, [inputArg(x), out, inv ? inv.name : NONE]) };
  }

  if (ACTIVATION_OPS[op] || COPY_OPS.has(op)) {
    const functor = ACTIVATION_OPS[op] ?? 'op_linear';
    const n = prod(sampleShape(x));
    const entries: Record<string, number | boolean | string> = { n_in: n, n_chan: 1, inner: 1 };
    let p0 = NONE, p1 = NONE;
    switch (op) {
      case 'LeakyRelu':
        p0 = b.scalar(node, hls, 'alpha', role('scale'), typeof node.attrs['alpha'] === 'number' ? (node.attrs['alpha'] as number) : 0.01).name;
        entries.scale_t = roleType('scale');
        break;
      case 'HardSigmoid':
        p0 = b.scalar(node, hls, 'alpha', role('scale')).name;
        p1 = b.scalar(node, hls, 'beta', role('scale')).name;
        entries.scale_t = roleType('scale');
        break;
      case 'Clip': {
        const st = role('scale', precisionOf(x));
        p0 = b.scalar(node, hls, 'min', st, 0).name;
        p1 = b.scalar(node, hls, 'max', st, 0).name;
        entries.scale_t = roleType('scale', precisionOf(x));
        entries.has_min = num('has_min', 1) === 1;
        entries.has_max = num('has_max', 1) === 1;
        break;
      }
      case 'Softsign':
        entries.accum_t = roleType('accum');
        break;
      case 'Sigmoid': case 'Tanh': case 'Softplus': case 'Elu': case 'Selu': {
        const t = b.table(node, hls, 'table');
        p0 = t.name;
        entries.table_t = t.typeName;
        Object.assign(entries, tableIndexFields('table', hls.tables!['table'], inFrac));
        if (op === 'Selu') {
          p1 = b.scalar(node, hls, 'gamma', role('scale')).name;
          entries.scale_t = roleType('scale');
        }
        break;
      }
      case 'ScaleShift': {
        const s = l.inputs[1], h = node.inputs[2] ? b.graph.tensor(node.inputs[2]) : undefined;
        const S = b.constant(s, 'scale'), H = h ? b.constant(h, 'shift') : undefined;
        p0 = S.name;
        if (H) p1 = H.name;
        Object.assign(entries, {
          n_chan: num('n_chan'), inner: num('n_inner'), has_shift: !!H, n_scale: prod(s.shape as number[]), n_shift: H ? prod(h!.shape as number[]) : 1,
          accum_t: roleType('accum'), scale_t: S.typeName, shift_t: H ? H.typeName : S.typeName,
        });
        break;
      }
      case 'BipolarQuant': {
        const S = b.constant(l.inputs[1], 'scale');
        p0 = S.name;
        entries.scale_t = S.typeName;
        break;
      }
    }
    b.configs.push(struct(cfg, 'nnet::activ_config', entries));
    if (stream && COPY_OPS.has(op)) {
      return { cppKernel: 'nnet::repack_stream', lines: parallelCall(`nnet::repack_stream<${beat(x)}, ${beat(y)}, ${n}>`, [inputArg(x), out]) };
    }
    const fn = stream ? 'nnet::activation_stream' : 'nnet::activation';
    return { cppKernel: `${fn}<${functor}>`, lines: parallelCall(`${fn}<${stream ? beat(x) : xT}, ${stream ? beat(y) : yT}, ${cfg}, nnet::${functor}>`, [inputArg(x), out, p0, p1]) };
  }

  if (MERGE_OPS[op]) {
    const [A, B] = [l.inputs[0], l.inputs[1]];
    const full = (t: Tensor): number[] => {
      if (!t.data) return sampleShape(t);
      const s = t.shape as number[];
      const rank = y.shape.length;
      const padded = [...new Array(Math.max(0, rank - s.length)).fill(1), ...s];
      return padded.slice(1);
    };
    const sa = full(A), sb = full(B);
    if (ys.length > 4) fail(node, `its result has ${ys.length} axes per sample; at most 4 are supported`);
    const ba = broadcastStrides(sa, ys), bb = broadcastStrides(sb, ys);
    const same = prod(sa) === prod(ys) && prod(sb) === prod(ys);
    const aT = A.data ? b.constant(A, 'constant operand').typeName : b.act(A);
    const bT = B.data ? b.constant(B, 'constant operand').typeName : b.act(B);
    b.configs.push(struct(cfg, 'nnet::merge_config', {
      n_out: prod(ys), d0: ba.d[0], d1: ba.d[1], d2: ba.d[2], d3: ba.d[3],
      a_s0: ba.s[0], a_s1: ba.s[1], a_s2: ba.s[2], a_s3: ba.s[3], b_s0: bb.s[0], b_s1: bb.s[1], b_s2: bb.s[2], b_s3: bb.s[3],
      same_shape: same, a_t: aT, b_t: bT,
    }));
    const functor = `nnet::${MERGE_OPS[op]}`;
    if (stream) {
      if (!A.data && !B.data && same && b.streamInfo(A).pack === b.streamInfo(y).pack && b.streamInfo(B).pack === b.streamInfo(y).pack) {
        return { cppKernel: 'nnet::merge_stream', lines: parallelCall(`nnet::merge_stream<${beat(A)}, ${beat(B)}, ${beat(y)}, ${cfg}, ${functor}>`, [inputArg(A), inputArg(B), out]) };
      }
      if ((!A.data) !== (!B.data) && prod(A.data ? sb : sa) === prod(ys)) {
        const act = A.data ? B : A, con = A.data ? A : B;
        // merge_const_stream reads the constant through the b strides: swap them when the constant is operand a.
        if (A.data) {
          b.configs.pop();
          b.configs.push(struct(cfg, 'nnet::merge_config', {
            n_out: prod(ys), d0: ba.d[0], d1: ba.d[1], d2: ba.d[2], d3: ba.d[3],
            a_s0: bb.s[0], a_s1: bb.s[1], a_s2: bb.s[2], a_s3: bb.s[3], b_s0: ba.s[0], b_s1: ba.s[1], b_s2: ba.s[2], b_s3: ba.s[3],
            same_shape: false, a_t: bT, b_t: aT,
          }));
        }
        return {
          cppKernel: 'nnet::merge_const_stream',
          lines: parallelCall(`nnet::merge_const_stream<${beat(act)}, ${b.constant(con, 'constant operand').typeName}, ${beat(y)}, ${cfg}, ${functor}, ${A.data ? 'true' : 'false'}>`, [inputArg(act), b.constant(con, 'constant operand').name, out]),
        };
      }
      return { cppKernel: 'nnet::merge (buffered)', lines: buffered((ins, o) => parallelCall(`nnet::merge<${aT}, ${bT}, ${yT}, ${cfg}, ${functor}>`, [ins[0], ins[1], o])) };
    }
    return { cppKernel: 'nnet::merge', lines: parallelCall(`nnet::merge<${aT}, ${bT}, ${yT}, ${cfg}, ${functor}>`, [inputArg(A), inputArg(B), out]) };
  }

  if (op === 'Concat') {
    const rank = ys.length;
    let axis = typeof node.attrs['axis'] === 'number' ? (node.attrs['axis'] as number) : 0;
    if (axis < 0) axis += y.shape.length;
    axis -= 1;
    const parts = l.inputs.map((t) => sampleShape(t));
    const outer = prod(ys.slice(0, axis));
    const outInner = prod(ys.slice(axis));
    let offset = 0;
    const cfgs: string[] = [];
    parts.forEach((s, i) => {
      const c = `${cfg}_${i}`;
      const inner = prod(s.slice(axis));
      b.configs.push(struct(c, 'nnet::concat_config', { n_outer: outer, in_inner: inner, out_inner: outInner, offset, in_t: b.act(l.inputs[i]) }));
      cfgs.push(c);
      offset += inner;
    });
    if (stream) {
      if (axis === rank - 1 && l.inputs.length === 2 && l.inputs.every((t) => b.streamInfo(t).pack === sampleShape(t)[rank - 1]) && b.streamInfo(y).pack === ys[rank - 1]) {
        b.configs.push(struct(cfg, 'nnet::concat_stream_config', { n_beats: outer }));
        return { cppKernel: 'nnet::concat_last_stream', lines: parallelCall(`nnet::concat_last_stream<${beat(l.inputs[0])}, ${beat(l.inputs[1])}, ${beat(y)}, ${cfg}>`, [inputArg(l.inputs[0]), inputArg(l.inputs[1]), out]) };
      }
      return { cppKernel: 'nnet::concat_part (buffered)', lines: buffered((ins, o) => ins.flatMap((a, i) => parallelCall(`nnet::concat_part<${b.act(l.inputs[i])}, ${yT}, ${cfgs[i]}>`, [a, o]))) };
    }
    return { cppKernel: 'nnet::concat_part', lines: l.inputs.flatMap((t, i) => parallelCall(`nnet::concat_part<${b.act(t)}, ${yT}, ${cfgs[i]}>`, [inputArg(t), out])) };
  }

  if (op === 'Transpose') {
    const xs = sampleShape(x);
    const perm = ((node.attrs['perm'] as number[] | undefined) ?? []).slice(1).map((p) => p - 1);
    if (xs.length > 4) fail(node, 'more than 4 axes per sample');
    const inStride = new Array<number>(xs.length);
    let s = 1;
    for (let k = xs.length - 1; k >= 0; k--) { inStride[k] = s; s *= xs[k]; }
    const d = [...new Array(4 - ys.length).fill(1), ...ys];
    const st = [...new Array(4 - ys.length).fill(0), ...perm.map((p) => inStride[p])];
    b.configs.push(struct(cfg, 'nnet::gather_config', { n_out: prod(ys), d0: d[0], d1: d[1], d2: d[2], d3: d[3], s0: st[0], s1: st[1], s2: st[2], s3: st[3], in_t: xT }));
    const call = (i: string, o: string): string[] => parallelCall(`nnet::gather<${xT}, ${yT}, ${cfg}>`, [i, o]);
    if (stream) return { cppKernel: 'nnet::gather (buffered)', lines: buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::gather', lines: call(inputArg(x), out) };
  }

  if (op === 'Pad') {
    const xs = sampleShape(x);
    const begin = (P['pad_begin'] as number[] | undefined) ?? [];
    const end = (P['pad_end'] as number[] | undefined) ?? [];
    if (xs.length > 4) fail(node, 'more than 4 axes per sample');
    const value = num('value', 0);
    const pv = b.nodeConst(node, 'pad_value', precisionOf(y), quantizeCodes([value], precisionOf(y)));
    const spatialOnly = (xs.length === 3 || xs.length === 2) && begin[begin.length - 1] === 0 && end[end.length - 1] === 0;
    if (stream && spatialOnly && b.streamInfo(x).pack === xs[xs.length - 1] && b.streamInfo(y).pack === ys[ys.length - 1]) {
      const twoD = xs.length === 3;
      b.configs.push(struct(cfg, 'nnet::pad_stream_config', {
        in_height: twoD ? xs[0] : 1, in_width: xs[xs.length - 2], n_chan: xs[xs.length - 1],
        pad_top: twoD ? begin[0] : 0, pad_bottom: twoD ? end[0] : 0, pad_left: begin[begin.length - 2], pad_right: end[end.length - 2], pad_t: pv.typeName,
      }));
      return { cppKernel: 'nnet::pad_stream', lines: parallelCall(`nnet::pad_stream<${beat(x)}, ${beat(y)}, ${cfg}>`, [inputArg(x), out, pv.name]) };
    }
    const fill4 = (a: number[], f: number): number[] => [...new Array(4 - a.length).fill(f), ...a];
    const d = fill4(ys, 1), e = fill4(xs, 1), bg = fill4(begin, 0);
    b.configs.push(struct(cfg, 'nnet::pad_config', {
      n_out: prod(ys), d0: d[0], d1: d[1], d2: d[2], d3: d[3], e0: e[0], e1: e[1], e2: e[2], e3: e[3], b0: bg[0], b1: bg[1], b2: bg[2], b3: bg[3], pad_t: pv.typeName,
    }));
    const call = (i: string, o: string): string[] => parallelCall(`nnet::pad<${xT}, ${yT}, ${cfg}>`, [i, o, pv.name]);
    if (stream) return { cppKernel: 'nnet::pad (buffered)', lines: buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::pad', lines: call(inputArg(x), out) };
  }

  if (op === 'Resize') {
    const xs = sampleShape(x);
    if (xs.length < 1 || xs.length > 3) fail(node, `nearest resizing of ${xs.length}-axis samples (at most 3 axes per sample)`);
    const maps = xs.map((d, i) => {
      const m = P[`index_map_${i}`] as number[] | undefined;
      if (!m) fail(node, `the lowering gave no 'index_map_${i}' parameter`);
      return m;
    });
    const f = xs.map((d, i) => ys[i] / d);
    const floorMaps = maps.every((m, i) => Number.isInteger(f[i]) && m.every((v, j) => v === Math.floor(j / f[i])));
    const nhwc = (xs.length === 3 || xs.length === 2) && f[f.length - 1] === 1 && floorMaps;
    if (nhwc && (stream || node.attrs['layout'] === 'NHWC' || xs.length >= 2)) {
      const twoD = xs.length === 3;
      b.configs.push(struct(cfg, 'nnet::upsample_config', {
        in_height: twoD ? xs[0] : 1, in_width: xs[xs.length - 2], n_chan: xs[xs.length - 1], scale_height: twoD ? f[0] : 1, scale_width: f[f.length - 2],
      }));
      if (stream) return { cppKernel: 'nnet::upsample_stream', lines: parallelCall(`nnet::upsample_stream<${beat(x)}, ${beat(y)}, ${cfg}>`, [inputArg(x), out]) };
      return { cppKernel: 'nnet::upsample', lines: parallelCall(`nnet::upsample<${xT}, ${yT}, ${cfg}>`, [inputArg(x), out]) };
    }
    const pad3 = <T,>(a: T[], v: T): T[] => [...new Array<T>(3 - a.length).fill(v), ...a];
    const d = pad3(ys, 1), e = pad3(xs, 1);
    const m3 = pad3(maps, [0]);
    const names = m3.map((m, i) => {
      const n = nodeConstName(node, `map${i}`);
      b.indexMaps.push(`static const unsigned ${n}[${m.length}] = {${m.join(', ')}};`);
      return n;
    });
    b.configs.push(struct(cfg, 'nnet::resize_config', { n_out: prod(ys), d0: d[0], d1: d[1], d2: d[2], e1: e[1], e2: e[2] }));
    const call = (i: string, o: string): string[] => parallelCall(`nnet::resize_nearest<${xT}, ${yT}, ${cfg}>`, [i, o, ...names]);
    if (stream) return { cppKernel: 'nnet::resize_nearest (buffered)', lines: buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::resize_nearest', lines: call(inputArg(x), out) };
  }

  if (op === 'Rescale') {
    // nnet_rescale.h: codes of 1/scale, scale and the zero points are the lowering's.
    const inv = b.nodeConst(node, 'inv_scale', role('inv_scale'), P['inv_scale_codes'] as number[]);
    const S = b.constant(l.inputs[1], 'scale');
    const Z = b.nodeConst(node, 'zero_point', role('zero_point'), P['zero_point_codes'] as number[]);
    const rounding = ['ROUND', 'CEIL', 'FLOOR', 'UP', 'DOWN', 'HALF_UP', 'HALF_DOWN'].indexOf(String(P['rounding_mode'] ?? 'ROUND'));
    if (rounding < 0) fail(node, `unknown rounding mode ${String(P['rounding_mode'])}`);
    b.configs.push(struct(cfg, 'nnet::rescale_config', {
      n_in: num('n_in'), n_chan: num('n_chan', 1), inner: num('n_inner', num('n_in')), n_scale: (P['inv_scale_codes'] as number[]).length,
      n_zero: (P['zero_point_codes'] as number[]).length, rounding, zero_point_before_rounding: num('zero_point_before_rounding', 0) === 1,
      prod_frac: num('prod_frac'), q_lower_bound: num('q_min'), q_upper_bound: num('q_max'), reuse_factor: hls.reuseFactor,
      inv_scale_t: inv.typeName, scale_t: S.typeName, zero_t: Z.typeName,
    }));
    const fn = `nnet::rescale${stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: parallelCall(`${fn}<${stream ? beat(x) : xT}, ${stream ? beat(y) : yT}, ${cfg}>`, [inputArg(x), out, inv.name, S.name, Z.name]) };
  }

  if (op === 'Softmax') {
    const argmax = hls.kernel.includes('argmax');
    const entries: Record<string, number | boolean | string> = { n_in: num('n_in'), n_rows: num('n_rows', 1) };
    let extra: string[] = [];
    if (!argmax) {
      const e = b.table(node, hls, 'exp_table'), f = b.table(node, hls, 'exp_fine'), v = b.table(node, hls, 'inv_table');
      const expT = hls.tables!['exp_table'], invT = hls.tables!['inv_table'];
      const sumT = role('exp_sum');
      const grow = Math.ceil(Math.log2(num('n_in') + 1));
      // Two-level exp (docs/design/vitis-backend.md, "Softmax"): the split of t = max - x is the lowering's.
      Object.assign(entries, tableIndexFields('inv_table', invT, fracBits(sumT)), {
        exp_table_size: expT.size, exp_shift: num('exp_shift'), exp_fine_shift: num('exp_fine_shift'), exp_fine_size: hls.tables!['exp_fine'].size,
        exp_t_max: num('exp_t_max'),
        exp_table_t: e.typeName, exp_fine_t: f.typeName, inv_table_t: v.typeName, exp_sum_t: roleType('exp_sum'),
        exp_acc_t: fixedCpp({ signed: false, width: expT.type.width + grow, integer: expT.type.integer + grow, rounding: 'TRN', overflow: 'WRAP' }),
      });
      extra = [e.name, f.name, v.name];
    }
    b.configs.push(struct(cfg, 'nnet::softmax_config', entries));
    const fn = `nnet::softmax_${argmax ? 'argmax' : 'stable'}${stream ? '_stream' : ''}`;
    return { cppKernel: fn, lines: parallelCall(`${fn}<${stream ? beat(x) : xT}, ${stream ? beat(y) : yT}, ${cfg}>`, [inputArg(x), out, ...extra]) };
  }

  if (op === 'LayerNormalization') {
    const n = num('n_in');
    const invNType: FixedType = { signed: false, width: 32, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' };
    const invN = b.nodeConst(node, 'inv_n', invNType, quantizeCodes([1 / n], invNType));
    const t = b.table(node, hls, 'table');
    const acc = role('accum');
    const G = b.constant(l.inputs[1], 'gamma');
    const betaT = node.inputs[2] ? b.graph.tensor(node.inputs[2]) : undefined;
    const Bt = betaT ? b.constant(betaT, 'beta') : G;
    b.configs.push(struct(cfg, 'nnet::layernorm_config', {
      n_in: n, n_rows: num('n_rows', 1), has_bias: !!betaT, ...tableIndexFields('table', hls.tables!['table'], fracBits(acc)),
      accum_t: roleType('accum'), inv_n_t: invN.typeName, table_t: t.typeName, scale_t: G.typeName, shift_t: Bt.typeName,
    }));
    const call = (i: string, o: string): string[] => parallelCall(`nnet::layernorm<${xT}, ${yT}, ${cfg}>`, [i, o, invN.name, t.name, G.name, Bt.name]);
    if (stream) return { cppKernel: 'nnet::layernorm (buffered)', lines: buffered((ins, o) => call(ins[0], o)) };
    return { cppKernel: 'nnet::layernorm', lines: call(inputArg(x), out) };
  }

  fail(node, `no C++ kernel in the firmflow library implements op ${op} (lowered kernel '${hls.kernel}')`);
}

/** inv_count[n] = scale(1/n) codes: the lowering's, else quantized here by the same rule. */
function invCounts(node: IRNode, P: HlsLayer['params'], taps: number, scale: FixedType): number[] {
  const given = P['inv_count_codes'] ?? P['inv_count'];
  if (Array.isArray(given) && given.length >= taps + 1) return given.slice(0, taps + 1);
  const v = new Float64Array(taps + 1);
  for (let c = 1; c <= taps; c++) v[c] = 1 / c;
  const codes = Array.from(quantizeCodes(v, scale));
  codes[0] = 0;
  void node;
  return codes;
}

function port(b: Builder, p: { name: string; tensor: Tensor; precision: FixedType; shape: number[] }): Port {
  const typeN = b.act(p.tensor);
  const info = b.stream ? b.streamInfo(p.tensor) : undefined;
  return {
    name: p.name, arg: actName(p.tensor), tensor: p.tensor, typeName: typeN, type: p.precision, shape: p.shape, size: prod(p.shape),
    ...(info ? { beat: { name: beatName(p.tensor), pack: info.pack, beats: info.beats } } : {}),
  };
}

const formatType = (t: FixedType): string => fixedCpp(t);

/** The whole project model of a lowered graph. */
export function buildProjectModel(graph: Graph, projectName: string): ProjectModel {
  const lg = readLoweredGraph(graph);
  const b = new Builder(lg, graph);
  const inputs = lg.inputs.map((p) => port(b, p));
  const outputs = lg.outputs.map((p) => port(b, p));
  const portTensors = new Set([...inputs, ...outputs].map((p) => p.tensor.name));
  if (b.stream) b.planStreams();
  for (const l of lg.layers) {
    if (!b.stream) for (const t of l.outputs) if (!portTensors.has(t.name)) b.declareParallelActivation(t);
  }
  if (b.stream) for (const p of lg.inputs) b.afterProducer(p.tensor);
  for (const l of lg.layers) {
    const e = emitLayer(b, l);
    b.body.push(`  // ${l.node.op} '${(l.node.origin?.name || l.node.name).replace(/[^\x20-\x7e]|\*\//g, '?')}' (${l.hls.kernel})`);
    b.body.push(...e.lines);
    if (b.stream) for (const t of l.outputs) b.afterProducer(t);
    b.layers.push({
      index: l.hls.index, name: l.hls.layerName, node: l.node.name, op: l.node.op, kernel: l.hls.kernel, cppKernel: e.cppKernel,
      reuseFactor: l.hls.reuseFactor, strategy: l.hls.strategy, io: l.hls.io,
      inputs: l.inputs.map((t) => t.name), outputs: l.outputs.map((t) => t.name),
      types: Object.fromEntries(Object.entries(l.hls.types).map(([k, v]) => [k, formatType(v)])),
    });
  }
  return { name: projectName, io: lg.info.io, typedefs: b.typedefs, consts: b.consts, configs: b.configs, indexMaps: b.indexMaps, body: b.body, inputs, outputs, layers: b.layers, lowered: lg };
}
