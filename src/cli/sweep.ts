import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkPrecision } from '../api.js';
import { sweep, sweepCsv, type SweepMetric, type SweepResult } from '../bench/sweep.js';
import { fmt } from '../bench/html.js';
import { FirmflowError } from '../errors.js';
import { loadModel } from '../onnx/frontend.js';
import { takePluginWarnings } from '../registry/plugins.js';
import { backendOption } from './args.js';
import { convertOptionsFrom, positiveInt, writeOutput } from './bench.js';
import { json, Progress, table, type Io } from './output.js';
import { readInputs } from './tensors.js';

/* `firmflow sweep`: the (precision x reuse factor) design space of a model, in parallel worker processes. */

function reuseList(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new InvalidArgumentError('expected positive integers separated by commas, e.g. 1,2,4,8.');
  return [...new Set(parts.map(Number))];
}

/** Precisions separated by commas outside the angle brackets: 'fixed<16,6>,fixed<12,4>'. */
export function precisionList(v: string): string[] {
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const c of v) {
    if (c === '<') depth++;
    if (c === '>') depth--;
    if (c === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += c;
  }
  out.push(cur.trim());
  const list = out.filter((s) => s !== '');
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

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** The sweep as a table; Pareto points marked with '*'. */
export function sweepTable(results: SweepResult[]): string {
  const rows: (string | number)[][] = [['', 'precision', 'reuse', 'max|err|', 'mean|err|', 'argmax', 'latency (cyc)', 'II', 'DSP', 'LUT', 'FF', 'BRAM18K', 'note']];
  for (const r of results) {
    const e = r.estimate;
    rows.push([
      r.pareto ? '*' : '', r.point.precision, String(r.point.reuseFactor), fmt(r.maxAbsError), fmt(r.meanAbsError),
      r.argmaxAgreement === null ? '–' : `${(r.argmaxAgreement * 100).toFixed(1)}%`, fmt(e?.latencyCycles), fmt(e?.ii), fmt(e?.dsp), fmt(e?.lut), fmt(e?.ff), fmt(e?.bram18k),
      r.error ? `failed: ${r.error.split('\n')[0].slice(0, 120)}` : r.bitExact === false ? 'emulator != C sim' : r.bitExact ? 'C sim bit-exact' : '',
    ]);
  }
  return table(rows);
}

export function addSweepCommand(cmd: Command, io: Io): void {
  cmd
    .command('sweep')
    .description('evaluate a grid of precisions and reuse factors in parallel: accuracy (emulator) against estimated latency and resources, Pareto front marked (FPGA backends; AIE, which uses neither, is refused: bench each AIE setting instead)')
    .argument('<model>', 'ONNX model')
    .requiredOption('--reuse <list>', 'reuse factors, e.g. 1,2,4,8', reuseList)
    .requiredOption('--precision <list>', "precisions, e.g. 'fixed<16,6>,fixed<12,4>'", precisionList)
    .option('-b, --backend <name>', 'backend')
    .option('-c, --config <file>', 'other conversion options from a JSON or YAML file')
    .addOption(new Option('--strategy <s>', 'implementation strategy').choices(['latency', 'resource']))
    .addOption(new Option('--io <type>', 'I/O type').choices(['parallel', 'stream']))
    .option('--part <part>', 'FPGA part number (for the estimates)')
    .option('-O, --option <key=value>', "a backend's own option (repeatable)", backendOption)
    .option('-n, --samples <n>', 'random samples per point (default 1000)', positiveInt)
    .option('--seed <n>', 'seed of the random inputs (default 1)', positiveInt)
    .option('--range <lo,hi>', "range of the random inputs (default: the narrowest input type's range of the grid)", range)
    .option('-i, --input <file>', 'inputs instead of random ones (x.json, x.npy or NAME=x.npy; repeatable)', collect)
    .addOption(new Option('--metric <m>', 'accuracy objective of the Pareto front').choices(['mean', 'max', 'argmax']).default('mean'))
    .option('--classifier', 'treat every output as a class distribution (argmax agreement)')
    .option('-j, --jobs <n>', 'worker processes (default: the number of cores)', positiveInt)
    .option('--csim', 'also compile and run the C simulation of every point (checks it is bit-exact with the emulator)')
    .option('--csv <file>', 'write the results as CSV')
    .option('--json', 'machine-readable output on stdout')
    .option('--verbose', 'stack traces of internal errors')
    .action(async (model: string, o: Record<string, unknown>) => {
      const progress = new Progress(io);
      try {
        const convert = convertOptionsFrom({ ...o, precision: undefined, reuseFactor: undefined });
        for (const k of ['precision', 'reuseFactor'] as const) if (k in convert) throw new FirmflowError('cli.argument', `-O ${k}=...: the sweep sets '${k}' from --precision and --reuse`);
        const inputs = o['input'] ? readInputs(o['input'] as string[], loadModel(model).inputs.map((p) => p.name)) : undefined;
        const reuse = o['reuse'] as number[], precision = o['precision'] as string[];
        progress.step(`sweeping ${precision.length * reuse.length} points`);
        const r = await sweep({
          model, convert, reuse, precision, inputs,
          samples: o['samples'] as number | undefined, seed: o['seed'] as number | undefined, range: o['range'] as [number, number] | undefined,
          jobs: o['jobs'] as number | undefined, csim: o['csim'] === true, metric: o['metric'] as SweepMetric, classifier: o['classifier'] === true,
          progress: (done, total, last) => progress.step(`${done}/${total} points evaluated${last ? ` (last: ${last.point.precision} reuse ${last.point.reuseFactor})` : ''}`),
        });
        progress.done();
        for (const w of takePluginWarnings()) io.err(`warning: ${w}\n`);
        if (o['csv']) {
          writeOutput(o['csv'] as string, sweepCsv(r.results));
          io.err(`wrote ${r.results.length} rows to ${o['csv']}\n`);
        }
        if (o['json']) return json(io, { samples: r.samples, reference: r.reference, ranges: r.ranges, metric: o['metric'], results: r.results });
        io.out(`${r.results.length} points, ${r.samples} samples each; reference ${r.reference}; * = Pareto front of (${o['metric'] === 'argmax' ? 'argmax disagreement' : `${o['metric']} |error|`}, latency, DSP, LUT)\n`);
        io.out(sweepTable(r.results));
        const failed = r.results.filter((x) => x.error);
        if (failed.length === r.results.length) throw new FirmflowError('sweep.failed', `every point failed; the first: ${failed[0].error}`);
      } finally {
        progress.done();
      }
    });
}
