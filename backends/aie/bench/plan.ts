/**
 * Planning benchmark of the AIE backend: time of tiling + placement + memory-tile planning (the aie:tile,
 * aie:place and aie:memory flows, performance model included) on models that fill most of a device. Legalization
 * (quantizing the weights) is timed apart. Prints a table and rewrites its marked section of docs/BENCHMARKS.md.
 *
 *   npx tsc -p backends/aie/bench/tsconfig.json && node backends/aie/dist-bench/bench/plan.js [--no-write]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { ensureBuiltinIROps, ensureSharedFlows, getFlow, Graph, registerFlow, registerPass, runFlows, type FixedType } from 'firmflow';
import type { AieGraphMeta } from '../src/lowered.js';
import { registerAiePasses } from '../src/passes/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from backends/aie/dist-bench/bench/). */
const ROOT = resolve(HERE, '..', '..', '..', '..');
const DOC = join(ROOT, 'docs', 'BENCHMARKS.md');
const BEGIN = '<!-- bench:aie-planning:begin (written by backends/aie/bench/plan.ts; edits inside are overwritten) -->';
const END = '<!-- bench:aie-planning:end -->';
const RUNS = 7;
const TARGET_MS = 2000;

const fx = (width: number, frac: number): FixedType => ({ signed: true, width, integer: width - frac, rounding: 'RND_CONV', overflow: 'SAT' });

/** An int8 MLP in optimized-IR form (Dense + bias + ReLU, power-of-two scales), `rows` samples per iteration. */
function mlp(sizes: number[], rows: number): Graph {
  const g = new Graph('bench');
  g.addTensor({ name: 'x', shape: [rows, sizes[0]], precision: fx(8, 4) });
  g.inputs = [{ name: 'x', tensor: 'x' }];
  let cur = 'x';
  let s = 12345;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const K = sizes[i], N = sizes[i + 1];
    const w = new Float32Array(K * N);
    for (let j = 0; j < w.length; j++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; w[j] = ((s % 128) - 64) / 64; }
    g.addTensor({ name: `w${i}`, shape: [K, N], data: w, precision: fx(8, 6) });
    g.addTensor({ name: `b${i}`, shape: [N], data: new Float32Array(N).fill(0.5), precision: fx(32, 10) });
    const last = i + 2 === sizes.length;
    g.addTensor({ name: `h${i}`, shape: [rows, N], precision: last ? fx(8, 4) : undefined });
    g.addNode({ name: `fc${i}`, op: 'Dense', inputs: [cur, `w${i}`, `b${i}`], outputs: [`h${i}`] });
    cur = `h${i}`;
    if (!last) {
      g.addTensor({ name: `r${i}`, shape: [rows, N], precision: fx(8, 4) });
      g.addNode({ name: `relu${i}`, op: 'Relu', inputs: [cur], outputs: [`r${i}`] });
      cur = `r${i}`;
    }
  }
  g.outputs = [{ name: 'y', tensor: cur }];
  return g;
}

interface Case { name: string; device: string; sizes: number[]; rows: number; options?: Record<string, unknown> }

