import { closeSync, fstatSync, readSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { describeNode, FirmflowError, isProgrammingError, quoted } from '../errors.js';
import { dtypeOfData, Graph, type IRNode, type Tensor } from '../ir/graph.js';
import { getIROp, type RtTensor } from '../ir/ops.js';
import type { Attrs, AttrValue, Dim, DType, Shape, TensorData } from '../ir/types.js';
import { formatShape } from '../ir/types.js';
import { DEFAULT_DOMAIN, getOpHandler, normalizeDomain, type AttrSpec, type LowerContext, type OnnxNode, type OpHandler } from './handlers.js';
import { AttributeType, decodeModel, startsLikeModel, toNum, type AttributeMsg, type GraphMsg, type ModelMsg, type NodeMsg, type ValueInfoMsg } from './proto.js';
import { foldOverBudget, resolveLimits } from './limits.js';
import { bytesPerElement, checkedElementCount, checkFinite, decodeTensor, openRegularFile, ONNX_DTYPE_NAMES, ONNX_DTYPES, toFloat64, toNumberArray, type TensorLimits, type TensorReadContext } from './tensor.js';
import { ensureBuiltinOps } from './ops/index.js';

export interface LoadOptions {
  /** Name used in messages (default: the file name, or 'model' for bytes). */
  source?: string;
  /** Folder for external data when the model is given as bytes. */
  baseDir?: string;
  limits?: Partial<TensorLimits>;
  /** Fixes input shapes (by graph input name), e.g. to replace a dynamic non-batch dimension. */
  inputShapes?: Record<string, Dim[]>;
  /** Fold nodes whose inputs are all constant while loading (default true). */
  foldConstants?: boolean;
}

/** One unsupported thing about one node, as reported in the combined error. */
export interface UnsupportedItem {
  node: string;
  op: string;
  domain: string;
  index: number;
  reason: string;
}

export const MIN_DEFAULT_OPSET = 6;

/** Reads an ONNX model (path or bytes) into a fresh IR graph, before any optimization. */
export function loadModel(model: string | Uint8Array, options: LoadOptions = {}): Graph {
  ensureBuiltinOps();
  let bytes: Uint8Array;
  let source = options.source;
  let baseDir = options.baseDir;
  const limits = resolveLimits(options.limits);
  if (typeof model === 'string') {
    const path = resolve(model);
    source ??= basename(path);
    bytes = readModelFile(path, model, source, limits.maxModelBytes);
    baseDir ??= dirname(path);
  } else {
    bytes = model;
    source ??= 'model';
  }
  const msg = decodeModel(bytes, source);
  return new Frontend(msg, { source, baseDir, limits }, options).run();
}

/**
 * Reads a model file within the size budget, refusing what is not a regular file (a pipe would block) and what
 * does not start like an ONNX model before reading the rest.
 */
function readModelFile(path: string, shown: string, source: string, maxBytes: number): Uint8Array {
  const fd = openRegularFile(path, (why) => `${shown}: cannot read the model file (${why})`, 'onnx.file');
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new FirmflowError('onnx.size', `${source}: the file has ${size} bytes, more than the model size limit of ${maxBytes} (FIRMFLOW_MAX_MODEL_BYTES)`);
    const bytes = new Uint8Array(size);
    let got = 0;
    while (got < size) {
      const r = readSync(fd, bytes, got, Math.min(size - got, got === 0 ? 16 : 1 << 24), got);
      if (r <= 0) break;
      if (got === 0 && !startsLikeModel(bytes)) {
        throw new FirmflowError('onnx.decode', `${source}: not an ONNX model (its first bytes are not the start of an ONNX ModelProto)`);
      }
      got += r;
    }
    return bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

class Frontend {
  private readonly graph: Graph;
  private readonly opsets = new Map<string, number>();
  /** ONNX value name -> IR tensor name. */
  private readonly names = new Map<string, string>();
  private readonly symbolics = new Map<string, Dim[]>();
  private readonly g: GraphMsg;

  constructor(private readonly model: ModelMsg, private readonly tctx: TensorReadContext, private readonly options: LoadOptions) {
    this.g = model.graph!;
    this.graph = new Graph(this.g.name || basename(tctx.source).replace(/\.onnx$/i, '') || 'model');
  }

  run(): Graph {
    this.readOpsets();
    this.graph.meta = {
      source: this.tctx.source,
      irVersion: toNum(this.model.ir_version),
      opsets: Object.fromEntries(this.opsets),
      producer: [this.model.producer_name, this.model.producer_version].filter(Boolean).join(' '),
    };
    const views = this.nodeViews();
    this.checkSupport(views);
    this.readInitializers();
    this.readInputs();
    const order = this.sortNodes(views);
    for (const v of order) this.lowerNode(v);
    this.readOutputs();
    this.graph.removeDeadCode();
    return this.graph;
  }

  // ------------------------------------------------------------------ model-level

  private readOpsets(): void {
    for (const o of this.model.opset_import ?? []) this.opsets.set(normalizeDomain(o.domain), toNum(o.version));
    // IR 3 models without an opset_import for the default domain predate opset versioning: treat as opset 1.
    const def = this.opsets.get(DEFAULT_DOMAIN);
    if (def === undefined) this.opsets.set(DEFAULT_DOMAIN, this.model.opset_import?.length ? MIN_DEFAULT_OPSET : 1);
    const v = this.opsets.get(DEFAULT_DOMAIN)!;
    if (v < MIN_DEFAULT_OPSET) {
      throw new FirmflowError('onnx.opset', `${this.tctx.source}: default-domain opset ${v} is not supported (firmflow reads opset ${MIN_DEFAULT_OPSET} and later)`);
    }
  }

  private nodeViews(): { view: OnnxNode; msg: NodeMsg; handler?: OpHandler; problems: string[] }[] {
    return (this.g.node ?? []).map((msg, index) => {
      const op = msg.op_type ?? '';
      const domain = normalizeDomain(msg.domain);
      const name = msg.name || `${op || 'node'}_${index}`;
      const problems: string[] = [];
      const view: OnnxNode = {
        name, op, domain, index, opset: this.opsets.get(domain) ?? 1,
        inputs: [...(msg.input ?? [])], outputs: [...(msg.output ?? [])], attrs: {}, tensorAttrs: {},
      };
      const handler = getOpHandler(domain, op);
      if (!handler) {
        problems.push(this.opsets.has(domain) || domain === DEFAULT_DOMAIN ? 'operator not supported' : `operator not supported (domain ${quoted(domain)} is not imported by the model either)`);
        return { view, msg, handler, problems };
      }
      const [lo, hi] = handler.opsets;
      if (view.opset < lo || view.opset > hi) {
        problems.push(`opset ${view.opset} of domain ${quoted(domain || 'ai.onnx')} is outside the versions firmflow understands for ${op} (${lo}..${hi})`);
      }
      this.readAttributes(view, msg.attribute ?? [], handler, problems);
      if (problems.length === 0 && handler.validate) {
        try {
          problems.push(...handler.validate(view));
        } catch (e) {
          if (isProgrammingError(e)) throw e;
          problems.push((e as Error).message);
        }
      }
      return { view, msg, handler, problems };
    });
  }

  private readAttributes(view: OnnxNode, attrs: AttributeMsg[], handler: OpHandler, problems: string[]): void {
    const seen = new Set<string>();
    for (const a of attrs) {
      const aname = a.name ?? '';
      seen.add(aname);
      const spec = handler.attributes[aname];
      if (!spec) { problems.push(`attribute ${quoted(aname)} is not supported`); continue; }
      if (a.ref_attr_name) { problems.push(`attribute ${quoted(aname)} refers to a function attribute, which is not supported`); continue; }
      try {
        const v = this.attributeValue(a, spec, view);
        if (v !== undefined) view.attrs[aname] = v;
      } catch (e) {
        if (isProgrammingError(e)) throw e;
        problems.push(`attribute ${quoted(aname)}: ${(e as Error).message}`);
      }
    }
    for (const [aname, spec] of Object.entries(handler.attributes)) {
      if (seen.has(aname)) continue;
      if (spec.required) problems.push(`required attribute ${quoted(aname)} is missing`);
      else if (spec.default !== undefined) view.attrs[aname] = structuredClone(spec.default);
    }
  }

  private attributeValue(a: AttributeMsg, spec: AttrSpec, view: OnnxNode): AttrValue | undefined {
    const dec = (b: Uint8Array) => Buffer.from(b).toString('utf8');
    let type = a.type ?? 0;
    if (type === AttributeType.UNDEFINED) {
      // Very old exporters leave the type unset: infer it from which field is present.
      if (a.ints?.length) type = AttributeType.INTS;
      else if (a.floats?.length) type = AttributeType.FLOATS;
      else if (a.strings?.length) type = AttributeType.STRINGS;
      else if (a.t) type = AttributeType.TENSOR;
      else if (a.s?.length) type = AttributeType.STRING;
      else if (a.f !== undefined && a.f !== 0) type = AttributeType.FLOAT;
      else type = spec.type === 'float' ? AttributeType.FLOAT : AttributeType.INT;
    }
    const want: Record<AttrSpec['type'], number> = {
      int: AttributeType.INT, float: AttributeType.FLOAT, string: AttributeType.STRING, ints: AttributeType.INTS,
      floats: AttributeType.FLOATS, strings: AttributeType.STRINGS, tensor: AttributeType.TENSOR,
    };
    // An int where a float is declared (and empty lists of either kind) are common in exports and harmless.
    if (spec.type === 'float' && type === AttributeType.INT) return toNum(a.i);
    if (spec.type === 'floats' && type === AttributeType.INTS) return (a.ints ?? []).map(toNum);
    if (type !== want[spec.type]) throw new Error(`expected type ${spec.type}, got attribute type ${type}`);
    switch (spec.type) {
      case 'int': return toNum(a.i);
      case 'float': return a.f ?? 0;
      case 'string': return dec(a.s ?? new Uint8Array());
      case 'ints': return (a.ints ?? []).map(toNum);
      case 'floats': return [...(a.floats ?? [])];
      case 'strings': return (a.strings ?? []).map(dec);
      case 'tensor': {
        const t = decodeTensor(a.t!, this.tctx, `attribute ${quoted(a.name)} of ${describeNode(view.name, view.op, view.domain, view.index)}`);
        view.tensorAttrs[a.name ?? ''] = { dims: t.dims, dtype: t.dtype, data: t.data };
        return undefined;
      }
    }
  }

  /** Everything unsupported (ops, versions, attributes, missing inputs) in one error. */
  private checkSupport(views: { view: OnnxNode; problems: string[] }[]): void {
    const items: UnsupportedItem[] = [];
    for (const { view, problems } of views) {
      for (const reason of problems) items.push({ node: view.name, op: view.op, domain: view.domain || 'ai.onnx', index: view.index, reason });
    }
    if (items.length) {
      const nodes = new Set(items.map((i) => i.index)).size;
      const lines = items.map((i) => `  - ${describeNode(i.node, i.op, i.domain, i.index)}: ${i.reason}`);
      throw new FirmflowError('onnx.unsupported', `${this.tctx.source}: ${nodes} node(s) cannot be converted:\n${lines.join('\n')}`, items);
    }
  }

  private readInitializers(): void {
    for (const init of this.g.initializer ?? []) {
      const name = init.name ?? '';
      if (!name) throw new FirmflowError('onnx.tensor', `${this.tctx.source}: an initializer has no name`);
      if (this.names.has(name)) throw new FirmflowError('onnx.tensor', `${this.tctx.source}: initializer ${quoted(name)} is defined twice`);
      const t = decodeTensor(init, this.tctx, `initializer ${quoted(name)}`);
      checkFinite(t.data, t.dims, `initializer ${quoted(name)}`, this.tctx.source);
      this.graph.addTensor({ name, shape: t.dims, dtype: t.dtype, data: t.data });
      this.names.set(name, name);
    }
    if (this.g.sparse_initializer?.length) {
      throw new FirmflowError('onnx.tensor', `${this.tctx.source}: sparse initializers are not supported`);
    }
  }

  private readInputs(): void {
    for (const vi of this.g.input ?? []) {
      const name = vi.name ?? '';
      // IR < 4 models also list initializers as inputs; those are constants, not inputs.
      if (this.names.has(name)) continue;
      const { shape, dtype } = this.valueType(vi, 'graph input');
      const override = this.options.inputShapes?.[name];
      const finalShape = override ? [...override] : shape;
      finalShape.forEach((d, axis) => {
        if (typeof d === 'string' && axis !== 0) {
          throw new FirmflowError(
            'onnx.dynamic',
            `${this.tctx.source}: graph input ${quoted(name)} has dynamic dimension ${quoted(d)} at axis ${axis} of ${formatShape(finalShape)}; only the batch axis (0) may be dynamic. Fix it with inputShapes (--input-shape ${name}=...).`,
          );
        }
      });
      checkedElementCount(finalShape.map((d) => (typeof d === 'number' ? d : 1)), `graph input ${quoted(name)}`, this.tctx);
      this.graph.addTensor({ name, shape: finalShape, dtype });
      this.graph.inputs.push({ name, tensor: name });
      this.names.set(name, name);
    }
  }

  private valueType(vi: ValueInfoMsg, what: string): { shape: Shape; dtype: DType } {
    const name = vi.name ?? '';
    const tt = vi.type?.tensor_type;
    if (!tt) throw new FirmflowError('onnx.type', `${this.tctx.source}: ${what} ${quoted(name)} is not a tensor (sequences, maps and optionals are not supported)`);
    const code = tt.elem_type ?? 0;
    const dtype = ONNX_DTYPES[code];
    if (!dtype) throw new FirmflowError('onnx.dtype', `${this.tctx.source}: ${what} ${quoted(name)} has element type ${ONNX_DTYPE_NAMES[code] ?? code}, which firmflow does not read`);
    if (!tt.shape) throw new FirmflowError('onnx.shape', `${this.tctx.source}: ${what} ${quoted(name)} has no declared shape (its rank is unknown); give it with inputShapes`);
    const shape: Shape = (tt.shape.dim ?? []).map((d, axis) => {
      if (d.dim_param !== undefined && d.dim_param !== '') return d.dim_param;
      if (d.dim_value !== undefined && d.dim_value !== null) {
        const v = toNum(d.dim_value);
        if (v > 0) return v;
      }
      return axis === 0 ? 'N' : `${name}_dim${axis}`;
    });
    return { shape, dtype };
  }

  /** Kahn's algorithm over ONNX value names; exporters do not always emit nodes in order. */
  private sortNodes(views: { view: OnnxNode }[]): OnnxNode[] {
    const producers = new Map<string, number>();
    views.forEach(({ view }) => view.outputs.forEach((o) => {
      if (o === '') return;
      if (producers.has(o) || this.names.has(o)) {
        throw new FirmflowError('onnx.graph', `${this.tctx.source}: value ${quoted(o)} is produced twice (by ${describeNode(view.name, view.op, view.domain, view.index)} and another node or initializer)`);
      }
      producers.set(o, view.index);
    }));
    const missing: string[] = [];
    const indeg = new Array<number>(views.length).fill(0);
    const users = new Map<number, number[]>();
    for (const { view } of views) {
      for (const i of view.inputs) {
        if (i === '') continue;
        const p = producers.get(i);
        if (p !== undefined) {
          indeg[view.index]++;
          if (!users.has(p)) users.set(p, []);
          users.get(p)!.push(view.index);
        } else if (!this.names.has(i)) {
          missing.push(`${describeNode(view.name, view.op, view.domain, view.index)} reads ${quoted(i)}, which is no graph input, initializer or node output`);
        }
      }
    }
    if (missing.length) {
      throw new FirmflowError('onnx.missing', `${this.tctx.source}: ${missing.length} input(s) are missing (an initializer may have been dropped):\n  - ${missing.join('\n  - ')}`, missing);
    }
    const queue = views.map((v) => v.view.index).filter((i) => indeg[i] === 0);
    const order: OnnxNode[] = [];
    for (let q = 0; q < queue.length; q++) {
      const i = queue[q];
      order.push(views[i].view);
      for (const u of users.get(i) ?? []) if (--indeg[u] === 0) queue.push(u);
    }
    if (order.length !== views.length) {
      const stuck = views.filter((v) => indeg[v.view.index] > 0).map((v) => describeNode(v.view.name, v.view.op, v.view.domain, v.view.index));
      throw new FirmflowError('onnx.cycle', `${this.tctx.source}: the graph has a cycle; these nodes depend on each other: ${stuck.join(', ')}`, stuck);
    }
    return order;
  }

  private readOutputs(): void {
    for (const vi of this.g.output ?? []) {
      const name = vi.name ?? '';
      const ir = this.names.get(name);
      if (ir === undefined) throw new FirmflowError('onnx.missing', `${this.tctx.source}: graph output ${quoted(name)} is not produced by any node`);
      this.graph.outputs.push({ name, tensor: ir });
    }
    if (!this.graph.outputs.length) throw new FirmflowError('onnx.graph', `${this.tctx.source}: the graph declares no outputs`);
  }

  // ------------------------------------------------------------------ lowering

  private lowerNode(view: OnnxNode): void {
    const handler = getOpHandler(view.domain, view.op)!;
    const where = describeNode(view.name, view.op, view.domain, view.index);
    const fail = (message: string): never => {
      throw new FirmflowError('onnx.node', `${this.tctx.source}: ${where}: ${message}`, { node: view.name, op: view.op, domain: view.domain });
    };
    // Input arity and constness, as declared.
    const specs = handler.inputs;
    const variadic = specs.length > 0 && specs[specs.length - 1].variadic;
    const required = specs.filter((s) => !s.optional && !s.variadic).length;
    const present = view.inputs.length;
    if (present < required) fail(`expects at least ${required} input(s) (${specs.map((s) => s.name).join(', ')}), got ${present}`);
    if (!variadic && present > specs.length) fail(`expects at most ${specs.length} input(s), got ${present}`);
    view.inputs.forEach((input, k) => {
      const spec = specs[Math.min(k, specs.length - 1)];
      // '' marks an omitted optional input; anywhere else it is a broken graph, not something to look up.
      if (input === '' && (!spec.optional || spec.variadic)) fail(`input ${k + 1} (${spec.name}) is empty, but it is not optional`);
    });
    if ((handler.outputs ?? 1) < view.outputs.filter((o) => o !== '').length) {
      // Extra outputs (Dropout mask, BatchNormalization training outputs) are acceptable only if nobody reads them.
      const extra = view.outputs.slice(handler.outputs ?? 1).filter((o) => o !== '');
      const used = extra.filter((o) => (this.g.node ?? []).some((n) => (n.input ?? []).includes(o)) || (this.g.output ?? []).some((x) => x.name === o));
      if (used.length) fail(`output(s) ${used.map((o) => `${quoted(o)}`).join(', ')} are used, but only the first ${handler.outputs ?? 1} output(s) are supported`);
    }

    const graph = this.graph;
    const self = this;
    let emitted = 0;
    const ctx: LowerContext = {
      graph,
      node: view,
      tensor(onnxName: string): Tensor {
        const ir = self.names.get(onnxName);
        if (ir === undefined) return fail(`input ${quoted(onnxName)} is not defined`);
        return graph.tensor(ir);
      },
      constant(onnxName: string): TensorData | undefined {
        const ir = self.names.get(onnxName);
        return ir === undefined ? undefined : graph.tensors.get(ir)?.data;
      },
      constantValues(onnxName: string, what: string): number[] {
        const d = this.constant(onnxName);
        if (!d) return fail(`${what} (${quoted(onnxName)}) must be a constant (an initializer or computable from initializers and static shapes)`);
        return toNumberArray(d);
      },
      symbolic(onnxName: string): Dim[] | undefined {
        const s = self.symbolics.get(onnxName);
        if (s) return s;
        const d = this.constant(onnxName);
        return d && d.length <= 64 ? toNumberArray(d) : undefined;
      },
      setSymbolic(onnxName: string, value: Dim[]): void {
        self.symbolics.set(onnxName, value);
      },
      temp(hint: string): string {
        return graph.freshTensorName(`${view.name}_${hint}`);
      },
      emit(op: string, inputs: string[], outputs: string[], attrs: Attrs = {}): IRNode | undefined {
        const def = getIROp(op);
        if (!def) throw new Error(`handler for ${view.op} emitted IR op ${quoted(op)}, which has no definition`);
        const inTensors = inputs.map((t) => (t === '' ? undefined : graph.tensor(t)));
        const stub = { name: view.name, id: view.name, op, attrs, inputs, outputs, meta: {} } as IRNode;
        let inferred;
        try {
          inferred = def.inferShape(stub, inTensors, graph);
        } catch (e) {
          if (e instanceof FirmflowError || isProgrammingError(e)) throw e;
          return fail((e as Error).message);
        }
        const irOut = outputs.map((o) => (o === '' ? '' : self.outputName(o, view)));
        const foldable = self.options.foldConstants !== false && def.evaluate && inTensors.every((t) => t === undefined || t.data !== undefined);
        if (foldable) {
          inferred.forEach((t) => ctx.checkFoldSize(t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1), t.dtype));
          let results: RtTensor[];
          try {
            results = def.evaluate!(stub, inTensors.map((t) => (t ? { shape: t.shape as number[], data: toFloat64(t.data!) } : undefined)), { float32: false });
          } catch (e) {
            if (isProgrammingError(e)) throw e;
            return fail(`constant folding failed: ${(e as Error).message}`);
          }
          irOut.forEach((o, i) => {
            if (o === '') return;
            checkFinite(results[i].data, results[i].shape, `the constant ${quoted(view.outputs[i] ?? o)} computed by ${where}`, self.tctx.source);
            graph.addTensor({ name: o, shape: results[i].shape, dtype: inferred[i].dtype, data: fromFloat64(inferred[i].dtype, results[i].data) });
          });
          return undefined;
        }
        irOut.forEach((o, i) => {
          if (o === '' || graph.hasTensor(o)) return;
          graph.addTensor({ name: o, shape: inferred[i].shape, dtype: inferred[i].dtype });
        });
        const nodeName = emitted++ === 0 ? view.name : `${view.name}_${op.toLowerCase()}`;
        return graph.addNode({ name: nodeName, op, attrs, inputs, outputs: irOut, origin: { op: view.op, name: view.name, domain: view.domain || undefined } });
      },
      defineConstant(onnxName: string, shape: number[], data: TensorData, dtype?: DType): void {
        const ir = self.outputName(onnxName, view);
        checkFinite(data, shape, `the constant ${quoted(onnxName)} of ${where}`, self.tctx.source);
        graph.addTensor({ name: ir, shape, data, dtype: dtype ?? dtypeOfData(data) });
      },
      checkFoldSize(elements: number, dtype: DType): void {
        const why = foldOverBudget(elements, bytesPerElement(dtype), self.tctx.limits);
        if (why) fail(`computing this constant would take ${why}; raise the budget if the model really needs it`);
      },
      alias(onnxName: string, irTensor: string): void {
        self.names.set(onnxName, irTensor);
        const s = self.symbolics.get(irTensor);
        if (s) self.symbolics.set(onnxName, s);
      },
      fail,
    };
    try {
      handler.lower(ctx);
    } catch (e) {
      if (e instanceof FirmflowError || isProgrammingError(e)) throw e;
      throw fail((e as Error).message);
    }
    for (const o of view.outputs.slice(0, handler.outputs ?? 1)) {
      if (o !== '' && !this.names.has(o)) fail(`lowering did not define output ${quoted(o)} (handler bug)`);
    }
  }

  /** IR tensor name for an ONNX output of `view` (registered in the name map), or a temp name passed through. */
  private outputName(name: string, view: OnnxNode): string {
    if (view.outputs.includes(name)) {
      if (!this.names.has(name)) this.names.set(name, name);
      return this.names.get(name)!;
    }
    return name;
  }
}

/** Stores interpreter results in the storage type of `dtype`. */
export function fromFloat64(dtype: DType, data: Float64Array): TensorData {
  switch (dtype) {
    case 'float32': case 'float16': case 'bfloat16': return Float32Array.from(data);
    case 'float64': return data;
    case 'int8': return Int8Array.from(data);
    case 'int16': return Int16Array.from(data);
    case 'int32': return Int32Array.from(data);
    // Exporters use INT64_MAX/MIN as "to the end" sentinels; as doubles they round to +-2^63, which must not wrap.
    case 'int64': return BigInt64Array.from(data, (v) => (v >= 2 ** 63 ? 0x7fffffffffffffffn : v <= -(2 ** 63) ? -0x8000000000000000n : BigInt(Math.trunc(v))));
    case 'uint8': case 'bool': return Uint8Array.from(data);
    case 'uint16': return Uint16Array.from(data);
    case 'uint32': return Uint32Array.from(data);
    case 'uint64': return BigUint64Array.from(data, (v) => BigInt(Math.trunc(v)));
  }
}
