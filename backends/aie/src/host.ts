/*
 * Host run of a written AIE project (`firmflow predict <dir>`): inputs are quantized like the emulator does, written
 * as PLIO text files in the simulator layout, the host build (compile.ts) runs the graph for as many iterations as
 * the samples need, and the output PLIO files are read back as codes and real values.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { feedOf, type FeedInputs, FirmflowError } from 'firmflow';
import { quantizeInput, type AieEmuOutput } from './emulate.js';
import type { AieDataType } from './lowered.js';
import { plioText } from './writer/index.js';

export interface HostPort {
  name: string;
  tensor?: string;
  plio: string;
  file: string;
  dtype: AieDataType;
  frac: number;
  shape: number[];
  elementsPerIteration: number;
}

export interface HostManifest {
  projectName?: string;
  rowsPerIteration?: number;
  inputs: HostPort[];
  outputs: HostPort[];
}

export interface HostRunOptions {
  /** Inputs are integer codes already (as the PLIO files hold them), not real values. */
  codes?: boolean;
}

const WIDTH_BITS = 128;

/** Runs the host program on inputs; returns every output like the emulator does (codes and real values). */
export function runHost(program: string, manifest: HostManifest, inputs: FeedInputs, options: HostRunOptions = {}): Record<string, AieEmuOutput> {
  const only = manifest.inputs.length === 1;
  let samples = -1;
  const feeds = manifest.inputs.map((p) => {
    const f = feedOf(inputs, p.tensor ? [p.name, p.tensor] : [p.name], only);
    if (!f) throw new FirmflowError('project.predict', `no data for input '${p.name}'`, { input: p.name });
    const perSample = p.elementsPerIteration / (p.shape[0] || 1);
    const n = f.shape ? f.shape[0] : f.data.length / perSample;
    if (!Number.isInteger(n) || n * perSample !== f.data.length) throw new FirmflowError('project.predict', `input '${p.name}': ${f.data.length} values are not a whole number of samples of ${perSample}`, { input: p.name });
    if (samples >= 0 && samples !== n) throw new FirmflowError('project.predict', `inputs have different sample counts (${samples} and ${n})`, { input: p.name });
    samples = n;
    const codes = options.codes ? Array.from(f.data) : Array.from(quantizeInput(f.data, p.frac, p.dtype));
    return { p, codes, perSample };
  });
  // Samples per iteration are the input port's leading axis: aie.batch for a symbolic batch, the model's own for a
  // literal one (a batch-1 model runs one sample per iteration whatever aie.batch says).
  const rows = manifest.inputs[0]?.shape[0] || manifest.rowsPerIteration || 1;
  const iterations = Math.max(1, Math.ceil(samples / rows));
  const run = mkdtempSync(join(tmpdir(), 'ff-aie-run-'));
  try {
    for (const { p, codes } of feeds) {
      const padded = codes.concat(new Array(Math.max(0, iterations * p.elementsPerIteration - codes.length)).fill(0));
      const file = join(run, 'in', p.file);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, plioText(padded, p.dtype, WIDTH_BITS));
    }
    for (const p of manifest.outputs) mkdirSync(dirname(join(run, 'out', p.file)), { recursive: true });
    const r = spawnSync(program, [], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      env: { ...process.env, FIRMFLOW_AIE_INPUT_DIR: join(run, 'in'), FIRMFLOW_AIE_OUTPUT_DIR: join(run, 'out'), FIRMFLOW_AIE_ITERATIONS: String(iterations) },
    });
    if (r.error || r.status !== 0) throw new FirmflowError('project.predict', `the host simulation ${program} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').slice(0, 2000)}`);
    const result: Record<string, AieEmuOutput> = {};
    for (const p of manifest.outputs) {
      const text = readFileSync(join(run, 'out', p.file), 'utf8');
      const values = text.split('\n').filter((l) => l && !l.startsWith('T')).join(' ').trim().split(/\s+/).filter(Boolean).map(Number);
      const perSample = p.elementsPerIteration / (p.shape[0] || 1);
      const count = samples * perSample;
      if (values.length < count) throw new FirmflowError('project.predict', `output '${p.name}': the simulation wrote ${values.length} values, ${count} expected`);
      const codes = p.dtype === 'bf16' ? Float32Array.from(values.slice(0, count)) : Int32Array.from(values.slice(0, count));
      const sc = 2 ** -(p.dtype === 'bf16' ? 0 : p.frac);
      const data = Float64Array.from(codes, (c) => c * sc);
      result[p.name] = { shape: [samples, ...p.shape.slice(1)], dtype: 'float32', data, codes, frac: p.dtype === 'bf16' ? 0 : p.frac, type: p.dtype };
    }
    return result;
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
}
