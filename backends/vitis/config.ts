/*
 * Per-layer HLS configuration of the Vitis/Vivado backend, resolved from the conversion options and the
 * hls4ml-style `Model` / `LayerType` / `LayerName` sections (docs/design/vitis-backend.md, "Configuration").
 *
 * Resolution order, most specific first: LayerName > options.layers[name] > LayerType > Model > the plain options
 * (precision, reuseFactor, strategy, io ...) > defaults. Everything is validated before any pass changes the graph,
 * and every problem names the key and the layer.
 */
import { FirmflowError, type FixedType, type Graph, type IRNode, listIROps, parsePrecision } from 'firmflow';
import type { HlsIO, HlsStrategy } from './lowered.js';
import { KERNELS, kernelFor, TABLES_OF } from './kernels/index.js';
import { DEFAULT_REUSE_FACTOR } from './options.js';

/** Keys of the Model section. */
const MODEL_KEYS = ['Precision', 'ReuseFactor', 'Strategy', 'IOType', 'ReuseFactorPolicy', 'FifoDepth', 'TableSize', 'TableRange', 'ParallelizationFactor'];
/** Keys of a LayerType / LayerName entry. */
const LAYER_KEYS = ['Precision', 'ReuseFactor', 'Strategy', 'ParallelizationFactor', 'TableSize', 'TableRange', 'Implementation'];

export const ROLES = ['weight', 'bias', 'accum', 'result', 'table', 'exp_table', 'inv_table', 'exp_sum', 'scale', 'shift', 'inv_scale'] as const;
export type Role = (typeof ROLES)[number];

/** Tables per op (the names TableSize / TableRange objects and Precision roles use): each kernel's own. */
export { TABLES_OF };

/** Ops whose kernel offers a choice of algorithm (the Implementation key), and every choice any of them has. */
const IMPLEMENTATION_OPS = KERNELS.filter((k) => k.implementations).flatMap((k) => k.ops);
const IMPLEMENTATIONS = [...new Set(KERNELS.flatMap((k) => k.implementations ?? []))];

/** A precision as configured: a type, or 'auto' (derived exactly / from the values, see the lowering). */
export type PrecisionSetting = FixedType | 'auto';

export interface LayerConfig {
  /** The reuse factor asked for, and where it came from (for messages). */
  reuseFactor: number;
  reuseFactorFrom: string;
  strategy: HlsStrategy;
  parallelization?: number;
  /** Roles configured explicitly (anything not here takes the lowering's default for the op). */
  precision: Partial<Record<Role, PrecisionSetting>>;
  /**
   * Roles whose precision was set for this layer (LayerName, options.layers, LayerType) rather than model-wide
   * (Model, option precision): a model-wide data type does not override what a layer's own arithmetic needs
   * (Softmax probabilities, exact results between a model's quantizers).
   */
  layerRoles: Role[];
  /** Table sizes and ranges by table name. */
  tableSize: Record<string, number>;
  tableRange: Record<string, [number, number]>;
  implementation?: string;
}

export interface ModelConfig {
  io: HlsIO;
  /** Default data type: graph inputs and layer results. */
  data: FixedType;
  reuseFactorPolicy: 'error' | 'nearest';
  /** FIFO depth override for every stream (io_stream). */
  fifoDepth?: number;
  /** Precision of graph inputs configured by port name (LayerName entries naming a graph input). */
  inputs: Record<string, FixedType>;
}

/** The default data type: results and inputs. */
export const DEFAULT_DATA: FixedType = { signed: true, width: 16, integer: 6, rounding: 'RND_CONV', overflow: 'SAT' };

/**
 * Parses a precision string (fixed<W,I[,Q[,O[,N]]]>, ufixed<...>, ap_fixed<...>, ap_ufixed<...>, int<W>,
 * uint<W>, ap_int<W>, ap_uint<W>) into a FixedType with the fixed-point library's parser. `where` names the key
 * (and layer) in the message of a bad string; 'auto' is refused here (callers that allow it check first).
 */
