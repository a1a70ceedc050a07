import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConvertOptions, Project } from '../api.js';
import { FirmflowError } from '../errors.js';
import { typeRange } from '../fixed/index.js';
import { firmflowRoot } from '../registry/discovery.js';
import type { Backend, BackendSweep, NamedTensors, SweepAxis, SweepContext, SweepFigure, SweepValue } from '../registry/types.js';
import { argmaxAgreement, compareExact, errorStats } from './metrics.js';
import { normalizeEstimate, randomInputs } from './run.js';

/* Loaded on first use, so the CLI's start-up does not pay for them (issue 16). */
const convert: typeof import('../api.js').convert = async (...a) => (await import('../api.js')).convert(...a);
const getBackend: typeof import('../registry/plugins.js').getBackend = async (...a) => (await import('../registry/plugins.js')).getBackend(...a);
const referenceOutputs: typeof import('./reference.js').referenceOutputs = async (...a) => (await import('./reference.js')).referenceOutputs(...a);
const frontend = () => import('../onnx/frontend.js');

/*
 * `firmflow sweep`: a backend's design space evaluated in parallel worker processes. The backend declares the space
 * (Backend.sweep: named axes whose values become conversion options, and its figures of merit); every point is
 * converted, emulated for accuracy against one float reference on shared inputs, and measured (C simulation
 * optional), and the Pareto front of accuracy against the figures the backend marks as objectives is marked.
 */

/** A point: the value of every axis (swept ones, and the base value of the others where the backend knows it). */
export type SweepPoint = Record<string, SweepValue>;

/** The figures of merit of a point, by figure name (the backend's `figures`). */
export type SweepEstimate = Record<string, number | null>;

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
  /** On the Pareto front of (error, the backend's objective figures). */
  pareto: boolean;
  ms: number;
}

export type SweepMetric = 'mean' | 'max' | 'argmax';

/** An axis as the sweep used it (serializable: no hooks). */
export interface SweepAxisInfo {
  name: string;
  column: string;
  label: string;
  description: string;
  /** Values swept, in order (one value: held there). Empty: not swept, at the base options. */
  values: SweepValue[];
  swept: boolean;
  base?: SweepValue;
  defaults: SweepValue[];
}

/** What the table, CSV and JSON show: the axes and figures of the backend swept. */
export interface SweepLayout {
  backend: string;
  axes: SweepAxisInfo[];
  figures: SweepFigure[];
}

export interface SweepOptions {
  model: string;
  convert: ConvertOptions;
  /**
   * Values per axis name (strings are parsed by the axis, as on the command line). Axes not named are held at the
   * base options; without any axis named, every axis the base options do not set is swept over its defaults.
   */
  axes?: Record<string, readonly SweepValue[]>;
  /**
   * Axis values given by flags of their own (a backend option's sweepFlag, e.g. the FPGA backends' --reuse): like
   * `axes`, but a backend without such an axis is told that it does not use them.
   */
  lists?: SweepList[];
  /** The precision axis's values (`--precision LIST`), a list as above. */
  precision?: string[];
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

/** Values of one axis given by a flag of its own (`--precision LIST`, a backend's sweep flag such as `--reuse LIST`). */
export interface SweepList {
  axis: string;
  values: readonly SweepValue[];
  /** What the axis varies, for messages ('the reuse factor'). */
  label: string;
  /** The flag that gave the values ('--reuse'). */
  flag: string;
}

/** One evaluation, as sent to a worker: the point's own conversion options. */
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

// ------------------------------------------------------------------------------------------------- figures

/**
 * The figures of firmflow's estimate contract (project.estimate(), read by `firmflow bench`): what a backend's sweep
 * measures unless it declares its own, and the layout of results that carry none (hand-made ones).
 */
/** Parses a positive integer value of sweep axis `axis` (a backend's SweepAxis.parse helper). */
export function positiveAxisValue(axis: string, text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1) throw new FirmflowError('sweep.axis', `axis '${axis}': expected a positive integer, got '${text}'`);
  return Number(t);
}

