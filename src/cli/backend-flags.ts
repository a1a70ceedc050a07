import { type Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfigFile } from '../options/resolve.js';
import { optionFlag, type OptionSpec } from '../options/schema.js';
import { getAvailableBackends, getBackend } from '../registry/plugins.js';
import type { Backend } from '../registry/types.js';
import { numberIn, positiveInt, precisionArg } from './values.js';

/*
 * Command-line flags of backend options, made from the backends' option schemas (Backend.options). Which backends:
 * the one named by -b/--backend, else the config file's (-c), else, for --help, every available backend (each flag
 * marked with the backends that take it). Commands without a backend get no backend flags; their options still
 * reach the backend through -O key=value or a config file.
 */

/** A flag and the backends that declare it. */
export interface BackendFlag {
  spec: OptionSpec;
  flag: string;
  backends: string[];
}

/** The commands whose options include the backend's (report: those that retarget a written project's report). */
const COMMANDS = new Set(['convert', 'bench', 'sweep', 'report']);

/** The backend that wrote a project folder (its firmflow.json), if it can be read. */
function projectBackend(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  try {
    const b = (JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8')) as { backend?: unknown }).backend;
    return typeof b === 'string' ? b : undefined;
  } catch {
    return undefined;
  }
}

/** The value after a flag in argv (`-b X`, `--backend X`, `--backend=X`). */
function flagValue(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (names.includes(a)) return args[i + 1];
    for (const n of names) if (n.startsWith('--') && a.startsWith(`${n}=`)) return a.slice(n.length + 1);
  }
  return undefined;
}

async function allBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const info of await getAvailableBackends()) {
    try {
      out.push(await getBackend(info.name));
    } catch {
      // listed but not loadable: its flags are missing, its error shows where it is used
    }
  }
  return out;
}

/** What a command line's flags come from: the backends (see the comment at the top), and whether to mark each flag's. */
export interface FlagSources {
  backends: Backend[];
  mark: boolean;
  /**
   * `firmflow sweep`: every available backend, whose list flags (OptionSpec.sweepFlag) all parse, so a backend
   * without such an axis can say it does not use it rather than the flag being unknown.
   */
  sweepBackends: Backend[];
}

/** The sources of a command line's backend flags. */
export async function backendsForFlags(argv: string[]): Promise<FlagSources> {
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  const sources = await namedBackends(argv);
  return { ...sources, sweepBackends: command === 'sweep' ? await allBackends() : [] };
}

async function namedBackends(argv: string[]): Promise<{ backends: Backend[]; mark: boolean }> {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith('-'));
  if (!command || !COMMANDS.has(command)) return { backends: [], mark: false };
  let name = command === 'report' ? projectBackend(args.slice(args.indexOf(command) + 1).find((a) => !a.startsWith('-'))) : flagValue(args, ['-b', '--backend']);
  if (name === undefined) {
    const config = flagValue(args, ['-c', '--config']);
    if (config !== undefined) {
      try {
        const b = readConfigFile(config)['backend'];
        if (typeof b === 'string') name = b;
      } catch {
        // the command reports an unreadable config itself
      }
    }
  }
  if (name !== undefined) {
    try {
      return { backends: [await getBackend(name)], mark: false };
    } catch {
      // an unknown backend: the command's own error names it; meanwhile every backend's flags parse
    }
  }
  const help = args.includes('--help') || args.includes('-h');
  if (name === undefined && !help) return { backends: [], mark: false };
  return { backends: await allBackends(), mark: true };
}

/** Which flags of an option: conversion (convert, bench, sweep), `firmflow report`'s, or `firmflow sweep`'s list flag. */
export type FlagKind = 'convert' | 'report' | 'sweep';

/** The flags of `backends`, one per spelling (the first declaration's type and choices; others merge their names). */
export function backendFlags(backends: Backend[], kind: FlagKind = 'convert'): BackendFlag[] {
  const out = new Map<string, BackendFlag>();
  for (const b of backends) {
    for (const spec of b.options ?? []) {
      const flag = kind === 'report' ? spec.reportFlag : kind === 'sweep' ? spec.sweepFlag : optionFlag(spec);
      if (!flag) continue;
      const long = flag.split(' ')[0];
      const seen = out.get(long);
      if (!seen) out.set(long, { spec, flag, backends: [b.name] });
      else if (seen.spec.name === spec.name) seen.backends.push(b.name);
    }
  }
  return [...out.values()];
}

