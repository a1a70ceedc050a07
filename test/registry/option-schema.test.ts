import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import {
  convert, optionFlag, registerBackend, registerWriter, resetPlugins, resetRegistry, sectionSpecOf, validateOption, type OptionSpec, type ResolvedOptions,
} from '../../src/index.js';
import { smallModelBytes } from '../fixtures/models.js';

/*
 * Backend option schemas: what a backend declares is validated by the core (messages name the option and its origin)
 * and becomes command-line flags with help lines, for a third-party backend exactly as for the built-in ones.
 */

const tmp = mkdtempSync(join(tmpdir(), 'firmflow-schema-'));
const model = join(tmp, 'small.onnx');
writeFileSync(model, smallModelBytes());
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => resetRegistry());

/** A third-party backend's options: one of each type. */
const TOY_OPTIONS: OptionSpec[] = [
  { name: 'tiles', type: 'positiveInt', default: 8, description: 'compute tiles to use', perLayer: true, summary: true },
  { name: 'offset', type: 'int', description: 'an offset' },
  { name: 'gain', type: 'number', description: 'a gain' },
  { name: 'clock', type: 'positiveNumber', unit: 'megahertz', flag: '--clock-mhz <f>', description: 'clock frequency' },
  { name: 'target', type: 'string', description: 'target device' },
  { name: 'mode', type: 'enum', choices: ['fast', 'Small'], default: 'fast', description: 'optimization goal' },
  { name: 'pipelined', type: 'boolean', description: 'pipeline every layer' },
  { name: 'accum', type: 'precision', description: 'accumulator type' },
  { name: 'even', type: 'positiveInt', check: (v) => ((v as number) % 2 === 0 ? undefined : `must be even, got ${String(v)}`), description: 'an even count' },
  { name: 'sections', type: 'object', description: 'free-form settings the backend checks' },
];

let written: ResolvedOptions | undefined;

