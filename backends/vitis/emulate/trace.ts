import { ensureBuiltinIROps, FirmflowError, type FixedType, formatType, fracBits, type Graph, interpret, quantizeArray, type RtTensor, sizeOf, type TraceLayerSummary, type TraceReportLike, typeRange } from 'firmflow';
import { MODEL_PRECISION_KEY } from '../passes/precision.js';
import { hlsOf } from '../lowered.js';
import { kernelFor } from '../kernels/index.js';
import { boundContext, copyBound, roundingStep } from './bounds.js';
import { emulatorFor, type EmuInputs } from './emulator.js';

export { roundingStep };

/*
 * --trace: every layer's fixed-point output next to the float interpreter's, and which layer's error its
 * precision does not explain.
 *
 * The rule (sound, per sample, in the max norm). A layer with inputs x_i and output y computes y_q from its
 * fixed-point inputs; the float model computes y_f. With e_i = max |x_q,i - x_f,i| the observed error of input i,
 *
 *     |y_q - y_f|  <=  sum_i L_i * e_i  +  own
 *
 * where L_i bounds how much the layer's float function can amplify an input error (a Lipschitz constant in the
 * max norm: sum_k |w_q[k][n]| for Dense/Conv, 1 for copies, Relu and max pooling, 1/4 for Sigmoid, 1/2 for
 * Softmax ...), and `own` is what the layer's own types lose: the rounding step of the result type (one LSB for
 * truncating modes, half an LSB for rounding ones), the quantization of its constants times the largest float
 * input (sum_k |w_q - w|[k][n] * max|x_f| + |b_q - b|), an accumulator that is not exact (one accumulator LSB
 * per addition), and for table lookups the table type's rounding step plus the function's slope times half a
 * table bin. A value outside a type's range is not explained by anything: saturation and wrapping break the
 * bound, which is the point - the first layer whose error exceeds its bound is where the firmware stops tracking
 * the model (an overflow, a table whose range is too small, or a bug), and every later layer inherits its error.
 * Layers whose values needed their type's overflow mode are listed with counts.
 */

export interface TraceOptions {
  /**
   * The float model to compare with: the optimized IR before the backend's lowering (loadModel + the `optimize`
   * flow), whose tensors carry the same names. Default: the lowered graph itself with every fixed-point annotation
   * ignored, which is the float model unless the model has quantizers of its own.
   */
  reference?: Graph;
  /** Relative slack on the bound for float rounding in the reference (default 1e-9). */
  slack?: number;
}

/** A row of the trace: the core's trace row, with overflow modes of the HLS types (SAT_ZERO sets to zero). */
export interface TraceLayer extends TraceLayerSummary {
  /** Position in the firmware's top function (-1: a graph input's conversion to the input type). */
  index: number;
  /** Result type (configuration spelling). */
  type: string;
  /** Values that needed an overflow mode in this layer (result or accumulator), over all samples. */
  overflows: number;
  overflowKind?: 'saturated' | 'wrapped' | 'set to zero';
}

/** Graph inputs (conversion of the float inputs to the input type) and then every layer, in firmware order. */
export type TraceReport = TraceReportLike<TraceLayer>;

function overflowKind(t: FixedType): TraceLayer['overflowKind'] {
  return t.overflow === 'SAT_ZERO' ? 'set to zero' : t.overflow.startsWith('SAT') ? 'saturated' : 'wrapped';
}

interface TensorTrace { maxErr: Float64Array; maxXf: Float64Array }

/**
 * Emulates `inputs` and runs the float model on them, layer by layer; returns the comparison (see the file
 * comment for the bound).
 */
