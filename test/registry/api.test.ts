import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  convert, FirmflowError, getFlow, interpret, isFirmflowError, loadModel, registerBackend, registerFlow, registerPass,
  registerWriter, resetPlugins, resetRegistry, runFlows, type Graph, type NodePass, type WriteContext,
} from '../../src/index.js';
import type { OptionSpec } from 'firmflow';
import { smallModelBytes, smallModelReference } from '../fixtures/models.js';

let tmp: string;
const X = [1, 0.5, -1, 3, -2, 1.5, 0.25, 0.5];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'firmflow-api-'));
  writeFileSync(join(tmp, 'small.onnx'), smallModelBytes());
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => {
  resetRegistry();
  resetPlugins();
});

/** Isolated discovery (an empty project, no environment plugins) so only user-code registrations exist. */
function isolated(): void {
  const proj = join(tmp, 'proj');
  mkdirSync(proj, { recursive: true });
  resetPlugins({ cwd: proj, envPlugins: '' });
}

function run(g: Graph): number[] {
  const out = interpret(g, { x: { shape: [2, 4], data: Float32Array.from(X) } });
  return [...Object.values(out)[0].data];
}

/** Replaces Relu by LeakyRelu(1/8): a visible change of the numbers. */
const reluToLeaky: NodePass = {
  name: 'test:relu-to-leaky',
  match: ['Relu'],
  transform(node, graph) {
    graph.replaceNode(node.name, [{ name: `${node.name}_leaky`, op: 'LeakyRelu', attrs: { alpha: 0.125 }, inputs: node.inputs, outputs: node.outputs }]);
    return true;
  },
};

/** A deterministic writer using every file helper; fails on request to test atomic writing. */
function testWriter(fail: () => boolean) {
  return {
    write(ctx: WriteContext) {
      ctx.files.text('project.txt', `${ctx.projectName}\r\n${ctx.graph.topoOrder().map((n) => n.op).join(',')}\n`);
      for (const t of [...ctx.graph.tensors.values()].filter((t) => t.data)) ctx.files.binary(`w/${t.id}.bin`, t.data!);
      if (fail()) throw new Error('writer exploded');
    },
  };
}

describe('user passes and flows', () => {
  it('a pass registered into a flow from user code changes the graph', () => {
    isolated();
    const plain = loadModel(smallModelBytes());
    registerFlow({ name: 'test:flow', passes: [] });
    registerPass(reluToLeaky, { flow: 'test:flow' });
    const g = loadModel(smallModelBytes());
    const res = runFlows(g, ['test:flow']);
    expect(res.records).toEqual([expect.objectContaining({ flow: 'test:flow', pass: 'test:relu-to-leaky', changes: 1 })]);
    expect([...g.nodes.values()].map((n) => n.op).sort()).toEqual(['Add', 'LeakyRelu', 'Mul']);
    const expected = [...smallModelReference(X.slice(0, 4), 0.125), ...smallModelReference(X.slice(4), 0.125)];
    expect(run(g)).toEqual(expected);
    // Without the pass the numbers are Relu's: the pass is what changed them.
    expect(run(plain)).toEqual([...smallModelReference(X.slice(0, 4)), ...smallModelReference(X.slice(4))]);
    expect(run(plain)).not.toEqual(expected);
  });

  it('a pass placed into the shared optimize flow runs in a conversion, in place', async () => {
    isolated();
    registerPass(reluToLeaky, { flow: 'optimize', after: 'remove-identity' });
    const passes = getFlow('optimize')!.passes;
    expect(passes[passes.indexOf('remove-identity') + 1]).toBe('test:relu-to-leaky');
    registerBackend('UserBackend', { flows: ['optimize'] });
    registerWriter('UserBackend', testWriter(() => false));
    const project = await convert(join(tmp, 'small.onnx'), { backend: 'userbackend' });
    expect(project.flows).toEqual(['optimize']);
    expect(project.passRecords.find((r) => r.pass === 'test:relu-to-leaky')!.changes).toBe(1);
    expect([...project.graph.nodes.values()].some((n) => n.op === 'LeakyRelu')).toBe(true);
    expect(run(project.graph)).toEqual([...smallModelReference(X.slice(0, 4), 0.125), ...smallModelReference(X.slice(4), 0.125)]);
    // resetRegistry takes the user pass out of the shared flow again.
    resetRegistry();
    expect(getFlow('optimize')!.passes).not.toContain('test:relu-to-leaky');
  });

  it('placing a pass after a pass that is not in the flow is an error naming both', () => {
    isolated();
    expect(() => registerPass({ ...reluToLeaky, name: 'test:x' }, { flow: 'optimize', after: 'no-such-pass' })).toThrow(/'no-such-pass', which is not in flow 'optimize'/);
  });
});

