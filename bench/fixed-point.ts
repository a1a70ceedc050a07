/**
 * Fixed-point benchmarks: the TypeScript bulk quantize rate (values per second) and the host C++ headers' cost of a
 * fixed-point multiply-accumulate loop against plain int64 arithmetic on the same codes. Prints a table and
 * rewrites its own marked section of docs/BENCHMARKS.md.
 *
 *   node dist/bench/fixed-point.js            run and update docs/BENCHMARKS.md
 *   node dist/bench/fixed-point.js --no-write print only
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cppType, formatType } from '../src/fixed/types.js';
import { quantizeArray } from '../src/fixed/quantize.js';
import type { FixedType } from '../src/ir/types.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const DOC = join(ROOT, 'docs', 'BENCHMARKS.md');
const HEADERS = join(ROOT, 'backends', 'vitis', 'templates', 'ap_types');
const BEGIN = '<!-- bench:fixed-point:begin (written by bench/fixed-point.ts; edits inside are overwritten) -->';
const END = '<!-- bench:fixed-point:end -->';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmtRate = (r: number): string => (r >= 1e6 ? `${(r / 1e6).toFixed(1)} M/s` : `${(r / 1e3).toFixed(0)} k/s`);

export function quantizeRates(): { type: string; path: string; rate: number }[] {
  const n = 1 << 20;
  const src = new Float64Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; src[i] = (x / 2 ** 32 - 0.5) * 40; }
  const types: [FixedType, string][] = [
    [{ signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' }, 'double'],
    [{ signed: true, width: 16, integer: 6, rounding: 'RND_CONV', overflow: 'SAT' }, 'double'],
    [{ signed: true, width: 8, integer: 3, rounding: 'RND', overflow: 'SAT_SYM' }, 'double'],
    [{ signed: true, width: 18, integer: 8, rounding: 'RND', overflow: 'WRAP_SM' }, 'BigInt'],
    [{ signed: true, width: 80, integer: 20, rounding: 'RND_CONV', overflow: 'SAT' }, 'BigInt'],
  ];
  return types.map(([t, path]) => {
    const len = path === 'BigInt' ? n >> 4 : n;
    const times: number[] = [];
    for (let r = 0; r < 5; r++) {
      const buf = src.slice(0, len);
      const t0 = performance.now();
      quantizeArray(buf, t);
      times.push(performance.now() - t0);
    }
    return { type: formatType(t), path, rate: len / (median(times) / 1000) };
  });
}

const MAC_SRC = (acc: string, data: string) => `
#include "ap_fixed.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>
typedef ${data} data_t;
typedef ${acc} acc_t;
int main() {
  const int N = 4096, REPS = 2000;
  std::vector<data_t> a(N), b(N);
  std::vector<long long> ia(N), ib(N);
  unsigned s = 7;
  for (int i = 0; i < N; ++i) {
    s = s * 1103515245u + 12345u; a[i] = ((int)(s >> 8) % 4000) / 500.0;
    s = s * 1103515245u + 12345u; b[i] = ((int)(s >> 8) % 4000) / 700.0;
    ia[i] = (long long)a[i].range(data_t::width - 1, 0).to_uint64();
    ib[i] = (long long)b[i].range(data_t::width - 1, 0).to_uint64();
    if (a[i] < 0) ia[i] -= 1LL << data_t::width;
    if (b[i] < 0) ib[i] -= 1LL << data_t::width;
  }
  volatile double sink = 0;
  double best_fx = 1e30, best_i = 1e30;
  for (int trial = 0; trial < 5; ++trial) {
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < REPS; ++r) {
      acc_t acc = 0;
      for (int i = 0; i < N; ++i) acc += a[i] * b[i];
      sink = sink + acc.to_double();
    }
    auto t1 = std::chrono::steady_clock::now();
    for (int r = 0; r < REPS; ++r) {
      long long acc = 0;
      for (int i = 0; i < N; ++i) acc += ia[i] * ib[i];
      sink = sink + (double)acc;
    }
    auto t2 = std::chrono::steady_clock::now();
    best_fx = std::min(best_fx, std::chrono::duration<double, std::nano>(t1 - t0).count() / ((double)N * REPS));
    best_i = std::min(best_i, std::chrono::duration<double, std::nano>(t2 - t1).count() / ((double)N * REPS));
  }
  std::printf("%.4f %.4f\\n", best_fx, best_i);
  return 0;
}
`;

export function macCosts(): { data: string; acc: string; fxNs: number; intNs: number }[] {
  const cases: [FixedType, FixedType][] = [
    [{ signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' }, { signed: true, width: 40, integer: 16, rounding: 'TRN', overflow: 'WRAP' }],
    [{ signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' }, { signed: true, width: 24, integer: 12, rounding: 'RND_CONV', overflow: 'SAT' }],
    [{ signed: true, width: 8, integer: 3, rounding: 'TRN', overflow: 'WRAP' }, { signed: true, width: 20, integer: 10, rounding: 'TRN', overflow: 'WRAP' }],
    [{ signed: true, width: 16, integer: 6, rounding: 'TRN', overflow: 'WRAP' }, { signed: true, width: 100, integer: 40, rounding: 'TRN', overflow: 'WRAP' }],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-bench-fx-'));
  try {
    return cases.map(([d, a], i) => {
      const src = join(dir, `mac${i}.cpp`), exe = join(dir, `mac${i}`);
      writeFileSync(src, MAC_SRC(cppType(a), cppType(d)));
      execFileSync('g++', ['-std=c++14', '-O2', `-I${HEADERS}`, src, '-o', exe]);
      const [fx, int] = execFileSync(exe).toString().trim().split(' ').map(Number);
      return { data: cppType(d), acc: cppType(a), fxNs: fx, intNs: int };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runFixedPointBench(write = true): string {
  const q = quantizeRates();
  const m = macCosts();
  let commit = 'unknown';
  try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim(); } catch { /* not a checkout */ }
  const gxx = execFileSync('g++', ['-dumpfullversion']).toString().trim();
  const lines = [
    BEGIN,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} logical core(s), Node ${process.version}, g++ ${gxx}, commit ${commit}.`,
    '',
    '### TypeScript bulk quantize (`quantizeArray`, 1 Mi doubles in [-20, 20), median of 5)',
    '',
    '| type | path | rate |',
    '|---|---|---:|',
    ...q.map((r) => `| \`${r.type}\` | ${r.path} | ${fmtRate(r.rate)} |`),
    '',
    'The double path is exact for widths up to 52 bits; WRAP_SM, WRAP with saturation bits and wider types use BigInt.',
    '',
    '### C++ host headers: multiply-accumulate loop vs int64 (`acc += a[i] * b[i]`, 4096-element dot product x 2000, g++ -O2, best of 5)',
    '',
    '| operands | accumulator | ap_fixed ns/MAC | int64 ns/MAC | ratio |',
    '|---|---|---:|---:|---:|',
    ...m.map((r) => `| \`${r.data}\` | \`${r.acc}\` | ${r.fxNs.toFixed(2)} | ${r.intNs.toFixed(2)} | ${(r.fxNs / r.intNs).toFixed(1)}x |`),
    '',
    'The int64 loop runs on the same integer codes (what a hand-written simulation would do); the ap_fixed loop',
    'pays for exact result types and the accumulator\'s quantization/overflow handling on every `+=`.',
    '',
    END,
  ];
  const section = lines.join('\n');
  if (write && existsSync(DOC)) {
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN), b = doc.indexOf(END);
    const next = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + END.length) : `${doc.trimEnd()}\n\n## Fixed-point numerics\n\n${section}\n`;
    writeFileSync(DOC, next);
  }
  return section;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(runFixedPointBench(!process.argv.includes('--no-write')));
}
