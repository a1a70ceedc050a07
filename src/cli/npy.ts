import { FirmflowError } from '../errors.js';

/*
 * numpy's .npy format (versions 1-3): reading float and integer arrays (little-endian, C order) as `predict` and
 * `bench` inputs, and writing float32/float64 arrays as `predict -o y.npy` output.
 */

interface NpyType {
  name: string;
  bytes: number;
  read(dv: DataView, off: number): number | bigint;
}

/** numpy type codes (kind and size, byte order aside) -> how to read one value. */
const TYPES: Record<string, NpyType> = {
  f4: { name: 'float32', bytes: 4, read: (dv, o) => dv.getFloat32(o, true) },
  f8: { name: 'float64', bytes: 8, read: (dv, o) => dv.getFloat64(o, true) },
  i1: { name: 'int8', bytes: 1, read: (dv, o) => dv.getInt8(o) },
  i2: { name: 'int16', bytes: 2, read: (dv, o) => dv.getInt16(o, true) },
  i4: { name: 'int32', bytes: 4, read: (dv, o) => dv.getInt32(o, true) },
  i8: { name: 'int64', bytes: 8, read: (dv, o) => dv.getBigInt64(o, true) },
  u1: { name: 'uint8', bytes: 1, read: (dv, o) => dv.getUint8(o) },
  u2: { name: 'uint16', bytes: 2, read: (dv, o) => dv.getUint16(o, true) },
  u4: { name: 'uint32', bytes: 4, read: (dv, o) => dv.getUint32(o, true) },
  u8: { name: 'uint64', bytes: 8, read: (dv, o) => dv.getBigUint64(o, true) },
  b1: { name: 'bool', bytes: 1, read: (dv, o) => (dv.getUint8(o) ? 1 : 0) },
};

/** The type of a descr ('<f4', '|u1', '=i8'); big-endian and other kinds are refused by the caller. */
function npyType(descr: string): NpyType | undefined {
  const m = /^([<=|])([fiub]\d)$/.exec(descr);
  return m ? TYPES[m[2]] : undefined;
}

/** Parses a .npy file: float32 stays Float32Array, every other type is read exactly into a Float64Array. */
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
  const type = npyType(descr!);
  if (!type) bad(`dtype '${descr}' is not supported (little-endian float32/float64, int8..int64, uint8..uint64 or bool)`);
  const n = shape.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  if (buf.length - off < n * type!.bytes) bad(`holds fewer than the ${n} values of shape (${shape.join(', ')})`);
  const data = type!.name === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = type!.read(dv, off + type!.bytes * i);
    if (typeof v === 'bigint') {
      // 64-bit integers: a double holds them exactly up to 2^53 (and beyond only when the low bits are zero).
      const x = Number(v);
      if (BigInt(x) !== v) bad(`value ${v} at index ${i} has more than 53 significant bits and cannot be represented exactly`);
      data[i] = x;
    } else data[i] = v;
  }
  return { shape, data, dtype: type!.name };
}

/** A .npy file (version 1.0, little-endian, C order) of one array as float32 or float64. */
export function encodeNpy(shape: readonly number[], data: ArrayLike<number>, dtype: 'float32' | 'float64'): Uint8Array {
  const bytes = dtype === 'float32' ? 4 : 8;
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f${bytes}', 'fortran_order': False, 'shape': (${dims}), }`;
  // The header (with magic, version and length: 10 bytes) ends with '\n' and pads to a multiple of 64 bytes.
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * bytes);
  out.set([0x93, ...'NUMPY'.split('').map((c) => c.charCodeAt(0)), 1, 0]);
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const off = 10 + header.length;
  for (let i = 0; i < data.length; i++) {
    if (bytes === 4) dv.setFloat32(off + 4 * i, data[i], true);
    else dv.setFloat64(off + 8 * i, data[i], true);
  }
  return out;
}
