/*
 * hls4ml configuration files read as they are: what hls4ml's config_from_* functions return (Model with a role
 * map whose `default` is the data type, BramFactor and TraceOutput at their defaults, LayerName entries with Trace
 * and 'auto' precisions), hls4ml layer class names in LayerType, and whole hls4ml YAML files (OutputDir,
 * ProjectName, Backend, Part, ClockPeriod, IOType, HLSConfig).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from 'firmflow';
import { graphInfo, hlsOf, readLoweredGraph } from '../../../backends/vitis/lowered.js';
import { lower, useVitis } from '../helpers.js';
import { fx, message, node } from './helpers.js';

const JET = join(resolve(__dirname, '../../../models'), 'jet_tagger.onnx');
const byOp = (p: { graph: { nodes: Map<string, { op: string }> } }, op: string) => [...p.graph.nodes.values()].filter((n) => n.op === op) as never[];

function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-hls4ml-config-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

/** config_from_onnx_model(model) with the defaults (granularity 'model'), as hls4ml returns it. */
const MODEL_GRANULARITY = {
  Model: { Precision: { default: 'ap_fixed<16,6>' }, ReuseFactor: 1, Strategy: 'Latency', BramFactor: 1_000_000_000, TraceOutput: false },
};

describe('hls4ml config_from_* output', () => {
  it("granularity 'model': Precision.default is the data type, hls4ml's default keys are accepted", async () => {
    const p = await lower(JET, { config: MODEL_GRANULARITY });
    expect(graphInfo(p.graph).defaultPrecision).toBe('fixed<16,6>');
    const fc1 = hlsOf(node(p, '/fc1/Gemm'));
    expect([fc1.types['weight'], fc1.types['bias'], fc1.types['result']]).toEqual([fx(true, 16, 6), fx(true, 16, 6), fx(true, 16, 6)]);
    expect([fc1.reuseFactor, fc1.strategy]).toEqual([1, 'latency']);
    // The same as the plain string form.
    const q = await lower(JET, { config: { Model: { Precision: 'ap_fixed<16,6>', ReuseFactor: 1 } } });
    expect(hlsOf(node(q, '/fc1/Gemm')).types).toEqual(fc1.types);
  });

  it("Precision.default under other roles: the roles named win over it", async () => {
    const p = await lower(JET, { config: { Model: { Precision: { default: 'fixed<12,4>', weight: 'fixed<8,2>', accum_t: 'fixed<32,12>' } } } });
    const fc2 = hlsOf(node(p, '/fc2/Gemm'));
    expect(fc2.types['weight']).toEqual(fx(true, 8, 2));
    expect(fc2.types['bias']).toEqual(fx(true, 12, 4));
    expect(fc2.types['accum']).toEqual(fx(true, 32, 12)); // hls4ml's attribute name accum_t read as accum
  });

  it("granularity 'name': every layer with Trace: false and 'auto' precisions", async () => {
    const config = {
      ...MODEL_GRANULARITY,
      LayerName: {
        x: { Trace: false, Precision: { result: 'auto' } },
        '/fc1/Gemm': { Trace: false, Precision: { result: 'auto', weight: 'fixed<8,3>', bias: 'auto', accum: 'auto' }, ReuseFactor: 4 },
        '/relu1/Relu': { Trace: false, Precision: { result: 'ufixed<10,4,RND,SAT>' }, ReuseFactor: 1 },
        '/Softmax': { Trace: false, Precision: { exp_table: 'auto', inv_table: 'auto', accum: 'auto', inv_inp: 'auto' }, Implementation: 'stable', TableSize: 1024, Skip: false },
      },
    };
    const p = await lower(JET, { config });
    const fc1 = hlsOf(node(p, '/fc1/Gemm'));
    expect(fc1.reuseFactor).toBe(4);
    expect(fc1.types['weight']).toEqual(fx(true, 8, 3));
    expect(fc1.types['result']).toEqual(fc1.types['accum']); // 'auto': exact
    expect(readLoweredGraph(p.graph).inputs[0].precision).toEqual(fx(true, 16, 6)); // input 'auto': the data type
    expect(hlsOf(node(p, '/relu1/Relu')).types['result']).toEqual(fx(false, 10, 4, 'RND', 'SAT'));
    expect(hlsOf(node(p, '/Softmax')).tables?.['exp_table']?.size).toBe(1024);
  });

  it("granularity 'type': hls4ml layer classes (Dense, Activation, Softmax) cover firmflow's ops", async () => {
    const p = await lower(JET, {
      config: {
        ...MODEL_GRANULARITY,
        LayerType: {
          Dense: { Precision: { weight: 'fixed<6,1>' }, ReuseFactor: 2, Strategy: 'Resource' },
          Activation: { Precision: { result: 'ufixed<12,5>' } },
          Softmax: { Implementation: 'argmax' },
        },
      },
    });
    for (const n of byOp(p, 'Dense')) expect([hlsOf(n).reuseFactor, hlsOf(n).strategy, hlsOf(n).types['weight']]).toEqual([2, 'resource', fx(true, 6, 1)]);
    for (const n of byOp(p, 'Relu')) expect(hlsOf(n).types['result']).toEqual(fx(false, 12, 5));
    expect(hlsOf(node(p, '/Softmax')).kernel).toMatch(/argmax/);
  });

  it('an op named itself wins over the hls4ml class that covers it', async () => {
    const p = await lower(JET, { config: { LayerType: { Relu: { Precision: 'ufixed<8,3>' }, Activation: { Precision: 'ufixed<12,5>' } } } });
    for (const n of byOp(p, 'Relu')) expect(hlsOf(n).types['result']).toEqual(fx(false, 8, 3));
  });
});

