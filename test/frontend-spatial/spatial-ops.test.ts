/**
 * Conv, pooling, Pad, Resize and Upsample: firmflow's frontend + float interpreter against onnxruntime on
 * small models built here, and the errors for what is refused.
 */
import { describe, expect, it } from 'vitest';
import { isFirmflowError } from '../../src/errors.js';
import { attr, ModelBuilder, type AttrInput } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { compareWithOrt, expectClose, randomF32, runFirmflow, runOrt } from './helpers.js';

const N = 2;

interface ConvCase {
  name: string;
  x: number[]; // [C, spatial...] (batch is symbolic, fed as N)
  w: number[]; // ONNX weight shape [M, C/group, k...]
  bias?: boolean;
  attrs: Record<string, AttrInput>;
  expectShape: number[];
}

function convModel(c: ConvCase, opset = 13): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': opset } });
  m.input('x', 'float32', ['N', ...c.x]);
  const wn = c.w.reduce((a, b) => a * b, 1);
  m.initializer('W', randomF32(wn, 7, -0.5, 0.5), c.w);
  const inputs = ['x', 'W'];
  if (c.bias !== false) { m.initializer('B', randomF32(c.w[0], 11), [c.w[0]]); inputs.push('B'); }
  m.node('Conv', inputs, ['y'], c.attrs);
  m.output('y', 'float32');
  return m.toBytes();
}

function feedX(shape: number[], seed = 3): { x: { data: Float32Array; dims: number[] } } {
  const dims = [N, ...shape];
  return { x: { data: randomF32(dims.reduce((a, b) => a * b, 1), seed, -2, 2), dims } };
}

const CONV_CASES: ConvCase[] = [
  { name: '2-D 3x3 pad 1', x: [3, 6, 7], w: [4, 3, 3, 3], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, expectShape: [N, 4, 6, 7] },
  { name: '2-D asymmetric pads, stride [2,1]', x: [2, 7, 6], w: [3, 2, 3, 2], attrs: { pads: [0, 1, 2, 1], strides: [2, 1] }, expectShape: [N, 3, 4, 7] },
  { name: '2-D SAME_UPPER stride 2 (odd total pad)', x: [2, 9, 8], w: [3, 2, 4, 3], attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] }, expectShape: [N, 3, 5, 4] },
  { name: '2-D SAME_LOWER stride 2 (odd total pad)', x: [2, 9, 8], w: [3, 2, 4, 3], attrs: { auto_pad: 'SAME_LOWER', strides: [2, 2] }, expectShape: [N, 3, 5, 4] },
  { name: '2-D VALID stride 2', x: [1, 9, 8], w: [2, 1, 3, 3], attrs: { auto_pad: 'VALID', strides: [2, 2] }, expectShape: [N, 2, 4, 3] },
  { name: '2-D dilation 2 with pads', x: [2, 8, 9], w: [2, 2, 3, 3], attrs: { dilations: [2, 2], pads: [2, 1, 2, 1] }, expectShape: [N, 2, 8, 7] },
  { name: 'depthwise (group = C, multiplier 2)', x: [4, 6, 6], w: [8, 1, 3, 3], attrs: { group: 4, pads: [1, 1, 1, 1] }, expectShape: [N, 8, 6, 6] },
  { name: 'grouped conv (group 2), no bias', x: [4, 5, 5], w: [6, 2, 2, 2], bias: false, attrs: { group: 2, strides: [2, 2] }, expectShape: [N, 6, 2, 2] },
  { name: 'kernel_shape omitted', x: [3, 5, 5], w: [2, 3, 2, 3], attrs: {}, expectShape: [N, 2, 4, 3] },
  { name: '1-D asymmetric pads [1,2] (Keras same, even kernel)', x: [4, 10], w: [3, 4, 4], attrs: { kernel_shape: [4], pads: [1, 2] }, expectShape: [N, 3, 10] },
  { name: '1-D stride 2 dilation 2', x: [3, 17], w: [5, 3, 3], attrs: { strides: [2], dilations: [2], pads: [1, 0] }, expectShape: [N, 5, 7] },
  { name: '1-D SAME_LOWER stride 2', x: [2, 10], w: [2, 2, 4], attrs: { auto_pad: 'SAME_LOWER', strides: [2] }, expectShape: [N, 2, 5] },
  { name: '1-D depthwise', x: [3, 8], w: [3, 1, 3], attrs: { group: 3, pads: [1, 1] }, expectShape: [N, 3, 8] },
];

