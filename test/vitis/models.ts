/* Small ONNX models built in the tests of the Vitis backend. */
import { ModelBuilder } from 'firmflow';

/** Deterministic numbers in [-scale, scale) (mulberry32). */
export function numbers(n: number, seed: number, scale = 1): number[] {
  let a = seed >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  });
}

/** x[N, sizes[0]] -> Gemm -> (act) -> Gemm ... ; layers named fc1, fc2 ...; `last` after the final Gemm. */
export function mlp(sizes: number[], act = 'Relu', last?: string, seed = 1): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', sizes[0]]);
  let cur = 'x';
  for (let i = 1; i < sizes.length; i++) {
    const k = sizes[i - 1], n = sizes[i];
    m.initializer(`w${i}`, numbers(k * n, seed + i, 0.5), [k, n]);
    m.initializer(`b${i}`, numbers(n, seed + 100 + i, 0.1), [n]);
    m.node('Gemm', [cur, `w${i}`, `b${i}`], [`h${i}`], {}, { name: `fc${i}` });
    cur = `h${i}`;
    if (i < sizes.length - 1 && act) {
      m.node(act, [cur], [`a${i}`], {}, { name: `act${i}` });
      cur = `a${i}`;
    }
  }
  if (last) {
    m.node(last, [cur], ['y'], last === 'Softmax' ? { axis: -1 } : {}, { name: 'out' });
    cur = 'y';
  }
  m.output(cur, 'float32', ['N', sizes[sizes.length - 1]]);
  return m.toBytes();
}

/** x[N, c, h, w] -> Conv(k x k, f filters, pad k/2) -> Relu -> Flatten -> Gemm(n). */
export function convNet(c: number, h: number, w: number, f: number, k: number, n: number): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', c, h, w]);
  m.initializer('cw', numbers(f * c * k * k, 7, 0.5), [f, c, k, k]);
  m.initializer('cb', numbers(f, 8, 0.1), [f]);
  const p = (k - 1) >> 1;
  m.node('Conv', ['x', 'cw', 'cb'], ['c1'], { kernel_shape: [k, k], pads: [p, p, p, p] }, { name: 'conv1' });
  m.node('Relu', ['c1'], ['r1'], {}, { name: 'relu1' });
  m.node('Flatten', ['r1'], ['f1'], { axis: 1 }, { name: 'flat' });
  const flat = f * h * w;
  m.initializer('dw', numbers(flat * n, 9, 0.1), [flat, n]);
  m.initializer('db', numbers(n, 10, 0.1), [n]);
  m.node('Gemm', ['f1', 'dw', 'db'], ['y'], {}, { name: 'fc' });
  m.output('y', 'float32', ['N', n]);
  return m.toBytes();
}

/** x[N, n] through one unary op per entry of `ops`, in sequence. */
export function chain(n: number, ops: (string | [string, Record<string, number>])[]): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', n]);
  let cur = 'x';
  ops.forEach((o, i) => {
    const [op, attrs] = typeof o === 'string' ? [o, {}] : o;
    m.node(op, [cur], [`t${i}`], attrs, { name: `${op.toLowerCase()}_${i}` });
    cur = `t${i}`;
  });
  m.output(cur, 'float32', ['N', n]);
  return m.toBytes();
}
