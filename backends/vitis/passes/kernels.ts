import { type Graph, type GraphPass, type IRNode, nearestIndexMap, type Tensor } from 'firmflow';
import type { HlsIO, HlsLayer, HlsStrategy } from '../lowered.js';
import type { LayerConfig } from '../config.js';
import { CONFIG_KEY, UNSUPPORTED_KEY, perSample, prod } from './common.js';

/** A node's kernel and the sizes of its C++ config struct; `mult` gives the multiplication array for reuse. */
export interface KernelPlan {
  kernel: string;
  params: Record<string, number | number[] | string>;
  /** Dense/Conv: the n_in x n_out multiplication block the reuse factor divides. */
  mult?: { nIn: number; nOut: number };
}

type Planner = (node: IRNode, graph: Graph, strategy: HlsStrategy) => KernelPlan | string;

const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
const list = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);

function sample(t: Tensor): number[] {
  const s = perSample(t);
  if (typeof s === 'string') throw new Unsupported(s);
  return s;
}

class Unsupported extends Error {}

function inT(node: IRNode, graph: Graph, i: number): Tensor {
  const n = node.inputs[i];
  if (!n) throw new Unsupported(`input ${i} is missing`);
  return graph.tensor(n);
}

function requireConst(node: IRNode, graph: Graph, i: number, what: string): Tensor {
  const t = inT(node, graph, i);
  if (!t.data) throw new Unsupported(`its ${what} (input ${i}, '${t.name}') is computed at run time; the FPGA kernels need it constant`);
  return t;
}

function requireActivation(node: IRNode, graph: Graph, i: number): Tensor {
  const t = inT(node, graph, i);
  if (t.data) throw new Unsupported(`input ${i} ('${t.name}') is a constant; constant folding should have removed this node`);
  return t;
}

/** The batch axis must pass through unchanged. */
function sameBatch(node: IRNode, graph: Graph): void {
  const x = graph.tensor(node.inputs[0]);
  const y = graph.tensor(node.outputs[0]);
  if (x.shape[0] !== y.shape[0]) throw new Unsupported(`it changes the batch axis (${x.shape[0]} -> ${y.shape[0]}); layers work on one sample at a time`);
}

function elementwise(kernel: string): Planner {
  return (node, graph) => {
    const x = requireActivation(node, graph, 0);
    return { kernel, params: { n_in: prod(sample(x)) } };
  };
}

function spatialGeometry(node: IRNode, x: Tensor, y: Tensor): { dims: 1 | 2; p: Record<string, number> } {
  if ((node.attrs['layout'] ?? 'NCHW') !== 'NHWC') throw new Unsupported('it is still channels-first (NCHW); the FPGA kernels take channels-last data (the channels-last conversion did not apply to it)');
  const s = sample(x), o = sample(y);
  const dims = s.length - 1;
  if (dims !== 1 && dims !== 2) throw new Unsupported(`only 1-D and 2-D spatial data is supported (input per sample ${s.join('x')})`);
  const k = list(node.attrs['kernelShape']) ?? [];
  const st = list(node.attrs['strides']) ?? new Array(dims).fill(1);
  const dl = list(node.attrs['dilations']) ?? new Array(dims).fill(1);
  const pads = list(node.attrs['pads']) ?? new Array(2 * dims).fill(0);
  if (dims === 2) {
    return {
      dims,
      p: {
        in_height: s[0], in_width: s[1], n_chan: s[2],
        filt_height: k[0] ?? 1, filt_width: k[1] ?? 1,
        stride_height: st[0], stride_width: st[1], dilation_height: dl[0], dilation_width: dl[1],
        pad_top: pads[0], pad_left: pads[1], pad_bottom: pads[2], pad_right: pads[3],
        out_height: o[0], out_width: o[1], n_filt: o[2],
      },
    };
  }
  return {
    dims,
    p: {
      in_width: s[0], n_chan: s[1], filt_width: k[0] ?? 1, stride_width: st[0], dilation_width: dl[0],
      pad_left: pads[0], pad_right: pads[1], out_width: o[0], n_filt: o[1],
    },
  };
}