export const ESTIMATE_FIGURES: SweepFigure[] = [
  { name: 'latencyCycles', column: 'latency_cycles', label: 'latency (cyc)', goal: 'min', description: 'estimated latency, clock cycles' },
  { name: 'latencyNs', column: 'latency_ns', description: 'estimated latency, ns' },
  { name: 'ii', column: 'ii', label: 'II', description: 'initiation interval, clock cycles' },
  { name: 'dsp', column: 'dsp', label: 'DSP', goal: 'min' },
  { name: 'lut', column: 'lut', label: 'LUT', goal: 'min' },
  { name: 'ff', column: 'ff', label: 'FF' },
  { name: 'bram18k', column: 'bram18k', label: 'BRAM18K', description: '18 Kb block RAMs' },
];

/** The ESTIMATE_FIGURES of a project, from its estimate() hook (empty without one). */
export async function estimateFigures(project: Project): Promise<SweepEstimate> {
  const e = normalizeEstimate(project.provides('estimate') ? await project.estimate() : undefined);
  if (!e) return {};
  const t = e.total;
  return { latencyCycles: t.latencyCycles, latencyNs: t.latencyNs, ii: t.ii, dsp: t.dsp, lut: t.lut, ff: t.ff, bram18k: t.bram18k };
}

/** The CSV column of an axis by default: its name in snake case, dots as underscores ('aie.tileBudget' -> aie_tile_budget). */
export function axisColumn(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9_]+/g, '_').toLowerCase();
}

/** The layout of results that carry none: axes from the points' keys, figures of the estimate contract. */
function layoutOf(results: SweepResult[]): SweepLayout {
  const names = [...new Set(results.flatMap((r) => Object.keys(r.point)))];
  return {
    backend: '',
    axes: names.map((name) => ({ name, column: axisColumn(name), label: name, description: '', values: [], swept: true, defaults: [] })),
    figures: ESTIMATE_FIGURES,
  };
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

function accuracyOf(r: SweepResult, metric: SweepMetric): number {
  const acc = metric === 'argmax' ? (r.argmaxAgreement === null ? NaN : 1 - r.argmaxAgreement) : metric === 'max' ? r.maxAbsError : r.meanAbsError;
  return acc ?? NaN;
}

/** The figures that are Pareto objectives of these results: those with a goal that some successful point has. */
export function objectiveFigures(results: SweepResult[], figures: SweepFigure[] = ESTIMATE_FIGURES): SweepFigure[] {
  return figures.filter((f) => f.goal && results.some((r) => r.error === null && r.estimate?.[f.name] != null));
}

/**
 * Marks the Pareto front of (accuracy metric, the objective figures) in place: minimized ones as they are, maximized
 * ones negated; figures no point has are left out.
 */
export function markPareto(results: SweepResult[], metric: SweepMetric = 'mean', figures: SweepFigure[] = ESTIMATE_FIGURES): void {
  const dims = objectiveFigures(results, figures);
  const front = paretoFront(results.map((r) => (r.error ? [NaN] : [
    accuracyOf(r, metric),
    ...dims.map((f) => { const v = r.estimate?.[f.name] ?? NaN; return f.goal === 'max' ? -v : v; }),
  ])));
  results.forEach((r, i) => { r.pareto = front[i]; });
}

// ------------------------------------------------------------------------------------------------- one point

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The backend's sweep hooks, checked (a plugin's object can be anything). */
function sweepHooks(backend: Backend): BackendSweep | undefined {
  const h = backend.sweep as Partial<BackendSweep> | undefined;
  if (h === undefined) return undefined;
  if (typeof h !== 'object' || h === null || typeof h.axes !== 'function' || (h.measure !== undefined && typeof h.measure !== 'function') || (h.figures !== undefined && !Array.isArray(h.figures))) {
    throw new FirmflowError('sweep.backend', `backend '${backend.name}': its sweep hook must be an object { axes(), figures?, measure?() }`);
  }
  return h as BackendSweep;
}

/** Evaluates one point: convert, emulate, measure (and with `csim`, write + compile + predict). */
export async function evaluatePoint(task: SweepTask): Promise<SweepResult> {
  const t0 = performance.now();
  const base: SweepResult = { point: task.point, error: null, maxAbsError: null, meanAbsError: null, argmaxAgreement: null, estimate: null, bitExact: null, pareto: false, ms: 0 };
  let tmp: string | undefined;
  try {
    const project = await convert(task.model, task.convert);
    if (!project.provides('emulate')) throw new FirmflowError('sweep.emulate', `backend '${project.backend.name}' has no emulator; sweep measures accuracy with it`);
    const emu = await project.emulate(task.inputs);
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
    const hooks = sweepHooks(project.backend);
    const figures = await (hooks?.measure ?? estimateFigures)(project);
    const known = Object.entries(figures).filter(([, v]) => v !== undefined);
    if (known.length) base.estimate = Object.fromEntries(known.map(([k, v]) => [k, num(v)]));
    if (task.csim && project.provides('compile')) {
      tmp = mkdtempSync(join(tmpdir(), 'firmflow-sweep-'));
      await project.compile(join(tmp, 'p'));
      const cs = await project.predict(task.inputs, { threads: 1 });
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
        if (current) rejectWorker(new FirmflowError('sweep.worker', `a sweep worker died (${sig ?? `exit ${code}`}) on ${pointText(current.point)}: ${stderr.trim().split('\n').slice(-5).join('\n')}`));
      });
      next();
    })));
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  }
}

