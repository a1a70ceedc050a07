import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseYaml } from '../util/lazy-deps.js';
import { FirmflowError } from '../errors.js';
import { sanitizeIdentifier } from '../ir/names.js';
import type { Dim } from '../ir/types.js';
import type { Backend } from '../registry/types.js';
import { fromHls4mlConfig } from '../config/hls4ml-file.js';
import { badOption, CORE_OPTION_NAMES, validateOption, type OptionSchema, type OptionSpec } from './schema.js';

/*
 * Conversion options: the core's generic ones, validated here, and the backend's, validated against the schema the
 * backend declares (Backend.options). Explicit options win over a config file's; every message names the key and,
 * for a config's value, the file.
 */

/**
 * Per-layer overrides (keyed by node name in `layers`), as in hls4ml's per-layer configuration. `precision` is the
 * core's: every backend quantizes, so one spelling serves them all (and hls4ml users write layers.<name>.precision);
 * any other key is a backend option its schema marks `perLayer` (e.g. the FPGA backends' reuse factor).
 */
export interface LayerOptions {
  precision?: string;
  [backendOption: string]: unknown;
}

/** Options of `convert`: the generic ones below and the backend's own (its `Backend.options` schema). */
export interface ConvertOptions {
  /** Backend name (case-insensitive); may also come from the config. */
  backend?: string;
  /** Default folder for project.write(). */
  outputDir?: string;
  /** A JSON or YAML file, or an object, with any of these options; explicit options win over it. */
  config?: string | Record<string, unknown>;
  /**
   * Default precision of weights and activations, e.g. 'fixed<16,6>' or 'ap_fixed<18,8,AP_RND,AP_SAT>'. Generic:
   * every backend quantizes (unset means the backend's own default).
   */
  precision?: string;
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
  /** The backend's own options, as its schema declares them (`firmflow convert -b <backend> --help` lists them). */
  [backendOption: string]: unknown;
}

/** Options after defaults, the config file and validation. */
export interface ResolvedOptions {
  backend: string;
  outputDir?: string;
  /** Unset means: the backend's own default. */
  precision?: string;
  projectName: string;
  force: boolean;
  verbose: boolean;
  inputShapes?: Record<string, Dim[]>;
  layers: Record<string, LayerOptions>;
  /** The config file the options came from, if any (for messages). */
  configFile?: string;
  /** The backend's options: validated values, and its schema's defaults for those not given. */
  [backendOption: string]: unknown;
}

/** The generic options, in the order `unknown option` messages list them. */
const CORE_KEYS = CORE_OPTION_NAMES;
/** Keys a config file may not set: functions, and the config itself. */
const NOT_IN_CONFIG = new Set(['config', 'log', 'progress']);

const PRECISION: OptionSpec = { name: 'precision', type: 'precision', description: 'default precision' };

function camel(key: string): string {
  return key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
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

/** Config keys may be written camelCase, kebab-case or snake_case. */
function normalizeConfig(raw: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fromHls4mlConfig(raw, where))) {
    const key = camel(k);
    if (NOT_IN_CONFIG.has(key)) throw new FirmflowError('config.key', `${where}: option '${k}' cannot be set in a config`, { key: k });
    if (key in out) throw new FirmflowError('config.key', `${where}: option '${key}' is given twice (as '${k}')`, { key: k });
    out[key] = key === 'layers' && isPlainObject(v)
      ? Object.fromEntries(Object.entries(v).map(([n, lv]) => [n, isPlainObject(lv) ? Object.fromEntries(Object.entries(lv).map(([a, b]) => [camel(a), b])) : lv]))
      : v;
  }
  return out;
}

/** The config (file or object) of `options.config`, keys normalized. */
export function loadConfig(config: unknown): { values: Record<string, unknown>; file?: string } {
  if (config === undefined) return { values: {} };
  if (typeof config === 'string') {
    const file = resolve(config);
    return { values: normalizeConfig(readConfigFile(file), `config file ${config}`), file: config };
  }
  if (isPlainObject(config)) return { values: normalizeConfig(config, 'config') };
  throw new FirmflowError('options.value', `option 'config' must be a file path or an object, got ${JSON.stringify(config)}`, { key: 'config' });
}

