import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/bench/types.js';
import { run } from '../../src/cli/main.js';
import { REPO } from '../fixtures/project.js';
import { useVitisFull } from '../vitis/helpers.js';
import { capture, expectValid } from './helpers.js';

/*
 * `firmflow bench` on the bundled jet tagger for both FPGA backends, through the CLI: convert, write, compile, C
 * simulation, emulator, trace and onnxruntime on the same seeded inputs; then the written project folder again (its
 * build is reused), other references, given inputs and bad arguments. Every report is validated against the schema.
 */

const JET = join(REPO, 'models/jet_tagger.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'firmflow-bench-test-'));

async function benchCli(args: string[]): Promise<{ code: number; report: BenchReport; out: string; err: string }> {
  const file = join(tmp, `r${Math.random().toString(36).slice(2)}.json`);
  const c = capture();
  const code = await run(['node', 'firmflow', 'bench', ...args, '--json', file], c.io);
  if (code !== 0) throw new Error(`bench exited ${code}: ${c.err()}`);
  const report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  expectValid(report);
  return { code, report, out: c.out(), err: c.err() };
}

beforeAll(async () => { await useVitisFull(); });

describe.each(['Vitis', 'Vivado'])('firmflow bench on the jet tagger (%s)', (backend) => {
  const dir = join(tmp, `jet-${backend}`);
  let first: BenchReport;

  it('converts, compiles and runs every executor on the same inputs; the firmware is bit-exact and accurate', async () => {
    const r = await benchCli([JET, '-b', backend, '-n', '256', '--range=-4,4', '-o', dir]);
    first = r.report;
    const rep = r.report;
    expect(rep.schemaVersion).toBe('1.1');
    expect(rep.model).toMatchObject({ name: 'jet_tagger', backend, parameters: 4389, projectDir: dir });
    expect(rep.model.inputs).toEqual([{ name: 'x', shape: [16], precision: 'fixed<16,6,RND_CONV,SAT>' }]);
    expect(rep.settings).toMatchObject({ samples: 256, seed: 1, inputSource: 'random', ranges: [{ input: 'x', min: -4, max: 4 }] });
    // The options the backend's schema marks for reports, with the data precision the backend used by default (an
    // unset reuse factor is chosen per layer, and reported per layer in the estimates).
    expect(rep.settings.options).toEqual({ precision: 'fixed<16,6,RND_CONV,SAT>', strategy: 'latency', io: 'parallel', clockPeriod: 5 });
    expect(rep.reference.executor).toBe('onnxruntime');
    const y = rep.accuracy.outputs[0];
    expect(y).toMatchObject({ name: 'y', shape: [5], classifier: true, bitExact: { equal: true, mismatches: 0, maxAbsDifference: 0 } });
    // Bit-exact executors have identical errors; 10 fractional bits give a few LSBs (2^-10) at the softmax output.
    expect(y.csim!.maxAbsError).toBe(y.emulator!.maxAbsError);
    expect(y.emulator!.maxAbsError).toBeGreaterThan(0);
    expect(y.emulator!.maxAbsError).toBeLessThan(0.01);
    expect(y.emulator!.meanAbsError).toBeLessThan(1e-3);
    expect(y.emulator!.argmaxAgreement).toBeGreaterThanOrEqual(0.98);
    expect(rep.accuracy.summary).toMatchObject({ bitExact: true, csimMaxAbsError: y.csim!.maxAbsError, argmaxAgreement: y.emulator!.argmaxAgreement });
    const h = rep.accuracy.histogram!;
    expect(h.total).toBe(256 * 5);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(256 * 5);
    expect(h.edges[h.edges.length - 1]).toBeCloseTo(y.emulator!.maxAbsError, 12);
    // The graph: Dense/Relu x 3, Dense, Softmax, each fed by the previous layer; every layer traced and within its bound.
    expect(rep.layers.map((l) => l.op)).toEqual(['Dense', 'Relu', 'Dense', 'Relu', 'Dense', 'Relu', 'Dense', 'Softmax']);
    expect(rep.layers[0].from).toEqual(['input:x']);
    for (let i = 1; i < rep.layers.length; i++) expect(rep.layers[i].from).toEqual([rep.layers[i - 1].name]);
    expect(rep.trace).toMatchObject({ samples: 256, firstUnexplained: null, overflowed: [] });
    for (const l of rep.layers) {
      expect(l.trace!.exceeds).toBe(false);
      expect(l.trace!.maxAbsError!).toBeLessThanOrEqual(l.trace!.bound!);
    }
    // The last layer's traced error is the output's error against the float model.
    expect(rep.layers[7].trace!.maxAbsError).toBeCloseTo(y.emulator!.maxAbsError, 5);
    expect(rep.timings.compile).not.toBeNull();
    expect(rep.timings.csim!.samplesPerSecond).toBeGreaterThan(0);
    expect(rep.timings.emulator!.samplesPerSecond).toBeGreaterThan(0);
    expect(rep.estimates === null || rep.layers.every((l) => l.estimate !== null)).toBe(true);
    expect(r.out).toMatch(/accuracy against the reference/);
    expect(r.out).toMatch(/bit-exact/);
  });

  it('benches the written project folder: same inputs, same numbers, cached build', async () => {
    const r = await benchCli([dir, '-n', '256', '--range=-4,4', '--model', JET]);
    expect(r.report.timings.compile).toEqual({ ms: 0, cached: true });
    expect(r.report.timings.convertMs).toBeNull();
    expect(r.report.accuracy.outputs).toEqual(first.accuracy.outputs);
    // The trace's float model is the project's own graph as reopened (float32 constants): equal to float rounding.
    r.report.layers.forEach((l, i) => {
      expect(l.trace!.exceeds).toBe(false);
      expect(Math.abs(l.trace!.maxAbsError! - first.layers[i].trace!.maxAbsError!)).toBeLessThan(1e-5);
    });
  });

  it('the float interpreter as the reference agrees with onnxruntime to within 1e-5 (float32 rounding)', async () => {
    const r = await benchCli([dir, '-n', '256', '--range=-4,4', '--no-csim']);
    expect(r.report.reference.executor).toBe('interpreter');
    expect(r.report.reference.note).toMatch(/no ONNX model/);
    expect(r.report.accuracy.outputs[0].csim).toBeNull();
    expect(r.report.accuracy.outputs[0].bitExact).toBeNull();
    expect(r.report.timings.compile).toBeNull();
    expect(Math.abs(r.report.accuracy.outputs[0].emulator!.maxAbsError - first.accuracy.outputs[0].emulator!.maxAbsError)).toBeLessThan(1e-5);
  });
});

describe('firmflow bench arguments', () => {
  it('takes inputs from a file: the bundled samples', async () => {
    const r = await benchCli([JET, '-b', 'Vitis', '-i', join(REPO, 'models/jet_tagger.inputs.json'), '--no-csim']);
    expect(r.report.settings).toMatchObject({ samples: 16, seed: null, inputSource: 'file', ranges: [] });
    expect(r.report.model.projectDir).toBeNull();
    const y = r.report.accuracy.outputs[0];
    expect(y.emulator!.argmaxAgreement).toBe(1);
    expect(y.emulator!.maxAbsError).toBeLessThan(0.01);
  });

  it('random inputs by default span the input type, and saturation shows in the trace', async () => {
    const r = await benchCli([JET, '-b', 'Vitis', '-n', '64', '--no-csim', '--seed', '3']);
    expect(r.report.settings.ranges).toEqual([{ input: 'x', min: -32, max: 32 - 2 ** -10 }]);
    expect(r.report.trace!.firstUnexplained).toBe('/fc1/Gemm');
    expect(r.report.trace!.overflowed[0]).toMatchObject({ layer: '/fc1/Gemm', kind: 'saturated' });
    expect(r.report.trace!.overflowed[0].count).toBeGreaterThan(0);
  });

  it('refuses bad targets and options with a message, exit 1', async () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    writeFileSync(join(tmp, 'x.json'), JSON.stringify({ nope: { dtype: 'float32', shape: [1, 16], data: new Array(16).fill(0) } }));
    const cases: [string[], RegExp][] = [
      [[join(tmp, 'missing.onnx'), '-b', 'Vitis'], /no such model file or project folder/],
      [[empty], /not a firmflow project/],
      [[join(tmp, 'jet-Vitis'), '--precision', 'fixed<8,3>'], /conversion options \(precision\) apply to a model only/],
      // The folder's backend (its firmflow.json) gives the flags, so its options are known and refused the same way.
      [[join(tmp, 'jet-Vitis'), '--reuse-factor', '2'], /conversion options \(reuseFactor\) apply to a model only/],
      [[JET, '-b', 'Vitis', '-i', join(tmp, 'x.json')], /not an input of the model|no value for input 'x'/],
      [[JET, '-b', 'Vitis', '--range', '3,1'], /LO < HI/],
    ];
    for (const [args, msg] of cases) {
      const c = capture();
      expect(await run(['node', 'firmflow', 'bench', ...args], c.io), args.join(' ')).toBe(1);
      expect(c.err()).toMatch(msg);
      expect(c.err()).not.toMatch(/\n\s+at /);
    }
  });
});
