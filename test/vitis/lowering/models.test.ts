import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fracBits, type Graph, quantizeCodes, typeRange } from 'firmflow';
import { codesOf, graphInfo, readLoweredGraph, type HlsStreamInfo } from '../../../backends/vitis/lowered.js';
import { HAVE_SHARED, manifest, readCase } from '../../helpers/shared-models.js';
import { lower } from '../helpers.js';

const MODELS = resolve(__dirname, '../../../models');
const bundled = ['jet_tagger', 'small_cnn'].map((n) => ({ name: n, path: join(MODELS, `${n}.onnx`) }));
const cases = [...bundled, ...(HAVE_SHARED ? manifest().map((m) => ({ name: m.name, path: readCase(m).path })) : [])];

const DATA = { signed: true, width: 16, integer: 6, rounding: 'RND_CONV', overflow: 'SAT' };

/** The invariants every lowered graph keeps (docs/design/vitis-backend.md, "The lowered graph"). */
function checkLowered(g: Graph): void {
  const lg = readLoweredGraph(g);
  expect(lg.layers.length).toBe(g.nodes.size);
  expect(lg.layers.map((l) => l.hls.index)).toEqual(lg.layers.map((_, i) => i));
  const order = g.topoOrder().map((n) => n.name);
  expect(lg.layers.map((l) => l.node.name)).toEqual(order);
  for (const t of g.tensors.values()) {
    expect(t.precision, `precision of ${t.name}`).toBeDefined();
    if (t.data) {
      // Quantized once, with the type's own modes.
      const src = Float64Array.from(t.data as ArrayLike<number>, Number);
      expect(Array.from(codesOf(t) as ArrayLike<number>, Number), `codes of ${t.name}`).toEqual(Array.from(quantizeCodes(src, t.precision!)));
    } else {
      expect(t.meta['hlsShape'], `per-sample shape of ${t.name}`).toEqual(t.shape.slice(1));
    }
  }
  for (const { node, hls, inputs, outputs } of lg.layers) {
    expect(hls.kernel, node.name).toMatch(/^[a-z0-9_]+$/);
    expect(hls.types['result']).toEqual(outputs[0].precision);
    const acts = inputs.filter((t) => !t.data);
    if (acts.length) expect(hls.types['input']).toEqual(acts[0].precision);
    expect(hls.layerName).toBe(node.origin?.name || node.name);
  }
}

describe('every model lowers with the defaults: a kernel and types on every node', () => {
  for (const c of cases) {
    it(`${c.name} (io_parallel, io_stream, Vivado)`, async () => {
      const p = await lower(c.path);
      checkLowered(p.graph);
      expect(graphInfo(p.graph).io).toBe('io_parallel');
      const kernels = readLoweredGraph(p.graph).layers.map((l) => l.hls.kernel);

      const s = await lower(c.path, { io: 'stream' });
      checkLowered(s.graph);
      const ls = readLoweredGraph(s.graph);
      expect(ls.layers.map((l) => l.hls.kernel)).toEqual(kernels.map((k) => `${k.replace(/_(latency|resource)$/, '')}_stream`));
      for (const t of s.graph.tensors.values()) {
        if (t.data) continue;
        const st = t.meta['hlsStream'] as HlsStreamInfo;
        const shape = t.meta['hlsShape'] as number[];
        expect(st.pack * st.beats).toBe(shape.reduce((a, b) => a * b, 1));
        expect(st.pack).toBe(shape[shape.length - 1] ?? 1);
        expect(st.depth).toBeGreaterThanOrEqual(1);
      }

      const v = await lower(c.path, { backend: 'Vivado' });
      expect(readLoweredGraph(v.graph).layers.map((l) => l.hls.kernel)).toEqual(kernels);
      expect(graphInfo(v.graph).backend).toBe('Vivado');
    });
  }
});

