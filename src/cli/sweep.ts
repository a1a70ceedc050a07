import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkPrecision } from '../precision/parse.js';
import { defaultSweepLayout, objectiveFigures, pointText, sweep, sweepAxes, sweepCsv, type SweepLayout, type SweepList, type SweepMetric, type SweepResult } from '../bench/sweep.js';
import type { SweepValue } from '../registry/types.js';
import { fmt } from '../bench/html.js';
import { FirmflowError } from '../errors.js';
import { backendOption } from './args.js';
import { addBackendFlags, backendFlagValues, splitValues, type BackendFlag } from './backend-flags.js';
import { convertOptionsFrom, writeOutput } from './bench.js';
import { collect, positiveInt } from './values.js';
import { json, JSON_FLAG, JSON_HELP, jsonTarget, Progress, table, type Io } from './output.js';
import { readInputs } from './tensors.js';

/*
 * `firmflow sweep`: a backend's design space for a model (the axes the backend declares: precision x reuse factor on
 * the FPGA backends, tile budget x rounding x rows per iteration on AIE), in parallel worker processes.
 */

/** Precisions separated by commas outside the angle brackets: 'fixed<16,6>,fixed<12,4>'. */
export function precisionList(v: string): string[] {
  const list = splitValues(v);
  if (!list.length) throw new InvalidArgumentError("expected precisions separated by commas, e.g. 'fixed<16,6>,fixed<12,4>'.");
  for (const p of list) {
    const why = checkPrecision(p);
    if (why) throw new InvalidArgumentError(`${why}.`);
  }
  return [...new Set(list)];
}

function range(v: string): [number, number] {
  const [a, b] = v.split(/[,:]/).map((s) => Number(s.trim()));
  if (!Number.isFinite(a) || !Number.isFinite(b) || a >= b) throw new InvalidArgumentError('expected LO,HI with LO < HI (e.g. -4,4).');
  return [a, b];
}


/** `--axis NAME=v1,v2` (repeatable): values by axis name, parsed later by the backend's axis. */
export function axisOption(v: string, prev: Record<string, string[]> = {}): Record<string, string[]> {
  const m = /^([A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)*)=(.*)$/s.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`expected NAME=v1,v2,... (e.g. precision=fixed<16,6>,fixed<12,4>), got '${v}'.`);
  const values = splitValues(m[2]);
  if (!values.length) throw new InvalidArgumentError(`axis '${m[1]}' has no values.`);
  if (m[1] in prev) throw new InvalidArgumentError(`axis '${m[1]}' is given twice.`);
  return { ...prev, [m[1]]: values };
}

const strip = (label: string): string => label.replace(/\s*\(.*\)$/, '');

/** The Pareto objectives as the header names them: 'mean |error|, latency, DSP, LUT'. */
export function objectivesText(results: SweepResult[], layout: Pick<SweepLayout, 'figures'>, metric: SweepMetric): string {
  const acc = metric === 'argmax' ? 'argmax disagreement' : `${metric} |error|`;
  return [acc, ...objectiveFigures(results, layout.figures).map((f) => `${f.goal === 'max' ? 'max ' : ''}${strip(f.label ?? f.column)}`)].join(', ');
}

/** `firmflow sweep --list-axes`: the backend's axes with their defaults, and its figures of merit. */
export function axesText(layout: SweepLayout): string {
  const rows: string[][] = [['axis', 'default values', 'base', 'what it sets']];
  for (const a of layout.axes) rows.push([a.name, a.defaults.length ? a.defaults.join(',') : '(named only)', a.base === undefined ? '–' : String(a.base), a.description]);
  const figs: string[][] = [['figure', 'CSV column', 'Pareto', 'meaning']];
  for (const f of layout.figures) figs.push([f.name, f.column, f.goal === 'min' ? 'minimized' : f.goal === 'max' ? 'maximized' : '–', f.description ?? '']);
  return `sweep axes of backend ${layout.backend} (--axis NAME=v1,v2,...):\n${table(rows)}\nfigures of merit (besides max/mean |error| and argmax agreement; the error is always minimized):\n${table(figs)}`;
}

/** The sweep as a table; Pareto points marked with '*'. Without a layout, the FPGA estimate's columns. */
export function sweepTable(results: SweepResult[], layout: Pick<SweepLayout, 'axes' | 'figures'> = defaultSweepLayout(results)): string {
  const figures = layout.figures.filter((f) => f.label);
  const rows: (string | number)[][] = [['', ...layout.axes.map((a) => a.label), 'max|err|', 'mean|err|', 'argmax', ...figures.map((f) => f.label!), 'note']];
  for (const r of results) {
    rows.push([
      r.pareto ? '*' : '', ...layout.axes.map((a) => (r.point[a.name] === undefined ? '–' : String(r.point[a.name]))), fmt(r.maxAbsError), fmt(r.meanAbsError),
      r.argmaxAgreement === null ? '–' : `${(r.argmaxAgreement * 100).toFixed(1)}%`, ...figures.map((f) => fmt(r.estimate?.[f.name])),
      r.error ? `failed: ${r.error.split('\n')[0].slice(0, 120)}` : r.bitExact === false ? 'emulator != C sim' : r.bitExact ? 'C sim bit-exact' : '',
    ]);
  }
  return table(rows);
}

