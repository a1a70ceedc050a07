/**
 * Writes the bundled example models (models/*.onnx) and their sample inputs and reference outputs
 * (*.inputs.json / *.outputs.json, computed with onnxruntime-node). Weights come from a seeded generator, so
 * running this again reproduces the same bytes. Run with `npm run models`.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelBuilder } from '../src/onnx/builder.js';
import { mulberry32, normal } from '../src/util/random.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled to dist/models/; the models live in the repository's models/ folder.
const OUT = resolve(here, here.includes(`${join('dist', 'models')}`) ? '../../models' : '.');

const rng = mulberry32;

/** He-style initialised weights, scaled so activations stay in a range a 16-bit fixed-point type holds. */
function weights(r: () => number, n: number, fanIn: number, gain = 1): Float32Array {
  const s = gain * Math.sqrt(2 / fanIn);
  return Float32Array.from({ length: n }, () => normal(r) * s);
}

interface Example {
  name: string;
  description: string;
  model: ModelBuilder;
  input: { name: string; shape: number[] };
}

/** The hls4ml jet-tagging MLP topology 16-64-32-32-5 (ReLU, softmax), with a symbolic batch. */
function jetTagger(): Example {
  const r = rng(2018);
  const m = new ModelBuilder({ opsets: { '': 13 }, graphName: 'jet_tagger', producer: 'firmflow models/make-models.ts' });
  m.input('x', 'float32', ['N', 16]).output('y', 'float32', ['N', 5]);
  const sizes = [16, 64, 32, 32, 5];
  let prev = 'x';
  for (let i = 0; i < 4; i++) {
    const [k, n] = [sizes[i], sizes[i + 1]];
    m.initializer(`fc${i + 1}.weight`, weights(r, n * k, k), [n, k]);
    m.initializer(`fc${i + 1}.bias`, Float32Array.from({ length: n }, () => 0.1 * normal(r)), [n]);
    const out = i === 3 ? 'logits' : `fc${i + 1}`;
    m.node('Gemm', [prev, `fc${i + 1}.weight`, `fc${i + 1}.bias`], [out], { transB: 1 }, { name: `/fc${i + 1}/Gemm` });
    if (i < 3) {
      m.node('Relu', [out], [`relu${i + 1}`], {}, { name: `/relu${i + 1}/Relu` });
      prev = `relu${i + 1}`;
    }
  }
  m.node('Softmax', ['logits'], ['y'], { axis: 1 }, { name: '/Softmax' });
  return { name: 'jet_tagger', description: 'jet-tagging MLP 16-64-32-32-5, ReLU, softmax (symbolic batch)', model: m, input: { name: 'x', shape: [16] } };
}

/** A small channels-first CNN: Conv 3x3 -> BN -> ReLU -> MaxPool -> Conv 3x3 -> ReLU -> Flatten -> Gemm -> Softmax. */
function smallCnn(): Example {
  const r = rng(7);
  const m = new ModelBuilder({ opsets: { '': 13 }, graphName: 'small_cnn', producer: 'firmflow models/make-models.ts' });
  m.input('image', 'float32', ['N', 1, 12, 12]).output('probs', 'float32', ['N', 4]);
  m.initializer('conv1.weight', weights(r, 8 * 1 * 3 * 3, 9), [8, 1, 3, 3]);
  m.initializer('conv1.bias', Float32Array.from({ length: 8 }, () => 0.05 * normal(r)), [8]);
  m.initializer('bn1.scale', Float32Array.from({ length: 8 }, () => 1 + 0.1 * normal(r)), [8]);
  m.initializer('bn1.bias', Float32Array.from({ length: 8 }, () => 0.1 * normal(r)), [8]);
  m.initializer('bn1.mean', Float32Array.from({ length: 8 }, () => 0.1 * normal(r)), [8]);
  m.initializer('bn1.var', Float32Array.from({ length: 8 }, () => 0.5 + r()), [8]);
  m.initializer('conv2.weight', weights(r, 16 * 8 * 3 * 3, 72), [16, 8, 3, 3]);
  m.initializer('conv2.bias', Float32Array.from({ length: 16 }, () => 0.05 * normal(r)), [16]);
  m.initializer('fc.weight', weights(r, 4 * 16 * 3 * 3, 144, 0.5), [4, 144]);
  m.initializer('fc.bias', Float32Array.from({ length: 4 }, () => 0.1 * normal(r)), [4]);
  m.node('Conv', ['image', 'conv1.weight', 'conv1.bias'], ['c1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: '/conv1/Conv' });
  m.node('BatchNormalization', ['c1', 'bn1.scale', 'bn1.bias', 'bn1.mean', 'bn1.var'], ['b1'], { epsilon: 1e-5 }, { name: '/bn1/BatchNormalization' });
  m.node('Relu', ['b1'], ['r1'], {}, { name: '/relu1/Relu' });
  m.node('MaxPool', ['r1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }, { name: '/pool1/MaxPool' });
  m.node('Conv', ['p1', 'conv2.weight', 'conv2.bias'], ['c2'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, { name: '/conv2/Conv' });
  m.node('Relu', ['c2'], ['r2'], {}, { name: '/relu2/Relu' });
  m.node('Flatten', ['r2'], ['f'], { axis: 1 }, { name: '/Flatten' });
  m.node('Gemm', ['f', 'fc.weight', 'fc.bias'], ['logits'], { transB: 1 }, { name: '/fc/Gemm' });
  m.node('Softmax', ['logits'], ['probs'], { axis: 1 }, { name: '/Softmax' });
  return { name: 'small_cnn', description: 'small CNN on 1x12x12 images, channels-first, Conv-BN-ReLU-MaxPool-Conv-ReLU-Dense-Softmax', model: m, input: { name: 'image', shape: [1, 12, 12] } };
}

export const SAMPLES = 16;

async function main(): Promise<void> {
  const ort = await import('onnxruntime-node');
  for (const ex of [jetTagger(), smallCnn()]) {
    const path = join(OUT, `${ex.name}.onnx`);
    const bytes = ex.model.save(path);
    const r = rng(99);
    const per = ex.input.shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: SAMPLES * per }, () => Math.fround(normal(r)));
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
    const feeds = { [ex.input.name]: new ort.Tensor('float32', x, [SAMPLES, ...ex.input.shape]) };
    const res = await session.run(feeds);
    const json = (name: string, t: { dims: readonly number[]; data: unknown }) => ({ [name]: { dtype: 'float32', shape: [...t.dims], data: Array.from(t.data as Float32Array) } });
    writeFileSync(join(OUT, `${ex.name}.inputs.json`), JSON.stringify(json(ex.input.name, feeds[ex.input.name])) + '\n');
    const outs = Object.assign({}, ...session.outputNames.map((n) => json(n, res[n])));
    writeFileSync(join(OUT, `${ex.name}.outputs.json`), JSON.stringify(outs) + '\n');
    console.log(`${ex.name}.onnx  ${bytes.length} bytes  ${ex.description}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
