import { describe, expect, it } from 'vitest';
import type { DType, TensorData } from '../../src/ir/types.js';
import { attr, floatToBfloat16Bits, floatToHalfBits, ModelBuilder, type TensorStorage } from '../../src/onnx/builder.js';
import { loadModel } from '../../src/onnx/frontend.js';
import { decodeModel, toNum } from '../../src/onnx/proto.js';
import { runOrt } from './ort.js';

/** Initializers of every numeric type, in raw_data and in the typed fields, and old IR versions / opsets. */

const VALUES: Record<DType, { data: TensorData | number[]; expect: number[] }> = {
  float32: { data: Float32Array.of(1.5, -2.25, 3e-38, 1e30), expect: [1.5, -2.25, Math.fround(3e-38), Math.fround(1e30)] },
  float64: { data: Float64Array.of(0.1, -1e300, 2 ** -1074, 3), expect: [0.1, -1e300, 2 ** -1074, 3] },
  // Exactly representable halves: 1.5, -2, the smallest normal 2^-14, the largest finite 65504, a subnormal 2^-24.
  float16: { data: [1.5, -2, 2 ** -14, 65504, 2 ** -24], expect: [1.5, -2, 2 ** -14, 65504, 2 ** -24] },
  bfloat16: { data: [1.5, -2, 3.140625, 2 ** 100], expect: [1.5, -2, 3.140625, 2 ** 100] },
  int8: { data: Int8Array.of(-128, -1, 0, 127), expect: [-128, -1, 0, 127] },
  int16: { data: Int16Array.of(-32768, -2, 7, 32767), expect: [-32768, -2, 7, 32767] },
  int32: { data: Int32Array.of(-(2 ** 31), -5, 9, 2 ** 31 - 1), expect: [-(2 ** 31), -5, 9, 2 ** 31 - 1] },
  int64: { data: BigInt64Array.of(-(2n ** 40n) - 3n, -1n, 0n, 2n ** 52n + 1n), expect: [-(2 ** 40) - 3, -1, 0, 2 ** 52 + 1] },
  uint8: { data: Uint8Array.of(0, 1, 200, 255), expect: [0, 1, 200, 255] },
  uint16: { data: Uint16Array.of(0, 1, 40000, 65535), expect: [0, 1, 40000, 65535] },
  uint32: { data: Uint32Array.of(0, 1, 3e9, 2 ** 32 - 1), expect: [0, 1, 3e9, 2 ** 32 - 1] },
  uint64: { data: BigUint64Array.of(0n, 1n, 2n ** 50n), expect: [0, 1, 2 ** 50] },
  bool: { data: Uint8Array.of(1, 0, 0, 1), expect: [1, 0, 0, 1] },
};

