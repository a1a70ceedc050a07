import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convert, type ConvertOptions } from '../api.js';
import { FirmflowError } from '../errors.js';
import { typeRange } from '../fixed/index.js';
import { loadModel } from '../onnx/frontend.js';
import { firmflowRoot } from '../registry/discovery.js';
import type { NamedTensors } from '../registry/types.js';
import { argmaxAgreement, compareExact, errorStats } from './metrics.js';
import { referenceOutputs } from './reference.js';
import { normalizeEstimate, randomInputs } from './run.js';

/*
 * `firmflow sweep`: a grid of (precision, reuse factor) evaluated in parallel worker processes - each point is
 * converted, emulated for accuracy against one float reference on shared inputs, and estimated (C simulation
 * optional) - and the Pareto front of accuracy against estimated latency and resources.
 */

export interface SweepPoint {
  precision: string;
  reuseFactor: number;
}

export interface SweepEstimate {
  latencyCycles: number | null;
  latencyNs: number | null;
  ii: number | null;
  dsp: number | null;
  lut: number | null;
  ff: number | null;
  bram18k: number | null;
}

export interface SweepResult {
  point: SweepPoint;
  /** Why the point failed (conversion refused, ...); its figures are then null. */
  error: string | null;
  maxAbsError: number | null;
  meanAbsError: number | null;
  argmaxAgreement: number | null;
  estimate: SweepEstimate | null;
  /** Emulator vs C simulation (with --csim), else null. */
  bitExact: boolean | null;
  /** On the Pareto front of (error, latency, DSP, LUT). */
  pareto: boolean;
  ms: number;
}

export type SweepMetric = 'mean' | 'max' | 'argmax';

export interface SweepOptions {
  model: string;
  convert: ConvertOptions;
  reuse: number[];
  precision: string[];
  samples?: number;
  seed?: number;
  range?: [number, number];
  inputs?: NamedTensors;
  /** Worker processes (default: cores, at most the number of points); 0 evaluates in this process. */
  jobs?: number;
  csim?: boolean;
  /** The accuracy objective of the Pareto front (default 'mean': mean absolute error). */
  metric?: SweepMetric;
  classifier?: boolean;
  progress?: (done: number, total: number, last?: SweepResult) => void;
}

/** One evaluation, as sent to a worker. */
export interface SweepTask {
  id: number;
  model: string;
  convert: ConvertOptions;
  point: SweepPoint;
  inputs: NamedTensors;
  samples: number;
  reference: Record<string, Float64Array>;
  classifier: Record<string, boolean>;
  csim: boolean;
}

// ------------------------------------------------------------------------------------------------- Pareto

/**
 * Which points are on the Pareto front when every objective is minimized: a point is dominated when another is no
 * worse in every objective and better in one. Points with a non-finite objective are never on the front.
 */
export function paretoFront(objectives: number[][]): boolean[] {
  const ok = objectives.map((o) => o.every((v) => Number.isFinite(v)));
  return objectives.map((a, i) => {
    if (!ok[i]) return false;
    return !objectives.some((b, j) => j !== i && ok[j] && b.every((v, k) => v <= a[k]) && b.some((v, k) => v < a[k]));
  });
}

function objectivesOf(r: SweepResult, metric: SweepMetric, dims: (keyof SweepEstimate)[]): number[] {
  const acc = metric === 'argmax' ? (r.argmaxAgreement === null ? NaN : 1 - r.argmaxAgreement) : metric === 'max' ? r.maxAbsError : r.meanAbsError;
  return [acc ?? NaN, ...dims.map((d) => r.estimate?.[d] ?? NaN)];
}

/** Marks the Pareto front of (accuracy metric, estimated latency, DSP, LUT) in place; objectives all points have. */
export function markPareto(results: SweepResult[], metric: SweepMetric = 'mean'): void {
  const dims = (['latencyCycles', 'dsp', 'lut'] as (keyof SweepEstimate)[]).filter((d) => results.some((r) => r.error === null && r.estimate?.[d] != null));
  const front = paretoFront(results.map((r) => (r.error ? [NaN] : objectivesOf(r, metric, dims))));
  results.forEach((r, i) => { r.pareto = front[i]; });
}