describe('whole hls4ml YAML files', () => {
  const YAML_FILE = [
    'OutputDir: my-hls-test',
    'ProjectName: myproject',
    'Backend: Vivado',
    'Part: xcvu9p-flga2104-2-e',
    'ClockPeriod: 4',
    'IOType: io_stream',
    'HLSConfig:',
    '  Model:',
    '    Precision: ap_fixed<14,5>',
    '    ReuseFactor: 2',
    '    Strategy: Resource',
    '  LayerType:',
    '    Dense:',
    '      ReuseFactor: 4',
    '  LayerName:',
    '    /fc4/Gemm:',
    '      Precision:',
    '        result: ap_fixed<20,8>',
    '',
  ].join('\n');

  it('reads the project keys as options and HLSConfig as the sections', async () => {
    await useVitis();
    const p = await convert(JET, { config: file('hls4ml.yml', YAML_FILE) });
    expect(p.backend.name).toBe('Vivado');
    expect([p.options.outputDir, p.projectName, p.options['part'], p.options['clockPeriod'], p.options['io']]).toEqual(['my-hls-test', 'myproject', 'xcvu9p-flga2104-2-e', 4, 'stream']);
    expect(graphInfo(p.graph).io).toBe('io_stream');
    expect(graphInfo(p.graph).defaultPrecision).toBe('fixed<14,5>');
    expect([hlsOf(node(p, '/fc1/Gemm')).reuseFactor, hlsOf(node(p, '/fc1/Gemm')).strategy]).toEqual([4, 'resource']);
    expect(hlsOf(node(p, '/fc4/Gemm')).types['result']).toEqual(fx(true, 20, 8));
  });

  it('command-line options still win over the file', async () => {
    await useVitis();
    const p = await convert(JET, { config: file('hls4ml.yml', YAML_FILE), backend: 'Vitis', io: 'parallel' });
    expect([p.backend.name, graphInfo(p.graph).io]).toEqual(['Vitis', 'io_parallel']);
  });

  it('refuses every hls4ml key firmflow does not implement, by name, with what to do', async () => {
    await useVitis();
    const f = file('full.yml', `KerasJson: model.json\nKerasH5: model.h5\nInputData: x.npy\nBackend: Vitis\nHLSConfig:\n  Model:\n    Precision: ap_fixed<16,6>\n  Flows: []\n`);
    const msg = await message(convert(JET, { config: f }));
    expect(msg).toBe(`config file ${f}: hls4ml keys not implemented by firmflow: 'KerasJson' (firmflow converts ONNX models: give the model as the command argument); `
      + `'KerasH5' (firmflow converts ONNX models: give the model as the command argument); 'InputData' (use firmflow bench/predict with the inputs); `
      + `'HLSConfig.Flows' (firmflow runs its backend flows (firmflow flows lists them))`);
  });

  it('hls4ml keys away from their defaults are refused inside the sections too', async () => {
    expect(await message(lower(JET, { config: { Model: { Precision: 'fixed<16,6>', BramFactor: 1024 } } })))
      .toBe("config Model.BramFactor: hls4ml's 'BramFactor' is not implemented by firmflow (firmflow places weights itself)");
    expect(await message(lower(JET, { config: { LayerName: { '/fc1/Gemm': { Trace: true } } } })))
      .toBe("config LayerName./fc1/Gemm.Trace: hls4ml's 'Trace' is not implemented by firmflow (use firmflow trace <project>)");
    expect(await message(lower(JET, { config: { Model: { Precision: { default: 'fixed<16,6>', maximum: 'fixed<24,8>' } } } })))
      .toMatch(/^config Model\.Precision\.maximum: hls4ml's maximum precision is not implemented by firmflow/);
    expect(await message(lower(JET, { config: { LayerType: { GarNet: { ReuseFactor: 2 } } } })))
      .toMatch(/^config LayerType\.GarNet: 'GarNet' is not an op type \(known: .*; hls4ml layer types: Dense, QDense/);
    // A file of an older `firmflow precision -o` says how to rewrite it.
    expect(await message(lower(JET, { config: { precision: { model: { default: 'fixed<16,6>' } } } })))
      .toMatch(/^config: option 'precision' must be a precision string such as 'fixed<16,6>'; .*firmflow precision <model> --config <old file> -o <new file>/);
    expect(await message(lower(JET, { config: { Model: { Precision: 'fixed<16,6>' }, HLSConfig: { Model: { ReuseFactor: 2 } } } })))
      .toBe("config: option 'Model' is given twice (as 'HLSConfig.Model')");
  });
});
