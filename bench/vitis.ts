/**
 * Benchmarks of the Vitis backend (issue 4): convert+write time, host compile time, and predict throughput of the
 * C simulation and of the TypeScript emulator, for the jet-tagger MLP, a 1.1M-parameter MLP and the 256x256 U-Net.
 * Prints a table and rewrites the marked issue-4 section of docs/BENCHMARKS.md (npm run bench runs it after
 * bench/run.ts).
 *
 *   node dist/bench/vitis.js             full run, updates docs/BENCHMARKS.md
 *   node dist/bench/vitis.js --no-write  print only
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { convert } from '../src/api.js';
import { BIG_MLP_WIDTHS, mlp, unet, uniform } from './vitis-models.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const DOC = join(ROOT, 'docs', 'BENCHMARKS.md');
const SHARED = resolve(ROOT, '..', 'shared', 'models');
const BEGIN = '<!-- bench:vitis:begin (written by npm run bench: bench/vitis.ts; edits inside are overwritten) -->';
const END = '<!-- bench:vitis:end -->';
const SAMPLES = 10_000;

interface Outputs { [k: string]: { data: Float64Array } }
interface BenchProject {
  write(dir: string, o?: { force?: boolean }): Promise<unknown>;
  compile(): Promise<unknown>;
  predict(x: unknown): Promise<Outputs>;
  emulate(x: unknown): Outputs;
  graph: { parameterCount(): number };
}

interface Row {
  model: string;
  params: number;
  convertMs?: number;
  compileMs?: number;
  simRate?: number;
  emuRate?: number;
  simSamples?: number;
  emuSamples?: number;
  bitExact?: boolean;
  note?: string;
}

const ms = (t0: number): number => performance.now() - t0;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function measure(name: string, model: string | Uint8Array, options: Record<string, unknown>, perSample: number, samples: number, emuSamples = samples, runs = 3): Promise<Row> {
  const row: Row = { model: name, params: 0 };
  const dir = join(mkdtempSync(join(tmpdir(), 'firmflow-bench-vitis-')), 'prj');
  try {
    let t0 = performance.now();
    const p = (await convert(model, { backend: 'Vitis', ...options })) as unknown as BenchProject;
    await p.write(dir, { force: true });
    row.convertMs = ms(t0);
    row.params = p.graph.parameterCount();
    t0 = performance.now();
    await p.compile();
    row.compileMs = ms(t0);
    const x = uniform(samples * perSample, 4242, 2);
    await p.predict(x.subarray(0, perSample)); // first call: process start-up and page cache
    let sim: Outputs | undefined;
    const simTimes: number[] = [];
    for (let r = 0; r < runs; r++) { t0 = performance.now(); sim = await p.predict(x); simTimes.push(ms(t0)); }
    row.simRate = samples / (median(simTimes) / 1000);
    row.simSamples = samples;
    const xe = x.subarray(0, emuSamples * perSample);
    p.emulate(x.subarray(0, perSample)); // compiles the emulator (weights arranged once)
    let emu: Outputs | undefined;
    const emuTimes: number[] = [];
    for (let r = 0; r < runs; r++) { t0 = performance.now(); emu = p.emulate(xe); emuTimes.push(ms(t0)); }
    row.emuRate = emuSamples / (median(emuTimes) / 1000);
    row.emuSamples = emuSamples;
    if (!sim || !emu) throw new Error('no runs');
    row.bitExact = Object.keys(emu).every((k) => emu![k].data.every((v, i) => v === sim![k].data[i]));
  } catch (e) {
    row.note = `failed: ${(e as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
  return row;
}

async function parallelUnet(bytes: Uint8Array): Promise<string> {
  const t0 = performance.now();
  try {
    await convert(bytes, { backend: 'Vitis', io: 'parallel' });
    return 'io_parallel: accepted (unexpected)';
  } catch (e) {
    return `io_parallel: refused before writing after ${fmtMs(ms(t0))} (${(e as Error).message.split('\n')[0].slice(0, 120)} ...)`;
  }
}

function fmtMs(v: number | undefined): string {
  if (v === undefined) return '—';
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`;
}

function fmtRate(v: number | undefined): string {
  if (v === undefined) return '—';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
}

function cpuModel(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} logical core(s)`;
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function gxx(): string {
  try {
    return execFileSync(process.env['CXX'] ?? 'g++', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return 'g++ not found';
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jetPath = existsSync(join(SHARED, 'jet_tagger_mlp.onnx')) ? join(SHARED, 'jet_tagger_mlp.onnx') : join(ROOT, 'models', 'jet_tagger.onnx');
  const big = mlp(BIG_MLP_WIDTHS);
  const net = unet();
  const rows: Row[] = [];
  console.error('[bench:vitis] jet tagger ...');
  rows.push(await measure('jet tagger MLP 16-64-32-32-5', jetPath, {}, 16, SAMPLES));
  console.error('[bench:vitis] 1.1M-parameter MLP ...');
  rows.push(await measure(`MLP ${BIG_MLP_WIDTHS.join('-')} (resource, reuse 1024)`, big.bytes, { strategy: 'resource', reuseFactor: 1024 }, BIG_MLP_WIDTHS[0], SAMPLES, 2000));
  console.error('[bench:vitis] U-Net io_stream ...');
  rows.push(await measure(`U-Net 256x256x3, ${net.convs} convolutions (io_stream)`, net.bytes, { io: 'stream' }, 3 * 256 * 256, 4, 4, 1));
  const refused = await parallelUnet(net.bytes);

  const table = [
    '| model | parameters | convert + write | compile (g++) | C simulation | emulator | C sim == emulator |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.model} | ${r.params.toLocaleString('en-US')} | ${fmtMs(r.convertMs)} | ${fmtMs(r.compileMs)} | ${r.simRate !== undefined ? `${fmtRate(r.simRate)} samples/s (${r.simSamples})` : '—'} | ${r.emuRate !== undefined ? `${fmtRate(r.emuRate)} samples/s (${r.emuSamples})` : '—'} | ${r.bitExact === undefined ? (r.note ?? '—') : r.bitExact ? 'bit-exact' : 'DIFFERENT'} |`),
  ];
  const jet = rows[0], mid = rows[1], u = rows[2];
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');
  const section = [
    BEGIN,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpuModel()}, Node ${process.version}, ${gxx()}, commit ${commit()} (plus uncommitted changes, if any).`,
    '',
    `Default settings (fixed<16,6>, io_parallel, latency) unless stated. Throughput: one predict / emulate call on a batch (in parentheses: its size) after a warm-up call, median of 3 (U-Net: 1); the compile column is a clean build (the build cache of a written project skips g++ when nothing changed).`,
    '',
    ...table,
    '',
    `U-Net ${refused}.`,
    '',
    '| target (issue 4) | hls4ml, measured on this machine | firmflow | |',
    '|---|---|---|---|',
    `| compile < 4 s, whatever the size | 5-7 s for the smallest model; runs out of memory on large weight arrays | ${fmtMs(jet.compileMs)} (jet tagger), ${fmtMs(mid.compileMs)} (1.1M parameters) | ${verdict(jet.compileMs !== undefined && mid.compileMs !== undefined ? jet.compileMs < 4000 && mid.compileMs < 4000 : undefined)} |`,
    `| C simulation >= 100,000 samples/s (jet tagger) | about 10,000 samples/s (3-layer MLP) | ${fmtRate(jet.simRate)} samples/s | ${verdict(jet.simRate === undefined ? undefined : jet.simRate >= 100_000)} |`,
    `| emulator >= 20,000 samples/s (jet tagger) | — (no bit-accurate emulator) | ${fmtRate(jet.emuRate)} samples/s | ${verdict(jet.emuRate === undefined ? undefined : jet.emuRate >= 20_000)} |`,
    `| U-Net converts in io_stream < 10 s | minutes in io_parallel, 3-4 GB written, then fails to compile | ${fmtMs(u.convertMs)} (convert + write) | ${verdict(u.convertMs === undefined ? undefined : u.convertMs < 10_000)} |`,
    `| U-Net simulates >= 1 sample/s (io_stream) | 0.06 samples/s | ${fmtRate(u.simRate)} samples/s (C sim), ${fmtRate(u.emuRate)} samples/s (emulator) | ${verdict(u.simRate === undefined ? undefined : u.simRate >= 1)} |`,
    ...(u.note ? ['', `U-Net: ${u.note}`] : []),
    '',
    END,
  ].join('\n');
  console.log(section.replace(BEGIN, '').replace(END, ''));
  if (!args.includes('--no-write')) {
    const old = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
    const a = old.indexOf(BEGIN.slice(0, 24)), b = old.indexOf(END);
    const heading = '## Vitis backend (issue 4)\n\n';
    const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : `${old.trimEnd()}\n\n${heading}${section}\n`;
    writeFileSync(DOC, next);
    console.error(`[bench:vitis] updated ${DOC}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
