/*
 * The annotations the AIE lowering flows leave on the IR (node.meta.aie, graph.meta.aie), shared by the planning
 * passes, the writer, the emulator and `report`. docs/design/aie-backend.md is the contract these types follow.
 */

export type AieIntType = 'int8' | 'int16';
/** int32: the exact accumulator of a final Dense/MatMul whose float graph output has no quantizer (quantize.ts). */
export type AieDataType = AieIntType | 'int32' | 'bf16';
export type AieAcc = 'acc32' | 'acc64' | 'accfloat';
/** 'activation': Sigmoid / Tanh by table lookup (attrs.fn; kernels/activation.ts). */
export type AieKernelKind = 'dense' | 'matmul' | 'add' | 'relu' | 'activation' | 'softmax' | 'layernorm' | 'transpose' | 'view';

/** aie::rounding_mode values the kernels and the emulator implement. */
export const AIE_ROUNDING_MODES = [
  'floor', 'ceil', 'symmetric_zero', 'symmetric_inf', 'positive_inf', 'negative_inf', 'conv_even', 'conv_odd',
] as const;
export type AieRounding = (typeof AIE_ROUNDING_MODES)[number];

/**
 * The kernel of a cascade chain that holds a Dense's bias: the first (the bias starts the accumulator), or for an
 * int32 output the last (the bias is added on the output grid after the upshift).
 */
export function biasPosition(layer: Pick<AieLayer, 'upshift'>, casLength: number): number {
  return layer.upshift !== undefined ? casLength - 1 : 0;
}

/** How a Dense/MatMul is spread over kernels (chosen by the tiling search or given by the user). */
export interface AieTiling {
  /** Rows per graph iteration (product of the leading axes, batch included), not padded. */
  M: number;
  K: number;
  N: number;
  /** Kernels along one cascade chain; each takes a K slice of `tileK` rows. */
  casLength: number;
  /** Parallel chains; each takes `tileN` output columns ('N' split) or `tileM` rows ('M' split). */
  casNum: number;
  /** aie::mmul shape [m, k, n]. */
  microtile: [number, number, number];
  /** K rows per kernel (a multiple of microtile k; the last slice holds the zero padding). */
  tileK: number;
  /** Output columns per kernel (a multiple of microtile n). */
  tileN: number;
  /** Rows per kernel: M padded to microtile m, or its share of M when split along M. */
  tileM: number;
  /** Independent matrix products per iteration (MatMul's leading axes); 1 for Dense. */
  batch: number;
  /** Axis casNum splits: N for Dense, N or M for MatMul. */
  split: 'N' | 'M';
  /**
   * Where the weights live: 'tile' keeps each kernel's tileK x tileN slice in its data memory for good; 'memtile'
   * keeps them in memory tiles and streams them to the kernel every iteration in chunks of `chunkN` columns
   * (used when the weights exceed the compute tiles' memory).
   */
  weights: 'tile' | 'memtile' | 'none';
  chunkN: number;
  /** True when the user fixed casLength / casNum / microtile (validated, not searched). */
  userOverride: boolean;
}

/** One kernel instance of a layer. */
export interface AieKernelPlacement {
  /** Unique kernel id, `<node id>_c<chain>_p<pos>`; a C++ identifier. */
  id: string;
  col: number;
  row: number;
  /** Chain index (0..casNum-1) and position along the cascade (0..casLength-1). */
  chain: number;
  pos: number;
}

/** A buffer in a compute tile's data memory. */
export interface AieBuffer {
  kernelId: string;
  /** 'in0', 'in1', 'weights', 'bias', 'out', 'shift', 'wchunk' ...; ping/pong halves are separate entries. */
  name: string;
  bytes: number;
  bank: number;
  /** [col, row] of the tile whose memory holds it: the kernel's own or its west neighbour's. */
  tile: [number, number];
}