// ------------------------------------------------------------------------------------------------- sweep

/** A point as text: 'precision=fixed<16,6> reuseFactor=4'. */
export function pointText(p: SweepPoint): string {
  return Object.entries(p).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** The option at a dotted path ('aie.tileBudget') of options as given, if set. */
function optionAt(options: Record<string, unknown>, path: string): unknown {
  let v: unknown = options;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The axis lists of the options, the precision's first. */
function listsOf(options: SweepOptions): SweepList[] {
  const precision: SweepList[] = options.precision ? [{ axis: 'precision', values: options.precision, label: 'the precision', flag: '--precision' }] : [];
  return [...precision, ...(options.lists ?? [])];
}

/** The cartesian product of the swept axes, first axis slowest. */
function grid(axes: { axis: SweepAxis; values: SweepValue[] }[]): SweepValue[][] {
  let out: SweepValue[][] = [[]];
  for (const a of axes) out = out.flatMap((prefix) => a.values.map((v) => [...prefix, v]));
  return out;
}

/**
 * The axes to sweep and their values: those named in options.axes (parsed by the axis), else every axis with defaults
 * that the base options leave unset. An axis that is named but unknown to the backend, or set by the base options
 * too, is an error naming it.
 */
async function planAxes(options: SweepOptions, backend: Backend, hooks: BackendSweep | undefined, ctx: SweepContext): Promise<{ axes: SweepAxis[]; swept: { axis: SweepAxis; values: SweepValue[] }[] }> {
  const backendName = backend.name;
  const named: Record<string, readonly SweepValue[]> = { ...(options.axes ?? {}) };
  const lists = listsOf(options);
  for (const l of lists) named[l.axis] = l.values;
  if (!hooks) {
    throw new FirmflowError('sweep.backend', `backend '${backendName}' declares no design space to sweep (its Backend.sweep hook); compare its designs with firmflow bench, one run per setting`);
  }
  const axes = await hooks.axes(ctx);
  const byName = new Map(axes.map((a) => [a.name, a]));
  const list = axes.map((a) => a.name).join(', ') || 'none';
  // A grid of list flags on a backend without those axes: say what the backend sweeps instead.
  if (lists.some((l) => !byName.has(l.axis))) {
    const example = axes.find((a) => a.defaults.length) ?? axes[0];
    throw new FirmflowError('sweep.backend', `backend '${backendName}' does not use ${lists.map((l) => l.label).join(' or ')} (its design space has other axes), so a ${lists.map((l) => l.flag).join(' x ')} grid would evaluate one design many times. Its sweep axes are: ${list}${example ? `; e.g. firmflow sweep ${options.model} --backend ${backendName} --axis ${example.name}=${(example.defaults.length ? example.defaults : [example.base ?? '...']).slice(0, 3).join(',')}` : ''} (firmflow sweep --list-axes shows each with its default values).`);
  }
  for (const n of Object.keys(named)) {
    if (!byName.has(n)) throw new FirmflowError('sweep.axis', `backend '${backendName}' has no sweep axis '${n}' (its axes: ${list})`);
  }
  const given = options.convert as Record<string, unknown>;
  const swept: { axis: SweepAxis; values: SweepValue[] }[] = [];
  for (const axis of axes) {
    const raw = named[axis.name];
    if (raw === undefined) continue;
    if (!raw.length) throw new FirmflowError('sweep.axis', `axis '${axis.name}' has no values`);
    if (optionAt(given, axis.name) !== undefined) {
      throw new FirmflowError('sweep.axis', `option '${axis.name}' is set by the conversion options and swept as an axis; drop one (the sweep sets '${axis.name}' from its axis values)`);
    }
    const values: SweepValue[] = [];
    for (const v of raw) {
      const parsed = axis.parse(String(v));
      if (!values.includes(parsed)) values.push(parsed);
    }
    swept.push({ axis, values });
  }
  if (!Object.keys(named).length) {
    for (const axis of axes) if (axis.defaults.length && optionAt(given, axis.name) === undefined) swept.push({ axis, values: [...axis.defaults] });
    if (!swept.length) {
      const flags = axes.map((a) => (a.name === 'precision' ? '--precision' : backend.options?.find((s) => s.name === a.name)?.sweepFlag?.split(' ')[0])).filter((f) => f !== undefined);
      throw new FirmflowError('sweep.axis', `backend '${backendName}' has no default values for its sweep axes (${list}); name the values, e.g. ${axes.map((a) => `--axis ${a.name}=...`).join(' ')}${flags.length ? ` (or ${flags.map((f) => `${f} LIST`).join(' ')})` : ''}`);
    }
  }
  return { axes, swept };
}

/** Runs the sweep; results in grid order (first axis slowest), Pareto front marked. */
export async function sweep(options: SweepOptions): Promise<{ results: SweepResult[]; samples: number; reference: string; ranges: { input: string; min: number; max: number }[] } & SweepLayout> {
  for (const l of listsOf(options)) if (!l.values.length) throw new FirmflowError('sweep.options', `sweep needs at least one value of ${l.label} (${l.flag})`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(options.model);
  } catch (e) {
    throw new FirmflowError('sweep.model', `model ${options.model}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const graph = (await frontend()).loadModel(bytes, { inputShapes: options.convert.inputShapes });
  const shapes = graph.inputs.map((p) => ({ name: p.name, shape: graph.tensor(p.tensor).shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN)) }));
  for (const s of shapes) if (!s.shape.every(Number.isFinite)) throw new FirmflowError('sweep.input', `input '${s.name}' has a symbolic dimension besides the batch; fix it with inputShapes in a config`);

  // The backend (and so its design space), and the base design (converted when an axis needs the model for its
  // defaults, or for the input types).
  let base: Promise<Project> | undefined;
  const baseProject = (): Promise<Project> => (base ??= convert(bytes, options.convert));
  const backend = typeof options.convert.backend === 'string' ? await getBackend(options.convert.backend) : (await baseProject()).backend;
  const backendName = backend.name;
  const hooks = sweepHooks(backend);
  const ctx: SweepContext = { model: options.model, options: options.convert as Record<string, unknown>, project: baseProject };
  const { axes, swept } = await planAxes(options, backend, hooks, ctx);
  const held: SweepPoint = {};
  for (const a of axes) if (!swept.some((s) => s.axis === a) && a.base !== undefined) held[a.name] = a.base;
  const combos = grid(swept);
  const pointOptions = (combo: SweepValue[], only?: (a: SweepAxis) => boolean): ConvertOptions => {
    let o = { ...options.convert } as Record<string, unknown>;
    swept.forEach((s, i) => { if (!only || only(s.axis)) o = s.axis.apply(o, combo[i]); });
    return o as ConvertOptions;
  };
  const points = combos.map((combo) => {
    const point: SweepPoint = {};
    for (const a of axes) {
      const i = swept.findIndex((s) => s.axis === a);
      if (i >= 0) point[a.name] = combo[i];
      else if (held[a.name] !== undefined) point[a.name] = held[a.name];
    }
    return { point, convert: pointOptions(combo) };
  });
  // A design of the sweep for what every point shares (input types when no axis changes them, the project hooks):
  // the base one, else the first point that converts (the base options alone may not, e.g. a reuse factor 1 beyond
  // the vendor limits).
  let some: Project | undefined;
  const someProject = async (): Promise<Project> => {
    if (some) return some;
    try {
      return (some = await baseProject());
    } catch (e) {
      for (const p of points) {
        try {
          return (some = await convert(bytes, p.convert));
        } catch { /* the next point */ }
      }
      throw e;
    }
  };
  if (options.csim && typeof (await someProject())['compile'] !== 'function') {
    throw new FirmflowError('sweep.csim', `--csim: backend '${backendName}' projects have no compile() to build a C simulation from; sweep without --csim (accuracy comes from the emulator)`);
  }

  // Shared inputs: random within the range every point's input type holds (the narrowest over the axes that change
  // the input types), or given.
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
      const typing = swept.filter((s) => s.axis.changesInputTypes);
      const seen = new Set<string>();
      const typed: Project[] = [];
      if (!typing.length) typed.push(await someProject());
      for (const combo of combos) {
        const key = JSON.stringify(swept.map((s, i) => (s.axis.changesInputTypes ? combo[i] : null)));
        if (!typing.length || seen.has(key)) continue;
        seen.add(key);
        typed.push(await convert(bytes, pointOptions(combo, (a) => a.changesInputTypes === true)));
      }
      for (const p of typed) {
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

  const tasks: SweepTask[] = points.map(({ point, convert: c }, id) => ({
    id, model: options.model, convert: c, point, inputs, samples, reference: ref.outputs, classifier, csim: options.csim === true,
  }));
  const results: SweepResult[] = new Array(tasks.length);
  let done = 0;
  const onResult = (r: SweepResult & { id?: number }): void => {
    const i = r.id!;
    delete r.id;
    results[i] = r;
    options.progress?.(++done, tasks.length, r);
  };
  const jobs = options.jobs ?? Math.max(1, Math.min(cpus().length, tasks.length));
  if (jobs === 0) for (const t of tasks) onResult({ ...(await evaluatePoint(t)), id: t.id } as SweepResult);
  else await runInWorkers(tasks, jobs, onResult);
  const figures = hooks?.figures ?? ESTIMATE_FIGURES;
  markPareto(results, options.metric ?? 'mean', figures);
  const referenceName = ref.executor === 'onnxruntime' ? `onnxruntime ${ref.version ?? ''}`.trim() : `float interpreter${ref.note ? ` (${ref.note})` : ''}`;
  const axisInfo: SweepAxisInfo[] = axes.map((a) => {
    const s = swept.find((x) => x.axis === a);
    return {
      name: a.name, column: a.column ?? axisColumn(a.name), label: a.label ?? a.name, description: a.description,
      values: s ? s.values : [], swept: s !== undefined, ...(a.base !== undefined ? { base: a.base } : {}), defaults: [...a.defaults],
    };
  });
  return { results, samples, reference: referenceName, ranges, backend: backendName, axes: axisInfo, figures };
}

/** The axes of a backend for a model and base options, and its figures (`firmflow sweep --list-axes`). */
export async function sweepAxes(model: string, convertOptions: ConvertOptions): Promise<SweepLayout> {
  let base: Promise<Project> | undefined;
  const baseProject = (): Promise<Project> => (base ??= convert(model, convertOptions));
  const backend = typeof convertOptions.backend === 'string' ? await getBackend(convertOptions.backend) : (await baseProject()).backend;
  const hooks = sweepHooks(backend);
  if (!hooks) throw new FirmflowError('sweep.backend', `backend '${backend.name}' declares no design space to sweep (its Backend.sweep hook)`);
  const axes = await hooks.axes({ model, options: convertOptions as Record<string, unknown>, project: baseProject });
  return {
    backend: backend.name,
    axes: axes.map((a) => ({ name: a.name, column: a.column ?? axisColumn(a.name), label: a.label ?? a.name, description: a.description, values: [], swept: false, ...(a.base !== undefined ? { base: a.base } : {}), defaults: [...a.defaults] })),
    figures: hooks.figures ?? ESTIMATE_FIGURES,
  };
}

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n<>]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * CSV of the results, one row per point: the axes' columns, max_abs_error, mean_abs_error, argmax_agreement, the
 * figures' columns, bit_exact, pareto, error. Without a layout, the axes are the points' keys and the figures those
 * of the estimate contract.
 */
export function sweepCsv(results: SweepResult[], layout: Pick<SweepLayout, 'axes' | 'figures'> = layoutOf(results)): string {
  const head = [...layout.axes.map((a) => a.column), 'max_abs_error', 'mean_abs_error', 'argmax_agreement', ...layout.figures.map((f) => f.column), 'bit_exact', 'pareto', 'error'];
  const rows = results.map((r) => [
    ...layout.axes.map((a) => r.point[a.name]), r.maxAbsError, r.meanAbsError, r.argmaxAgreement, ...layout.figures.map((f) => r.estimate?.[f.name]), r.bitExact, r.pareto, r.error,
  ].map(csvCell).join(','));
  return `${[head.join(','), ...rows].join('\n')}\n`;
}

export { layoutOf as defaultSweepLayout };
