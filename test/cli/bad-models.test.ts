import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, ModelBuilder } from '../../src/onnx/builder.js';
import { REPO } from '../fixtures/project.js';
import { ensureBuilt } from './build.js';

/**
 * Every kind of bad model the core issue names, through the real CLI: exit code 1, one short message that says
 * what is wrong and where, and no stack trace.
 */
let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-bad-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mlp(mutate?: (m: ModelBuilder) => void, shape: (string | number)[] = ['N', 4]): ModelBuilder {
  const m = new ModelBuilder();
  m.input('x', 'float32', shape).output('y', 'float32', ['N', 2]);
  m.initializer('w', new Float32Array(8).fill(0.5), [2, 4]);
  m.initializer('b', new Float32Array(2), [2]);
  mutate?.(m);
  m.node('Gemm', ['x', 'w', 'b'], ['h'], { transB: 1 }, { name: 'fc' });
  m.node('Relu', ['h'], ['y'], {}, { name: 'act' });
  return m;
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function inspect(path: string): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/firmflow.js'), 'inspect', path], { encoding: 'utf8', env: { ...process.env, FIRMFLOW_BACKEND_PLUGINS: '' } });
  return { code: r.status, stderr: r.stderr };
}

describe('bad models through the CLI', () => {
  it('each gives exit code 1, a message naming the problem, and no stack trace', () => {
    const good = mlp().toBytes();

    const cycle = new ModelBuilder();
    cycle.input('x', 'float32', ['N', 2]).output('y', 'float32', ['N', 2]);
    cycle.node('Add', ['x', 'b'], ['a'], {}, { name: 'first' });
    cycle.node('Relu', ['a'], ['b'], {}, { name: 'second' });
    cycle.node('Relu', ['a'], ['y'], {}, { name: 'out' });

    const missing = new ModelBuilder();
    missing.input('x', 'float32', ['N', 4]).output('y', 'float32', ['N', 2]);
    missing.node('Gemm', ['x', 'weights_dropped', 'b'], ['y'], { transB: 1 }, { name: 'fc' });

    const unsupported = mlp((m) => {
      m.node('NonMaxSuppression', ['x'], ['u1'], {}, { name: 'nms' });
      m.node('Relu', ['x'], ['u2'], { color: 'blue' }, { name: 'odd_relu' });
      m.node('Conv', ['x'], ['u3'], { kernel_shape: [3, 3, 3], bogus: attr.int(1) }, { name: 'conv3d' });
    });

    const escaping = new ModelBuilder();
    escaping.input('x', 'float32', ['N', 4]).output('y', 'float32', ['N', 2]);
    escaping.rawInitializer({ name: 'w', dims: [2, 4], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: '../outside.bin' }] });
    escaping.initializer('b', new Float32Array(2), [2]);
    escaping.node('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1 }, { name: 'fc' });

    const huge = new ModelBuilder();
    huge.input('x', 'float32', ['N', 4]).output('y', 'float32', ['N', 2]);
    huge.rawInitializer({ name: 'w', dims: [100000, 100000, 100000], data_type: 1, raw_data: new Uint8Array(16) });
    huge.node('Relu', ['x'], ['y'], {}, { name: 'r' });

    mkdirSync(join(dir, 'ext'), { recursive: true });
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated.onnx', good.subarray(0, Math.floor(good.length * 0.6)), /truncated\.onnx: the ONNX file is truncated or corrupt/],
      ['not-protobuf.onnx', new TextEncoder().encode('{"this": "is json, not an ONNX model"}\n'), /not-protobuf\.onnx: not an ONNX model/],
      ['cycle.onnx', cycle.toBytes(), /cycle\.onnx: the graph has a cycle; these nodes depend on each other: node 'first' \(Add\), node 'second' \(Relu\)/],
      ['missing.onnx', missing.toBytes(), /node 'fc' \(Gemm\) reads 'weights_dropped', which is no graph input, initializer or node output/],
      ['dynamic.onnx', mlp(undefined, ['N', 'features']).toBytes(), /graph input 'x' has dynamic dimension 'features' at axis 1/],
      ['unsupported.onnx', unsupported.toBytes(), /3 node\(s\) cannot be converted:\n  - node 'nms' \(NonMaxSuppression\): operator not supported\n  - node 'odd_relu' \(Relu\): attribute 'color' is not supported\n  - node 'conv3d' \(Conv\): /],
      [join('ext', 'escaping.onnx'), escaping.toBytes(), /initializer 'w' external data location '\.\.\/outside\.bin' points outside the model's folder/],
      ['huge.onnx', huge.toBytes(), /initializer 'w' declares shape \[100000, 100000, 100000\], more than the limit/],
    ];
    writeFileSync(join(dir, 'outside.bin'), new Uint8Array(32));
    for (const [name, bytes, message] of cases) {
      const r = inspect(write(name, bytes));
      expect({ name, code: r.code }).toEqual({ name, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