export interface AieLayer {
  kernel: AieKernelKind;
  dtype: { a: AieDataType; w?: AieDataType; out: AieDataType; acc: AieAcc };
  /** Fractional bits (scale = 2^-frac); per output column for per-channel weights. */
  frac: { a: number; w?: number | number[]; b?: number | number[]; out: number };
  /** srs shift (>= 0); per output column when the weights are per-channel. */
  shift: number | number[];
  rounding: AieRounding;
  saturate: boolean;
  /**
   * The output quantizer's code range when it is narrower than `dtype.out` (int4 / uint6 / narrow int8 held in int8
   * codes, uint8 in int16): applied after srs (which saturates to `dtype.out`) and the fused ReLU.
   */
  clamp?: { min: number; max: number };
  /**
   * int32 outputs only (a float graph output with no quantizer): the accumulator, taken to int32 with srs shift 0,
   * is shifted left by this many bits (per output column for per-channel weights) onto the output grid 2^-frac.out,
   * and the bias (biasCodes, at frac.out) is added there instead of starting the accumulator.
   */
  upshift?: number | number[];
  fusedRelu: boolean;
  /** Integer weights, K-major [K][N] (Dense) or the constant operand of an Add; bf16 bit patterns in bf16 mode. */
  weightsCodes?: Int8Array | Int16Array;
  /**
   * Bias at the product scale (frac.b = frac.a + frac.w): added to the accumulator as is; for an int32 output
   * (`upshift` set) at the output scale (frac.b = frac.out), added after the upshift.
   */
  biasCodes?: Int32Array;
  /** bf16 mode: the bias in float (added to the fp32 accumulator). */
  biasFloat?: Float32Array;
  /** Input / output tensor names the kernel reads and writes (after fusion), in kernel port order. */
  inputs: string[];
  outputs: string[];
  /** Logical shapes (batch resolved) of inputs and output. */
  shapes: { inputs: number[][]; output: number[] };
  /** Op-specific parameters: softmax/layernorm axis and epsilon, concat axis, slice offsets ... */
  attrs: Record<string, number | number[] | string>;
  /**
   * Views only: where each tensor the view makes lives in its root's buffer (computed once at legalization, read by
   * the memory plan and the writer; not kept in the project manifest, which the emulator reads).
   */
  regions?: AieViewRegion[];
  /** LayerNorm scale and bias as real numbers (the integer kernel's constants are derived from them). */
  params?: { gamma?: Float64Array; beta?: Float64Array };
  /** Nodes fused into this one (their names), for messages and reports. */
  fused: string[];
  tiling?: AieTiling;
  placement?: { kernels: AieKernelPlacement[] };
  buffers?: AieBuffer[];
  perf?: AieKernelPerf;
}

/** A tensor that lives in another tensor's row-major buffer: its block at (column, row) offsets, rows flattened. */
export interface AieViewRegion {
  tensor: string;
  src: string;
  colOff: number;
  rowOff: number;
}

export interface AieKernelPerf {
  /** Cycles of one kernel invocation (one graph iteration) of the slowest kernel of the layer. */
  cycles: number;
  /** Real (unpadded) multiply-accumulates per iteration, whole layer. */
  macs: number;
  /** macs / (kernels x cycles x peak MACs per cycle). */
  efficiency: number;
  /** What bounds the kernel: compute, input/weight/output stream, cascade. */
  bound: 'compute' | 'input' | 'weights' | 'output' | 'cascade' | 'vector';
  /** Cycles of each term, for the report. */
  terms: Record<string, number>;
  kernels: number;
}

/** One DMA access pattern on a memory-tile buffer (adf::tiling_parameters). */
export interface AieTilingParameters {
  /** Buffer extent per dimension, fastest first (elements). */
  buffer_dimension: number[];
  /** Block shape moved per step (elements). */
  tiling_dimension: number[];
  /** Start of the access, per dimension. */
  offset: number[];
  /** Loops over blocks, innermost first. */
  tile_traversal: { dimension: number; stride: number; wrap: number }[];
  /** Zero padding the MM2S DMA inserts, per dimension (reads past the written extent). */
  padding?: { before: number; after: number }[];
}

export interface AieSharedBuffer {
  /** Sanitized identifier. */
  name: string;
  /** Tensor (activation) or weights of a layer this buffer holds. */
  tensor: string;
  kind: 'activation' | 'input' | 'output' | 'weights';
  /** Element type and bytes of one copy; `copies` is 2 when ping-pong. */
  dtype: AieDataType;
  bytes: number;
  copies: number;
  /** Memory-tile columns holding it (adjacent; a DMA channel reaches the east and west neighbours). */
  columns: number[];
  /** Bytes in each of those memory tiles. */
  bytesPerColumn: number[];
  /** Endpoints: `<kernelId>:<port>` (ports in0, in1, out0, weights) or a PLIO name. */
  writers: { from: string; access: AieTilingParameters }[];
  /** A read broadcast to several kernels (the K slice every chain of a layer needs) lists them all in `kernels`. */
  readers: { to: string; kernels?: string[]; access: AieTilingParameters }[];
}

export interface AiePlio {
  name: string;
  /** Graph port name (as in the model). */
  port: string;
  tensor: string;
  direction: 'in' | 'out';
  widthBits: number;
  /** Interface column. */
  column: number;
  /** Bytes per iteration, and rows (samples) per iteration. */
  bytes: number;
  rows: number;
}

/**
 * A GMIO input that sends one memory-tile weight store (`store`, an AieSharedBuffer of kind 'weights') from DDR
 * once per graph iteration: `bytes` per iteration.
 */
