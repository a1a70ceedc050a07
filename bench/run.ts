/**
 * `npm run bench`: how fast the front half of firmflow is on a large model. Builds a synthetic MLP of about 12.6
 * million parameters as ONNX bytes, then measures loadModel + the `optimize` flow in fresh child processes (wall
 * time, median of several runs; peak resident memory of each child from process.resourceUsage().maxRSS), and
 * times the shared reference models too. Prints a table and rewrites the marked section of docs/BENCHMARKS.md.
 *
 *   node dist/bench/run.js            full run, updates docs/BENCHMARKS.md
 *   node dist/bench/run.js --no-write print only
 *   node dist/bench/run.js --child <model.onnx>   (internal) one measured run, prints JSON
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ensureSharedPasses } from '../passes/index.js';
import { ModelBuilder } from '../src/onnx/builder.js';
import { uniformFloat32 } from '../src/util/random.js';
import { loadModel } from '../src/onnx/frontend.js';
import { runFlows } from '../src/pipeline/driver.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/bench/). */
const ROOT = resolve(HERE, '..', '..');
const DOC = join(ROOT, 'docs', 'BENCHMARKS.md');
const SHARED = resolve(ROOT, '..', 'shared', 'models');
const BEGIN = '<!-- bench:load-optimize:begin (written by npm run bench; edits inside are overwritten) -->';
const END = '<!-- bench:load-optimize:end -->';
const RUNS = 5;
const TARGET_MS = 2000;
const TARGET_BYTES = 1024 ** 3;

interface ChildResult { loadMs: number; optimizeMs: number; totalMs: number; maxRssBytes: number; params: number; nodes: string[] }

/** Deterministic weights: the values do not matter, only their volume. */
const weights = uniformFloat32;

/**
 * A synthetic MLP in the shapes exporters write: PyTorch-style Gemm(transB=1) layers (the weight must be
 * transposed), Keras-style MatMul + Add layers, and a BatchNormalization to fold.
 */
export function syntheticMlp(): { bytes: Uint8Array; params: number } {
  const widths = [1024, 2048, 2048, 2048, 1024, 10];
  const m = new ModelBuilder({ opsets: { '': 13 }, producer: 'firmflow bench' });
  m.input('x', 'float32', ['N', widths[0]]);
  let prev = 'x';
  let params = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const [K, N] = [widths[l], widths[l + 1]];
    const s = 1 / Math.sqrt(K);
    const out = `h${l}`;
    if (l % 2 === 0) {
      m.initializer(`W${l}`, weights(N * K, 17 + l, s), [N, K]);
      m.initializer(`b${l}`, weights(N, 91 + l, 0.1), [N]);
      m.node('Gemm', [prev, `W${l}`, `b${l}`], [out], { transB: 1 }, { name: `fc${l}` });
    } else {
      m.initializer(`W${l}`, weights(K * N, 17 + l, s), [K, N]);
      m.initializer(`b${l}`, weights(N, 91 + l, 0.1), [N]);
      m.node('MatMul', [prev, `W${l}`], [`${out}_mm`], {}, { name: `mm${l}` });
      m.node('Add', [`${out}_mm`, `b${l}`], [out], {}, { name: `bias${l}` });
    }
    params += N * K + N;
    prev = out;
    if (l === 0) {
      for (const [k, v] of [['gamma', 1], ['beta', 0], ['mean', 0], ['var', 1]] as const) {
        const d = weights(N, 7 + k.length, 0.1).map((x) => x + v);
        if (k === 'var') d.forEach((x, i) => { d[i] = Math.abs(x) + 0.5; });
        m.initializer(`bn_${k}`, d, [N]);
        params += N;
      }
      m.node('BatchNormalization', [prev, 'bn_gamma', 'bn_beta', 'bn_mean', 'bn_var'], ['bn0'], { epsilon: 1e-5 }, { name: 'bn0' });
      prev = 'bn0';
    }
    if (l + 2 < widths.length) {
      m.node('Relu', [prev], [`r${l}`], {}, { name: `relu${l}` });
      prev = `r${l}`;
    }
  }
  m.node('Softmax', [prev], ['y'], { axis: 1 }, { name: 'softmax' });
  m.output('y', 'float32', ['N', widths[widths.length - 1]]);
  return { bytes: m.toBytes(), params };
}

