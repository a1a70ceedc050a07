import { FirmflowError, formatType, type GraphPass, interpret, quoted, sizeOf, typeRange } from 'firmflow';
import { readFileSync } from 'node:fs';
import { permuteSamples } from '../emulate/emulator.js';
import { hlsConfig } from '../config.js';
import { sampleShape, type HlsPortLayout } from '../lowered.js';
import { PARTITION_LIMIT, UNSUPPORTED_KEY, describe, hls, shapeOf, warn } from './common.js';
import { reuseForLimit } from './reuse.js';

export { PARTITION_LIMIT };

/**
 * Graph outputs the firmware cannot produce: one that is a graph input (its port would be declared twice) or a
 * constant (no layer writes it, and it has no batch axis). Refused by name, all at once, before anything is written.
 */
export const checkOutputs: GraphPass = {
  name: 'vitis-check-outputs',
  match: 'graph',
  description: 'refuse graph outputs that are graph inputs or constants (no layer produces them)',
  transform(graph, ctx) {
    const inputs = new Set(graph.inputs.map((p) => p.tensor));
    const bad: string[] = [];
    for (const o of graph.outputs) {
      const t = graph.tensor(o.tensor);
      if (inputs.has(o.tensor)) bad.push(`  - graph output ${quoted(o.name)} is the graph input ${quoted(graph.inputs.find((p) => p.tensor === o.tensor)?.name ?? o.tensor)} itself`);
      else if (t?.data) bad.push(`  - graph output ${quoted(o.name)} is a constant`);
    }
    if (bad.length) {
      throw new FirmflowError(
        'vitis.unsupported',
        `backend ${ctx.backend ?? 'Vitis'} cannot write '${graph.name}' (nothing was written): no layer produces ${bad.length > 1 ? 'these outputs' : 'this output'}; compute it in the model or take it out of the outputs:\n${bad.join('\n')}`,
        { outputs: bad.length },
      );
    }
    return 0;
  },
};

/** Every node without a kernel, named with its op and the reason, in one error. */
export const checkKernels: GraphPass = {
  name: 'vitis-check-kernels',
  match: 'graph',
  description: 'refuse, all at once, nodes that have no HLS kernel',
  transform(graph, ctx) {
    const bad: { node: string; op: string; reason: string }[] = [];
    for (const node of graph.topoOrder()) {
      if (hls(node)) continue;
      const reason = (node.meta[UNSUPPORTED_KEY] as string | undefined) ?? 'it was not lowered';
      bad.push({ node: node.origin?.name || node.name, op: node.origin?.op && node.origin.op !== node.op ? `${node.op}, from ONNX ${node.origin.op}` : node.op, reason });
    }
    if (bad.length) {
      throw new FirmflowError(
        'vitis.unsupported',
        `backend ${ctx.backend ?? 'Vitis'} cannot implement ${bad.length} node${bad.length > 1 ? 's' : ''} of '${graph.name}' (nothing was written):\n${bad.map((b) => `  - node '${b.node}' (${b.op}): ${b.reason}`).join('\n')}`,
        bad,
      );
    }
    return 0;
  },
};

/**
 * io_parallel limits (docs/design/vitis-backend.md, "Limits checked before writing"): every layer's input and output
 * arrays and its multipliers per cycle stay within 4096; all violations in one error suggesting io_stream or a
 * larger reuse factor.
 */
export const checkLimits: GraphPass = {
  name: 'vitis-check-limits',
  match: 'graph',
  description: 'io_parallel: refuse arrays or multiplier counts above 4096 (suggest io_stream or a larger reuse factor)',
  transform(graph, ctx) {
    if (hlsConfig(ctx.options, graph).model.io !== 'io_parallel') return 0;
    const problems: string[] = [];
    const details: Record<string, unknown>[] = [];
    for (const p of graph.inputs) {
      const n = sizeOf(shapeOf(graph.tensor(p.tensor)));
      if (n > PARTITION_LIMIT) {
        problems.push(`graph input '${p.name}' has ${n} elements per sample, more than the ${PARTITION_LIMIT} an io_parallel array may be partitioned into; use io_stream`);
        details.push({ input: p.name, elements: n });
      }
    }
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      if (!layer) continue;
      // Each array once: where it is produced (graph inputs below).
      for (const name of node.outputs) {
        if (name === '') continue;
        const n = sizeOf(shapeOf(graph.tensor(name)));
        if (n > PARTITION_LIMIT) {
          problems.push(`${describe(node)}: its output '${name}' has ${n} elements per sample, more than the ${PARTITION_LIMIT} an io_parallel array may be partitioned into; use io_stream`);
          details.push({ layer: layer.layerName, node: node.name, tensor: name, elements: n });
        }
      }
      const nIn = layer.params['n_mult_in'] as number | undefined, nOut = layer.params['n_mult_out'] as number | undefined;
      if (nIn !== undefined && nOut !== undefined) {
        const mults = (nIn * nOut) / layer.reuseFactor;
        if (mults > PARTITION_LIMIT) {
          const r = reuseForLimit(nIn, nOut);
          problems.push(`${describe(node)}: ${nIn} x ${nOut} multiplications at reuse factor ${layer.reuseFactor} unroll ${mults} multipliers per cycle, more than ${PARTITION_LIMIT}; use a reuse factor of at least ${r ?? '(none is valid)'}${r !== undefined ? ' (the smallest valid one that fits)' : ''}, or io_stream`);
          details.push({ layer: layer.layerName, node: node.name, multipliers: mults, reuseFactor: layer.reuseFactor, minimumReuseFactor: r });
        }
      }
    }
    if (problems.length) {
      throw new FirmflowError(
        'vitis.limit',
        `'${graph.name}' exceeds the io_parallel limits of backend ${ctx.backend ?? 'Vitis'} (nothing was written):\n  - ${problems.join('\n  - ')}`,
        details,
      );
    }
    return 0;
  },
};

