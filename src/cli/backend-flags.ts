import { type Command, InvalidArgumentError, Option } from 'commander';
import { optionFlag, type OptionSpec } from '../options/schema.js';
import type { Backend } from '../registry/types.js';
import { numberIn, positiveInt, precisionArg } from './values.js';

/*
 * Command-line flags of backend options, made from the backends' option schemas (Backend.options): typed parsers,
 * choices, help lines (marked with their backends when several backends are listed), the values read back by option
 * name. Which backends a command line gets is decided in flag-sources.ts.
 */

/** A flag and the backends that declare it. */
export interface BackendFlag {
  spec: OptionSpec;
  flag: string;
  backends: string[];
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
