import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixedType } from '../../src/ir/types.js';
import { cppType, isIntType } from '../../src/fixed/types.js';

export const AP_TYPES_DIR = resolve(fileURLToPath(import.meta.url), '../../../backends/vitis/templates/ap_types');

export function haveGxx(): boolean {
  try {
    const t0 = Date.now();
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Full C++ spelling (modes always written, so N is explicit). */
export function cppFull(t: FixedType): string {
  if (isIntType(t)) return cppType(t);
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
  compileMs = 0;
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
    return this.fn(`D:${cppFull(t)}`, `{ typedef ${cppFull(t)} D; char g; std::cin >> g; if (g == 'g') { long long k0, k1; int e; std::cin >> k0 >> k1 >> e; for (long long k = k0; k <= k1; ++k) { D x = std::ldexp((double)k, e); put(x); } } else { int n; std::cin >> n; for (int i = 0; i < n; ++i) { std::string h; std::cin >> h; unsigned long long b = std::stoull(h, 0, 16); double d; std::memcpy(&d, &b, 8); D x = d; put(x); } } }`);
  }

  /** Conversion from doubles given by their IEEE bits (hex); shares the case of fromDoubles. */
  fromBits(t: FixedType): number {
    return this.fromDoubles(t);
  }

  /** Cast: codes of A (hex) assigned to D. */
  cast(a: FixedType, d: FixedType): number {
    return this.fn(`C:${cppFull(a)}:${cppFull(d)}`, `{ typedef ${cppFull(a)} A; typedef ${cppFull(d)} D; int n; std::cin >> n; for (int i = 0; i < n; ++i) { A a = rd<A>(); D x = a; put(x); } }`);
  }

  /** Binary op on pairs of codes; prints the result type first. */
  binop(op: '+' | '-' | '*' | '/' | 'cmp', a: FixedType, b: FixedType): number {
    const expr = op === 'cmp' ? 'int r = (a < b ? 1 : 0) | (a == b ? 2 : 0) | (a > b ? 4 : 0) | (a <= b ? 8 : 0) | (a >= b ? 16 : 0) | (a != b ? 32 : 0); std::printf(" %d", r);'
      : `auto r = a ${op} b; if (i == 0) std::printf(" T%d,%d,%d", (int)decltype(r)::width, iwof((decltype(r)*)0), (int)decltype(r)::sign_flag); put(r);`;
    return this.fn(`O${op}:${cppFull(a)}:${cppFull(b)}`, `{ typedef ${cppFull(a)} A; typedef ${cppFull(b)} B; int n; std::cin >> n; for (int i = 0; i < n; ++i) { A a = rd<A>(); B b = rd<B>(); ${expr} } }`);
  }

  /** Unary minus, to_double (as %a), to_int, and shifts by s. */
  unary(a: FixedType): number {
    return this.fn(`U:${cppFull(a)}`, `{ typedef ${cppFull(a)} A; int n; std::cin >> n; for (int i = 0; i < n; ++i) { A a = rd<A>(); int s; std::cin >> s; auto m = -a; if (i == 0) std::printf(" T%d,%d", (int)decltype(m)::width, iwof((decltype(m)*)0)); put(m); std::printf(" %a %d", a.to_double(), a.to_int()); put(a << s); put(a >> s); } }`);
  }

  source(): string {
    const lines = [
      '#include "ap_fixed.h"',
      '#include <cmath>',
      '#include <cstdio>',
      '#include <cstring>',
      '#include <iostream>',
      '#include <string>',
      'static void hexs(const unsigned long long* w, int n) {',
      '  int i = n - 1; while (i > 0 && !w[i]) --i;',
      '  std::printf(" %llx", w[i]); for (--i; i >= 0; --i) std::printf("%016llx", w[i]);',
      '}',
      'template <class T> void put(const T& x) {',
      '  ap_uint<T::width> u = x.range(T::width - 1, 0);',
      '  if (T::width <= 64) std::printf(" %llu", (unsigned long long)u.to_uint64());',
      '  else hexs(u.bits_, ap_uint<T::width>::NW);',
      '}',
      // Runtime-spec conversion core (what every typed conversion forwards to), for exhaustive mode coverage.
      'static void conv(const ap_detail::fx_spec& sp, const ap_uint<256>& src, long f2, bool s2) {',
      '  ap_detail::u64 d[4] = {0, 0, 0, 0};',
      '  ap_detail::fx_convert_core<12>(d, sp, src.bits_, 4, f2, s2);',
      '  const int nw = (sp.W + 63) / 64;',
      '  for (int i = nw; i < 4; ++i) d[i] = 0;',
      '  ap_detail::normalize(d, nw, sp.W, false);',
      '  if (sp.W <= 64) std::printf(" %llu", d[0]); else hexs(d, nw);',
      '}',
      'template <int W, bool S> int iwof(const ap_int_base<W, S>*) { return W; }',
      'template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N> int iwof(const ap_fixed_base<W, I, S, Q, O, N>*) { return I; }',
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

  /** Runtime-spec conversion of codes k in [k0, k1] (value k * 2^-f2) or of listed hex codes (256-bit two's complement). */
  spec(): number {
    return this.fn('X', `{ int W, I, S, Q, O, N, S2; long f2; char g; std::cin >> W >> I >> S >> Q >> O >> N >> f2 >> S2 >> g; const ap_detail::fx_spec sp = {W, I, S != 0, (ap_q_mode)Q, (ap_o_mode)O, N}; if (g == 'g') { long long k0, k1; std::cin >> k0 >> k1; for (long long k = k0; k <= k1; ++k) conv(sp, ap_uint<256>(ap_int<64>(k)), f2, S2 != 0); } else { int n; std::cin >> n; for (int i = 0; i < n; ++i) { std::string h; std::cin >> h; conv(sp, ap_uint<256>(h.c_str(), 16), f2, S2 != 0); } } }`);
  }

  compile(flags: string[] = ['-O0']): void {
    this.dir = mkdtempSync(join(tmpdir(), 'firmflow-ap-'));
    const src = join(this.dir, 'driver.cpp');
    writeFileSync(src, this.source());
    this.exe = join(this.dir, 'driver');
    const t0 = Date.now();
    execFileSync('g++', ['-std=c++14', ...flags, '-w', `-I${AP_TYPES_DIR}`, src, '-o', this.exe], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.compileMs = Date.now() - t0;
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
