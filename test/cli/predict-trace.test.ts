import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlp, uniform } from '../../bench/vitis-models.js';
import { run } from '../../src/cli/main.js';
import { capture } from '../bench/helpers.js';

/* `firmflow predict --trace` on a written Vitis project prints the trace table, as it does for AIE projects. */
const tmp = mkdtempSync(join(tmpdir(), 'ff-vtrace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('firmflow predict --trace on a written Vitis project', () => {
  it('prints the per-layer table (not the raw report) and names every layer', async () => {
    const model = mlp([16, 32, 32, 5], 3);
    const modelPath = join(tmp, 'mlp.onnx');
    writeFileSync(modelPath, model.bytes);
    const dir = join(tmp, 'prj');
    const c1 = capture();
    expect(await run(['node', 'firmflow', 'convert', modelPath, '-b', 'Vitis', '-o', dir], c1.io), c1.err()).toBe(0);
    const input = join(tmp, 'x.json');
    writeFileSync(input, JSON.stringify({ x: { dtype: 'float32', shape: [4, 16], data: Array.from(uniform(64, 5, 2.5)) } }));
    const c = capture();
    expect(await run(['node', 'firmflow', 'predict', dir, '--trace', '--emulate', '-i', input, '-o', join(tmp, 'y.json')], c.io), c.err()).toBe(0);
    const err = c.err();
    expect(err).toMatch(/#\s+layer\s+op\s+type\s+max\|err\|\s+mean\|err\|\s+bound\s+err\/bound\s+overflows/);
    for (const name of ['fc0', 'relu0', 'fc1', 'relu1', 'fc2', 'softmax']) expect(err).toContain(name);
    expect(err).toContain('4 samples;');
    expect(err).toContain("Every layer's error is explained by its precision.");
    expect(err).not.toContain('"layers"');
  });
});
