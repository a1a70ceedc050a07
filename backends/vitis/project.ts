import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { feedData, FirmflowError, type Graph, type Project, sizeOf, type TraceResult } from 'firmflow';
import { compileProjectDir, type CompileOptions, type CompileResult } from './compile.js';
import { inversePerm, permuteSamples } from './layout.js';
import type { HlsPortLayout } from './lowered.js';
import { deserializeGraph, readWeightsFile, type GraphJson } from './writer/serialize.js';

/*
 * Host simulation of a written project: compile (cached g++ build) and predict (one process call per batch: the
 * inputs go to the batch predictor as one float32 file, the outputs come back as float64). Inputs and outputs use
 * the JSON layout of ../shared/models ({ name: { dtype, shape, data } }) in the model's own layout; ports whose
 * firmware layout differs (channels-last) are permuted here, as the emulator does.
 */

export interface Feed {
  shape?: number[];
  data: ArrayLike<number>;
  dtype?: string;
}
export type PredictInputs = Record<string, Feed | ArrayLike<number>> | ArrayLike<number>;
export interface PredictOutput {
  dtype: 'float64';
  shape: number[];
  data: Float64Array;
}
export type PredictOutputs = Record<string, PredictOutput>;

export interface PredictOptions extends CompileOptions {
  /** Threads of the predictor (default: all cores). */
  threads?: number;
}

interface PortJson { name: string; tensor: string; id: string; shape: number[]; size: number; precision: string }

export interface VitisManifest {
  firmflow: number;
  kind: string;
  backend: string;
  projectName: string;
  io: string;
  inputs: PortJson[];
  outputs: PortJson[];
  inputLayouts: HlsPortLayout[];
  outputLayouts: HlsPortLayout[];
  graph: GraphJson;
  [k: string]: unknown;
}

