import { InvalidArgumentError, type Command } from 'commander';
import { FirmflowError } from '../errors.js';
import { json, JSON_FLAG, JSON_HELP, jsonTarget, type Io } from './output.js';
import { positiveInt, positiveNumber } from './values.js';


function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0.');
  return n;
}


/** `firmflow precision`: per-layer fixed-point types, exact (`auto`) or chosen from calibration data. */
export function addPrecisionCommand(cmd: Command, io: Io): void {
  cmd
    .command('precision')
    .description('choose per-layer fixed-point types: exact from the model, or the fewest bits meeting an error target on calibration inputs')
    .argument('<model>', 'ONNX model file')
    .option('--config <file>', 'precision configuration (JSON or YAML) to start from')
    .option('--calibrate <inputs.json>', 'calibration inputs ({"<input>": {"shape", "data"}})')
    .option('--target-error <e>', 'largest acceptable output error (with --calibrate)', positiveNumber)
    .option('--metric <m>', 'error measure: max or mean absolute error', (v: string) => {
      if (v !== 'max' && v !== 'mean') throw new InvalidArgumentError("must be 'max' or 'mean'.");
      return v;
    })
    .option('--margin <fraction>', 'head-room on observed ranges when choosing integer bits', nonNegativeNumber)
    .option('--max-width <bits>', 'cap on inferred widths', positiveInt)
    .option('-o, --output <file>', 'write the chosen types as a configuration file (.json, else YAML)')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .action(async (model: string, o: { config?: string; calibrate?: string; targetError?: number; metric?: 'max' | 'mean'; margin?: number; maxWidth?: number; output?: string; json?: boolean | string }) => {
      if (o.targetError !== undefined && !o.calibrate) throw new FirmflowError('cli.argument', '--target-error needs --calibrate <inputs.json>');
      const { precisionCommand } = await import('../precision/command.js');
      const report = precisionCommand({ model, config: o.config, calibrate: o.calibrate, targetError: o.targetError, metric: o.metric, margin: o.margin, maxWidth: o.maxWidth, output: o.output });
      if (o.json) return json(io, { layers: report.layers, config: report.config, calibration: report.calibration, written: report.written }, o.json);
      io.out(report.text.endsWith('\n') ? report.text : `${report.text}\n`);
    });
}
