import { FirmflowError } from '../../../src/errors.js';
import { formatType, fracBits, typeRange } from '../../../src/fixed/types.js';
import type { Graph, IRNode, Tensor } from '../../../src/ir/graph.js';
import type { GraphPass } from '../../../src/pipeline/pass.js';
import { hlsConfig } from '../config.js';
import type { HlsLayer } from '../lowered.js';
import { UNSUPPORTED_KEY, describe, hls, prod, shapeOf, warn } from './common.js';
import { isValidReuseFactor } from './reuse.js';

/** io_parallel: no array may be partitioned or unrolled over more than this many elements. */
export const PARTITION_LIMIT = 4096;

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

/** The smallest valid reuse factor that brings n_in * n_out / R to the limit. */
function reuseForLimit(nIn: number, nOut: number): number | undefined {
  const total = nIn * nOut;
  for (let r = Math.ceil(total / PARTITION_LIMIT); r <= total; r++) if (isValidReuseFactor(nIn, nOut, r)) return r;
  return undefined;
}

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
      const n = prod(shapeOf(graph.tensor(p.tensor)));
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
        const n = prod(shapeOf(graph.tensor(name)));
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

/** A symmetric-or-not real interval. */
interface Range { lo: number; hi: number }

function typeBounds(t: Tensor): Range {
  const r = typeRange(t.precision!);
  return { lo: r.min, hi: r.max };
}

function clampTo(r: Range, t: Range): Range {
  return { lo: Math.max(r.lo, t.lo), hi: Math.min(r.hi, t.hi) };
}

/** Values of a lowered constant (codes times 2^-F). */
function values(t: Tensor): Float64Array {
  const c = t.meta['hlsCodes'] as ArrayLike<number | bigint>;
  const s = 2 ** -fracBits(t.precision!);
  return Float64Array.from({ length: c.length }, (_, i) => Number(c[i]) * s);
}

/**
 * The static bound of a weighted layer's outputs: max over n of sum_k |w[k][n]| * max|x| + |b[n]| (rows of the
 * weight matrix are the inputs of one output), with the terms for the message.
 */
function weightedBound(w: Float64Array, N: number, xmax: number, b?: Float64Array): { bound: number; sumW: number; bias: number } {
  const colAbs = new Float64Array(N);
  for (let i = 0; i < w.length; i++) colAbs[i % N] += Math.abs(w[i]);
  let best = { bound: 0, sumW: 0, bias: 0 };
  for (let n = 0; n < N; n++) {
    const bias = b ? Math.abs(b[b.length === 1 ? 0 : n]) : 0;
    const bound = colAbs[n] * xmax + bias;
    if (bound > best.bound) best = { bound, sumW: colAbs[n], bias };
  }
  return best;
}

const fmt = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : Number(v.toPrecision(5)).toString());

/**
 * Warns about weighted layers (Dense, Conv, ScaleShift) whose result type cannot hold the static bound of their
 * outputs, sum |w| * max|x| + |b|, with max|x| from the ranges propagated from the input types through the graph
 * (every tensor's range is clamped to its type, which saturates or wraps there).
 */
export const checkOverflow: GraphPass = {
  name: 'vitis-check-overflow',
  match: 'graph',
  description: 'warn about layers whose result type overflows for the static bound of their weights',
  transform(graph) {
    const ranges = new Map<string, Range>();
    for (const p of graph.inputs) ranges.set(p.tensor, typeBounds(graph.tensor(p.tensor)));
    const rangeOf = (name: string): Range => {
      const t = graph.tensor(name);
      if (t.data) { const v = values(t); let lo = 0, hi = 0; for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; } return { lo, hi }; }
      return ranges.get(name) ?? typeBounds(t);
    };
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      const out = node.outputs[0];
      if (!layer || !out) continue;
      const y = graph.tensor(out);
      const yr = typeBounds(y);
      const r = propagate(node, layer, graph, rangeOf, yr);
      ranges.set(out, clampTo(r, yr));
    }
    return 0;
  },
};

function propagate(node: IRNode, layer: HlsLayer, graph: Graph, rangeOf: (n: string) => Range, yr: Range): Range {
  const x = node.inputs[0] ? rangeOf(node.inputs[0]) : yr;
  const xmax = Math.max(Math.abs(x.lo), Math.abs(x.hi));
  const check = (bound: { bound: number; sumW: number; bias: number }, what: string): Range => {
    if (bound.bound > yr.hi || -bound.bound < yr.lo) {
      warn(graph, `${describe(node)}: its result type ${formatType(layer.types['result'])} holds [${fmt(yr.lo)}, ${fmt(yr.hi)}] but the static bound of its outputs is ${fmt(bound.bound)} (sum |${what}| = ${fmt(bound.sumW)} times max|x| = ${fmt(xmax)}, plus |bias| = ${fmt(bound.bias)}); larger values ${layer.types['result'].overflow.startsWith('SAT') ? 'saturate' : 'wrap around'} (give the layer a wider result precision if real inputs reach them)`);
    }
    return { lo: -bound.bound, hi: bound.bound };
  };
  switch (node.op) {
    case 'Dense': case 'Conv': {
      const w = graph.tensor(node.inputs[1]);
      const b = node.inputs[2] ? values(graph.tensor(node.inputs[2])) : undefined;
      return check(weightedBound(values(w), layer.params['n_mult_out'] as number, xmax, b), 'w');
    }
    case 'ScaleShift': {
      const s = values(graph.tensor(node.inputs[1]));
      const h = node.inputs[2] ? values(graph.tensor(node.inputs[2])) : undefined;
      return check(weightedBound(s, s.length, xmax, h), 'scale');
    }
    case 'Relu': return { lo: Math.max(0, x.lo), hi: Math.max(0, x.hi) };
    case 'Sigmoid': case 'Softmax': case 'HardSigmoid': return { lo: 0, hi: 1 };
    case 'Tanh': case 'Softsign': return { lo: -1, hi: 1 };
    case 'Reshape': case 'Flatten': case 'Squeeze': case 'Unsqueeze': case 'Transpose': case 'MaxPool': case 'GlobalMaxPool':
    case 'AveragePool': case 'GlobalAveragePool': case 'Resize':
      return x;
    case 'Pad': { const v = Number(layer.params['value'] ?? 0); return { lo: Math.min(x.lo, v), hi: Math.max(x.hi, v) }; }
    case 'Concat': {
      const rs = node.inputs.map(rangeOf);
      return { lo: Math.min(...rs.map((r) => r.lo)), hi: Math.max(...rs.map((r) => r.hi)) };
    }
    case 'Add': case 'Sub': case 'Mul': {
      const a = x, b = rangeOf(node.inputs[1]);
      if (node.op === 'Add') return { lo: a.lo + b.lo, hi: a.hi + b.hi };
      if (node.op === 'Sub') return { lo: a.lo - b.hi, hi: a.hi - b.lo };
      const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
      return { lo: Math.min(...p), hi: Math.max(...p) };
    }
    default: return yr;
  }
}
