/*
 * Per-layer HLS configuration of the Vitis/Vivado backend, resolved from the conversion options and the
 * hls4ml-style `Model` / `LayerType` / `LayerName` sections (docs/design/vitis-backend.md, "Configuration").
 *
 * Resolution order, most specific first: LayerName > options.layers[name] > LayerType > Model > the plain options
 * (precision, reuseFactor, strategy, io ...) > defaults. Everything is validated before any pass changes the graph,
 * and every problem names the key and the layer. The sections' shape, layer names and types and every Precision are
 * read by the core's section reader (readConfigSections, hls4ml's spellings included); this file gives it the
 * backend's roles and keys (SECTION_SPEC) and parses the values of those keys.
 */
import {
  FirmflowError, parsePrecision, readConfigSections, readPrecisionValue, sectionSpecOf,
  type ConfigSection, type FixedType, type Graph, type IRNode, type SectionPrecision, type SectionSpec,
} from 'firmflow';
import type { HlsIO, HlsStrategy } from './lowered.js';
import type { LayerConfig, ModelConfig, PrecisionSetting, Role } from './layer-config.js';
import { ROLES } from './layer-config.js';

// The configuration's types live in a leaf module (kernel contracts read them without importing the reader).
export { ROLES };
export type { LayerConfig, ModelConfig, PrecisionSetting, Role };
import { KERNELS, kernelFor, TABLES_OF } from './kernels/index.js';
import { DEFAULT_REUSE_FACTOR, VITIS_OPTIONS } from './options.js';



/** Tables per op (the names TableSize / TableRange objects and Precision roles use): each kernel's own. */
export { TABLES_OF };

/** Ops whose kernel offers a choice of algorithm (the Implementation key), and every choice any of them has. */
const IMPLEMENTATION_OPS = KERNELS.filter((k) => k.implementations).flatMap((k) => k.ops);
const IMPLEMENTATIONS = [...new Set(KERNELS.flatMap((k) => k.implementations ?? []))];



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

/** The sections reader's view of this backend: its roles and keys (every Precision is read by the core's reader). */
const SECTION_SPEC: SectionSpec = sectionSpecOf(VITIS_OPTIONS, ROLES, { model: ['TableRange'], layer: ['TableRange', 'Implementation'] });