/** Per-sample shapes of broadcast operands, right-aligned to the output rank (constants keep no batch axis). */
function broadcastShapes(node: IRNode, graph: Graph): { shapes: number[][]; out: number[] } {
  const y = graph.tensor(node.outputs[0]);
  const out = sample(y);
  const rank = y.shape.length;
  const shapes = node.inputs.filter((i) => i !== '').map((name) => {
    const t = graph.tensor(name);
    let full = [...t.shape];
    if (full.length > rank) throw new Unsupported(`operand '${name}' has more axes than the result`);
    while (full.length < rank) full.unshift(1);
    if (t.data) {
      if (full[0] !== 1) throw new Unsupported(`constant operand '${name}' varies along the batch axis`);
    } else if (full[0] !== y.shape[0]) {
      throw new Unsupported(`operand '${name}' broadcasts along the batch axis (${String(full[0])} vs ${String(y.shape[0])})`);
    }
    full = full.slice(1);
    if (full.some((d) => typeof d !== 'number')) throw new Unsupported(`operand '${name}' has a symbolic dimension`);
    return full as number[];
  });
  return { shapes, out };
}

function binary(kernel: string): Planner {
  return (node, graph) => {
    if (node.inputs.every((i) => i === '' || graph.isConstant(i))) throw new Unsupported('both operands are constants; constant folding should have removed this node');
    const { shapes, out } = broadcastShapes(node, graph);
    const same = shapes.every((s) => s.length === out.length && s.every((d, i) => d === out[i]));
    return { kernel, params: { n_out: prod(out), out_shape: out, in0_shape: shapes[0], in1_shape: shapes[1], broadcast: same ? 0 : 1 } };
  };
}

const reshape: Planner = (node, graph) => {
  const x = requireActivation(node, graph, 0);
  sameBatch(node, graph);
  const y = graph.tensor(node.outputs[0]);
  return { kernel: 'reshape', params: { n_in: prod(sample(x)), in_shape: sample(x), out_shape: sample(y) } };
};