describe('Conv against onnxruntime', () => {
  for (const c of CONV_CASES) {
    it(c.name, async () => {
      const graph = await compareWithOrt(convModel(c), feedX(c.x));
      const conv = [...graph.nodes.values()].find((n) => n.op === 'Conv')!;
      expect(conv.attrs['layout']).toBe('NCHW');
      expect(graph.tensor('y').shape).toEqual(['N', ...c.expectShape.slice(1)]);
    });
  }

  it('resolves auto_pad into explicit pads in the IR (SAME_UPPER puts the odd pad at the end)', () => {
    const up = loadModel(convModel(CONV_CASES[2]));
    const lo = loadModel(convModel(CONV_CASES[3]));
    const pads = (g: typeof up) => [...g.nodes.values()].find((n) => n.op === 'Conv')!.attrs['pads'];
    // H: in 9, k 4, s 2 -> total 3; W: in 8, k 3, s 2 -> total 1.
    expect(pads(up)).toEqual([1, 0, 2, 1]);
    expect(pads(lo)).toEqual([2, 1, 1, 0]);
  });

  it('SAME_UPPER with dilation (onnxruntime refuses it; reference: the explicit pads it implies)', async () => {
    const same: ConvCase = { name: '', x: [2, 7, 8], w: [2, 2, 3, 3], attrs: { dilations: [2, 1], strides: [1, 2], auto_pad: 'SAME_UPPER' }, expectShape: [] };
    // H: dilated kernel 5, stride 1 -> total 4 = 2 + 2; W: kernel 3, stride 2, in 8 -> total 1 = 0 + 1.
    const explicit: ConvCase = { ...same, attrs: { dilations: [2, 1], strides: [1, 2], pads: [2, 0, 2, 1] } };
    const feed = feedX(same.x);
    const want = await runOrt(convModel(explicit), feed);
    const { graph, outputs } = runFirmflow(convModel(same), feed);
    expect([...graph.nodes.values()][0].attrs['pads']).toEqual([2, 0, 2, 1]);
    expect(outputs['y'].shape).toEqual(want['y'].dims);
    expectClose(outputs['y'].data, want['y'].data, 1e-5, 1e-5);
  });

  it('accepts the oldest readable opset (6) and the newest (22)', async () => {
    await compareWithOrt(convModel(CONV_CASES[0], 22), feedX(CONV_CASES[0].x));
    const g = loadModel(convModel(CONV_CASES[0], 6));
    expect([...g.nodes.values()].map((n) => n.op)).toEqual(['Conv']);
  });
});

/**
 * qonnx.custom_op.channels_last Conv/MaxPool: NHWC data, Conv weights [M, k..., C/group]. onnxruntime cannot run
 * them; the reference is the same op in NCHW between transposes.
 */
