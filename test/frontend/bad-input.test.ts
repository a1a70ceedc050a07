import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FirmflowError } from '../../src/errors.js';
import { ModelBuilder } from '../../src/onnx/builder.js';
import { loadModel, type UnsupportedItem } from '../../src/onnx/frontend.js';

/** Every kind of bad input gives a FirmflowError with a short message naming the file, node or tensor. */

const dir = mkdtempSync(join(tmpdir(), 'firmflow-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function small(): ModelBuilder {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 4]).output('y', 'float32', ['N', 2]);
  m.initializer('W', Float32Array.from({ length: 8 }, (_v, i) => i), [4, 2]);
  m.node('MatMul', ['x', 'W'], ['y'], {}, { name: 'mm' });
  return m;
}

function firmflowError(f: () => unknown): FirmflowError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FirmflowError);
    return e as FirmflowError;
  }
  throw new Error('expected a FirmflowError, nothing was thrown');
}

describe('files that are not ONNX models', () => {
  it('a truncated file', () => {
    const bytes = small().toBytes();
    const p = join(dir, 'truncated.onnx');
    writeFileSync(p, bytes.subarray(0, bytes.length - 7));
    const e = firmflowError(() => loadModel(p));
    expect(e.code).toBe('onnx.decode');
    expect(e.message).toMatch(/^truncated\.onnx: the ONNX file is truncated or corrupt/);
  });
  it('a text file', () => {
    const p = join(dir, 'notes.onnx');
    writeFileSync(p, 'these are my notes, not a model\n'.repeat(3));
    const e = firmflowError(() => loadModel(p));
    expect(e.code).toBe('onnx.decode');
    expect(e.message).toMatch(/^notes\.onnx: (not an ONNX model|the ONNX file is truncated or corrupt)/);
  });
  it('a PNG header', () => {
    const e = firmflowError(() => loadModel(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), { source: 'image.png' }));
    expect(e.message).toMatch(/^image\.png: /);
  });
  it('an empty file and a missing file', () => {
    const p = join(dir, 'empty.onnx');
    writeFileSync(p, '');
    expect(firmflowError(() => loadModel(p)).message).toBe('empty.onnx: the file is empty');
    expect(firmflowError(() => loadModel(join(dir, 'nope.onnx'))).message).toMatch(/nope\.onnx: cannot read the model file \(ENOENT\)/);
  });
  it('IR version 2 and default opset 5 are refused', () => {
    const m = small();
    (m as { irVersion: number }).irVersion = 2;
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/IR version 2 is not supported/);
    const o = new ModelBuilder({ opsets: { '': 5 } });
    o.input('x', 'float32', [1]).output('y', 'float32').node('Relu', ['x'], ['y']);
    expect(firmflowError(() => loadModel(o.toBytes())).message).toMatch(/default-domain opset 5 is not supported/);
  });
});

describe('broken graphs', () => {
  it('a cycle names the nodes in it', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [2]).output('y', 'float32');
    m.node('Add', ['x', 'b'], ['a'], {}, { name: 'first' });
    m.node('Relu', ['a'], ['b'], {}, { name: 'second' });
    m.node('Relu', ['a'], ['y'], {}, { name: 'out' });
    const e = firmflowError(() => loadModel(m.toBytes()));
    expect(e.code).toBe('onnx.cycle');
    expect(e.message).toMatch(/cycle.*node 'first' \(Add\), node 'second' \(Relu\)/);
  });
  it('a missing initializer', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 4]).output('y', 'float32');
    m.node('MatMul', ['x', 'W_dropped'], ['y'], {}, { name: 'mm' });
    const e = firmflowError(() => loadModel(m.toBytes()));
    expect(e.code).toBe('onnx.missing');
    expect(e.message).toMatch(/node 'mm' \(MatMul\) reads 'W_dropped', which is no graph input, initializer or node output/);
  });
  it('a graph output nobody produces', () => {
    const m = small();
    m.output('ghost', 'float32');
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/graph output 'ghost' is not produced/);
  });
  it('a dynamic dimension other than the batch', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 'seq_len']).output('y', 'float32');
    m.node('Relu', ['x'], ['y']);
    const e = firmflowError(() => loadModel(m.toBytes()));
    expect(e.code).toBe('onnx.dynamic');
    expect(e.message).toMatch(/graph input 'x' has dynamic dimension 'seq_len' at axis 1/);
  });
  it('shapes that do not fit (MatMul inner dimensions)', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 3]).output('y', 'float32');
    m.initializer('W', new Float32Array(8), [4, 2]);
    m.node('MatMul', ['x', 'W'], ['y'], {}, { name: 'mm' });
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/node 'mm' \(MatMul\): MatMul inner dimensions differ: \[N, 3\] @ \[4, 2\]/);
  });
});

