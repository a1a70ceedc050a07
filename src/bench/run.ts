import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConvertOptions, Project } from '../api.js';
import { FirmflowError } from '../errors.js';
import { sizeOf } from '../ir/shape.js';
import { formatType, typeRange } from '../fixed/index.js';
import type { Graph, Tensor } from '../ir/graph.js';
import { version } from '../version.js';
import type { Backend, NamedTensors } from '../registry/types.js';
import type { CompileResult, ProjectDescription, ProjectMethodName, ProjectMethods } from '../project.js';
import { mulberry32 } from '../util/random.js';
import type { TraceLayerSummary, TraceReportLike } from '../trace/report.js';
import { compareExact, errorHistogram, errorStats } from './metrics.js';
import {
  BENCH_SCHEMA_ID, BENCH_SCHEMA_VERSION, type BenchReport, type EstimateReport, type LayerEstimate, type LayerReport, type LayerTrace, type NamedResource,
  type OutputAccuracy, type ResourceFigures,
} from './types.js';

/* Loaded on first use, so the CLI's start-up does not pay for them (issue 16). */
const convert: typeof import('../api.js').convert = async (...a) => (await import('../api.js')).convert(...a);
const getBackend: typeof import('../registry/plugins.js').getBackend = async (...a) => (await import('../registry/plugins.js')).getBackend(...a);
const referenceOutputs: typeof import('./reference.js').referenceOutputs = async (...a) => (await import('./reference.js')).referenceOutputs(...a);
const frontend = () => import('../onnx/frontend.js');

/*
 * `firmflow bench`: one model (or written project) through every executor on the same inputs - the float reference
 * (onnxruntime), the host C simulation and the bit-accurate emulator - with the per-layer trace and the backend's
 * estimates. Generic: everything backend-specific comes through the project's hooks (compile, predict, emulate, trace,
 * estimate, graph); a backend without a hook leaves its part of the report null.
 */

export interface BenchOptions {
  /** ONNX model to convert (with `convert` options), or ... */
  model?: string;
  /** ... a project folder written by firmflow convert, or ... */
  projectDir?: string;
  /** ... a converted project (API use), written to `outputDir` when it is not there yet. */
  project?: Project;
  /** The ONNX model of a project folder, for the onnxruntime reference (default: the interpreter on its graph). */
  referenceModel?: string;
  /** Conversion options (backend, precision, config, backend keys). */
  convert?: ConvertOptions;
  /** Where the project is written (default: a temporary folder, removed afterwards). */
  outputDir?: string;
  /** Replace an existing outputDir. */
  force?: boolean;
  /** Random samples (default 1000), ignored when `inputs` are given. */
  samples?: number;
  seed?: number;
  /** Range of the random inputs (default: each input's fixed-point type range). */
  range?: [number, number];
  /** Given inputs, by input name, batch first. */
  inputs?: NamedTensors;
  /** Run the host C simulation (compile + predict); default true. */
  csim?: boolean;
  /** Run the emulator and its trace; default true. */
  emulate?: boolean;
  /** Reference executor: 'auto' = onnxruntime, falling back to the interpreter; 'none' skips accuracy. */
  reference?: 'auto' | 'onnxruntime' | 'interpreter' | 'none';
  /** Treat every output with more than one value per sample as a class distribution. */
  classifier?: boolean;
  /** Threads of the C simulation. */
  threads?: number;
  progress?: (step: string) => void;
}

/** What the bench needs of a project (converted or reopened): its typed methods, any of them absent. */
interface Hooks extends ProjectDescription {
  name: string;
  backend: string;
  graph?: Graph;
  compile?: () => Promise<CompileResult>;
  predict?: ProjectMethods['predict'];
  emulate?: ProjectMethods['emulate'];
  trace?: ProjectMethods['trace'];
  estimate?: ProjectMethods['estimate'];
  options: Record<string, unknown>;
  /** The options shown in the report's settings (the backend's summary options). */
  summary: string[];
}

