import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FirmflowError } from '../errors.js';
import type { OpenedProject } from '../registry/types.js';
import { json, JSON_FLAG, JSON_HELP, jsonTarget, Progress, type Io } from './output.js';
import { readInputs, tensorsFile, tensorsJson } from './tensors.js';
import { collect, positiveInt } from './values.js';
import { addBackendFlags, backendFlagValues, type BackendFlag } from './backend-flags.js';

/*
 * `firmflow compile <dir>` and `firmflow predict <dir>`: the core reads the project's firmflow.json, finds the backend
 * that wrote it in the registry, and lets the backend reopen the folder (Backend.openProject). The core never
 * imports a backend.
 */

async function open(dir: string): Promise<{ project: OpenedProject; inputNames: string[] }> {
  const file = join(dir, 'firmflow.json');
  let manifest: { backend?: unknown; inputs?: { name: string }[] };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FirmflowError('project.open', `${dir} is not a firmflow project folder (${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (typeof manifest.backend !== 'string') throw new FirmflowError('project.open', `${file} does not name the backend that wrote it`);
  // The registry loads here, not at start-up (issue 16).
  const backend = await (await import('../registry/plugins.js')).getBackend(manifest.backend);
  if (!backend.openProject) throw new FirmflowError('project.open', `backend '${backend.name}' cannot reopen projects (no compile/predict support)`);
  const project = await backend.openProject(dir);
  return { project, inputNames: (manifest.inputs ?? []).map((p) => p.name) };
}


export function addProjectCommands(cmd: Command, io: Io, reportFlags: { list: BackendFlag[]; mark: boolean }): void {
  cmd
    .command('compile')
    .description('build the host simulation of a written project (g++; cached while the sources are unchanged)')
    .argument('<dir>', 'project folder written by firmflow convert')
    .option('-f, --force', 'rebuild even when nothing changed')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors')
    .action(async (dir: string, o: { force?: boolean; json?: boolean | string }) => {
      const progress = new Progress(io);
      try {
        progress.step(`compiling ${dir}`);
        const { project } = await open(dir);
        const r = await project.compile({ force: o.force });
        progress.done();
        if (o.json) return json(io, r, o.json);
        io.out(r.cached ? `${project.name}: up to date (${r.program ?? project.dir})\n` : `${project.name}: compiled in ${(r.ms / 1000).toFixed(2)} s (${r.program ?? project.dir})\n`);
      } finally {
        progress.done();
      }
    });

  const reportCmd = cmd
    .command('report')
    .description("show the backend's report on a written project (FPGA: latency and resource estimate beside the vendor's synthesis, co-simulation and utilization reports when they exist; AIE: throughput, latency, tiles and memory used)")
    .argument('<dir>', 'project folder written by firmflow convert')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors');
  // The backend's options that retarget the report (an FPGA part, a clock), default: the project's.
  const retarget = addBackendFlags(reportCmd, reportFlags.list, reportFlags.mark);
  reportCmd
    .action(async (dir: string, o: Record<string, unknown>) => {
      const { project } = await open(dir);
      if (!project.report) throw new FirmflowError('project.report', `backend '${project.backend}' has no report for its projects`);
      const r = await project.report(backendFlagValues(o, retarget));
      if (o.json) return json(io, r, o.json as boolean | string);
      io.out(r.text.endsWith('\n') ? r.text : `${r.text}\n`);
    });

  cmd
    .command('predict')
    .description('run a written project on inputs: compiled C simulation, or the bit-accurate emulator (--emulate)')
    .argument('<dir>', 'project folder written by firmflow convert')
    .requiredOption('-i, --input <file>', 'inputs: x.json (by name, as ../shared/models), x.npy (the only input) or NAME=x.npy; repeatable', collect)
    .option('-o, --output <file>', 'write the outputs to this file: y.npy (the one output, float32 or float64) or y.json (default: JSON on stdout)')
    .option('--emulate', 'use the TypeScript emulator instead of the compiled C simulation')
    .option('--trace', 'compare every layer with the float model and name the first layer whose error exceeds its precision')
    .option('--threads <n>', 'threads of the C simulation (default: all cores)', positiveInt)
    .option('--verbose', 'stack traces of internal errors')
    .action(async (dir: string, o: { input: string[]; output?: string; emulate?: boolean; trace?: boolean; threads?: number }) => {
      const progress = new Progress(io);
      try {
        progress.step(`opening ${dir}`);
        const { project, inputNames } = await open(dir);
        const inputs = readInputs(o.input, inputNames);
        if (o.trace) {
          if (!project.trace) throw new FirmflowError('project.trace', `backend '${project.backend}' has no trace support`);
          progress.step('tracing');
          const t = await project.trace(inputs, {});
          progress.done();
          const text = t.text;
          if (typeof text === 'string') io.err(text.endsWith('\n') ? text : `${text}\n`);
          else io.err(`${JSON.stringify(t, null, 1)}\n`);
        }
        let outputs;
        if (o.emulate) {
          if (!project.emulate) throw new FirmflowError('project.emulate', `backend '${project.backend}' has no emulator`);
          progress.step('emulating');
          outputs = await project.emulate(inputs, {});
        } else {
          progress.step('compiling and simulating');
          outputs = await project.predict(inputs, o.threads ? { threads: o.threads } : {});
        }
        progress.done();
        if (o.output) {
          const body = tensorsFile(outputs, o.output);
          try {
            writeFileSync(o.output, body);
          } catch (e) {
            throw new FirmflowError('output.file', `cannot write ${o.output} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
          }
          const first = Object.values(outputs)[0];
          io.err(`wrote ${Object.keys(outputs).length} output${Object.keys(outputs).length === 1 ? '' : 's'} of ${first?.shape[0] ?? 0} samples to ${o.output}\n`);
        } else {
          io.out(tensorsJson(outputs));
        }
      } finally {
        progress.done();
      }
    });
}