export function trace(graph: Graph, inputs: EmuInputs, options: TraceOptions = {}): TraceReport {
  // A reopened project (firmflow predict --trace in a fresh process) has not loaded a model: the interpreter's ops.
  ensureBuiltinIROps();
  const emu = emulatorFor(graph);
  const { codes, samples } = emu.prepareInputs(inputs);
  if (samples === 0) throw new FirmflowError('vitis.emulate', 'trace needs at least one sample');
  const slack = options.slack ?? 1e-9;

  // Fixed-point values of every layer output, all samples.
  const fixed = new Map<string, Float64Array>();
  const overflows = new Map<string, number>();
  emu.runCodes(codes, samples, {
    onLayer(k, out, batch, first, over) {
      const n = emu.size(k.output);
      let all = fixed.get(k.output);
      if (!all) { all = new Float64Array(n * samples); fixed.set(k.output, all); }
      const s = 2 ** -fracBits(graph.tensor(k.output).precision!);
      for (let i = 0; i < batch * n; i++) all[first * n + i] = out[i] * s;
      overflows.set(k.output, (overflows.get(k.output) ?? 0) + over);
    },
  });
  for (const p of emu.inputs) {
    const c = codes.get(p.tensor)!, s = 2 ** -fracBits(p.type);
    fixed.set(p.tensor, Float64Array.from(c, (v) => v * s));
  }

  const float = floatValues(options.reference ?? graph, options.reference === undefined, emu, inputs, samples);
  // The float input is the float32 feed (in the firmware's layout), before conversion to the input type.
  const prepared = floatInputs(emu, inputs, samples);
  const refGraph = options.reference ?? graph;
  const refPrecision = (tensor: string): FixedType | undefined => (options.reference
    ? (refGraph.hasTensor(tensor) ? refGraph.tensor(tensor).precision : undefined)
    : modelPrecision(graph, tensor));
  for (const [t, v] of prepared) {
    // The model's own input quantizer (a precision on the reference's input) is part of the float model.
    const q = refPrecision(t);
    float.set(t, q ? quantizeArray(v, q) : v);
  }

  const traces = new Map<string, TensorTrace>();
  const rows: TraceLayer[] = [];
  const addRow = (r: Omit<TraceLayer, 'exceeds'>): TraceLayer => { const row = { ...r, exceeds: r.samplesExceeding > 0 }; rows.push(row); return row; };

  const compare = (tensor: string, bound: (s: number) => number): { stats: Pick<TraceLayer, 'maxAbsError' | 'meanAbsError' | 'bound' | 'ratio' | 'samplesExceeding' | 'fixedRange' | 'floatRange'> } => {
    const q = fixed.get(tensor)!, f = float.get(tensor);
    const n = emu.size(tensor);
    const tr: TensorTrace = { maxErr: new Float64Array(samples).fill(NaN), maxXf: new Float64Array(samples) };
    let maxAbs = 0, sum = 0, worst = 0, worstBound = 0, exceeding = 0;
    let qlo = Infinity, qhi = -Infinity, flo = Infinity, fhi = -Infinity;
    for (let i = 0; i < q.length; i++) { if (q[i] < qlo) qlo = q[i]; if (q[i] > qhi) qhi = q[i]; }
    if (f && f.length === q.length) {
      for (let s = 0; s < samples; s++) {
        let m = 0, xm = 0;
        for (let i = s * n; i < (s + 1) * n; i++) {
          const d = Math.abs(q[i] - f[i]);
          sum += d;
          if (d > m) m = d;
          const af = Math.abs(f[i]);
          if (af > xm) xm = af;
          if (f[i] < flo) flo = f[i];
          if (f[i] > fhi) fhi = f[i];
        }
        tr.maxErr[s] = m;
        tr.maxXf[s] = xm;
        if (m > maxAbs) maxAbs = m;
        const b = bound(s);
        const r = m === 0 ? 0 : m / b;
        if (m > b * (1 + slack) + 1e-300) exceeding++;
        if (r > worst || (worstBound === 0 && s === 0)) { worst = r; worstBound = b; }
      }
    } else {
      maxAbs = NaN; sum = NaN; worst = NaN; worstBound = NaN; flo = NaN; fhi = NaN;
    }
    traces.set(tensor, tr);
    return { stats: { maxAbsError: maxAbs, meanAbsError: sum / q.length, bound: worstBound, ratio: worst, samplesExceeding: exceeding, fixedRange: [qlo, qhi], floatRange: [flo, fhi] } };
  };

  for (const p of emu.inputs) {
    const t = graph.tensor(p.tensor);
    const qIn = refPrecision(p.tensor) ? 2 ** -fracBits(p.type) : roundingStep(p.type);
    const { stats } = compare(p.tensor, () => qIn);
    const over = countOutside(float.get(p.tensor)!, p.type);
    const r = typeRange(p.type);
    addRow({ index: -1, layer: `input ${p.name}`, node: '', op: 'Input', kernel: '', tensor: t.name, type: formatType(p.type), ...stats, overflows: over, overflowKind: over ? overflowKind(p.type) : undefined, typeRange: [r.min, r.max] });
  }

  for (const k of emu.kernels) {
    const node = k.node;
    const hls = hlsOf(node);
    const R = graph.tensor(k.output).precision!;
    const bc = boundContext(graph, node, hls, refPrecision(k.output) !== undefined);
    const b = kernelFor(node.op)?.errorBound?.(bc) ?? copyBound(bc);
    const ins = k.inputs.map((t) => traces.get(t));
    const argmax = b.decision === 'argmax';
    if (argmax) oneHotReference(float, k.output, emu.size(k.output), samples);
    const boundOf = (s: number): number => {
      if (b.decision) return flipBound(float.get(k.inputs[0]), ins[0]?.maxErr[s] ?? NaN, emu.size(k.inputs[0]), s, argmax);
      let total = b.own(ins[0]?.maxXf[s] ?? 0);
      ins.forEach((tr, i) => { const e = tr ? tr.maxErr[s] : NaN; total += e === 0 ? 0 : b.L[i] * e; });
      return Number.isNaN(total) ? Infinity : total;
    };
    const { stats } = compare(k.output, boundOf);
    const over = overflows.get(k.output) ?? 0;
    const r = typeRange(R);
    addRow({
      index: hls.index, layer: hls.layerName, node: node.name, op: node.op, kernel: hls.kernel, tensor: k.output,
      type: formatType(R), ...stats, overflows: over, overflowKind: over ? overflowKind(R) : undefined, typeRange: [r.min, r.max],
    });
  }

  const outputs: TraceReport['outputs'] = {};
  for (const p of emu.outputs) {
    const row = rows.find((r) => r.tensor === p.tensor);
    if (row) outputs[p.name] = { maxAbsError: row.maxAbsError, meanAbsError: row.meanAbsError };
  }
  return {
    samples,
    layers: rows,
    firstUnexplained: rows.find((r) => r.exceeds),
    overflowed: rows.filter((r) => r.overflows > 0).map((r) => ({ layer: r.layer, count: r.overflows, kind: r.overflowKind ?? '' })),
    outputs,
  };
}

