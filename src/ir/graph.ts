import graphology from 'graphology';
import { hasCycle, topologicalSort } from 'graphology-dag';
import { FirmflowError, isProgrammingError } from '../errors.js';
import { IdentifierPool } from './names.js';
import type { AffineQuant, Attrs, Dim, DType, FixedType, Shape, TensorData } from './types.js';
import { formatShape } from './types.js';
import { getIROp } from './ops.js';

const { MultiDirectedGraph } = graphology as unknown as { MultiDirectedGraph: typeof graphology.MultiDirectedGraph };
type StructureGraph = InstanceType<typeof MultiDirectedGraph>;

/** A value flowing between nodes: activations, graph inputs, or constants (weights, biases, tables). */
export interface Tensor {
  /** Name as in the model (or as made by a pass); used in messages and as the lookup key. */
  name: string;
  /** Sanitized, unique C++ identifier, assigned at creation. */
  readonly id: string;
  shape: Shape;
  dtype: DType;
  /** Constant contents, row-major. Present only for constants. */
  data?: TensorData;
  /** Exact fixed-point type of the values (from quantizers or configuration). */
  precision?: FixedType;
  /** Affine quantization that is not a fixed-point type. */
  quant?: AffineQuant;
  /** Free-form annotations for passes and backends. */
  meta: Record<string, unknown>;
}

/** An operation. Inputs and outputs are tensor names; an absent optional input is ''. */
export interface IRNode {
  name: string;
  readonly id: string;
  op: string;
  attrs: Attrs;
  inputs: string[];
  outputs: string[];
  /** Where the node came from (ONNX op and node name), for messages. */
  origin?: { op: string; name: string; domain?: string };
  meta: Record<string, unknown>;
}

export interface TensorSpec {
  name: string;
  shape: Shape;
  dtype?: DType;
  data?: TensorData;
  precision?: FixedType;
  quant?: AffineQuant;
  meta?: Record<string, unknown>;
}

export interface NodeSpec {
  name?: string;
  op: string;
  attrs?: Attrs;
  inputs: string[];
  outputs: string[];
  origin?: IRNode['origin'];
  meta?: Record<string, unknown>;
}

/** A graph input or output: the name users see, and the tensor that carries it. */
export interface GraphPort {
  name: string;
  tensor: string;
}

/**
 * The graph IR. Structure (which node feeds which) is kept in a graphology multigraph so topological order and
 * cycle checks come from graphology-dag; node and tensor records are plain objects. All edits go through the
 * methods here so the structure never goes stale.
 */
export class Graph {
  name: string;
  readonly tensors = new Map<string, Tensor>();
  readonly nodes = new Map<string, IRNode>();
  inputs: GraphPort[] = [];
  outputs: GraphPort[] = [];
  /** Free-form model-level facts (opset, producer, layout ...). */
  meta: Record<string, unknown> = {};

  private readonly structure: StructureGraph = new MultiDirectedGraph();
  private readonly producerOf = new Map<string, string>();
  private readonly consumersOf = new Map<string, Set<string>>();
  private readonly tensorIds = new IdentifierPool();
  private readonly nodeIds = new IdentifierPool();
  private uniq = 0;

  constructor(name = 'model') {
    this.name = name;
  }

  // ---------------------------------------------------------------- tensors

  addTensor(spec: TensorSpec): Tensor {
    if (this.tensors.has(spec.name)) throw new Error(`tensor '${spec.name}' already exists`);
    const t: Tensor = {
      name: spec.name,
      id: this.tensorIds.claim(spec.name, 't'),
      shape: [...spec.shape],
      dtype: spec.dtype ?? 'float32',
      data: spec.data,
      precision: spec.precision,
      quant: spec.quant,
      meta: spec.meta ?? {},
    };
    this.tensors.set(t.name, t);
    return t;
  }

  /** Adds a constant tensor with a fresh name derived from `hint`. */
  addConstant(hint: string, shape: number[], data: TensorData, dtype?: DType): Tensor {
    return this.addTensor({ name: this.freshTensorName(hint), shape, data, dtype: dtype ?? dtypeOfData(data) });
  }

