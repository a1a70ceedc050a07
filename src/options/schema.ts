import { FirmflowError } from '../errors.js';
import { checkPrecision } from '../precision/parse.js';

/*
 * Backend option schemas: a backend declares the conversion options it accepts (name, type, default, help, CLI flag,
 * per-layer use); the core validates options against the declaration and the CLI turns it into flags and help text.
 * The core itself knows only the generic options (src/api.ts), never a backend's.
 */

/** The value types an option can have. `object` values (sections, files or objects) are checked by the backend. */
export type OptionType = 'int' | 'positiveInt' | 'number' | 'positiveNumber' | 'string' | 'enum' | 'boolean' | 'precision' | 'object';

/** A value an option may default to. */
export type OptionValue = string | number | boolean;

/** One option a backend accepts. */
export interface OptionSpec {
  /** Key in the conversion options and config files (camelCase; configs may spell it kebab-case or snake_case). */
  name: string;
  type: OptionType;
  /** One line of help (the CLI's --help and error messages). */
  description: string;
  /** `enum`: the allowed values (matched case-insensitively, stored as listed). */
  choices?: readonly string[];
  /** The value resolved options carry when the option is not given. */
  default?: OptionValue;
  /**
   * The command-line flag, e.g. '--reuse-factor <n>' (a boolean option: '--flag'). Default: the name in kebab case
   * with a value placeholder for scalar types; `false`, and every `object` option, have no flag (config file or -O).
   */
  flag?: string | false;
  /**
   * The flag of `firmflow report <dir>` for an option that retargets a written project's estimate and report (an
   * FPGA part, a clock): its value goes to project.report({ [name]: value }). Without it, report has no such flag.
   */
  reportFlag?: string;
  /**
   * The flag of `firmflow sweep` that takes a comma-separated list of this option's values, the same as
   * `--axis <name>=LIST` (e.g. '--reuse <list>'); the backend's sweep must have an axis of this name.
   */
  sweepFlag?: string;
  /** What a number counts, for messages ('nanoseconds' gives "must be a positive number of nanoseconds"). */
  unit?: string;
  /**
   * Other names of the option in config files, e.g. hls4ml's top-level 'Part', 'ClockPeriod', 'IOType' (a config
   * written for hls4ml then reads as it is).
   */
  configKeys?: readonly string[];
  /** `enum`: other spellings of choices (hls4ml's 'io_stream' for 'stream'), matched case-insensitively. */
  choiceAliases?: Readonly<Record<string, string>>;
  /**
   * The option's key in hls4ml-style configuration sections ('ReuseFactor'): `layer`, in Model, LayerType and
   * LayerName entries; `model`, in the Model section only. The section reader (readConfigSections) takes these keys
   * and hands their values to the backend.
   */
  section?: { key: string; scope: 'model' | 'layer' };
  /** Also accepted for one layer, as `layers.<node name>.<name>`. */
  perLayer?: boolean;
  /** Listed in the settings of bench and sweep reports (the options that characterize a design). */
  summary?: boolean;
  /** A check after the type's: a reason when the value is not acceptable (completes "option 'x' ..."). */
  check?(value: unknown): string | undefined;
}

/** The options of a backend, in the order the CLI lists them. */
export type OptionSchema = readonly OptionSpec[];

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws the error of a bad option value: `<where>option '<key>' <what>`; `where` names the config file, if any. */
export function badOption(key: string, where: string, what: string): never {
  throw new FirmflowError('options.value', `${where}option '${key}' ${what}`, { key });
}

/** Why a value does not have the spec's type (a phrase completing "option 'x' ..."), or undefined when it has. */
function typeProblem(spec: OptionSpec, v: unknown): string | undefined {
  const got = `got ${JSON.stringify(v)}`;
  const of = spec.unit ? ` of ${spec.unit}` : '';
  switch (spec.type) {
    case 'int': return typeof v === 'number' && Number.isInteger(v) ? undefined : `must be an integer${of}, ${got}`;
    case 'positiveInt': return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? undefined : `must be a positive integer${of}, ${got}`;
    case 'number': return typeof v === 'number' && Number.isFinite(v) ? undefined : `must be a number${of}, ${got}`;
    case 'positiveNumber': return typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : `must be a positive number${of}, ${got}`;
    case 'string': return typeof v === 'string' && v.trim() !== '' ? undefined : `must be a non-empty string, ${got}`;
    case 'boolean': return typeof v === 'boolean' ? undefined : `must be true or false, ${got}`;
    case 'enum': {
      const s = typeof v === 'string' ? aliasOf(spec, v).toLowerCase() : undefined;
      return s !== undefined && (spec.choices ?? []).some((c) => c.toLowerCase() === s) ? undefined : `must be one of ${(spec.choices ?? []).join(', ')}, ${got}`;
    }
    case 'precision': {
      if (typeof v !== 'string') return `must be a precision string such as 'fixed<16,6>', ${got}`;
      const why = checkPrecision(v);
      return why ? `has a bad value: ${why}` : undefined;
    }
    case 'object': return undefined;
  }
}