/** Values outside a type's range (before conversion). */
function countOutside(v: Float64Array, t: FixedType): number {
  const r = typeRange(t);
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] > r.max + 2 ** -fracBits(t) / 2 || v[i] < r.min - 2 ** -fracBits(t) / 2) n++;
  return n;
}

/**
 * Bound of a sign/argmax decision: 0 unless the input error could flip it. Argmax: the float top value and any
 * other within twice the input error; BipolarQuant: an input within the error of zero (then the output can differ
 * by the whole step, which the bound allows).
 */
function flipBound(xf: Float64Array | undefined, e: number, n: number, s: number, argmax: boolean): number {
  if (!xf || Number.isNaN(e)) return Infinity;
  if (argmax) {
    let best = -Infinity, second = -Infinity;
    for (let i = s * n; i < (s + 1) * n; i++) {
      if (xf[i] > best) { second = best; best = xf[i]; } else if (xf[i] > second) second = xf[i];
    }
    return best - second <= 2 * e ? 1 : 0;
  }
  let near = false;
  for (let i = s * n; i < (s + 1) * n; i++) if (Math.abs(xf[i]) <= e) near = true;
  return near ? Infinity : 0;
}

/** The float reference of an argmax softmax is the one-hot of the float softmax's first largest value. */
function oneHotReference(float: Map<string, Float64Array>, tensor: string, n: number, samples: number): void {
  const f = float.get(tensor);
  if (!f) return;
  for (let s = 0; s < samples; s++) {
    let best = s * n;
    for (let i = s * n; i < (s + 1) * n; i++) if (f[i] > f[best]) best = i;
    for (let i = s * n; i < (s + 1) * n; i++) f[i] = i === best ? 1 : 0;
  }
}

/** Float inputs (float32, firmware layout) by input tensor. */
function floatInputs(emu: ReturnType<typeof emulatorFor>, inputs: EmuInputs, samples: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  const feeds = feedRecord(emu, inputs);
  for (const p of emu.inputs) {
    let data: Float64Array = Float64Array.from(Float32Array.from(feeds[p.name].data));
    if (p.layout) {
      const perm = p.layout.perm.slice(1).map((a) => a - 1);
      data = permute(data, samples, p.layout.modelShape.slice(1) as number[], perm);
    }
    out.set(p.tensor, data);
  }
  return out;
}

function permute(data: Float64Array, samples: number, shape: number[], p: number[]): Float64Array {
  const outS = p.map((a) => shape[a]);
  const st: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = acc; acc *= shape[i]; }
  const n = acc, out = new Float64Array(data.length);
  const idx = new Array<number>(outS.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < outS.length; d++) src += idx[d] * st[p[d]];
    for (let s = 0; s < samples; s++) out[s * n + i] = data[s * n + src];
    for (let d = outS.length - 1; d >= 0; d--) { if (++idx[d] < outS[d]) break; idx[d] = 0; }
  }
  return out;
}

