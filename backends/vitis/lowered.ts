/*
 * The lowered graph of the Vitis/Vivado backend: what the lowering flows (vitis:lower, vitis:stream, vitis:check)
 * leave on the IR for the writer (C++ project) and the emulator. docs/design/vitis-backend.md is the contract;
 * this file is its TypeScript form.
 *
 * After lowering:
 * - every node has `node.meta.hls: HlsLayer`;
 * - every tensor (activations and constants) has `precision: FixedType`;
 * - every constant read by a node has `tensor.meta.hlsCodes`: its integer codes in that precision
 *   (Int32Array when the type is at most 32 bits wide, else Float64Array; BigInt64Array when wider than 53 bits);
 * - every activation tensor has `tensor.meta.hlsShape`: its shape for ONE sample (the batch axis 0 dropped), and in
 *   io_stream `tensor.meta.hlsStream: HlsStreamInfo`;
 * - `graph.meta.hls: HlsGraphInfo` holds model-level facts (io type, input layouts, warnings).
 *
 * Roles in HlsLayer.types:
 *   input        type of the first activation input (== its producer tensor's precision);
 *   input1, ...  types of further inputs (Add/Sub/Mul/Concat operands), activations or constants;
 *   weight, bias Dense/Conv constants;  scale, shift: ScaleShift / LayerNormalization gamma, beta / PRelu slope /
 *                constant factors (LeakyRelu alpha, HardSigmoid alpha and beta, Selu gamma, AveragePool 1/count,
 *                Clip bounds, Rescale scale);
 *   inv_scale    Rescale's 1/scale;  zero_point: Rescale's zero points (integers);
 *   accum        accumulator (exact by default; capped at 64 bits);
 *   result       == output tensor precision;
 *   table        the lookup table of Sigmoid/Tanh/Elu/Selu/Softplus, LayerNormalization's inv_std table;
 *   exp_table, inv_table, exp_sum   Softmax (stable); its tables are exp_table (coarse), exp_fine, inv_table.
 *
 * Kernels and HlsLayer.params (io_parallel names; in io_stream every name gets `_stream`, Dense/Conv without the
 * strategy suffix). Shapes are per sample; spatial data is channels-last (NHWC / NWC), conv weights HWIO.
 *   dense_latency | dense_resource       n_in, n_out, n_rows (vectors per sample, normally 1), has_bias
 *   conv1d_* / conv2d_*                  [in_height,] in_width, n_chan, [filt_height,] filt_width, n_filt,
 *                                        [stride_height,] stride_width, [dilation_height,] dilation_width,
 *                                        [pad_top,] pad_left, [pad_bottom,] pad_right, [out_height,] out_width,
 *                                        has_bias, weight_layout 'HWIO'
 *   depthwise_conv1d_* / _2d_*           as conv, plus depth_multiplier (weights [kh, kw, 1, C * m])
 *   (Dense, Conv also: n_mult_in, n_mult_out = the multiplication block the reuse factor divides)
 *   pooling1d / pooling2d                conv geometry (filt_* == pool_*), pool_op 'max' | 'average', ceil_mode,
 *                                        count_include_pad (average), inv_count_codes (average: codes of
 *                                        scale(1/n), n = 0..taps, entry 0 unused, in types.scale)
 *   global_pooling1d / 2d                [in_height,] in_width, n_chan, pool_op, inv_count_codes (average: one
 *                                        entry, scale(1/pixels))
 *   scale_shift                          n_in, n_chan, n_inner (elements after the channel axis), has_shift
 *   relu, sigmoid, tanh, softplus, softsign, elu, fixed_cast      n_in
 *   leaky_relu                           n_in, alpha_code (types.scale)
 *   hard_sigmoid                         n_in, alpha_code, beta_code (types.scale)
 *   selu                                 n_in, gamma_code (types.scale; the table holds gamma*alpha*expm1(x))
 *   clip                                 n_in, has_min, has_max, min_code, max_code (types.scale)
 *   prelu                                n_in, out_shape, slope_shape (slope codes: input 1, types.scale)
 *   bipolar_quant                        n_in (y = x >= 0 ? s : -s, s = input 1 in types.scale == result)
 *   rescale                              n_in, n_chan, n_inner, bits, signed, narrow, rounding_mode,
 *                                        zero_point (integers), zero_point_before_rounding, inv_scale_codes
 *                                        (types.inv_scale), zero_point_codes (types.zero_point), prod_frac, q_min,
 *                                        q_max; scale codes: input 1 (types.scale)
 *   softmax_stable | softmax_argmax      n_in (softmax axis, the last), n_rows; stable also exp_shift,
 *                                        exp_fine_shift, exp_t_max (the split of t = max - x between the tables)
 *   layernorm                            n_in (normalized axis, the last), n_rows, epsilon, has_bias
 *   add, sub, mul                        n_out, out_shape, in0_shape, in1_shape (right-aligned, 1 = broadcast),
 *                                        broadcast (0 when all shapes are equal)
 *   concat                               axis (per-sample axis), n_inputs, out_shape, in<i>_shape
 *   transpose                            perm (per-sample axes), in_shape, out_shape, n_in
 *   reshape (Reshape/Flatten/Squeeze/Unsqueeze)   n_in, in_shape, out_shape
 *   pad                                  in_shape, out_shape, pad_begin, pad_end, value
 *   resize_nearest                       in_shape, out_shape, index_map_<axis> (input index of every output index)
 * io_stream adds: in_pack, out_pack, repack (1 when they differ); line-buffered convolutions and pooling also
 * lb_rows, lb_width, lb_chan (and HlsLayer.parallelization, default 1).
 */
