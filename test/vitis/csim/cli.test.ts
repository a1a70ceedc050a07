import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from 'firmflow';
import { buildProject } from '../helpers.js';
import { mlp, numbers } from '../models.js';

/* `firmflow compile <dir>` and `firmflow predict <dir>` on a written project (the backend reopens the folder). */

function capture(): { io: { out(t: string): void; err(t: string): void; isTTY: boolean }; out: () => string; err: () => string } {
  let o = '', e = '';
  return { io: { out: (t) => { o += t; }, err: (t) => { e += t; }, isTTY: false }, out: () => o, err: () => e };
}

function npy(shape: number[], data: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const buf = new Uint8Array(10 + header.length + data.byteLength);
  buf.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 255, header.length >> 8]);
  for (let i = 0; i < header.length; i++) buf[10 + i] = header.charCodeAt(i);
  buf.set(new Uint8Array(data.buffer), 10 + header.length);
  return buf;
}

describe('firmflow compile / predict', () => {
  const model = mlp([16, 32, 8], 'Relu', 'Softmax', 7);

  it('compiles (cached), predicts from JSON and .npy like the API, and emulates', async () => {
    const b = await buildProject(model);
    const tmp = mkdtempSync(join(tmpdir(), 'firmflow-cli-'));
    const x = Float32Array.from(numbers(5 * 16, 9, 2));
    const c1 = capture();
    expect(await run(['node', 'firmflow', 'compile', b.dir], c1.io)).toBe(0);
    expect(c1.out()).toMatch(/up to date|compiled/);

    writeFileSync(join(tmp, 'x.json'), JSON.stringify({ x: { dtype: 'float32', shape: [5, 16], data: Array.from(x) } }));
    writeFileSync(join(tmp, 'x.npy'), npy([5, 16], x));
    const api = await b.sim.predict({ x: { shape: [5, 16], data: x } });
    const c2 = capture();
    expect(await run(['node', 'firmflow', 'predict', b.dir, '-i', join(tmp, 'x.json'), '-o', join(tmp, 'y.json')], c2.io)).toBe(0);
    const y = JSON.parse(readFileSync(join(tmp, 'y.json'), 'utf8'));
    expect(y.y.shape).toEqual([5, 8]);
    expect(y.y.data).toEqual(Array.from(api['y'].data));
    const c3 = capture();
    expect(await run(['node', 'firmflow', 'predict', b.dir, '-i', join(tmp, 'x.npy')], c3.io)).toBe(0);
    expect(JSON.parse(c3.out()).y.data).toEqual(Array.from(api['y'].data));
    const c4 = capture();
    expect(await run(['node', 'firmflow', 'predict', b.dir, '-i', join(tmp, 'x.npy'), '--emulate'], c4.io)).toBe(0);
    expect(JSON.parse(c4.out()).y.data).toEqual(Array.from(api['y'].data));
  });

  it('refuses bad input with a message naming the file or input', async () => {
    const b = await buildProject(model);
    const tmp = mkdtempSync(join(tmpdir(), 'firmflow-cli-'));
    writeFileSync(join(tmp, 'bad.json'), JSON.stringify({ x: { dtype: 'float32', shape: [1, 15], data: new Array(15).fill(0) } }));
    const c = capture();
    expect(await run(['node', 'firmflow', 'predict', b.dir, '-i', join(tmp, 'bad.json')], c.io)).toBe(1);
    expect(c.err()).toMatch(/input 'x' has 15 values/);
    const d = capture();
    expect(await run(['node', 'firmflow', 'compile', tmp], d.io)).toBe(1);
    expect(d.err()).toMatch(/not a firmflow project folder/);
  });
});
