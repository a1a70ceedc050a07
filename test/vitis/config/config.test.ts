import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hlsOf, graphInfo, readLoweredGraph } from '../../../backends/vitis/lowered.js';
import { parsePrecisionString } from '../../../backends/vitis/config.js';
import { lower } from '../helpers.js';
import { mlp } from '../models.js';
import { fx, message, node } from './helpers.js';

const JET = join(resolve(__dirname, '../../../models'), 'jet_tagger.onnx');

describe('configuration resolution', () => {
  it('LayerName > LayerType > Model > options > defaults', async () => {
    const p = await lower(JET, {
      reuseFactor: 2,
      strategy: 'resource',
      config: {
        Model: { ReuseFactor: 4 },
        LayerType: { Dense: { ReuseFactor: 8, Strategy: 'latency' } },
        LayerName: { '/fc2/Gemm': { ReuseFactor: 16, Strategy: 'resource' } },
      },
    });
    const fc1 = hlsOf(node(p, '/fc1/Gemm')), fc2 = hlsOf(node(p, '/fc2/Gemm'));
    expect([fc1.reuseFactor, fc1.strategy, fc1.kernel]).toEqual([8, 'latency', 'dense_latency']);
    expect([fc2.reuseFactor, fc2.strategy, fc2.kernel]).toEqual([16, 'resource', 'dense_resource']);
    // Model over the plain options; the plain options over the defaults.
    const q = await lower(JET, { reuseFactor: 2, config: { Model: { ReuseFactor: 4 } } });
    expect(hlsOf(node(q, '/fc3/Gemm')).reuseFactor).toBe(4);
    const r = await lower(JET, { reuseFactor: 2, strategy: 'resource' });
    expect([hlsOf(node(r, '/fc3/Gemm')).reuseFactor, hlsOf(node(r, '/fc3/Gemm')).kernel]).toEqual([2, 'dense_resource']);
    // options.layers (the core's per-layer option) counts as a per-name setting.
    const s = await lower(JET, { layers: { '/fc1/Gemm': { reuseFactor: 16 } }, config: { LayerType: { Dense: { ReuseFactor: 4 } } } });
    expect(hlsOf(node(s, '/fc1/Gemm')).reuseFactor).toBe(16);
  });

  it('a precision string sets the data roles (result, weight, bias); an object sets roles one by one', async () => {
    const p = await lower(JET, {
      precision: 'fixed<12,4>',
      config: {
        LayerType: { Relu: { Precision: 'ufixed<10,4,RND,SAT>' } },
        LayerName: { '/fc1/Gemm': { Precision: { weight: 'fixed<8,2>', result: 'fixed<20,8,RND_CONV,SAT>', accum: 'fixed<40,16>' } } },
      },
    });
    const fc1 = hlsOf(node(p, '/fc1/Gemm')), fc2 = hlsOf(node(p, '/fc2/Gemm'));
    expect(fc1.types['weight']).toEqual(fx(true, 8, 2));
    expect(fc1.types['bias']).toEqual(fx(true, 12, 4)); // from the option string
    expect(fc1.types['result']).toEqual(fx(true, 20, 8, 'RND_CONV', 'SAT'));
    expect(fc1.types['accum']).toEqual(fx(true, 40, 16));
    expect(fc2.types['weight']).toEqual(fx(true, 12, 4));
    expect(fc2.types['result']).toEqual(fx(true, 12, 4));
    // The option string is also the input type.
    expect(readLoweredGraph(p.graph).inputs[0].precision).toEqual(fx(true, 12, 4));
    const relu = [...p.graph.nodes.values()].filter((n) => n.op === 'Relu').map((n) => hlsOf(n).types['result']);
    expect(relu).toEqual([fx(false, 10, 4, 'RND', 'SAT'), fx(false, 10, 4, 'RND', 'SAT'), fx(false, 10, 4, 'RND', 'SAT')]);
    // A Model string is the default data type.
    const q = await lower(JET, { config: { Model: { Precision: 'fixed<18,8>' } } });
    expect(graphInfo(q.graph).defaultPrecision).toBe('fixed<18,8>');
    expect(hlsOf(node(q, '/fc4/Gemm')).types['weight']).toEqual(fx(true, 18, 8));
  });

  it("'auto' results are exact; graph inputs take a precision by name", async () => {
    const p = await lower(JET, { config: { LayerName: { x: { Precision: 'fixed<10,4,RND,SAT>' }, '/fc1/Gemm': { Precision: { result: 'auto' } } } } });
    const fc1 = hlsOf(node(p, '/fc1/Gemm'));
    expect(fc1.types['result']).toEqual(fc1.types['accum']);
    expect(readLoweredGraph(p.graph).inputs[0].precision).toEqual(fx(true, 10, 4, 'RND', 'SAT'));
    expect(fc1.types['input']).toEqual(fx(true, 10, 4, 'RND', 'SAT'));
    const msg = await message(lower(JET, { config: { LayerType: { Softmax: { Precision: { result: 'auto' } } } } }));
    expect(msg).toBe("layer '/Softmax' (Softmax): Precision.result 'auto' needs an exact result type, which Softmax has not (give a precision)");
  });

  it('IOType and the io option select io_stream', async () => {
    expect(graphInfo((await lower(JET, { config: { Model: { IOType: 'io_stream' } } })).graph).io).toBe('io_stream');
    expect(graphInfo((await lower(JET, { io: 'stream' })).graph).io).toBe('io_stream');
    expect(graphInfo((await lower(JET, { io: 'stream', config: { Model: { IOType: 'io_parallel' } } })).graph).io).toBe('io_parallel');
  });

  it('reads the sections from a YAML config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'firmflow-vitis-config-'));
    const file = join(dir, 'hls.yml');
    writeFileSync(file, "Model:\n  ReuseFactor: 2\n  Strategy: Resource\nLayerName:\n  /fc4/Gemm:\n    Precision:\n      result: fixed<24,10>\n");
    const p = await lower(JET, { config: file });
    expect(hlsOf(node(p, '/fc1/Gemm')).kernel).toBe('dense_resource');
    expect(hlsOf(node(p, '/fc1/Gemm')).reuseFactor).toBe(2);
    expect(hlsOf(node(p, '/fc4/Gemm')).types['result']).toEqual(fx(true, 24, 10));
  });
});

