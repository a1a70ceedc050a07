import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixedType } from '../../src/ir/types.js';
import { cppType } from '../../src/fixed/types.js';

export const AP_TYPES_DIR = resolve(fileURLToPath(import.meta.url), '../../../templates/vitis/ap_types');

export function haveGxx(): boolean {
  try {
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Full C++ spelling (modes always written, so N is explicit). */
export function cppFull(t: FixedType): string {
  if (t.integer === t.width && t.rounding === 'TRN' && t.overflow === 'WRAP' && !(t.satBits ?? 0)) return cppType(t);
  return `${t.signed ? 'ap_fixed' : 'ap_ufixed'}<${t.width},${t.integer},AP_${t.rounding},AP_${t.overflow},${t.satBits ?? 0}>`;
}

/**
 * A table-driven test driver: the generated source instantiates the listed types and operations once, then reads
 * cases from stdin and prints the raw codes of the results (unsigned W-bit patterns, decimal up to 64 bits, hex
 * beyond). One compile per test run.
 */
export class Driver {
  private readonly types: FixedType[] = [];
  private readonly typeIndex = new Map<string, number>();
  private readonly funcs: string[] = [];
  private readonly cases = new Map<string, number>();
  private dir?: string;
  private exe?: string;

  type(t: FixedType): number {
    const key = cppFull(t);
    let i = this.typeIndex.get(key);
    if (i === undefined) {
      i = this.types.length;
      this.types.push(t);
      this.typeIndex.set(key, i);
    }
    return i;
  }

  /** Registers a case kind: `body` is C++ using types A/B/D, helpers rd_A/rd_B (read a code), put(x). */
  private fn(key: string, body: string): number {
    let i = this.cases.get(key);
    if (i === undefined) {
      i = this.funcs.length;
      this.funcs.push(body);
      this.cases.set(key, i);
    }
    return i;
  }

  /** Conversion from doubles k * 2^e, k in [kmin, kmax]. */
  fromDoubles(t: FixedType): number {
    return this.fn(`D:${cppFull(t)}`, `{ typedef ${cppFull(t)} D; long long k0, k1; int e; std::cin >> k0 >> k1 >> e; for (long long k = k0; k <= k1; ++k) { D x = std::ldexp((double)k, e); put(x); } }`);
  }

  /** Conversion from doubles given by their IEEE bits (hex). */
  fromBits(t: FixedType): number {
    return this.fn(`R:${cppFull(t)}`, `{ typedef ${cppFull(t)} D; int n; std::cin >> n; for (int i = 0; i < n; ++i) { std::string h; std::cin >> h; unsigned long long b = std::stoull(h, 0, 16); double d; std::memcpy(&d, &b, 8); D x = d; put(x); } }`);
  }

  /** Cast: codes of A (hex) assigned to D. */
  cast(a: FixedType, d: FixedType): number {
    return this.fn(`C:${cppFull(a)}:${cppFull(d)}`, `{ typedef ${cppFull(a)} A; typedef ${cppFull(d)} D; int n; std::cin >> n; for (int i = 0; i < n; ++i) { A a = rd<A>(); D x = a; put(x); } }`);
  }

  /** Binary op on pairs of codes; prints the result type first. */
  binop(op: '+' | '-' | '*' | '/' | 'cmp', a: FixedType, b: FixedType): number {
    const expr = op === 'cmp' ? 'int r = (a < b ? 1 : 0) | (a == b ? 2 : 0) | (a > b ? 4 : 0) | (a <= b ? 8 : 0) | (a >= b ? 16 : 0) | (a != b ? 32 : 0); std::printf(" %d", r);'
      : `auto r = a ${op} b; if (i == 0) std::printf(" T%d,%d,%d", (int)decltype(r)::width, (int)decltype(r)::iwidth, (int)decltype(r)::sign_flag); put(r);`;
    return this.fn(`O${op}:${cppFull(a)}:${cppFull(b)}`, `{ typedef ${cppFull(a)} A; typedef ${cppFull(b)} B; int n; std::cin >> n; for (int i = 0; i < n; ++i) { A a = rd<A>(); B b = rd<B>(); ${expr} } }`);
  }

  /** Unary minus, to_double (as %a), to_int, and shifts by s. */
  unary(a: FixedType): number {
    return this.fn(`U:${cppFull(a)}`, `{ typedef ${cppFull(a)} A; int n; std::cin >> n; for (int i = 0; i < n; ++i) { A a = rd<A>(); int s; std::cin >> s; auto m = -a; if (i == 0) std::printf(" T%d,%d", (int)decltype(m)::width, (int)decltype(m)::iwidth); put(m); std::printf(" %a %d", a.to_double(), a.to_int()); put(a << s); put(a >> s); } }`);
  }

  source(): string {
    const lines = [
      '#include "ap_fixed.h"',
      '#include <cmath>',
      '#include <cstdio>',
      '#include <cstring>',
      '#include <iostream>',
      '#include <string>',
      'template <class T> void put(const T& x) {',
      '  ap_uint<T::width> u = x.range(T::width - 1, 0);',
      '  if (T::width <= 64) std::printf(" %llu", (unsigned long long)u.to_uint64());',
      '  else std::printf(" %s", u.to_string(16, false).c_str());',
      '}',
      'template <class T> T rd() {',
      '  std::string h; std::cin >> h;',
      '  ap_uint<T::width> u(h.c_str(), 16);',
      '  T x; x.range(T::width - 1, 0) = u; return x;',
      '}',
      'int main() {',
      '  std::ios::sync_with_stdio(false);',
      '  int c;',
      '  while (std::cin >> c) {',
      '    switch (c) {',
      ...this.funcs.map((b, i) => `      case ${i}: ${b} break;`),
      '      default: std::printf("bad case\\n"); return 1;',
      '    }',
      '    std::printf("\\n");',
      '  }',
      '  return 0;',
      '}',
    ];
    return lines.join('\n');
  }

  compile(flags: string[] = ['-O1']): void {
    this.dir = mkdtempSync(join(tmpdir(), 'firmflow-ap-'));
    const src = join(this.dir, 'driver.cpp');
    writeFileSync(src, this.source());
    this.exe = join(this.dir, 'driver');
    execFileSync('g++', ['-std=c++14', ...flags, '-w', `-I${AP_TYPES_DIR}`, src, '-o', this.exe], { stdio: ['ignore', 'ignore', 'pipe'] });
  }

  /** Runs the cases (each a line: case id then its arguments); returns one output line per case. */
  run(input: string[]): string[] {
    const out = execFileSync(this.exe!, { input: input.join('\n') + '\n', maxBuffer: 1 << 30 }).toString();
    return out.split('\n').slice(0, input.length);
  }

  dispose(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