/**
 * Calibration inputs (option `calibration`): the JSON layout of ../shared/models ({"<input>": {"dtype", "shape",
 * "data"}}, batch axis first), given as an object or as the path of such a file.
 */
export type CalibrationInputs = Record<string, { shape: number[]; data: ArrayLike<number>; dtype?: string }>;

function readCalibration(v: unknown): CalibrationInputs {
  let raw: unknown = v;
  if (typeof v === 'string') {
    try {
      raw = JSON.parse(readFileSync(v, 'utf8'));
    } catch (e) {
      throw new FirmflowError('vitis.calibration', `option 'calibration': cannot read '${v}' as JSON inputs (${(e as Error).message})`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FirmflowError('vitis.calibration', `option 'calibration' must map input names to {shape, data} (the layout of ../shared/models), or name such a JSON file`);
  }
  for (const [k, t] of Object.entries(raw as Record<string, unknown>)) {
    const o = t as { shape?: unknown; data?: unknown };
    if (!o || !Array.isArray(o.shape) || !(Array.isArray(o.data) || ArrayBuffer.isView(o.data))) {
      throw new FirmflowError('vitis.calibration', `option 'calibration': input '${k}' needs a shape (batch axis first) and data`);
    }
  }
  return raw as CalibrationInputs;
}

const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : Number(v.toPrecision(5)).toString());

/**
 * With calibration inputs (option `calibration`), runs the float model (the lowered graph, fixed-point types
 * ignored) on them and warns about every layer whose result type cannot hold the values it reaches, naming the
 * layer, the range reached and how many values would saturate or wrap. Static worst-case bounds are not used: they
 * exceed the default type for nearly every trained Dense layer without meaning anything. Without calibration data,
 * the emulator reports the layers that actually overflow at run time (emulate, trace).
 */
export const checkOverflow: GraphPass = {
  name: 'vitis-check-overflow',
  match: 'graph',
  description: 'warn about layers whose result type overflows on the calibration inputs (option calibration)',
  transform(graph, ctx) {
    if (ctx.options['calibration'] === undefined) return 0;
    const cal = readCalibration(ctx.options['calibration']);
    const layouts = (graph.meta['hls'] as { inputLayouts?: HlsPortLayout[] } | undefined)?.inputLayouts ?? [];
    const stats = new Map<string, { lo: number; hi: number; over: number; n: number }>();
    const limits = new Map<string, { min: number; max: number }>();
    for (const t of graph.tensors.values()) if (!t.data && t.precision) limits.set(t.name, typeRange(t.precision));
    const onTensor = (name: string, v: { data: ArrayLike<number> }): void => {
      const lim = limits.get(name);
      if (!lim) return;
      const st = stats.get(name) ?? { lo: Infinity, hi: -Infinity, over: 0, n: 0 };
      for (let i = 0; i < v.data.length; i++) {
        const x = v.data[i];
        if (x < st.lo) st.lo = x;
        if (x > st.hi) st.hi = x;
        if (x > lim.max || x < lim.min) st.over++;
      }
      st.n += v.data.length;
      stats.set(name, st);
    };
    // Feeds in the firmware's layout; one sample at a time when the model fixes its batch size.
    let samples = -1;
    const feeds = graph.inputs.map((p) => {
      const f = cal[p.name];
      if (!f) throw new FirmflowError('vitis.calibration', `option 'calibration' has no values for input '${p.name}' (given: ${Object.keys(cal).join(', ') || 'none'})`);
      const n = f.shape[0];
      const per = f.shape.slice(1);
      const lay = layouts.find((l) => l.name === p.name);
      const data = lay ? permuteSamples(Float64Array.from(f.data as ArrayLike<number>, Number), n, per, lay.perm) : Float64Array.from(f.data as ArrayLike<number>, Number);
      const fw = sampleShape(graph.tensor(p.tensor));
      if (data.length !== n * sizeOf(fw)) throw new FirmflowError('vitis.calibration', `option 'calibration': input '${p.name}' has ${data.length} values, not ${n} samples of shape [${fw.join(', ')}]`);
      if (samples >= 0 && samples !== n) throw new FirmflowError('vitis.calibration', `option 'calibration': inputs have different sample counts`);
      samples = n;
      return { name: p.name, tensor: p.tensor, per: fw, data };
    });
    const fixedBatch = graph.inputs.some((p) => typeof graph.tensor(p.tensor).shape[0] === 'number');
    const chunk = fixedBatch ? 1 : Math.max(1, samples);
    for (let first = 0; first < samples; first += chunk) {
      const b = Math.min(chunk, samples - first);
      const feed: Record<string, { shape: number[]; data: Float64Array }> = {};
      for (const f of feeds) {
        const n = sizeOf(f.per);
        feed[f.name] = { shape: [b, ...f.per], data: f.data.subarray(first * n, (first + b) * n) };
      }
      interpret(graph, feed, { applyPrecision: false, onTensor });
    }
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      const out = node.outputs[0];
      const st = out ? stats.get(out) : undefined;
      if (!layer || !st || st.over === 0) continue;
      const t = layer.types['result'];
      const r = typeRange(t);
      warn(graph, `${describe(node)}: on the ${samples} calibration sample${samples > 1 ? 's' : ''} its outputs reach [${fmt(st.lo)}, ${fmt(st.hi)}], outside its result type ${formatType(t)} ([${fmt(r.min)}, ${fmt(r.max)}]); ${st.over} of ${st.n} values ${t.overflow.startsWith('SAT') ? 'saturate' : 'wrap around'} (give the layer a wider result precision)`);
    }
    return 0;
  },
};