export function parsePrecisionString(s: string, where: string): FixedType {
  const t = parsePrecision(s, where);
  if (t === 'auto') throw new FirmflowError('config.value', `${where}: 'auto' is not allowed here; give a precision such as fixed<16,6>`);
  return t;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(where: string, msg: string, key: string, layer?: string): never {
  throw new FirmflowError('config.value', `${where}: ${msg}`, { key, layer });
}

function posInt(v: unknown, where: string, key: string, layer?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(where, `must be a positive integer, got ${JSON.stringify(v)}`, key, layer);
  return v;
}

function pow2Int(v: unknown, where: string, key: string, layer?: string): number {
  const n = posInt(v, where, key, layer);
  if (n < 2 || n > 1 << 20 || (n & (n - 1)) !== 0) bad(where, `must be a power of two from 2 to 2^20 (tables are indexed by a shift), got ${n}`, key, layer);
  return n;
}

function range(v: unknown, where: string, key: string, layer?: string): [number, number] {
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) {
    bad(where, `must be [lo, hi] (two numbers), got ${JSON.stringify(v)}`, key, layer);
  }
  const [lo, hi] = v as [number, number];
  const w = hi - lo;
  if (!(w > 0) || 2 ** Math.round(Math.log2(w)) !== w) bad(where, `must span a power of two (hi - lo = 2^r, so indexing is a shift), got [${lo}, ${hi}]`, key, layer);
  return [lo, hi];
}

