/**
 * Whole-process timings of the CLI (issue 16, item 4): bare `node`, `firmflow --version`, `firmflow backends` and
 * `firmflow predict` of the jet tagger on 1,000 samples (a written and compiled project), each spawned N times.
 * Prints min and median per command; the figures go into docs/BENCHMARKS.md by hand (they depend on the machine's
 * load more than the other benchmarks do, so a human reads them before they are recorded).
 *
 *   node dist/bench/cli-startup.js [--runs N] [--compare <another checkout, built>]
 *
 * With --compare, each command also runs from the other checkout, alternating run by run with this one, so both
 * see the same machine load (before/after figures of a change).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/util/random.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'firmflow.js');

function runOnce(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

interface Stats { min: number; median: number }

/** Runs each argument list `runs` times, alternating between them; min and median per list. */
function stats(variants: string[][], runs: number): Stats[] {
  for (const args of variants) runOnce(args); // warm the file cache
  const times: number[][] = variants.map(() => []);
  for (let r = 0; r < runs; r++) variants.forEach((args, v) => times[v].push(runOnce(args)));
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { min: t[0], median: t[Math.floor(t.length / 2)] };
  });
}

/** A .npy file of `rows` x `cols` float32 values, uniform in [-4, 4). */
function npy(rows: number, cols: number, seed: number): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + rows * cols * 4);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), 10);
  const rnd = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rnd() * 8 - 4;
  out.set(new Uint8Array(data.buffer), 10 + header.length);
  return out;
}

function main(): void {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const runs = Number(arg('--runs') ?? 21);
  const other = arg('--compare');
  const bins = [BIN, ...(other ? [join(resolve(other), 'bin', 'firmflow.js')] : [])];
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-cli-bench-'));
  try {
    const project = join(dir, 'jet');
    const x = join(dir, 'x.npy');
    writeFileSync(x, npy(1000, 16, 7));
    runOnce([BIN, 'convert', join(ROOT, 'models', 'jet_tagger.onnx'), '-b', 'Vitis', '-o', project]);
    runOnce([BIN, 'compile', project]);
    const rows: [string, string[]][] = [
      ['firmflow --version', ['--version']],
      ['firmflow backends', ['backends']],
      ['firmflow predict (1,000 samples, C simulation)', ['predict', project, '-i', x, '-o', join(dir, 'y.json')]],
      ['firmflow predict --emulate (1,000 samples)', ['predict', project, '-i', x, '-o', join(dir, 'y.json'), '--emulate']],
    ];
    const [base] = stats([['-e', '0']], runs);
    const head = other ? '| command | this checkout: min / median | over bare node | --compare checkout: min / median | over bare node |' : '| command | min / median | median over bare node |';
    console.log(`${head}\n|---|${other ? '---:|---:|---:|---:|' : '---:|---:|'}`);
    console.log(`| node -e 0 | ${base.min.toFixed(1)} / ${base.median.toFixed(1)} ms |${other ? ' | | |' : ' |'}`);
    for (const [name, args] of rows) {
      const st = stats(bins.map((b) => [b, ...args]), runs);
      console.log(`| ${name} | ${st.map((s) => `${s.min.toFixed(1)} / ${s.median.toFixed(1)} ms | ${(s.median - base.median).toFixed(1)} ms`).join(' | ')} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
