import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { FirmflowError } from '../errors.js';
import type { NamedTensors } from '../registry/types.js';

/*
 * Reading inputs for `firmflow predict`: JSON in the layout of the reference models ({ name: { dtype, shape, data } })
 * or numpy .npy arrays (float32/float64, little-endian, C order).
 */

/** Parses a .npy file (format versions 1-3). */
export function readNpy(buf: Uint8Array, file: string): { shape: number[]; data: Float32Array | Float64Array; dtype: string } {
  const bad = (why: string): never => { throw new FirmflowError('input.npy', `${file}: ${why}`); };
  if (buf.length < 10 || buf[0] !== 0x93 || String.fromCharCode(...buf.subarray(1, 6)) !== 'NUMPY') bad('not a .npy file');
  const major = buf[6];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const [hlen, start] = major === 1 ? [dv.getUint16(8, true), 10] : [dv.getUint32(8, true), 12];
  if (start + hlen > buf.length) bad('truncated header');
  const header = new TextDecoder('latin1').decode(buf.subarray(start, start + hlen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) bad('unreadable header');
  if (fortran === 'True') bad('Fortran-ordered arrays are not supported (save with C order)');
  const shape = shapeText!.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) bad(`bad shape (${shapeText})`);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const need = (bytes: number): void => { if (buf.length - off < n * bytes) bad(`holds fewer than the ${n} values of shape (${shape.join(', ')})`); };
  let data: Float32Array | Float64Array;
  if (descr === '<f4' || descr === '=f4') {
    need(4);
    data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = dv.getFloat32(off + 4 * i, true);
  } else if (descr === '<f8' || descr === '=f8') {
    need(8);
    data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = dv.getFloat64(off + 8 * i, true);
  } else {
    bad(`dtype '${descr}' is not supported (float32 or float64, little-endian)`);
  }
  return { shape, data: data!, dtype: descr!.endsWith('4') ? 'float32' : 'float64' };
}

/**
 * Reads `--input` values: `file.json` (all inputs by name), `file.npy` (the only input), or `name=file.npy`
 * (repeatable).
 */
export function readInputs(specs: string[], inputNames: string[]): NamedTensors {
  const out: NamedTensors = {};
  for (const spec of specs) {
    const m = /^([^=]+)=(.+)$/.exec(spec);
    const [name, file] = m && !/\.(json|npy)$/i.test(spec.split('=')[0]) ? [m[1], m[2]] : [undefined, spec];
    let buf: Uint8Array;
    try {
      buf = readFileSync(file);
    } catch (e) {
      throw new FirmflowError('input.file', `input file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const ext = extname(file).toLowerCase();
    if (ext === '.npy') {
      const target = name ?? (inputNames.length === 1 ? inputNames[0] : undefined);
      if (!target) throw new FirmflowError('input.file', `${file}: the model has inputs ${inputNames.join(', ')}; name the one this file holds (--input NAME=${file})`);
      out[target] = readNpy(buf, file);
    } else if (ext === '.json') {
      let j: unknown;
      try {
        j = JSON.parse(new TextDecoder().decode(buf));
      } catch (e) {
        throw new FirmflowError('input.file', `${file}: not valid JSON (${(e as Error).message})`);
      }
      if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new FirmflowError('input.file', `${file}: expected { "<input name>": { "shape": [...], "data": [...] } }`);
      for (const [k, v] of Object.entries(j as Record<string, unknown>)) {
        const t = v as { shape?: unknown; data?: unknown; dtype?: unknown };
        if (typeof t !== 'object' || t === null || !Array.isArray(t.data) || !Array.isArray(t.shape)) {
          throw new FirmflowError('input.file', `${file}: input '${k}' must be { "dtype", "shape": [...], "data": [...] }`);
        }
        if (t.data.some((x) => typeof x !== 'number')) throw new FirmflowError('input.file', `${file}: input '${k}' has non-numeric data`);
        out[name ?? k] = { dtype: typeof t.dtype === 'string' ? t.dtype : 'float32', shape: t.shape as number[], data: Float32Array.from(t.data as number[]) };
      }
    } else {
      throw new FirmflowError('input.file', `input file ${file}: expected a .json or .npy file`);
    }
  }
  return out;
}

/** Outputs as JSON text in the reference models' layout. */
export function tensorsJson(t: NamedTensors): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) o[k] = { dtype: v.dtype ?? 'float64', shape: v.shape, data: Array.from(v.data) };
  return `${JSON.stringify(o)}\n`;
}
