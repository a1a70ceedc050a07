import { readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FirmflowError } from './errors.js';
import type { Graph } from './ir/graph.js';
import { sanitizeIdentifier } from './ir/names.js';
import type { Dim } from './ir/types.js';
import { loadModel } from './onnx/frontend.js';
import { runFlows } from './pipeline/driver.js';
import type { PassRecord } from './pipeline/pass.js';
import { getBackend, getPluginWarnings } from './registry/plugins.js';
import { blame } from './registry/blame.js';
import { backendSource, getWriter, writerSource } from './registry/registry.js';
import { ensureSharedFlows } from './registry/shared.js';
import type { Backend } from './registry/types.js';
import { writeAtomically } from './writer/atomic.js';
import { createOutputFiles } from './writer/files.js';

export type Strategy = 'latency' | 'resource';
export type IOType = 'parallel' | 'stream';

/** Per-layer overrides (keyed by node name in `layers`), as in hls4ml's per-layer configuration. */
export interface LayerOptions {
  precision?: string;
  reuseFactor?: number;
  strategy?: Strategy;
}

/** Options of `convert`. Backends may accept more keys (Backend.optionKeys). */
export interface ConvertOptions {
  /** Backend name (case-insensitive); may also come from the config. */
  backend?: string;
  /** Default folder for project.write(). */
  outputDir?: string;
  /** A JSON or YAML file, or an object, with any of these options; explicit options win over it. */
  config?: string | Record<string, unknown>;
  /** Default precision of weights and activations, e.g. 'fixed<16,6>' or 'ap_fixed<18,8,AP_RND,AP_SAT>'. */
  precision?: string;
  reuseFactor?: number;
  strategy?: Strategy;
  io?: IOType;
  /** FPGA part number. */
  part?: string;
  /** Target clock period in ns. */
  clockPeriod?: number;
  /** Name of the generated project (sanitized into an identifier). */
  projectName?: string;
  /** Replace an existing output folder on write. */
  force?: boolean;
  verbose?: boolean;
  /** Input shapes by graph input name, to fix dynamic dimensions. */
  inputShapes?: Record<string, Dim[]>;
  /** Per-layer overrides by node name. */
  layers?: Record<string, LayerOptions>;
  /** Receives debug lines of the passes and driver. */
  log?: (message: string) => void;
  /** Receives the name of each long step as it starts (the CLI shows them on a TTY). */
  progress?: (step: string) => void;
}

/** Options after defaults, the config file and validation. */
export interface ResolvedOptions {
  backend: string;
  outputDir?: string;
  /** Unset means: the backend's own default. */
  precision?: string;
  reuseFactor: number;
  strategy: Strategy;
  io: IOType;
  part?: string;
  clockPeriod: number;
  projectName: string;
  force: boolean;
  verbose: boolean;
  inputShapes?: Record<string, Dim[]>;
  layers: Record<string, LayerOptions>;
  /** The config file the options came from, if any (for messages). */
  configFile?: string;
  /** Backend-specific keys, as given. */
  [backendOption: string]: unknown;
}

export interface WriteOptions {
  force?: boolean;
}

export interface WriteResult {
  /** Absolute path of the written folder. */
  dir: string;
  /** Files written, relative to `dir`, sorted. */
  files: string[];
}

/** What `convert` returns. Backends add compile/predict/emulate/report through Backend.extendProject. */
export interface Project {
  graph: Graph;
  backend: Backend;
  options: ResolvedOptions;
  projectName: string;
  /** Flows run, in order. */
  flows: string[];
  passRecords: PassRecord[];
  /** Plugin warnings so far (plugins that were refused or failed to load), for hosts to show. */
  warnings: string[];
  /** Writes the backend's project into `dir` (default options.outputDir), atomically. */
  write(dir?: string, options?: WriteOptions): Promise<WriteResult>;
  [extension: string]: unknown;
}

export const DEFAULTS = {
  reuseFactor: 1,
  strategy: 'latency' as Strategy,
  io: 'parallel' as IOType,
  clockPeriod: 5,
};

const CORE_KEYS = [
  'backend', 'outputDir', 'config', 'precision', 'reuseFactor', 'strategy', 'io', 'part', 'clockPeriod', 'projectName',
  'force', 'verbose', 'inputShapes', 'layers', 'log', 'progress',
] as const;
/** Keys a config file may not set: functions, and the config itself. */
const NOT_IN_CONFIG = new Set(['config', 'log', 'progress']);
const LAYER_KEYS = ['precision', 'reuseFactor', 'strategy'];

