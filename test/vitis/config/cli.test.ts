import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../../fixtures/project.js';
import { ensureBuilt } from '../../cli/build.js';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** The CLI runs dist/: build it when the backend's sources are newer (the core's check covers src/ and passes/). */
function ensureBackendBuilt(): void {
  ensureBuilt();
  const entry = join(REPO, 'dist/backends/vitis/index.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest(join(REPO, 'backends/vitis'))) {
    try {
      execFileSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'tsconfig.json')], { cwd: REPO, stdio: 'pipe' });
    } catch (e) {
      if (!existsSync(entry)) throw new Error(`tsc did not build ${entry}: ${String((e as { stdout?: Buffer }).stdout ?? e)}`);
    }
  }
}

let cwd: string;
beforeAll(() => {
  ensureBackendBuilt();
  cwd = mkdtempSync(join(tmpdir(), 'firmflow-vitis-cli-'));
});

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/firmflow.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, FIRMFLOW_BACKEND_PLUGINS: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PASSES = {
  'vitis:lower': ['vitis-port-layout', 'vitis-configure', 'vitis-kernels', 'vitis-precision', 'vitis-reuse-factor', 'vitis-tables'],
  'vitis:stream': ['vitis-stream'],
  'vitis:check': ['vitis-check-outputs', 'vitis-check-kernels', 'vitis-check-limits', 'vitis-check-overflow'],
};

describe('the built-in backends through the package.json manifest', () => {
  it('firmflow backends lists Vitis and Vivado as built-in', () => {
    const r = cli(['backends', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout) as { name: string; source: string; flows: string[]; writer: string }[];
    for (const name of ['Vitis', 'Vivado']) {
      expect(list.find((b) => b.name === name)).toMatchObject({ name, source: 'built-in', flows: ['vitis:lower', 'vitis:stream', 'vitis:check'], writer: name });
    }
    const plugins = cli(['plugins', '--json']);
    expect(JSON.parse(plugins.stdout)).toContainEqual(expect.objectContaining({ name: 'firmflow', origin: 'built-in', backends: ['Vitis', 'Vivado'] }));
  });

  for (const backend of ['Vitis', 'Vivado']) {
    it(`firmflow passes --backend ${backend} lists the flows that run, in order, with their passes`, () => {
      const r = cli(['passes', '--backend', backend, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { backend: string; flows: { name: string; requires?: string[]; passes: { name: string }[] }[] };
      expect(out.backend).toBe(backend);
      expect(out.flows.map((f) => f.name)).toEqual(['optimize', 'vitis:lower', 'vitis:stream', 'vitis:check']);
      for (const f of out.flows.slice(1)) expect(f.passes.map((p) => p.name)).toEqual(PASSES[f.name as keyof typeof PASSES]);
      const text = cli(['passes', '--backend', backend.toLowerCase()]);
      expect(text.stdout).toMatch(/flow vitis:lower \(after optimize\): run once\n\s+1\.\s+vitis-port-layout/);
    });
  }
});

describe('the Vitis options as command-line flags (declared by the backend, not the core)', () => {
  const model = join(REPO, 'models/jet_tagger.onnx');

  it('convert -b Vitis --help shows the flags of its option schema, with choices', () => {
    const r = cli(['convert', '-b', 'Vitis', '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/--reuse-factor <n>\s+reuse factor \(default: 1, or per layer the\s+smallest valid one within the io_parallel limits\)\n/);
    expect(r.stdout).toMatch(/--strategy <s>\s+implementation strategy \(choices: "latency",\s+"resource"\)/);
    expect(r.stdout).toMatch(/--io <type>\s+I\/O type \(choices: "parallel", "stream"\)/);
    expect(r.stdout).toMatch(/--part <part>\s+FPGA part number\n/);
    expect(r.stdout).toMatch(/--clock-period <ns>\s+clock period in ns\n/);
    // Without a backend, every backend's flags, each marked with the backends that take it.
    const all = cli(['convert', '--help']);
    expect(all.stdout).toMatch(/--reuse-factor <n>\s+reuse factor \(default: 1, or per layer[\s\S]*?limits\)\s+\[Vitis,\s+Vivado\]/);
    expect(all.stdout).toMatch(/--device <name>\s+AIE device/);
  });

  it('convert model -b Vitis --reuse-factor 4 ... writes the options into the project as before', () => {
    const out = join(cwd, 'flags');
    const r = cli(['convert', model, '-b', 'Vitis', '-o', out, '--reuse-factor', '4', '--strategy', 'resource', '--io', 'stream', '--part', 'xc7z020clg400-1', '--clock-period', '4', '-O', 'reuseFactorPolicy=nearest']);
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'firmflow.json'), 'utf8')) as { options: Record<string, unknown> };
    expect(manifest.options).toMatchObject({ backend: 'Vitis', reuseFactor: 4, strategy: 'resource', io: 'stream', clockPeriod: 4, part: 'xc7z020clg400-1', reuseFactorPolicy: 'nearest' });
    expect(readFileSync(join(out, 'project.tcl'), 'utf8')).toMatch(/set part "xc7z020clg400-1"/);
    const bad = cli(['convert', model, '-b', 'Vitis', '-o', join(cwd, 'never'), '--clock-period', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("error: option '--clock-period <ns>' argument '0' is invalid. must be a positive number (nanoseconds).\n");
  });
});