function feedRecord(emu: ReturnType<typeof emulatorFor>, inputs: EmuInputs): Record<string, { data: ArrayLike<number> }> {
  return emu.feeds(inputs);
}

/**
 * Float values of every tensor of the reference for all samples, sample-major. Models whose declared batch is a
 * fixed number (Keras exports with Flatten(axis=0)) are run one sample at a time, as their batch axis means one.
 */
function floatValues(ref: Graph, ignorePrecision: boolean, emu: ReturnType<typeof emulatorFor>, inputs: EmuInputs, samples: number): Map<string, Float64Array> {
  const feeds = emu.feeds(inputs);
  const modelShapes = ref.inputs.map((p) => ref.tensor(p.tensor).shape);
  const perSample = modelShapes.map((s) => s.slice(1).map((d) => (typeof d === 'number' ? d : NaN)));
  const fixedBatch = modelShapes.some((s) => typeof s[0] === 'number');
  const chunk = fixedBatch ? 1 : samples;
  const out = new Map<string, Float64Array>();
  for (let first = 0; first < samples; first += chunk) {
    const b = Math.min(chunk, samples - first);
    const feed: Record<string, { shape: number[]; data: Float64Array }> = {};
    ref.inputs.forEach((p, i) => {
      const f = feeds[p.name];
      if (!f) throw new FirmflowError('vitis.emulate', `missing value for input '${p.name}'`);
      const n = sizeOf(perSample[i]);
      feed[p.name] = { shape: [b, ...perSample[i]], data: Float64Array.from(Float32Array.from(f.data).subarray(first * n, (first + b) * n)) };
    });
    const record = (name: string, v: RtTensor): void => {
      const n = v.data.length / b;
      let all = out.get(name);
      if (!all) { all = new Float64Array(n * samples); out.set(name, all); }
      all.set(v.data, first * n);
    };
    // The lowered graph as reference: its fixed-point types are ignored except those of the model's own quantizers
    // (recorded by the lowering), applied in place so later layers read the quantized values.
    const onTensor = ignorePrecision
      ? (name: string, v: RtTensor): void => { const q = modelPrecision(ref, name); if (q) quantizeArray(v.data, q); record(name, v); }
      : record;
    if (ignorePrecision) for (const p of ref.inputs) { const q = modelPrecision(ref, p.tensor); if (q) quantizeArray(feed[p.name].data, q); }
    interpret(ref, feed, { applyPrecision: !ignorePrecision, onTensor });
  }
  return out;
}

/** The precision a model's own quantizer gave a tensor of a lowered graph (the lowering records it). */
function modelPrecision(graph: Graph, tensor: string): FixedType | undefined {
  return graph.hasTensor(tensor) ? (graph.tensor(tensor).meta[MODEL_PRECISION_KEY] as FixedType | undefined) : undefined;
}

/** A fixed-width table of the trace (what `firmflow predict --trace` prints). */
export function formatTrace(report: TraceReport): string {
  const fmt = (v: number): string => (Number.isNaN(v) ? 'n/a' : v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3));
  const head = ['#', 'layer', 'op', 'type', 'max|err|', 'mean|err|', 'bound', 'err/bound', 'overflows', ''];
  const body = report.layers.map((r) => [
    r.index < 0 ? 'in' : String(r.index), r.layer, r.op, r.type, fmt(r.maxAbsError), fmt(r.meanAbsError), fmt(r.bound), fmt(r.ratio),
    r.overflows ? `${r.overflows} ${r.overflowKind}` : '0', r === report.firstUnexplained ? '<- first unexplained' : r.exceeds ? '!' : '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 4 && i <= 8 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  lines.push('');
  lines.push(`${report.samples} sample${report.samples === 1 ? '' : 's'}; bound = sum of input errors times the layer's gain + its own rounding (result LSB, constants, tables).`);
  if (report.firstUnexplained) {
    const f = report.firstUnexplained;
    lines.push(`First layer whose error its precision does not explain: '${f.layer}' (${f.op}, ${f.type}): max |err| ${fmt(f.maxAbsError)} > bound ${fmt(f.bound)} on ${f.samplesExceeding} sample(s)` +
      (f.overflows ? `; ${f.overflows} value(s) ${f.overflowKind}` : f.fixedRange[1] > f.typeRange[1] * 0.999 || f.floatRange[1] > f.typeRange[1] ? '; float values reach the type\'s range' : '') + '.');
  } else lines.push('Every layer\'s error is explained by its precision.');
  if (report.overflowed.length) lines.push(`Overflows: ${report.overflowed.map((o) => `'${o.layer}' ${o.count} ${o.kind}`).join(', ')}.`);
  return lines.join('\n');
}