describe('qonnx channels_last Conv and MaxPool', () => {
  function twins(opts: { x: number[]; w?: number[]; attrs: Record<string, AttrInput>; op: 'Conv' | 'MaxPool' | 'AveragePool' }): { nhwc: Uint8Array; ref: Uint8Array; feed: ReturnType<typeof feedX> } {
    const r = opts.x.length - 1;
    const [C, ...sp] = opts.x;
    const toFirst = r === 2 ? [0, 3, 1, 2] : [0, 2, 1];
    const toLast = r === 2 ? [0, 2, 3, 1] : [0, 2, 1];
    const nhwcShape = [...sp, C];
    const cl = new ModelBuilder({ opsets: { '': 13, 'qonnx.custom_op.channels_last': 1 } });
    const ref = new ModelBuilder({ opsets: { '': 13 } });
    cl.input('x', 'float32', ['N', ...nhwcShape]);
    ref.input('x', 'float32', ['N', ...nhwcShape]);
    const inputs = ['x'];
    if (opts.op === 'Conv') {
      const w = opts.w!; // ONNX layout [M, Cg, k...]
      const data = randomF32(w.reduce((a, b) => a * b, 1), 5, -0.5, 0.5);
      ref.initializer('W', data, w);
      // Same weights stored [M, k..., Cg] for the channels-last node.
      const M = w[0], Cg = w[1], ks = w.slice(2);
      const kn = ks.reduce((a, b) => a * b, 1);
      const wl = new Float32Array(data.length);
      for (let m = 0; m < M; m++) for (let c = 0; c < Cg; c++) for (let k = 0; k < kn; k++) wl[(m * kn + k) * Cg + c] = data[(m * Cg + c) * kn + k];
      cl.initializer('W', wl, [M, ...ks, Cg]);
      const b = randomF32(M, 9);
      cl.initializer('B', b, [M]);
      ref.initializer('B', b, [M]);
      inputs.push('W', 'B');
    }
    cl.node(opts.op, inputs, ['y'], opts.attrs, { domain: 'qonnx.custom_op.channels_last' });
    cl.output('y', 'float32');
    ref.node('Transpose', ['x'], ['xt'], { perm: toFirst });
    ref.node(opts.op, ['xt', ...inputs.slice(1)], ['yt'], opts.attrs);
    ref.node('Transpose', ['yt'], ['y'], { perm: toLast });
    ref.output('y', 'float32');
    return { nhwc: cl.toBytes(), ref: ref.toBytes(), feed: feedX(nhwcShape, 21) };
  }

  const cases: { name: string; x: number[]; w?: number[]; attrs: Record<string, AttrInput>; op: 'Conv' | 'MaxPool' | 'AveragePool' }[] = [
    { name: 'Conv 2-D, asymmetric pads, stride 2', op: 'Conv', x: [3, 7, 6], w: [4, 3, 3, 2], attrs: { kernel_shape: [3, 2], pads: [1, 0, 1, 1], strides: [2, 2], dilations: [1, 1], group: 1 } },
    { name: 'Conv 2-D depthwise', op: 'Conv', x: [4, 5, 5], w: [4, 1, 3, 3], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], group: 4 } },
    { name: 'Conv 1-D', op: 'Conv', x: [3, 9], w: [2, 3, 3], attrs: { kernel_shape: [3], pads: [1, 1], strides: [2], dilations: [1], group: 1 } },
    { name: 'MaxPool 2-D', op: 'MaxPool', x: [3, 6, 7], attrs: { kernel_shape: [2, 2], pads: [0, 0, 0, 0], strides: [2, 2] } },
    { name: 'MaxPool 1-D', op: 'MaxPool', x: [2, 9], attrs: { kernel_shape: [3], pads: [1, 1], strides: [2] } },
    { name: 'AveragePool 2-D with pads', op: 'AveragePool', x: [3, 6, 5], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = twins(c);
      const want = await runOrt(t.ref, t.feed);
      const { graph, outputs } = runFirmflow(t.nhwc, t.feed);
      const node = [...graph.nodes.values()].find((n) => n.op === c.op)!;
      expect(node.attrs['layout']).toBe('NHWC');
      expect(outputs['y'].shape).toEqual(want['y'].dims);
      expectClose(outputs['y'].data, want['y'].data, 1e-5, 1e-5);
      if (c.op === 'Conv') {
        // The IR weight is HWIO: [k..., C/group, M].
        const w = graph.tensor(node.inputs[1]);
        expect(w.shape).toEqual([...c.w!.slice(2), c.w![1], c.w![0]]);
        expect(w.data).toBeInstanceOf(Float32Array);
      }
    });
  }
});

function poolModel(op: string, x: number[], attrs: Record<string, AttrInput>, opset = 13, outputs = ['y']): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': opset } });
  m.input('x', 'float32', ['N', ...x]);
  m.node(op, ['x'], outputs, attrs);
  for (const o of outputs) m.output(o, o === 'y' ? 'float32' : 'int64');
  return m.toBytes();
}

