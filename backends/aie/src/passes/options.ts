import { FirmflowError, type Graph, type OptionSpec } from 'firmflow';
import { AIE_MODE_OPTIONS, AIE_ROUNDING_MODES, AIE_RTP_KINDS, type AieLayerOptions, type AieMode, type AieModeOption, type AieOptions, type AieRounding, type AieRtpKind } from '../lowered.js';
import { firstQuantizer } from '../quantize.js';

/**
 * The conversion options of the AIE backend (Backend.options). Both are objects this module checks key by key
 * (parseAieOptions), with messages naming the dotted key (aie.tileBudget).
 */
export const AIE_OPTIONS: OptionSpec[] = [
  { name: 'device', type: 'object', flag: '--device <name>', description: "AIE device: a name (AIE-ML, AIE-MLv2 ...), a device JSON file or a description object (default AIE-ML)" },
  {
    name: 'aie',
    type: 'object',
    description: 'AIE settings (-O aie.KEY=VALUE): mode auto|int|bf16, rounding, batch, objective throughput|tiles, tileBudget, throughputTarget, rtp, layers.<node> {casLength, casNum, microtile, split, anchor, weights}',
  },
];

export const DEFAULT_DEVICE = 'AIE-ML';
export const DEFAULT_BATCH = 8;

const AIE_KEYS = ['device', 'mode', 'rounding', 'batch', 'objective', 'tileBudget', 'throughputTarget', 'layers', 'rtp'];
const LAYER_KEYS = ['casLength', 'casNum', 'microtile', 'split', 'anchor', 'weights'];

function bad(key: string, msg: string): never {
  throw new FirmflowError('options.value', `option '${key}' ${msg}`, { key });
}

