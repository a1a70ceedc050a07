import { describe, expect, it } from 'vitest';
import { attr, ModelBuilder } from 'firmflow';
import { readLoweredGraph, type HlsLayer, type HlsTable } from '../../../backends/vitis/lowered.js';
import { SUPPORTED_OPS } from '../../../backends/vitis/passes/kernels.js';
import { lower } from '../helpers.js';
import { numbers } from '../models.js';

/** Every op with a kernel, in small models; [model, expected kernels (io_parallel), io_stream too]. */
function unaryChain(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 14 } });
  m.input('x', 'float32', ['N', 8]);
  m.initializer('lo', [-0.5], []);
  m.initializer('hi', [6], []);
  m.initializer('slope', numbers(8, 3, 0.3), [8]);
  const ops: [string, string[], Record<string, unknown>][] = [
    ['LeakyRelu', [], { alpha: attr.float(0.1) }], ['Elu', [], { alpha: attr.float(0.5) }], ['Selu', [], {}],
    ['HardSigmoid', [], {}], ['Softplus', [], {}], ['Softsign', [], {}], ['Clip', ['lo', 'hi'], {}],
    ['Tanh', [], {}], ['PRelu', ['slope'], {}], ['Sigmoid', [], {}], ['HardSwish', [], {}], ['Relu', [], {}],
  ];
  let cur = 'x';
  ops.forEach(([op, extra, nodeAttrs], i) => {
    m.node(op, [cur, ...extra], [`t${i}`], nodeAttrs as never, { name: op.toLowerCase() });
    cur = `t${i}`;
  });
  m.output(cur, 'float32', ['N', 8]);
  return m.toBytes();
}

function arithmetic(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 17 } });
  m.input('a', 'float32', ['N', 3, 4]);
  m.input('b', 'float32', ['N', 3, 4]);
  m.initializer('c', numbers(4, 5), [4]);
  m.node('Add', ['a', 'b'], ['s'], {}, { name: 'add' });
  m.node('Sub', ['s', 'c'], ['d'], {}, { name: 'sub' });
  m.node('Mul', ['d', 'a'], ['p'], {}, { name: 'mul' });
  m.node('Concat', ['p', 'b'], ['q'], { axis: 1 }, { name: 'concat' });
  m.node('Transpose', ['q'], ['r'], { perm: [0, 2, 1] }, { name: 'transpose' });
  m.node('LayerNormalization', ['r', 'g', 'h'], ['y'], { axis: -1, epsilon: attr.float(1e-3) }, { name: 'ln' });
  m.initializer('g', numbers(6, 6), [6]);
  m.initializer('h', numbers(6, 7), [6]);
  m.output('y', 'float32', ['N', 4, 6]);
  return m.toBytes();
}

function spatial(): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 4, 8, 8]);
  m.initializer('dw', numbers(4 * 9, 11, 0.5), [4, 1, 3, 3]);
  m.node('Conv', ['x', 'dw'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 4 }, { name: 'depthwise' });
  m.node('Relu', ['c'], ['r'], {}, { name: 'relu' });
  for (const [n, v] of [['s', numbers(4, 12)], ['bb', numbers(4, 13)], ['mu', numbers(4, 14)], ['var', numbers(4, 15).map((x) => 1 + Math.abs(x))]] as const) m.initializer(n, v, [4]);
  m.node('BatchNormalization', ['r', 's', 'bb', 'mu', 'var'], ['bn'], {}, { name: 'bn' });
  m.node('AveragePool', ['bn'], ['ap'], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'avgpool' });
  m.initializer('pads', [0, 0, 1, 1, 0, 0, 1, 1], [8], { dtype: 'int64' });
  m.node('Pad', ['ap', 'pads'], ['pd'], {}, { name: 'pad' });
  m.initializer('scales', [1, 1, 2, 2], [4]);
  m.node('Resize', ['pd', '', 'scales'], ['rs'], { mode: 'nearest' }, { name: 'resize' });
  m.node('GlobalAveragePool', ['rs'], ['gap'], {}, { name: 'gap' });
  m.node('GlobalMaxPool', ['rs'], ['gmp'], {}, { name: 'gmp' });
  m.node('Add', ['gap', 'gmp'], ['y4'], {}, { name: 'merge' });
  m.node('Flatten', ['y4'], ['y'], { axis: 1 }, { name: 'flatten' });
  m.output('y', 'float32', ['N', 4]);
  return m.toBytes();
}

