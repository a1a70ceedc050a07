import { FirmflowError } from '../errors.js';
import type { Graph, IRNode } from '../ir/graph.js';
import { formatType } from '../fixed/types.js';
import { parsePrecision, type PrecisionSpec } from './parse.js';
import { fromHls4mlConfig } from '../config/hls4ml-file.js';
import { readConfigSections, readPrecisionValue, type SectionPrecision, type SectionSpec } from '../config/sections.js';

/** The tensors of a layer whose types can be configured. */
export const ROLES = ['input', 'weight', 'bias', 'accumulator', 'result', 'table'] as const;
export type Role = (typeof ROLES)[number];

/** Precisions of one scope: per role, with `default` for the roles not listed. */
export type RolePrecisions = Partial<Record<Role | 'default', PrecisionSpec>>;

/**
 * Resolved configuration. Lookup order for (layer, role): layerName, then layerType (IR op, or the ONNX op it came
 * from), then model; in each scope the role's own entry before `default`.
 */
export interface PrecisionConfig {
  model: RolePrecisions;
  layerType: Record<string, RolePrecisions>;
  layerName: Record<string, RolePrecisions>;
  /** Largest width `auto` may produce (accumulators wider than this drop fractional bits). */
  maxWidth: number;
}

/** hls4ml's default precision, and `auto` accumulators (never overflow). */
export const DEFAULT_PRECISION = 'fixed<16,6>';

export function defaultConfig(): PrecisionConfig {
  return { model: { default: parsePrecision(DEFAULT_PRECISION), accumulator: 'auto' }, layerType: {}, layerName: {}, maxWidth: 64 };
}

const SCOPE_ALIASES: Record<string, 'model' | 'layerType' | 'layerName' | 'maxWidth'> = {
  model: 'model', layertype: 'layerType', layer_type: 'layerType', layername: 'layerName', layer_name: 'layerName', layers: 'layerName',
  maxwidth: 'maxWidth', max_width: 'maxWidth',
};
/**
 * A role map of the older lower-case form ({ model: ..., layerName: { fc: { weight: ... } } }), read by the shared
 * section reader's Precision reader (one set of role spellings, `default`, 'auto'); hls4ml's nesting
 * `{ Precision: { ... } }` is unwrapped.
 */
function readRoles(v: unknown, where: string): RolePrecisions {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0].toLowerCase() === 'precision') return readRoles((v as Record<string, unknown>)[keys[0]], `${where}.${keys[0]}`);
  }
  return rolesOf(readPrecisionValue(v, where, { roles: ROLES, layerKeys: [], modelKeys: [] }));
}

/**
 * Reads a precision configuration object (from JSON or YAML, or built in code). Accepts the object itself or one
 * wrapped in a `precision` key; hls4ml spellings (Model, LayerType, LayerName, Precision) are understood. With a
 * graph, layer names and layer types are checked against the model. Errors name the offending key.
 */
export function readPrecisionConfig(raw: unknown, graph?: Graph, source = 'precision'): PrecisionConfig {
  const cfg = defaultConfig();
  if (raw === undefined || raw === null) return cfg;
  let obj = raw as Record<string, unknown>;
  if (typeof raw === 'string') {
    cfg.model = { ...cfg.model, ...readRoles(raw, source) };
    return cfg;
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new FirmflowError('config.precision', `${source}: expected an object`);
  if (isSectionsForm(obj)) return fromSections(obj, graph, source);
  const wrapped = Object.keys(obj).find((k) => k.toLowerCase() === 'precision');
  if (wrapped && Object.keys(obj).length === 1 && typeof obj[wrapped] === 'object') {
    obj = obj[wrapped] as Record<string, unknown>;
    source = `${source}.${wrapped}`;
  }
  for (const [k, v] of Object.entries(obj)) {
    const scope = SCOPE_ALIASES[k.toLowerCase()];
    const where = `${source}.${k}`;
    if (!scope) throw new FirmflowError('config.key', `${where}: unknown key '${k}' (expected model, layerType, layerName, maxWidth)`);
    if (scope === 'maxWidth') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 2) throw new FirmflowError('config.precision', `${where}: expected an integer >= 2, got ${JSON.stringify(v)}`);
      cfg.maxWidth = v;
    } else if (scope === 'model') {
      cfg.model = { ...cfg.model, ...readRoles(v, where) };
    } else {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FirmflowError('config.precision', `${where}: expected a map from ${scope === 'layerName' ? 'layer names' : 'layer types'} to precisions`);
      for (const [name, spec] of Object.entries(v as Record<string, unknown>)) {
        cfg[scope][name] = readRoles(spec, `${where}.${name}`);
      }
    }
  }
  if (graph) checkAgainstGraph(cfg, graph, source);
  return cfg;
}

/** hls4ml's form (what `firmflow config` and `precision -o` write, and what convert -c reads). */
const isSectionsForm = (obj: Record<string, unknown>): boolean => ['Model', 'LayerType', 'LayerName', 'HLSConfig'].some((k) => k in obj);

/** The core's roles as the sections reader names them (hls4ml's `accum` is read as `accumulator`). */
const SECTION_SPEC: SectionSpec = { roles: ROLES, layerKeys: '*', modelKeys: '*', ignoreRoles: true };

const rolesOf = (p: SectionPrecision | undefined): RolePrecisions => ({ ...(p?.default !== undefined ? { default: p.default } : {}), ...(p?.roles ?? {}) });