/** The parser of one value of an option's type, if it needs one. */
function valueParser(spec: OptionSpec): ((v: string) => unknown) | undefined {
  switch (spec.type) {
    case 'positiveInt': return positiveInt;
    case 'int': return numberIn({ integer: true, unit: spec.unit });
    case 'positiveNumber': return numberIn({ positive: true, unit: spec.unit });
    case 'number': return numberIn({ unit: spec.unit });
    case 'precision': return precisionArg;
    case 'enum': return (v) => {
      const c = (spec.choices ?? []).find((x) => x.toLowerCase() === v.toLowerCase());
      if (c === undefined) throw new InvalidArgumentError(`must be one of ${(spec.choices ?? []).join(', ')}.`);
      return c;
    };
    default: return undefined;
  }
}

const PLURAL: Partial<Record<OptionSpec['type'], string>> = {
  positiveInt: 'positive integers', int: 'integers', number: 'numbers', positiveNumber: 'positive numbers', precision: 'precisions',
};

/** A sweep list flag's value: distinct values of the option's type, separated by commas outside angle brackets. */
function listParser(spec: OptionSpec): (v: string) => unknown[] {
  const one = valueParser(spec) ?? ((x: string) => x);
  return (v) => {
    const items = splitValues(v);
    const out: unknown[] = [];
    for (const item of items) {
      let value: unknown;
      try {
        value = one(item);
      } catch (e) {
        throw new InvalidArgumentError(`expected ${PLURAL[spec.type] ?? 'values'} separated by commas; '${item}' ${(e as Error).message}`);
      }
      if (!out.includes(value)) out.push(value);
    }
    if (!out.length) throw new InvalidArgumentError(`expected ${PLURAL[spec.type] ?? 'values'} separated by commas.`);
    return out;
  };
}

/** Values separated by commas outside angle brackets: 'fixed<16,6>,fixed<12,4>' is two. */
export function splitValues(v: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of v) {
    if (c === '<') depth++;
    if (c === '>') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

/** The commander option of a sweep list flag. */
function listOption({ spec, flag, backends }: BackendFlag, mark: boolean): Option {
  const help = `${spec.description}: a list separated by commas (the same as --axis ${spec.name}=...)`;
  return new Option(flag, mark ? `${help} [${backends.join(', ')}]` : help).argParser(listParser(spec));
}

/** The commander option of a flag; `mark` appends the backends that take it to its help line. */
function commanderOption({ spec, flag, backends }: BackendFlag, mark: boolean): Option {
  const opt = new Option(flag, mark ? `${spec.description} [${backends.join(', ')}]` : spec.description);
  switch (spec.type) {
    case 'enum': opt.choices([...(spec.choices ?? [])]); break;
    case 'positiveInt': opt.argParser(positiveInt); break;
    case 'int': opt.argParser(numberIn({ integer: true, unit: spec.unit })); break;
    case 'positiveNumber': opt.argParser(numberIn({ positive: true, unit: spec.unit })); break;
    case 'number': opt.argParser(numberIn({ unit: spec.unit })); break;
    case 'precision': opt.argParser(precisionArg); break;
    default: break;
  }
  return opt;
}

/**
 * Help text for the backends' options that have no flag (objects, sections, rarely used settings): they are set with
 * -O name=value or in a config file. Empty when there are none.
 */
export function flaglessHelp(backends: Backend[]): string {
  const blocks: string[] = [];
  for (const b of backends) {
    const specs = (b.options ?? []).filter((s) => optionFlag(s) === undefined);
    if (!specs.length) continue;
    const width = Math.max(...specs.map((s) => s.name.length));
    blocks.push(`\nOptions of backend ${b.name} without a flag (-O name=value, or a config file):\n${specs.map((s) => `  ${s.name.padEnd(width)}  ${s.description}`).join('\n')}`);
  }
  return blocks.join('\n');
}

/** Adds the backend flags a command does not already have (its own flags win); `list`: sweep list flags. */
export function addBackendFlags(cmd: Command, flags: BackendFlag[], mark: boolean, list = false): BackendFlag[] {
  const taken = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter((x): x is string => !!x));
  const added: BackendFlag[] = [];
  for (const f of flags) {
    const opt = list ? listOption(f, mark) : commanderOption(f, mark);
    if (taken.has(opt.long ?? '')) continue;
    cmd.addOption(opt);
    added.push(f);
  }
  return added;
}

/** The backend options given as flags, by option name. */
export function backendFlagValues(o: Record<string, unknown>, flags: BackendFlag[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of flags) {
    const v = o[new Option(f.flag).attributeName()];
    if (v !== undefined) out[f.spec.name] = v;
  }
  return out;
}
