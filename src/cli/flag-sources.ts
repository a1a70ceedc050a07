import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../registry/types.js';

/** The registry and the config reader load only for the commands that take backend flags (issue 16: a fast start). */
const plugins = () => import('../registry/plugins.js');

/*
 * Which backends' options a command line gets as flags, decided before commander parses it: the backend named by
 * -b/--backend, else the config file's (-c), else (report) the one that wrote the project folder, else, for --help,
 * every available backend. Commands without a backend get no backend flags; their options still reach the backend
 * through -O key=value or a config file.
 */

/** The commands whose options include the backend's (report: those that retarget a written project's report). */
const COMMANDS = new Set(['convert', 'bench', 'sweep', 'report', 'config']);

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
  const { getAvailableBackends, getBackend } = await plugins();
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
  // report <dir>, bench <dir>: the backend that wrote the folder (bench <model>: none, the flags name it).
  const target = args.slice(args.indexOf(command) + 1).find((a) => !a.startsWith('-'));
  let name = command === 'report' ? projectBackend(target) : flagValue(args, ['-b', '--backend']) ?? (command === 'bench' ? projectBackend(target) : undefined);
  if (name === undefined) {
    const config = flagValue(args, ['-c', '--config']);
    if (config !== undefined) {
      try {
        const file = (await import('../options/resolve.js')).readConfigFile(config);
        const b = file['backend'] ?? file['Backend']; // hls4ml's spelling
        if (typeof b === 'string') name = b;
      } catch {
        // the command reports an unreadable config itself
      }
    }
  }
  if (name === undefined && command === 'config') name = 'Vitis'; // its default backend
  if (name !== undefined) {
    try {
      return { backends: [await (await plugins()).getBackend(name)], mark: false };
    } catch {
      // an unknown backend: the command's own error names it; meanwhile every backend's flags parse
    }
  }
  const help = args.includes('--help') || args.includes('-h');
  if (name === undefined && !help) return { backends: [], mark: false };
  return { backends: await allBackends(), mark: true };
}