/** A precision option value (the plain `precision` option, options.layers.<name>.precision): the data roles' type. */
function precisionOption(v: string, where: string, layer?: string): SectionPrecision {
  return readPrecisionValue(v, where, SECTION_SPEC, layer);
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

/** A precision that must be a type ('auto' has nothing to derive from here). */
function concrete(t: PrecisionSetting, where: string, why = "'auto' is not allowed here; give a precision such as fixed<16,6>"): FixedType {
  if (t === 'auto') bad(where, why, 'Precision');
  return t;
}

/** The plain options as a section (the least specific one). */
function apiSection(options: Record<string, unknown>): Section {
  const api: Section = {};
  const p = options['precision'];
  // Without a precision from the user the backend's data default (with rounding and saturation) applies.
  if (typeof p === 'string') Object.assign(api, sectionPrecision(precisionOption(p, "option 'precision'")));
  if (options['reuseFactor'] !== undefined) api.reuseFactor = posInt(options['reuseFactor'], "option 'reuseFactor'", 'reuseFactor');
  if (options['strategy'] !== undefined) api.strategy = oneOf(options['strategy'], ['latency', 'resource'], "option 'strategy'", 'strategy') as HlsStrategy;
  if (options['parallelization'] !== undefined) api.parallelization = posInt(options['parallelization'], "option 'parallelization'", 'parallelization');
  if (options['tableSize'] !== undefined) {
    const n = pow2Int(options['tableSize'], "option 'tableSize'", 'tableSize');
    api.tableSize = { table: n, exp_table: n, inv_table: n };
  }
  return api;
}

interface Section {
  /** Roles set one by one. */
  precision?: Partial<Record<Role, PrecisionSetting>>;
  /** A plain precision (a string, or the `default` role): the data roles of the op it applies to. */
  precisionDefault?: PrecisionSetting;
  reuseFactor?: number;
  strategy?: HlsStrategy;
  parallelization?: number;
  tableSize?: Record<string, number>;
  tableRange?: Record<string, [number, number]>;
  implementation?: string;
}

/** The precisions the core's reader found, as this backend keeps them. */
function sectionPrecision(p: SectionPrecision | undefined): Pick<Section, 'precision' | 'precisionDefault'> {
  if (!p) return {};
  const out: Pick<Section, 'precision' | 'precisionDefault'> = {};
  if (p.default !== undefined) out.precisionDefault = p.default;
  if (Object.keys(p.roles).length) out.precision = p.roles as Partial<Record<Role, PrecisionSetting>>;
  return out;
}

/**
 * The backend's keys of one Model / LayerType / LayerName entry (read by the core's reader) for the ops it applies
 * to (none: the Model section, checked generically).
 */
function parseSection(raw: ConfigSection, layer: string | undefined, ops: string[]): Section {
  const tables = ops.length ? [...new Set(ops.flatMap((o) => TABLES_OF[o] ?? []))] : ['table', 'exp_table', 'inv_table'];
  const out: Section = sectionPrecision(raw.precision);
  for (const [k, { value: v, where: w }] of Object.entries(raw.settings)) {
    switch (k) {
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
      default: // the Model's own keys, read by the constructor
    }
  }
  return out;
}

/** The resolved configuration of a conversion: model-level settings and a lookup per node. */
export class HlsConfig {
  readonly model: ModelConfig;
  private readonly api: Section;
  private readonly modelSection: Section;
  private readonly types = new Map<string, { s: Section; key: string }[]>();
  private readonly names = new Map<string, Section>();
  private readonly layers = new Map<string, Section>();

  constructor(options: Record<string, unknown>, graph: Graph) {
    const api = apiSection(options);
    this.api = api;
    const sections = readConfigSections(options as { Model?: unknown; LayerType?: unknown; LayerName?: unknown }, graph, SECTION_SPEC);

    let io: HlsIO = ioType(options['io'] ?? 'parallel', "option 'io'", 'io');
    let policy: 'error' | 'nearest' = options['reuseFactorPolicy'] === undefined ? 'error'
      : oneOf(options['reuseFactorPolicy'], ['error', 'nearest'], "option 'reuseFactorPolicy'", 'reuseFactorPolicy') as 'error' | 'nearest';
    let fifoDepth = options['fifoDepth'] === undefined ? undefined : posInt(options['fifoDepth'], "option 'fifoDepth'", 'fifoDepth');

    // ---- Model section
    const m = sections.model;
    this.modelSection = m ? parseSection(m, undefined, []) : {};
    if (m?.settings['IOType']) io = ioType(m.settings['IOType'].value, m.settings['IOType'].where, 'IOType');
    if (m?.settings['ReuseFactorPolicy']) policy = oneOf(m.settings['ReuseFactorPolicy'].value, ['error', 'nearest'], m.settings['ReuseFactorPolicy'].where, 'ReuseFactorPolicy') as 'error' | 'nearest';
    if (m?.settings['FifoDepth']) fifoDepth = posInt(m.settings['FifoDepth'].value, m.settings['FifoDepth'].where, 'FifoDepth');

    // ---- default data type: the Model's plain precision, else the option's, else the Model's result role
    let data = DEFAULT_DATA;
    const modelDefault = this.modelSection.precisionDefault;
    if (modelDefault !== undefined) data = concrete(modelDefault, 'config Model.Precision');
    else if (api.precisionDefault !== undefined) data = concrete(api.precisionDefault, "option 'precision'");
    else {
      const r = this.modelSection.precision?.result;
      if (r && r !== 'auto') data = r;
    }

    // ---- LayerType: one entry per op it covers
    for (const t of sections.layerType) {
      const parsed = parseSection(t, undefined, t.ops);
      for (const op of t.ops) {
        const l = this.types.get(op) ?? [];
        l.push({ s: parsed, key: t.key });
        this.types.set(op, l);
      }
    }

    // ---- LayerName, graph inputs and options.layers
    for (const l of sections.layerName) this.names.set(l.key, parseSection(l, l.key, [...new Set(l.nodes.map((n) => n.op))]));
    const inputs: Record<string, FixedType> = {};
    for (const i of sections.inputs) {
      const p = i.precision;
      const t = p?.default ?? p?.roles['result'] ?? p?.roles['input'];
      if (p && t === undefined) bad(`${i.where}.Precision`, `must be a precision string for graph input '${i.key}'`, 'Precision', i.key);
      // hls4ml writes 'auto' for an input layer: the model's data type, as with no entry.
      if (t !== undefined && t !== 'auto') inputs[i.key] = t;
    }
    const layers = options['layers'];
    if (isObj(layers)) {
      for (const [name, v] of Object.entries(layers)) {
        if (!isObj(v)) continue; // the core validated it
        const s: Section = {};
        if (typeof v['precision'] === 'string') Object.assign(s, sectionPrecision(precisionOption(v['precision'], `option layers.${name}.precision`, name)));
        if (v['reuseFactor'] !== undefined) s.reuseFactor = posInt(v['reuseFactor'], `option layers.${name}.reuseFactor`, 'reuseFactor', name);
        if (v['strategy'] !== undefined) s.strategy = oneOf(v['strategy'], ['latency', 'resource'], `option layers.${name}.strategy`, 'strategy', name) as HlsStrategy;
        this.layers.set(name, s);
      }
    }
    this.model = { io, data, reuseFactorPolicy: policy, fifoDepth, inputs };
  }

  /** The sections that apply to a node, most specific first, with their names for messages. */
  private sections(node: IRNode): { s: Section; from: string }[] {
    const out: { s: Section; from: string }[] = [];
    const names = [...new Set([node.origin?.name, node.name].filter((x): x is string => !!x))];
    for (const n of names) { const s = this.names.get(n); if (s) out.push({ s, from: `config LayerName.${n}` }); }
    for (const n of names) { const s = this.layers.get(n); if (s) out.push({ s, from: `option layers.${n}` }); }
    // LayerType entries: the ones naming the op itself were read last (more specific than an hls4ml class).
    for (const t of [node.op, node.origin?.op]) {
      for (const { s, key } of [...(t ? this.types.get(t) ?? [] : [])].reverse()) {
        if (!out.some((o) => o.s === s)) out.push({ s, from: `config LayerType.${key}` });
      }
    }
    out.push({ s: this.modelSection, from: 'config Model' });
    out.push({ s: this.api, from: 'option' });
    return out;
  }

  /**
   * Roles whose precision this node's own name sets (LayerName, options.layers): the only settings that may ask
   * for a type on a tensor a model's quantizer fixed (and are refused when narrower, passes/quantizer-types.ts).
   */
  namedRoles(node: IRNode): Role[] {
    const roles = new Set<Role>();
    for (const { s, from } of this.sections(node)) {
      if ((!s.precision && s.precisionDefault === undefined) || !(from.startsWith('config LayerName.') || from.startsWith('option layers.'))) continue;
      const keys = [...(s.precisionDefault !== undefined ? dataRolesOf(node.op) : []), ...(Object.keys(s.precision ?? {}) as Role[])];
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
      const own = from !== 'option' && from !== 'config Model';
      // A plain precision sets the data roles of this op; roles named one by one override it.
      if (s.precisionDefault !== undefined) for (const r of dataRoles) { precision[r] = s.precisionDefault; if (own) layerRoles.add(r); }
      if (s.precision) {
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
