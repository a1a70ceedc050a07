/*
 * The shape of an FPGA estimate (backends/vitis/estimate) and of a synthesis report comparison
 * (backends/vitis/reports). This is the contract other tools build on (`firmflow bench`, `sweep`, the HTML report):
 * fields are only ever added, never renamed or removed, without bumping ESTIMATE_SCHEMA_VERSION.
 * docs/fpga-estimates.md describes the model behind the numbers.
 */

export const ESTIMATE_SCHEMA = 'firmflow.fpga-estimate';
export const ESTIMATE_SCHEMA_VERSION = 1;

/** FPGA resources. BRAM is counted in 18 Kb blocks (a 36 Kb block is two), as the HLS reports count them. */
export interface Resources {
  dsp: number;
  lut: number;
  ff: number;
  bram18k: number;
  uram: number;
}

/** Fractions (0..1, may exceed 1 when the design does not fit) of a part's resources. */
export type ResourceFractions = Resources;

/** One entry of backends/vitis/parts.json. */
export interface FpgaPart {
  /** Device name without package and speed grade, lower case: 'xcu250', 'xcvu9p' ... */
  name: string;
  family: string;
  /** DSP slice: 'DSP48E1' (7 series, 25x18 signed multiplier) or 'DSP48E2' (UltraScale and later, 27x18). */
  dspType: 'DSP48E1' | 'DSP48E2';
  /** Example full part number (package and speed grade) as given to the HLS tool. */
  example: string;
  dsp: number;
  lut: number;
  ff: number;
  bram18k: number;
  uram: number;
  /** The data sheet the counts come from. */
  source: string;
}

export interface EstimateOptions {
  /** Part number (full, e.g. 'xcvu9p-flga2104-2L-e', or the device alone); default: the project's, else the backend's. */
  part?: string;
  /** Clock period in ns; default: the project's (5 ns). */
  clockPeriod?: number;
}

/** How a layer's multiplications are implemented. */
export interface MultiplierEstimate {
  /** Multiplications per sample (n_in * n_out for Dense; per output pixel times pixels for Conv). */
  multiplications: number;
  /** Multipliers instantiated (multiplications per invocation / reuse factor). */
  instances: number;
  /** Operand widths in bits (data, weight). */
  widths: [number, number];
  /** Where one multiplier goes: DSP slices, LUT fabric, or nothing (power-of-two or zero weights only). */
  impl: 'dsp' | 'lut' | 'none';
  /** DSP slices per multiplier (0 when in LUTs). */
  dspEach: number;
  /** LUTs per multiplier when in LUTs (0 when in DSPs). */
  lutEach: number;
}

/** Estimate of one layer (one call in the top function). */
export interface LayerEstimate {
  /** The layer's name in the model. */
  name: string;
  /** IR node name and op. */
  node: string;
  op: string;
  /** C++ kernel (HlsLayer.kernel). */
  kernel: string;
  /** Position in the top function. */
  index: number;
  strategy: 'latency' | 'resource';
  io: 'io_parallel' | 'io_stream';
  reuseFactor: number;
  /** The reuse factor was chosen by the conversion (none configured), not given. */
  reuseFactorChosen?: true;
  /** Cycles from the first input to the last output of one sample through this layer. */
  latencyCycles: number;
  latencyNs: number;
  /** Initiation interval in cycles: a new sample every `ii` cycles. */
  ii: number;
  resources: Resources;
  multipliers?: MultiplierEstimate;
  /** Bits of constants (weights, biases, tables) and where they are stored. */
  storage: { bits: number; in: 'registers' | 'lut' | 'bram' | 'none' };
  /** The reasoning behind the numbers that a user may want to know ("weights in BRAM: 4608 bits > 2048"). */
  notes: string[];
}

/** The whole design. */
export interface EstimateTotal {
  /** Latency of one sample, input to output, in cycles and ns. */
  latencyCycles: number;
  latencyNs: number;
  /** Initiation interval of the top function in cycles. */
  ii: number;
  /** Samples per second at the clock (1e9 / (ii * clockPeriod)). */
  throughput: number;
  /** Sum of the layers plus the interface and FIFOs (io_stream). */
  resources: Resources;
  /** Fractions of the part. */
  fractions: ResourceFractions;
  /** Whether every resource fits the part (every fraction <= 1). */
  fits: boolean;
}