/** One measured run: load + optimize of a model file, in this (fresh) process. */
function child(path: string): void {
  ensureSharedPasses();
  const t0 = performance.now();
  const g = loadModel(path);
  const t1 = performance.now();
  runFlows(g, ['optimize']);
  const t2 = performance.now();
  const r: ChildResult = {
    loadMs: t1 - t0,
    optimizeMs: t2 - t1,
    totalMs: t2 - t0,
    // maxRSS is in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    params: g.parameterCount(),
    nodes: g.topoOrder().map((n) => n.op),
  };
  process.stdout.write(JSON.stringify(r));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runChild(path: string): ChildResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`benchmark child failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as ChildResult;
}

function cpuModel(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} logical core(s)`;
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function sharedModels(): { name: string; params: number; ms: number }[] {
  const manifestPath = join(SHARED, 'manifest.json');
  if (!existsSync(manifestPath)) return [];
  ensureSharedPasses();
  const models = JSON.parse(readFileSync(manifestPath, 'utf8')).models as { name: string; onnx: string }[];
  return models.map((m) => {
    const path = join(SHARED, m.onnx);
    const times: number[] = [];
    let params = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const g = loadModel(path);
      runFlows(g, ['optimize']);
      times.push(performance.now() - t0);
      params = g.parameterCount();
    }
    // The first run pays for module compilation and warm-up; the median ignores it.
    return { name: m.name, params, ms: median(times) };
  });
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') { child(args[1]); return; }
  const write = !args.includes('--no-write');

  const tb = performance.now();
  const { bytes, params } = syntheticMlp();
  const buildMs = performance.now() - tb;
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-bench-'));
  const modelPath = join(dir, 'synthetic_mlp.onnx');
  writeFileSync(modelPath, bytes);
  let runs: ChildResult[];
  try {
    runs = Array.from({ length: RUNS }, () => runChild(modelPath));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const load = median(runs.map((r) => r.loadMs));
  const opt = median(runs.map((r) => r.optimizeMs));
  const total = median(runs.map((r) => r.totalMs));
  const peak = Math.max(...runs.map((r) => r.maxRssBytes));
  const shared = sharedModels();

  const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MiB`;
  const ok = total < TARGET_MS && peak < TARGET_BYTES;
  const date = new Date().toISOString().slice(0, 10);
  let gitRev = '';
  try { gitRev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  const lines = [
    BEGIN,
    '',
    `Measured ${date} on ${cpuModel()}, Node ${process.version}${gitRev ? `, commit ${gitRev} (plus uncommitted changes, if any)` : ''}.`,
    '',
    `### loadModel + \`optimize\` on a synthetic MLP (${(params / 1e6).toFixed(2)} M parameters, ${mb(bytes.length)} of ONNX)`,
    '',
    `Layers 1024-2048-2048-2048-1024-10: two Gemm(transB=1) layers whose weights get transposed, two MatMul+Add`,
    `layers, one BatchNormalization folded into its Gemm, ReLU, Softmax. Each run is a fresh Node process reading the`,
    `.onnx file; ${RUNS} runs, median time, highest peak RSS (whole process, Node runtime included).`,
    '',
    '| step | median | runs |',
    '|---|---:|---|',
    `| loadModel (read, decode, lower to IR) | ${fmtMs(load)} ms | ${runs.map((r) => fmtMs(r.loadMs)).join(', ')} |`,
    `| optimize flow | ${fmtMs(opt)} ms | ${runs.map((r) => fmtMs(r.optimizeMs)).join(', ')} |`,
    `| **total** | **${fmtMs(total)} ms** | ${runs.map((r) => fmtMs(r.totalMs)).join(', ')} |`,
    `| peak RSS | **${mb(peak)}** | ${runs.map((r) => mb(r.maxRssBytes)).join(', ')} |`,
    '',
    `Target: under ${TARGET_MS / 1000} s and under 1 GiB: **${ok ? 'met' : 'missed'}**. After optimize the graph is \`${runs[0].nodes.join(' ')}\``,
    `(${runs[0].params.toLocaleString('en-US')} parameters).`,
    '',
    ...(shared.length
      ? [
          '### loadModel + `optimize` on the shared reference models (in-process, median of 7 runs)',
          '',
          '| model | parameters | time |',
          '|---|---:|---:|',
          ...shared.map((s) => `| ${s.name} | ${s.params.toLocaleString('en-US')} | ${fmtMs(s.ms)} ms |`),
          '',
        ]
      : ['(../shared/models is absent: the reference models were not timed.)', '']),
    END,
  ];
  const section = lines.join('\n');
  console.log(section.replace(BEGIN, '').replace(END, ''));
  console.log(`(synthetic model built in ${fmtMs(buildMs)} ms)`);
  if (write) {
    const head = '# Benchmarks\n\nFigures written by the benchmark scripts (`npm run bench`). Tests never assert wall-clock times; these do not gate CI.\n\n## Frontend and shared passes\n\n';
    const old = existsSync(DOC) ? readFileSync(DOC, 'utf8') : head;
    const a = old.indexOf(BEGIN), b = old.indexOf(END);
    const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : `${old.trimEnd()}\n\n${section}\n`;
    writeFileSync(DOC, next);
    console.log(`updated ${DOC}`);
  }
  if (!ok) console.warn(`target missed: ${fmtMs(total)} ms, ${mb(peak)} peak`);
}

// Runs only as a script, so syntheticMlp() can be imported (profiling, tests).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