describe('initializers of every numeric type', () => {
  for (const storage of ['raw', 'fields'] as TensorStorage[]) {
    for (const [dtype, v] of Object.entries(VALUES) as [DType, (typeof VALUES)[DType]][]) {
      it(`${dtype} from ${storage === 'raw' ? 'raw_data' : 'typed fields'}`, () => {
        const m = new ModelBuilder();
        m.input('x', 'float32', [1]).output('y', dtype);
        m.initializer('w', v.data, [v.expect.length], { dtype, storage });
        m.node('Identity', ['w'], ['y']);
        const g = loadModel(m.toBytes());
        const t = g.tensor('w');
        expect(t.dtype).toBe(dtype);
        expect(t.shape).toEqual([v.expect.length]);
        expect(Array.from(t.data as ArrayLike<number | bigint>, Number)).toEqual(v.expect);
        if (dtype === 'int64') expect(t.data).toBeInstanceOf(BigInt64Array);
      });
    }
  }

  it('float16/bfloat16 conversion in the builder rounds to nearest even', () => {
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(floatToHalfBits(65520)).toBe(0x7c00);
    expect(floatToHalfBits(-0)).toBe(0x8000);
    expect(floatToBfloat16Bits(1)).toBe(0x3f80);
    expect(floatToBfloat16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBfloat16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});

describe('IR versions and opsets', () => {
  for (const ir of [3, 4, 5, 6, 7, 8, 9, 10]) {
    it(`IR version ${ir} loads and runs in onnxruntime`, async () => {
      const opset = ir === 3 ? 6 : ir <= 5 ? 9 : 13;
      const m = new ModelBuilder({ irVersion: ir, opsets: { '': opset } });
      m.input('x', 'float32', [1, 3]).output('y', 'float32', [1, 2]);
      if (ir < 4) m.input('W', 'float32', [3, 2]); // IR 3 lists initializers among the inputs
      m.initializer('W', Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]);
      m.node('MatMul', ['x', 'W'], ['y']);
      const g = loadModel(m.toBytes());
      expect(g.inputs.map((p) => p.name)).toEqual(['x']);
      expect(g.meta['irVersion']).toBe(ir);
      expect((g.meta['opsets'] as Record<string, number>)['']).toBe(opset);
      if (ir >= 4 || opset >= 7) {
        const r = await runOrt(m.toBytes(), { x: { shape: [1, 3], data: Float32Array.of(1, 1, 1) } });
        expect(r['y'].data).toEqual([9, 12]);
      }
    });
  }
  it('no opset import at all is read as opset 1 and refused; custom-domain-only imports default to opset 6', () => {
    const m = new ModelBuilder({ opsets: {} });
    m.input('x', 'float32', [1]).output('y', 'float32').node('Relu', ['x'], ['y']);
    expect(() => loadModel(m.toBytes())).toThrow(/default-domain opset 1 is not supported/);
    const c = new ModelBuilder({ opsets: { 'com.acme': 1 } });
    c.input('x', 'float32', [1]).output('y', 'float32').node('Relu', ['x'], ['y']);
    expect((loadModel(c.toBytes()).meta['opsets'] as Record<string, number>)['']).toBe(6);
  });
});

describe('model builder', () => {
  it('encodes attributes of every type (decoded back field by field)', () => {
    const then = new ModelBuilder({ graphName: 'then' });
    then.output('t', 'float32').node('Constant', [], ['t'], { value_float: attr.float(1) });
    const m = new ModelBuilder({ irVersion: 9, opsets: { '': 17, 'x.y': 2 }, producer: 'test' });
    m.input('x', 'float32', ['N', 2, null]).output('y', 'float32');
    m.node('Custom', ['x'], ['y'], {
      i: 3, f: 0.5, fi: attr.float(2), s: 'hello', ints: [1, -2], floats: [0.5, 1.5], strs: ['a', 'b'],
      t: attr.tensor(Int32Array.of(4, 5), [2]), ts: attr.tensors([{ data: Float32Array.of(1), dims: [1] }]),
      g: attr.graph(then), gs: attr.graphs([then, then]), b: true, big: attr.int(2n ** 40n), e: attr.ints([]),
    }, { name: 'c', domain: 'x.y' });
    const msg = decodeModel(m.toBytes(), 'm');
    expect(Number(msg.ir_version)).toBe(9);
    expect(msg.opset_import!.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', 17], ['x.y', 2]]);
    const dims = msg.graph!.input![0].type!.tensor_type!.shape!.dim!;
    expect([dims[0].dim_param, toNum(dims[1].dim_value), toNum(dims[2].dim_value), dims[2].dim_param ?? '']).toEqual(['N', 2, 0, '']);
    const node = msg.graph!.node![0];
    expect([node.name, node.domain, node.op_type]).toEqual(['c', 'x.y', 'Custom']);
    const a = Object.fromEntries(node.attribute!.map((x) => [x.name, x]));
    expect([a.i.type, Number(a.i.i)]).toEqual([2, 3]);
    expect([a.f.type, a.f.f]).toEqual([1, 0.5]);
    expect([a.fi.type, a.fi.f]).toEqual([1, 2]);
    expect([a.s.type, Buffer.from(a.s.s!).toString()]).toEqual([3, 'hello']);
    expect([a.ints.type, a.ints.ints!.map(Number)]).toEqual([7, [1, -2]]);
    expect([a.floats.type, a.floats.floats]).toEqual([6, [0.5, 1.5]]);
    expect([a.strs.type, a.strs.strings!.map((b: Uint8Array) => Buffer.from(b).toString())]).toEqual([8, ['a', 'b']]);
    expect([a.t.type, Array.from(new Int32Array(Uint8Array.from(a.t.t!.raw_data!).buffer))]).toEqual([4, [4, 5]]);
    expect([a.ts.type, a.ts.tensors!.length]).toEqual([9, 1]);
    expect([a.g.type, a.g.g!.name, a.g.g!.node![0].op_type]).toEqual([5, 'then', 'Constant']);
    expect([a.gs.type, a.gs.graphs!.length]).toEqual([10, 2]);
    expect([a.b.type, Number(a.b.i)]).toEqual([2, 1]);
    expect(Number(a.big.i)).toBe(2 ** 40);
    expect([a.e.type, a.e.ints ?? []]).toEqual([7, []]);
  });

  it('graph attributes run in onnxruntime (If); firmflow lists If as unsupported', async () => {
    const branch = (v: number) => {
      const b = new ModelBuilder({ graphName: `b${v}` });
      b.output(`o${v}`, 'float32', [1]).initializer(`k${v}`, Float32Array.of(v), [1]).node('Identity', [`k${v}`], [`o${v}`]);
      return b;
    };
    const m = new ModelBuilder({ opsets: { '': 13 } });
    m.input('c', 'bool', []).output('y', 'float32', [1]);
    m.node('If', ['c'], ['y'], { then_branch: attr.graph(branch(7)), else_branch: attr.graph(branch(-7)) }, { name: 'cond' });
    const bytes = m.toBytes();
    const ort = await import('onnxruntime-node');
    const s = await ort.InferenceSession.create(bytes);
    const r = await s.run({ c: new ort.Tensor('bool', Uint8Array.of(0), []) });
    expect(Array.from(r['y'].data as Float32Array)).toEqual([-7]);
    expect(() => loadModel(bytes)).toThrow(/node 'cond' \(If\): operator not supported/);
  });

  it('keeps tensor data in the caller\'s typed array bytes (no per-element copy)', () => {
    const w = new Float32Array(1000).map((_v, i) => i * 0.25);
    const m = new ModelBuilder();
    m.initializer('w', w, [10, 100]);
    const proto = m.modelProto();
    const raw = proto.graph!.initializer![0].raw_data!;
    expect(raw.buffer).toBe(w.buffer);
    expect(raw.byteLength).toBe(4000);
  });

  it('rejects a data length that does not match the dims and an untyped empty list', () => {
    expect(() => new ModelBuilder().initializer('w', new Float32Array(5), [2, 3])).toThrow(/5 values for dims \[2, 3\]/);
    expect(() => new ModelBuilder().node('X', [], [], { e: [] })).toThrow(/empty list has no type/);
  });
});