const PLANNERS: Record<string, Planner> = {
  Dense(node, graph, strategy) {
    const x = requireActivation(node, graph, 0);
    const w = requireConst(node, graph, 1, 'weight');
    if (node.inputs[2]) requireConst(node, graph, 2, 'bias');
    const s = sample(x);
    const K = w.shape[0] as number, N = w.shape[1] as number;
    return { kernel: `dense_${strategy}`, params: { n_in: K, n_out: N, n_rows: prod(s.slice(0, -1)), has_bias: node.inputs[2] ? 1 : 0 }, mult: { nIn: K, nOut: N } };
  },
  Conv(node, graph, strategy) {
    const x = requireActivation(node, graph, 0);
    const w = requireConst(node, graph, 1, 'weight');
    if (node.inputs[2]) requireConst(node, graph, 2, 'bias');
    const { dims, p } = spatialGeometry(node, x, graph.tensor(node.outputs[0]));
    const group = num(node.attrs['group'], 1);
    const k = dims === 2 ? p.filt_height * p.filt_width : p.filt_width;
    const params: KernelPlan['params'] = { ...p, has_bias: node.inputs[2] ? 1 : 0, weight_layout: 'HWIO' };
    void w;
    if (group === 1) return { kernel: `conv${dims}d_${strategy}`, params, mult: { nIn: k * p.n_chan, nOut: p.n_filt } };
    if (group === p.n_chan && p.n_filt % p.n_chan === 0) {
      params['depth_multiplier'] = p.n_filt / p.n_chan;
      return { kernel: `depthwise_conv${dims}d_${strategy}`, params, mult: { nIn: k, nOut: p.n_filt } };
    }
    throw new Unsupported(`grouped convolution with ${group} groups over ${p.n_chan} channels (only group 1 and depthwise, group = channels, are supported)`);
  },
  MaxPool: pool('max'),
  AveragePool: pool('average'),
  GlobalMaxPool: globalPool('max'),
  GlobalAveragePool: globalPool('average'),
  ScaleShift(node, graph) {
    const x = requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'scale');
    if (node.inputs[2]) requireConst(node, graph, 2, 'shift');
    const s = sample(x);
    const axis = num(node.attrs['axis'], 1);
    if (axis < 1 || axis > s.length) throw new Unsupported(`it scales along axis ${axis}, the batch axis`);
    const nChan = s[axis - 1];
    return { kernel: 'scale_shift', params: { n_in: prod(s), n_chan: nChan, n_inner: prod(s.slice(axis)), has_shift: node.inputs[2] ? 1 : 0 } };
  },
  Relu: elementwise('relu'),
  LeakyRelu: elementwise('leaky_relu'),
  Elu: elementwise('elu'),
  Selu: elementwise('selu'),
  Sigmoid: elementwise('sigmoid'),
  Tanh: elementwise('tanh'),
  HardSigmoid: elementwise('hard_sigmoid'),
  Softplus: elementwise('softplus'),
  Softsign: elementwise('softsign'),
  Clip: elementwise('clip'),
  FixedCast: elementwise('fixed_cast'),
  PRelu(node, graph) {
    requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'slope');
    const { shapes, out } = broadcastShapes(node, graph);
    return { kernel: 'prelu', params: { n_in: prod(out), out_shape: out, slope_shape: shapes[1] } };
  },
  BipolarQuant(node, graph) {
    const x = requireActivation(node, graph, 0);
    const s = requireConst(node, graph, 1, 'scale');
    if (s.data!.length !== 1) throw new Unsupported('only a per-tensor scale is supported');
    return { kernel: 'bipolar_quant', params: { n_in: prod(sample(x)) } };
  },
  Rescale(node, graph) {
    const x = requireActivation(node, graph, 0);
    const sc = requireConst(node, graph, 1, 'scale');
    const zp = node.inputs[2] ? requireConst(node, graph, 2, 'zero point') : undefined;
    const s = sample(x);
    const axis = num(node.attrs['axis'], 1);
    const perChannel = sc.data!.length > 1 || (zp?.data!.length ?? 1) > 1;
    if (perChannel && (axis < 1 || axis > s.length)) throw new Unsupported(`per-channel rescaling along axis ${axis}, the batch axis`);
    const zpv = zp ? Array.from(zp.data!, Number) : [0];
    if (zpv.some((z) => !Number.isInteger(z))) throw new Unsupported('its zero point is not an integer');
    return {
      kernel: 'rescale',
      params: {
        n_in: prod(s), n_chan: perChannel ? s[axis - 1] : 1, n_inner: perChannel ? prod(s.slice(axis)) : prod(s),
        bits: num(node.attrs['bits'], 8), signed: node.attrs['signed'] === false ? 0 : 1, narrow: node.attrs['narrow'] === true ? 1 : 0,
        rounding_mode: String(node.attrs['roundingMode'] ?? 'ROUND'), zero_point: zpv,
        zero_point_before_rounding: node.attrs['zeroPointBeforeRounding'] === true ? 1 : 0,
      },
    };
  },
  Softmax(node, graph) {
    const x = requireActivation(node, graph, 0);
    const s = sample(x);
    let axis = num(node.attrs['axis'], -1);
    if (axis < 0) axis += x.shape.length;
    if (axis !== x.shape.length - 1) throw new Unsupported(`softmax over axis ${axis} of ${x.shape.length}; only the last axis is supported`);
    // Without a configuration (inspect on the optimized IR) the default implementation is assumed.
    const impl = (node.meta[CONFIG_KEY] as LayerConfig | undefined)?.implementation ?? 'stable';
    return { kernel: `softmax_${impl}`, params: { n_in: s[s.length - 1], n_rows: prod(s.slice(0, -1)) } };
  },
  LayerNormalization(node, graph) {
    const x = requireActivation(node, graph, 0);
    requireConst(node, graph, 1, 'scale');
    if (node.inputs[2]) requireConst(node, graph, 2, 'bias');
    const s = sample(x);
    let axis = num(node.attrs['axis'], -1);
    if (axis < 0) axis += x.shape.length;
    if (axis !== x.shape.length - 1) throw new Unsupported(`normalization over axes ${axis}..${x.shape.length - 1}; only the last axis is supported`);
    return { kernel: 'layernorm', params: { n_in: s[s.length - 1], n_rows: prod(s.slice(0, -1)), epsilon: num(node.attrs['epsilon'], 1e-5), has_bias: node.inputs[2] ? 1 : 0 } };
  },
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Concat(node, graph) {
    const y = graph.tensor(node.outputs[0]);
    let axis = num(node.attrs['axis'], 0);
    if (axis < 0) axis += y.shape.length;
    if (axis === 0) throw new Unsupported('it concatenates along the batch axis');
    const shapes = node.inputs.map((i) => {
      const t = graph.tensor(i);
      if (t.data) throw new Unsupported(`constant operand '${i}' (expected activations)`);
      return sample(t);
    });
    return { kernel: 'concat', params: { axis: axis - 1, n_inputs: shapes.length, out_shape: sample(y), ...Object.fromEntries(shapes.map((s, i) => [`in${i}_shape`, s])) } };
  },
  Transpose(node, graph) {
    const x = requireActivation(node, graph, 0);
    const perm = list(node.attrs['perm']) ?? [];
    if (perm[0] !== 0) throw new Unsupported(`permutation [${perm.join(', ')}] moves the batch axis`);
    const y = graph.tensor(node.outputs[0]);
    return { kernel: 'transpose', params: { perm: perm.slice(1).map((p) => p - 1), in_shape: sample(x), out_shape: sample(y), n_in: prod(sample(x)) } };
  },
  Reshape: reshape,
  Flatten: reshape,
  Squeeze: reshape,
  Unsqueeze: reshape,
  Pad(node, graph) {
    const x = requireActivation(node, graph, 0);
    const s = sample(x);
    const r = x.shape.length;
    const pads = list(node.attrs['pads']) ?? [];
    if (pads[0] !== 0 || pads[r] !== 0) throw new Unsupported('it pads the batch axis');
    const begin = pads.slice(1, r), end = pads.slice(r + 1);
    if ([...begin, ...end].some((p) => p < 0)) throw new Unsupported('negative pads (cropping) are not supported');
    return { kernel: 'pad', params: { in_shape: s, out_shape: sample(graph.tensor(node.outputs[0])), pad_begin: begin, pad_end: end, value: num(node.attrs['value'], 0) } };
  },
  Resize(node, graph) {
    const x = requireActivation(node, graph, 0);
    sameBatch(node, graph);
    const s = sample(x), o = sample(graph.tensor(node.outputs[0]));
    const scales = list(node.attrs['scales']) ?? [];
    const sizes = list(node.attrs['sizes']);
    const ctm = String(node.attrs['coordinateTransformationMode'] ?? 'half_pixel');
    const nm = String(node.attrs['nearestMode'] ?? 'round_prefer_floor');
    // The index map of every axis is computed here once, by the interpreter's own rule, and emitted as is.
    const maps: Record<string, number[]> = {};
    s.forEach((d, i) => {
      const scale = sizes ? Math.fround(o[i] / d) : scales[i + 1];
      maps[`index_map_${i}`] = Array.from(nearestIndexMap(d, o[i], scale, ctm, nm));
    });
    return { kernel: 'resize_nearest', params: { in_shape: s, out_shape: o, ...maps } };
  },
};

