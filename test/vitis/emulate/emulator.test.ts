import { describe, expect, it } from 'vitest';
import { emulate, emulatorFor } from '../../../backends/vitis/emulate/index.js';
import type { MacEngine } from '../../../backends/vitis/emulate/mac.js';
import { hlsOf, type HlsTable } from '../../../backends/vitis/lowered.js';
import { tableIndex } from '../../../backends/vitis/tables.js';
import { fixedAdd as add, fixedCast as cast, type FixedType, fracBits, type Fx, type Graph, ModelBuilder, fixedMul as mul, rawFromNumber } from 'firmflow';
import { lower } from '../helpers.js';

/*
 * The emulator against a literal, BigInt transcription of the contract's arithmetic (src/fixed Fx values, one
 * element at a time): y = result(accum(b) + sum_k accum(x_k * w_kn)) for Dense, the table index rule for
 * activations, the stable softmax. The emulator takes other routes (doubles, limb splitting, hoisted constants);
 * these tests hold them to the same codes, for each of its accumulation modes.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

function weights(n: number, r: () => number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** x[N,12] -> Dense 12x8 -> Relu -> Dense 8x6 -> Sigmoid, and -> Dense 8x5 -> Softmax. */
function mlp(seed: number, scale = 1): Uint8Array {
  const r = rng(seed);
  const m = new ModelBuilder({ opsets: { '': 13 } });
  m.input('x', 'float32', ['N', 12]);
  m.initializer('w1', weights(96, r, scale), [12, 8]).initializer('b1', weights(8, r, scale), [8]);
  m.initializer('w2', weights(40, r, scale), [8, 5]).initializer('b2', weights(5, r, scale), [5]);
  m.initializer('w3', weights(48, r, scale), [8, 6]);
  m.node('MatMul', ['x', 'w1'], ['h0']).node('Add', ['h0', 'b1'], ['h1']).node('Relu', ['h1'], ['h2']);
  m.node('MatMul', ['h2', 'w2'], ['h3']).node('Add', ['h3', 'b2'], ['h4']).node('Softmax', ['h4'], ['y'], { axis: 1 });
  m.node('MatMul', ['h2', 'w3'], ['h5']).node('Sigmoid', ['h5'], ['z']);
  m.output('y', 'float32', ['N', 5]).output('z', 'float32', ['N', 6]);
  return m.toBytes();
}

const fxOf = (raw: number | bigint, type: FixedType): Fx => ({ raw: BigInt(raw), type });

/** The contract's arithmetic, one element at a time in BigInt, over every node of the lowered graph. */
function reference(graph: Graph, x: Float32Array): Map<string, Fx[]> {
  const vals = new Map<string, Fx[]>();
  const inT = graph.tensor(graph.inputs[0].tensor);
  vals.set(inT.name, Array.from(x, (v) => fxOf(rawFromNumber(v, inT.precision!), inT.precision!)));
  const codes = (name: string): Fx[] => {
    const t = graph.tensor(name);
    return Array.from(t.meta['hlsCodes'] as ArrayLike<number>, (c) => fxOf(c, t.precision!));
  };
  const lookup = (t: HlsTable, v: Fx): Fx => fxOf(t.codes[tableIndex(Number(v.raw), v.type, t)], t.type);
  for (const node of graph.topoOrder()) {
    const h = hlsOf(node);
    const R = graph.tensor(node.outputs[0]).precision!;
    const X = vals.get(node.inputs[0])!;
    let Y: Fx[];
    switch (node.op) {
      case 'Dense': {
        const w = codes(node.inputs[1]);
        const b = node.inputs[2] ? codes(node.inputs[2]) : undefined;
        const [K, N] = graph.tensor(node.inputs[1]).shape as number[];
        const A = h.types['accum'];
        Y = [];
        for (let r = 0; r < X.length / K; r++) {
          for (let n = 0; n < N; n++) {
            let acc = b ? cast(b[n], A) : fxOf(0, A);
            for (let k = 0; k < K; k++) acc = cast(add(acc, cast(mul(X[r * K + k], w[k * N + n]), A)), A);
            Y.push(cast(acc, R));
          }
        }
        break;
      }
      case 'Relu':
        Y = X.map((v) => cast(v.raw > 0n ? v : fxOf(0, v.type), R));
        break;
      case 'Sigmoid':
        Y = X.map((v) => cast(lookup(h.tables!['table'], v), R));
        break;
      case 'Softmax': {
        const n = 5;
        Y = [];
        for (let r = 0; r < X.length / n; r++) {
          const row = X.slice(r * n, (r + 1) * n);
          const m = row.reduce((a, v) => (v.raw > a ? v.raw : a), row[0].raw);
          // Two-level exp of t = m - x: coarse entry from the high bits, fine entry from the next ones.
          const E = h.tables!['exp_table'], Fn = h.tables!['exp_fine'];
          const sh = h.params['exp_shift'] as number, fsh = h.params['exp_fine_shift'] as number, tMax = BigInt(h.params['exp_t_max'] as number);
          const entry = (t: HlsTable, i: number): Fx => fxOf(BigInt(t.codes[i]), t.type);
          const e = row.map((v) => {
            let t = m - v.raw;
            if (t > tMax) t = tMax;
            if (sh < 0) return entry(E, Number(t << BigInt(-sh)));
            const hi = entry(E, Number(t >> BigInt(sh)));
            if (Fn.size === 1) return hi;
            return cast(mul(hi, entry(Fn, Number((t & ((1n << BigInt(sh)) - 1n)) >> BigInt(fsh)))), E.type);
          });
          let s = fxOf(0, h.types['exp_sum']);
          for (const v of e) s = cast(add(s, v), h.types['exp_sum']);
          const inv = lookup(h.tables!['inv_table'], s);
          for (const v of e) Y.push(cast(mul(v, inv), R));
        }
        break;
      }
      default:
        throw new Error(`reference has no ${node.op}`);
    }
    vals.set(node.outputs[0], Y);
  }
  return vals;
}