import { FirmflowError, type FixedType, type Graph, type IRNode, type Tensor } from 'firmflow';

export type { FixedType };

export type HlsStrategy = 'latency' | 'resource';
export type HlsIO = 'io_parallel' | 'io_stream';

/**
 * A lookup table: `size = 2^n` entries over [lo, hi) with hi - lo = 2^r, entry i = type(f(lo + (i + 0.5) * (hi - lo)
 * / size)). The index of x is floor((x - lo) * size / (hi - lo)) computed exactly from x's integer code, clamped to
 * [0, size - 1]. `codes` are the entries' integer codes in `type` (Int32Array up to 32 bits, else Float64Array).
 */
export interface HlsTable {
  size: number;
  lo: number;
  hi: number;
  type: FixedType;
  codes: Int32Array | Float64Array;
  /** What the table holds, for comments in generated code: 'sigmoid', 'tanh', 'exp', 'inv', 'inv_sqrt' ... */
  fn?: string;
}

/** io_stream facts of an activation tensor (tensor.meta.hlsStream). */
export interface HlsStreamInfo {
  /** Elements per stream beat (the last axis of the per-sample shape: channels of a pixel, or a whole vector). */
  pack: number;
  /** Beats per sample (elements / pack). */
  beats: number;
  /** FIFO depth in beats. */
  depth: number;
}

/** Line buffer of a convolution or pooling layer in io_stream (HlsLayer.params holds it flattened as lb_*). */
export interface HlsLayer {
  /**
   * C++ kernel, e.g. 'dense_latency', 'dense_resource', 'conv2d_latency', 'softmax_stable'. In io_stream every
   * kernel name ends with '_stream' (and Dense/Conv names drop the strategy, which stays in `strategy`).
   */
  kernel: string;
  /** Position in the generated top function (topological, from 0). */
  index: number;
  /** Validated reuse factor (1 for layers without multipliers to share). */
  reuseFactor: number;
  /** Set when nothing configured a reuse factor and the smallest one that fits the io_parallel limits was chosen. */
  reuseFactorChosen?: true;
  strategy: HlsStrategy;
  io: HlsIO;
  /** Conv (and pooling) in io_stream: output pixels computed in parallel. */
  parallelization?: number;
  types: Record<string, FixedType>;
  tables?: Record<string, HlsTable>;
  /** Sizes and constants the C++ config struct needs (n_in, n_out, in_height ...); see kernelParams in passes/. */
  params: Record<string, number | number[] | string>;
  /** The layer's name in the model (origin name), used in messages and the config's LayerName section. */
  layerName: string;
}

/** How a graph input reaches the firmware when its layout differs from the model's. */
export interface HlsPortLayout {
  /** Graph port name. */
  name: string;
  /** Layout of the firmware's port. */
  layout: 'NHWC' | 'NWC';
  /** Layout of the model's port. */
  modelLayout: 'NCHW' | 'NCW';
  /** numpy-style permutation taking the model's tensor to the firmware's (host side does it, batch axis included). */
  perm: number[];
  /** Model's shape of the port (batch axis included). */
  modelShape: (number | string)[];
}

/** graph.meta.hls */
export interface HlsGraphInfo {
  io: HlsIO;
  backend: string;
  /** Graph inputs whose firmware layout is transposed relative to the model (predict transposes on the host). */
  inputLayouts: HlsPortLayout[];
  /** Graph outputs whose firmware layout is transposed relative to the model. */
  outputLayouts: HlsPortLayout[];
  /** Warnings of the lowering (overflow bounds, reuse factors replaced ...); also put into project.warnings. */
  warnings: string[];
  /** Default data precision used for inputs and results (formatted). */
  defaultPrecision: string;
}

/** The node's HlsLayer; a FirmflowError when the node was not lowered. */
export function hlsOf(node: IRNode): HlsLayer {
  const h = node.meta['hls'] as HlsLayer | undefined;
  if (!h) throw new FirmflowError('vitis.lowered', `node '${node.name}' (${node.op}) has no HLS annotation: the graph was not lowered by the vitis flows`);
  return h;
}