describe('pooling against onnxruntime', () => {
  const cases: { name: string; op: string; x: number[]; attrs: Record<string, AttrInput>; opset?: number; shape: number[] }[] = [
    { name: 'MaxPool 2x2 stride 2', op: 'MaxPool', x: [3, 6, 7], attrs: { kernel_shape: [2, 2], strides: [2, 2] }, shape: [3, 3, 3] },
    { name: 'MaxPool 3x3 stride 2 pad 1 ceil_mode', op: 'MaxPool', x: [2, 8, 7], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }, shape: [2, 5, 4] },
    { name: 'MaxPool ceil_mode drops a window starting in the end padding', op: 'MaxPool', x: [1, 5, 5], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }, shape: [1, 3, 3] },
    { name: 'MaxPool dilations [2,1]', op: 'MaxPool', x: [2, 9, 6], attrs: { kernel_shape: [2, 2], dilations: [2, 1], strides: [1, 2] }, shape: [2, 7, 3] },
    { name: 'MaxPool SAME_UPPER stride 2', op: 'MaxPool', x: [2, 7, 6], attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, shape: [2, 4, 3] },
    { name: 'MaxPool 1-D ceil_mode', op: 'MaxPool', x: [3, 10], attrs: { kernel_shape: [3], strides: [2], ceil_mode: 1 }, shape: [3, 5] },
    { name: 'AveragePool pads, count_include_pad 0', op: 'AveragePool', x: [2, 6, 6], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2] }, shape: [2, 3, 3] },
    { name: 'AveragePool pads, count_include_pad 1', op: 'AveragePool', x: [2, 6, 6], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2], count_include_pad: 1 }, shape: [2, 3, 3] },
    { name: 'AveragePool ceil_mode + count_include_pad', op: 'AveragePool', x: [2, 7, 8], attrs: { kernel_shape: [3, 2], strides: [2, 3], pads: [1, 1, 0, 0], count_include_pad: 1, ceil_mode: 1 }, shape: [2, 4, 3] },
    { name: 'AveragePool ceil_mode, count_include_pad 0', op: 'AveragePool', x: [2, 7, 8], attrs: { kernel_shape: [3, 2], strides: [2, 3], ceil_mode: 1 }, shape: [2, 3, 3] },
    { name: 'AveragePool SAME_LOWER', op: 'AveragePool', x: [2, 5, 6], attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_LOWER' }, shape: [2, 3, 3] },
    { name: 'AveragePool 1-D count_include_pad', op: 'AveragePool', x: [2, 9], attrs: { kernel_shape: [4], strides: [2], pads: [2, 1], count_include_pad: 1 }, shape: [2, 5] },
    { name: 'AveragePool dilations (opset 19)', op: 'AveragePool', x: [2, 8, 8], attrs: { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1], strides: [2, 2] }, opset: 19, shape: [2, 4, 4] },
    { name: 'GlobalAveragePool 2-D', op: 'GlobalAveragePool', x: [5, 4, 3], attrs: {}, shape: [5, 1, 1] },
    { name: 'GlobalMaxPool 2-D', op: 'GlobalMaxPool', x: [5, 4, 3], attrs: {}, shape: [5, 1, 1] },
    { name: 'GlobalAveragePool 1-D', op: 'GlobalAveragePool', x: [3, 11], attrs: {}, shape: [3, 1] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const graph = await compareWithOrt(poolModel(c.op, c.x, c.attrs, c.opset), feedX(c.x, 13));
      expect(graph.tensor('y').shape).toEqual(['N', ...c.shape]);
      expect([...graph.nodes.values()].map((n) => n.op)).toEqual([c.op]);
    });
  }

  it('MaxPool: an unused Indices output is fine, a used one is refused', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 2, 4, 4]);
    m.node('MaxPool', ['x'], ['y', 'idx'], { kernel_shape: [2, 2] });
    m.output('y', 'float32');
    expect(() => loadModel(m.toBytes())).not.toThrow();
    m.output('idx', 'int64');
    expect(() => loadModel(m.toBytes())).toThrow(/output\(s\) 'idx' are used/);
  });
});

function padModel(opset: number, x: number[], build: (m: ModelBuilder) => string[], attrs: Record<string, AttrInput> = {}): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': opset } });
  m.input('x', 'float32', ['N', ...x]);
  m.node('Pad', ['x', ...build(m)], ['y'], attrs);
  m.output('y', 'float32');
  return m.toBytes();
}