describe('every op with a kernel lowers, in io_parallel and io_stream', () => {
  const cases: [string, () => Uint8Array, string[]][] = [
    ['activations', unaryChain, ['leaky_relu', 'elu', 'selu', 'hard_sigmoid', 'softplus', 'softsign', 'clip', 'tanh', 'prelu', 'sigmoid', 'hardswish', 'relu']],
    ['arithmetic and data movement', arithmetic, ['add', 'sub', 'mul', 'concat', 'transpose', 'layernorm']],
    // The shared passes move the Transposes through Resize (scales permuted): it runs channels-last too.
    ['spatial', spatial, [
      'depthwise_conv2d_latency', 'relu', 'scale_shift', 'pooling2d', 'pad', 'resize_nearest',
      'global_pooling2d', 'global_pooling2d', 'add', 'transpose', 'reshape',
    ]],
  ];
  const seen = new Set<string>();
  for (const [name, build, kernels] of cases) {
    it(name, async () => {
      const p = await lower(build());
      const lg = readLoweredGraph(p.graph);
      expect(lg.layers.map((l) => l.hls.kernel)).toEqual(kernels);
      for (const l of lg.layers) {
        seen.add(l.node.op);
        expect(l.hls.types['result'], l.node.name).toBeDefined();
      }
      const s = await lower(build(), { io: 'stream' });
      expect(readLoweredGraph(s.graph).layers.map((l) => l.hls.kernel)).toEqual(kernels.map((k) => `${k.replace(/_(latency|resource)$/, '')}_stream`));
    });
  }

  it('small constants are quantized once into the layer parameters', async () => {
    const p = await lower(unaryChain());
    const layers = new Map(readLoweredGraph(p.graph).layers.map((l) => [l.node.name, l.hls]));
    const by = (n: string): HlsLayer => layers.get(n) as HlsLayer;
    // fixed<18,8,RND,SAT>: 10 fractional bits.
    expect(by('leakyrelu').params['alpha_code']).toBe(Math.floor(0.1 * 1024 + 0.5));
    expect(by('clip').params).toMatchObject({ has_min: 1, has_max: 1, min_code: -512, max_code: 6144 });
    expect(by('hardsigmoid').params).toMatchObject({ alpha_code: 205, beta_code: 512 });
    expect(by('selu').params['gamma_code']).toBe(Math.floor(1.0507009873554805 * 1024 + 0.5));
    const elu = by('elu').tables as Record<string, HlsTable>;
    expect(elu['table'].fn).toBe('elu(alpha=0.5)');
  });

  it('average pooling carries 1/n for every tap count; the depthwise conv its multiplier', async () => {
    const p = await lower(spatial());
    const lg = readLoweredGraph(p.graph);
    const ap = lg.layers.find((l) => l.node.op === 'AveragePool')!.hls;
    expect(ap.types['scale']).toEqual({ signed: false, width: 18, integer: 1, rounding: 'RND_CONV', overflow: 'SAT' });
    expect(ap.params['inv_count_codes']).toEqual([0, 131072, 65536, 43691, 32768]);
    const dw = lg.layers[0].hls;
    expect(dw.params).toMatchObject({ depth_multiplier: 1, n_chan: 4, n_filt: 4, n_mult_in: 9, n_mult_out: 4 });
    const rs = lg.layers.find((l) => l.node.op === 'Resize')!.hls;
    expect(rs.params).toMatchObject({ in_shape: [6, 6, 4], out_shape: [12, 12, 4], index_map_0: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], index_map_1: [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], index_map_2: [0, 1, 2, 3] });
    const pad = lg.layers.find((l) => l.node.op === 'Pad')!.hls;
    expect(pad.params).toMatchObject({ in_shape: [4, 4, 4], out_shape: [6, 6, 4], pad_begin: [1, 1, 0], pad_end: [1, 1, 0], value: 0 });
  });

  it('the listed ops are the ops with a kernel', () => {
    expect(SUPPORTED_OPS).toEqual([
      'Add', 'AveragePool', 'BipolarQuant', 'Clip', 'Concat', 'Conv', 'Dense', 'Elu', 'FixedCast', 'Flatten', 'GlobalAveragePool',
      'GlobalMaxPool', 'HardSigmoid', 'HardSwish', 'LayerNormalization', 'LeakyRelu', 'MaxPool', 'Mul', 'PRelu', 'Pad', 'Relu', 'Rescale',
      'Reshape', 'Resize', 'ScaleShift', 'Selu', 'Sigmoid', 'Softmax', 'Softplus', 'Softsign', 'Squeeze', 'Sub', 'Tanh',
      'Transpose', 'Unsqueeze',
    ]);
  });
});
