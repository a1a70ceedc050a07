/*
 * The bench report: what `firmflow bench` measures, in the shape of docs/schema/bench-report.v1.json. A change that
 * removes or retypes a field is a new major schema version; adding optional fields is a minor one.
 */

export const BENCH_SCHEMA_VERSION = '1.1';
export const BENCH_SCHEMA_ID = 'https://firmflow.dev/schema/bench-report.v1.json';

/** Error statistics of one output against the float reference. */
export interface ErrorStats {
  maxAbsError: number;
  meanAbsError: number;
  /** Root mean square error. */
  rmsError: number;
  /** Fraction of samples whose argmax equals the reference's (classifier outputs only, else null). */
  argmaxAgreement: number | null;
}

export interface OutputAccuracy {
  name: string;
  /** Per-sample shape. */
  shape: number[];
  /** Whether the output is a class distribution (ends in Softmax/LogSoftmax, or --classifier). */
  classifier: boolean;
  /** Against the float reference: host (C) simulation and emulator; null when that executor did not run. */
  csim: ErrorStats | null;
  emulator: ErrorStats | null;
  /** Emulator vs C simulation: mismatching values (0 = bit-exact); null when one of them did not run. */
  bitExact: { equal: boolean; mismatches: number; maxAbsDifference: number } | null;
}

export interface Histogram {
  /** Which executor's errors: 'emulator' or 'csim'. */
  source: 'emulator' | 'csim';
  /** Signed error fixed - float of every output value; `edges` has counts.length + 1 entries. */
  edges: number[];
  counts: number[];
  /** Values that were exactly equal to the reference. */
  zeros: number;
  total: number;
}

export interface Throughput {
  /** Wall time of one call on the whole batch. */
  ms: number;
  samplesPerSecond: number;
}

/** One layer (IR node) of the firmware: drawn in the graph, listed in the per-layer table. */
export interface LayerReport {
  /** Position in firmware order (0-based). */
  index: number;
  /** The layer's name as the model gives it. */
  name: string;
  /** IR node name (unique). */
  node: string;
  op: string;
  /** Backend kernel, when the backend names one. */
  kernel: string | null;
  /** Result precision (configuration spelling), or null when the layer has none. */
  precision: string | null;
  /** Names of the layers (or graph inputs, as 'input:NAME') that feed this one. */
  from: string[];
  /** Emulator trace of the layer against the float model, when the backend traces. */
  trace: LayerTrace | null;
  /** Estimated latency and resources, when the backend estimates. */
  estimate: LayerEstimate | null;
}

export interface LayerTrace {
  maxAbsError: number | null;
  meanAbsError: number | null;
  /** The error the layer's precision explains (see `firmflow predict --trace`). */
  bound: number | null;
  /** maxAbsError / bound (> 1: not explained by the precision). */
  ratio: number | null;
  exceeds: boolean;
  overflows: number;
  overflowKind: string | null;
}

export interface ResourceFigures {
  dsp: number | null;
  lut: number | null;
  ff: number | null;
  /** 18 Kb block RAMs (a 36 Kb block counts two). */
  bram18k: number | null;
  uram: number | null;
}

export interface LayerEstimate extends ResourceFigures {
  latencyCycles: number | null;
  ii: number | null;
  reuseFactor: number | null;
  /** (v1.1, optional) The layer's resources as named counts, whatever the target: dsp/lut/... on an FPGA, tiles on AIE. */
  resources?: Record<string, number>;
}

/** (v1.1) One resource of the generic estimate: a named count, the target's capacity of it and the fraction used. */
export interface NamedResource {
  /** e.g. 'dsp', 'lut', 'ff', 'bram18k', 'uram' (FPGA); 'tiles', 'memoryTiles', 'tileMemoryBytes', 'memoryTileBytes' (AIE). */
  name: string;
  used: number;
  available: number | null;
  fraction: number | null;
}

export interface EstimateReport {
  /** Who estimated, e.g. 'Vitis estimate model fpga-1'. */
  source: string;
  /** The part the fractions refer to, and the part number as requested. */
  part: string | null;
  partNumber: string | null;
  clockPeriodNs: number | null;
  total: ResourceFigures & { latencyCycles: number | null; latencyNs: number | null; ii: number | null; samplesPerSecond: number | null };
  /** Fractions (0..1, above 1 when the design does not fit) of the part's resources, when the part is known. */
  utilization: ResourceFigures | null;
  fits: boolean | null;
  /** Assumptions and caveats the estimator states. */
  notes: string[];
  /** (v1.1, optional) Every backend's resources as named counts (the FPGA figures above, AIE tiles and memory). */
  resources?: NamedResource[];
  /** (v1.1, optional) What bounds the throughput, when the estimator says (AIE: the slowest stage). */
  bottleneck?: string | null;
}

export interface BenchReport {
  $schema: string;
  schemaVersion: string;
  tool: { name: 'firmflow'; version: string };
  createdAt: string;
  environment: { node: string; platform: string; cpu: string; cores: number };
  model: {
    /** The ONNX file benchmarked, when given one. */
    path: string | null;
    /** The project folder (null when it was a temporary folder, removed afterwards). */
    projectDir: string | null;
    name: string;
    backend: string;
    parameters: number | null;
    inputs: { name: string; shape: number[]; precision: string | null }[];
    outputs: { name: string; shape: number[]; precision: string | null }[];
  };
  settings: {
    samples: number;
    seed: number | null;
    inputSource: 'random' | 'file';
    /** Range of the random inputs, per input. */
    ranges: { input: string; min: number; max: number }[];
    options: Record<string, string | number | boolean | null>;
  };
  reference: {
    executor: 'onnxruntime' | 'interpreter' | 'none';
    version: string | null;
    /** Why the executor is what it is (fallbacks), for readers. */
    note: string | null;
  };
  accuracy: {
    outputs: OutputAccuracy[];
    /** Over every output: the worst figures (null when that executor did not run). */
    summary: {
      csimMaxAbsError: number | null;
      emulatorMaxAbsError: number | null;
      meanAbsError: number | null;
      argmaxAgreement: number | null;
      bitExact: boolean | null;
    };
    histogram: Histogram | null;
  };
  timings: {
    convertMs: number | null;
    writeMs: number | null;
    compile: { ms: number; cached: boolean } | null;
    csim: Throughput | null;
    emulator: Throughput | null;
    reference: Throughput | null;
  };
  layers: LayerReport[];
  trace: { samples: number; firstUnexplained: string | null; overflowed: { layer: string; count: number; kind: string }[] } | null;
  estimates: EstimateReport | null;
  warnings: string[];
}
