/**
 * Whole-process timings of the CLI (issue 16, item 4): bare `node`, `firmflow --version`, `firmflow backends` and
 * `firmflow predict` of the jet tagger on 1,000 samples (a written and compiled project), each spawned N times.
 * Prints min and median per command; the figures go into docs/BENCHMARKS.md by hand (they depend on the machine's
 * load more than the other benchmarks do, so a human reads them before they are recorded).
 *
 *   node dist/bench/cli-startup.js [--runs N]
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

function stats(args: string[], runs: number): { min: number; median: number } {
  runOnce(args); // warm the file cache
  const t = Array.from({ length: runs }, () => runOnce(args)).sort((a, b) => a - b);
  return { min: t[0], median: t[Math.floor(runs / 2)] };
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
  const i = process.argv.indexOf('--runs');
  const runs = i > 0 ? Number(process.argv[i + 1]) : 21;
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-cli-bench-'));
  try {
    const project = join(dir, 'jet');
    const x = join(dir, 'x.npy');
    writeFileSync(x, npy(1000, 16, 7));
    runOnce([BIN, 'convert', join(ROOT, 'models', 'jet_tagger.onnx'), '-b', 'Vitis', '-o', project]);
    runOnce([BIN, 'compile', project]);
    const rows: [string, string[]][] = [
      ['node -e 0', ['-e', '0']],
      ['firmflow --version', [BIN, '--version']],
      ['firmflow backends', [BIN, 'backends']],
      ['firmflow predict (1,000 samples, C simulation)', [BIN, 'predict', project, '-i', x, '-o', join(dir, 'y.json')]],
      ['firmflow predict --emulate (1,000 samples)', [BIN, 'predict', project, '-i', x, '-o', join(dir, 'y.json'), '--emulate']],
    ];
    const base = stats(rows[0][1], runs);
    console.log(`| command | min | median | median over bare node |\n|---|---:|---:|---:|`);
    console.log(`| ${rows[0][0]} | ${base.min.toFixed(1)} ms | ${base.median.toFixed(1)} ms | |`);
    for (const [name, args] of rows.slice(1)) {
      const s = stats(args, runs);
      console.log(`| ${name} | ${s.min.toFixed(1)} ms | ${s.median.toFixed(1)} ms | ${(s.median - base.median).toFixed(1)} ms |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