/** A backend's declared options, as an FPGA backend declares them (the core knows none of them). */
const FPGA_LIKE_OPTIONS: OptionSpec[] = [
  { name: 'reuseFactor', type: 'positiveInt', default: 1, description: 'reuse factor', perLayer: true },
  { name: 'strategy', type: 'enum', choices: ['latency', 'resource'], default: 'latency', description: 'strategy', perLayer: true },
  { name: 'io', type: 'enum', choices: ['parallel', 'stream'], default: 'parallel', description: 'I/O type' },
  { name: 'part', type: 'string', description: 'part' },
  { name: 'clockPeriod', type: 'positiveNumber', unit: 'nanoseconds', default: 5, description: 'clock period' },
];

describe('convert options', () => {
  function backend(): void {
    isolated();
    registerBackend('Opt', { flows: ['optimize'], options: FPGA_LIKE_OPTIONS, optionKeys: ['tiles'], extendProject: (p) => { p.hello = () => 'hi'; } });
    registerWriter('Opt', testWriter(() => false));
  }

  async function fails(p: Promise<unknown>): Promise<FirmflowError> {
    try {
      await p;
    } catch (e) {
      expect(isFirmflowError(e)).toBe(true);
      return e as FirmflowError;
    }
    throw new Error('expected a FirmflowError');
  }

  it('resolves defaults, backend keys and extensions', async () => {
    backend();
    const p = await convert(join(tmp, 'small.onnx'), { backend: 'OPT', tiles: 4, reuseFactor: 2, strategy: 'resource', projectName: 'my net!' } as never);
    expect(p.backend.name).toBe('Opt');
    expect(p.options.precision).toBeUndefined();
    expect(p.options).toMatchObject({ backend: 'Opt', reuseFactor: 2, strategy: 'resource', io: 'parallel', clockPeriod: 5, tiles: 4, projectName: 'my_net' });
    expect((p.hello as () => string)()).toBe('hi');
  });

  it('an unknown or ill-typed option is a FirmflowError naming the key', async () => {
    backend();
    const model = join(tmp, 'small.onnx');
    expect((await fails(convert(model, { backend: 'Opt', reuseFactr: 2 } as never))).message).toMatch(/^unknown option 'reuseFactr' for backend 'Opt' \(known: .*reuseFactor.*tiles/);
    expect((await fails(convert(model, { backend: 'Opt', reuseFactor: 0 }))).message).toBe("option 'reuseFactor' must be a positive integer, got 0");
    expect((await fails(convert(model, { backend: 'Opt', io: 'serial' as never }))).message).toBe('option \'io\' must be one of parallel, stream, got "serial"');
    expect((await fails(convert(model, { backend: 'Opt', precision: 'fixed<0,6>' }))).message).toMatch(/^option 'precision' has a bad value: 'fixed<0,6>': width 0/);
    expect((await fails(convert(model, { backend: 'Opt', layers: { nope: { reuseFactor: 2 } } }))).message).toBe("option 'layers' names node 'nope' that the model does not have");
    expect((await fails(convert(model, {}))).message).toBe("option 'backend' is required");
  });

  it('reads JSON and YAML configs (kebab-case keys), explicit options win, and names the file on errors', async () => {
    backend();
    const model = join(tmp, 'small.onnx');
    const yml = join(tmp, 'cfg.yaml');
    writeFileSync(yml, 'backend: opt\nreuse-factor: 4\nprecision: ap_fixed<18,8,AP_RND,AP_SAT>\nlayers:\n  relu_1:\n    reuse_factor: 2\n');
    const p = await convert(model, { config: yml, reuseFactor: 8 });
    expect(p.options).toMatchObject({ backend: 'Opt', reuseFactor: 8, precision: 'ap_fixed<18,8,AP_RND,AP_SAT>', layers: { relu_1: { reuseFactor: 2 } }, configFile: yml });
    const json = join(tmp, 'cfg.json');
    writeFileSync(json, JSON.stringify({ backend: 'Opt', strategy: 'Resource', clockPeriod: 3.3 }));
    expect((await convert(model, { config: json })).options).toMatchObject({ strategy: 'resource', clockPeriod: 3.3 });
    writeFileSync(json, JSON.stringify({ backend: 'Opt', colour: 'red' }));
    expect((await fails(convert(model, { config: json }))).message).toBe(`config file ${json}: unknown option 'colour' for backend 'Opt' (known: backend, outputDir, config, precision, projectName, force, verbose, inputShapes, layers, reuseFactor, strategy, io, part, clockPeriod, tiles)`);
    writeFileSync(json, '{ "backend": ');
    expect((await fails(convert(model, { config: json }))).message).toMatch(new RegExp(`^config file ${json}: not valid JSON`));
    writeFileSync(yml, 'clockPeriod: fast\n');
    expect((await fails(convert(model, { config: yml, backend: 'Opt' }))).message).toBe(`config file ${yml}: option 'clockPeriod' must be a positive number of nanoseconds, got "fast"`);
  });
});

describe('atomic writing through a backend writer', () => {
  let fail = false;
  function setup(): void {
    isolated();
    fail = false;
    registerBackend('W', { flows: ['optimize'] });
    registerWriter('W', testWriter(() => fail));
  }
  const listing = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).sort();

  it('writes deterministically: converting twice gives identical files', async () => {
    setup();
    const a = await (await convert(join(tmp, 'small.onnx'), { backend: 'W' })).write(join(tmp, 'det/a'));
    const b = await (await convert(join(tmp, 'small.onnx'), { backend: 'W' })).write(join(tmp, 'det/b'));
    expect(a.files).toEqual(b.files);
    expect(a.files[0]).toBe('project.txt');
    expect(a.files.length).toBeGreaterThan(1);
    for (const f of a.files) expect(readFileSync(join(a.dir, f))).toEqual(readFileSync(join(b.dir, f)));
    expect(readFileSync(join(a.dir, 'project.txt'), 'utf8')).toMatch(/^small\n/);
  });

  it('a writer that throws leaves no folder, no temporary folder and no created parents', async () => {
    setup();
    const p = await convert(join(tmp, 'small.onnx'), { backend: 'W' });
    fail = true;
    const parent = join(tmp, 'fail-parent');
    await expect(p.write(join(parent, 'deeper/out'))).rejects.toThrow('writer exploded');
    expect(existsSync(parent)).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.includes('firmflow-tmp'))).toEqual([]);
  });

  it('an existing folder is refused and untouched without force, and replaced with force', async () => {
    setup();
    const out = join(tmp, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const p = await convert(join(tmp, 'small.onnx'), { backend: 'W' });
    await expect(p.write(out)).rejects.toThrow(`output folder ${out} already exists (use --force / { force: true } to replace it)`);
    expect(listing(out)).toEqual(['keep.txt']);
    // A failing forced write keeps the old folder too.
    fail = true;
    await expect(p.write(out, { force: true })).rejects.toThrow('writer exploded');
    expect(listing(out)).toEqual(['keep.txt']);
    fail = false;
    const res = await p.write(out, { force: true });
    expect(listing(out)).toEqual(listing(res.dir));
    expect(listing(out)).not.toContain('keep.txt');
    expect(listing(out)).toContain('project.txt');
    expect(readdirSync(tmp).filter((n) => n.startsWith('.existing'))).toEqual([]);
  });

  it('writer paths may not leave the output folder', async () => {
    isolated();
    registerBackend('Evil', { flows: [] });
    registerWriter('Evil', { write: (ctx) => { ctx.files.text('../escape.txt', 'x'); } });
    const p = await convert(join(tmp, 'small.onnx'), { backend: 'Evil' });
    await expect(p.write(join(tmp, 'evil'))).rejects.toThrow(/output path "\.\.\/escape\.txt" is not a plain relative path/);
    expect(existsSync(join(tmp, 'escape.txt'))).toBe(false);
    expect(existsSync(join(tmp, 'evil'))).toBe(false);
  });
});