const ROUNDING = ['TRN', 'TRN_ZERO', 'RND', 'RND_ZERO', 'RND_MIN_INF', 'RND_INF', 'RND_CONV'];
const OVERFLOW = ['WRAP', 'SAT', 'SAT_ZERO', 'SAT_SYM', 'WRAP_SM'];

/**
 * Checks a precision string: fixed<W,I>, ufixed<W,I>, ap_fixed<W,I[,Q[,O[,N]]]>, ap_ufixed<...>, int<W>,
 * uint<W>, ap_int<W>, ap_uint<W>. Returns a reason when it is not one.
 */
export function checkPrecision(s: string): string | undefined {
  const m = /^\s*(ap_)?(u?fixed|u?int)\s*<([^<>]*)>\s*$/.exec(s);
  if (!m) return `'${s}' is not a precision (expected e.g. fixed<16,6>, ufixed<8,0>, ap_fixed<18,8,AP_RND,AP_SAT>, int<8>)`;
  const args = m[3].split(',').map((a) => a.trim());
  const isFixed = m[2].endsWith('fixed');
  const width = Number(args[0]);
  if (!Number.isInteger(width) || width < 1 || width > 1024) return `'${s}': width ${args[0]} must be an integer from 1 to 1024`;
  if (!isFixed) return args.length === 1 ? undefined : `'${s}': ${m[2]} takes one argument (the width)`;
  if (args.length < 2 || args.length > 5) return `'${s}': ${m[2]} takes <width, integer bits[, rounding[, overflow[, saturation bits]]]>`;
  if (!/^-?\d+$/.test(args[1])) return `'${s}': integer bits ${args[1]} must be an integer`;
  if (args[2] !== undefined && !ROUNDING.includes(args[2].replace(/^AP_/, ''))) return `'${s}': rounding mode ${args[2]} is not one of ${ROUNDING.map((r) => `AP_${r}`).join(', ')}`;
  if (args[3] !== undefined && !OVERFLOW.includes(args[3].replace(/^AP_/, ''))) return `'${s}': overflow mode ${args[3]} is not one of ${OVERFLOW.map((r) => `AP_${r}`).join(', ')}`;
  if (args[4] !== undefined && !/^\d+$/.test(args[4])) return `'${s}': saturation bits ${args[4]} must be a non-negative integer`;
  return undefined;
}

