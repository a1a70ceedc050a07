import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallModelBytes } from '../fixtures/models.js';
import { makeProject, REPO, type TempProject } from '../fixtures/project.js';
import { ensureBuilt } from './build.js';

let proj: TempProject;
let model: string;
let markers = 0;

beforeAll(() => {
  ensureBuilt();
  proj = makeProject(['basic', 'scoped', 'future', 'broken'], { linkFirmflow: true });
  model = join(proj.root, 'small.onnx');
  writeFileSync(model, smallModelBytes());
});
afterAll(() => proj?.cleanup());

/** `errors` is stderr without the warnings about the refused and broken fixture packages, present in every run. */
interface Result { code: number | null; stdout: string; stderr: string; errors: string; imported: string[] }

/** Runs the built CLI in the temporary project; `imported` lists the fixture plugins whose code ran. */
function cli(args: string[], env: Record<string, string> = {}): Result {
  const marker = join(proj.root, `marker-${markers++}.txt`);
  const r = spawnSync(process.execPath, [join(REPO, 'bin/firmflow.js'), ...args], {
    cwd: proj.root,
    encoding: 'utf8',
    env: { ...process.env, FIRMFLOW_BACKEND_PLUGINS: '', FIRMFLOW_FIXTURE_MARKER: marker, ...env },
  });
  const imported = existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').sort() : [];
  const errors = r.stderr.split('\n').filter((l) => !l.startsWith('warning: ')).join('\n');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, errors, imported };
}

const NO_STACK = /\n\s+at /;