describe('Pad against onnxruntime', () => {
  it('opset 13: pads input with asymmetric and negative (cropping) pads, constant_value', async () => {
    const bytes = padModel(13, [3, 5, 4], (m) => {
      m.initializer('p', new BigInt64Array([0, 1, -1, 2, 0, 0, 2, -1].map(BigInt)), [8]);
      m.initializer('v', new Float32Array([1.5]), []);
      return ['p', 'v'];
    });
    const g = await compareWithOrt(bytes, feedX([3, 5, 4]));
    expect(g.tensor('y').shape).toEqual(['N', 4, 6, 5]);
  });

  it('opset 18: axes input selects the padded axes', async () => {
    const bytes = padModel(18, [2, 3, 4], (m) => {
      m.initializer('p', new BigInt64Array([1, 2, 3, 0].map(BigInt)), [4]);
      m.initializer('ax', new BigInt64Array([-1, 2].map(BigInt)), [2]);
      return ['p', '', 'ax'];
    });
    const g = await compareWithOrt(bytes, feedX([2, 3, 4]));
    // axis 3 gets begin 1, end 3; axis 2 gets begin 2, end 0.
    expect(g.tensor('y').shape).toEqual(['N', 2, 5, 8]);
  });

  it('opset 10: pads and value as attributes', async () => {
    const bytes = padModel(10, [2, 3, 3], () => [], { pads: [0, 0, 1, 2, 0, 0, 1, 0], value: attr.float(-3) });
    const g = await compareWithOrt(bytes, feedX([2, 3, 3]));
    expect(g.tensor('y').shape).toEqual(['N', 2, 5, 5]);
  });

  it('refuses reflect/edge/wrap by name', () => {
    const bytes = padModel(13, [2, 3, 3], (m) => { m.initializer('p', new BigInt64Array(8).fill(1n), [8]); return ['p']; }, { mode: 'reflect' });
    expect(() => loadModel(bytes)).toThrow(/mode 'reflect' is not supported \(only 'constant' padding\)/);
  });
});

function resizeModel(opset: number, x: number[], build: (m: ModelBuilder) => string[], attrs: Record<string, AttrInput> = {}, op = 'Resize', batch: number | string = 'N'): Uint8Array {
  const m = new ModelBuilder({ opsets: { '': opset } });
  m.input('x', 'float32', [batch, ...x]);
  m.node(op, ['x', ...build(m)], ['y'], attrs);
  m.output('y', 'float32');
  return m.toBytes();
}

const scalesInit = (s: number[]) => (m: ModelBuilder) => { m.initializer('s', new Float32Array(s), [s.length]); return ['', 's']; };
const sizesInit = (s: number[]) => (m: ModelBuilder) => { m.initializer('sz', new BigInt64Array(s.map(BigInt)), [s.length]); return ['', '', 'sz']; };