function toy(options: OptionSpec[] = TOY_OPTIONS): void {
  resetRegistry();
  const proj = join(tmp, 'proj');
  mkdirSync(proj, { recursive: true });
  resetPlugins({ cwd: proj, envPlugins: '' });
  registerBackend('Toy', { flows: ['optimize'], options });
  registerWriter('Toy', { write: (ctx) => { written = ctx.options as ResolvedOptions; ctx.files.text('ok.txt', 'ok\n'); } });
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

function fakeIo(): Io & { o: string; e: string } {
  const io = { o: '', e: '', isTTY: false, out: (t: string) => { io.o += t; }, err: (t: string) => { io.e += t; } };
  return io;
}

describe('validating options against a backend schema', () => {
  it('fills in defaults in schema order and stores values in their declared form', async () => {
    toy();
    const p = await convert(model, { backend: 'Toy', mode: 'SMALL', accum: ' fixed<24,12> ', clock: 250, pipelined: true, sections: { a: 1 } });
    expect(Object.keys(p.options).slice(0, 3)).toEqual(['backend', 'tiles', 'mode']);
    expect(p.options).toMatchObject({ tiles: 8, mode: 'Small', accum: 'fixed<24,12>', clock: 250, pipelined: true, sections: { a: 1 } });
    // A backend without the option knows nothing of it: no FPGA default leaks into another backend's options.
    expect(p.options['reuseFactor']).toBeUndefined();
  });

  it('refuses a bad value with a message naming the option and, for a config, the file', async () => {
    toy();
    const cases: [Record<string, unknown>, string][] = [
      [{ tiles: 0 }, "option 'tiles' must be a positive integer, got 0"],
      [{ tiles: 2.5 }, "option 'tiles' must be a positive integer, got 2.5"],
      [{ offset: '3' }, 'option \'offset\' must be an integer, got "3"'],
      [{ gain: Infinity }, "option 'gain' must be a number, got null"],
      [{ clock: -1 }, "option 'clock' must be a positive number of megahertz, got -1"],
      [{ target: '  ' }, 'option \'target\' must be a non-empty string, got "  "'],
      [{ mode: 'slow' }, 'option \'mode\' must be one of fast, Small, got "slow"'],
      [{ pipelined: 'yes' }, 'option \'pipelined\' must be true or false, got "yes"'],
      [{ accum: 'fixed<16>' }, "option 'accum' has a bad value: 'fixed<16>' needs 2 to 5 arguments: W, I[, rounding[, overflow[, saturation bits]]]"],
      [{ even: 3 }, "option 'even' must be even, got 3"],
      [{ layers: { relu_1: { tiles: 0 } } }, "option 'layers.relu_1.tiles' must be a positive integer, got 0"],
      [{ layers: { relu_1: { mode: 'fast' } } }, "option 'layers.relu_1.mode' is not a per-layer option (known: precision, tiles)"],
    ];
    for (const [opts, msg] of cases) expect(await message(convert(model, { backend: 'Toy', ...opts }))).toBe(msg);
    const cfg = join(tmp, 'toy.yaml');
    writeFileSync(cfg, 'backend: Toy\ntiles: many\n');
    expect(await message(convert(model, { config: cfg }))).toBe(`config file ${cfg}: option 'tiles' must be a positive integer, got "many"`);
    // An explicit option wins over the config's (and is the one checked).
    expect((await convert(model, { config: cfg, tiles: 4 })).options['tiles']).toBe(4);
    expect(await message(convert(model, { backend: 'Toy', reuseFactor: 2 }))).toMatch(/^unknown option 'reuseFactor' for backend 'Toy' \(known: backend, .*layers, tiles, offset, gain, clock, target, mode, pipelined, accum, even, sections\)$/);
  });

  it('validateOption is the same check for hosts that validate before converting', () => {
    const tiles = TOY_OPTIONS[0];
    expect(validateOption(tiles, 3, 'tiles', '')).toBe(3);
    expect(() => validateOption(tiles, 0, 'aie.tiles', 'config file c.yaml: ')).toThrow("config file c.yaml: option 'aie.tiles' must be a positive integer, got 0");
  });

  it('refuses a malformed schema when the backend registers, naming the backend and the option', () => {
    const bad: [unknown, RegExp][] = [
      [[{ name: 'x', type: 'float', description: '' }], /backend 'Toy' from user code: option 'x' has an unknown type "float"/],
      [[{ name: 'x', type: 'enum', description: '' }], /option 'x' is an enum without choices/],
      [[{ name: 'x', type: 'positiveInt', default: 0, description: '' }], /option 'x': its default must be a positive integer, got 0/],
      [[{ name: 'x', type: 'string', flag: '-x', description: '' }], /option 'x': flag '-x' is not of the form --name <value>/],
      [[{ name: 'x', type: 'int', description: '' }, { name: 'x', type: 'int', description: '' }], /option 'x' is declared twice/],
      [[{ name: 'precision', type: 'precision', description: '' }], /option 'precision' is one of the core's options \(backend, outputDir/],
      [[{ name: 'x', type: 'int', configKeys: 'X', description: '' }], /option 'x': configKeys must be a list of key names/],
      [[{ name: 'x', type: 'enum', choices: ['a'], choiceAliases: { A1: 'b' }, description: '' }], /option 'x': choiceAliases must map other spellings to its choices \(a\)/],
      [[{ name: 'x', type: 'int', section: { key: 'X', scope: 'graph' }, description: '' }], /option 'x': section must be \{ key: 'SectionKey', scope: 'model' \| 'layer' \}/],
    ];
    for (const [options, msg] of bad) {
      resetRegistry();
      expect(() => registerBackend('Toy', { flows: ['optimize'], options: options as OptionSpec[] })).toThrow(msg);
    }
  });
});

describe("config files' other spellings (hls4ml's)", () => {
  it('configKeys name an option in config files, choiceAliases spell its choices; explicit options still win', async () => {
    toy([
      { name: 'mode', type: 'enum', choices: ['fast', 'small'], choiceAliases: { opt_fast: 'fast', opt_small: 'small' }, configKeys: ['Mode'], default: 'fast', description: 'goal' },
      { name: 'tiles', type: 'positiveInt', configKeys: ['Tiles'], description: 'tiles' },
    ]);
    const cfg = join(tmp, 'spelled.yml');
    writeFileSync(cfg, 'Backend: Toy\nProjectName: spelled\nOutputDir: out-dir\nMode: opt_small\nTiles: 3\n');
    const p = await convert(model, { config: cfg });
    expect([p.options['mode'], p.options['tiles'], p.projectName, p.options.outputDir]).toEqual(['small', 3, 'spelled', 'out-dir']);
    expect((await convert(model, { config: cfg, mode: 'opt_fast' })).options['mode']).toBe('fast');
    writeFileSync(cfg, 'Backend: Toy\nMode: fast\nmode: small\n');
    expect(await message(convert(model, { config: cfg }))).toBe(`config file ${cfg}: option 'mode' is given twice (as 'mode')`);
  });

  it('sectionSpecOf: the section keys of a schema, per scope, with the backend\'s extra keys', () => {
    const spec = sectionSpecOf([
      { name: 'tiles', type: 'positiveInt', section: { key: 'Tiles', scope: 'layer' }, description: '' },
      { name: 'device', type: 'string', section: { key: 'Device', scope: 'model' }, description: '' },
      { name: 'plain', type: 'int', description: '' },
    ], ['weight', 'result'], { layer: ['Kernel'] });
    expect(spec).toEqual({ roles: ['weight', 'result'], layerKeys: ['Tiles', 'Kernel'], modelKeys: ['Tiles', 'Device'] });
  });
});

describe('the methods of a converted project', () => {
  it('are those the backend implements; the others throw an error naming the backend and the method', async () => {
    toy();
    registerBackend('Emu', { flows: ['optimize'], extendProject: (p) => { p.emulate = (inputs) => inputs; } });
    registerWriter('Emu', { write: () => {} });
    const p = await convert(model, { backend: 'Emu' });
    expect(['compile', 'predict', 'emulate', 'trace', 'estimate', 'report'].filter((m) => p.provides(m as never))).toEqual(['emulate']);
    const x = { x: { shape: [1, 4], data: [1, 2, 3, 4] } };
    expect(await p.emulate(x)).toBe(x);
    await expect(p.compile()).rejects.toThrow("backend 'Emu' does not implement compile() for a converted project");
    await expect(p.estimate()).rejects.toThrow("backend 'Emu' does not implement estimate() for a converted project");
  });
});

describe('command-line flags from a backend schema', () => {
  it('derives flag spellings from the option names unless declared', () => {
    expect(TOY_OPTIONS.map(optionFlag)).toEqual([
      '--tiles <n>', '--offset <n>', '--gain <n>', '--clock-mhz <f>', '--target <value>', '--mode <value>', '--pipelined', '--accum <type>', '--even <n>', undefined,
    ]);
  });

  it("a third-party backend's options become flags and help lines of convert, typed and checked", async () => {
    toy();
    const help = fakeIo();
    expect(await run(['node', 'firmflow', 'convert', '-b', 'Toy', '--help'], help)).toBe(0);
    expect(help.o).toMatch(/--tiles <n>\s+compute tiles to use\n/);
    expect(help.o).toMatch(/--mode <value>\s+optimization goal \(choices: "fast", "Small"\)/);
    expect(help.o).toMatch(/--clock-mhz <f>\s+clock frequency/);
    expect(help.o).not.toMatch(/--sections/);
    expect(help.o).toMatch(/\nOptions of backend Toy without a flag \(-O name=value, or a config file\):\n  sections  free-form settings the backend checks\n/);
    expect(help.o).not.toMatch(/--reuse-factor/);

    const bad = fakeIo();
    expect(await run(['node', 'firmflow', 'convert', model, '-b', 'Toy', '-o', join(tmp, 'never'), '--tiles', '0'], bad)).toBe(1);
    expect(bad.e).toBe("error: option '--tiles <n>' argument '0' is invalid. must be a positive integer.\n");
    const badClock = fakeIo();
    expect(await run(['node', 'firmflow', 'convert', model, '-b', 'Toy', '-o', join(tmp, 'never'), '--clock-mhz', 'x'], badClock)).toBe(1);
    expect(badClock.e).toBe("error: option '--clock-mhz <f>' argument 'x' is invalid. must be a positive number (megahertz).\n");

    const ok = fakeIo();
    written = undefined;
    const out = join(tmp, 'toy-out');
    expect(await run(['node', 'firmflow', 'convert', model, '-b', 'Toy', '-o', out, '--tiles', '3', '--mode', 'Small', '--pipelined', '--clock-mhz', '312.5', '-f'], ok)).toBe(0);
    expect(written).toMatchObject({ tiles: 3, mode: 'Small', pipelined: true, clock: 312.5 });
  });

  it('without a backend, --help lists the flags of every backend, each marked with its backends', async () => {
    toy();
    registerBackend('Toy2', { flows: ['optimize'], options: [TOY_OPTIONS[0], { name: 'lanes', type: 'positiveInt', description: 'vector lanes' }] });
    const help = fakeIo();
    expect(await run(['node', 'firmflow', 'convert', '--help'], help)).toBe(0);
    expect(help.o).toMatch(/--tiles <n>\s+compute tiles to use \[Toy, Toy2\]\n/);
    expect(help.o).toMatch(/--lanes <n>\s+vector lanes \[Toy2\]\n/);
    expect(help.o).toMatch(/--mode <value>\s+optimization goal \[Toy\]/);
  });

  it("a sweep list flag of a backend's option parses a list of the option's type for the sweep", async () => {
    toy([{ ...TOY_OPTIONS[0], sweepFlag: '--tile-list <list>' }]);
    const help = fakeIo();
    expect(await run(['node', 'firmflow', 'sweep', '-b', 'Toy', '--help'], help)).toBe(0);
    expect(help.o).toMatch(/--tile-list <list>\s+compute tiles to use: a list separated by commas\s+\(the same as\s+--axis tiles=\.\.\.\) \[Toy\]/);
    // The option itself is swept, so it has no fixed-value flag on sweep.
    expect(help.o).not.toMatch(/--tiles <n>/);
    const bad = fakeIo();
    expect(await run(['node', 'firmflow', 'sweep', model, '-b', 'Toy', '--tile-list', '2,0'], bad)).toBe(1);
    expect(bad.e).toBe("error: option '--tile-list <list>' argument '2,0' is invalid. expected positive integers separated by commas; '0' must be a positive integer.\n");
    // A backend without a sweep hook says so (the values parsed, the flag known).
    const none = fakeIo();
    expect(await run(['node', 'firmflow', 'sweep', model, '-b', 'Toy', '--tile-list', '2,4'], none)).toBe(1);
    expect(none.e).toMatch(/^error: backend 'Toy' declares no design space to sweep/);
  });

  it("the backend named in the config file gives the flags when -b is absent", async () => {
    toy();
    const cfg = join(tmp, 'toy-flags.yaml');
    writeFileSync(cfg, 'backend: toy\n');
    const ok = fakeIo();
    written = undefined;
    expect(await run(['node', 'firmflow', 'convert', model, '-c', cfg, '-o', join(tmp, 'toy-cfg'), '--tiles', '5', '-f'], ok)).toBe(0);
    expect(written).toMatchObject({ tiles: 5 });
  });
});
