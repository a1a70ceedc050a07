/*
 * Host-model benchmark (docs/BENCHMARKS.md): compile time (g++, uncached) and host-run throughput of generated AIE
 * projects, checked bit-exact against the emulator. Run: npx vite-node backends/aie/host/bench/host-bench.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from 'firmflow';
import { compileHost, openProject } from '../../src/index.js';
import { JET_TAGGER, WIDE_256, qdqMlp } from '../../test/host-models.js';

const tmp = mkdtempSync(join(tmpdir(), 'ff-aie-bench-'));
process.env['FIRMFLOW_AIE_HOST_CACHE'] = join(tmp, 'cache');
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 65536);

for (const [name, sizes] of [['jet', JET_TAGGER], ['wide256', WIDE_256]] as const) {
  const dir = join(tmp, name);
  const p = await convert(qdqMlp([...sizes]), { backend: 'AIE', projectName: name });
  await p.write(dir);
  const b = compileHost(dir);
  const opened = await openProject(dir);
  const per = sizes[0];
  let s = 1;
  const x = Float32Array.from({ length: SAMPLES * per }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 * 2 - 1) * 3);
  const feed = { x: { shape: [SAMPLES, per], data: x } };
  await opened.predict({ x: { shape: [8, per], data: x.subarray(0, 8 * per) } }, {}); // warm (page cache)
  const t0 = performance.now();
  const host = (await opened.predict(feed, {})) as unknown as Record<string, { codes: ArrayLike<number> }>;
  const ms = performance.now() - t0;
  const t1 = performance.now();
  const emu = (await opened.emulate!(feed, {})) as unknown as Record<string, { codes: ArrayLike<number> }>;
  const emuMs = performance.now() - t1;
  let diff = 0;
  let nonzero = 0;
  for (let i = 0; i < emu['y'].codes.length; i++) {
    if (emu['y'].codes[i] !== host['y'].codes[i]) diff++;
    if (emu['y'].codes[i] !== 0) nonzero++;
  }
  const kernels = (JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8')) as { kernels: number }).kernels;
  console.log(JSON.stringify({ model: name, sizes: sizes.join('-'), compileS: +(b.ms / 1000).toFixed(2), samples: SAMPLES, hostRunS: +(ms / 1000).toFixed(3), hostSamplesPerS: Math.round(SAMPLES / (ms / 1000)), emulatorSamplesPerS: Math.round(SAMPLES / (emuMs / 1000)), mismatches: diff, nonzeroOutputs: nonzero, warnings: b.warnings.length, kernels }));
}
rmSync(tmp, { recursive: true, force: true });
