import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attr, encodeModel, ensureSharedFlows, isFirmflowError, loadModel, ModelBuilder, runFlows } from 'firmflow';
import type { FirmflowError } from '../../src/errors.js';
import { ensureBuilt } from '../cli/build.js';
import { cli, STACK } from './cli.js';

/**
 * Fixed regression models for the cases issue 15 found, each built here with ModelBuilder: loaded in-process for
 * the exact message, and through the CLI for the exit code (1, one paragraph, no stack) and the time it takes.
 */
let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'firmflow-hard-models-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadError(model: ModelBuilder | string, limits?: Parameters<typeof loadModel>[1]): FirmflowError {
  try {
    if (typeof model === 'string') loadModel(model, limits);
    else loadModel(model.toBytes(), { source: 'm.onnx', ...limits });
  } catch (e) {
    if (isFirmflowError(e)) return e;
    throw e;
  }
  throw new Error('expected a FirmflowError');
}

/** x[1,4] -> Gemm(w[2,4], b[2]) -> y[1,2], with the weights given. */
function dense(w: number[], b = [0, 0], name = 'fc'): ModelBuilder {
  const m = new ModelBuilder();
  m.input('x', 'float32', [1, 4]).output('y', 'float32', [1, 2]);
  m.initializer('w', Float32Array.from(w), [2, 4]).initializer('b', Float32Array.from(b), [2]);
  m.node('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1 }, { name });
  return m;
}

function save(name: string, m: ModelBuilder): string {
  const p = join(dir, name);
  m.save(p);
  return p;
}

/** The CLI's verdict on a model: exit 1, a one-paragraph message without stack, and the time it took. */
function refused(path: string, env: Record<string, string> = {}): string {
  const r = cli(['inspect', path], env, undefined, 30_000);
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stderr).not.toMatch(/\n\s*\n/);
  expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  return r.stderr;
}

describe('non-finite constants', () => {
  it('NaN and infinite weights are errors naming the tensor and the first index, before any pass', () => {
    expect(loadError(dense([0, 1, 2, 3, 4, NaN, 6, NaN])).message).toBe(
      "m.onnx: initializer 'w' holds NaN at index 5 (position [1, 1]); firmflow converts finite constants only (fix the value in the model)",
    );
    expect(loadError(dense([0, 0, 0, 0, 0, 0, 0, 0], [0, -Infinity])).message).toMatch(/^m\.onnx: initializer 'b' holds -Infinity at index 1;/);
    // Today's exit 2 ("Infinity cannot be converted to a BigInt") is an exit 1 naming the tensor.
    expect(refused(save('inf.onnx', dense([Infinity, 0, 0, 0, 0, 0, 0, 0])))).toMatch(/^error: inf\.onnx: initializer 'w' holds \+Infinity at index 0 \(position \[0, 0\]\)/);
  });

  it('in Constant nodes and in constant-folded results too', () => {
    const c = new ModelBuilder();
    c.input('x', 'float32', [1, 2]).output('y', 'float32', [1, 2]);
    c.node('Constant', [], ['k'], { value: attr.tensor(Float32Array.of(1, Infinity), [2]) }, { name: 'konst' });
    c.node('Add', ['x', 'k'], ['y'], {}, { name: 'add' });
    expect(loadError(c).message).toMatch(/^m\.onnx: the constant 'k' of node 'konst' \(Constant\) holds \+Infinity at index 1;/);

    const f = new ModelBuilder();
    f.input('x', 'float32', [1, 2]).output('y', 'float32', [1, 2]);
    f.initializer('one', Float32Array.of(1, 1), [2]).initializer('zero', Float32Array.of(2, 0), [2]);
    f.node('Div', ['one', 'zero'], ['q'], {}, { name: 'div' });
    f.node('Add', ['x', 'q'], ['y'], {}, { name: 'add' });
    expect(loadError(f).message).toMatch(/^m\.onnx: the constant 'q' computed by node 'div' \(Div\) holds \+Infinity at index 1;/);
  });
});