describe('configuration errors name the key and the layer', () => {
  const cases: [string, Record<string, unknown>, string | RegExp][] = [
    ['unknown Model key', { Model: { ReuseFactr: 2 } }, /^config Model\.ReuseFactr: unknown key 'ReuseFactr' \(known: Precision, ReuseFactor, Strategy, IOType/],
    ['unknown layer key', { LayerName: { '/fc1/Gemm': { Reuse: 2 } } }, /^config LayerName\.\/fc1\/Gemm\.Reuse: unknown key 'Reuse' \(known: Precision, ReuseFactor, Strategy/],
    ['unknown LayerType key', { LayerType: { Dense: { IOType: 'io_stream' } } }, /^config LayerType\.Dense\.IOType: unknown key 'IOType'/],
    ['unknown layer names, all of them', { LayerName: { fc9: { ReuseFactor: 2 }, '/fc1/Gemm': {}, dense_7: {} } }, /^config LayerName names layers 'fc9', 'dense_7' that the model does not have \(its layers: /],
    ['unknown op type', { LayerType: { Dense2: { ReuseFactor: 2 } } }, /^config LayerType\.Dense2: 'Dense2' is not an op type \(known: /],
    ['a reuse factor that is no integer', { LayerName: { '/fc2/Gemm': { ReuseFactor: 'four' } } }, 'config LayerName./fc2/Gemm.ReuseFactor: must be a positive integer, got "four"'],
    ['a bad strategy', { LayerType: { Dense: { Strategy: 'fast' } } }, 'config LayerType.Dense.Strategy: must be one of latency, resource, got "fast"'],
    ['a bad IOType', { Model: { IOType: 'io_serial' } }, 'config Model.IOType: must be one of io_parallel, io_stream, parallel, stream, got "io_serial"'],
    ['a bad precision', { LayerName: { '/fc1/Gemm': { Precision: { weight: 'fixed<16>' } } } }, /^config LayerName\.\/fc1\/Gemm\.Precision\.weight: '?fixed<16>'? needs 2 to 5 arguments/],
    ['an unknown role', { LayerName: { '/fc1/Gemm': { Precision: { wieght: 'fixed<8,2>' } } } }, /^config LayerName\.\/fc1\/Gemm\.Precision\.wieght: is not a precision role \(known: weight, bias, accum, result, .*, default\)$/],
    ['a precision of the wrong type', { LayerType: { Relu: { Precision: 16 } } }, 'config LayerType.Relu.Precision: must be a precision string or a mapping of roles (weight, bias, accum, result, table, exp_table, inv_table, exp_sum, scale, shift, inv_scale, default) to precisions, got 16'],
    ['Implementation on another layer', { LayerName: { '/fc1/Gemm': { Implementation: 'argmax' } } }, 'config LayerName./fc1/Gemm.Implementation: only Softmax layers have an Implementation (this is Dense)'],
    ['an unknown softmax implementation', { LayerType: { Softmax: { Implementation: 'latency' } } }, 'config LayerType.Softmax.Implementation: must be one of stable, argmax, got "latency"'],
    ['a section that is no mapping', { LayerName: [1, 2] }, 'config LayerName: must map layer names to settings, got [1,2]'],
    ['a graph input with other settings', { LayerName: { x: { ReuseFactor: 2 } } }, "config LayerName.x.ReuseFactor: graph input 'x' takes only Precision"],
  ];
  for (const [what, config, expected] of cases) {
    it(what, async () => {
      const msg = await message(lower(JET, { config }));
      if (typeof expected === 'string') expect(msg).toBe(expected);
      else expect(msg).toMatch(expected);
    });
  }

  it('options the backend adds are checked too', async () => {
    expect(await message(lower(JET, { reuseFactorPolicy: 'closest' } as never))).toBe("option 'reuseFactorPolicy' must be one of error, nearest, got \"closest\"");
    expect(await message(lower(JET, { fifoDepth: 0 } as never))).toBe("option 'fifoDepth' must be a positive integer, got 0");
    expect(await message(lower(JET, { tableSize: 100 } as never))).toBe("option 'tableSize' must be a power of two from 2 to 2^20 (tables are indexed by a shift), got 100");
    expect(await message(lower(JET, { Modle: {} } as never))).toMatch(/^unknown option 'Modle' for backend 'Vitis' \(known: .*Model, LayerType, LayerName, reuseFactorPolicy, fifoDepth, tableSize/);
  });

  it('precision strings', () => {
    expect(parsePrecisionString('ap_fixed<18,8,AP_RND,AP_SAT>', 'k')).toEqual(fx(true, 18, 8, 'RND', 'SAT'));
    expect(parsePrecisionString('ufixed<8,0>', 'k')).toEqual(fx(false, 8, 0));
    expect(() => parsePrecisionString('auto', 'config LayerName.x.Precision')).toThrow("config LayerName.x.Precision: 'auto' is not allowed here");
  });
});

describe('defaults', () => {
  it('a model with a Dense and a Sigmoid: data fixed<16,6,RND_CONV,SAT>, table fixed<18,8,RND,SAT>', async () => {
    const p = await lower(mlp([4, 3], 'Relu', 'Sigmoid'));
    const s = hlsOf(p.graph.node('out'));
    expect(s.types['result']).toEqual(fx(true, 16, 6, 'RND_CONV', 'SAT'));
    expect(s.types['table']).toEqual(fx(true, 18, 8, 'RND', 'SAT'));
    expect(s.reuseFactor).toBe(1);
    expect(s.strategy).toBe('latency');
  });
});
