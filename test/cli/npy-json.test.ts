/*
 * CLI consistency (issue 13 item 6): .npy outputs written as .npy, integer .npy inputs read exactly, and `--json
 * [file]` meaning the same on every command (bare: stdout; a .json path: written there; anything else refused, so
 * `bench --json --html h.html` no longer writes JSON to a file named '--html').
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlp, uniform } from '../../bench/vitis-models.js';
import { run } from '../../src/cli/main.js';
import { encodeNpy, readNpy } from '../../src/cli/npy.js';
import { capture } from '../bench/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ff-npy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A .npy file of any numpy type code, written byte by byte (as numpy writes it). */
function npyOf(descr: string, shape: number[], put: (dv: DataView, off: number) => void, bytes: number): Uint8Array {
  const f = encodeNpy(shape, new Float64Array(shape.reduce((a, b) => a * b, 1)), 'float64');
  const header = new TextDecoder('latin1').decode(f.subarray(10, 10 + new DataView(f.buffer).getUint16(8, true))).replace("'<f8'", `'${descr}'`.padEnd(5));
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(10 + header.length + n * bytes);
  out.set(f.subarray(0, 10));
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  put(new DataView(out.buffer), 10 + header.length);
  return out;
}

describe('.npy', () => {
  it('float32/float64 arrays round-trip; the header is 64-byte aligned as numpy writes it', () => {
    const a = encodeNpy([2, 3], [1.5, -2, 3.25, 0, 1e-3, 7], 'float32');
    expect((10 + new DataView(a.buffer).getUint16(8, true)) % 64).toBe(0);
    const r = readNpy(a, 'a.npy');
    expect([r.dtype, r.shape, Array.from(r.data)]).toEqual(['float32', [2, 3], [1.5, -2, 3.25, 0, Math.fround(1e-3), 7]]);
    const b = readNpy(encodeNpy([4], [0.1, 0.2, 0.3, -1e300], 'float64'), 'b.npy');
    expect([b.dtype, b.shape, Array.from(b.data)]).toEqual(['float64', [4], [0.1, 0.2, 0.3, -1e300]]);
  });

  it('integer arrays (int8 .. int64, uint8 .. uint64, bool) are read exactly', () => {
    const cases: [string, number, (dv: DataView, o: number, i: number) => void, number[], string][] = [
      ['|i1', 1, (dv, o, i) => dv.setInt8(o + i, [-128, 5, 127][i]), [-128, 5, 127], 'int8'],
      ['<i2', 2, (dv, o, i) => dv.setInt16(o + 2 * i, [-32768, 300, 32767][i], true), [-32768, 300, 32767], 'int16'],
      ['<i4', 4, (dv, o, i) => dv.setInt32(o + 4 * i, [-(2 ** 31), 70000, 2 ** 31 - 1][i], true), [-(2 ** 31), 70000, 2 ** 31 - 1], 'int32'],
      ['<i8', 8, (dv, o, i) => dv.setBigInt64(o + 8 * i, [-(2n ** 53n), 42n, 2n ** 53n - 1n][i], true), [-(2 ** 53), 42, 2 ** 53 - 1], 'int64'],
      ['|u1', 1, (dv, o, i) => dv.setUint8(o + i, [0, 128, 255][i]), [0, 128, 255], 'uint8'],
      ['<u2', 2, (dv, o, i) => dv.setUint16(o + 2 * i, [0, 1, 65535][i], true), [0, 1, 65535], 'uint16'],
      ['<u4', 4, (dv, o, i) => dv.setUint32(o + 4 * i, [0, 1, 2 ** 32 - 1][i], true), [0, 1, 2 ** 32 - 1], 'uint32'],
      ['<u8', 8, (dv, o, i) => dv.setBigUint64(o + 8 * i, [0n, 9n, 2n ** 53n][i], true), [0, 9, 2 ** 53], 'uint64'],
      ['|b1', 1, (dv, o, i) => dv.setUint8(o + i, [0, 1, 1][i]), [0, 1, 1], 'bool'],
    ];
    for (const [descr, bytes, set, values, name] of cases) {
      const r = readNpy(npyOf(descr, [3], (dv, o) => { for (let i = 0; i < 3; i++) set(dv, o, i); }, bytes), `${name}.npy`);
      expect([r.dtype, Array.from(r.data)], descr).toEqual([name, values]);
    }
    const big = npyOf('<i8', [2], (dv, o) => { dv.setBigInt64(o, 2n ** 60n, true); dv.setBigInt64(o + 8, 2n ** 60n + 1n, true); }, 8);
    expect(() => readNpy(big, 'big.npy')).toThrow('big.npy: value 1152921504606846977 at index 1 has more than 53 significant bits and cannot be represented exactly');
    expect(() => readNpy(npyOf('>i4', [1], () => {}, 4), 'be.npy')).toThrow(/be\.npy: dtype '>i4' is not supported \(little-endian/);
  });
});

describe('predict -o y.npy and integer .npy inputs', () => {
  it('writes .npy (float64 outputs) equal to the JSON output; reads an int64 .npy input', async () => {
    const modelPath = join(tmp, 'mlp.onnx');
    writeFileSync(modelPath, mlp([8, 16, 4], 3).bytes);
    const dir = join(tmp, 'prj');
    const c0 = capture();
    expect(await run(['node', 'firmflow', 'convert', modelPath, '-b', 'Vitis', '-o', dir], c0.io), c0.err()).toBe(0);
    const x = Array.from(uniform(24, 7, 3), (v) => Math.round(v)); // integers, as an int64 array holds them
    const xi = npyOf('<i8', [3, 8], (dv, o) => x.forEach((v, i) => dv.setBigInt64(o + 8 * i, BigInt(v), true)), 8);
    writeFileSync(join(tmp, 'x.npy'), xi);
    writeFileSync(join(tmp, 'x.json'), JSON.stringify({ x: { dtype: 'float32', shape: [3, 8], data: x } }));
    const a = capture();
    expect(await run(['node', 'firmflow', 'predict', dir, '--emulate', '-i', join(tmp, 'x.npy'), '-o', join(tmp, 'y.npy')], a.io), a.err()).toBe(0);
    const b = capture();
    expect(await run(['node', 'firmflow', 'predict', dir, '--emulate', '-i', join(tmp, 'x.json'), '-o', join(tmp, 'y.json')], b.io), b.err()).toBe(0);
    const y = readNpy(readFileSync(join(tmp, 'y.npy')), 'y.npy');
    const ref = Object.values(JSON.parse(readFileSync(join(tmp, 'y.json'), 'utf8')))[0] as { shape: number[]; data: number[] };
    expect(y.shape).toEqual(ref.shape);
    expect(Array.from(y.data)).toEqual(ref.data);
    expect(y.data.some((v) => v !== 0)).toBe(true);
  });
});

describe('--json [file], the same on every command', () => {
  it('bare: JSON on stdout; a .json path: written there; a non-.json value refused', async () => {
    const a = capture();
    expect(await run(['node', 'firmflow', 'backends', '--json'], a.io), a.err()).toBe(0);
    expect(JSON.parse(a.out()).map((b: { name: string }) => b.name)).toContain('Vitis');
    const file = join(tmp, 'backends.json');
    const b = capture();
    expect(await run(['node', 'firmflow', 'backends', '--json', file], b.io), b.err()).toBe(0);
    expect(b.out()).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(a.out()));
    const c = capture();
    expect(await run(['node', 'firmflow', 'inspect', '--json', join(tmp, 'mlp.onnx')], c.io)).toBe(1);
    expect(c.err()).toMatch(/--json.*expected a \.json file to write, or '-' for stdout/);
  });

  it("bench --json --html h.html: JSON on stdout, HTML in h.html (no file named '--html')", async () => {
    const html = join(tmp, 'h.html');
    const c = capture();
    const code = await run(['node', 'firmflow', 'bench', join(tmp, 'mlp.onnx'), '-b', 'Vitis', '-n', '4', '--no-csim', '--json', '--html', html], c.io);
    expect(code, c.err()).toBe(0);
    expect(JSON.parse(c.out()).schema ?? JSON.parse(c.out()).model).toBeDefined();
    expect(existsSync(html)).toBe(true);
    expect(existsSync(join(process.cwd(), '--html'))).toBe(false);
  });
});
