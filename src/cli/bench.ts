import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConvertOptions } from '../api.js';
import { bench, type BenchOptions } from '../bench/run.js';
import { renderHtml } from '../bench/html.js';
import { formatBench } from '../bench/text.js';
import { FirmflowError } from '../errors.js';
import { json, JSON_FLAG, jsonTarget, Progress, type Io } from './output.js';
import { addSweepCommand } from './sweep.js';
import { readInputs } from './tensors.js';
import { backendOption } from './args.js';
import { addBackendFlags, backendFlagValues, type BackendFlag } from './backend-flags.js';
import { collect, nonNegativeInt, positiveInt, precisionArg } from './values.js';

/* `firmflow bench` (and `firmflow sweep`, registered from here so main.ts has one hook). */


function range(v: string): [number, number] {
  const m = /^\s*(-?[\d.eE+-]+)\s*[,:]\s*(-?[\d.eE+-]+)\s*$/.exec(v);
  const lo = m ? Number(m[1]) : NaN, hi = m ? Number(m[2]) : NaN;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi) throw new InvalidArgumentError('expected LO,HI with LO < HI (e.g. -4,4).');
  return [lo, hi];
}


/** Writes a report file; a failure names the file. */
export function writeOutput(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new FirmflowError('output.file', `cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Conversion options shared by bench and sweep. */
export function convertOptionsFrom(o: Record<string, unknown>, flags: BackendFlag[]): ConvertOptions {
  const opts: ConvertOptions = {
    backend: o['backend'] as string | undefined,
    config: o['config'] as string | undefined,
    precision: o['precision'] as string | undefined,
    ...backendFlagValues(o, flags),
  };
  for (const k of Object.keys(opts) as (keyof ConvertOptions)[]) if (opts[k] === undefined) delete opts[k];
  for (const [k, v] of Object.entries((o['option'] as Record<string, unknown> | undefined) ?? {})) {
    if (k in opts) throw new FirmflowError('cli.argument', `-O ${k}=...: '${k}' has its own command-line option`);
    (opts as Record<string, unknown>)[k] = v;
  }
  return opts;
}

function isProjectDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function addBenchCommands(cmd: Command, io: Io, flags: { list: BackendFlag[]; mark: boolean; sweepLists: BackendFlag[]; flagless: string }): void {
  const benchCmd = cmd
    .command('bench')
    .description('benchmark a model or project: accuracy of the C simulation and the emulator against onnxruntime, timings, estimates')
    .argument('<target>', 'ONNX model (converted first) or a project folder written by firmflow convert')
    .option('-b, --backend <name>', 'backend (for a model)')
    .option('-c, --config <file>', 'conversion options from a JSON or YAML file')
    .option('--precision <type>', "default precision, e.g. 'fixed<16,6>'", precisionArg)
    .option('-O, --option <key=value>', "a backend's own option (repeatable)", backendOption)
    .option('-n, --samples <n>', 'random samples (default 1000)', positiveInt)
    .option('--seed <n>', 'seed of the random inputs (default 1)', nonNegativeInt)
    .option('--range <lo,hi>', "range of the random inputs (default: each input's fixed-point type range)", range)
    .option('-i, --input <file>', 'inputs instead of random ones: x.json (by name), x.npy (the only input) or NAME=x.npy; repeatable', collect)
    .option('--model <onnx>', 'the ONNX model of a project folder, so onnxruntime can be the reference')
    .addOption(new Option('--reference <executor>', 'float reference').choices(['auto', 'onnxruntime', 'interpreter', 'none']).default('auto'))
    .option('--classifier', 'treat every output as a class distribution (argmax agreement); default: outputs that end in Softmax')
    .option('--no-csim', 'skip the host C simulation (no g++)')
    .option('--no-emulate', 'skip the emulator and its trace')
    .option('--threads <n>', 'threads of the C simulation (default: all cores)', positiveInt)
    .option('-o, --output <dir>', 'write the project here (default: a temporary folder, removed afterwards)')
    .option('-f, --force', 'replace an existing --output folder')
    .option(JSON_FLAG, 'the report as JSON (schema docs/schema/bench-report.v1.json): on stdout, or written to <file>.json', jsonTarget)
    .option('--html <file>', 'write a self-contained HTML report')
    .option('--verbose', 'stack traces of internal errors');
  const benchFlags = addBackendFlags(benchCmd, flags.list, flags.mark);
  if (flags.flagless) benchCmd.addHelpText('after', flags.flagless);
  benchCmd
    .action(async (target: string, o: Record<string, unknown>) => {
      const progress = new Progress(io);
      try {
        const dir = isProjectDir(target);
        if (!dir && !existsSync(target)) throw new FirmflowError('bench.target', `${target}: no such model file or project folder`);
        if (dir && !existsSync(join(target, 'firmflow.json'))) throw new FirmflowError('bench.target', `${target} is a folder but not a firmflow project (no firmflow.json); give the ONNX model or a folder written by firmflow convert`);
        const convert = convertOptionsFrom(o, benchFlags);
        if (dir && Object.keys(convert).length) throw new FirmflowError('cli.argument', `${target} is a written project: conversion options (${Object.keys(convert).join(', ')}) apply to a model only`);
        let inputs: BenchOptions['inputs'];
        if (o['input']) {
          const names = dir ? undefined : (await import('../onnx/frontend.js')).loadModel(target).inputs.map((p) => p.name);
          inputs = readInputs(o['input'] as string[], names ?? []);
        }
        const opts: BenchOptions = {
          ...(dir ? { projectDir: target, referenceModel: o['model'] as string | undefined } : { model: target, convert }),
          outputDir: o['output'] as string | undefined,
          force: o['force'] as boolean | undefined,
          samples: o['samples'] as number | undefined,
          seed: o['seed'] as number | undefined,
          range: o['range'] as [number, number] | undefined,
          inputs,
          csim: o['csim'] as boolean,
          emulate: o['emulate'] as boolean,
          reference: o['reference'] as BenchOptions['reference'],
          classifier: o['classifier'] as boolean | undefined,
          threads: o['threads'] as number | undefined,
          progress: (s) => progress.step(s),
        };
        const report = await bench(opts);
        progress.done();
        for (const w of (await import('../registry/plugins.js')).takePluginWarnings()) io.err(`warning: ${w}\n`);
        for (const w of report.warnings) io.err(`warning: ${w}\n`);
        if (o['html']) {
          writeOutput(o['html'] as string, renderHtml(report));
          io.err(`wrote the HTML report to ${o['html']}\n`);
        }
        if (o['json'] === true || o['json'] === '-') return json(io, report);
        if (o['json']) {
          writeOutput(o['json'] as string, `${JSON.stringify(report, null, 1)}\n`);
          io.err(`wrote the JSON report to ${o['json']}\n`);
        }
        io.out(formatBench(report));
      } finally {
        progress.done();
      }
    });

  addSweepCommand(cmd, io, flags);
}
