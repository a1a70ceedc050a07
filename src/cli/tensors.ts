import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { FirmflowError } from '../errors.js';
import type { NamedTensors } from '../registry/types.js';
import { encodeNpy, readNpy } from './npy.js';

/*
 * Reading inputs for `firmflow predict`: JSON in the layout of the reference models ({ name: { dtype, shape, data } })
 * or numpy .npy arrays (npy.ts).
 */

export { readNpy } from './npy.js';

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

/**
 * Outputs as a file's bytes, by its extension: .npy (the one output; float32 when the output is, else float64) or
 * JSON in the reference models' layout.
 */
export function tensorsFile(t: NamedTensors, file: string): Uint8Array | string {
  if (extname(file).toLowerCase() !== '.npy') return tensorsJson(t);
  const names = Object.keys(t);
  if (names.length !== 1) throw new FirmflowError('output.file', `${file}: the model has ${names.length} outputs (${names.join(', ')}) and a .npy file holds one array; write a .json file`);
  const v = t[names[0]];
  const f32 = v.dtype === 'float32' || v.data instanceof Float32Array;
  return encodeNpy(v.shape, v.data, f32 ? 'float32' : 'float64');
}
