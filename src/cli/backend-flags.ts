import { type Command, Option } from 'commander';
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

/** The backends whose flags a command line gets (see the comment at the top), and whether to mark each flag's backends. */
export async function backendsForFlags(argv: string[]): Promise<{ backends: Backend[]; mark: boolean }> {
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

/**
 * The flags of `backends`, one per spelling (the first declaration's type and choices; others merge their names):
 * conversion flags, or with `report` those of `firmflow report`.
 */
export function backendFlags(backends: Backend[], report = false): BackendFlag[] {
  const out = new Map<string, BackendFlag>();
  for (const b of backends) {
    for (const spec of b.options ?? []) {
      const flag = report ? spec.reportFlag : optionFlag(spec);
      if (!flag) continue;
      const long = flag.split(' ')[0];
      const seen = out.get(long);
      if (!seen) out.set(long, { spec, flag, backends: [b.name] });
      else if (seen.spec.name === spec.name) seen.backends.push(b.name);
    }
  }
  return [...out.values()];
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

/** Adds the backend flags a command does not already have (its own flags win). */
export function addBackendFlags(cmd: Command, flags: BackendFlag[], mark: boolean): BackendFlag[] {
  const taken = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter((x): x is string => !!x));
  const added: BackendFlag[] = [];
  for (const f of flags) {
    const opt = commanderOption(f, mark);
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
