import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { templatesDir } from '../../../backends/vitis/writer/index.js';

/*
 * The host fast paths (backends/vitis/templates/nnet/nnet_host.h) convert an accumulator code to the result type with their
 * own integer rounding and overflow code. It must equal the ap_fixed conversion for every quantization mode and
 * every overflow mode it accepts, signed and unsigned, dropping or adding fractional bits: a C++ program compares
 * both on edge and random codes (one small g++ build).
 */
const program = String.raw`
#include <cstdio>
#include "ap_fixed.h"
#include "nnet/nnet_host.h"

static unsigned long long state = 88172645463325252ULL;
static long long rnd(long long span) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return (long long)(state % (unsigned long long)(2 * span + 1)) - span; }

typedef ap_fixed<40, 28> src_t;  // codes with 12 fractional bits
long long fails = 0, checks = 0;

template <class T>
void check(const char* name) {
  long long edge[] = {0, 1, -1, 31, 32, 33, -31, -32, -33, 63, 64, 65, -63, -64, -65, 4095, 4096, -4096, -4097,
                      (1LL << 20), -(1LL << 20), (1LL << 30) + 32, -(1LL << 30) - 32, (1LL << 38) - 1, -(1LL << 38)};
  for (int i = 0; i < 20000 + 25; i++) {
    const long long c = i < 25 ? edge[i] : (i % 2 ? rnd(1LL << 18) : rnd(1LL << 36));
    src_t s;
    s.range(39, 0) = (ap_ulong)c;
    const T want = (T)s;
    const long long got = nnet::host::quant<T, 12>::apply(c);
    checks++;
    if (got != nnet::host::code(want)) {
      if (fails < 10) std::printf("%s: code %lld -> %lld, ap_fixed %lld\n", name, c, got, (long long)nnet::host::code(want));
      fails++;
    }
  }
}

#define MODES(T, W, I) \
  check<T<W, I, AP_TRN, AP_SAT> >(#T "<" #W "," #I ",TRN,SAT>"); \
  check<T<W, I, AP_TRN_ZERO, AP_SAT_ZERO> >(#T "<" #W "," #I ",TRN_ZERO,SAT_ZERO>"); \
  check<T<W, I, AP_RND, AP_WRAP> >(#T "<" #W "," #I ",RND,WRAP>"); \
  check<T<W, I, AP_RND_ZERO, AP_SAT_SYM> >(#T "<" #W "," #I ",RND_ZERO,SAT_SYM>"); \
  check<T<W, I, AP_RND_MIN_INF, AP_SAT> >(#T "<" #W "," #I ",RND_MIN_INF,SAT>"); \
  check<T<W, I, AP_RND_INF, AP_WRAP> >(#T "<" #W "," #I ",RND_INF,WRAP>"); \
  check<T<W, I, AP_RND_CONV, AP_SAT> >(#T "<" #W "," #I ",RND_CONV,SAT>"); \
  check<T<W, I, AP_RND_CONV, AP_SAT_SYM> >(#T "<" #W "," #I ",RND_CONV,SAT_SYM>"); \
  check<T<W, I, AP_TRN, AP_WRAP> >(#T "<" #W "," #I ",TRN,WRAP>"); \
  check<T<W, I, AP_RND_CONV, AP_SAT_ZERO> >(#T "<" #W "," #I ",RND_CONV,SAT_ZERO>");

int main() {
  MODES(ap_fixed, 10, 4)    // 6 fractional bits: 6 dropped
  MODES(ap_ufixed, 10, 4)
  MODES(ap_fixed, 20, 4)    // 16 fractional bits: 4 added
  MODES(ap_ufixed, 24, 12)  // 12: unchanged
  MODES(ap_fixed, 16, 17)   // -1 fractional bits: 13 dropped
  check<ap_int<12> >("ap_int<12>");
  check<ap_uint<7> >("ap_uint<7>");
  std::printf("%lld checks, %lld differences\n", checks, fails);
  return fails ? 1 : 0;
}
`;

describe('host fast path: result conversion', () => {
  it('equals the ap_fixed conversion for every rounding and overflow mode it takes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'firmflow-hostq-'));
    writeFileSync(join(dir, 'q.cpp'), program);
    const T = templatesDir();
    const cc = spawnSync(process.env['CXX'] ?? 'g++', ['-std=c++14', '-O1', '-Wall', '-Wextra', `-I${join(T, 'ap_types')}`, `-I${T}`, 'q.cpp', '-o', 'q'], { cwd: dir, encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const r = spawnSync(join(dir, 'q'), { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^1041300 checks, 0 differences$/m);
    expect(r.status).toBe(0);
  }, 120_000);
});