/**
 * Reads the Model / LayerType / LayerName sections (an hls4ml file as it is, HLSConfig and all) with the shared
 * reader; keys other than Precision, and roles of a backend's own (exp_table ...), belong to the backend.
 */
function fromSections(obj: Record<string, unknown>, graph: Graph | undefined, source: string): PrecisionConfig {
  if (!graph) throw new FirmflowError('config.precision', `${source}: a configuration with Model / LayerType / LayerName sections is read against a model`);
  const cfg = defaultConfig();
  const sections = readConfigSections(fromHls4mlConfig(obj, source), graph, SECTION_SPEC, source);
  if (sections.model) cfg.model = { ...cfg.model, ...rolesOf(sections.model.precision) };
  for (const t of sections.layerType) for (const op of t.ops) cfg.layerType[op] = { ...cfg.layerType[op], ...rolesOf(t.precision) };
  for (const l of sections.layerName) for (const n of l.nodes) cfg.layerName[n.name] = { ...cfg.layerName[n.name], ...rolesOf(l.precision) };
  for (const i of sections.inputs) {
    const p = i.precision;
    const t = p?.default ?? p?.roles['input'] ?? p?.roles['result'];
    if (t !== undefined) cfg.layerName[i.key] = { input: t };
  }
  return cfg;
}

function checkAgainstGraph(cfg: PrecisionConfig, graph: Graph, source: string): void {
  const names = new Set([...graph.nodes.keys(), ...graph.inputs.map((p) => p.name)]);
  for (const name of Object.keys(cfg.layerName)) {
    if (!names.has(name)) {
      const list = [...names].slice(0, 20).join(', ');
      throw new FirmflowError('config.layer', `${source}.layerName.${name}: the model has no layer named '${name}' (layers: ${list}${names.size > 20 ? ', ...' : ''})`);
    }
  }
  const types = new Set<string>(['Input']);
  for (const n of graph.nodes.values()) {
    types.add(n.op);
    if (n.origin?.op) types.add(n.origin.op);
  }
  for (const t of Object.keys(cfg.layerType)) {
    if (!types.has(t)) throw new FirmflowError('config.layer', `${source}.layerType.${t}: the model has no layer of type '${t}' (types: ${[...types].sort().join(', ')})`);
  }
}

/** A layer for lookups: an IR node, or a graph input (type 'Input'). */
export interface LayerRef {
  name: string;
  types: string[];
}

export const layerOf = (node: IRNode): LayerRef => ({ name: node.name, types: node.origin?.op && node.origin.op !== node.op ? [node.op, node.origin.op] : [node.op] });
export const inputLayer = (name: string): LayerRef => ({ name, types: ['Input'] });

/** Resolves the precision of one role of one layer; also says which key decided it. */
export function resolvePrecision(cfg: PrecisionConfig, layer: LayerRef, role: Role): { spec: PrecisionSpec; from: string } {
  const scopes: [RolePrecisions | undefined, string][] = [
    [cfg.layerName[layer.name], `layerName.${layer.name}`],
    ...layer.types.map((t): [RolePrecisions | undefined, string] => [cfg.layerType[t], `layerType.${t}`]),
    [cfg.model, 'model'],
  ];
  for (const [s, key] of scopes) {
    if (s?.[role] !== undefined) return { spec: s[role]!, from: `${key}.${role}` };
  }
  for (const [s, key] of scopes) {
    if (s?.default !== undefined) return { spec: s.default, from: `${key}.default` };
  }
  return { spec: parsePrecision(DEFAULT_PRECISION), from: 'built-in default' };
}

const specText = (s: PrecisionSpec | undefined): string | undefined => (s === undefined ? undefined : s === 'auto' ? 'auto' : formatType(s));

/** hls4ml's spelling of a role in files (its `accum`; the others are the same). */
const FILE_ROLE: Partial<Record<Role, string>> = { accumulator: 'accum' };

/**
 * The configuration as hls4ml-style sections for JSON/YAML output: `Model` and `LayerType` / `LayerName` entries with
 * `Precision` role maps (`convert -c` and readPrecisionConfig read it back). Graph inputs are LayerName entries with
 * a plain Precision. The `maxWidth` cap is the command's (--max-width), not the file's.
 */
export function configToObject(cfg: PrecisionConfig, graph?: Graph): Record<string, unknown> {
  const roles = (r: RolePrecisions): Record<string, string> => {
    const o: Record<string, string> = {};
    for (const k of ['default', ...ROLES] as const) {
      const t = specText(r[k]);
      if (t !== undefined) o[k === 'default' ? k : FILE_ROLE[k] ?? k] = t;
    }
    return o;
  };
  const inputs = new Set(graph?.inputs.map((p) => p.name) ?? []);
  const entry = (name: string, r: RolePrecisions): Record<string, unknown> => {
    if (inputs.has(name)) return { Precision: specText(r.input ?? r.default) };
    return { Precision: roles(r) };
  };
  const out: Record<string, unknown> = { Model: { Precision: roles(cfg.model) } };
  if (Object.keys(cfg.layerType).length) out.LayerType = Object.fromEntries(Object.entries(cfg.layerType).map(([k, v]) => [k, { Precision: roles(v) }]));
  if (Object.keys(cfg.layerName).length) out.LayerName = Object.fromEntries(Object.entries(cfg.layerName).map(([k, v]) => [k, entry(k, v)]));
  return out;
}