describe('unsupported nodes are all listed in one error', () => {
  it('unknown op, unknown attribute, op version outside the range, custom domain', () => {
    const m = new ModelBuilder({ opsets: { '': 8, 'com.acme': 1 } });
    m.input('x', 'float32', ['N', 4]).output('y', 'float32');
    m.node('FancyAttention', ['x'], ['a'], {}, { name: 'attn' });
    m.node('Relu', ['a'], ['b'], { bogus: 3 }, { name: 'relu_odd' });
    m.node('Erf', ['b'], ['c'], {}, { name: 'erf_old' });
    m.node('Thing', ['c'], ['d'], {}, { name: 'acme', domain: 'com.acme' });
    m.node('Gelu', ['d'], ['e'], {}, { name: 'gelu_old' });
    m.node('Softmax', ['e'], ['y'], {}, { name: 'fine' });
    const e = firmflowError(() => loadModel(m.toBytes()));
    expect(e.code).toBe('onnx.unsupported');
    const items = e.details as UnsupportedItem[];
    expect(items.map((i) => [i.node, i.op, i.domain])).toEqual([
      ['attn', 'FancyAttention', 'ai.onnx'], ['relu_odd', 'Relu', 'ai.onnx'], ['erf_old', 'Erf', 'ai.onnx'],
      ['acme', 'Thing', 'com.acme'], ['gelu_old', 'Gelu', 'ai.onnx'],
    ]);
    expect(e.message).toMatch(/^model: 5 node\(s\) cannot be converted:/);
    expect(e.message).toContain("node 'attn' (FancyAttention): operator not supported");
    expect(e.message).toContain("node 'relu_odd' (Relu): attribute 'bogus' is not supported");
    expect(e.message).toContain("node 'erf_old' (Erf): opset 8 of domain 'ai.onnx' is outside the versions firmflow understands for Erf (9..23)");
    expect(e.message).toContain("node 'acme' (Thing, domain com.acme): operator not supported");
    expect(e.message).not.toContain("'fine'");
  });
  it('validation reasons (BatchNormalization training mode, Slice attributes after opset 10)', () => {
    const m = new ModelBuilder({ opsets: { '': 15 } });
    m.input('x', 'float32', ['N', 2]).output('y', 'float32');
    for (const n of ['s', 'b', 'm', 'v']) m.initializer(n, Float32Array.of(1, 1), [2]);
    m.node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['t'], { training_mode: 1 }, { name: 'bn' });
    m.node('Slice', ['t'], ['y'], { starts: [0], ends: [1] }, { name: 'sl' });
    const e = firmflowError(() => loadModel(m.toBytes()));
    expect(e.message).toContain("node 'bn' (BatchNormalization): training_mode=1 is not supported");
    expect(e.message).toContain("node 'sl' (Slice): inputs 'starts' and 'ends' are required from opset 10");
  });
});

