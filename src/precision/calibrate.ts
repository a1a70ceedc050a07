import { FirmflowError } from '../errors.js';
import type { Graph } from '../ir/graph.js';
import type { FixedType, OverflowMode, RoundingMode } from '../ir/types.js';
import type { RtTensor } from '../ir/ops.js';
import { interpret, type Feed } from '../interp/interpreter.js';
import { toFloat64 } from '../onnx/tensor.js';
import { quantizeArray } from '../fixed/quantize.js';
import { defaultConfig, type PrecisionConfig, type RolePrecisions } from './config.js';
import { assignPrecision, type LayerPrecision } from './infer.js';

export interface CalibrateOptions {
  /** Calibration inputs by graph input name; the first axis is the sample axis. */
  inputs: Record<string, Feed>;
  /** Largest acceptable error on the model outputs (see `metric`). */
  targetError: number;
  /** 'max' (default): max |fixed - float| over every output element of every sample; 'mean': mean of it. */
  metric?: 'max' | 'mean';
  /** Headroom on observed activation ranges: integer bits cover max|x| * (1 + margin). Default 0.25. */
  margin?: number;
  /** Widest type a tensor may get (default 32); also the accumulator cap. */
  maxWidth?: number;
  rounding?: RoundingMode;
  /** Overflow mode of activations (default SAT: values beyond the calibrated range clamp instead of wrapping). */
  overflow?: OverflowMode;
}

/** One tunable tensor: a graph input, a layer's result, or a weight/bias constant. */
interface Knob {
  tensor: string;
  layer: string;
  role: 'input' | 'result' | 'weight' | 'bias';
  signed: boolean;
  /** Integer bits including the sign bit. */
  integer: number;
  maxAbs: number;
  frac: number;
  elements: number;
}

export interface CalibratedLayer extends LayerPrecision {
  /** Largest |value| seen on the layer's result during calibration. */
  observedMax?: number;
}

export interface CalibrationResult {
  layers: CalibratedLayer[];
  /** Error of the chosen assignment (per `metric`). */
  error: number;
  met: boolean;
  targetError: number;
  metric: 'max' | 'mean';
  /** How many fixed-point evaluations of the model the search ran. */
  evaluations: number;
  /** The chosen types as a configuration (layerName entries), ready for readPrecisionConfig. */
  config: PrecisionConfig;
}

/** Integer bits (with sign) for magnitudes up to m. */
function integerBits(m: number, signed: boolean): number {
  const ib = m > 0 ? Math.floor(Math.log2(m)) + 1 : 0;
  return ib + (signed ? 1 : 0);
}

/**
 * Data-driven precision: runs the float model over the calibration inputs, takes per-tensor integer bits from
 * the observed ranges (plus `margin`), then searches the fewest fractional bits that keep the output error within
 * `targetError`: first one fraction count for every tensor (binary search), then each tensor on its own, largest
 * first, as far as the target allows. Each candidate is evaluated by annotating the tensors' precision and running
 * the float interpreter (which applies the annotations); weights are quantized in a working copy.
 *
 * Limits: the interpreter computes each op in float64 and quantizes its result, which is exact for linear layers
 * whose accumulators fit 53 bits (always true below the cap) but only approximates ops that hardware computes
 * through lookup tables (Sigmoid, Softmax ...): their table error is not modelled. Ranges come from the
 * calibration data only; inputs outside them saturate. The search is greedy, so it finds a local minimum of the
 * total bit count, not a global one.
 */
