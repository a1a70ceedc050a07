import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FirmflowError, type Graph, sizeOf } from 'firmflow';
import type { Port } from './model.js';

/*
 * Test vectors for the C-simulation testbench (<name>_test.cpp). Option `testbench`: a JSON file, or the object
 * itself, in the layout of ../shared/models ({"<input>": {"dtype", "shape", "data"}}, samples along the first axis,
 * the model's own layout). The writer puts the inputs into tb_data/tb_input_features.dat and the emulator's outputs
 * into tb_data/tb_output_predictions.dat: one sample per line, every port's values in turn, in the firmware's layout
 * (channels-last ports permuted), each number the shortest decimal that reads back as the same double. The testbench
 * compares the C simulation with the expected values bit for bit and writes tb_data/csim_results.log.
 */

export interface TestbenchFiles {
  inputs: string;
  outputs: string;
  samples: number;
}

type JsonFeed = { dtype?: string; shape?: number[]; data: ArrayLike<number> };

interface Layout { name: string; perm: number[]; modelShape: (number | string)[] }

interface EmulatorModule {
  emulate(graph: Graph, inputs: Record<string, JsonFeed>): Record<string, { codes: Float64Array; type: { width: number; integer: number } }>;
  permuteSamples(data: ArrayLike<number>, samples: number, shape: number[], perm: number[]): Float64Array;
}

function isFeed(v: unknown): v is JsonFeed {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const d = (v as { data?: unknown }).data;
  return Array.isArray(d) || ArrayBuffer.isView(d);
}

/** The inputs of option `testbench` (a file name, or the inputs themselves), checked against the model's ports. */
export function readTestbenchInputs(option: unknown, ports: readonly Port[]): { feeds: Record<string, JsonFeed>; samples: number; source: string } {
  let raw: unknown = option, source = "option 'testbench'";
  if (typeof option === 'string') {
    const file = resolve(option);
    source = `testbench file ${file}`;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new FirmflowError('vitis.testbench', `${source}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new FirmflowError('vitis.testbench', `${source}: not JSON (${(e as Error).message})`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FirmflowError('vitis.testbench', `${source}: expected {"<input>": {"dtype", "shape", "data"}, ...} (the layout of the shared models' inputs files)`);
  }
  const obj = raw as Record<string, unknown>;
  const known = new Set(ports.map((p) => p.name));
  for (const k of Object.keys(obj)) {
    if (!known.has(k)) throw new FirmflowError('vitis.testbench', `${source}: unknown input '${k}' (the model's inputs: ${[...known].join(', ')})`);
  }
  let samples = -1;
  const feeds: Record<string, JsonFeed> = {};
  for (const p of ports) {
    const f = obj[p.name];
    if (!isFeed(f)) throw new FirmflowError('vitis.testbench', `${source}: input '${p.name}' is missing or has no "data" array`);
    const data = f.data;
    for (let i = 0; i < data.length; i++) {
      if (typeof data[i] !== 'number' || !Number.isFinite(data[i])) throw new FirmflowError('vitis.testbench', `${source}: input '${p.name}' value ${i} is not a finite number`);
    }
    if (data.length === 0 || data.length % p.size !== 0) {
      throw new FirmflowError('vitis.testbench', `${source}: input '${p.name}' has ${data.length} values, not a whole number of samples of ${p.size}`);
    }
    if (f.shape && f.shape.length > 1 && sizeOf(f.shape.slice(1)) !== p.size) {
      throw new FirmflowError('vitis.testbench', `${source}: input '${p.name}' has shape [${f.shape.join(', ')}]; one sample holds ${p.size} values`);
    }
    const n = data.length / p.size;
    if (samples >= 0 && n !== samples) throw new FirmflowError('vitis.testbench', `${source}: inputs have different sample counts (${samples} and ${n} for '${p.name}')`);
    samples = n;
    feeds[p.name] = { dtype: 'float32', shape: f.shape, data: Float32Array.from(data) };
  }
  return { feeds, samples, source };
}

/** Shortest decimal that reads back (strtod / operator>>) as the same double. */
const num = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));

function lines(blocks: ArrayLike<number>[], sizes: number[], samples: number): string {
  const out: string[] = [];
  for (let s = 0; s < samples; s++) {
    const row: string[] = [];
    blocks.forEach((b, i) => {
      for (let k = 0; k < sizes[i]; k++) row.push(num(b[s * sizes[i] + k]));
    });
    out.push(row.join(' '));
  }
  return `${out.join('\n')}\n`;
}

/** The two .dat files for `option`, expected outputs from the emulator of the lowered graph. */
export async function testbenchFiles(graph: Graph, option: unknown, inputs: readonly Port[], outputs: readonly Port[], layouts: { inputs: Layout[] }): Promise<TestbenchFiles> {
  const { feeds, samples, source } = readTestbenchInputs(option, inputs);
  const emu = (await import('../emulate/index.js')) as unknown as EmulatorModule;
  let result: ReturnType<EmulatorModule['emulate']>;
  try {
    result = emu.emulate(graph, feeds);
  } catch (e) {
    throw new FirmflowError('vitis.testbench', `${source}: the emulator could not run these inputs: ${(e as Error).message}`);
  }
  // Inputs as the testbench feeds them: float32 values in the firmware's layout.
  const inBlocks = inputs.map((p) => {
    const data = feeds[p.name].data;
    const l = layouts.inputs.find((x) => x.name === p.name);
    return l ? emu.permuteSamples(data, samples, l.modelShape.slice(1) as number[], l.perm) : data;
  });
  // Outputs: the result codes are already in the firmware's layout.
  const outBlocks = outputs.map((p) => {
    const r = result[p.name];
    if (!r) throw new FirmflowError('vitis.testbench', `the emulator gave no output '${p.name}'`);
    const step = 2 ** -(r.type.width - r.type.integer);
    return Float64Array.from(r.codes, (c) => c * step);
  });
  return {
    inputs: lines(inBlocks, inputs.map((p) => p.size), samples),
    outputs: lines(outBlocks, outputs.map((p) => p.size), samples),
    samples,
  };
}