describe('what the lowering chooses', () => {
  it('jet tagger: data fixed<16,6,RND_CONV,SAT>, weights 16 bits sized to their values, exact accumulators', async () => {
    const p = await lower(join(MODELS, 'jet_tagger.onnx'));
    const lg = readLoweredGraph(p.graph);
    expect(lg.inputs[0].precision).toEqual(DATA);
    expect(graphInfo(p.graph).defaultPrecision).toBe('fixed<16,6,RND_CONV,SAT>');
    expect(lg.layers.map((l) => l.hls.kernel)).toEqual(['dense_latency', 'relu', 'dense_latency', 'relu', 'dense_latency', 'relu', 'dense_latency', 'softmax_stable']);
    for (const l of lg.layers.filter((x) => x.node.op === 'Dense')) {
      const [, w, b] = l.inputs;
      const wt = l.hls.types['weight'];
      expect(wt.width).toBe(16);
      // The largest weight fits, with one integer bit fewer it would not.
      const maxW = Math.max(...Array.from(w.data as Float32Array, Math.abs));
      expect(2 ** (wt.integer - 1)).toBeGreaterThan(maxW);
      expect(2 ** (wt.integer - 2)).toBeLessThanOrEqual(maxW);
      // Accumulator: exact for every input of the input type (fractional bits of x * w and b, range from the codes).
      const acc = l.hls.types['accum'];
      const x = l.hls.types['input'];
      expect(fracBits(acc)).toBe(Math.max(fracBits(x) + fracBits(wt), fracBits(l.hls.types['bias'])));
      const [K, N] = w.shape as number[];
      const wv = Array.from(codesOf(w) as Int32Array, (c) => c * 2 ** -fracBits(wt));
      const bv = Array.from(codesOf(b) as Int32Array, (c) => c * 2 ** -fracBits(l.hls.types['bias']));
      const xr = typeRange(x);
      let hi = 0, lo = 0;
      for (let n = 0; n < N; n++) {
        let sHi = Math.max(bv[n], 0), sLo = Math.min(bv[n], 0);
        for (let k = 0; k < K; k++) { const v = wv[k * N + n]; sHi += Math.max(v * xr.max, v * xr.min); sLo += Math.min(v * xr.max, v * xr.min); }
        hi = Math.max(hi, sHi); lo = Math.min(lo, sLo);
      }
      const ar = typeRange(acc);
      expect(ar.max).toBeGreaterThanOrEqual(hi);
      expect(ar.min).toBeLessThanOrEqual(lo);
      const narrower = typeRange({ ...acc, width: acc.width - 1, integer: acc.integer - 1 });
      expect(narrower.max < hi || narrower.min > lo).toBe(true);
    }
  });

  it('small CNN: the NCHW input is taken as NHWC by the firmware (host-side transpose recorded)', async () => {
    const p = await lower(join(MODELS, 'small_cnn.onnx'));
    const info = graphInfo(p.graph);
    expect(info.inputLayouts).toEqual([{ name: 'image', layout: 'NHWC', modelLayout: 'NCHW', perm: [0, 2, 3, 1], modelShape: ['N', 1, 12, 12] }]);
    expect(info.outputLayouts).toEqual([]);
    const x = p.graph.tensor(p.graph.inputs[0].tensor);
    expect(x.shape).toEqual(['N', 12, 12, 1]);
    expect([...p.graph.nodes.values()].some((n) => n.op === 'Transpose')).toBe(false);
    const conv = readLoweredGraph(p.graph).layers[0].hls;
    expect(conv.kernel).toBe('conv2d_latency');
    expect(conv.params).toMatchObject({ in_height: 12, in_width: 12, n_chan: 1, filt_height: 3, filt_width: 3, n_filt: 8, pad_top: 1, pad_left: 1, out_height: 12, out_width: 12, n_mult_in: 9, n_mult_out: 8 });
  });

  it('small CNN in io_stream: line buffers, packing and FIFO depths', async () => {
    const p = await lower(join(MODELS, 'small_cnn.onnx'), { io: 'stream' });
    const lg = readLoweredGraph(p.graph);
    const conv2 = lg.layers[3];
    expect(conv2.hls.kernel).toBe('conv2d_stream');
    expect(conv2.hls.params).toMatchObject({ lb_rows: 3, lb_width: 8, lb_chan: 8, in_pack: 8, out_pack: 16 });
    expect(conv2.hls.parallelization).toBe(1);
    // The stream into conv2 must hold one padded row of pixels; others lag by one beat.
    expect(conv2.inputs[0].meta['hlsStream']).toEqual({ pack: 8, beats: 36, depth: 8 });
    const flat = lg.layers.find((l) => l.node.op === 'Flatten' || l.node.op === 'Reshape')!;
    expect(flat.hls.params).toMatchObject({ in_pack: 16, out_pack: 144, repack: 1 });
    expect(flat.outputs[0].meta['hlsStream']).toEqual({ pack: 144, beats: 1, depth: 1 });
    const q = await lower(join(MODELS, 'small_cnn.onnx'), { io: 'stream', fifoDepth: 64 } as never);
    for (const t of q.graph.tensors.values()) if (!t.data) expect((t.meta['hlsStream'] as HlsStreamInfo).depth).toBe(64);
  });

  it.skipIf(!HAVE_SHARED)('quantized models keep the exact types of their quantizers', async () => {
    const m = manifest().find((x) => x.name === 'qdq_int8_mlp_pow2')!;
    const p = await lower(readCase(m).path);
    const lg = readLoweredGraph(p.graph);
    // The input quantizer's int8 grid (scale 2^-4) is the input type; weights are stored exactly.
    expect(lg.inputs[0].precision).toMatchObject({ signed: true, width: 8, integer: 4 });
    for (const l of lg.layers.filter((x) => x.node.op === 'Dense')) {
      const w = l.inputs[1];
      const vals = Array.from(codesOf(w) as Int32Array, (c) => c * 2 ** -fracBits(w.precision!));
      expect(vals).toEqual(Array.from(w.data as Float32Array));
      expect(w.precision!.width).toBe(8);
    }
    const relus = lg.layers.filter((x) => x.node.op === 'Relu');
    for (const r of relus) expect(r.hls.types['result'].width).toBe(8);
  });
});
