import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { YAML } from '../util/lazy-deps.js';
import { FirmflowError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { Feed } from '../interp/interpreter.js';
import { loadModel } from '../onnx/frontend.js';
import { configToObject, readPrecisionConfig, type PrecisionConfig } from './config.js';
import { assignPrecision, specLabel, type LayerPrecision } from './infer.js';
import { calibratePrecision, type CalibratedLayer, type CalibrationResult } from './calibrate.js';

/** Arguments of `firmflow precision <model>` as the CLI parses them. */
export interface PrecisionArgs {
  model: string;
  /** Precision configuration file (JSON or YAML) to start from. */
  config?: string;
  /** Calibration inputs (JSON: { inputName: { shape, data } | nested arrays }). */
  calibrate?: string;
  targetError?: number;
  metric?: 'max' | 'mean';
  margin?: number;
  maxWidth?: number;
  /** Write the chosen types as a configuration file (.json, or YAML otherwise). */
  output?: string;
}

export interface PrecisionReport {
  /** The table for the terminal. */
  text: string;
  layers: LayerPrecision[];
  /** The configuration as a plain object (what `output` receives). */
  config: Record<string, unknown>;
  calibration?: Omit<CalibrationResult, 'layers' | 'config'>;
  /** Path written, if any. */
  written?: string;
}

/** Reads a configuration file (JSON or YAML) into a plain object; errors name the file. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FirmflowError('config.file', `${path}: cannot read the configuration file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new FirmflowError('config.file', `${path}: not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}

function flatten(v: unknown, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(Number(v));
}
function shapeOf(v: unknown): number[] {
  const s: number[] = [];
  while (Array.isArray(v)) { s.push(v.length); v = v[0]; }
  return s;
}

/** Reads calibration inputs: { name: { shape, data } } (the reference-model format) or { name: nested arrays }. */
export function readCalibrationInputs(path: string, graph: Graph): Record<string, Feed> {
  const raw = readConfigFile(path) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object') throw new FirmflowError('precision.inputs', `${path}: expected an object keyed by graph input name`);
  const feeds: Record<string, Feed> = {};
  for (const p of graph.inputs) {
    const v = raw[p.name];
    if (v === undefined) throw new FirmflowError('precision.inputs', `${path}: no data for graph input '${p.name}' (found: ${Object.keys(raw).join(', ') || 'nothing'})`);
    if (Array.isArray(v)) {
      const data: number[] = [];
      flatten(v, data);
      feeds[p.name] = { shape: shapeOf(v), data };
    } else if (v && typeof v === 'object' && Array.isArray((v as { data?: unknown }).data) && Array.isArray((v as { shape?: unknown }).shape)) {
      feeds[p.name] = { shape: (v as { shape: number[] }).shape, data: (v as { data: number[] }).data };
    } else {
      throw new FirmflowError('precision.inputs', `${path}: input '${p.name}' must be { shape, data } or nested arrays`);
    }
    if (feeds[p.name].data.length === 0 || Array.from(feeds[p.name].data).some((x) => !Number.isFinite(x))) {
      throw new FirmflowError('precision.inputs', `${path}: input '${p.name}' is empty or holds non-finite numbers`);
    }
  }
  return feeds;
}

function table(layers: (LayerPrecision | CalibratedLayer)[], withObserved: boolean): string {
  const head = ['layer', 'op', 'result', 'weight', 'bias', 'accumulator', ...(withObserved ? ['max |x|'] : [])];
  const rows = layers.map((l) => [
    l.layer, l.op, specLabel(l.result), specLabel(l.weight), specLabel(l.bias), specLabel(l.accumulator),
    ...(withObserved ? [(l as CalibratedLayer).observedMax === undefined ? '-' : (l as CalibratedLayer).observedMax!.toPrecision(4)] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * `firmflow precision <model>`: without --calibrate, resolves the configuration (and `auto`) into a per-layer
 * table; with --calibrate and --target-error, chooses types from data. Returns the text to print and the
 * configuration; writes it to `output` when given (whole file or nothing).
 */
export function precisionCommand(args: PrecisionArgs): PrecisionReport {
  const graph = loadModel(args.model);
  const rawCfg = args.config ? readConfigFile(args.config) : undefined;
  let cfg: PrecisionConfig = readPrecisionConfig(rawCfg, graph, args.config ?? 'precision');
  if (args.maxWidth !== undefined) cfg.maxWidth = args.maxWidth;
  let layers: LayerPrecision[];
  let text: string;
  let calibration: PrecisionReport['calibration'];
  if (args.calibrate) {
    if (args.targetError === undefined) throw new FirmflowError('cli.args', `--calibrate needs --target-error E (the largest acceptable error on the model output)`);
    const inputs = readCalibrationInputs(args.calibrate, graph);
    const r = calibratePrecision(graph, { inputs, targetError: args.targetError, metric: args.metric, margin: args.margin, maxWidth: args.maxWidth });
    layers = r.layers;
    cfg = r.config;
    const { layers: _l, config: _c, ...rest } = r;
    calibration = rest;
    const totalBits = layers.reduce((a, l) => a + (l.result?.width ?? 0), 0);
    text = [
      table(layers, true),
      '',
      `${r.metric} output error ${r.error.toPrecision(3)} (target ${r.targetError}): ${r.met ? 'met' : 'NOT met even at the widest types'}; ` +
        `${totalBits} result bits over ${layers.length} layers; ${r.evaluations} fixed-point evaluations.`,
    ].join('\n');
  } else {
    layers = assignPrecision(graph, cfg);
    text = table(layers, false);
  }
  const notes = layers.flatMap((l) => l.notes.map((n) => `  ${l.layer}: ${n}`));
  if (notes.length) text += `\n\nnotes:\n${notes.join('\n')}`;
  const config = configToObject(cfg, graph);
  let written: string | undefined;
  if (args.output) {
    const path = resolve(args.output);
    const body = extname(path).toLowerCase() === '.json' ? JSON.stringify(config, null, 2) + '\n' : YAML.stringify(config);
    try {
      writeFileSync(`${path}.tmp`, body);
      renameSync(`${path}.tmp`, path);
    } catch (e) {
      throw new FirmflowError('precision.output', `${args.output}: cannot write the configuration (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    written = path;
    text += `\n\nwrote ${args.output}`;
  }
  return { text, layers, config, calibration, written };
}