export interface Estimate {
  schema: typeof ESTIMATE_SCHEMA;
  version: typeof ESTIMATE_SCHEMA_VERSION;
  /** Version of the estimation model (changes when its coefficients change; see docs/fpga-estimates.md). */
  model: string;
  backend: string;
  /** Project name when known. */
  projectName?: string;
  io: 'io_parallel' | 'io_stream';
  /** The part the fractions refer to (the part table's entry) and the part number as requested. */
  part: FpgaPart;
  partNumber: string;
  clockPeriod: number;
  /** Clock in MHz (1000 / clockPeriod). */
  clockMHz: number;
  layers: LayerEstimate[];
  /** Top-level interface and, in io_stream, the FIFOs between layers. */
  interface: Resources;
  total: EstimateTotal;
  /** Model-wide assumptions (listed by `firmflow report` and the HTML report). */
  assumptions: string[];
}

// -------------------------------------------------------------------------------------------------------------------
// Vendor reports (backends/vitis/reports) and their comparison with an estimate (`firmflow report`, project.report()).

/** Latency and interval as a report gives them (cycles). Fields the report lacks are undefined. */
export interface ReportLatency {
  best?: number;
  average?: number;
  worst?: number;
  intervalMin?: number;
  intervalMax?: number;
}

/** A module (function instance) of an HLS synthesis report. */
export interface ReportModule {
  /** Module name as the tool wrote it (e.g. 'dense_latency_ap_fixed_16_6_...'). */
  name: string;
  /** Instance name when known (e.g. 'grp_dense_latency_..._fu_123', 'call_ret_relu_fu_80'). */
  instance?: string;
  latency: ReportLatency;
  resources: Partial<Resources>;
}

/** Parsed `<top>_csynth.xml`. */
export interface CsynthReport {
  file: string;
  /** 'vitis_hls', 'vivado_hls' or what the report names (ReportVersion/ProductFamily), when given. */
  tool?: string;
  version?: string;
  top?: string;
  part?: string;
  /** Target and estimated clock period (ns). */
  targetClock?: number;
  estimatedClock?: number;
  clockUncertainty?: number;
  latency: ReportLatency;
  resources: Partial<Resources>;
  available: Partial<Resources>;
  modules: ReportModule[];
}

/** Parsed `<top>_cosim.rpt`. */
export interface CosimReport {
  file: string;
  /** One row per RTL language simulated (VHDL / Verilog). */
  rows: { language: string; status: string; latency: { min?: number; avg?: number; max?: number }; interval: { min?: number; avg?: number; max?: number }; totalCycles?: number }[];
}

/** Parsed Vivado `report_utilization` text report. */
export interface UtilizationReport {
  file: string;
  tool?: string;
  design?: string;
  device?: string;
  /** Used resources (CLB LUTs, CLB registers, Block RAM tiles as 18K blocks, URAM, DSPs). */
  resources: Partial<Resources>;
  available: Partial<Resources>;
}

/** A resource or latency figure: estimate beside actual. */
export interface Compared {
  estimate?: number;
  actual?: number;
  /** (estimate - actual) / actual, when both are known and actual is not 0. */
  error?: number;
}

export interface ComparedLayer {
  /** Layer name (model) and node. */
  name: string;
  node: string;
  kernel: string;
  /** Report module matched to the layer, if any. */
  module?: string;
  latency: Compared;
  ii: Compared;
  dsp: Compared;
  lut: Compared;
  ff: Compared;
  bram18k: Compared;
}

export interface ProjectReport {
  schema: 'firmflow.fpga-report';
  version: 1;
  dir: string;
  backend: string;
  projectName: string;
  estimate: Estimate;
  /** Reports found in the project folder (absent when the user has not run that step). */
  csynth?: CsynthReport;
  cosim?: CosimReport;
  utilization?: UtilizationReport;
  /** Where the reports were looked for. */
  searched: string[];
  layers: ComparedLayer[];
  total: {
    latency: Compared;
    ii: Compared;
    /** Latency measured by co-simulation, when run. */
    cosimLatency?: number;
    dsp: Compared;
    lut: Compared;
    ff: Compared;
    bram18k: Compared;
    uram: Compared;
  };
  /** Which source the "actual" totals come from: Vivado utilization (post-synthesis) wins over the HLS estimate. */
  actualSource?: 'utilization' | 'csynth';
  /** Printable table. */
  text: string;
}
