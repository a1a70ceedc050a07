/**
 * Models of the Vitis benchmarks and acceptance tests, built as ONNX bytes (src/onnx/builder.ts): a U-Net-like CNN
 * on a 256x256x3 image, and a wide MLP of more than a million parameters. Weights are deterministic.
 */
import { ModelBuilder } from '../src/onnx/builder.js';

/** Deterministic float32 values in [-s, s) (xorshift32). */
export function uniform(n: number, seed: number, s: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = ((x / 4294967296) * 2 - 1) * s;
  }
  return out;
}

export interface UNetSpec {
  /** Input height = width. */
  size: number;
  /** Channels per encoder level (each level halves the resolution after it). */
  channels: number[];
  /** Channels of the bottleneck. */
  bottleneck: number;
  /** 3x3 convolutions per encoder level, bottleneck and decoder level. */
  convsPerLevel: number;
  /** Output channels (a 1x1 convolution). */
  classes: number;
}

/** The shape: 256x256x3 in, 5 levels, 39 convolutions in total (15 down, 3 bottleneck, 20 up, 1 head). */
export const UNET_256: UNetSpec = { size: 256, channels: [4, 4, 8, 8, 16], bottleneck: 16, convsPerLevel: 3, classes: 2 };

/**
 * A U-Net as PyTorch exports it (NCHW): per encoder level `convsPerLevel` x (Conv 3x3 pad 1 + Relu), kept as the
 * skip connection, then MaxPool 2x2; a bottleneck; per decoder level a nearest 2x Resize, a Conv 3x3 + Relu,
 * Concat with the skip, `convsPerLevel` more convolutions; a final 1x1 Conv and Sigmoid. Weights are scaled
 * by 1/sqrt(fan-in) so activations stay in range.
 */
export function unet(spec: UNetSpec = UNET_256): { bytes: Uint8Array; convs: number; params: number } {
  const m = new ModelBuilder({ opsets: { '': 13 }, producer: 'firmflow bench' });
  m.input('image', 'float32', ['N', 3, spec.size, spec.size]);
  let convs = 0, params = 0, seed = 1;
  let prev = 'image', ch = 3;
  const conv = (out: number, k: number, relu: boolean): void => {
    const n = `conv${convs++}`;
    const fan = ch * k * k;
    m.initializer(`${n}_w`, uniform(out * fan, seed++, 1.5 / Math.sqrt(fan)), [out, ch, k, k]);
    m.initializer(`${n}_b`, uniform(out, seed++, 0.05), [out]);
    m.node('Conv', [prev, `${n}_w`, `${n}_b`], [`${n}_y`], { kernel_shape: [k, k], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] }, { name: n });
    params += out * fan + out;
    prev = `${n}_y`;
    ch = out;
    if (relu) { m.node('Relu', [prev], [`${n}_r`], {}, { name: `${n}_relu` }); prev = `${n}_r`; }
  };
  const skips: { name: string; ch: number }[] = [];
  spec.channels.forEach((c, level) => {
    for (let i = 0; i < spec.convsPerLevel; i++) conv(c, 3, true);
    skips.push({ name: prev, ch });
    m.node('MaxPool', [prev], [`pool${level}`], { kernel_shape: [2, 2], strides: [2, 2] }, { name: `pool${level}` });
    prev = `pool${level}`;
  });
  for (let i = 0; i < spec.convsPerLevel; i++) conv(spec.bottleneck, 3, true);
  m.initializer('up_scales', Float32Array.from([1, 1, 2, 2]), [4]);
  for (let level = spec.channels.length - 1; level >= 0; level--) {
    m.node('Resize', [prev, '', 'up_scales'], [`up${level}`], { mode: 'nearest' }, { name: `up${level}` });
    prev = `up${level}`;
    conv(spec.channels[level], 3, true);
    const skip = skips[level];
    m.node('Concat', [skip.name, prev], [`cat${level}`], { axis: 1 }, { name: `cat${level}` });
    prev = `cat${level}`;
    ch += skip.ch;
    for (let i = 0; i < spec.convsPerLevel; i++) conv(spec.channels[level], 3, true);
  }
  conv(spec.classes, 1, false);
  m.node('Sigmoid', [prev], ['mask'], {}, { name: 'out_sigmoid' });
  m.output('mask', 'float32', ['N', spec.classes, spec.size, spec.size]);
  return { bytes: m.toBytes(), convs, params };
}

/** A plain MLP (Gemm + Relu layers, Softmax) with the given layer widths. */
export function mlp(widths: number[], seed = 7): { bytes: Uint8Array; params: number } {
  const m = new ModelBuilder({ opsets: { '': 13 }, producer: 'firmflow bench' });
  m.input('x', 'float32', ['N', widths[0]]);
  let prev = 'x', params = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    const [K, N] = [widths[l], widths[l + 1]];
    m.initializer(`W${l}`, uniform(N * K, seed + 2 * l, 1.5 / Math.sqrt(K)), [N, K]);
    m.initializer(`b${l}`, uniform(N, seed + 2 * l + 1, 0.05), [N]);
    m.node('Gemm', [prev, `W${l}`, `b${l}`], [`h${l}`], { transB: 1 }, { name: `fc${l}` });
    params += N * K + N;
    prev = `h${l}`;
    if (l + 2 < widths.length) { m.node('Relu', [prev], [`r${l}`], {}, { name: `relu${l}` }); prev = `r${l}`; }
  }
  m.node('Softmax', [prev], ['y'], { axis: 1 }, { name: 'softmax' });
  m.output('y', 'float32', ['N', widths[widths.length - 1]]);
  return { bytes: m.toBytes(), params };
}

/** 64 -> 1024 -> 1024 -> 10: 1,126,410 parameters. */
export const BIG_MLP_WIDTHS = [64, 1024, 1024, 10];
