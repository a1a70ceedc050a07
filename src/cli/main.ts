import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConvertOptions } from '../api.js';
import { escapeControls, FirmflowError, firstLine, isFirmflowError, terminalMessage } from '../errors.js';
import type { Dim } from '../ir/types.js';
import type { Flow } from '../pipeline/pass.js';
import { PLUGIN_ENV } from '../registry/discovery.js';
import { version } from '../version.js';
import { pluginsTimedOut } from '../registry/plugin-timeouts.js';
import { cleanupPendingOutputs } from '../writer/atomic.js';
import { addBenchCommands } from './bench.js';
import { backendOption } from './args.js';
import { addPrecisionCommand } from './precision.js';
import { addConfigCommand } from './config-command.js';
import { addProjectCommands } from './project-commands.js';
import { json, JSON_FLAG, JSON_HELP, jsonTarget, Progress, processIo, table, type Io } from './output.js';
import { addBackendFlags, backendFlags, backendFlagValues, flaglessHelp } from './backend-flags.js';
import { backendsForFlags, type FlagSources } from './flag-sources.js';
import { precisionArg } from './values.js';

/*
 * The modules behind the commands load when a command runs (issue 16): `firmflow --version` must not pay for the
 * frontend, the registry with every op handler and pass, or the plugins.
 */
const plugins = () => import('../registry/plugins.js');
const flows = () => import('../pipeline/flows.js');

/** `--input-shape x=1,16` (repeatable). */
function inputShape(v: string, prev: Record<string, Dim[]> = {}): Record<string, Dim[]> {
  const m = /^([^=]+)=(.+)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected NAME=D1,D2,... (e.g. x=1,16).');
  const dims = m[2].split(',').map((d) => d.trim());
  if (dims.some((d) => d === '')) throw new InvalidArgumentError('expected NAME=D1,D2,... with no empty dimension.');
  return { ...prev, [m[1]]: dims.map((d) => (/^\d+$/.test(d) ? Number(d) : d)) };
}



async function printWarnings(io: Io): Promise<void> {
  for (const w of (await plugins()).takePluginWarnings()) io.err(`warning: ${w}\n`);
}

interface FlowListing {
  name: string;
  requires: string[];
  fixedPoint: boolean;
  maxIterations: number;
  passes: { name: string; match: string | string[]; source: string; description?: string }[];
}

function flowListing(list: Flow[], getPass: Awaited<ReturnType<typeof flows>>['getPass'], passSource: Awaited<ReturnType<typeof flows>>['passSource']): FlowListing[] {
  return list.map((f) => ({
    name: f.name,
    requires: [...(f.requires ?? [])],
    fixedPoint: f.fixedPoint !== false,
    maxIterations: f.fixedPoint === false ? 1 : f.maxIterations ?? 50,
    passes: f.passes.map((p) => {
      const pass = getPass(p);
      return {
        name: p,
        match: pass ? (pass.match === 'graph' ? 'graph' : [...pass.match]) : 'unregistered',
        source: passSource(p) ?? 'unregistered',
        ...(pass?.description ? { description: pass.description } : {}),
      };
    }),
  }));
}

function flowsText(list: FlowListing[]): string {
  let s = '';
  for (const f of list) {
    const how = f.fixedPoint ? `repeated until nothing changes, at most ${f.maxIterations} rounds` : 'run once';
    s += `flow ${f.name}${f.requires.length ? ` (after ${f.requires.join(', ')})` : ''}: ${how}\n`;
    const rows = f.passes.map((p, i) => [`${i + 1}.`, p.name, p.match === 'graph' ? 'whole graph' : Array.isArray(p.match) ? p.match.join(' ') : p.match, p.source]);
    s += rows.length ? table(rows, '  ') : '  (no passes)\n';
  }
  return s;
}