function str(key: string, v: unknown, where: string): string {
  if (typeof v !== 'string' || v.trim() === '') badOption(key, where, `must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function bool(key: string, v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') badOption(key, where, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function checkInputShapes(v: unknown, where: string): Record<string, Dim[]> {
  if (!isPlainObject(v)) badOption('inputShapes', where, 'must map graph input names to shapes, e.g. { "x": [1, 16] }');
  for (const [name, s] of Object.entries(v)) {
    if (!Array.isArray(s) || s.some((d) => !((typeof d === 'number' && Number.isInteger(d) && d >= 1) || (typeof d === 'string' && d !== '')))) {
      badOption(`inputShapes.${name}`, where, `must be a list of positive integers (or a symbolic batch name), got ${JSON.stringify(s)}`);
    }
  }
  return v as Record<string, Dim[]>;
}

/** `layers`: per node, the core's precision and the backend's per-layer options. */
function checkLayers(v: unknown, where: string, schema: OptionSchema): Record<string, LayerOptions> {
  const specs = [PRECISION, ...schema.filter((s) => s.perLayer)];
  const keys = specs.map((s) => s.name);
  if (!isPlainObject(v)) badOption('layers', where, `must be a mapping of node names to { ${keys.join(', ')} }`);
  const out: Record<string, LayerOptions> = {};
  for (const [name, lv] of Object.entries(v)) {
    const key = `layers.${name}`;
    if (!isPlainObject(lv)) badOption(key, where, `must be a mapping with ${keys.length > 1 ? `${keys.slice(0, -1).join(', ')} or ${keys[keys.length - 1]}` : keys[0]}`);
    for (const k of Object.keys(lv)) if (!keys.includes(k)) badOption(`${key}.${k}`, where, `is not a per-layer option (known: ${keys.join(', ')})`);
    const l: LayerOptions = {};
    for (const spec of specs) if (lv[spec.name] !== undefined) l[spec.name] = validateOption(spec, lv[spec.name], `${key}.${spec.name}`, where);
    out[name] = l;
  }
  return out;
}

/** The schema of a backend: its declared options, and the keys of the older `optionKeys` (accepted as given). */
function schemaOf(backend: Backend): OptionSchema {
  const declared = backend.options ?? [];
  const legacy = (backend.optionKeys ?? []).filter((k) => !declared.some((s) => s.name === k));
  return [...declared, ...legacy.map((name): OptionSpec => ({ name, type: 'object', description: '' }))];
}

/**
 * Validates options (explicit ones over the config's) against the core keys and the backend's schema.
 * `configFile` prefixes messages for values that came from a config file.
 */
export function resolveOptions(explicit: ConvertOptions, config: Record<string, unknown>, configFile: string | undefined, backend: Backend, defaultName: string): ResolvedOptions {
  const schema = schemaOf(backend);
  const byName = new Map(schema.map((s) => [s.name, s]));
  const known = new Set<string>([...CORE_KEYS, ...byName.keys()]);
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const configName = new Map(schema.flatMap((s) => (s.configKeys ?? []).map((k): [string, string] => [k, s.name])));
  for (const [written, v] of Object.entries(config)) {
    const k = configName.get(written) ?? written;
    if (k in merged) throw new FirmflowError('config.key', `${configFile ? `config file ${configFile}` : 'config'}: option '${k}' is given twice (as '${written}')`, { key: written });
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
  // The backend's defaults first, in schema order, then the core's: resolved options (and the manifests writers
  // save them in) keep one key order.
  const r = { backend: backend.name } as ResolvedOptions;
  for (const s of schema) if (s.default !== undefined) r[s.name] = s.default;
  Object.assign(r, { projectName: defaultName, force: false, verbose: false, layers: {} });
  if (configFile) r.configFile = configFile;
  for (const [k, v] of Object.entries(merged)) {
    const spec = byName.get(k);
    switch (k) {
      case 'backend': break;
      case 'outputDir': r.outputDir = str(k, v, w(k)); break;
      case 'precision':
        // A file of an older `firmflow precision -o` ({ precision: { model, layerType, layerName } }).
        if (isPlainObject(v)) badOption(k, w(k), "must be a precision string such as 'fixed<16,6>'; per-layer precisions go in LayerName / LayerType / Model sections (an older 'firmflow precision -o' file: rewrite it with firmflow precision <model> --config <old file> -o <new file>)");
        r.precision = validateOption(PRECISION, v, k, w(k)) as string;
        break;
      case 'projectName': r.projectName = sanitizeIdentifier(str(k, v, w(k)), 'project'); break;
      case 'force': r.force = bool(k, v, w(k)); break;
      case 'verbose': r.verbose = bool(k, v, w(k)); break;
      case 'inputShapes': r.inputShapes = checkInputShapes(v, w(k)); break;
      case 'layers': r.layers = checkLayers(v, w(k), schema); break;
      case 'log': case 'progress':
        if (typeof v !== 'function') badOption(k, w(k), 'must be a function');
        break;
      default: r[k] = spec ? validateOption(spec, v, k, w(k)) : v;
    }
  }
  return r;
}