  tensor(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no tensor '${name}'`);
    return t;
  }

  hasTensor(name: string): boolean {
    return this.tensors.has(name);
  }

  isConstant(name: string): boolean {
    return this.tensors.get(name)?.data !== undefined;
  }

  freshTensorName(hint: string): string {
    let n = hint;
    while (this.tensors.has(n)) n = `${hint}_${++this.uniq}`;
    return n;
  }

  freshNodeName(hint: string): string {
    let n = hint;
    while (this.nodes.has(n)) n = `${hint}_${++this.uniq}`;
    return n;
  }

  removeTensor(name: string): void {
    if (this.producerOf.has(name) || (this.consumersOf.get(name)?.size ?? 0) > 0) {
      throw new Error(`tensor '${name}' is still in use`);
    }
    const t = this.tensors.get(name);
    if (t) this.tensorIds.release(t.id);
    this.tensors.delete(name);
  }

  producer(tensor: string): IRNode | undefined {
    const n = this.producerOf.get(tensor);
    return n === undefined ? undefined : this.nodes.get(n);
  }

  consumers(tensor: string): IRNode[] {
    const set = this.consumersOf.get(tensor);
    return set ? [...set].map((n) => this.nodes.get(n)!) : [];
  }

  isGraphInput(tensor: string): boolean {
    return this.inputs.some((p) => p.tensor === tensor);
  }

  isGraphOutput(tensor: string): boolean {
    return this.outputs.some((p) => p.tensor === tensor);
  }

  // ---------------------------------------------------------------- nodes

  addNode(spec: NodeSpec): IRNode {
    const name = spec.name !== undefined && !this.nodes.has(spec.name) ? spec.name : this.freshNodeName(spec.name ?? spec.op);
    for (const t of [...spec.inputs, ...spec.outputs]) {
      if (t !== '' && !this.tensors.has(t)) throw new Error(`node '${name}' (${spec.op}) refers to unknown tensor '${t}'`);
    }
    for (const t of spec.outputs) {
      const p = this.producerOf.get(t);
      if (p !== undefined) throw new Error(`tensor '${t}' already produced by node '${p}'`);
    }
    const node: IRNode = {
      name,
      id: this.nodeIds.claim(name, 'n'),
      op: spec.op,
      attrs: { ...(spec.attrs ?? {}) },
      inputs: [...spec.inputs],
      outputs: [...spec.outputs],
      origin: spec.origin,
      meta: spec.meta ?? {},
    };
    this.nodes.set(name, node);
    this.structure.addNode(name);
    for (const t of node.outputs) if (t !== '') this.producerOf.set(t, name);
    this.linkInputs(node);
    // A replacement node may write a tensor that readers already consume: connect them to it.
    for (const t of node.outputs) {
      if (t === '') continue;
      for (const c of this.consumersOf.get(t) ?? []) {
        this.nodes.get(c)!.inputs.forEach((i, k) => {
          const key = `${t}->${c}#${k}`;
          if (i === t && !this.structure.hasEdge(key)) this.structure.addEdgeWithKey(key, name, c);
        });
      }
    }
    return node;
  }

  node(name: string): IRNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node '${name}'`);
    return n;
  }

  /** Removes a node; its output tensors stay (without producer) unless `dropOutputs`. */
  removeNode(name: string, dropOutputs = true): void {
    const node = this.node(name);
    this.unlinkInputs(node);
    for (const t of node.outputs) {
      if (t !== '' && this.producerOf.get(t) === name) this.producerOf.delete(t);
    }
    this.structure.dropNode(name);
    this.nodes.delete(name);
    this.nodeIds.release(node.id);
    if (dropOutputs) {
      for (const t of node.outputs) {
        if (t !== '' && !(this.consumersOf.get(t)?.size) && !this.isGraphOutput(t)) this.removeTensor(t);
      }
    }
  }

  /** Replaces the input list of a node, keeping the structure current. */
  setInputs(node: IRNode, inputs: string[]): void {
    for (const t of inputs) if (t !== '' && !this.tensors.has(t)) throw new Error(`unknown tensor '${t}'`);
    this.unlinkInputs(node);
    node.inputs = [...inputs];
    this.linkInputs(node);
  }

  setInput(node: IRNode, index: number, tensor: string): void {
    const inputs = [...node.inputs];
    while (inputs.length <= index) inputs.push('');
    inputs[index] = tensor;
    this.setInputs(node, inputs);
  }

  /** Makes every consumer of `from` (and any graph output it feeds) read `to` instead. */
  replaceAllUses(from: string, to: string): void {
    if (from === to) return;
    for (const c of this.consumers(from)) this.setInputs(c, c.inputs.map((t) => (t === from ? to : t)));
    for (const p of this.outputs) if (p.tensor === from) p.tensor = to;
  }

  /**
   * Removes a node that passes input `inputIndex` through unchanged (Identity, Dropout, a no-op Reshape):
   * consumers of its first output read that input instead.
   */
  bypassNode(name: string, inputIndex = 0): void {
    const node = this.node(name);
    const src = node.inputs[inputIndex];
    const out = node.outputs[0];
    this.replaceAllUses(out, src);
    this.removeNode(name);
  }

  /**
   * Inserts a node on tensor `tensor`: the new node reads it and writes a fresh tensor, and every previous
   * consumer (and graph output) of `tensor` reads the fresh tensor instead. Returns the new node.
   */
  insertAfter(tensor: string, spec: Omit<NodeSpec, 'inputs' | 'outputs'> & { extraInputs?: string[]; shape?: Shape; dtype?: DType }): IRNode {
    const src = this.tensor(tensor);
    const oldConsumers = this.consumers(tensor);
    const out = this.addTensor({ name: this.freshTensorName(`${tensor}_${spec.op.toLowerCase()}`), shape: spec.shape ?? src.shape, dtype: spec.dtype ?? src.dtype });
    const node = this.addNode({ ...spec, inputs: [tensor, ...(spec.extraInputs ?? [])], outputs: [out.name] });
    for (const c of oldConsumers) this.setInputs(c, c.inputs.map((t) => (t === tensor ? out.name : t)));
    for (const p of this.outputs) if (p.tensor === tensor) p.tensor = out.name;
    return node;
  }

  /**
   * Replaces `name` by a sequence of nodes. The replacement must write the old node's outputs (it may reuse
   * them by name). Returns the new nodes.
   */
  replaceNode(name: string, specs: NodeSpec[]): IRNode[] {
    this.removeNode(name, false);
    return specs.map((s) => this.addNode(s));
  }

  /** Nodes in a deterministic topological order. Throws a FirmflowError naming the cycle's nodes. */
  topoOrder(): IRNode[] {
    if (hasCycle(this.structure)) {
      throw new FirmflowError('ir.cycle', `graph '${this.name}' has a cycle through nodes: ${this.findCycle().join(' -> ')}`);
    }
    return topologicalSort(this.structure).map((n: string) => this.nodes.get(n)!);
  }

  /** Removes nodes whose outputs reach no graph output, and tensors nobody uses. Returns how many nodes went. */
  removeDeadCode(): number {
    const live = new Set<string>();
    const stack = this.outputs.map((p) => p.tensor);
    const seenT = new Set<string>(stack);
    while (stack.length) {
      const t = stack.pop()!;
      const p = this.producerOf.get(t);
      if (p === undefined || live.has(p)) continue;
      live.add(p);
      for (const i of this.nodes.get(p)!.inputs) if (i !== '' && !seenT.has(i)) { seenT.add(i); stack.push(i); }
    }
    let removed = 0;
    for (const n of [...this.nodes.keys()]) if (!live.has(n)) { this.removeNode(n, false); removed++; }
    for (const [t] of this.tensors) {
      if (!this.producerOf.has(t) && !(this.consumersOf.get(t)?.size) && !this.isGraphOutput(t) && !this.isGraphInput(t)) this.removeTensor(t);
    }
    return removed;
  }

  /**
   * Checks the invariants every pass may rely on: the graph is acyclic, each tensor has at most one producer and
   * graph inputs/constants have none, every input of every node exists and is produced, an input or a constant, and
   * every stored shape matches its op's shape rule. Throws a FirmflowError listing every problem found.
   */
  verify(): void {
    const problems: string[] = [];
    for (const n of this.nodes.values()) {
      for (const t of n.inputs) {
        if (t === '') continue;
        const tensor = this.tensors.get(t);
        if (!tensor) { problems.push(`node '${n.name}' (${n.op}) reads missing tensor '${t}'`); continue; }
        if (!this.producerOf.has(t) && tensor.data === undefined && !this.isGraphInput(t)) {
          problems.push(`node '${n.name}' (${n.op}) reads '${t}', which has no producer, is no graph input and no constant`);
        }
      }
      for (const t of n.outputs) {
        if (t === '') continue;
        const tensor = this.tensors.get(t);
        if (!tensor) problems.push(`node '${n.name}' (${n.op}) writes missing tensor '${t}'`);
        else if (tensor.data !== undefined) problems.push(`node '${n.name}' (${n.op}) writes constant '${t}'`);
        if (this.isGraphInput(t)) problems.push(`node '${n.name}' (${n.op}) writes graph input '${t}'`);
      }
    }
    for (const p of this.outputs) {
      if (!this.tensors.has(p.tensor)) problems.push(`graph output '${p.name}' refers to missing tensor '${p.tensor}'`);
    }
    let order: IRNode[] = [];
    try {
      order = this.topoOrder();
    } catch (e) {
      problems.push((e as Error).message);
    }
    for (const n of order) {
      const def = getIROp(n.op);
      if (!def) { problems.push(`node '${n.name}' has op '${n.op}', which no IR op definition describes`); continue; }
      if (n.inputs.some((t) => t !== '' && !this.tensors.has(t))) continue;
      try {
        const inferred = def.inferShape(n, n.inputs.map((t) => (t === '' ? undefined : this.tensors.get(t)!)), this);
        inferred.forEach((s, i) => {
          const t = this.tensors.get(n.outputs[i]);
          if (t && !sameShape(t.shape, s.shape)) {
            problems.push(`node '${n.name}' (${n.op}) output '${t.name}' has shape ${formatShape(t.shape)} but its inputs give ${formatShape(s.shape)}`);
          }
        });
      } catch (e) {
        // A shape rule's own refusal is a problem of the model; a JavaScript error is a bug (exit 2), not bad input.
        if (isProgrammingError(e)) throw e;
        problems.push(`node '${n.name}' (${n.op}): ${(e as Error).message}`);
      }
    }
    if (problems.length) {
      throw new FirmflowError('ir.verify', `IR of '${this.name}' failed verification:\n  - ${problems.join('\n  - ')}`, problems);
    }
  }

  /** Deep copy; constant data buffers are shared (they are treated as immutable). */
  clone(): Graph {
    const g = new Graph(this.name);
    g.meta = structuredClone(this.meta);
    for (const t of this.tensors.values()) {
      const c = g.addTensor({ ...t, shape: [...t.shape], meta: structuredClone(t.meta) });
      // Keep the identifier the original was given, so generated code from a clone matches.
      (c as { id: string }).id = t.id;
    }
    for (const n of this.nodes.values()) {
      const c = g.addNode({ name: n.name, op: n.op, attrs: structuredClone(n.attrs), inputs: n.inputs, outputs: n.outputs, origin: n.origin, meta: structuredClone(n.meta) });
      (c as { id: string }).id = n.id;
    }
    g.inputs = this.inputs.map((p) => ({ ...p }));
    g.outputs = this.outputs.map((p) => ({ ...p }));
    for (const t of this.tensors.values()) g.tensorIds.claim(t.id);
    for (const n of this.nodes.values()) g.nodeIds.claim(n.id);
    return g;
  }

  /** Number of constant parameters (elements of constants read by nodes). */
  parameterCount(): number {
    let n = 0;
    for (const t of this.tensors.values()) if (t.data && this.consumersOf.get(t.name)?.size) n += t.data.length;
    return n;
  }

  // ---------------------------------------------------------------- internals

  private linkInputs(node: IRNode): void {
    node.inputs.forEach((t, i) => {
      if (t === '') return;
      let set = this.consumersOf.get(t);
      if (!set) this.consumersOf.set(t, (set = new Set()));
      set.add(node.name);
      const p = this.producerOf.get(t);
      if (p !== undefined) this.structure.addEdgeWithKey(`${t}->${node.name}#${i}`, p, node.name);
    });
  }

  private unlinkInputs(node: IRNode): void {
    node.inputs.forEach((t, i) => {
      if (t === '') return;
      this.consumersOf.get(t)?.delete(node.name);
      const key = `${t}->${node.name}#${i}`;
      if (this.structure.hasEdge(key)) this.structure.dropEdge(key);
    });
  }

  private findCycle(): string[] {
    const state = new Map<string, number>();
    const path: string[] = [];
    let found: string[] = [];
    const visit = (n: string): boolean => {
      state.set(n, 1);
      path.push(n);
      for (const m of this.structure.outNeighbors(n)) {
        if (state.get(m) === 1) { found = [...path.slice(path.indexOf(m)), m]; return true; }
        if (!state.has(m) && visit(m)) return true;
      }
      path.pop();
      state.set(n, 2);
      return false;
    };
    for (const n of this.structure.nodes()) if (!state.has(n) && visit(n)) break;
    return found;
  }
}

export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function dtypeOfData(data: TensorData): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  return 'uint64';
}