/** Builds the command tree. Actions throw; `run` turns errors into messages and exit codes. */
function program(io: Io, known: FlagSources): Command {
  const flags = { list: backendFlags(known.backends), mark: known.mark, sweepLists: backendFlags(known.sweepBackends, 'sweep'), flagless: flaglessHelp(known.backends) };
  const cmd = new Command('firmflow')
    .description('Compile ONNX models into FPGA HLS C++ and AMD AI Engine firmware')
    .version(version())
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true);

  const convertCmd = cmd
    .command('convert')
    .description('convert an ONNX model into a backend project')
    .argument('<model>', 'ONNX model file')
    .option('-b, --backend <name>', 'backend (firmflow backends lists them)')
    .option('-o, --output <dir>', 'output folder (written atomically)')
    .option('-c, --config <file>', 'options from a JSON or YAML file (command-line options win)')
    .option('--precision <type>', "default precision, e.g. 'fixed<16,6>'", precisionArg)
    .option('--project-name <name>', 'project name (sanitized into an identifier)')
    .option('--input-shape <name=dims>', 'fix an input shape, e.g. x=1,16 (repeatable)', inputShape)
    .option('-O, --option <key=value>', "a backend's own option without a flag, e.g. -O name=value or -O section.key=value (repeatable; the value is read as JSON when it parses)", backendOption)
    .option('-f, --force', 'replace an existing output folder')
    .option('--verbose', 'print each pass with its time and change count; stack traces of internal errors');
  const convertFlags = addBackendFlags(convertCmd, flags.list, flags.mark);
  if (flags.flagless) convertCmd.addHelpText('after', flags.flagless);
  convertCmd
    .action(async (model: string, o: Record<string, unknown>) => {
      const progress = new Progress(io);
      const opts: ConvertOptions = {
        backend: o.backend as string | undefined,
        outputDir: o.output as string | undefined,
        config: o.config as string | undefined,
        precision: o.precision as string | undefined,
        ...backendFlagValues(o, convertFlags),
        projectName: o.projectName as string | undefined,
        inputShapes: o.inputShape as Record<string, Dim[]> | undefined,
        force: o.force as boolean | undefined,
        verbose: o.verbose as boolean | undefined,
        progress: (step) => progress.step(step),
        log: o.verbose ? (line) => { progress.done(); io.err(`  ${line}\n`); } : undefined,
      };
      for (const k of Object.keys(opts) as (keyof ConvertOptions)[]) if (opts[k] === undefined) delete opts[k];
      for (const [k, v] of Object.entries((o.option as Record<string, unknown> | undefined) ?? {})) {
        if (k in opts) throw new FirmflowError('cli.argument', `-O ${k}=...: '${k}' has its own command-line option`);
        (opts as Record<string, unknown>)[k] = v;
      }
      try {
        const { convert } = await import('../api.js');
        const project = await convert(model, opts);
        const res = await project.write(undefined, { force: opts.force });
        progress.done();
        const shown = new Set((await plugins()).takePluginWarnings());
        for (const w of [...shown, ...project.warnings.filter((x) => !shown.has(x))]) io.err(`warning: ${w}\n`);
        if (o.verbose) {
          const rows: (string | number)[][] = [['flow', 'pass', 'runs', 'changes', 'ms']];
          for (const r of project.passRecords) rows.push([r.flow, r.pass, r.runs, r.changes, Number(r.ms.toFixed(2))]);
          io.err(`passes:\n${table(rows, '  ')}`);
        }
        io.out(`wrote ${res.files.length} file${res.files.length === 1 ? '' : 's'} for backend ${project.backend.name} to ${res.dir}\n`);
      } finally {
        progress.done();
      }
    });

  cmd
    .command('backends')
    .description('list available backends (imports every plugin)')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors')
    .action(async (o: { json?: boolean | string }) => {
      const list = await (await plugins()).getAvailableBackends();
      await printWarnings(io);
      if (o.json) return json(io, list, o.json);
      if (!list.length) {
        io.out(`no backends are available: install a backend plugin package, or name plugin modules in ${PLUGIN_ENV}\n`);
        return;
      }
      io.out(table([['backend', 'source', 'flows', 'description'], ...list.map((b) => [b.name, b.source, b.flows.join(', '), b.description ?? ''])]));
    });

  cmd
    .command('plugins')
    .description('list discovered plugins from their manifests (no plugin code runs)')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors')
    .action(async (o: { json?: boolean | string }) => {
      const list = (await plugins()).listPlugins();
      if (o.json) return json(io, list, o.json);
      if (!list.length) {
        io.out(`no plugins found (packages with a "firmflow" field in package.json, or modules in ${PLUGIN_ENV})\n`);
        return;
      }
      const rows = list.map((p) => [
        p.name + (p.version ? `@${p.version}` : ''),
        p.origin,
        p.status,
        p.status === 'refused' ? '-' : p.backends === undefined ? '(known when loaded)' : p.backends.join(', ') || '(none)',
        p.reason ?? p.module ?? '',
      ]);
      io.out(table([['plugin', 'origin', 'status', 'backends', 'module / reason'], ...rows]));
    });

  cmd
    .command('passes')
    .description('list flows and their passes in execution order (for a backend, or the shared flows)')
    .option('-b, --backend <name>', 'backend whose flows to list')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors')
    .action(async (o: { backend?: string; json?: boolean | string }) => {
      const [{ getBackend, loadAllPlugins }, { getFlow, getPass, listFlows, passSource, resolveFlowOrder }, { ensureSharedFlows }] = await Promise.all([plugins(), flows(), import('../registry/shared.js')]);
      ensureSharedFlows();
      let order: Flow[];
      let backendName: string | null = null;
      if (o.backend) {
        const b = await getBackend(o.backend);
        backendName = b.name;
        order = resolveFlowOrder(b.flows);
      } else {
        // Plugins may add passes to shared flows; load them all so the listing shows what a conversion runs.
        await loadAllPlugins();
        order = resolveFlowOrder(listFlows().filter((f) => !f.name.includes(':')).map((f) => f.name).filter((n) => getFlow(n)));
      }
      await printWarnings(io);
      const list = flowListing(order, getPass, passSource);
      if (o.json) return json(io, { backend: backendName, flows: list }, o.json);
      if (!list.length) {
        io.out('no shared flows are registered\n');
        return;
      }
      io.out(flowsText(list));
    });

  cmd
    .command('inspect')
    .description('show nodes, shapes, parameter counts and backend support of a model')
    .argument('<model>', 'ONNX model file')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'print the shared passes as they change the graph; stack traces of internal errors')
    .action(async (model: string, o: { json?: boolean | string; verbose?: boolean }) => {
      const progress = new Progress(io);
      try {
        progress.step(`loading ${model}`);
        const [{ loadModel }, { inspectGraph, inspectText }] = await Promise.all([import('../onnx/frontend.js'), import('./inspect.js')]);
        const graph = loadModel(model);
        progress.step('loading backends');
        const backends = await (await plugins()).getAvailableBackends();
        progress.step('running the shared passes');
        const report = inspectGraph(model, graph, backends, o.verbose ? (l) => io.err(`  ${l}\n`) : undefined);
        progress.done();
        await printWarnings(io);
        if (o.json) return json(io, report, o.json);
        // Names, producer and domains come from the model: no escape sequence of theirs reaches the terminal.
        io.out(escapeControls(inspectText(report)));
      } finally {
        progress.done();
      }
    });

  addPrecisionCommand(cmd, io);
  addConfigCommand(cmd, io, flags);
  addProjectCommands(cmd, io, { list: backendFlags(known.backends, 'report'), mark: known.mark });
  addBenchCommands(cmd, io, flags);

  return cmd;
}

