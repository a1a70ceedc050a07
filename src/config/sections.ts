import { FirmflowError } from '../errors.js';
import type { Graph, IRNode } from '../ir/graph.js';
import { listIROps } from '../ir/ops.js';
import type { OptionSchema } from '../options/schema.js';
import { parsePrecision, type PrecisionSpec } from '../precision/parse.js';
import { HLS4ML_DEFAULTS, HLS4ML_LAYER_TYPES, HLS4ML_UNIMPLEMENTED, ROLE_SPELLINGS } from './hls4ml-names.js';

/*
 * The one reader of hls4ml-style configuration sections (Model / LayerType / LayerName), shared by the core's
 * precision command and the backends: it checks the sections' shape, the layer names and types against the model,
 * reads every `Precision` (a string, or a map of roles with `default`) with the backend's role names, and hands the
 * other keys, unparsed but located, to the backend that knows their meaning.
 */

/** What a backend reads from the sections. */
export interface SectionSpec {
  /** Precision roles, by the backend's names ('accum' or 'accumulator' ...: other spellings are mapped to these). */
  roles: readonly string[];
  /** Keys of a LayerType / LayerName entry besides Precision ('*': any key, passed on unchecked). */
  layerKeys: readonly string[] | '*';
  /** Keys of the Model section besides Precision ('*': any). */
  modelKeys: readonly string[] | '*';
  /** Roles of other backends to skip rather than refuse (a precision-only reader reading a backend's file). */
  ignoreRoles?: boolean;
  /** 'auto' allowed in precisions (default true). */
  auto?: boolean;
}

/**
 * A backend's SectionSpec from its option schema (the options with a `section` key) and the section keys that are
 * no option (`extra`: per scope).
 */
export function sectionSpecOf(schema: OptionSchema, roles: readonly string[], extra: { model?: readonly string[]; layer?: readonly string[] } = {}): SectionSpec {
  const keyed = schema.filter((s) => s.section);
  return {
    roles,
    layerKeys: [...keyed.filter((s) => s.section!.scope === 'layer').map((s) => s.section!.key), ...(extra.layer ?? [])],
    modelKeys: [...keyed.map((s) => s.section!.key), ...(extra.model ?? [])],
  };
}

/** One section's precisions: `default` (a plain string, or the `default` role) and roles by the backend's names. */
export interface SectionPrecision {
  default?: PrecisionSpec;
  roles: Record<string, PrecisionSpec>;
}

/** A key of a section other than Precision, with where it was written (for the backend's messages). */
export interface SectionValue {
  value: unknown;
  where: string;
}

/** One entry of Model, LayerType or LayerName. */
export interface ConfigSection {
  /** 'config LayerName./fc1/Gemm' (messages append '.Key'). */
  where: string;
  precision?: SectionPrecision;
  settings: Record<string, SectionValue>;
}

export interface LayerTypeSection extends ConfigSection {
  /** The key as written (an IR op, an ONNX op or an hls4ml layer class). */
  key: string;
  /** The IR ops and ONNX ops the entry applies to. */
  ops: string[];
}

export interface LayerNameSection extends ConfigSection {
  key: string;
  /** The graph's nodes of that name (IR name or ONNX node name): several when a node was split. */
  nodes: IRNode[];
}