function pool(op: 'max' | 'average'): Planner {
  return (node, graph) => {
    const x = requireActivation(node, graph, 0);
    const { dims, p } = spatialGeometry(node, x, graph.tensor(node.outputs[0]));
    const params: KernelPlan['params'] = { ...p, pool_op: op, ceil_mode: node.attrs['ceilMode'] === true ? 1 : 0 };
    params['pool_height'] = p.filt_height; params['pool_width'] = p.filt_width;
    if (op === 'average') params['count_include_pad'] = node.attrs['countIncludePad'] === true ? 1 : 0;
    return { kernel: `pooling${dims}d`, params };
  };
}

function globalPool(op: 'max' | 'average'): Planner {
  return (node, graph) => {
    const x = requireActivation(node, graph, 0);
    if ((node.attrs['layout'] ?? 'NCHW') !== 'NHWC') throw new Unsupported('it is still channels-first (NCHW); the FPGA kernels take channels-last data');
    const s = sample(x);
    const dims = s.length - 1;
    if (dims !== 1 && dims !== 2) throw new Unsupported(`only 1-D and 2-D spatial data is supported (input per sample ${s.join('x')})`);
    const params: KernelPlan['params'] = dims === 2 ? { in_height: s[0], in_width: s[1], n_chan: s[2] } : { in_width: s[0], n_chan: s[1] };
    params['pool_op'] = op;
    return { kernel: `global_pooling${dims}d`, params };
  };
}

