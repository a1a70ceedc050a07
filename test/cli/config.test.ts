/*
 * `firmflow config <model>`: the full editable configuration, which `convert -c` reads back to the same project
 * (every emitted file byte-identical to the default conversion, firmflow.json aside: it records the options given).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SHARED, SHARED_MODELS } from '../helpers/shared-models.js';
import { REPO } from '../fixtures/project.js';
import { ensureBuilt } from './build.js';

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-config-cmd-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[]) => spawnSync(process.execPath, [join(REPO, 'bin/firmflow.js'), ...args], { encoding: 'utf8' });
const JET = join(REPO, 'models/jet_tagger.onnx');
const CNN = join(REPO, 'models/small_cnn.onnx');

/** Hash of every file under a folder but the manifest. */
function hashes(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e !== 'firmflow.json') out[relative(root, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}

function roundTrip(model: string, tag: string, flags: string[], granularity: string): { defaults: Record<string, string>; fromConfig: Record<string, string>; config: Record<string, any> } {
  const cfg = join(dir, `${tag}.yaml`);
  const c = cli(['config', model, '--granularity', granularity, ...flags, '-o', cfg]);
  expect(c.status, c.stderr).toBe(0);
  const a = cli(['convert', model, '-b', 'Vitis', ...flags, '-o', join(dir, `${tag}-defaults`)]);
  expect(a.status, a.stderr).toBe(0);
  const b = cli(['convert', model, '-c', cfg, '-o', join(dir, `${tag}-config`)]);
  expect(b.status, b.stderr).toBe(0);
  return { defaults: hashes(join(dir, `${tag}-defaults`)), fromConfig: hashes(join(dir, `${tag}-config`)), config: YAML.parse(readFileSync(cfg, 'utf8')) };
}

describe('firmflow config', () => {
  it("granularity 'name': every layer explicit, read back to the same files (jet tagger: dense, softmax tables)", () => {
    const r = roundTrip(JET, 'jet-name', [], 'name');
    expect(Object.keys(r.defaults).length).toBeGreaterThan(30);
    expect(r.fromConfig).toEqual(r.defaults);
    const hls = r.config.HLSConfig;
    expect(r.config).toMatchObject({ Backend: 'Vitis', ProjectName: 'jet_tagger', ClockPeriod: 5, IOType: 'io_parallel' });
    expect(Object.keys(hls.LayerName)).toEqual(['x', '/fc1/Gemm', '/relu1/Relu', '/fc2/Gemm', '/relu2/Relu', '/fc3/Gemm', '/relu3/Relu', '/fc4/Gemm', '/Softmax']);
    expect(hls.LayerName['/fc1/Gemm']).toEqual({
      Precision: { weight: 'fixed<16,2,RND_CONV,SAT>', bias: 'fixed<16,0,RND_CONV,SAT>', accum: 'fixed<33,9>', result: 'fixed<16,6,RND_CONV,SAT>' },
      ReuseFactor: 1,
      Strategy: 'Latency',
    });
    expect(hls.LayerName['/Softmax']).toMatchObject({ Implementation: 'stable', TableSize: { exp_table: 1024, inv_table: 1024 } });
    expect(Object.keys(hls.LayerName['/Softmax'].Precision)).toEqual(['result', 'exp_table', 'inv_table', 'exp_sum']);
  });

  it('the options it was given are in the file: resource strategy, reuse 4, io_stream', () => {
    const r = roundTrip(JET, 'jet-stream', ['--io', 'stream', '--strategy', 'resource', '--reuse-factor', '4'], 'name');
    expect(r.fromConfig).toEqual(r.defaults);
    expect(r.config.IOType).toBe('io_stream');
    expect(r.config.HLSConfig.Model).toEqual({ ReuseFactor: 4, Strategy: 'Resource' });
    expect(r.config.HLSConfig.LayerName['/fc2/Gemm']).toMatchObject({ ReuseFactor: 4, Strategy: 'Resource' });
  });

  it("granularity 'type' and 'model' read back to the same files too (small CNN)", () => {
    const t = roundTrip(CNN, 'cnn-type', [], 'type');
    expect(t.fromConfig).toEqual(t.defaults);
    expect(Object.keys(t.config.HLSConfig.LayerType)).toContain('Conv');
    expect(t.config.HLSConfig.LayerName).toBeUndefined();
    const m = roundTrip(CNN, 'cnn-model', ['--precision', 'fixed<14,5>'], 'model');
    expect(m.fromConfig).toEqual(m.defaults);
    // No ReuseFactor at model level: none was given, so each layer's is chosen (the smallest valid one within the limits)
    expect(m.config.HLSConfig).toEqual({ Model: { Precision: 'fixed<14,5>', Strategy: 'Latency' } });
  });

  it.skipIf(!HAVE_SHARED)('an edited layer changes that layer only', () => {
    const model = join(SHARED_MODELS, 'mlp_bn.onnx');
    const cfg = join(dir, 'bn.yaml');
    expect(cli(['config', model, '-o', cfg]).status).toBe(0);
    const config = YAML.parse(readFileSync(cfg, 'utf8'));
    const [name, entry] = Object.entries<any>(config.HLSConfig.LayerName).find(([, e]) => e.Precision?.weight)!;
    entry.Precision.weight = 'fixed<8,3,RND_CONV,SAT>';
    const edited = join(dir, 'bn-edited.json');
    writeFileSync(edited, JSON.stringify(config));
    const r = cli(['convert', model, '-c', edited, '-o', join(dir, 'bn-edited')]);
    expect(r.status, r.stderr).toBe(0);
    const defines = readFileSync(join(dir, 'bn-edited', 'firmware', 'defines.h'), 'utf8');
    const id = name.replace(/^\//, '').replace(/\W+/g, '_');
    expect(defines).toMatch(new RegExp(`typedef ap_fixed<8,3,AP_RND_CONV,AP_SAT> tp_${id}_W\\w*;`));
    expect(defines.match(/ap_fixed<8,3,/g)).toHaveLength(1);
    expect(defines).toContain('typedef ap_fixed<16,0,AP_RND_CONV,AP_SAT> tp_fc2_Gemm_W;');
  });

  it('refuses a backend without configurations and a bad granularity', () => {
    const g = cli(['config', JET, '--granularity', 'layer']);
    expect(g.status).toBe(1);
    expect(g.stderr).toMatch(/--granularity.*must be 'model', 'type' or 'name'/);
    const a = cli(['config', JET, '-b', 'AIE']);
    expect(a.status).toBe(1);
    expect(a.stderr).toMatch(/backend 'AIE' does not write configurations/);
  });
});