/** Everything the sections say, checked against the model. */
export interface ConfigSections {
  model?: ConfigSection;
  layerType: LayerTypeSection[];
  layerName: LayerNameSection[];
  /** LayerName entries naming a graph input (only Precision). */
  inputs: (ConfigSection & { key: string })[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(where: string, msg: string, key?: string, layer?: string): never {
  throw new FirmflowError('config.value', `${where}: ${msg}`, { key, layer });
}

/** The backend's name of a role as written ('accumulator', 'accum_t', 'Weights' ...), or undefined. */
export function roleName(written: string, roles: readonly string[]): string | undefined {
  const k = written.toLowerCase().replace(/_t$/, '');
  if (roles.includes(k)) return k;
  const group = ROLE_SPELLINGS.find((g) => g.includes(k));
  return group ? roles.find((r) => group.includes(r)) : undefined;
}

/** A `Precision` value: a string (the section's default) or a map of roles, `default` among them. */
export function readPrecisionValue(v: unknown, where: string, spec: SectionSpec, layer?: string): SectionPrecision {
  const allowAuto = spec.auto !== false;
  const one = (s: unknown, w: string): PrecisionSpec => {
    if (typeof s !== 'string') bad(w, `must be a precision string such as 'fixed<16,6>'${allowAuto ? " or 'auto'" : ''}, got ${JSON.stringify(s)}`, 'Precision', layer);
    const t = parsePrecision(s, w);
    if (t === 'auto' && !allowAuto) bad(w, "'auto' is not allowed here; give a precision such as fixed<16,6>", 'Precision', layer);
    return t;
  };
  if (typeof v === 'string') return { default: one(v, where), roles: {} };
  if (!isObj(v)) bad(where, `must be a precision string or a mapping of roles (${[...spec.roles, 'default'].join(', ')}) to precisions, got ${JSON.stringify(v)}`, 'Precision', layer);
  const out: SectionPrecision = { roles: {} };
  for (const [k, s] of Object.entries(v)) {
    const w = `${where}.${k}`;
    if (k.toLowerCase() === 'default') { out.default = one(s, w); continue; }
    if (k === 'maximum') bad(w, `hls4ml's maximum precision is not implemented by firmflow (${HLS4ML_UNIMPLEMENTED['Precision_maximum']})`, `Precision.${k}`, layer);
    const role = roleName(k, spec.roles);
    if (!role) {
      // 'auto' leaves a type to the tool: on a role this backend does not have (hls4ml's inv_inp ...) it asks nothing.
      if (spec.ignoreRoles || (typeof s === 'string' && s.trim().toLowerCase() === 'auto')) continue;
      bad(w, `is not a precision role (known: ${spec.roles.join(', ')}, default)`, `Precision.${k}`, layer);
    }
    out.roles[role] = one(s, w);
  }
  return out;
}

/** The other keys of an entry: known ones kept, hls4ml's defaults accepted, the rest refused by name. */
function readEntry(raw: unknown, where: string, keys: readonly string[] | '*', spec: SectionSpec, layer?: string): ConfigSection {
  if (!isObj(raw)) bad(where, `must be a mapping of settings (${keys === '*' ? 'Precision, ...' : ['Precision', ...keys].join(', ')}), got ${JSON.stringify(raw)}`, where, layer);
  const out: ConfigSection = { where, settings: {} };
  for (const [k, v] of Object.entries(raw)) {
    const w = `${where}.${k}`;
    if (k === 'Precision') out.precision = readPrecisionValue(v, w, spec, layer);
    else if (keys === '*' || keys.includes(k)) out.settings[k] = { value: v, where: w };
    else if (k in HLS4ML_DEFAULTS && HLS4ML_DEFAULTS[k] === v) continue;
    else if (k in HLS4ML_UNIMPLEMENTED) bad(w, `hls4ml's '${k}' is not implemented by firmflow (${HLS4ML_UNIMPLEMENTED[k]})`, k, layer);
    else bad(w, `unknown key '${k}' (known: ${['Precision', ...keys].join(', ')})`, k, layer);
  }
  return out;
}

/** The IR ops and ONNX ops of a graph, and the ops an (hls4ml or IR or ONNX) type name covers. */
function typeIndex(graph: Graph): { inGraph: Set<string>; opsOf(type: string): string[] | undefined } {
  const inGraph = new Set<string>();
  for (const n of graph.nodes.values()) {
    inGraph.add(n.op);
    if (n.origin?.op) inGraph.add(n.origin.op);
  }
  const known = new Set(listIROps());
  return {
    inGraph,
    opsOf: (type) => {
      if (inGraph.has(type) || known.has(type)) return [type];
      const mapped = HLS4ML_LAYER_TYPES[type];
      return mapped ? [...mapped] : undefined;
    },
  };
}

/** Nodes by IR name and by ONNX node name. */
export function nodesByName(graph: Graph): Map<string, IRNode[]> {
  const byName = new Map<string, IRNode[]>();
  for (const n of graph.nodes.values()) {
    for (const k of new Set([n.name, n.origin?.name].filter((x): x is string => !!x))) {
      const l = byName.get(k) ?? [];
      l.push(n);
      byName.set(k, l);
    }
  }
  return byName;
}

function readLayerTypes(lt: unknown, graph: Graph, spec: SectionSpec, source: string): LayerTypeSection[] {
  if (!isObj(lt)) bad(`${source} LayerType`, `must map layer types (Dense, Conv2D, Softmax ... or firmflow's ops) to settings, got ${JSON.stringify(lt)}`, 'LayerType');
  const idx = typeIndex(graph);
  const out: LayerTypeSection[] = [];
  for (const [type, v] of Object.entries(lt)) {
    const ops = idx.opsOf(type);
    if (!ops) {
      const hls = Object.keys(HLS4ML_LAYER_TYPES).join(', ');
      bad(`${source} LayerType.${type}`, `'${type}' is not an op type (known: ${[...new Set(listIROps())].sort().join(', ')}; hls4ml layer types: ${hls})`, type);
    }
    out.push({ key: type, ops, ...readEntry(v, `${source} LayerType.${type}`, spec.layerKeys, spec) });
  }
  // An entry naming an op itself is more specific than an hls4ml class covering it: read last, it wins.
  return [...out.filter((e) => HLS4ML_LAYER_TYPES[e.key] && !e.ops.includes(e.key)), ...out.filter((e) => !(HLS4ML_LAYER_TYPES[e.key] && !e.ops.includes(e.key)))];
}

function readLayerNames(ln: unknown, graph: Graph, spec: SectionSpec, source: string): { layers: LayerNameSection[]; inputs: (ConfigSection & { key: string })[] } {
  if (!isObj(ln)) bad(`${source} LayerName`, `must map layer names to settings, got ${JSON.stringify(ln)}`, 'LayerName');
  const byName = nodesByName(graph);
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const unknown = Object.keys(ln).filter((k) => !byName.has(k) && !inputNames.has(k));
  if (unknown.length) {
    const names = [...byName.keys(), ...inputNames];
    throw new FirmflowError(
      'config.layer',
      `${source} LayerName names layer${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} that the model does not have (its layers: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ' ...' : ''})`,
      { key: 'LayerName', unknown },
    );
  }
  const layers: LayerNameSection[] = [];
  const inputs: (ConfigSection & { key: string })[] = [];
  for (const [name, v] of Object.entries(ln)) {
    const where = `${source} LayerName.${name}`;
    if (byName.has(name)) {
      layers.push({ key: name, nodes: byName.get(name)!, ...readEntry(v, where, spec.layerKeys, spec, name) });
      continue;
    }
    // A graph input: only its precision (hls4ml writes it as the Input layer's result).
    if (typeof v === 'string') { inputs.push({ key: name, where, precision: readPrecisionValue(v, `${where}`, spec, name), settings: {} }); continue; }
    if (!isObj(v)) bad(where, `must be a mapping with Precision, got ${JSON.stringify(v)}`, name, name);
    for (const k of Object.keys(v)) {
      if (k !== 'Precision' && !(k in HLS4ML_DEFAULTS && HLS4ML_DEFAULTS[k] === v[k])) bad(`${where}.${k}`, `graph input '${name}' takes only Precision`, k, name);
    }
    const entry: ConfigSection & { key: string } = { key: name, where, settings: {} };
    if (v['Precision'] !== undefined) entry.precision = readPrecisionValue(v['Precision'], `${where}.Precision`, { ...spec, roles: ['result', 'input'], ignoreRoles: false }, name);
    inputs.push(entry);
  }
  return { layers, inputs };
}

/**
 * Reads the Model / LayerType / LayerName sections of a configuration (any may be missing) against a model.
 * `source` starts every message ('config', 'config file c.yaml').
 */
export function readConfigSections(raw: { Model?: unknown; LayerType?: unknown; LayerName?: unknown }, graph: Graph, spec: SectionSpec, source = 'config'): ConfigSections {
  const out: ConfigSections = { layerType: [], layerName: [], inputs: [] };
  if (raw.Model !== undefined) {
    if (!isObj(raw.Model)) bad(`${source} Model`, `must be a mapping (${spec.modelKeys === '*' ? 'Precision, ...' : ['Precision', ...spec.modelKeys].join(', ')}), got ${JSON.stringify(raw.Model)}`, 'Model');
    out.model = readEntry(raw.Model, `${source} Model`, spec.modelKeys, spec);
  }
  if (raw.LayerType !== undefined) out.layerType = readLayerTypes(raw.LayerType, graph, spec, source);
  if (raw.LayerName !== undefined) Object.assign(out, (({ layers, inputs }) => ({ layerName: layers, inputs }))(readLayerNames(raw.LayerName, graph, spec, source)));
  return out;
}