/** The kernel of a node of the optimized IR, or the reason there is none. */
export function planKernel(node: IRNode, graph: Graph, strategy: HlsStrategy = 'latency'): KernelPlan | string {
  const planner = PLANNERS[node.op];
  if (!planner) return `no HLS kernel implements op ${node.op}${node.origin && node.origin.op !== node.op ? ` (from ONNX ${node.origin.op})` : ''}`;
  try {
    for (const o of node.outputs) if (o !== '' && typeof perSample(graph.tensor(o)) === 'string') return perSample(graph.tensor(o)) as string;
    // Kernels compute the first output only (LayerNormalization's Mean / InvStdDev outputs have none).
    const extra = node.outputs.slice(1).filter((o) => o !== '' && (graph.consumers(o).length > 0 || graph.isGraphOutput(o)));
    if (extra.length) return `its extra output${extra.length > 1 ? 's' : ''} ${extra.map((o) => `'${o}'`).join(', ')} ${extra.length > 1 ? 'are' : 'is'} used, but the kernel computes only the first`;
    return planner(node, graph, strategy);
  } catch (e) {
    if (e instanceof Unsupported) return e.message;
    throw e;
  }
}

/** Ops with a kernel (for listings). */
export const SUPPORTED_OPS = Object.keys(PLANNERS).sort();

/**
 * Annotates every node with its kernel, sizes, strategy, io type and position (node.meta.hls); a node without a
 * kernel gets node.meta.hlsUnsupported instead, reported (all at once) by vitis-check-kernels.
 */
export const selectKernels: GraphPass = {
  name: 'vitis-kernels',
  match: 'graph',
  description: 'choose the C++ kernel and its sizes for every node',
  transform(graph) {
    const io: HlsIO = (graph.meta['hls'] as { io: HlsIO }).io;
    let index = 0;
    for (const node of graph.topoOrder()) {
      const cfg = node.meta[CONFIG_KEY] as LayerConfig;
      const plan = planKernel(node, graph, cfg.strategy);
      if (typeof plan === 'string') {
        node.meta[UNSUPPORTED_KEY] = plan;
        delete node.meta['hls'];
        continue;
      }
      const layer: HlsLayer = {
        kernel: plan.kernel,
        index: index++,
        reuseFactor: plan.mult ? cfg.reuseFactor : 1,
        strategy: cfg.strategy,
        io,
        types: {},
        params: plan.params,
        layerName: node.origin?.name || node.name,
      };
      if (plan.mult) {
        layer.params['n_mult_in'] = plan.mult.nIn;
        layer.params['n_mult_out'] = plan.mult.nOut;
      }
      if (cfg.parallelization !== undefined && /^(conv|depthwise_conv|pooling)/.test(plan.kernel)) layer.parallelization = cfg.parallelization;
      node.meta['hls'] = layer;
    }
    return index;
  },
};