describe('firmflow plugins / backends / passes', () => {
  it('plugins lists manifests without running plugin code', () => {
    const r = cli(['plugins', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.imported).toEqual([]);
    const list = JSON.parse(r.stdout) as { name: string; status: string; backends?: string[]; reason?: string }[];
    const pick = (n: string) => list.find((p) => p.name === n)!;
    expect(pick('firmflow-plugin-basic')).toMatchObject({ status: 'found', backends: ['Basic'] });
    expect(pick('@firmflow-test/scoped')).toMatchObject({ status: 'found', backends: ['Scoped'] });
    expect(pick('firmflow-plugin-broken')).toMatchObject({ status: 'found', backends: ['Broken'] });
    expect(pick('firmflow-plugin-future').status).toBe('refused');
    expect(pick('firmflow-plugin-future').reason).toMatch(/apiVersion 2/);
    const text = cli(['plugins']);
    expect(text.stdout).toMatch(/firmflow-plugin-future@9\.0\.0\s+package\s+refused/);
  });

  it('backends imports every plugin; a broken one is a warning on stderr and the others load', () => {
    const r = cli(['backends', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.imported).toEqual(['basic', 'scoped']);
    const list = JSON.parse(r.stdout) as { name: string; source: string; flows: string[] }[];
    const mine = list.filter((b) => ['Basic', 'Scoped'].includes(b.name));
    expect(mine).toEqual([
      expect.objectContaining({ name: 'Basic', source: "plugin package 'firmflow-plugin-basic@1.0.0'", flows: ['basic:lower'] }),
      expect.objectContaining({ name: 'Scoped', source: "plugin package '@firmflow-test/scoped@2.0.0' [scoped-plugin@2.0.0]", description: 'scoped fixture (my_scoped_backend)' }),
    ]);
    expect(r.stderr).toMatch(/^warning: plugin package 'firmflow-plugin-future@9\.0\.0' was refused: it declares firmflow apiVersion 2/m);
    expect(r.stderr).toMatch(/^warning: plugin package 'firmflow-plugin-broken@0\.0\.1' failed to load: cannot import .*plugin\.js: boom while importing the broken fixture$/m);
  });

  it('passes lists the flows of a backend in execution order, a user pass in place', () => {
    const env = { FIRMFLOW_BACKEND_PLUGINS: [proj.env('custom-pass.mjs'), proj.env('alpha.mjs')].join(delimiter) };
    const r = cli(['passes', '--backend', 'BASIC', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; flows: { name: string; requires: string[]; passes: { name: string; source: string }[] }[] };
    expect(out.backend).toBe('Basic');
    expect(out.flows.map((f) => f.name)).toEqual(['optimize', 'basic:lower']);
    expect(out.flows[0].passes.length).toBeGreaterThan(3);
    expect(out.flows[1].passes).toEqual([
      { name: 'custom:count-nodes', match: 'graph', source: expect.stringMatching(/custom-pass\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\)$/), description: 'counts nodes (changes nothing)' },
      { name: 'basic:mark', match: 'graph', source: "plugin package 'firmflow-plugin-basic@1.0.0'" },
    ]);
    const text = cli(['passes', '--backend', 'basic'], env);
    expect(text.stdout).toMatch(/flow basic:lower \(after optimize\): repeated until nothing changes, at most 50 rounds\n\s+1\.\s+custom:count-nodes\s+whole graph.*\n\s+2\.\s+basic:mark\s+whole graph/);
    const shared = cli(['passes', '--json']);
    expect(JSON.parse(shared.stdout).flows.map((f: { name: string }) => f.name)).toEqual(['optimize']);
  });
});

describe('firmflow convert', () => {
  it('writes the project; an existing folder is refused without --force and replaced with it', () => {
    const out = join(proj.root, 'out');
    const r = cli(['convert', model, '--backend', 'basic', '-o', out, '--precision', 'fixed<18,8>', '--reuse-factor', '2']);
    expect(r.errors).toBe('');
    expect(r.code, r.stderr).toBe(0);
    expect(r.imported).toEqual(['basic']);
    expect(r.stdout).toBe(`wrote 4 files for backend Basic to ${out}\n`);
    const files = readdirSync(out, { recursive: true }).map(String).filter((f) => statSync(join(out, f)).isFile()).sort();
    expect(files.filter((f) => !f.startsWith('weights/'))).toEqual(['firmware/small.h', 'small.json']);
    // bias and scale, 4 float32 values each
    expect(files.filter((f) => f.startsWith('weights/')).map((f) => statSync(join(out, f)).size)).toEqual([16, 16]);
    const summary = JSON.parse(readFileSync(join(out, 'small.json'), 'utf8'));
    expect(summary).toMatchObject({ projectName: 'small', backend: 'Basic', precision: 'fixed<18,8>', reuseFactor: 2 });
    const header = readFileSync(join(out, 'firmware/small.h'), 'utf8');
    expect(header).toContain('typedef ap_fixed<18,8> data_t;');
    expect(header).not.toContain('&lt;');
    const before = readFileSync(join(out, 'small.json'));
    const mtime = statSync(join(out, 'small.json')).mtimeMs;

    const again = cli(['convert', model, '--backend', 'basic', '-o', out]);
    expect(again.code, again.stderr).toBe(1);
    expect(again.errors).toBe(`error: output folder ${out} already exists (use --force / { force: true } to replace it)\n`);
    expect(statSync(join(out, 'small.json')).mtimeMs).toBe(mtime);

    const forced = cli(['convert', model, '--backend', 'basic', '-o', out, '--force', '--precision', 'fixed<18,8>', '--reuse-factor', '2', '--verbose']);
    expect(forced.code, forced.stderr).toBe(0);
    // Same inputs, same bytes: the output is deterministic.
    expect(readFileSync(join(out, 'small.json'))).toEqual(before);
    expect(forced.stderr).toMatch(/passes:\n\s+flow\s+pass\s+runs\s+changes\s+ms\n/);
    expect(forced.stderr).toMatch(/basic:lower\s+basic:mark\s+2\s+1\s+\d/);
    expect(readdirSync(proj.root).filter((n) => n.includes('firmflow-tmp') || n.includes('firmflow-old'))).toEqual([]);
  });

  it("a plugin writer's failure is that plugin's error (exit 1, naming it) and leaves nothing behind", () => {
    const cfg = join(proj.root, 'fail.yaml');
    writeFileSync(cfg, 'backend: Basic\nfail-write: true\n');
    const out = join(proj.root, 'never');
    const r = cli(['convert', model, '--config', cfg, '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.errors).toBe("error: writer 'Basic' from plugin package 'firmflow-plugin-basic@1.0.0' failed: the Basic writer failed on purpose\n");
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(proj.root).filter((n) => n.includes('never'))).toEqual([]);
  });

  it('bad input exits 1 with a short message and no stack trace', () => {
    const truncated = join(proj.root, 'truncated.onnx');
    const bytes = smallModelBytes();
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cases: [string[], RegExp][] = [
      [['convert', join(proj.root, 'missing.onnx'), '-b', 'basic', '-o', 'x'], /^error: .*missing\.onnx: cannot read the model file \(ENOENT\)\n$/],
      [['convert', model, '-b', 'basic', '-o', 'x', '--reuse-factor', '0'], /^error: option '--reuse-factor <n>' argument '0' is invalid\. must be a positive integer\.\n$/],
      [['convert', model, '-b', 'basic', '-o', 'x', '--strategy', 'fast'], /^error: option '--strategy <s>' argument 'fast' is invalid\. Allowed choices are latency, resource\.\n$/],
      [['convert', model, '-b', 'basic', '-o', 'x', '--precision', 'fixed<16>'], /^error: option '--precision <type>' argument 'fixed<16>' is invalid\. 'fixed<16>' needs 2 to 5 arguments: W, I/],
      [['convert', model, '-b', 'nosuch', '-o', 'x'], /^error: unknown backend 'nosuch' \(available: AIE, Basic, Scoped, Vitis, Vivado\)\n$/m],
      [['convert', truncated, '-b', 'basic', '-o', 'x'], /^error: truncated\.onnx: the ONNX file is truncated or corrupt/m],
      [['inspect', truncated], /^error: truncated\.onnx: the ONNX file is truncated or corrupt/m],
      [['frobnicate'], /^error: unknown command 'frobnicate'/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.errors).toMatch(msg);
      expect(r.stderr).not.toMatch(NO_STACK);
    }
    expect(existsSync(join(proj.root, 'x'))).toBe(false);
  });
});

describe('firmflow inspect', () => {
  it('prints nodes, shapes, parameters and each backend\'s support after the shared passes', () => {
    const r = cli(['inspect', model, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.loaded.nodes.map((n: { name: string; op: string }) => [n.name, n.op])).toEqual([['add_1', 'Add'], ['relu_1', 'Relu'], ['mul_1', 'Mul']]);
    expect(rep.loaded.nodes.map((n: { parameters: number }) => n.parameters)).toEqual([4, 0, 4]);
    expect(rep.loaded.nodes[0].outputs[0].shape).toEqual(['N', 4]);
    expect(rep.loaded.totals).toEqual({ nodes: 3, parameters: 8, ops: { Add: 1, Mul: 1, Relu: 1 } });
    expect(rep.sharedFlows).toEqual(['optimize']);
    // Vitis and Vivado are firmflow's own, declared by its package.json; AIE is the repo's workspace package,
    // linked into firmflow's own node_modules.
    expect(rep.backends).toEqual(['AIE', 'Basic', 'Scoped', 'Vitis', 'Vivado']);
    expect(rep.optimized.nodes.length).toBeGreaterThan(0);
    for (const n of rep.optimized.nodes) {
      expect(n.support).toEqual({ AIE: ['Add', 'Relu'].includes(n.op) ? true : `op ${n.op} has no AIE kernel (supported: Add, Concat, Dense, Flatten, LayerNormalization, MatMul, Relu, Reshape, Sigmoid, Slice, Softmax, Split, Squeeze, Tanh, Transpose, Unsqueeze)`, Basic: true, Scoped: n.op === 'Relu' ? 'Relu is not supported by Scoped' : true, Vitis: true, Vivado: true });
    }
    const text = cli(['inspect', model]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^model .*small\.onnx \(IR 8; opsets ai\.onnx 13; producer firmflow-tests\)\ninputs: x \[N, 4\] float32\noutputs: y \[N, 4\] float32\n/);
    expect(text.stdout).toMatch(/total: 3 nodes, 8 parameters \(Add x1, Mul x1, Relu x1\)/);
    expect(text.stdout).toMatch(/after the shared passes \(optimize\):/);
  });
});