export function calibratePrecision(graph: Graph, options: CalibrateOptions): CalibrationResult {
  const metric = options.metric ?? 'max';
  const margin = options.margin ?? 0.25;
  const maxWidth = options.maxWidth ?? 32;
  const rounding = options.rounding ?? 'RND_CONV';
  const overflow = options.overflow ?? 'SAT';
  if (!(options.targetError > 0)) throw new FirmflowError('precision.calibrate', `target error must be a positive number, got ${options.targetError}`);

  // Float reference, and observed ranges of every tensor.
  const observed = new Map<string, { max: number; neg: boolean; n: number }>();
  const note = (name: string, v: RtTensor): void => {
    let max = 0, neg = false;
    for (const x of v.data) { if (x < 0) neg = true; const a = Math.abs(x); if (a > max) max = a; }
    observed.set(name, { max, neg, n: v.data.length });
  };
  const work = graph.clone();
  const ref = interpret(work, options.inputs, { applyPrecision: false, onTensor: note });
  for (const p of work.inputs) {
    const f = options.inputs[p.name];
    note(p.tensor, { shape: [...f.shape], data: Float64Array.from(f.data) });
  }

  const knobs: Knob[] = [];
  const addKnob = (tensor: string, layer: string, role: Knob['role'], o: { max: number; neg: boolean; n: number }, headroom: number): void => {
    if (knobs.some((k) => k.tensor === tensor)) return;
    if (work.tensor(tensor).precision) return; // the model's own quantizer decides
    const integer = integerBits(o.max * headroom, o.neg);
    knobs.push({ tensor, layer, role, signed: o.neg, integer, maxAbs: o.max, frac: maxWidth - integer, elements: o.n });
  };
  for (const p of work.inputs) addKnob(p.tensor, p.name, 'input', observed.get(p.tensor)!, 1);
  const order = work.topoOrder();
  for (const node of order) {
    node.inputs.forEach((i, k) => {
      if (i === '' || !work.isConstant(i) || !work.tensor(i).data) return;
      const d = toFloat64(work.tensor(i).data!);
      let max = 0, neg = false;
      for (const x of d) { if (x < 0) neg = true; if (Math.abs(x) > max) max = Math.abs(x); }
      addKnob(i, node.name, k === 2 ? 'bias' : 'weight', { max, neg, n: d.length }, 1);
    });
    for (const o of node.outputs) if (o !== '' && observed.has(o)) addKnob(o, node.name, 'result', observed.get(o)!, 1 + margin);
  }
  const originals = new Map(knobs.filter((k) => k.role === 'weight' || k.role === 'bias').map((k) => [k.tensor, toFloat64(work.tensor(k.tensor).data!)]));

  const typeOf = (k: Knob, frac: number): FixedType => {
    const f = Math.max(frac, 1 - k.integer); // at least one bit
    return { signed: k.signed, width: k.integer + f, integer: k.integer, rounding, overflow: k.role === 'weight' || k.role === 'bias' ? 'SAT' : overflow };
  };
  const refOut = work.outputs.map((p) => ref[p.name].data);
  let evaluations = 0;
  const evaluate = (fracs: number[]): number => {
    evaluations++;
    knobs.forEach((k, i) => {
      const t = typeOf(k, fracs[i]);
      const tensor = work.tensor(k.tensor);
      if (k.role === 'weight' || k.role === 'bias') tensor.data = quantizeArray(Float64Array.from(originals.get(k.tensor)!), t);
      else tensor.precision = t;
    });
    const got = interpret(work, options.inputs, { applyPrecision: true });
    let err = 0, sum = 0, n = 0;
    work.outputs.forEach((p, j) => {
      const a = got[p.name].data, b = refOut[j];
      for (let e = 0; e < a.length; e++) {
        const d = Math.abs(a[e] - b[e]);
        if (d > err || Number.isNaN(d)) err = Number.isNaN(d) ? Infinity : d;
        sum += d;
        n++;
      }
    });
    return metric === 'max' ? err : sum / Math.max(n, 1);
  };

  const fmax = Math.max(...knobs.map((k) => maxWidth - k.integer), 0);
  const fmin = Math.min(...knobs.map((k) => 1 - k.integer), 0);
  const uniform = (f: number): number[] => knobs.map((k) => Math.min(f, maxWidth - k.integer));
  let best = uniform(fmax);
  let bestErr = evaluate(best);
  if (bestErr <= options.targetError) {
    let lo = fmin, hi = fmax; // invariant: uniform(hi) meets the target
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const e = evaluate(uniform(mid));
      if (e <= options.targetError) hi = mid;
      else lo = mid + 1;
    }
    best = uniform(hi);
    bestErr = evaluate(best);
    // Per tensor, the biggest ones first (most bits saved).
    const idx = knobs.map((_, i) => i).sort((a, b) => knobs[b].elements - knobs[a].elements);
    for (const i of idx) {
      let l = 1 - knobs[i].integer, h = best[i];
      while (l < h) {
        const mid = Math.floor((l + h) / 2);
        const trial = best.slice();
        trial[i] = mid;
        if (evaluate(trial) <= options.targetError) h = mid;
        else l = mid + 1;
      }
      best[i] = h;
    }
    bestErr = evaluate(best);
  }
  // Restore the working copy's constants before the final type assignment.
  for (const [t, d] of originals) work.tensor(t).data = d;

  // The chosen types as configuration entries, then the full assignment (auto accumulators) for the report.
  const cfg = defaultConfig();
  cfg.maxWidth = Math.max(maxWidth, 64);
  knobs.forEach((k, i) => {
    const entry: RolePrecisions = (cfg.layerName[k.layer] ??= {});
    entry[k.role] = typeOf(k, best[i]);
  });
  const assigned = graph.clone();
  for (const t of assigned.tensors.values()) if (knobs.some((k) => k.tensor === t.name)) t.precision = undefined;
  const layers: CalibratedLayer[] = assignPrecision(assigned, cfg);
  for (const l of layers) {
    const node = assigned.nodes.get(l.layer);
    const outName = node ? node.outputs[0] : assigned.inputs.find((p) => p.name === l.layer)?.tensor;
    if (outName && observed.has(outName)) l.observedMax = observed.get(outName)!.max;
  }
  return { layers, error: bestErr, met: bestErr <= options.targetError, targetError: options.targetError, metric, evaluations, config: cfg };
}