describe('Resize / Upsample against onnxruntime', () => {
  const cases: { name: string; opset: number; x: number[]; build: (m: ModelBuilder) => string[]; attrs: Record<string, AttrInput>; shape: number[]; op?: string; batch?: number }[] = [
    { name: 'PyTorch nearest x2 (asymmetric, floor)', opset: 13, x: [2, 3, 4], build: scalesInit([1, 1, 2, 2]), attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, shape: [2, 6, 8] },
    { name: 'default half_pixel / round_prefer_floor, scale 3', opset: 13, x: [2, 3, 4], build: scalesInit([1, 1, 3, 3]), attrs: {}, shape: [2, 9, 12] },
    { name: 'non-integer scale 1.5, pytorch_half_pixel, round_prefer_ceil', opset: 13, x: [1, 4, 5], build: scalesInit([1, 1, 1.5, 1.5]), attrs: { coordinate_transformation_mode: 'pytorch_half_pixel', nearest_mode: 'round_prefer_ceil' }, shape: [1, 6, 7] },
    { name: 'downscale 0.5, half_pixel, ceil', opset: 13, x: [2, 6, 8], build: scalesInit([1, 1, 0.5, 0.5]), attrs: { nearest_mode: 'ceil' }, shape: [2, 3, 4] },
    { name: 'sizes, align_corners', opset: 13, x: [2, 3, 4], build: sizesInit([N, 2, 7, 9]), attrs: { coordinate_transformation_mode: 'align_corners' }, shape: [2, 7, 9], batch: N },
    { name: 'tf_half_pixel_for_nn (Keras)', opset: 13, x: [2, 3, 3], build: scalesInit([1, 1, 2, 2]), attrs: { coordinate_transformation_mode: 'tf_half_pixel_for_nn' }, shape: [2, 6, 6] },
    { name: 'opset 11 (roi input) asymmetric round_prefer_ceil', opset: 11, x: [2, 3, 3], build: (m) => { m.initializer('roi', new Float32Array(0), [0]); m.initializer('s', new Float32Array([1, 1, 2, 3]), [4]); return ['roi', 's']; }, attrs: { coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' }, shape: [2, 6, 9] },
    { name: 'opset 19 half_pixel_symmetric with sizes', opset: 19, x: [1, 4, 4], build: sizesInit([N, 1, 7, 6]), attrs: { coordinate_transformation_mode: 'half_pixel_symmetric' }, shape: [1, 7, 6], batch: N },
    { name: 'opset 18 axes attribute', opset: 18, x: [2, 3, 4], build: scalesInit([2, 2]), attrs: { axes: [2, 3], coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, shape: [2, 6, 8] },
    { name: 'opset 10 Resize (Upsample rule)', opset: 10, x: [2, 3, 4], build: (m) => { m.initializer('s', new Float32Array([1, 1, 2, 1.5]), [4]); return ['s']; }, attrs: { mode: 'nearest' }, shape: [2, 6, 6] },
    { name: 'Upsample opset 9 (scales input)', opset: 9, x: [2, 3, 4], op: 'Upsample', build: (m) => { m.initializer('s', new Float32Array([1, 1, 2, 2]), [4]); return ['s']; }, attrs: { mode: 'nearest' }, shape: [2, 6, 8] },
    { name: 'Upsample opset 7 (scales attribute)', opset: 7, x: [2, 3, 4], op: 'Upsample', build: () => [], attrs: { mode: 'nearest', scales: attr.floats([1, 1, 3, 2]) }, shape: [2, 9, 8] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const graph = await compareWithOrt(resizeModel(c.opset, c.x, c.build, c.attrs, c.op, c.batch), feedX(c.x, 17), { atol: 0, rtol: 0 });
      expect(graph.tensor('y').shape).toEqual([c.batch ?? 'N', ...c.shape]);
    });
  }

  it('sizes that fix a symbolic batch are refused with a hint', () => {
    const bytes = resizeModel(13, [2, 3, 4], sizesInit([N, 2, 6, 8]), {});
    expect(() => loadModel(bytes)).toThrow(/sizes\[0\] = 2 fixes the batch axis, which is symbolic \('N'\).*inputShapes/);
    const g = loadModel(bytes, { inputShapes: { x: [N, 2, 3, 4] } });
    expect(g.tensor('y').shape).toEqual([N, 2, 6, 8]);
  });

  it('refuses linear mode and tf_crop_and_resize with reasons, all at once', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 1, 2, 2]);
    m.initializer('s', new Float32Array([1, 1, 2, 2]), [4]);
    m.node('Resize', ['x', '', 's'], ['a'], { mode: 'linear' }, { name: 'lin' });
    m.node('Resize', ['a', '', 's'], ['y'], { coordinate_transformation_mode: 'tf_crop_and_resize' }, { name: 'crop' });
    m.output('y', 'float32');
    let msg = '';
    try { loadModel(m.toBytes()); } catch (e) { expect(isFirmflowError(e)).toBe(true); msg = (e as Error).message; }
    expect(msg).toMatch(/node 'lin' \(Resize\): mode 'linear' is not supported \(only 'nearest'\)/);
    expect(msg).toMatch(/node 'crop' \(Resize\): coordinate_transformation_mode 'tf_crop_and_resize' is not supported/);
  });
});

describe('what Conv refuses', () => {
  it('3-D convolution, by kernel_shape (before lowering)', () => {
    const bytes = convModel({ name: '', x: [1, 4, 4, 4], w: [1, 1, 2, 2, 2], attrs: { kernel_shape: [2, 2, 2] }, expectShape: [] });
    expect(() => loadModel(bytes)).toThrow(/kernel_shape \[2, 2, 2\] is 3-D; only 1-D and 2-D windows are supported/);
  });

  it('3-D convolution without kernel_shape, by the weight rank', () => {
    const bytes = convModel({ name: '', x: [1, 4, 4, 4], w: [1, 1, 2, 2, 2], attrs: {}, expectShape: [] });
    expect(() => loadModel(bytes)).toThrow(/is a 3-D kernel; only 1-D and 2-D convolution is supported/);
  });

  it('weights that are a graph input', () => {
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('x', 'float32', ['N', 2, 4, 4]);
    m.input('w', 'float32', [3, 2, 3, 3]);
    m.node('Conv', ['x', 'w'], ['y'], {}, { name: 'c1' });
    m.output('y', 'float32');
    expect(() => loadModel(m.toBytes())).toThrow(/node 'c1' \(Conv\): weight input W \('w'\) is not a constant/);
  });

  it('a group that does not match the weight', () => {
    const bytes = convModel({ name: '', x: [4, 5, 5], w: [4, 1, 3, 3], attrs: { group: 2 }, expectShape: [] });
    expect(() => loadModel(bytes)).toThrow(/with group 2 expects 2 input channels/);
  });
});
