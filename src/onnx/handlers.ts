import type { Graph, IRNode, Tensor } from '../ir/graph.js';
import type { Attrs, AttrValue, DType, Dim, TensorData } from '../ir/types.js';

export type AttrType = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor';

export interface AttrSpec {
  type: AttrType;
  /** Value when the node does not set it. Omitted with `required: false` means "absent is allowed". */
  default?: AttrValue;
  required?: boolean;
}

export interface InputSpec {
  name: string;
  optional?: boolean;
  /** Takes any number of tensors (Concat, Sum ...); only the last input may be variadic. */
  variadic?: boolean;
  /** Must be a constant once shape-computing subgraphs are folded (weights, shapes, axes). */
  constant?: boolean;
}

/** The default ONNX domain, as it appears in models ('' or 'ai.onnx'). */
export const DEFAULT_DOMAIN = '';

/** A node as a handler sees it: attributes decoded and defaulted, opset resolved. */
export interface OnnxNode {
  /** Node name, or `<op>_<index>` when the model leaves it empty. */
  name: string;
  op: string;
  domain: string;
  /** The model's opset version for this node's domain. */
  opset: number;
  /** Position in the model's node list. */
  index: number;
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
  /** Attribute tensors (type TENSOR), decoded. */
  tensorAttrs: Record<string, { dims: number[]; dtype: DType; data: TensorData }>;
}

/**
 * What a handler can do while lowering one ONNX node into IR. Tensors are looked up by their ONNX names;
 * outputs of emitted nodes get shapes from the IR op definitions, and nodes whose inputs are all constant
 * fold to constants right away (so shape-computing subgraphs vanish).
 */
export interface LowerContext {
  readonly graph: Graph;
  readonly node: OnnxNode;
  /** The IR tensor an ONNX value currently maps to. */
  tensor(onnxName: string): Tensor;
  /** Constant data of an input, or undefined if it is not constant. */
  constant(onnxName: string): TensorData | undefined;
  /** Values of a constant input as numbers; error naming the input if it is not constant. */
  constantValues(onnxName: string, what: string): number[];
  /**
   * Symbolic value of a small integer tensor (e.g. a Shape output whose batch entry is 'N'), from
   * `setSymbolic` or from constant data.
   */
  symbolic(onnxName: string): Dim[] | undefined;
  /** Records the symbolic value of an output (shape arithmetic on a dynamic batch). */
  setSymbolic(onnxName: string, value: Dim[]): void;
  /**
   * Adds an IR node. `inputs` are IR tensor names (from `tensor(x).name` or `temp`); `outputs` are ONNX
   * output names of this node or names from `temp()`. Returns the node, or undefined if it folded to constants.
   */
  emit(op: string, inputs: string[], outputs: string[], attrs?: Attrs): IRNode | undefined;
  /** A fresh IR tensor name for an intermediate value of this node's lowering. */
  temp(hint: string): string;
  /** Defines an ONNX output as a constant (dtype defaults to the storage type of `data`). */
  defineConstant(onnxName: string, shape: number[], data: TensorData, dtype?: DType): void;
  /**
   * Refuses (naming this node) a constant of `elements` values of `dtype` beyond the constant-folding budget;
   * handlers that fill constants themselves call it before allocating.
   */
  checkFoldSize(elements: number, dtype: DType): void;
  /** Makes an ONNX output another name for an existing IR tensor (Identity, Dropout, no-op casts). */
  alias(onnxName: string, irTensor: string): void;
  /** A FirmflowError naming this node. */
  fail(message: string): never;
}

export interface OpHandler {
  op: string;
  /** Domains this handler serves; default: the ONNX default domain. */
  domains?: string[];
  /** Inclusive range of opset versions of the node's domain this handler understands. */
  opsets: [number, number];
  inputs: InputSpec[];
  /** Declared attributes; a node attribute not listed here is reported as unsupported. */
  attributes: Record<string, AttrSpec>;
  /** Outputs the handler produces (extra outputs such as Dropout's mask must be unused). */
  outputs?: number;
  /**
   * Checks that need only the node itself (attribute values, opset). Returns reasons the node is
   * unsupported; all reasons of all nodes are reported together before any lowering.
   */
  validate?(node: OnnxNode): string[];
  /** Lowers the node into IR through `ctx`. */
  lower(ctx: LowerContext): void;
  /** Shown by `firmflow inspect`. */
  summary?: string;
}

const handlers = new Map<string, { handler: OpHandler; source: string }>();

function key(domain: string, op: string): string {
  return `${normalizeDomain(domain)}::${op}`;
}

export function normalizeDomain(domain: string | undefined): string {
  return !domain || domain === 'ai.onnx' ? DEFAULT_DOMAIN : domain;
}

/** Registers an ONNX op handler (built-ins, users and plugins alike). */
export function registerOpHandler(handler: OpHandler, source = 'firmflow'): void {
  const domains = handler.domains ?? [DEFAULT_DOMAIN];
  for (const d of domains) {
    const prev = handlers.get(key(d, handler.op));
    if (prev) {
      throw new Error(`ONNX op handler for ${handler.op}${d ? ` (domain ${d})` : ''} from ${source} conflicts with the one from ${prev.source}`);
    }
  }
  for (const d of domains) handlers.set(key(d, handler.op), { handler, source });
}

export function getOpHandler(domain: string, op: string): OpHandler | undefined {
  return handlers.get(key(domain, op))?.handler;
}

export function listOpHandlers(): { domain: string; op: string; opsets: [number, number]; source: string }[] {
  return [...handlers.entries()].map(([k, v]) => ({ domain: k.split('::')[0], op: v.handler.op, opsets: v.handler.opsets, source: v.source }));
}

