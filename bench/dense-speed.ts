/**
 * Issue 16, items 1-2 for MLPs: the jet tagger's C simulation and emulator against a plain int16 C loop of the same
 * multiply-accumulates, measured in the same run. The loop is what a hand-written integer simulation does: int16
 * codes, int32 sums, a shift back to int16 and ReLU per layer, g++ -O3, one core, no I/O. The C simulation runs on
 * one thread (`threads: 1`) and includes its process start and file I/O; the emulator runs in this process.
 *
 *   node dist/bench/dense-speed.js [--samples N]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { convert } from '../src/api.js';
import { mulberry32 } from '../src/util/random.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WIDTHS = [16, 64, 32, 32, 5];

/** C++ source of the reference loop: random int16 weights of the jet tagger's shapes, `samples` inputs. */
function loopSource(samples: number): string {
  const layers = WIDTHS.slice(1).map((n, l) => `  static short w${l}[${WIDTHS[l]} * ${n}]; static int b${l}[${n}];`).join('\n');
  const init = WIDTHS.slice(1).map((n, l) => `  for (int i = 0; i < ${WIDTHS[l]} * ${n}; i++) w${l}[i] = (short)(next() % 4096 - 2048);\n  for (int i = 0; i < ${n}; i++) b${l}[i] = (int)(next() % 65536) - 32768;`).join('\n');
  const body = WIDTHS.slice(1).map((n, l) => {
    const [src, dst] = [l === 0 ? 'in' : `h${l - 1}`, `h${l}`];
    return `    { int acc[${n}]; for (int j = 0; j < ${n}; j++) acc[j] = b${l}[j];
      for (int k = 0; k < ${WIDTHS[l]}; k++) { const int xk = ${src}[k]; const short* wr = w${l} + k * ${n}; for (int j = 0; j < ${n}; j++) acc[j] += xk * wr[j]; }
      for (int j = 0; j < ${n}; j++) { int v = acc[j] >> 14; v = v < 0 ? 0 : v > 32767 ? 32767 : v; ${dst}[j] = (short)v; } }`;
  }).join('\n');
  return `#include <chrono>
#include <cstdio>
#include <vector>
static unsigned long long s = 88172645463325252ULL;
static unsigned next() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return (unsigned)s; }
int main() {
${layers}
${init}
  const int N = ${samples};
  std::vector<short> x((size_t)N * ${WIDTHS[0]});
  for (auto& v : x) v = (short)(next() % 65536);
  long long check = 0;
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int n = 0; n < N; n++) {
      const short* in = &x[(size_t)n * ${WIDTHS[0]}];
      ${WIDTHS.slice(1).map((w, l) => `short h${l}[${w}];`).join(' ')}
${body}
      for (int j = 0; j < ${WIDTHS[WIDTHS.length - 1]}; j++) check += h${WIDTHS.length - 2}[j];
    }
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (sec < best) best = sec;
  }
  std::printf("%.1f %lld\\n", N / best, check);
  return 0;
}
`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--samples');
  const samples = i > 0 ? Number(process.argv[i + 1]) : 20_000;
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-dense-bench-'));
  try {
    writeFileSync(join(dir, 'loop.cpp'), loopSource(samples));
    execFileSync('g++', ['-O3', '-o', join(dir, 'loop'), join(dir, 'loop.cpp')]);
    const loopRate = median([0, 1, 2].map(() => Number(execFileSync(join(dir, 'loop'), { encoding: 'utf8' }).split(' ')[0])));

    const project = (await convert(join(ROOT, 'models', 'jet_tagger.onnx'), { backend: 'Vitis' })) as unknown as {
      write(d: string): Promise<unknown>; compile(): Promise<unknown>;
      predict(x: unknown, o?: { threads?: number }): Promise<Record<string, { data: ArrayLike<number> }>>;
      emulate(x: unknown): Record<string, { data: ArrayLike<number> }>;
    };
    await project.write(join(dir, 'jet'));
    await project.compile();
    const rnd = mulberry32(3);
    const data = new Float32Array(samples * WIDTHS[0]);
    for (let k = 0; k < data.length; k++) data[k] = rnd() * 8 - 4;
    const x = { x: { shape: [samples, WIDTHS[0]], data } };
    const time = async (f: () => unknown): Promise<number> => {
      await f();
      const t: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await f();
        t.push(performance.now() - t0);
      }
      return samples / (median(t) / 1000);
    };
    const sim = await time(() => project.predict(x, { threads: 1 }));
    const emu = await time(() => project.emulate(x));
    const a = Object.values(await project.predict(x, { threads: 1 }))[0].data;
    const b = Object.values(project.emulate(x))[0].data;
    let same = a.length === b.length;
    for (let k = 0; same && k < a.length; k++) same = a[k] === b[k];
    const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
    console.log(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, ${samples} samples`);
    console.log(`| plain int16 C loop (g++ -O3, 1 core) | ${fmt(loopRate)} samples/s | 100% |`);
    console.log(`| C simulation (threads: 1, process + I/O included) | ${fmt(sim)} samples/s | ${((100 * sim) / loopRate).toFixed(1)}% |`);
    console.log(`| emulator | ${fmt(emu)} samples/s | ${((100 * emu) / loopRate).toFixed(1)}% |`);
    console.log(`C simulation == emulator: ${same ? 'bit-exact' : 'DIFFERENT'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