const CASES: Case[] = [
  { name: 'MLP 4 x 1024x1024, batch 8', device: 'AIE-ML', sizes: [1024, 1024, 1024, 1024, 1024], rows: 8 },
  { name: 'MLP 128-1024-1024-1024-128, batch 64 (compute-bound: the throughput objective fills the array)', device: 'AIE-ML', sizes: [128, 1024, 1024, 1024, 128], rows: 64 },
  { name: 'MLP 5 x 1024x1024, batch 8 (largest weights streamed from memory tiles)', device: 'AIE-ML', sizes: [1024, 1024, 1024, 1024, 1024, 1024], rows: 8 },
  { name: 'Dense 4096x4096, batch 8 (16 MiB of weights streamed)', device: 'AIE-ML', sizes: [4096, 4096], rows: 8 },
  { name: 'MLP 2 x 1024x1024, batch 8', device: 'AIE-MLv2', sizes: [1024, 1024, 1024], rows: 8 },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function main(): void {
  const write = !process.argv.includes('--no-write');
  ensureBuiltinIROps();
  ensureSharedFlows();
  if (!getFlow('aie:legalize')) registerAiePasses({ registerFlow, registerPass });
  const rows: string[] = [];
  const details: string[] = [];
  for (const c of CASES) {
    const plan: number[] = [], legal: number[] = [];
    const parts: Record<string, number[]> = { tiling: [], placement: [], memory: [] };
    let meta: AieGraphMeta | undefined;
    for (let r = 0; r < RUNS; r++) {
      const g = mlp(c.sizes, c.rows);
      runFlows(g, ['aie:memory'], { backend: 'AIE', options: { device: c.device, ...(c.options ?? {}) } });
      meta = g.meta['aie'] as AieGraphMeta;
      const t = meta.planningMs!;
      for (const k of Object.keys(parts)) parts[k].push(t[k] ?? 0);
      plan.push((t['tiling'] ?? 0) + (t['placement'] ?? 0) + (t['memory'] ?? 0));
      legal.push(t['legalize'] ?? 0);
    }
    const p = meta!.perf!;
    const params = c.sizes.slice(1).reduce((a, n, i) => a + n * c.sizes[i], 0);
    rows.push(`| ${c.name} | ${c.device} | ${(params / 1e6).toFixed(2)} M | ${p.tilesUsed} / ${p.tilesAvailable} | **${ms(median(plan))} ms** | ${ms(median(parts.tiling))} / ${ms(median(parts.placement))} / ${ms(median(parts.memory))} | ${ms(median(legal))} ms | ${(p.throughput.samplesPerSecond / 1e6).toPrecision(3)} M/s, ${p.intervalCycles} cyc (${p.bottleneck}) | ${(p.latency.ns / 1000).toPrecision(3)} µs |`);
    details.push(`- ${c.name} on ${c.device}: planning runs ${plan.map(ms).join(', ')} ms`);
    console.log(`${c.name} [${c.device}]: ${p.tilesUsed} tiles, planning ${ms(median(plan))} ms (tiling ${ms(median(parts.tiling))}, placement ${ms(median(parts.placement))}, memory ${ms(median(parts.memory))}), legalize ${ms(median(legal))} ms`);
  }
  let commit = 'unknown';
  try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim(); } catch { /* not a checkout */ }
  const body = [
    BEGIN,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} logical core(s), Node ${process.version}, commit ${commit} (plus uncommitted changes, if any).`,
    '',
    `Planning = flows aie:tile + aie:place + aie:memory (tiling search over every microtile / cascade grid, Pareto selection,`,
    `placement, bank assignment, memory-tile buffers with DMA access patterns, performance model), timed inside the passes;`,
    `median of ${RUNS} runs in one process, each on a fresh graph. Target: under ${TARGET_MS / 1000} s for a model filling at least 250 tiles.`,
    'Legalization (checks and quantizing the weights, linear in the parameter count) is listed apart. Throughput and latency are',
    "the analytic model's estimates for the plan found (default objective 'throughput').",
    '',
    '| model | device | parameters | tiles used | planning (median) | tiling / placement / memory | legalize | est. throughput | est. latency |',
    '|---|---|---:|---:|---:|---|---:|---|---:|',
    ...rows,
    '',
    ...details,
    '',
    END,
  ].join('\n');
  console.log(body);
  if (!write) return;
  const doc = readFileSync(DOC, 'utf8');
  const i = doc.indexOf(BEGIN), j = doc.indexOf(END);
  const next = i >= 0 && j > i
    ? doc.slice(0, i) + body + doc.slice(j + END.length)
    : `${doc.trimEnd()}\n\n## AIE backend: planning\n\n${body}\n`;
  writeFileSync(DOC, next);
  console.log(`updated ${DOC}`);
}

main();