function oneOf(v: unknown, allowed: string[], where: string, key: string, layer?: string): string {
  const s = typeof v === 'string' ? v.toLowerCase() : undefined;
  if (!s || !allowed.includes(s)) bad(where, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`, key, layer);
  return s;
}

function ioType(v: unknown, where: string, key: string): HlsIO {
  const s = oneOf(v, ['io_parallel', 'io_stream', 'parallel', 'stream'], where, key);
  return s.endsWith('stream') ? 'io_stream' : 'io_parallel';
}

/** A Precision value: a string (applies to the data roles of the layer) or an object per role. */
function precisionSetting(v: unknown, where: string, layer: string | undefined, dataRoles: readonly Role[]): Partial<Record<Role, PrecisionSetting>> {
  const one = (s: unknown, w: string, role: string): PrecisionSetting => {
    if (typeof s !== 'string') bad(w, `must be a precision string such as 'fixed<16,6>' or 'auto', got ${JSON.stringify(s)}`, role, layer);
    if (s.trim().toLowerCase() === 'auto') return 'auto';
    return parsePrecisionString(s, w);
  };
  if (typeof v === 'string') {
    const t = one(v, where, 'Precision');
    return Object.fromEntries(dataRoles.map((r) => [r, t]));
  }
  if (!isObj(v)) bad(where, `must be a precision string or a mapping of roles (${ROLES.join(', ')}) to precisions, got ${JSON.stringify(v)}`, 'Precision', layer);
  const out: Partial<Record<Role, PrecisionSetting>> = {};
  for (const [role, s] of Object.entries(v)) {
    if (!(ROLES as readonly string[]).includes(role)) {
      bad(`${where}.${role}`, `is not a precision role (known: ${ROLES.join(', ')})`, `Precision.${role}`, layer);
    }
    out[role as Role] = one(s, `${where}.${role}`, `Precision.${role}`);
  }
  return out;
}

/** Roles a precision string sets, per op (weights and data; tables, accumulators and small factors keep theirs). */
export function dataRolesOf(op: string): Role[] {
  return [...(kernelFor(op)?.dataRoles ?? ['result', 'weight', 'bias'])];
}

/** The Implementation of a node of an op: the configured one, else its kernel's default; none for other kernels. */
function implementationOf(op: string, configured: string | undefined): string | undefined {
  const choices = kernelFor(op)?.implementations;
  return choices ? configured ?? choices[0] : undefined;
}

function tableSetting<T>(v: unknown, where: string, layer: string | undefined, tables: string[], parse: (x: unknown, w: string) => T): Record<string, T> {
  if (!isObj(v)) {
    const x = parse(v, where);
    return Object.fromEntries(tables.map((t) => [t, x]));
  }
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(v)) {
    if (tables.length && !tables.includes(k)) bad(`${where}.${k}`, `is not a table of this layer (its tables: ${tables.join(', ') || 'none'})`, k, layer);
    out[k] = parse(x, `${where}.${k}`);
  }
  return out;
}

interface Section {
  precision?: Partial<Record<Role, PrecisionSetting>>;
  reuseFactor?: number;
  strategy?: HlsStrategy;
  parallelization?: number;
  tableSize?: Record<string, number>;
  tableRange?: Record<string, [number, number]>;
  implementation?: string;
}

/**
 * Parses one LayerType / LayerName / Model entry for a given op (null op: the Model section or a type entry
 * checked generically). `ops` are the ops the entry applies to (for table names and Implementation checks).
 */
function parseSection(raw: unknown, where: string, layer: string | undefined, ops: string[], keys: string[]): Section {
  if (!isObj(raw)) bad(where, `must be a mapping of settings (${keys.join(', ')}), got ${JSON.stringify(raw)}`, where, layer);
  const tables = ops.length ? [...new Set(ops.flatMap((o) => TABLES_OF[o] ?? []))] : ['table', 'exp_table', 'inv_table'];
  const out: Section = {};
  for (const [k, v] of Object.entries(raw)) {
    const w = `${where}.${k}`;
    switch (k) {
      case 'Precision': {
        // The data roles of a string depend on the op; resolved per node, here for validation.
        out.precision = precisionSetting(v, w, layer, ops.length === 1 ? dataRolesOf(ops[0]) : ['result', 'weight', 'bias']);
        if (typeof v === 'string') (out as { precisionString?: string }).precisionString = v;
        break;
      }
      case 'ReuseFactor': out.reuseFactor = posInt(v, w, k, layer); break;
      case 'Strategy': out.strategy = oneOf(v, ['latency', 'resource'], w, k, layer) as HlsStrategy; break;
      case 'ParallelizationFactor': out.parallelization = posInt(v, w, k, layer); break;
      case 'TableSize':
        if (ops.length && !tables.length) bad(w, `layer has no lookup tables (only ${Object.keys(TABLES_OF).join(', ')} do)`, k, layer);
        out.tableSize = tableSetting(v, w, layer, tables, (x, ww) => pow2Int(x, ww, k, layer));
        break;
      case 'TableRange':
        if (ops.length && !tables.length) bad(w, `layer has no lookup tables (only ${Object.keys(TABLES_OF).join(', ')} do)`, k, layer);
        out.tableRange = tableSetting(v, w, layer, tables, (x, ww) => range(x, ww, k, layer));
        break;
      case 'Implementation':
        if (ops.length && ops.some((o) => !kernelFor(o)?.implementations)) bad(w, `only ${IMPLEMENTATION_OPS.join(', ')} layers have an Implementation (this is ${ops.join(', ')})`, k, layer);
        out.implementation = oneOf(v, ops.length ? [...new Set(ops.flatMap((o) => kernelFor(o)!.implementations!))] : IMPLEMENTATIONS, w, k, layer);
        break;
      default:
        if (!keys.includes(k)) bad(w, `unknown key '${k}' (known: ${keys.join(', ')})`, k, layer);
    }
  }
  return out;
}

/** The resolved configuration of a conversion: model-level settings and a lookup per node. */
export class HlsConfig {
  readonly model: ModelConfig;
  private readonly api: Section;
  private readonly modelSection: Section & { precisionString?: string };
  private readonly types = new Map<string, Section & { precisionString?: string }>();
  private readonly names = new Map<string, Section & { precisionString?: string }>();
  private readonly layers = new Map<string, Section & { precisionString?: string }>();

  constructor(options: Record<string, unknown>, graph: Graph) {
    // ---- plain options
    const api: Section & { precisionString?: string } = {};
    const p = options['precision'];
    // Without a precision from the user the backend's data default (with rounding and saturation) applies.
    if (typeof p === 'string') {
      api.precision = precisionSetting(p, "option 'precision'", undefined, ['result', 'weight', 'bias']);
      api.precisionString = p;
    }
    if (options['reuseFactor'] !== undefined) api.reuseFactor = posInt(options['reuseFactor'], "option 'reuseFactor'", 'reuseFactor');
    if (options['strategy'] !== undefined) api.strategy = oneOf(options['strategy'], ['latency', 'resource'], "option 'strategy'", 'strategy') as HlsStrategy;
    if (options['parallelization'] !== undefined) api.parallelization = posInt(options['parallelization'], "option 'parallelization'", 'parallelization');
    if (options['tableSize'] !== undefined) {
      const n = pow2Int(options['tableSize'], "option 'tableSize'", 'tableSize');
      api.tableSize = { table: n, exp_table: n, inv_table: n };
    }
    this.api = api;

    let io: HlsIO = ioType(options['io'] ?? 'parallel', "option 'io'", 'io');
    let policy: 'error' | 'nearest' = options['reuseFactorPolicy'] === undefined ? 'error'
      : oneOf(options['reuseFactorPolicy'], ['error', 'nearest'], "option 'reuseFactorPolicy'", 'reuseFactorPolicy') as 'error' | 'nearest';
    let fifoDepth = options['fifoDepth'] === undefined ? undefined : posInt(options['fifoDepth'], "option 'fifoDepth'", 'fifoDepth');

    // ---- Model section
    const model = options['Model'];
    let modelSection: Section & { precisionString?: string } = {};
    if (model !== undefined) {
      if (!isObj(model)) bad('config Model', `must be a mapping (${MODEL_KEYS.join(', ')}), got ${JSON.stringify(model)}`, 'Model');
      const rest: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(model)) {
        if (k === 'IOType') io = ioType(v, 'config Model.IOType', 'IOType');
        else if (k === 'ReuseFactorPolicy') policy = oneOf(v, ['error', 'nearest'], 'config Model.ReuseFactorPolicy', k) as 'error' | 'nearest';
        else if (k === 'FifoDepth') fifoDepth = posInt(v, 'config Model.FifoDepth', k);
        else if (k === 'Implementation' || !MODEL_KEYS.includes(k)) bad(`config Model.${k}`, `unknown key '${k}' (known: ${MODEL_KEYS.join(', ')})`, k);
        else rest[k] = v;
      }
      modelSection = parseSection(rest, 'config Model', undefined, [], MODEL_KEYS);
    }
    this.modelSection = modelSection;

    // ---- default data type
    let data = DEFAULT_DATA;
    const dataString = modelSection.precisionString ?? api.precisionString;
    if (dataString) data = parsePrecisionString(dataString, modelSection.precisionString ? 'config Model.Precision' : "option 'precision'");
    else {
      const r = (modelSection.precision?.result ?? api.precision?.result);
      if (r && r !== 'auto') data = r;
    }

    // ---- LayerType section
    const known = new Set(listIROps());
    const lt = options['LayerType'];
    if (lt !== undefined) {
      if (!isObj(lt)) bad('config LayerType', `must map op types (Dense, Conv, Softmax ...) to settings, got ${JSON.stringify(lt)}`, 'LayerType');
      const opsInGraph = new Map<string, string>();
      for (const n of graph.nodes.values()) {
        opsInGraph.set(n.op, n.op);
        if (n.origin?.op) opsInGraph.set(n.origin.op, n.op);
      }
      for (const [type, v] of Object.entries(lt)) {
        const op = opsInGraph.get(type) ?? (known.has(type) ? type : undefined);
        if (!op) bad(`config LayerType.${type}`, `'${type}' is not an op type (known: ${[...known].sort().join(', ')})`, type);
        this.types.set(type, parseSection(v, `config LayerType.${type}`, undefined, [op], LAYER_KEYS));
      }
    }

    // ---- LayerName section and options.layers
    const byName = new Map<string, IRNode[]>();
    for (const n of graph.nodes.values()) {
      for (const k of new Set([n.name, n.origin?.name].filter((x): x is string => !!x))) {
        const l = byName.get(k) ?? [];
        l.push(n);
        byName.set(k, l);
      }
    }
    const inputNames = new Set(graph.inputs.map((i) => i.name));
    const inputs: Record<string, FixedType> = {};
    const ln = options['LayerName'];
    if (ln !== undefined) {
      if (!isObj(ln)) bad('config LayerName', `must map layer names to settings, got ${JSON.stringify(ln)}`, 'LayerName');
      const unknown = Object.keys(ln).filter((k) => !byName.has(k) && !inputNames.has(k));
      if (unknown.length) {
        const names = [...byName.keys(), ...inputNames];
        throw new FirmflowError(
          'config.layer',
          `config LayerName names layer${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} that the model does not have (its layers: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ' ...' : ''})`,
          { key: 'LayerName', unknown },
        );
      }
      for (const [name, v] of Object.entries(ln)) {
        const where = `config LayerName.${name}`;
        if (!byName.has(name)) {
          // A graph input: only its precision.
          if (!isObj(v)) bad(where, `must be a mapping with Precision, got ${JSON.stringify(v)}`, name, name);
          for (const k of Object.keys(v)) if (k !== 'Precision') bad(`${where}.${k}`, `graph input '${name}' takes only Precision`, k, name);
          if (v['Precision'] !== undefined) {
            const s = v['Precision'];
            if (typeof s !== 'string' || s.trim().toLowerCase() === 'auto') bad(`${where}.Precision`, `must be a precision string for graph input '${name}', got ${JSON.stringify(s)}`, 'Precision', name);
            inputs[name] = parsePrecisionString(s, `${where}.Precision`);
          }
          continue;
        }
        const ops = [...new Set(byName.get(name)!.map((n) => n.op))];
        this.names.set(name, parseSection(v, where, name, ops, LAYER_KEYS));
      }
    }
    const layers = options['layers'];
    if (isObj(layers)) {
      for (const [name, v] of Object.entries(layers)) {
        if (!isObj(v)) continue; // the core validated it
        const ops = [...new Set((byName.get(name) ?? []).map((n) => n.op))];
        const s: Section & { precisionString?: string } = {};
        if (typeof v['precision'] === 'string') {
          s.precision = precisionSetting(v['precision'], `option layers.${name}.precision`, name, ops.length === 1 ? dataRolesOf(ops[0]) : ['result', 'weight', 'bias']);
          s.precisionString = v['precision'];
        }
        if (v['reuseFactor'] !== undefined) s.reuseFactor = posInt(v['reuseFactor'], `option layers.${name}.reuseFactor`, 'reuseFactor', name);
        if (v['strategy'] !== undefined) s.strategy = oneOf(v['strategy'], ['latency', 'resource'], `option layers.${name}.strategy`, 'strategy', name) as HlsStrategy;
        this.layers.set(name, s);
      }
    }
    this.model = { io, data, reuseFactorPolicy: policy, fifoDepth, inputs };
  }

  /** The sections that apply to a node, most specific first, with their names for messages. */
  private sections(node: IRNode): { s: Section & { precisionString?: string }; from: string }[] {
    const out: { s: Section & { precisionString?: string }; from: string }[] = [];
    const names = [...new Set([node.origin?.name, node.name].filter((x): x is string => !!x))];
    for (const n of names) { const s = this.names.get(n); if (s) out.push({ s, from: `config LayerName.${n}` }); }
    for (const n of names) { const s = this.layers.get(n); if (s) out.push({ s, from: `option layers.${n}` }); }
    for (const t of [node.op, node.origin?.op]) {
      const s = t ? this.types.get(t) : undefined;
      if (s && !out.some((o) => o.s === s)) out.push({ s, from: `config LayerType.${t}` });
    }
    out.push({ s: this.modelSection, from: 'config Model' });
    out.push({ s: this.api as Section & { precisionString?: string }, from: 'option' });
    return out;
  }

  /**
   * Roles whose precision this node's own name sets (LayerName, options.layers): the only settings that may ask
   * for a type on a tensor a model's quantizer fixed (and are refused when narrower, passes/quantizer-types.ts).
   */
  namedRoles(node: IRNode): Role[] {
    const roles = new Set<Role>();
    for (const { s, from } of this.sections(node)) {
      if (!s.precision || !(from.startsWith('config LayerName.') || from.startsWith('option layers.'))) continue;
      const keys = s.precisionString !== undefined ? dataRolesOf(node.op) : (Object.keys(s.precision) as Role[]);
      for (const r of keys) roles.add(r);
    }
    return [...roles];
  }

  /** The configuration of one node. */
  layer(node: IRNode): LayerConfig {
    const secs = this.sections(node);
    const pick = <K extends keyof Section>(k: K): { v: Section[K]; from: string } | undefined => {
      for (const { s, from } of secs) if (s[k] !== undefined) return { v: s[k], from };
      return undefined;
    };
    const rf = pick('reuseFactor');
    const precision: Partial<Record<Role, PrecisionSetting>> = {};
    const layerRoles = new Set<Role>();
    const dataRoles = dataRolesOf(node.op);
    // Least specific first, so more specific sections overwrite.
    for (const { s, from } of [...secs].reverse()) {
      if (!s.precision) continue;
      const own = from !== 'option' && from !== 'config Model';
      if (s.precisionString !== undefined) {
        // A string sets the data roles of this op (re-derived: the section may have been parsed for other ops).
        const t = s.precision.result ?? s.precision.weight;
        for (const r of dataRoles) if (t !== undefined) { precision[r] = t; if (own) layerRoles.add(r); }
      } else {
        Object.assign(precision, s.precision);
        if (own) for (const r of Object.keys(s.precision) as Role[]) layerRoles.add(r);
      }
    }
    const tableSize: Record<string, number> = {};
    const tableRange: Record<string, [number, number]> = {};
    for (const { s } of [...secs].reverse()) {
      Object.assign(tableSize, s.tableSize ?? {});
      Object.assign(tableRange, s.tableRange ?? {});
    }
    const tables = TABLES_OF[node.op] ?? [];
    for (const k of Object.keys(tableSize)) if (!tables.includes(k)) delete tableSize[k];
    for (const k of Object.keys(tableRange)) if (!tables.includes(k)) delete tableRange[k];
    return {
      reuseFactor: (rf?.v as number | undefined) ?? DEFAULT_REUSE_FACTOR,
      reuseFactorFrom: rf ? (rf.from === 'option' ? "option 'reuseFactor'" : `${rf.from}.ReuseFactor`) : 'default',
      strategy: (pick('strategy')?.v as HlsStrategy | undefined) ?? 'latency',
      parallelization: pick('parallelization')?.v as number | undefined,
      precision,
      layerRoles: [...layerRoles],
      tableSize,
      tableRange,
      implementation: implementationOf(node.op, pick('implementation')?.v as string | undefined),
    };
  }
}

const cache = new WeakMap<Graph, { options: Record<string, unknown>; config: HlsConfig }>();

/** The configuration of a conversion (resolved once per graph and options object). */
export function hlsConfig(options: Record<string, unknown>, graph: Graph): HlsConfig {
  const c = cache.get(graph);
  if (c && c.options === options) return c.config;
  const config = new HlsConfig(options, graph);
  cache.set(graph, { options, config });
  return config;
}