export function readManifest(dir: string): VitisManifest {
  const file = join(dir, 'firmflow.json');
  let j: VitisManifest;
  try {
    j = JSON.parse(readFileSync(file, 'utf8')) as VitisManifest;
  } catch (e) {
    throw new FirmflowError('vitis.project', `${file}: cannot read the project manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (j.kind !== 'vitis-hls-project' || !Array.isArray(j.inputs) || !Array.isArray(j.outputs)) {
    throw new FirmflowError('vitis.project', `${file} does not describe a firmflow Vitis/Vivado project`);
  }
  return j;
}



function isFeed(v: unknown): v is Feed {
  return typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) && !Array.isArray(v) && 'data' in v;
}

/** The batch predictor of a compiled project. */
export class HostSimulation {
  readonly dir: string;
  readonly manifest: VitisManifest;
  private built?: CompileResult;

  constructor(dir: string, manifest?: VitisManifest) {
    this.dir = resolve(dir);
    this.manifest = manifest ?? readManifest(this.dir);
  }

  get name(): string {
    return this.manifest.projectName;
  }

  async compile(opts: CompileOptions = {}): Promise<CompileResult> {
    this.built = await compileProjectDir(this.dir, this.name, opts);
    return this.built;
  }

  /** Samples in firmware layout, float32, one block per input. */
  private prepare(inputs: PredictInputs): { blocks: Float32Array[]; samples: number } {
    const m = this.manifest;
    const feeds: Record<string, Feed | ArrayLike<number>> = isFeed(inputs) || ArrayBuffer.isView(inputs) || Array.isArray(inputs)
      ? (() => {
        if (m.inputs.length !== 1) throw new FirmflowError('vitis.predict', `the model has ${m.inputs.length} inputs (${m.inputs.map((p) => p.name).join(', ')}); pass them by name`);
        return { [m.inputs[0].name]: inputs as Feed | ArrayLike<number> };
      })()
      : (inputs as Record<string, Feed | ArrayLike<number>>);
    const known = new Set(m.inputs.map((p) => p.name));
    for (const k of Object.keys(feeds)) if (!known.has(k)) throw new FirmflowError('vitis.predict', `unknown input '${k}' (the model's inputs: ${[...known].join(', ')})`);
    let samples = -1;
    const blocks = m.inputs.map((p) => {
      const f = feeds[p.name];
      if (f === undefined) throw new FirmflowError('vitis.predict', `missing value for input '${p.name}'`);
      const { data, shape } = feedData(f);
      const per = p.size;
      if (data.length === 0 || data.length % per !== 0) {
        throw new FirmflowError('vitis.predict', `input '${p.name}' has ${data.length} values, not a whole number of samples of ${per} values (shape [${p.shape.join(', ')}] per sample)`);
      }
      if (shape && shape.length > 1 && sizeOf(shape.slice(1)) !== per) {
        throw new FirmflowError('vitis.predict', `input '${p.name}' has shape [${shape.join(', ')}]; one sample must hold ${per} values`);
      }
      const n = data.length / per;
      if (samples >= 0 && n !== samples) throw new FirmflowError('vitis.predict', `inputs have different sample counts (${samples} and ${n} for '${p.name}')`);
      samples = n;
      const layout = (m.inputLayouts ?? []).find((l) => l.name === p.name);
      const out = new Float32Array(data.length);
      if (layout) permuteSamples(data, n, layout.modelShape.slice(1) as number[], layout.perm, out);
      else out.set(data);
      return out;
    });
    return { blocks, samples };
  }

  async predict(inputs: PredictInputs, opts: PredictOptions = {}): Promise<PredictOutputs> {
    const { blocks, samples } = this.prepare(inputs);
    const build = this.built && !opts.force ? this.built : await this.compile(opts);
    const tmp = mkdtempSync(join(tmpdir(), 'firmflow-predict-'));
    try {
      const inFile = join(tmp, 'in.f32'), outFile = join(tmp, 'out.f64');
      const total = blocks.reduce((a, b) => a + b.length, 0);
      const all = new Float32Array(total);
      let o = 0;
      for (const b of blocks) { all.set(b, o); o += b.length; }
      writeFileSync(inFile, new Uint8Array(all.buffer));
      await new Promise<void>((res, rej) => {
        const args = [join(this.dir, 'weights.bin'), inFile, outFile, String(samples), String(opts.threads ?? 0)];
        const p = spawn(build.program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        p.on('error', rej);
        p.on('close', (code, sig) => {
          if (code === 0) res();
          else rej(new FirmflowError('vitis.predict', `the host simulation of ${this.dir} failed (${sig ? `signal ${sig}` : `exit ${code}`}): ${err.trim().split('\n').slice(0, 10).join('\n')}`));
        });
      });
      const raw = readFileSync(outFile);
      const values = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
      const result: PredictOutputs = {};
      let off = 0;
      for (const p of this.manifest.outputs) {
        const n = samples * p.size;
        let data = Float64Array.from(values.subarray(off, off + n));
        off += n;
        let shape = [samples, ...p.shape];
        const layout = (this.manifest.outputLayouts ?? []).find((l) => l.name === p.name);
        if (layout) {
          const out = new Float64Array(n);
          permuteSamples(data, samples, p.shape, inversePerm(layout.perm), out);
          data = out;
          shape = [samples, ...(layout.modelShape.slice(1) as number[])];
        }
        result[p.name] = { dtype: 'float64', shape, data };
      }
      return result;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** The lowered graph of the project (for the emulator and trace). */
  graph(): Graph {
    const wfile = join(this.dir, 'weights.bin');
    if (!existsSync(wfile)) throw new FirmflowError('vitis.project', `${wfile} is missing`);
    return deserializeGraph(this.manifest.graph, readWeightsFile(readFileSync(wfile), wfile), join(this.dir, 'firmflow.json'));
  }
}

/** What `firmflow compile|predict <dir>` gets from the backend. */
export interface OpenedVitisProject {
  dir: string;
  name: string;
  backend: string;
  compile(opts?: CompileOptions): Promise<CompileResult>;
  predict(inputs: PredictInputs, opts?: PredictOptions): Promise<PredictOutputs>;
  emulate?(inputs: PredictInputs, opts?: Record<string, unknown>): Promise<PredictOutputs>;
  trace?(inputs: PredictInputs, opts?: Record<string, unknown>): Promise<TraceResult>;
  graph(): Graph;
}

/** Hooks of the emulator module, when it is built (engineer C's emulate/index.ts). */
async function emulatorModule(): Promise<Record<string, unknown> | undefined> {
  const spec = './emulate/index.js';
  try {
    return (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

/** Reopens a written project folder. */
export async function openVitisProject(dir: string): Promise<OpenedVitisProject> {
  const sim = new HostSimulation(dir);
  const emu = await emulatorModule();
  let lowered: Graph | undefined;
  const opened: OpenedVitisProject = {
    dir: sim.dir,
    name: sim.name,
    backend: sim.manifest.backend,
    compile: (o) => sim.compile(o),
    predict: (i, o) => sim.predict(i, o),
    graph: () => (lowered ??= sim.graph()),
  };
  const emulate = emu?.['emulate'] as ((g: Graph, i: unknown, o?: unknown) => Record<string, { shape: number[]; data: Float64Array }>) | undefined;
  if (emulate) {
    let g: Graph | undefined;
    opened.emulate = async (inputs, o) => {
      g ??= sim.graph();
      const r = emulate(g, inputs, o);
      return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { dtype: 'float64' as const, shape: v.shape, data: v.data }]));
    };
  }
  const trace = emu?.['trace'] as ((g: Graph, i: unknown, o?: unknown) => unknown) | undefined;
  const formatTrace = emu?.['formatTrace'] as ((r: never) => string) | undefined;
  if (trace) {
    let g: Graph | undefined;
    opened.trace = async (inputs, o) => {
      g ??= sim.graph();
      const report = trace(g, inputs, o) as TraceResult;
      // `text` is the table `firmflow predict --trace` prints (as the AIE backend's report carries one).
      return formatTrace ? { ...report, text: formatTrace(report as never) } : report;
    };
  }
  return opened;
}

/**
 * Adds compile() and predict() to the project `convert` returns. They work on the folder the project was last
 * written to (write() first, or compile(dir) writes it there).
 */
export function extendProject(project: Project): void {
  let written: string | undefined;
  let sim: HostSimulation | undefined;
  const write = project.write;
  project.write = async (dir, o) => {
    const r = await write(dir, o);
    written = r.dir;
    sim = undefined;
    return r;
  };
  const simulation = async (dir?: string): Promise<HostSimulation> => {
    if (dir && resolve(dir) !== written) {
      if (!existsSync(join(dir, 'firmflow.json'))) await project.write(dir);
      else written = resolve(dir);
      sim = undefined;
    }
    if (!written) {
      if (!project.options.outputDir) throw new FirmflowError('vitis.compile', 'the project is not written yet: call project.write(dir) (or compile(dir)) first');
      await project.write(project.options.outputDir);
    }
    sim ??= new HostSimulation(written!);
    return sim;
  };
  project.compile = async (a, b) => (typeof a === 'string' ? (await simulation(a)).compile(b) : (await simulation()).compile(a));
  project.predict = async (inputs, opts) => (await simulation()).predict(inputs, opts);
  project['hostSimulation'] = simulation;
}

export const attachHostSimulation = extendProject;