describe('non-finite constants computed by passes', () => {
  it('a BatchNormalization variance of -epsilon folds to an infinite scale: refused after the flow, naming the tensor', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [1, 2]).output('y', 'float32', [1, 2]);
    for (const [n, v] of [['gamma', [1, 1]], ['beta', [0, 0]], ['mean', [0, 0]], ['var', [-0.5, 1]]] as const) m.initializer(n, Float32Array.from(v), [2]);
    m.node('BatchNormalization', ['x', 'gamma', 'beta', 'mean', 'var'], ['y'], { epsilon: 0.5 }, { name: 'bn' });
    const g = loadModel(m.toBytes(), { source: 'bn.onnx' });
    ensureSharedFlows();
    let err: unknown;
    try {
      runFlows(g, ['optimize']);
    } catch (e) {
      err = e;
    }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toMatch(/^bn\.onnx: the constant '[^']+', computed by flow 'optimize' from the model's constants, holds \+Infinity at index 0;/);
  });
});

describe('JavaScript errors are not dressed up as bad input', () => {
  it("an empty-string input is an error naming the node, not \"Cannot read properties of undefined (reading 'shape')\"", () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [1, 2]).output('y', 'float32', [1, 2]);
    m.node('Add', ['x', ''], ['y'], {}, { name: 'sum' });
    expect(loadError(m).message).toBe("m.onnx: node 'sum' (Add): input 2 (B) is empty, but it is not optional");
  });

  it('names from the model are escaped for the terminal and cannot split the message', () => {
    const evil = new ModelBuilder();
    evil.input('x', 'float32', [1, 2]).output('y', 'float32', [1, 2]);
    evil.node('Add', ['x', ''], ['y'], {}, { name: '\u001b[31mred\n\nline' });
    expect(loadError(evil).message).toBe("m.onnx: node '\\x1b[31mred\\x0a\\x0aline' (Add): input 2 (B) is empty, but it is not optional");
    const out = refused(save('evil.onnx', evil));
    expect(out).toContain('\\x1b[31mred\\x0a\\x0aline');
  });
});