describe('external data', () => {
  function extModel(location: string): ModelBuilder {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 4]).output('y', 'float32');
    m.initializer('W', Float32Array.from({ length: 8 }, (_v, i) => i + 0.5), [4, 2], { storage: { external: location } });
    m.node('MatMul', ['x', 'W'], ['y']);
    return m;
  }
  it('inside the model folder works (also in a subfolder, with offsets)', () => {
    const sub = join(dir, 'ext_ok');
    const m = extModel('weights/w.bin');
    m.initializer('b', Float32Array.of(1, 2), [2], { storage: { external: 'weights/w.bin', align: 16 } });
    m.node('Add', ['y', 'b'], ['z']);
    m.output('z', 'float32');
    const p = join(sub, 'model.onnx');
    m.save(p);
    const g = loadModel(p);
    expect(Array.from(g.tensor('W').data as Float32Array)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5]);
    expect(Array.from(g.tensor('b').data as Float32Array)).toEqual([1, 2]);
    // b starts at the next multiple of 16 after W's 32 bytes.
    expect(m.externalFiles().get('weights/w.bin')!.length).toBe(40);
  });
  it('../x.bin, an absolute path and a symlink out of the folder are refused', () => {
    const sub = join(dir, 'ext_bad');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(dir, 'x.bin'), new Uint8Array(32));
    symlinkSync(join(dir, 'x.bin'), join(sub, 'link.bin'));
    for (const [loc, msg] of [
      ['../x.bin', /external data location '\.\.\/x\.bin' points outside the model's folder/],
      [join(dir, 'x.bin'), /points outside the model's folder/],
      ['link.bin', /external data location 'link\.bin' resolves outside the model's folder/],
    ] as [string, RegExp][]) {
      const p = join(sub, 'm.onnx');
      writeFileSync(p, extModel(loc).toBytes());
      const e = firmflowError(() => loadModel(p));
      expect(e.code).toBe('onnx.external');
      expect(e.message).toMatch(/initializer 'W'/);
      expect(e.message).toMatch(msg);
    }
  });
  it('a model given as bytes cannot use external data; a short file is reported', () => {
    expect(firmflowError(() => loadModel(extModel('w.bin').toBytes())).message).toMatch(/refers to external file 'w\.bin', but the model was given as bytes/);
    const sub = join(dir, 'ext_short');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'm.onnx'), extModel('w.bin').toBytes());
    writeFileSync(join(sub, 'w.bin'), new Uint8Array(16));
    expect(firmflowError(() => loadModel(join(sub, 'm.onnx'))).message).toMatch(/needs bytes 0\.\.32 of 'w\.bin', which has only 16/);
  });
});

describe('declared sizes beyond the limit fail before allocation', () => {
  it('an initializer declaring [100000, 100000, 100000]', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [1]).output('y', 'float32');
    m.rawInitializer({ name: 'huge', dims: [100000, 100000, 100000], data_type: 1, raw_data: new Uint8Array(4) });
    m.node('Add', ['x', 'huge'], ['y']);
    const e = firmflowError(() => loadModel(m.toBytes()));
    expect(e.code).toBe('onnx.size');
    expect(e.message).toMatch(/initializer 'huge' declares shape \[100000, 100000, 100000\], more than the limit/);
  });
  it('a graph input declaring [1, 100000, 100000, 100000]', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', ['N', 100000, 100000, 100000]).output('y', 'float32');
    m.node('Relu', ['x'], ['y']);
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/graph input 'x' declares shape \[1, 100000, 100000, 100000\]/);
  });
  it('a Constant attribute tensor and a negative dim', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [1]).output('y', 'float32');
    m.rawNode({ op_type: 'Constant', name: 'k', output: ['c'], attribute: [{ name: 'value', type: 4, t: { dims: [1e6, 1e6], data_type: 1 } }] });
    m.node('Add', ['x', 'c'], ['y']);
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/attribute 'value' of node 'k' \(Constant\) declares shape \[1000000, 1000000\]/);
    const n = new ModelBuilder();
    n.input('x', 'float32', [1]).output('y', 'float32');
    n.rawInitializer({ name: 'neg', dims: [-3], data_type: 1 });
    n.node('Add', ['x', 'neg'], ['y']);
    expect(firmflowError(() => loadModel(n.toBytes())).message).toMatch(/initializer 'neg' has an invalid dimension -3/);
  });
  it('a data size that does not match the shape', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [2]).output('y', 'float32');
    m.rawInitializer({ name: 'w', dims: [2], data_type: 1, raw_data: new Uint8Array(12) });
    m.node('Add', ['x', 'w'], ['y']);
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/initializer 'w' holds 12 bytes of data but its shape and type need 8/);
  });
  it('the limit is configurable', () => {
    expect(firmflowError(() => loadModel(small().toBytes(), { limits: { maxElements: 4 } })).message).toMatch(/initializer 'W' declares shape \[4, 2\], more than the limit of 4 elements/);
  });
  it('a string tensor is refused with its name', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [1]).output('y', 'float32');
    m.rawInitializer({ name: 'labels', dims: [1], data_type: 8, string_data: [new Uint8Array([65])] });
    m.node('Identity', ['labels'], ['y']);
    expect(firmflowError(() => loadModel(m.toBytes())).message).toMatch(/initializer 'labels' has element type STRING, which firmflow does not read/);
  });
});