/**
 * Runs the CLI on `argv` (as process.argv) and returns the exit code: 0 ok, 1 bad input (a FirmflowError or a
 * bad command line: message only), 2 internal error (message; stack with --verbose).
 */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    await program(io, await backendsForFlags(argv)).parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (or the help / version text).
      return e.exitCode === 0 ? 0 : 1;
    }
    await printWarnings(io);
    if (isFirmflowError(e)) {
      io.err(`error: ${terminalMessage(e.message)}\n`);
      return 1;
    }
    // Not a FirmflowError: a bug (ours or a plugin's), whatever its text says. One line of cause, no stack unless asked.
    io.err(`internal error, please report: ${firstLine(e)}\n`);
    if (verbose) io.err(`${e instanceof Error ? e.stack ?? '' : ''}\n`);
    else io.err('(run again with --verbose for the stack trace)\n');
    return 2;
  }
}

/** The real process.exit, taken before any plugin loads: plugin code runs with process.exit refused. */
const exitProcess = process.exit.bind(process);

/** Entry point of bin/firmflow.js. */
export async function main(): Promise<void> {
  const onSignal = (sig: NodeJS.Signals): void => {
    cleanupPendingOutputs();
    exitProcess(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const code = await run(process.argv);
  process.exitCode = code;
  // A plugin abandoned after its load timeout may still hold timers or sockets; they must not keep firmflow alive.
  if (pluginsTimedOut()) exitProcess(code);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