// ------------------------------------------------------------------------------------------------- one point

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Evaluates one point: convert, emulate, estimate (and with `csim`, write + compile + predict). */
export async function evaluatePoint(task: SweepTask): Promise<SweepResult> {
  const t0 = performance.now();
  const base: SweepResult = { point: task.point, error: null, maxAbsError: null, meanAbsError: null, argmaxAgreement: null, estimate: null, bitExact: null, pareto: false, ms: 0 };
  let tmp: string | undefined;
  try {
    const project = (await convert(task.model, { ...task.convert, precision: task.point.precision, reuseFactor: task.point.reuseFactor })) as unknown as Record<string, unknown>;
    const call = async (k: string, ...a: unknown[]): Promise<unknown> => (typeof project[k] === 'function' ? (project[k] as (...x: unknown[]) => unknown)(...a) : undefined);
    const emu = (await call('emulate', task.inputs)) as NamedTensors | undefined;
    if (!emu) throw new FirmflowError('sweep.emulate', `backend '${String((project['backend'] as { name?: unknown })?.name)}' has no emulator; sweep measures accuracy with it`);
    let max = 0, meanSum = 0, meanN = 0;
    const agreements: number[] = [];
    for (const [name, ref] of Object.entries(task.reference)) {
      const got = emu[name];
      if (!got) throw new FirmflowError('sweep.output', `the emulator returned no output '${name}'`);
      const s = errorStats(got.data, ref, task.samples, false);
      max = Math.max(max, s.maxAbsError);
      meanSum += s.meanAbsError * ref.length;
      meanN += ref.length;
      if (task.classifier[name]) agreements.push(argmaxAgreement(got.data, ref, task.samples));
    }
    base.maxAbsError = max;
    base.meanAbsError = meanSum / Math.max(meanN, 1);
    base.argmaxAgreement = agreements.length ? Math.min(...agreements) : null;
    const est = normalizeEstimate(await call('estimate'));
    if (est) {
      const t = est.total;
      base.estimate = { latencyCycles: t.latencyCycles, latencyNs: t.latencyNs, ii: t.ii, dsp: t.dsp, lut: t.lut, ff: t.ff, bram18k: t.bram18k };
    }
    if (task.csim && typeof project['compile'] === 'function') {
      tmp = mkdtempSync(join(tmpdir(), 'firmflow-sweep-'));
      await call('compile', join(tmp, 'p'));
      const cs = (await call('predict', task.inputs, { threads: 1 })) as NamedTensors;
      base.bitExact = Object.keys(task.reference).every((k) => compareExact(emu[k].data, cs[k].data).equal);
    }
  } catch (e) {
    base.error = (e as Error).message;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  base.ms = performance.now() - t0;
  for (const k of ['maxAbsError', 'meanAbsError', 'argmaxAgreement'] as const) base[k] = num(base[k]);
  return base;
}

// ------------------------------------------------------------------------------------------------- workers

/** The compiled worker module: beside this file when running from dist, else the package's dist build. */
function workerScript(): string | undefined {
  const here = fileURLToPath(new URL('./sweep-worker.js', import.meta.url));
  if (existsSync(here)) return here;
  const built = join(firmflowRoot(), 'dist', 'src', 'bench', 'sweep-worker.js');
  return existsSync(built) ? built : undefined;
}

async function runInWorkers(tasks: SweepTask[], jobs: number, onResult: (r: SweepResult) => void): Promise<void> {
  const script = workerScript();
  if (!script) throw new FirmflowError('sweep.worker', 'the sweep worker is not built (run npm run build), or use jobs 0 to evaluate in this process');
  const queue = [...tasks];
  const children: ChildProcess[] = [];
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, () => new Promise<void>((resolveWorker, rejectWorker) => {
      const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      children.push(child);
      let stderr = '';
      let current: SweepTask | undefined;
      child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
      const next = (): void => {
        current = queue.shift();
        if (current) child.send(current);
        else { child.disconnect(); resolveWorker(); }
      };
      child.on('message', (m: SweepResult) => { onResult(m); next(); });
      child.on('error', rejectWorker);
      child.on('exit', (code, sig) => {
        if (current) rejectWorker(new FirmflowError('sweep.worker', `a sweep worker died (${sig ?? `exit ${code}`}) on ${current.point.precision} reuse ${current.point.reuseFactor}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      });
      next();
    })));
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  }
}

// ------------------------------------------------------------------------------------------------- sweep

/** Runs the sweep; results in grid order (precision-major), Pareto front marked. */
export async function sweep(options: SweepOptions): Promise<{ results: SweepResult[]; samples: number; reference: string; ranges: { input: string; min: number; max: number }[] }> {
  if (!options.reuse.length || !options.precision.length) throw new FirmflowError('sweep.options', 'sweep needs at least one reuse factor and one precision');
  const points: SweepPoint[] = [];
  for (const precision of options.precision) for (const reuseFactor of options.reuse) points.push({ precision, reuseFactor });

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(options.model);
  } catch (e) {
    throw new FirmflowError('sweep.model', `model ${options.model}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const graph = loadModel(bytes, { inputShapes: options.convert.inputShapes });
  const shapes = graph.inputs.map((p) => ({ name: p.name, shape: graph.tensor(p.tensor).shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN)) }));
  for (const s of shapes) if (!s.shape.every(Number.isFinite)) throw new FirmflowError('sweep.input', `input '${s.name}' has a symbolic dimension besides the batch; fix it with inputShapes in a config`);

  // The grid varies the HLS precision and reuse factor: a backend whose projects carry no HLS configuration (AIE:
  // its types come from the model's quantizers, its parallelism from the tiling) would evaluate the same design at
  // every point. Refuse that grid rather than print a table of identical rows.
  const probe = await convert(bytes, { ...options.convert, precision: options.precision[0], reuseFactor: options.reuse[0] });
  if (!probe.graph.meta['hls']) {
    throw new FirmflowError('sweep.backend', `backend '${probe.backend.name}' does not use the precision or the reuse factor (its projects have no HLS configuration), so a --precision x --reuse grid would evaluate one design ${points.length} times. Compare its designs with firmflow bench instead, one run per setting (e.g. firmflow bench ${options.model} --backend ${probe.backend.name} -O device=AIE-MLv2, or per-layer aie.layers.<node>.casLength in a --config), and firmflow report for the performance model.`);
  }

  // Shared inputs: random within the range every point's input type holds (the narrowest), or given.
  const ranges: { input: string; min: number; max: number }[] = [];
  let inputs: NamedTensors;
  let samples: number;
  if (options.inputs) {
    inputs = options.inputs;
    const first = shapes[0];
    samples = inputs[first.name].data.length / first.shape.reduce((a, b) => a * b, 1);
  } else {
    samples = options.samples ?? 1000;
    const lo = new Map<string, number>(), hi = new Map<string, number>();
    if (!options.range) {
      for (const precision of options.precision) {
        const p = await convert(bytes, { ...options.convert, precision });
        for (const port of p.graph.inputs) {
          const t = p.graph.tensor(port.tensor).precision;
          const r = t ? typeRange(t) : { min: -1, max: 1 };
          lo.set(port.name, Math.max(lo.get(port.name) ?? -Infinity, r.min));
          hi.set(port.name, Math.min(hi.get(port.name) ?? Infinity, r.max));
        }
      }
    }
    const withRange = shapes.map((s) => ({ ...s, range: options.range ?? ([lo.get(s.name) ?? -1, hi.get(s.name) ?? 1] as [number, number]) }));
    for (const s of withRange) ranges.push({ input: s.name, min: s.range[0], max: s.range[1] });
    inputs = randomInputs(withRange, samples, options.seed ?? 1);
  }
  const ref = await referenceOutputs(bytes, graph, inputs, samples);
  const classifier: Record<string, boolean> = {};
  for (const p of graph.outputs) {
    const prod = graph.producer(p.tensor);
    classifier[p.name] = options.classifier === true || (prod !== undefined && ['Softmax', 'LogSoftmax'].includes(prod.op));
  }

  const tasks: SweepTask[] = points.map((point, id) => ({
    id, model: options.model, convert: options.convert, point, inputs, samples, reference: ref.outputs, classifier, csim: options.csim === true,
  }));
  const results: SweepResult[] = new Array(tasks.length);
  let done = 0;
  const onResult = (r: SweepResult & { id?: number }): void => {
    const i = r.id ?? tasks.findIndex((t) => t.point.precision === r.point.precision && t.point.reuseFactor === r.point.reuseFactor);
    delete r.id;
    results[i] = r;
    options.progress?.(++done, tasks.length, r);
  };
  const jobs = options.jobs ?? Math.max(1, Math.min(cpus().length, tasks.length));
  if (jobs === 0) for (const t of tasks) onResult({ ...(await evaluatePoint(t)), id: t.id } as SweepResult);
  else await runInWorkers(tasks, jobs, onResult);
  markPareto(results, options.metric ?? 'mean');
  const referenceName = ref.executor === 'onnxruntime' ? `onnxruntime ${ref.version ?? ''}`.trim() : `float interpreter${ref.note ? ` (${ref.note})` : ''}`;
  return { results, samples, reference: referenceName, ranges };
}

/** CSV of the results (one row per point). */
export function sweepCsv(results: SweepResult[]): string {
  const head = ['precision', 'reuse_factor', 'max_abs_error', 'mean_abs_error', 'argmax_agreement', 'latency_cycles', 'latency_ns', 'ii', 'dsp', 'lut', 'ff', 'bram18k', 'bit_exact', 'pareto', 'error'];
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n<>]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = results.map((r) => [
    r.point.precision, r.point.reuseFactor, r.maxAbsError, r.meanAbsError, r.argmaxAgreement, r.estimate?.latencyCycles, r.estimate?.latencyNs, r.estimate?.ii,
    r.estimate?.dsp, r.estimate?.lut, r.estimate?.ff, r.estimate?.bram18k, r.bitExact, r.pareto, r.error,
  ].map(cell).join(','));
  return `${[head.join(','), ...rows].join('\n')}\n`;
}