function inputs(n: number, seed: number, spread: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * 12 }, () => (r() * 2 - 1) * spread);
}

function macModes(graph: Graph): string[] {
  return emulatorFor(graph).kernels.filter((k) => k.node.op === 'Dense').map((k) => (k as unknown as { mac: MacEngine }).mac.mode);
}

async function checkAgainstReference(config: Record<string, unknown>, seed: number, spread: number, n = 40): Promise<Graph> {
  const project = await lower(mlp(seed), config);
  const graph = project.graph;
  const x = inputs(n, seed + 1, spread);
  const got = emulate(graph, { x: { shape: [n, 12], data: x } });
  const ref = reference(graph, x);
  for (const p of graph.outputs) {
    const want = ref.get(p.tensor)!.map((v) => Number(v.raw));
    expect(Array.from(got[p.name].codes)).toEqual(want);
    const f = fracBits(graph.tensor(p.tensor).precision!);
    expect(Array.from(got[p.name].data)).toEqual(want.map((c) => c * 2 ** -f));
  }
  return graph;
}

describe('emulator vs the contract in BigInt', () => {
  it('default precision (exact accumulator in doubles)', async () => {
    const g = await checkAgainstReference({}, 11, 3);
    expect(macModes(g)).toEqual(['double', 'double', 'double']);
  });

  it('fixed<32,16> data (exact accumulator wider than 53 bits: limb-split sums)', async () => {
    const cfg = { precision: 'fixed<32,16>', config: { LayerType: { Dense: { Precision: { weight: 'fixed<24,4>' } } } } };
    const g = await checkAgainstReference(cfg, 12, 3);
    expect(macModes(g)).toContain('split');
  });

  it('narrow wrapping accumulator (replayed product by product)', async () => {
    const g = await checkAgainstReference({ config: { LayerType: { Dense: { Precision: { accum: 'fixed<14,3,TRN,WRAP>' } } } } }, 13, 4);
    expect(macModes(g)).toEqual(['sequential', 'sequential', 'sequential']);
  });

  it('saturating accumulator and a narrow truncating result', async () => {
    const cfg = { config: { LayerType: { Dense: { Precision: { accum: 'fixed<18,4,RND,SAT>', result: 'fixed<8,2,TRN,WRAP>' } } } } };
    const g = await checkAgainstReference(cfg, 14, 6);
    expect(macModes(g)).toEqual(['sequential', 'sequential', 'sequential']);
  });

  it('wide weights and inputs with a 64-bit capped accumulator', async () => {
    const cfg = { precision: 'fixed<40,12>', config: { LayerType: { Dense: { Precision: { weight: 'fixed<40,4>', bias: 'fixed<40,4>' } } } } };
    const g = await checkAgainstReference(cfg, 15, 3, 12);
    expect(macModes(g)).toContain('sequential');
  });

  it('the same inputs as one feed or chunk by chunk give the same outputs', async () => {
    const project = await lower(mlp(21));
    const x = inputs(100, 5, 3);
    const whole = emulate(project.graph, x);
    const chunked = emulate(project.graph, x, { chunk: 7 });
    expect(Array.from(chunked['y'].codes)).toEqual(Array.from(whole['y'].codes));
    const one = emulate(project.graph, x.subarray(12 * 42, 12 * 43));
    expect(Array.from(one['z'].codes)).toEqual(Array.from(whole['z'].codes.subarray(6 * 42, 6 * 43)));
  });

  it('refuses inputs that are not whole samples, naming the input', async () => {
    const project = await lower(mlp(22));
    expect(() => emulate(project.graph, { x: { shape: [1, 11], data: new Float32Array(11) } })).toThrow(/input 'x' has 11 values/);
    expect(() => emulate(project.graph, { y: { shape: [1, 12], data: new Float32Array(12) } })).toThrow(/unknown input 'y' \(the model's inputs: x\)/);
  });
});
