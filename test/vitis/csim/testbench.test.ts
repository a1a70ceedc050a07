import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, isFirmflowError, ModelBuilder, runCli as run } from 'firmflow';
import { useVitisFull } from '../helpers.js';
import { numbers } from '../models.js';

/*
 * Testbench data (tb_data/): option testbench=<inputs.json> (shared-models layout) makes the writer put the inputs
 * and the emulator's expected outputs into tb_data/ in the testbench's layout; the testbench (compiled here with g++
 * against our ap_types, as Vitis' csim compiles it against the vendor's) simulates them, writes csim_results.log
 * and passes only when every output equals the expected one.
 */
function model(): Uint8Array {
  // NCHW in and out: the firmware ports are channels-last, so the files must be permuted.
  const m = new ModelBuilder();
  m.input('img', 'float32', ['N', 2, 5, 4]);
  m.initializer('w', numbers(3 * 2 * 9, 51, 0.5), [3, 2, 3, 3]).initializer('b', numbers(3, 52, 0.1), [3]);
  m.node('Conv', ['img', 'w', 'b'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  m.node('Sigmoid', ['c'], ['y'], {}, { name: 'sig' });
  m.output('y', 'float32', ['N', 3, 5, 4]);
  return m.toBytes();
}

function capture(): { io: { out(t: string): void; err(t: string): void; isTTY: boolean }; err: () => string } {
  let e = '';
  return { io: { out: () => {}, err: (t) => { e += t; }, isTTY: false }, err: () => e };
}

const rows = (text: string): number[][] => text.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));

describe('C-simulation testbench data', () => {
  it('writes tb_data from -O testbench=inputs.json; the g++-built testbench passes, then fails on a wrong value', async () => {
    await useVitisFull();
    const tmp = mkdtempSync(join(tmpdir(), 'firmflow-tb-'));
    const S = 3;
    const x = Float32Array.from(numbers(S * 40, 53, 3));
    const inputs = join(tmp, 'inputs.json');
    writeFileSync(inputs, JSON.stringify({ img: { dtype: 'float32', shape: [S, 2, 5, 4], data: Array.from(x) } }));
    const modelFile = join(tmp, 'm.onnx');
    writeFileSync(modelFile, model());
    const dir = join(tmp, 'prj');
    const c = capture();
    const code = await run(['node', 'firmflow', 'convert', modelFile, '-b', 'Vitis', '--io', 'stream', '--project-name', 'tb', '-o', dir, '-O', `testbench=${inputs}`], c.io);
    expect(c.err()).not.toMatch(/error/i);
    expect(code).toBe(0);

    const tbIn = rows(readFileSync(join(dir, 'tb_data', 'tb_input_features.dat'), 'utf8'));
    const tbOut = rows(readFileSync(join(dir, 'tb_data', 'tb_output_predictions.dat'), 'utf8'));
    expect(tbIn).toHaveLength(S);
    expect(tbOut).toHaveLength(S);
    expect(tbIn[0]).toHaveLength(40);
    expect(tbOut[0]).toHaveLength(60);
    // Firmware layout: value (h, w, c) of sample 1 is model value (c, h, w).
    for (const [h, w, ch] of [[0, 0, 1], [2, 3, 0], [4, 1, 1]]) expect(tbIn[1][(h * 4 + w) * 2 + ch]).toBe(x[40 + ch * 20 + h * 4 + w]);
    // Expected outputs: the emulator's, in the firmware layout.
    const project = await convert(model(), { backend: 'Vitis', io: 'stream' });
    const emu = (project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)({ img: { shape: [S, 2, 5, 4], data: x } })['y'].data;
    for (const [h, w, ch] of [[0, 0, 2], [3, 2, 1], [4, 3, 0]]) expect(tbOut[2][(h * 4 + w) * 3 + ch]).toBe(emu[2 * 60 + ch * 20 + h * 4 + w]);
    expect(JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8')).testbench.samples).toBe(S);

    // Build the testbench as the vendor's csim would (firmware + testbench, weights from the synthesis headers).
    const cc = spawnSync(process.env['CXX'] ?? 'g++', ['-std=c++14', '-O1', '-Wall', '-Wextra', '-Ifirmware/ap_types', 'tb_test.cpp', 'firmware/tb.cpp', '-o', 'csim'], { cwd: dir, encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const ok = spawnSync(join(dir, 'csim'), { cwd: dir, encoding: 'utf8' });
    expect(ok.stdout).toMatch(/PASS: 3 of 3 samples/);
    expect(ok.status).toBe(0);
    expect(rows(readFileSync(join(dir, 'tb_data', 'csim_results.log'), 'utf8'))).toEqual(tbOut);

    // One wrong expected value: the testbench names it and fails.
    const bad = tbOut.map((r) => [...r]);
    bad[1][7] += 2 ** -10;
    writeFileSync(join(dir, 'tb_data', 'tb_output_predictions.dat'), `${bad.map((r) => r.join(' ')).join('\n')}\n`);
    const ko = spawnSync(join(dir, 'csim'), { cwd: dir, encoding: 'utf8' });
    expect(ko.status).toBe(1);
    expect(ko.stdout).toMatch(/FAIL: 2 of 3 samples .*\(1 values differ\)/);
    expect(ko.stderr).toMatch(/sample 1, output value 7/);
  }, 180_000);

  it('refuses a bad testbench file before writing anything', async () => {
    await useVitisFull();
    const tmp = mkdtempSync(join(tmpdir(), 'firmflow-tb-bad-'));
    const cases: [unknown, RegExp][] = [
      [join(tmp, 'missing.json'), /cannot read it \(ENOENT\)/],
      [{ image: { data: [1] } }, /unknown input 'image'/],
      [{ img: { shape: [1, 7], data: [1, 2, 3, 4, 5, 6, 7] } }, /7 values, not a whole number of samples of 40/],
    ];
    for (const [tb, msg] of cases) {
      const dir = join(tmp, 'prj');
      let err: unknown;
      try {
        const p = await convert(model(), { backend: 'Vitis', testbench: tb } as never);
        await p.write(dir);
      } catch (e) { err = e; }
      expect(isFirmflowError(err)).toBe(true);
      expect((err as Error).message).toMatch(msg);
      expect(existsSync(dir)).toBe(false);
    }
  });
});
