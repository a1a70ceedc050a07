/*
 * The conversion options of the Vitis/Vivado backends (Backend.options): the core validates them and fills in the
 * defaults, the CLI makes flags of those with one. The hls4ml-style sections (Model, LayerType, LayerName) are
 * objects the backend's own configuration reader checks (config.ts).
 */
import type { OptionSpec } from 'firmflow';
import { partProblem } from './target-values.js';

/**
 * The reuse factor when nothing sets one (the option has no schema default, so an unset reuse factor is told from
 * an explicit 1): 1, or where 1 is over the io_parallel multiplier limit the smallest valid one that fits.
 */
export const DEFAULT_REUSE_FACTOR = 1;

const powerOfTwoTable = (v: unknown): string | undefined =>
  typeof v === 'number' && v >= 2 && v <= 1 << 20 && (v & (v - 1)) === 0 ? undefined : `must be a power of two from 2 to 2^20 (tables are indexed by a shift), got ${JSON.stringify(v)}`;

export const VITIS_OPTIONS: OptionSpec[] = [
  {
    name: 'reuseFactor', type: 'positiveInt', flag: '--reuse-factor <n>', sweepFlag: '--reuse <list>', description: 'reuse factor (default: 1, or per layer the smallest valid one within the io_parallel limits)', perLayer: true, summary: true, section: { key: 'ReuseFactor', scope: 'layer' },
  },
  {
    name: 'strategy', type: 'enum', choices: ['latency', 'resource'], default: 'latency', flag: '--strategy <s>', description: 'implementation strategy', perLayer: true, summary: true, section: { key: 'Strategy', scope: 'layer' },
  },
  {
    name: 'io', type: 'enum', choices: ['parallel', 'stream'], choiceAliases: { io_parallel: 'parallel', io_stream: 'stream' }, configKeys: ['IOType'], section: { key: 'IOType', scope: 'model' }, default: 'parallel', flag: '--io <type>', description: 'I/O type', summary: true,
  },
  { name: 'part', type: 'string', check: partProblem, configKeys: ['Part'], flag: '--part <part>', reportFlag: '--part <part>', description: 'FPGA part number', summary: true },
  {
    name: 'clockPeriod', type: 'positiveNumber', unit: 'nanoseconds', default: 5, configKeys: ['ClockPeriod'], flag: '--clock-period <ns>', reportFlag: '--clock <ns>', description: 'clock period in ns', summary: true,
  },
  { name: 'Model', type: 'object', description: 'hls4ml-style Model section: Precision, ReuseFactor, Strategy, IOType, ...' },
  { name: 'LayerType', type: 'object', description: 'hls4ml-style settings per op type' },
  { name: 'LayerName', type: 'object', description: 'hls4ml-style settings per layer name' },
  { name: 'reuseFactorPolicy', type: 'enum', choices: ['error', 'nearest'], flag: false, section: { key: 'ReuseFactorPolicy', scope: 'model' }, description: "a reuse factor a layer cannot use: 'error', or the 'nearest' valid one" },
  { name: 'fifoDepth', type: 'positiveInt', flag: false, section: { key: 'FifoDepth', scope: 'model' }, description: 'depth of every FIFO between layers (io stream)' },
  { name: 'tableSize', type: 'positiveInt', check: powerOfTwoTable, flag: false, section: { key: 'TableSize', scope: 'layer' }, description: 'entries of every lookup table' },
  { name: 'parallelization', type: 'positiveInt', flag: false, section: { key: 'ParallelizationFactor', scope: 'layer' }, description: 'parallelization factor of convolutions' },
  { name: 'calibration', type: 'object', description: 'input ranges for the precision checks (a file or an object)' },
  { name: 'testbench', type: 'object', description: 'test vectors of the C-simulation testbench (a JSON file or the object)' },
];