export function addSweepCommand(cmd: Command, io: Io, flags: { list: BackendFlag[]; mark: boolean; sweepLists: BackendFlag[]; flagless: string }): void {
  const sweepCmd = cmd
    .command('sweep')
    .description("evaluate a backend's design space in parallel: accuracy (emulator) against its figures of merit, Pareto front marked; --axis NAME=v1,v2 for each axis swept (--list-axes shows a backend's axes)")
    .argument('<model>', 'ONNX model')
    .option('--precision <list>', "precisions, e.g. 'fixed<16,6>,fixed<12,4>' (FPGA backends; the same as --axis precision=...)", precisionList)
    .option('-a, --axis <name=values>', "values of one of the backend's sweep axes, e.g. precision=fixed<16,6>,fixed<12,4> (repeatable; axes not named stay at the base options; with none named, every axis is swept over its defaults)", axisOption)
    .option('--list-axes', "list the backend's sweep axes (with their defaults for this model) and figures of merit, and exit")
    .option('-b, --backend <name>', 'backend')
    .option('-c, --config <file>', 'other conversion options from a JSON or YAML file')
    .option('-O, --option <key=value>', "a backend's own option (repeatable)", backendOption)
    .option('-n, --samples <n>', 'random samples per point (default 1000)', positiveInt)
    .option('--seed <n>', 'seed of the random inputs (default 1)', positiveInt)
    .option('--range <lo,hi>', "range of the random inputs (default: the narrowest input type's range of the grid)", range)
    .option('-i, --input <file>', 'inputs instead of random ones (x.json, x.npy or NAME=x.npy; repeatable)', collect)
    .addOption(new Option('--metric <m>', 'accuracy objective of the Pareto front').choices(['mean', 'max', 'argmax']).default('mean'))
    .option('--classifier', 'treat every output as a class distribution (argmax agreement)')
    .option('-j, --jobs <n>', 'worker processes (default: the number of cores)', positiveInt)
    .option('--csim', 'also compile and run the C simulation of every point (checks it is bit-exact with the emulator; FPGA backends)')
    .option('--csv <file>', 'write the results as CSV')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors');
  // Lists of an option's values (e.g. --reuse 1,2,4: the FPGA backends' reuse factor axis), from every backend; then
  // the backend's other options as flags (those with a list flag are swept, not fixed).
  const lists = addBackendFlags(sweepCmd, flags.sweepLists, true, true);
  const sweepFlags = addBackendFlags(sweepCmd, flags.list.filter((f) => f.spec.sweepFlag === undefined), flags.mark);
  if (flags.flagless) sweepCmd.addHelpText('after', flags.flagless);
  sweepCmd
    .action(async (model: string, o: Record<string, unknown>) => {
      const progress = new Progress(io);
      try {
        const convert = convertOptionsFrom({ ...o, precision: undefined }, sweepFlags);
        const precision = o['precision'] as string[] | undefined;
        const given: SweepList[] = [];
        if (precision) given.push({ axis: 'precision', values: precision, label: 'the precision', flag: '--precision' });
        for (const f of lists) {
          const values = backendFlagValues(o, [f])[f.spec.name] as SweepValue[] | undefined;
          if (values) given.push({ axis: f.spec.name, values, label: `the ${f.spec.description}`, flag: f.flag.split(' ')[0] });
        }
        const axes = (o['axis'] as Record<string, string[]> | undefined) ?? {};
        for (const l of given) {
          if (l.axis in convert) throw new FirmflowError('cli.argument', `-O ${l.axis}=...: the sweep sets '${l.axis}' from ${given.map((x) => x.flag).join(' and ')}`);
          if (l.axis in axes) throw new FirmflowError('cli.argument', `${l.flag} and --axis ${l.axis}=... give the same axis; use one`);
        }
        if (o['listAxes']) {
          const layout = await sweepAxes(model, convert);
          if (o['json']) return json(io, layout, o['json'] as boolean | string);
          io.out(axesText(layout));
          return;
        }
        const inputs = o['input'] ? readInputs(o['input'] as string[], (await import('../onnx/frontend.js')).loadModel(model).inputs.map((p) => p.name)) : undefined;
        progress.step('planning the sweep');
        const r = await sweep({
          model, convert, axes, lists: given.filter((l) => l.axis !== 'precision'), precision, inputs,
          samples: o['samples'] as number | undefined, seed: o['seed'] as number | undefined, range: o['range'] as [number, number] | undefined,
          jobs: o['jobs'] as number | undefined, csim: o['csim'] === true, metric: o['metric'] as SweepMetric, classifier: o['classifier'] === true,
          progress: (done, total, last) => progress.step(`${done}/${total} points evaluated${last ? ` (last: ${pointText(last.point)})` : ''}`),
        });
        progress.done();
        for (const w of (await import('../registry/plugins.js')).takePluginWarnings()) io.err(`warning: ${w}\n`);
        if (o['csv']) {
          writeOutput(o['csv'] as string, sweepCsv(r.results, r));
          io.err(`wrote ${r.results.length} rows to ${o['csv']}\n`);
        }
        if (o['json']) return json(io, { backend: r.backend, samples: r.samples, reference: r.reference, ranges: r.ranges, metric: o['metric'], axes: r.axes, figures: r.figures, results: r.results }, o['json'] as boolean | string);
        io.out(`${r.results.length} points, ${r.samples} samples each; reference ${r.reference}; * = Pareto front of (${objectivesText(r.results, r, o['metric'] as SweepMetric)})\n`);
        io.out(sweepTable(r.results, r));
        const failed = r.results.filter((x) => x.error);
        if (failed.length === r.results.length) throw new FirmflowError('sweep.failed', `every point failed; the first: ${failed[0].error}`);
      } finally {
        progress.done();
      }
    });
}