export interface AieGmio {
  name: string;
  store: string;
  /** Layer (node name) and kernel whose weights it carries. */
  node: string;
  kernel: string;
  bytes: number;
}

export interface AieGraphPerf {
  /** Cycles between iterations in steady state (the bottleneck). */
  intervalCycles: number;
  bottleneck: string;
  /** Iterations per second and rows (samples) per second. */
  throughput: { iterationsPerSecond: number; samplesPerSecond: number };
  /** One iteration from first input word to last output word, along the critical path. */
  latency: { cycles: number; ns: number; path: string[] };
  tilesUsed: number;
  tilesAvailable: number;
  macsPerIteration: number;
  /** Achieved / peak MACs over the tiles used. */
  efficiency: number;
  memoryPerTile: { max: number; mean: number; capacity: number };
  memoryPerMemTile: { max: number; mean: number; capacity: number; used: number };
  layers: { node: string; kernel: AieKernelKind; kernels: number; cycles: number; bound: string; efficiency: number }[];
  /**
   * Weights streamed from DDR every iteration (layers with memory-tile weights): GMIO inputs, bytes per
   * iteration, cycles the shared DDR bandwidth needs for them and the busiest single GMIO channel.
   */
  weightTraffic?: { gmioInputs: number; bytesPerIteration: number; ddrCycles: number; channelCycles: number; ddrGBps: number };
}

export interface AieGraphMeta {
  device: string;
  /** Device file it came from (user devices), for the report. */
  deviceFile?: string;
  /** Arithmetic of the kernels: the requested `aie.mode`, or what 'auto' chose for the model. */
  mode: AieMode;
  /** How `mode` was chosen: the `aie.mode` option as given ('auto' by default) and why (report line). */
  modeChoice?: { requested: AieModeOption; reason: string };
  objective: AieObjective;
  /** Rows per iteration used for a symbolic batch axis. */
  batch: number;
  sharedBuffers: AieSharedBuffer[];
  plio: AiePlio[];
  /** GMIO inputs feeding the memory-tile weight stores (layers with `tiling.weights === 'memtile'`). */
  gmio?: AieGmio[];
  perf?: AieGraphPerf;
  /** Timing of the planning steps (ms). */
  planningMs?: Record<string, number>;
}

export type AieObjective = 'throughput' | 'tiles';

/** Kernel arithmetic: integer codes with power-of-two scales, or bf16 with fp32 accumulation. */
export type AieMode = 'int' | 'bf16';
/** The `aie.mode` option: a mode, or 'auto' (int for a model with quantizers, bf16 for a float model). */
export type AieModeOption = AieMode | 'auto';
export const AIE_MODE_OPTIONS: AieModeOption[] = ['auto', 'int', 'bf16'];

/** Per-layer user settings, keyed by node name in `aie.layers`. */
export interface AieLayerOptions {
  casLength?: number;
  casNum?: number;
  microtile?: [number, number, number];
  split?: 'N' | 'M';
  /** [col, row] of the layer's first kernel (chain 0, position 0). */
  anchor?: [number, number];
  /** Dense weights in the compute tiles ('tile') or streamed from memory tiles ('memtile'); default: searched. */
  weights?: 'tile' | 'memtile';
}

/** The backend's options (`device` and the `aie` object of the conversion options), validated. */
export interface AieOptions {
  /** Built-in device name, a device JSON file, or a device description (the JSON's content). */
  device: string | Record<string, unknown>;
  /** The arithmetic used: 'int' or 'bf16' ('auto' resolved against the model). */
  mode: AieMode;
  /** `aie.mode` as given: 'auto' (default) picks 'int' when the model carries quantizers, else 'bf16'. */
  requestedMode: AieModeOption;
  /** Why `mode` was chosen (for the report). */
  modeReason: string;
  /** Overrides the rounding taken from the output quantizers. */
  rounding?: AieRounding;
  /** Rows per iteration when the batch axis is symbolic. */
  batch: number;
  objective: AieObjective;
  /** Tiles the design may use (default: the whole device). */
  tileBudget?: number;
  /** Samples (rows) per second the design must reach; with objective 'tiles'. */
  throughputTarget?: number;
  layers: Record<string, AieLayerOptions>;
  /**
   * Kernel settings the application sets at run time (runtime parameters, graph.update): 'shift' makes every
   * Dense/MatMul's scalar requantization shift an asynchronous RTP of the kernel that applies it. Default: none.
   */
  rtp?: AieRtpKind[];
}

export type AieRtpKind = 'shift';
export const AIE_RTP_KINDS: AieRtpKind[] = ['shift'];