describe('model strings on the terminal', () => {
  it('inspect prints node and tensor names with their escape sequences escaped', () => {
    const m = new ModelBuilder();
    m.input('x\u001b]0;title\u0007', 'float32', [1, 2]).output('y', 'float32', [1, 2]);
    m.node('Relu', ['x\u001b]0;title\u0007'], ['y'], {}, { name: '\u001b[31mred' });
    const r = cli(['inspect', save('ansi.onnx', m)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('x\\x1b]0;title\\x07');
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});

describe('bounded work', () => {
  it('a 229-byte model Expanding to [32768, 32768] is refused at once, naming the node', () => {
    for (const op of ['Expand', 'ConstantOfShape', 'Range'] as const) {
      const m = new ModelBuilder();
      m.input('x', 'float32', [1, 1]).output('y', 'float32', [1, 1]);
      m.initializer('one', Float32Array.of(1), [1, 1]).initializer('shape', BigInt64Array.of(32768n, 32768n), [2]);
      m.initializer('start', Float32Array.of(0), []).initializer('limit', Float32Array.of(2 ** 30), []);
      if (op === 'ConstantOfShape') m.node(op, ['shape'], ['big'], {}, { name: 'grow' });
      else if (op === 'Range') m.node(op, ['start', 'limit', 'one_s'], ['big'], {}, { name: 'grow' });
      else m.node(op, ['one', 'shape'], ['big'], {}, { name: 'grow' });
      m.initializer('one_s', Float32Array.of(1), []);
      m.node('Add', ['x', 'x'], ['y'], {}, { name: 'add' });
      m.output('big', 'float32');
      const t0 = performance.now();
      const e = loadError(m);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(e.message).toMatch(new RegExp(`^m\\.onnx: node 'grow' \\(${op}\\): computing this constant would take 1073741824 elements, more than the constant-folding budget of 16777216 \\(FIRMFLOW_MAX_FOLD_ELEMENTS\\)`));
    }
  });

  it('the folding budget is configurable (option and environment) and applies to every op', () => {
    const m = new ModelBuilder();
    m.input('x', 'float32', [2, 4]).output('y', 'float32', [2, 4]);
    m.initializer('one', Float32Array.of(1), [1, 1]).initializer('shape', BigInt64Array.of(2n, 4n), [2]);
    m.node('Expand', ['one', 'shape'], ['ones'], {}, { name: 'grow' });
    m.node('Add', ['x', 'ones'], ['y'], {}, { name: 'add' });
    expect(loadModel(m.toBytes()).tensor('ones').data).toEqual(new Float32Array(8).fill(1));
    expect(loadError(m, { limits: { maxFoldElements: 7 } }).message).toMatch(/computing this constant would take 8 elements, more than the constant-folding budget of 7/);
    const p = save('expand8.onnx', m);
    expect(refused(p, { FIRMFLOW_MAX_FOLD_ELEMENTS: '7' })).toMatch(/budget of 7 \(FIRMFLOW_MAX_FOLD_ELEMENTS\)/);
    expect(refused(p, { FIRMFLOW_MAX_FOLD_BYTES: '64' })).toMatch(/8 elements|96 bytes, more than the constant-folding budget of 64 bytes/);
  });

  it('a 1 GB file of zeros is refused by its header in well under a second', () => {
    const p = join(dir, 'zeros.onnx');
    writeFileSync(p, '');
    truncateSync(p, 2 ** 30);
    const t0 = Date.now();
    expect(loadError(p).message).toMatch(/^zeros\.onnx: not an ONNX model/);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(refused(p)).toMatch(/^error: zeros\.onnx: not an ONNX model/);
  });

  it('a model starting well and then running into zeros is refused by its top-level structure', () => {
    const good = dense([0, 1, 2, 3, 4, 5, 6, 7]).toBytes();
    const p = join(dir, 'tail.onnx');
    writeFileSync(p, good);
    truncateSync(p, 2 ** 28);
    const t0 = Date.now();
    expect(loadError(p).message).toMatch(/^tail\.onnx: .*invalid field number 0 at byte \d+/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('a model path that is a named pipe or a folder is refused without reading (its size cannot be checked)', () => {
    const fifo = join(dir, 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    expect(loadError(fifo).message).toBe(`${fifo}: cannot read the model file (a named pipe, not a regular file)`);
    expect(Date.now() - t0).toBeLessThan(1000);
    const folder = join(dir, 'folder.onnx');
    mkdirSync(folder);
    expect(refused(folder)).toBe(`error: ${folder}: cannot read the model file (a folder, not a regular file)\n`);
  });

  it('the model size budget refuses large files before reading them', () => {
    const p = save('small.onnx', dense([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(refused(p, { FIRMFLOW_MAX_MODEL_BYTES: '64' })).toMatch(/^error: small\.onnx: the file has \d+ bytes, more than the model size limit of 64 \(FIRMFLOW_MAX_MODEL_BYTES\)/);
  });
});

describe('external data', () => {
  function external(sub: string, location: string, dims = [2, 4]): string {
    const folder = join(dir, sub);
    mkdirSync(folder, { recursive: true });
    const m = new ModelBuilder();
    m.input('x', 'float32', [1, 4]).output('y', 'float32', [1, 2]);
    m.initializer('w', new Float32Array(8), [2, 4], { storage: { external: 'w.bin' } }).initializer('b', Float32Array.of(0, 0), [2]);
    m.node('Gemm', ['x', 'w', 'b'], ['y'], { transB: 1 }, { name: 'fc' });
    const proto = m.modelProto();
    const w = proto.graph!.initializer!.find((t) => t.name === 'w')!;
    w.dims = dims;
    w.external_data = [{ key: 'location', value: location }];
    const path = join(folder, 'model.onnx');
    writeFileSync(path, encodeModel(proto));
    return path;
  }

  it('a named pipe is refused without being opened (it used to hang forever, deaf to SIGTERM)', () => {
    const p = external('fifo', 'w.bin');
    execFileSync('mkfifo', [join(dir, 'fifo', 'w.bin')]);
    const t0 = Date.now();
    expect(loadError(p).message).toBe("model.onnx: initializer 'w' external data 'w.bin' cannot be read (a named pipe, not a regular file)");
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(refused(p)).toMatch(/a named pipe, not a regular file/);
  });

  it('a folder is refused (it used to be EISDIR, exit 2)', () => {
    const p = external('folder', 'w.bin');
    mkdirSync(join(dir, 'folder', 'w.bin'));
    expect(refused(p)).toMatch(/^error: model\.onnx: initializer 'w' external data 'w\.bin' cannot be read \(a folder, not a regular file\)/);
  });

  it('a 2^31-1-element external tensor is refused by its size before anything is allocated', () => {
    const p = external('huge', 'w.bin', [2 ** 31 - 1]);
    writeFileSync(join(dir, 'huge', 'w.bin'), '');
    truncateSync(join(dir, 'huge', 'w.bin'), 2 ** 33);
    expect(refused(p)).toMatch(/^error: model\.onnx: initializer 'w' of shape \[2147483647\] needs 8589934588 bytes, more than the limit of 2147483647 \(FIRMFLOW_MAX_TENSOR_BYTES\)/);
  });
});