export function graphInfo(graph: Graph): HlsGraphInfo {
  const info = graph.meta['hls'] as HlsGraphInfo | undefined;
  if (!info) throw new FirmflowError('vitis.lowered', `graph '${graph.name}' was not lowered by the vitis flows`);
  return info;
}

/** Precision of a tensor of a lowered graph. */
export function precisionOf(t: Tensor): FixedType {
  if (!t.precision) throw new FirmflowError('vitis.lowered', `tensor '${t.name}' has no precision: the graph was not lowered by the vitis flows`);
  return t.precision;
}

/** Integer codes of a constant of a lowered graph. */
export function codesOf(t: Tensor): Int32Array | Float64Array | BigInt64Array {
  const c = t.meta['hlsCodes'] as Int32Array | Float64Array | BigInt64Array | undefined;
  if (!c) throw new FirmflowError('vitis.lowered', `constant '${t.name}' has no quantized codes: the graph was not lowered by the vitis flows`);
  return c;
}

/** Per-sample shape of an activation tensor (constants: their own shape). */
export function sampleShape(t: Tensor): number[] {
  const s = t.meta['hlsShape'] as number[] | undefined;
  if (s) return s;
  if (t.data) return t.shape as number[];
  throw new FirmflowError('vitis.lowered', `tensor '${t.name}' has no per-sample shape: the graph was not lowered by the vitis flows`);
}

export interface LoweredLayer {
  node: IRNode;
  hls: HlsLayer;
  /** Tensors of node.inputs ('' inputs left out), activations and constants. */
  inputs: Tensor[];
  outputs: Tensor[];
}

export interface LoweredGraph {
  graph: Graph;
  info: HlsGraphInfo;
  /** Layers in HlsLayer.index order (the top function's order). */
  layers: LoweredLayer[];
  inputs: { name: string; tensor: Tensor; precision: FixedType; shape: number[] }[];
  outputs: { name: string; tensor: Tensor; precision: FixedType; shape: number[] }[];
}

/** Reads a lowered graph in the order the top function calls its layers. */
export function readLoweredGraph(graph: Graph): LoweredGraph {
  const info = graphInfo(graph);
  const layers: LoweredLayer[] = [...graph.nodes.values()].map((node) => ({
    node,
    hls: hlsOf(node),
    inputs: node.inputs.filter((t) => t !== '').map((t) => graph.tensor(t)),
    outputs: node.outputs.filter((t) => t !== '').map((t) => graph.tensor(t)),
  }));
  layers.sort((a, b) => a.hls.index - b.hls.index);
  const port = (p: { name: string; tensor: string }) => {
    const t = graph.tensor(p.tensor);
    return { name: p.name, tensor: t, precision: precisionOf(t), shape: sampleShape(t) };
  };
  return { graph, info, layers, inputs: graph.inputs.map(port), outputs: graph.outputs.map(port) };
}

/**
 * What differs between the Vitis HLS and the Vivado HLS flavours of the backend: tool names, pragma spellings,
 * script and report paths. The writer (and compile/report) takes one of these by backend name (toolFlavor).
 */
export interface ToolFlavor {
  /** Backend name: 'Vitis' or 'Vivado'. */
  backend: 'Vitis' | 'Vivado';
  /** Command that runs the build script: 'vitis_hls' or 'vivado_hls'. */
  tool: string;
  /** Argument form: `${tool} -f build_prj.tcl`. */
  scriptArgs: string[];
  /** Default part when none is given. */
  defaultPart: string;
  /** Solution folder name inside the HLS project. */
  solution: string;
  /** Synthesis report of the top function, relative to the HLS project folder (`{top}` is replaced). */
  csynthReport: string;
  /** Co-simulation report, relative to the HLS project folder. */
  cosimReport: string;
  /** Pragma spellings that differ between the tools. */
  pragmas: {
    /** Array partition of an array `{var}` completely (dim 0 = all dimensions). */
    partitionComplete: string;
    /** Resource binding of a ROM-like array `{var}` (weights in the resource strategy). */
    romBinding: string;
    /** Interface of a top-level array port `{port}` in io_parallel. */
    parallelPort: string;
    /** Interface of a top-level stream port `{port}` in io_stream. */
    streamPort: string;
    /** FIFO depth of a stream `{var}` to `{depth}`. */
    fifoDepth: string;
    /** Pipelining with initiation interval `{ii}`. */
    pipeline: string;
  };
  /** export_design / config flags that differ: Vitis uses `config_export`, Vivado `export_design -format ip_catalog`. */
  exportCommand: string;
  /** Whether the tool accepts `config_array_partition -maximum_size` (Vivado only; Vitis removed it). */
  hasMaxPartitionConfig: boolean;
}