/** An enum value with another spelling given as the choice it stands for. */
function aliasOf(spec: OptionSpec, v: string): string {
  const hit = Object.entries(spec.choiceAliases ?? {}).find(([a]) => a.toLowerCase() === v.toLowerCase());
  return hit ? hit[1] : v;
}

/** A valid value in its stored form (enums as listed, precisions trimmed). */
function normalized(spec: OptionSpec, v: unknown): unknown {
  if (spec.type === 'enum') return (spec.choices ?? []).find((c) => c.toLowerCase() === aliasOf(spec, v as string).toLowerCase());
  if (spec.type === 'precision') return (v as string).trim();
  return v;
}

/**
 * Validates one option value against its spec and returns it in its stored form. `key` is the option's path as the
 * user wrote it (layers.fc1.reuseFactor), `where` the origin prefix of the message ('' for explicit options,
 * "config file c.yaml: " for a config's).
 */
export function validateOption(spec: OptionSpec, value: unknown, key: string, where: string): unknown {
  const problem = typeProblem(spec, value) ?? spec.check?.(value);
  if (problem) badOption(key, where, problem);
  return normalized(spec, value);
}

/** The CLI flag of an option ('--reuse-factor <n>'), or undefined when it has none. */
export function optionFlag(spec: OptionSpec): string | undefined {
  if (spec.flag === false || (spec.type === 'object' && spec.flag === undefined)) return undefined;
  if (spec.flag) return spec.flag;
  const long = `--${spec.name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
  if (spec.type === 'boolean') return long;
  const placeholder = spec.type === 'enum' ? 'value' : spec.type === 'precision' ? 'type' : spec.type === 'string' ? 'value' : 'n';
  return `${long} <${placeholder}>`;
}

/** The core's own options (src/options/resolve.ts): a backend cannot declare options of these names. */
export const CORE_OPTION_NAMES = ['backend', 'outputDir', 'config', 'precision', 'projectName', 'force', 'verbose', 'inputShapes', 'layers', 'log', 'progress'] as const;

/** Checks a schema as a backend registers it; a mistake names the backend and the option. */
export function checkSchema(schema: unknown, owner: string): OptionSchema {
  if (!Array.isArray(schema)) throw new FirmflowError('registry.options', `${owner}: options must be a list of option declarations`);
  const seen = new Set<string>();
  for (const s of schema as unknown[]) {
    if (!isPlainObject(s) || typeof s['name'] !== 'string' || !/^[A-Za-z][\w]*$/.test(s['name'])) {
      throw new FirmflowError('registry.options', `${owner}: every option needs a name (an identifier), got ${JSON.stringify(s)}`);
    }
    const spec = s as unknown as OptionSpec;
    const where = `${owner}: option '${spec.name}'`;
    if (seen.has(spec.name)) throw new FirmflowError('registry.options', `${where} is declared twice`);
    if ((CORE_OPTION_NAMES as readonly string[]).includes(spec.name)) throw new FirmflowError('registry.options', `${where} is one of the core's options (${CORE_OPTION_NAMES.join(', ')})`);
    seen.add(spec.name);
    if (!['int', 'positiveInt', 'number', 'positiveNumber', 'string', 'enum', 'boolean', 'precision', 'object'].includes(spec.type)) {
      throw new FirmflowError('registry.options', `${where} has an unknown type ${JSON.stringify(spec.type)}`);
    }
    if (spec.type === 'enum' && (!Array.isArray(spec.choices) || spec.choices.length === 0)) throw new FirmflowError('registry.options', `${where} is an enum without choices`);
    if (spec.default !== undefined) {
      const problem = typeProblem(spec, spec.default) ?? spec.check?.(spec.default);
      if (problem) throw new FirmflowError('registry.options', `${where}: its default ${problem}`);
    }
    if (spec.configKeys !== undefined && (!Array.isArray(spec.configKeys) || spec.configKeys.some((k) => typeof k !== 'string' || k === ''))) {
      throw new FirmflowError('registry.options', `${where}: configKeys must be a list of key names`);
    }
    if (spec.section !== undefined && (typeof spec.section?.key !== 'string' || !/^[A-Za-z]\w*$/.test(spec.section.key) || !['model', 'layer'].includes(spec.section.scope))) {
      throw new FirmflowError('registry.options', `${where}: section must be { key: 'SectionKey', scope: 'model' | 'layer' }`);
    }
    if (spec.choiceAliases !== undefined && Object.values(spec.choiceAliases).some((c) => !(spec.choices ?? []).includes(c))) {
      throw new FirmflowError('registry.options', `${where}: choiceAliases must map other spellings to its choices (${(spec.choices ?? []).join(', ')})`);
    }
    for (const f of [spec.flag, spec.reportFlag, spec.sweepFlag]) {
      if (typeof f === 'string' && !/^--[a-z][a-z0-9-]*( <[^<>]+>)?$/.test(f)) throw new FirmflowError('registry.options', `${where}: flag '${f}' is not of the form --name <value>`);
    }
  }
  return schema as OptionSchema;
}