/** The option names a backend marks for reports' settings, after the core's precision. */
const summaryKeys = (backend: Backend): string[] => ['precision', ...(backend.options ?? []).filter((s) => s.summary).map((s) => s.name)];

function hooksOfProject(p: Project, dir: string): Hooks {
  const has = (m: ProjectMethodName): boolean => p.provides(m);
  return {
    name: p.projectName,
    backend: p.backend.name,
    graph: p.graph,
    options: p.options,
    summary: summaryKeys(p.backend),
    kernelOf: p.kernelOf,
    defaultPrecision: p.defaultPrecision,
    compile: has('compile') ? () => p.compile(dir) : undefined,
    predict: has('predict') ? (i, o) => p.predict(i, o) : undefined,
    emulate: has('emulate') ? (i, o) => p.emulate(i, o) : undefined,
    trace: has('trace') ? (i, o) => p.trace(i, o) : undefined,
    estimate: has('estimate') ? (o) => p.estimate(o) : undefined,
  };
}

async function hooksOfDir(dir: string): Promise<Hooks> {
  const file = join(dir, 'firmflow.json');
  let manifest: { backend?: unknown; options?: Record<string, unknown>; projectName?: string };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FirmflowError('bench.project', `${dir} is neither an ONNX model nor a firmflow project folder (${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (typeof manifest.backend !== 'string') throw new FirmflowError('bench.project', `${file} does not name the backend that wrote it`);
  const backend = await getBackend(manifest.backend);
  if (!backend.openProject) throw new FirmflowError('bench.project', `backend '${backend.name}' cannot reopen projects; bench the ONNX model instead`);
  const p = await backend.openProject(dir);
  return {
    name: p.name ?? manifest.projectName ?? 'project',
    backend: p.backend ?? manifest.backend,
    graph: p.graph?.(),
    options: manifest.options ?? {},
    summary: summaryKeys(backend),
    kernelOf: p.kernelOf,
    defaultPrecision: p.defaultPrecision,
    compile: () => p.compile({}),
    predict: (i, o) => p.predict(i, o ?? {}),
    emulate: p.emulate && ((i) => p.emulate!(i, {})),
    trace: p.trace && ((i, o) => p.trace!(i, o)),
    estimate: p.estimate && (() => p.estimate!()),
  };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Per-sample shapes of the graph's ports (symbolic dimensions other than the batch are an error). */
function portShapes(graph: Graph, ports: 'inputs' | 'outputs'): { name: string; tensor: string; shape: number[]; precision: string | null }[] {
  return graph[ports].map((p) => {
    const t = graph.tensor(p.tensor);
    const shape = t.shape.slice(1).map((d) => (typeof d === 'number' ? d : NaN));
    return { name: p.name, tensor: p.tensor, shape, precision: t.precision ? formatType(t.precision) : null };
  });
}

/** Seeded uniform float32 inputs in each input's range. */
export function randomInputs(ports: { name: string; shape: number[]; range: [number, number] }[], samples: number, seed: number): NamedTensors {
  const out: NamedTensors = {};
  ports.forEach((p, k) => {
    const u = mulberry32(seed * 7919 + k);
    const n = sizeOf(p.shape) * samples;
    const [lo, hi] = p.range;
    const data = new Float32Array(n);
    // Float32 rounding can land on hi; the range is closed on both ends.
    for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * u();
    out[p.name] = { dtype: 'float32', shape: [samples, ...p.shape], data };
  });
  return out;
}

/** The range of an input's random values: the given one, else its fixed-point type's. */
function inputRange(tensor: Tensor, given?: [number, number]): [number, number] {
  if (given) return given;
  if (tensor.precision) {
    const r = typeRange(tensor.precision);
    return [r.min, r.max];
  }
  return [-1, 1];
}

function sampleCount(inputs: NamedTensors, ports: { name: string; shape: number[] }[]): number {
  let samples = -1;
  for (const p of ports) {
    const t = inputs[p.name];
    if (!t) throw new FirmflowError('bench.input', `the inputs have no value for input '${p.name}' (given: ${Object.keys(inputs).join(', ') || 'none'})`);
    const per = sizeOf(p.shape);
    if (!Number.isFinite(per) || t.data.length === 0 || t.data.length % per !== 0) {
      throw new FirmflowError('bench.input', `input '${p.name}' has ${t.data.length} values, not a whole number of samples of shape [${p.shape.join(', ')}]`);
    }
    const n = t.data.length / per;
    if (samples >= 0 && n !== samples) throw new FirmflowError('bench.input', `the inputs have different sample counts (${samples} and ${n} for '${p.name}')`);
    samples = n;
  }
  for (const k of Object.keys(inputs)) if (!ports.some((p) => p.name === k)) throw new FirmflowError('bench.input', `the inputs have a value for '${k}', which is not an input of the model (inputs: ${ports.map((p) => p.name).join(', ')})`);
  return samples;
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

/** Layers of the firmware graph in topological order, with what feeds each. */
function layersOf(graph: Graph, kernelOf: ProjectDescription['kernelOf']): LayerReport[] {
  const nodes = graph.topoOrder();
  const nameOf = new Map(nodes.map((n) => [n.name, n.origin?.name ?? n.name]));
  const inputName = new Map(graph.inputs.map((p) => [p.tensor, p.name]));
  return nodes.map((n, index) => {
    const from: string[] = [];
    for (const t of n.inputs) {
      if (t === '' || graph.isConstant(t)) continue;
      const p = graph.producer(t);
      if (p) from.push(nameOf.get(p.name)!);
      else if (inputName.has(t)) from.push(`input:${inputName.get(t)}`);
    }
    const out = n.outputs[0] ? graph.tensor(n.outputs[0]) : undefined;
    return {
      index, name: nameOf.get(n.name)!, node: n.name, op: n.op,
      kernel: kernelOf?.(n.name) ?? null,
      precision: out?.precision ? formatType(out.precision) : null,
      from: [...new Set(from)], trace: null, estimate: null,
    };
  });
}

/** A backend's hook result claiming the shape T: any field may be missing or of another type. */
type Claimed<T> = { [K in keyof T]?: unknown };

/** The backend's trace report (duck-typed TraceReportLike: { samples, layers: [...], firstUnexplained, overflowed }). */
function applyTrace(raw: unknown, layers: LayerReport[]): BenchReport['trace'] {
  const t = raw as Claimed<TraceReportLike> | undefined;
  if (!t || !Array.isArray(t.layers)) return null;
  for (const r of t.layers as Claimed<TraceLayerSummary>[]) {
    const l = layers.find((x) => x.node === r.node) ?? layers.find((x) => x.name === r.layer);
    if (!l) continue;
    const trace: LayerTrace = {
      maxAbsError: num(r.maxAbsError), meanAbsError: num(r.meanAbsError), bound: num(r.bound), ratio: num(r.ratio),
      exceeds: r.exceeds === true, overflows: num(r.overflows) ?? 0, overflowKind: typeof r.overflowKind === 'string' ? r.overflowKind : null,
    };
    l.trace = trace;
  }
  const overflowed = Array.isArray(t.overflowed)
    ? (t.overflowed as Claimed<TraceReportLike['overflowed'][number]>[]).map((o) => ({ layer: String(o.layer ?? ''), count: num(o.count) ?? 0, kind: String(o.kind ?? '') }))
    : [];
  const first = t.firstUnexplained as Claimed<TraceLayerSummary> | undefined;
  return { samples: num(t.samples) ?? 0, firstUnexplained: typeof first?.layer === 'string' ? first.layer : null, overflowed };
}

function resources(r: unknown): ResourceFigures {
  const o = (r ?? {}) as Record<string, unknown>;
  return { dsp: num(o['dsp']), lut: num(o['lut']), ff: num(o['ff']), bram18k: num(o['bram18k'] ?? o['bram']), uram: num(o['uram']) };
}

/** The backend's estimate (the FPGA estimate contract, or anything with the same field names), normalized. */
export function normalizeEstimate(raw: unknown, layers?: LayerReport[]): EstimateReport | null {
  const e = raw as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object' || typeof e['total'] !== 'object' || e['total'] === null) return null;
  const total = e['total'] as Record<string, unknown>;
  const part = e['part'] as Record<string, unknown> | string | undefined;
  const rl = Array.isArray(e['layers']) ? (e['layers'] as Record<string, unknown>[]) : [];
  if (layers) {
    for (const r of rl) {
      const l = layers.find((x) => x.node === r['node']) ?? layers.find((x) => x.name === r['name']);
      if (!l) continue;
      const est: LayerEstimate = { latencyCycles: num(r['latencyCycles']), ii: num(r['ii']), reuseFactor: num(r['reuseFactor']), ...resources(r['resources']) };
      const named = namedCounts(r['resources']);
      if (Object.keys(named).length) est.resources = named;
      l.estimate = est;
    }
  }
  const fractions = total['fractions'] ?? e['utilization'];
  // The generic view: every named count of total.resources, with the capacity from total.available or the part.
  const used = namedCounts(total['resources']);
  const avail = { ...(typeof part === 'object' && part ? namedCounts(part) : {}), ...namedCounts(total['available']) };
  const frac = namedCounts(fractions);
  const named: NamedResource[] = Object.entries(used).map(([name, u]) => {
    const available = avail[name] ?? null;
    const fraction = frac[name] ?? (available ? u / available : null);
    return { name, used: u, available, fraction };
  });
  return {
    source: [e['backend'], 'estimate', typeof e['model'] === 'string' ? `model ${e['model']}` : ''].filter(Boolean).join(' '),
    part: typeof part === 'string' ? part : typeof part?.['name'] === 'string' ? part['name'] : null,
    partNumber: typeof e['partNumber'] === 'string' ? e['partNumber'] : null,
    clockPeriodNs: num(e['clockPeriod']),
    total: {
      latencyCycles: num(total['latencyCycles']), latencyNs: num(total['latencyNs']), ii: num(total['ii']), samplesPerSecond: num(total['throughput']),
      ...resources(total['resources']),
    },
    utilization: fractions ? resources(fractions) : null,
    fits: typeof total['fits'] === 'boolean' ? total['fits'] : null,
    notes: Array.isArray(e['assumptions']) ? (e['assumptions'] as unknown[]).map(String) : [],
    resources: named,
    bottleneck: typeof e['bottleneck'] === 'string' ? e['bottleneck'] : null,
  };
}

/** The finite non-negative numbers of an object, by key. */
function namedCounts(o: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!o || typeof o !== 'object') return out;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
  return out;
}

/** Runs the benchmark and returns its report (see BenchReport and docs/schema/bench-report.v1.json). */
export async function bench(options: BenchOptions): Promise<BenchReport> {
  const progress = options.progress ?? (() => {});
  const given = [options.model, options.projectDir, options.project].filter((x) => x !== undefined).length;
  if (given !== 1) throw new FirmflowError('bench.options', 'bench needs exactly one of: an ONNX model, a project folder, a converted project');
  const warnings: string[] = [];
  let convertMs: number | null = null, writeMs: number | null = null;
  let tmp: string | undefined;
  let dir: string;
  let hooks: Hooks;
  const modelPath = options.model ?? options.referenceModel;
  let project = options.project;
  try {
    if (options.model !== undefined) {
      const c = await timed(() => convert(options.model!, { ...options.convert, progress }));
      convertMs = c.ms;
      project = c.value;
      warnings.push(...project.warnings);
    }
    if (project) {
      if (options.outputDir) dir = resolve(options.outputDir);
      else {
        tmp = mkdtempSync(join(tmpdir(), 'firmflow-bench-'));
        dir = join(tmp, project.projectName);
      }
      if (options.model !== undefined || options.outputDir === undefined) {
        progress(`writing ${dir}`);
        const w = await timed(() => project!.write(dir, { force: options.force }));
        writeMs = w.ms;
      }
      hooks = hooksOfProject(project, dir);
      // A backend whose converted project has no host simulation may still compile and run the written project
      // (its openProject hooks, e.g. AIE's host functional model): take compile/predict/estimate from there.
      if ((!hooks.compile || !hooks.predict) && options.csim !== false) {
        try {
          const opened = await hooksOfDir(dir);
          if (opened.compile && opened.predict) { hooks.compile = opened.compile; hooks.predict = opened.predict; }
          hooks.estimate ??= opened.estimate;
        } catch {
          // Not reopenable: the C simulation is reported as skipped below.
        }
      }
    } else {
      dir = resolve(options.projectDir!);
      progress(`opening ${dir}`);
      hooks = await hooksOfDir(dir);
    }
    const graph = hooks.graph;
    if (!graph) throw new FirmflowError('bench.project', `backend '${hooks.backend}' does not expose the project's graph; bench needs it for the inputs and the report`);

    // The model as loaded (before any pass): ports in the model's layout, and the reference's graph.
    let modelBytes: Uint8Array | undefined;
    let modelGraph: Graph | undefined;
    if (modelPath) {
      try {
        modelBytes = readFileSync(modelPath);
      } catch (e) {
        throw new FirmflowError('bench.model', `model ${modelPath}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      modelGraph = (await frontend()).loadModel(modelBytes, { inputShapes: (hooks.options['inputShapes'] as Record<string, (number | string)[]> | undefined) });
    }
    const portGraph = modelGraph ?? graph;
    const firmwareInputs = portShapes(graph, 'inputs');
    const inputs = portShapes(portGraph, 'inputs').map((p) => {
      const fw = firmwareInputs.find((f) => f.name === p.name);
      const shape = p.shape.every(Number.isFinite) ? p.shape : (fw?.shape ?? p.shape);
      const t = graph.inputs.find((q) => q.name === p.name);
      return { ...p, shape, precision: fw?.precision ?? null, tensor: t ? graph.tensor(t.tensor) : undefined };
    });
    const outputs = portShapes(portGraph, 'outputs').map((p) => {
      const fw = portShapes(graph, 'outputs').find((f) => f.name === p.name);
      return { ...p, precision: fw?.precision ?? null, shape: p.shape.every(Number.isFinite) ? p.shape : (fw?.shape ?? p.shape) };
    });
    for (const p of inputs) if (!p.shape.every(Number.isFinite)) throw new FirmflowError('bench.input', `input '${p.name}' has a symbolic dimension besides the batch; fix it with --input-shape or a config's inputShapes`);

    // Inputs: given, or seeded random within each input's range.
    let feeds: NamedTensors;
    let samples: number;
    const ranges: BenchReport['settings']['ranges'] = [];
    const seed = options.seed ?? 1;
    if (options.inputs) {
      feeds = {};
      samples = sampleCount(options.inputs, inputs);
      for (const p of inputs) feeds[p.name] = { dtype: 'float32', shape: [samples, ...p.shape], data: Float32Array.from(options.inputs[p.name].data) };
    } else {
      samples = options.samples ?? 1000;
      if (!Number.isInteger(samples) || samples < 1) throw new FirmflowError('bench.options', `samples must be a positive integer, got ${samples}`);
      const withRange = inputs.map((p) => ({ name: p.name, shape: p.shape, range: p.tensor ? inputRange(p.tensor, options.range) : (options.range ?? [-1, 1]) as [number, number] }));
      for (const p of withRange) ranges.push({ input: p.name, min: p.range[0], max: p.range[1] });
      feeds = randomInputs(withRange, samples, seed);
    }

    // Float reference.
    let reference: BenchReport['reference'] = { executor: 'none', version: null, note: 'the reference was skipped (--reference none)' };
    let refOut: Record<string, Float64Array> | undefined;
    let refMs: number | null = null;
    if (options.reference !== 'none') {
      progress(`running the float reference on ${samples} samples`);
      const r = await referenceOutputs(modelBytes, modelGraph ?? graph, feeds, samples, options.reference ?? 'auto');
      if (options.reference === 'onnxruntime' && r.executor !== 'onnxruntime') throw new FirmflowError('bench.reference', r.note ?? 'onnxruntime is unavailable');
      reference = { executor: r.executor, version: r.version, note: r.note };
      if (r.note) warnings.push(r.note);
      refOut = r.outputs;
      refMs = r.ms;
    }

    // Host C simulation.
    let compile: BenchReport['timings']['compile'] = null;
    let csimOut: NamedTensors | undefined;
    let csimMs: number | null = null;
    if (options.csim !== false) {
      if (!hooks.compile || !hooks.predict) warnings.push(`backend '${hooks.backend}' has no host simulation (compile/predict): the C simulation was skipped`);
      else {
        progress('compiling the host simulation');
        const c = await timed(() => hooks.compile!());
        compile = { ms: c.value.cached ? 0 : (num(c.value.ms) ?? c.ms), cached: c.value.cached === true };
        progress(`C simulation of ${samples} samples`);
        const p = await timed(() => hooks.predict!(feeds, options.threads ? { threads: options.threads } : {}));
        csimOut = p.value;
        csimMs = p.ms;
      }
    }

    // Emulator and its per-layer trace.
    let emuOut: NamedTensors | undefined;
    let emuMs: number | null = null;
    const layers = layersOf(graph, hooks.kernelOf);
    let trace: BenchReport['trace'] = null;
    if (options.emulate !== false) {
      if (!hooks.emulate) warnings.push(`backend '${hooks.backend}' has no emulator: emulation was skipped`);
      else {
        progress(`emulating ${samples} samples`);
        const e = await timed(async () => hooks.emulate!(feeds));
        emuOut = e.value;
        emuMs = e.ms;
      }
      if (hooks.trace) {
        progress('tracing every layer against the float model');
        // The float model of the trace: the model after the shared passes (the tensors keep their names through
        // lowering), so a reopened project is traced against the model rather than its own quantized constants.
        let reference: Graph | undefined;
        if (modelBytes) {
          try {
            const [{ loadModel }, { ensureSharedFlows }, { runFlows }] = await Promise.all([frontend(), import('../registry/shared.js'), import('../pipeline/driver.js')]);
            reference = loadModel(modelBytes, { inputShapes: hooks.options['inputShapes'] as Record<string, (number | string)[]> | undefined });
            ensureSharedFlows();
            runFlows(reference, ['optimize']);
          } catch {
            reference = undefined;
          }
        }
        trace = applyTrace(await hooks.trace(feeds, reference ? { reference } : {}), layers);
      }
    }

    // Estimates.
    let estimates: EstimateReport | null = null;
    if (hooks.estimate) {
      progress('estimating latency and resources');
      try {
        estimates = normalizeEstimate(await hooks.estimate(), layers);
      } catch (e) {
        warnings.push(`the backend's estimate failed: ${(e as Error).message}`);
      }
    }

    // Accuracy.
    const classifierOutput = (name: string, tensor: string): boolean => {
      if (options.classifier) return true;
      const g = modelGraph ?? graph;
      const port = g.outputs.find((p) => p.name === name);
      const producer = port ? g.producer(port.tensor) : graph.producer(tensor);
      return producer !== undefined && ['Softmax', 'LogSoftmax'].includes(producer.op);
    };
    const acc: OutputAccuracy[] = outputs.map((p) => {
      const per = sizeOf(p.shape);
      const cls = per > 1 && classifierOutput(p.name, p.tensor);
      const ref = refOut?.[p.name];
      const cs = csimOut?.[p.name]?.data, em = emuOut?.[p.name]?.data;
      for (const [what, v] of [['C simulation', cs], ['emulator', em], ['reference', ref]] as const) {
        if (v && v.length !== per * samples) throw new FirmflowError('bench.output', `the ${what} returned ${v.length} values for output '${p.name}', expected ${per * samples}`);
      }
      return {
        name: p.name, shape: p.shape, classifier: cls,
        csim: ref && cs ? errorStats(cs, ref, samples, cls) : null,
        emulator: ref && em ? errorStats(em, ref, samples, cls) : null,
        bitExact: cs && em ? compareExact(em, cs) : null,
      };
    });
    const worst = (k: 'csim' | 'emulator'): number | null => (acc.some((a) => a[k]) ? Math.max(...acc.map((a) => a[k]?.maxAbsError ?? 0)) : null);
    const primary = (a: OutputAccuracy) => a.emulator ?? a.csim;
    const agreements = acc.map((a) => primary(a)?.argmaxAgreement).filter((v): v is number => typeof v === 'number');
    const means = acc.map((a) => primary(a)?.meanAbsError).filter((v): v is number => typeof v === 'number');
    const histSource = emuOut ? 'emulator' : 'csim';
    const histData = emuOut ?? csimOut;
    const histogram = refOut && histData
      ? errorHistogram(outputs.map((p) => ({ got: histData[p.name].data, ref: refOut![p.name] })), histSource)
      : null;
    const bitExact = acc.every((a) => a.bitExact) ? acc.every((a) => a.bitExact!.equal) : null;
    if (bitExact === false) warnings.push('the emulator and the C simulation disagree: the firmware and its emulation are not bit-exact');

    const thr = (ms: number | null): { ms: number; samplesPerSecond: number } | null => (ms === null ? null : { ms, samplesPerSecond: samples / Math.max(ms / 1000, 1e-9) });
    const opts: Record<string, string | number | boolean | null> = {};
    for (const k of hooks.summary) {
      const v = hooks.options[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') opts[k] = v;
    }
    if (opts['precision'] === undefined) {
      const d = hooks.defaultPrecision?.();
      if (d !== undefined) opts['precision'] = d;
    }
    const cpu = cpus();
    return {
      $schema: BENCH_SCHEMA_ID,
      schemaVersion: BENCH_SCHEMA_VERSION,
      tool: { name: 'firmflow', version: version() },
      createdAt: new Date().toISOString(),
      environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length },
      model: {
        path: modelPath ? resolve(modelPath) : null,
        projectDir: tmp ? null : dir,
        name: hooks.name,
        backend: hooks.backend,
        parameters: (modelGraph ?? graph).parameterCount(),
        inputs: inputs.map((p) => ({ name: p.name, shape: p.shape, precision: p.precision })),
        outputs: outputs.map((p) => ({ name: p.name, shape: p.shape, precision: p.precision })),
      },
      settings: { samples, seed: options.inputs ? null : seed, inputSource: options.inputs ? 'file' : 'random', ranges, options: opts },
      reference,
      accuracy: {
        outputs: acc,
        summary: {
          csimMaxAbsError: worst('csim'),
          emulatorMaxAbsError: worst('emulator'),
          meanAbsError: means.length ? means.reduce((a, b) => a + b, 0) / means.length : null,
          argmaxAgreement: agreements.length ? Math.min(...agreements) : null,
          bitExact,
        },
        histogram,
      },
      timings: { convertMs, writeMs, compile, csim: thr(csimMs), emulator: thr(emuMs), reference: thr(refMs) },
      layers,
      trace,
      estimates,
      warnings: [...new Set(warnings)],
    };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
