/*
 * int8 QDQ ONNX models for the AIE tests, on top of the core's model builder: QuantizeLinear/DequantizeLinear pairs
 * with zero points of 0, and constants drawn on their quantization grids from a fixed-seed generator, so that a
 * model's quantizers keep them exactly and onnxruntime, the emulator and the host run can agree bit for bit.
 * Names follow the order of calls (initializers s0, z0, q0 ...; nodes MatMul_4 ...): tests that name tensors or
 * nodes of a model depend on that order, so a model must make its calls in the same order to stay the same model.
 */
import { ModelBuilder } from 'firmflow';
import { lcg } from './random.js';

/** The tensors of a Dense layer, named `${name}_${part}` unless `DenseOptions.names` says otherwise. */
export type DensePart = 'wraw' | 'w' | 'b' | 'mm' | 'add' | 'relu';

export interface DenseOptions {
  /** Scale of the weights (default 2^-7); the bias is on the grid of weight scale x 2^-4 (a 2^-4 input). */
  weightScale?: number;
  /** With false, no bias Add (default true). */
  bias?: boolean;
  names?: (part: DensePart) => string;
}

export class QdqModelBuilder extends ModelBuilder {
  /** The generator every drawn constant comes from, in the order of the calls. */
  readonly random: () => number;
  private quantizers = 0;

  constructor(opset: number, seed: number) {
    super({ opsets: { '': opset } });
    this.random = lcg(seed);
  }

  /**
   * A QuantizeLinear/DequantizeLinear pair from `input` to `out` (returned). A list of scales quantizes per axis
   * (along `axis`); one number or a one-element list is a per-tensor quantizer.
   */
  qdq(input: string, scale: number | number[], out: string, axis?: number): string {
    const q = this.quantizers++;
    const s = `s${q}`, z = `z${q}`, t = `q${q}`;
    const scales = typeof scale === 'number' ? [scale] : scale;
    const dims = scales.length > 1 ? [scales.length] : [];
    this.initializer(s, Float32Array.from(scales), dims);
    this.initializer(z, new Int8Array(scales.length), dims);
    const attrs = axis !== undefined ? { axis } : undefined;
    this.node('QuantizeLinear', [input, s, z], [t], attrs);
    this.node('DequantizeLinear', [t, s, z], [out], attrs);
    return out;
  }

  /** n values k * scale, k a whole number drawn uniformly from [-amplitude, amplitude]: exact on the grid of scale. */
  onGrid(n: number, amplitude: number, scale: number): Float32Array {
    return Float32Array.from({ length: n }, () => Math.round((this.random() * 2 - 1) * amplitude) * scale);
  }

  /** An int8 Dense layer x[.., K] -> out[.., N]: quantized weights, MatMul, bias Add, optional ReLU, output at 2^-4. */
  dense(x: string, name: string, K: number, N: number, relu: boolean, out: string, options: DenseOptions = {}): string {
    const ws = options.weightScale ?? 2 ** -7;
    const t = options.names ?? ((part: DensePart) => `${name}_${part}`);
    this.initializer(t('wraw'), this.onGrid(K * N, 100, ws), [K, N]);
    const w = this.qdq(t('wraw'), ws, t('w'));
    if (options.bias !== false) this.initializer(t('b'), this.onGrid(N, 300, ws * 2 ** -4), [N]);
    this.node('MatMul', [x, w], [t('mm')]);
    let y = t('mm');
    if (options.bias !== false) {
      this.node('Add', [y, t('b')], [t('add')]);
      y = t('add');
    }
    if (relu) {
      this.node('Relu', [y], [t('relu')]);
      y = t('relu');
    }
    return this.qdq(y, 2 ** -4, out);
  }

  /** An int64 initializer (the sizes of a Split, a Slice's starts ...); returns its name. */
  int64s(name: string, values: number[]): string {
    this.initializer(name, BigInt64Array.from(values, BigInt), [values.length]);
    return name;
  }
}
