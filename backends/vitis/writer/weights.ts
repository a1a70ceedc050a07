import type { FixedType } from 'firmflow';
import type { ConstArray } from './model.js';
import { codeCpp } from './names.js';

/*
 * Constants leave the writer twice, from the same integer codes: as weights.bin, which the host simulation reads at
 * run time (so g++ never compiles large initializers), and as synthesis headers of integer literals in the type's
 * own width (nnet::value<T>() reinterprets them, so every value is exact).
 *
 * weights.bin (little-endian): "FFWB", u32 version (1), u32 array count; per array: u32 name length, name (ASCII),
 * u32 element count, u32 width, u32 signed (0/1), u32 bytes per code (1, 2, 4 or 8), then the codes, sign- or
 * zero-extended to that many bytes.
 */
export const WEIGHTS_MAGIC = 'FFWB';
export const WEIGHTS_VERSION = 1;

export function codeBytes(t: FixedType): 1 | 2 | 4 | 8 {
  return t.width <= 8 ? 1 : t.width <= 16 ? 2 : t.width <= 32 ? 4 : 8;
}

function asBigInt(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}

export function encodeWeights(consts: ConstArray[]): Uint8Array {
  let size = 12;
  for (const c of consts) size += 20 + c.name.length + c.codes.length * codeBytes(c.type);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  let o = 0;
  const u32 = (v: number): void => { dv.setUint32(o, v, true); o += 4; };
  for (let i = 0; i < 4; i++) buf[o++] = WEIGHTS_MAGIC.charCodeAt(i);
  u32(WEIGHTS_VERSION);
  u32(consts.length);
  for (const c of consts) {
    u32(c.name.length);
    for (let i = 0; i < c.name.length; i++) buf[o++] = c.name.charCodeAt(i);
    const bytes = codeBytes(c.type);
    u32(c.codes.length);
    u32(c.type.width);
    u32(c.type.signed ? 1 : 0);
    u32(bytes);
    for (let i = 0; i < c.codes.length; i++) {
      const v = c.codes[i] as number | bigint;
      switch (bytes) {
        case 1: dv.setInt8(o, Number(v)); break;
        case 2: c.type.signed ? dv.setInt16(o, Number(v), true) : dv.setUint16(o, Number(v), true); break;
        case 4: c.type.signed ? dv.setInt32(o, Number(v), true) : dv.setUint32(o, Number(v), true); break;
        case 8: c.type.signed ? dv.setBigInt64(o, asBigInt(v), true) : dv.setBigUint64(o, asBigInt(v), true); break;
      }
      o += bytes;
    }
  }
  return buf;
}

/** A code as a C++ integer literal (hex, with the sign in front; LL beyond 32 bits). */
export function codeLiteral(v: number | bigint, t: FixedType): string {
  const b = asBigInt(v);
  // The most negative 64-bit code has no positive literal of its own.
  if (t.signed && t.width === 64 && b === -(1n << 63n)) return '(-0x7fffffffffffffffLL - 1)';
  const mag = b < 0n ? -b : b;
  const hex = `0x${mag.toString(16)}`;
  const suffix = t.width > 31 ? (t.signed ? 'LL' : 'ULL') : '';
  return `${b < 0n ? '-' : ''}${hex}${suffix}`;
}

/** Body of a synthesis weight header. */
export function weightHeader(c: ConstArray): string {
  const lines: string[] = [];
  const per = 12;
  for (let i = 0; i < c.codes.length; i += per) {
    const row: string[] = [];
    for (let j = i; j < Math.min(i + per, c.codes.length); j++) row.push(codeLiteral(c.codes[j] as number | bigint, c.type));
    lines.push(`    ${row.join(', ')}`);
  }
  return `static const ${codeCpp(c.type)} ${c.name}[${c.codes.length}] = {\n${lines.join(',\n')}\n};`;
}
