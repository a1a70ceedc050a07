import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, SHARED_MODELS } from '../helpers/shared-models.js';
import { REPO } from '../fixtures/project.js';
import { ensureBuilt } from './build.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-precision-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin/firmflow.js'), ...args], { encoding: 'utf8' });

describe.skipIf(!HAVE_SHARED)('firmflow precision (CLI)', () => {
  it('calibrates the jet tagger to a 1e-2 output error, prints per-layer widths and writes a config', () => {
    const calib = join(dir, 'calib.json');
    writeFileSync(calib, readFileSync(join(SHARED_MODELS, 'jet_tagger_mlp.inputs.json')));
    const out = join(dir, 'prec.yaml');
    const r = cli(['precision', join(SHARED_MODELS, 'jet_tagger_mlp.onnx'), '--calibrate', calib, '--target-error', '1e-2', '-o', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.calibration.error).toBeLessThanOrEqual(1e-2);
    expect(rep.calibration.met).toBe(true);
    const gemms = rep.layers.filter((l: { op: string }) => l.op === 'Gemm');
    expect(gemms).toHaveLength(4);
    const written = YAML.parse(readFileSync(out, 'utf8'));
    for (const l of gemms) expect(written.LayerName[l.layer].Precision.result).toMatch(/^fixed<\d+,-?\d+/);
    // The file is a configuration convert reads (hls4ml's sections): the chosen types reach the generated code.
    const prj = join(dir, 'prj');
    const c = cli(['convert', join(SHARED_MODELS, 'jet_tagger_mlp.onnx'), '-b', 'Vitis', '-c', out, '-o', prj]);
    expect(c.status, c.stderr).toBe(0);
    const defines = readFileSync(join(prj, 'firmware', 'defines.h'), 'utf8');
    const ap = (t: string) => t.replace(/^fixed<(\d+),(-?\d+),(\w+),(\w+)>$/, 'ap_fixed<$1,$2,AP_$3,AP_$4>');
    const fc1 = written.LayerName['/fc1/Gemm'].Precision;
    expect(defines).toContain(`typedef ${ap(fc1.result)} tp_fc1_Gemm_output_0;`);
    expect(defines).toContain(`typedef ${ap(fc1.weight)} tp_fc1_Gemm_W;`);
  });

  it('refuses --target-error without calibration inputs (exit 1, no stack trace)', () => {
    const r = cli(['precision', join(SHARED_MODELS, 'jet_tagger_mlp.onnx'), '--target-error', '1e-2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--target-error needs --calibrate/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