function camel(key: string): string {
  return key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Reads a config file (JSON or YAML, by extension; other extensions try JSON, then YAML). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FirmflowError('config.file', `config file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const ext = extname(path).toLowerCase();
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new FirmflowError('config.file', `config file ${path}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${(e as Error).message.split('\n')[0]})`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new FirmflowError('config.file', `config file ${path}: the top level must be a mapping of option names to values`);
  return value as Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Config keys may be written camelCase, kebab-case or snake_case. */
function normalizeConfig(raw: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const key = camel(k);
    if (NOT_IN_CONFIG.has(key)) throw new FirmflowError('config.key', `${where}: option '${k}' cannot be set in a config`, { key: k });
    if (key in out) throw new FirmflowError('config.key', `${where}: option '${key}' is given twice (as '${k}')`, { key: k });
    out[key] = key === 'layers' && isPlainObject(v)
      ? Object.fromEntries(Object.entries(v).map(([n, lv]) => [n, isPlainObject(lv) ? Object.fromEntries(Object.entries(lv).map(([a, b]) => [camel(a), b])) : lv]))
      : v;
  }
  return out;
}

function bad(key: string, where: string, what: string): never {
  throw new FirmflowError('options.value', `${where}option '${key}' ${what}`, { key });
}

function checkLayers(v: unknown, where: string): Record<string, LayerOptions> {
  if (!isPlainObject(v)) bad('layers', where, 'must be a mapping of node names to { precision, reuseFactor, strategy }');
  const out: Record<string, LayerOptions> = {};
  for (const [name, lv] of Object.entries(v)) {
    const key = `layers.${name}`;
    if (!isPlainObject(lv)) bad(key, where, 'must be a mapping with precision, reuseFactor or strategy');
    for (const k of Object.keys(lv)) if (!LAYER_KEYS.includes(k)) bad(`${key}.${k}`, where, `is not a per-layer option (known: ${LAYER_KEYS.join(', ')})`);
    const l: LayerOptions = {};
    if (lv.precision !== undefined) l.precision = checkPrecisionOption(`${key}.precision`, lv.precision, where);
    if (lv.reuseFactor !== undefined) l.reuseFactor = positiveInt(`${key}.reuseFactor`, lv.reuseFactor, where);
    if (lv.strategy !== undefined) l.strategy = oneOf(`${key}.strategy`, lv.strategy, ['latency', 'resource'], where) as Strategy;
    out[name] = l;
  }
  return out;
}

function checkPrecisionOption(key: string, v: unknown, where: string): string {
  if (typeof v !== 'string') bad(key, where, `must be a precision string such as 'fixed<16,6>', got ${JSON.stringify(v)}`);
  const why = checkPrecision(v);
  if (why) bad(key, where, `has a bad value: ${why}`);
  return v.trim();
}

function positiveInt(key: string, v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(key, where, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf(key: string, v: unknown, allowed: string[], where: string): string {
  const s = typeof v === 'string' ? v.toLowerCase() : undefined;
  if (!s || !allowed.includes(s)) bad(key, where, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return s;
}

function str(key: string, v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') bad(key, where, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(key: string, v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') bad(key, where, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function checkInputShapes(v: unknown, where: string): Record<string, Dim[]> {
  if (!isPlainObject(v)) bad('inputShapes', where, 'must map graph input names to shapes, e.g. { "x": [1, 16] }');
  for (const [name, s] of Object.entries(v)) {
    if (!Array.isArray(s) || s.some((d) => !((typeof d === 'number' && Number.isInteger(d) && d >= 1) || (typeof d === 'string' && d !== '')))) {
      bad(`inputShapes.${name}`, where, `must be a list of positive integers (or a symbolic batch name), got ${JSON.stringify(s)}`);
    }
  }
  return v as Record<string, Dim[]>;
}

/**
 * Validates options (explicit ones over the config's) against the core keys and the backend's optionKeys.
 * `where` prefixes messages for values that came from a config file.
 */
export function resolveOptions(explicit: ConvertOptions, config: Record<string, unknown>, configFile: string | undefined, backend: Backend, defaultName: string): ResolvedOptions {
  const known = new Set<string>([...CORE_KEYS, ...(backend.optionKeys ?? [])]);
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const [k, v] of Object.entries(config)) {
    merged[k] = v;
    origin.set(k, configFile ? `config file ${configFile}: ` : 'config: ');
  }
  for (const [k, v] of Object.entries(explicit)) {
    if (k === 'config' || v === undefined) continue;
    merged[k] = v;
    origin.set(k, '');
  }
  for (const k of Object.keys(merged)) {
    if (!known.has(k)) {
      throw new FirmflowError(
        'options.key',
        `${origin.get(k)}unknown option '${k}' for backend '${backend.name}' (known: ${[...known].filter((x) => x !== 'log' && x !== 'progress').join(', ')})`,
        { key: k },
      );
    }
  }
  const w = (k: string): string => origin.get(k) ?? '';
  const r: ResolvedOptions = {
    backend: backend.name,
    reuseFactor: DEFAULTS.reuseFactor,
    strategy: DEFAULTS.strategy,
    io: DEFAULTS.io,
    clockPeriod: DEFAULTS.clockPeriod,
    projectName: defaultName,
    force: false,
    verbose: false,
    layers: {},
  };
  if (configFile) r.configFile = configFile;
  for (const [k, v] of Object.entries(merged)) {
    switch (k) {
      case 'backend': break;
      case 'outputDir': r.outputDir = str(k, v, w(k)); break;
      case 'precision': r.precision = checkPrecisionOption(k, v, w(k)); break;
      case 'reuseFactor': r.reuseFactor = positiveInt(k, v, w(k)); break;
      case 'strategy': r.strategy = oneOf(k, v, ['latency', 'resource'], w(k)) as Strategy; break;
      case 'io': r.io = oneOf(k, v, ['parallel', 'stream'], w(k)) as IOType; break;
      case 'part': r.part = str(k, v, w(k)); break;
      case 'clockPeriod':
        if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(k, w(k), `must be a positive number of nanoseconds, got ${JSON.stringify(v)}`);
        r.clockPeriod = v;
        break;
      case 'projectName': r.projectName = sanitizeIdentifier(str(k, v, w(k)), 'project'); break;
      case 'force': r.force = bool(k, v, w(k)); break;
      case 'verbose': r.verbose = bool(k, v, w(k)); break;
      case 'inputShapes': r.inputShapes = checkInputShapes(v, w(k)); break;
      case 'layers': r.layers = checkLayers(v, w(k)); break;
      case 'log': case 'progress':
        if (typeof v !== 'function') bad(k, w(k), 'must be a function');
        break;
      default: r[k] = v;
    }
  }
  return r;
}

/** The config (file or object) of `options.config`, keys normalized. */
function loadConfig(config: unknown): { values: Record<string, unknown>; file?: string } {
  if (config === undefined) return { values: {} };
  if (typeof config === 'string') {
    const file = resolve(config);
    return { values: normalizeConfig(readConfigFile(file), `config file ${config}`), file: config };
  }
  if (isPlainObject(config)) return { values: normalizeConfig(config, 'config') };
  throw new FirmflowError('options.value', `option 'config' must be a file path or an object, got ${JSON.stringify(config)}`, { key: 'config' });
}

function defaultProjectName(model: string | Uint8Array): string {
  if (typeof model === 'string') return sanitizeIdentifier(basename(model).replace(/\.onnx$/i, ''), 'project');
  return 'myproject';
}

/**
 * Converts an ONNX model for a backend: loads it, runs the backend's flows (the shared ones they require
 * first), and returns the project. Nothing is written until project.write().
 */
export async function convert(model: string | Uint8Array, options: ConvertOptions): Promise<Project> {
  if (!isPlainObject(options as unknown)) throw new FirmflowError('options.value', 'convert needs an options object with at least { backend }');
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new FirmflowError('options.value', 'convert needs a model file path or the bytes of an ONNX model');
  }
  const config = loadConfig(options.config);
  const backendName = options.backend ?? config.values.backend;
  if (backendName === undefined) throw new FirmflowError('options.key', "option 'backend' is required", { key: 'backend' });
  if (typeof backendName !== 'string') bad('backend', options.backend === undefined ? `config file ${config.file ?? ''}: ` : '', `must be a backend name, got ${JSON.stringify(backendName)}`);
  const backend = await getBackend(backendName);
  const resolved = resolveOptions(options, config.values, config.file, backend, defaultProjectName(model));
  const progress = options.progress ?? (() => {});
  const log = options.log ?? (() => {});

  progress(`loading ${typeof model === 'string' ? model : 'model'}`);
  const graph = loadModel(model, { inputShapes: resolved.inputShapes });
  checkLayerNames(resolved, graph);

  ensureSharedFlows();
  progress(`running flows for ${backend.name}`);
  const result = runFlows(graph, backend.flows, { backend: backend.name, options: resolved, log });

  const project: Project = {
    graph,
    backend,
    options: resolved,
    projectName: resolved.projectName,
    flows: result.flows,
    passRecords: result.records,
    warnings: getPluginWarnings(),
    write: (dir?: string, wopts: WriteOptions = {}) => writeProject(project, dir, wopts, progress),
  };
  if (backend.extendProject) await blame(backendSource(backend.name), `backend '${backend.name}' (extendProject)`, () => backend.extendProject!(project, graph, resolved));
  return project;
}

function checkLayerNames(options: ResolvedOptions, graph: Graph): void {
  const names = new Set<string>();
  for (const n of graph.nodes.values()) {
    names.add(n.name);
    if (n.origin?.name) names.add(n.origin.name);
  }
  const unknown = Object.keys(options.layers).filter((l) => !names.has(l));
  if (unknown.length) {
    throw new FirmflowError('options.value', `option 'layers' names node${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} that the model does not have`, { key: 'layers', unknown });
  }
}

async function writeProject(project: Project, dir: string | undefined, opts: WriteOptions, progress: (step: string) => void): Promise<WriteResult> {
  const target = dir ?? project.options.outputDir;
  if (!target) throw new FirmflowError('options.key', "no output folder given (-o <dir> on the command line, write(dir) or option 'outputDir' in the API or config)", { key: 'outputDir' });
  const b = project.backend;
  const writerName = b.writer ?? b.name;
  const writer = getWriter(writerName);
  if (!writer) throw new FirmflowError('registry.writer', `backend '${b.name}' writes through writer '${writerName}', which is not registered`);
  progress(`writing ${target}`);
  const files = await writeAtomically(
    target,
    async (tmp) => {
      const out = createOutputFiles(tmp);
      const write = () => writer.write({ graph: project.graph, projectName: project.projectName, backend: b.name, options: project.options, dir: tmp, files: out });
      await blame(writerSource(writerName), `writer '${writerName}'`, write);
      return out.written();
    },
    { force: opts.force ?? project.options.force },
  );
  return { dir: resolve(target), files };
}