function posInt(key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) bad(key, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** `aie.rtp`: true (every kind), false, or a list of kinds ('shift'). */
function rtpKinds(v: unknown): AieRtpKind[] {
  if (v === undefined || v === false) return [];
  if (v === true) return [...AIE_RTP_KINDS];
  if (!Array.isArray(v) || v.some((k) => !AIE_RTP_KINDS.includes(k as AieRtpKind))) {
    bad('aie.rtp', `must be true, false or a list of ${AIE_RTP_KINDS.map((k) => `'${k}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return [...new Set(v as AieRtpKind[])];
}

function intList(key: string, v: unknown, n: number, min: number): number[] {
  if (!Array.isArray(v) || v.length !== n || v.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < min)) {
    bad(key, `must be a list of ${n} integers >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/**
 * `aie.mode` 'auto' (the default): integer kernels when the model carries quantizers (QDQ / QONNX, which the
 * integer legalization turns into int8/int16 codes), bf16 otherwise. An explicit 'int' or 'bf16' is used as given.
 * Without a graph (option checks only) 'auto' reads as 'int'.
 */
export function resolveAieMode(requested: AieModeOption, graph?: Graph): { mode: AieMode; reason: string } {
  if (requested !== 'auto') return { mode: requested, reason: `aie.mode '${requested}'` };
  if (!graph) return { mode: 'int', reason: "aie.mode 'auto' (no model given)" };
  const q = firstQuantizer(graph);
  return q
    ? { mode: 'int', reason: `aie.mode 'auto': the model carries quantizers (${q})` }
    : { mode: 'bf16', reason: "aie.mode 'auto': the model has no quantizers (float)" };
}

/**
 * Reads the AIE options from the resolved conversion options: `device` (name or JSON file) and the `aie` object
 * { device, mode: 'auto' | 'int' | 'bf16', rounding, batch, objective: 'throughput' | 'tiles', tileBudget,
 *   throughputTarget, layers: { <node name>: { casLength, casNum, microtile: [m,k,n], split: 'N'|'M', anchor: [col,row],
 *   weights: 'tile'|'memtile' } }, rtp: true | false | ['shift'] }.
 */
export function parseAieOptions(options: Record<string, unknown>, graph?: Graph): AieOptions {
  const a = options['aie'] ?? {};
  if (typeof a !== 'object' || a === null || Array.isArray(a)) bad('aie', `must be an object, got ${JSON.stringify(a)}`);
  const o = a as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!AIE_KEYS.includes(k)) bad(`aie.${k}`, `is not known (known: ${AIE_KEYS.join(', ')})`);
  const top = options['device'];
  const dev = top ?? o['device'] ?? DEFAULT_DEVICE;
  const isObj = typeof dev === 'object' && dev !== null && !Array.isArray(dev);
  if ((typeof dev !== 'string' || dev === '') && !isObj) bad('device', `must be a device name, a device JSON file or a device description object, got ${JSON.stringify(dev)}`);
  const requestedMode = o['mode'] ?? 'auto';
  if (!AIE_MODE_OPTIONS.includes(requestedMode as AieModeOption)) {
    bad('aie.mode', `must be 'auto' (int for a quantized model, bf16 for a float one), 'int' or 'bf16', got ${JSON.stringify(requestedMode)}`);
  }
  const { mode, reason: modeReason } = resolveAieMode(requestedMode as AieModeOption, graph);
  const rounding = o['rounding'];
  if (rounding !== undefined && !AIE_ROUNDING_MODES.includes(rounding as AieRounding)) {
    bad('aie.rounding', `must be one of ${AIE_ROUNDING_MODES.join(', ')}, got ${JSON.stringify(rounding)}`);
  }
  const objective = o['objective'] ?? 'throughput';
  if (objective !== 'throughput' && objective !== 'tiles') bad('aie.objective', `must be 'throughput' or 'tiles', got ${JSON.stringify(objective)}`);
  const tp = o['throughputTarget'];
  if (tp !== undefined && (typeof tp !== 'number' || !(tp > 0) || !Number.isFinite(tp))) bad('aie.throughputTarget', `must be a positive number of samples per second, got ${JSON.stringify(tp)}`);
  if (objective === 'tiles' && tp === undefined) bad('aie.throughputTarget', "is required with objective 'tiles' (the fewest tiles that reach which throughput?)");
  const layersRaw = o['layers'] ?? {};
  if (typeof layersRaw !== 'object' || layersRaw === null || Array.isArray(layersRaw)) bad('aie.layers', 'must be an object keyed by node name');
  const layers: Record<string, AieLayerOptions> = {};
  for (const [name, lv] of Object.entries(layersRaw as Record<string, unknown>)) {
    const p = `aie.layers.${name}`;
    if (typeof lv !== 'object' || lv === null || Array.isArray(lv)) bad(p, 'must be an object');
    const l = lv as Record<string, unknown>;
    for (const k of Object.keys(l)) if (!LAYER_KEYS.includes(k)) bad(`${p}.${k}`, `is not known (known: ${LAYER_KEYS.join(', ')})`);
    const lo: AieLayerOptions = {};
    if (l['casLength'] !== undefined) lo.casLength = posInt(`${p}.casLength`, l['casLength']);
    if (l['casNum'] !== undefined) lo.casNum = posInt(`${p}.casNum`, l['casNum']);
    if (l['microtile'] !== undefined) lo.microtile = intList(`${p}.microtile`, l['microtile'], 3, 1) as [number, number, number];
    if (l['split'] !== undefined) {
      if (l['split'] !== 'N' && l['split'] !== 'M') bad(`${p}.split`, `must be 'N' or 'M', got ${JSON.stringify(l['split'])}`);
      lo.split = l['split'];
    }
    if (l['anchor'] !== undefined) lo.anchor = intList(`${p}.anchor`, l['anchor'], 2, 0) as [number, number];
    if (l['weights'] !== undefined) {
      if (l['weights'] !== 'tile' && l['weights'] !== 'memtile') bad(`${p}.weights`, `must be 'tile' (in the compute tiles) or 'memtile' (streamed from memory tiles), got ${JSON.stringify(l['weights'])}`);
      lo.weights = l['weights'];
    }
    layers[name] = lo;
  }
  return {
    device: dev as AieOptions['device'],
    mode,
    requestedMode: requestedMode as AieModeOption,
    modeReason,
    rounding: rounding as AieRounding | undefined,
    batch: o['batch'] === undefined ? DEFAULT_BATCH : posInt('aie.batch', o['batch']),
    objective,
    tileBudget: o['tileBudget'] === undefined ? undefined : posInt('aie.tileBudget', o['tileBudget']),
    throughputTarget: tp as number | undefined,
    layers,
    rtp: rtpKinds(o['rtp']),
  };
}
