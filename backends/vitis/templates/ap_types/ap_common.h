// firmflow host-simulation implementation of the AMD arbitrary-precision types (our own code).
// Shared pieces: the quantization/overflow mode enums and the multiword two's-complement kernels that
// ap_int_base and ap_fixed_base are built on. Users include ap_int.h or ap_fixed.h, never this file.
// Never used for synthesis: Vitis HLS uses its own headers with the same names.
#ifndef FIRMFLOW_AP_COMMON_H
#define FIRMFLOW_AP_COMMON_H

#ifndef __cplusplus
#error "C++ is required to include this header file"
#endif

#include <climits>
#include <cmath>
#include <cstring>
#include <iostream>
#include <string>

#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 1024
#endif

#ifndef AP_MAX
#define AP_MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
#ifndef AP_MIN
#define AP_MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef INLINE
#define INLINE inline
#endif

enum ap_q_mode { AP_RND, AP_RND_ZERO, AP_RND_MIN_INF, AP_RND_INF, AP_RND_CONV, AP_TRN, AP_TRN_ZERO };
enum ap_o_mode { AP_SAT, AP_SAT_ZERO, AP_SAT_SYM, AP_WRAP, AP_WRAP_SM };

typedef long long ap_slong;
typedef unsigned long long ap_ulong;

template <int _AP_W, bool _AP_S> struct ap_int_base;
template <int _AP_W> struct ap_int;
template <int _AP_W> struct ap_uint;
template <int _AP_W, int _AP_I, bool _AP_S, ap_q_mode _AP_Q = AP_TRN, ap_o_mode _AP_O = AP_WRAP, int _AP_N = 0>
struct ap_fixed_base;
template <int _AP_W, int _AP_I, ap_q_mode _AP_Q = AP_TRN, ap_o_mode _AP_O = AP_WRAP, int _AP_N = 0> struct ap_fixed;
template <int _AP_W, int _AP_I, ap_q_mode _AP_Q = AP_TRN, ap_o_mode _AP_O = AP_WRAP, int _AP_N = 0> struct ap_ufixed;

namespace ap_detail {

typedef unsigned long long u64;
typedef long long i64;
__extension__ typedef unsigned __int128 u128;

// Words are little-endian. A value of width W lives in (W+63)/64 words and is kept canonical: the bits above W
// in the top word repeat the sign bit (signed) or are zero (unsigned), so a one-word value is a plain int64.

INLINE u64 fill_of(const u64* a, int n, bool sgn) { return (sgn && (i64)a[n - 1] < 0) ? ~0ULL : 0ULL; }
INLINE u64 word_at(const u64* a, int n, int i, u64 fill) { return i < n ? a[i] : fill; }

INLINE void extend(u64* d, int dn, const u64* s, int sn, bool sgn) {
  const u64 f = fill_of(s, sn, sgn);
  for (int i = 0; i < dn; ++i) d[i] = i < sn ? s[i] : f;
}

INLINE void normalize(u64* a, int n, int w, bool sgn) {
  const int b = w - 64 * (n - 1);
  if (b >= 64) return;
  const u64 mask = (1ULL << b) - 1ULL;
  if (sgn && ((a[n - 1] >> (b - 1)) & 1ULL)) a[n - 1] |= ~mask;
  else a[n - 1] &= mask;
}

INLINE bool get_bit(const u64* a, int n, int i, u64 fill) {
  if (i < 0) return false;
  return ((word_at(a, n, i >> 6, fill) >> (i & 63)) & 1ULL) != 0;
}

INLINE void put_bit(u64* a, int n, int i, bool v) {
  if (i < 0 || i >= 64 * n) return;
  const u64 m = 1ULL << (i & 63);
  if (v) a[i >> 6] |= m;
  else a[i >> 6] &= ~m;
}

// Any bit set among bits [0, k) (bits beyond the stored words read as `fill`).
INLINE bool any_below(const u64* a, int n, int k, u64 fill) {
  if (k <= 0) return false;
  const int full = k >> 6;
  for (int i = 0; i < full; ++i)
    if (word_at(a, n, i, fill)) return true;
  const int rem = k & 63;
  if (rem) return (word_at(a, n, full, fill) & ((1ULL << rem) - 1ULL)) != 0;
  return false;
}

// True when bits [from, 64n) all equal `v`.
INLINE bool all_from(const u64* a, int n, int from, bool v) {
  const u64 want = v ? ~0ULL : 0ULL;
  if (from < 0) from = 0;
  int wi = from >> 6;
  if (wi >= n) return true;
  const int b = from & 63;
  const u64 hi_mask = ~0ULL << b;
  if ((a[wi] & hi_mask) != (want & hi_mask)) return false;
  for (++wi; wi < n; ++wi)
    if (a[wi] != want) return false;
  return true;
}

INLINE bool is_zero(const u64* a, int n) {
  for (int i = 0; i < n; ++i)
    if (a[i]) return false;
  return true;
}

INLINE void add(u64* d, const u64* a, const u64* b, int n) {
  u64 c = 0;
  for (int i = 0; i < n; ++i) {
    const u64 s = a[i] + c;
    const u64 c1 = s < c;
    const u64 t = s + b[i];
    d[i] = t;
    c = c1 + (t < s);
  }
}

INLINE void sub(u64* d, const u64* a, const u64* b, int n) {
  u64 br = 0;
  for (int i = 0; i < n; ++i) {
    const u64 x = a[i], y = b[i];
    const u64 t = x - y - br;
    br = (x < y) || (x == y && br) ? 1 : 0;
    d[i] = t;
  }
}

INLINE void add_one(u64* a, int n) {
  for (int i = 0; i < n; ++i)
    if (++a[i] != 0) return;
}

INLINE void negate(u64* d, const u64* a, int n) {
  u64 c = 1;
  for (int i = 0; i < n; ++i) {
    const u64 t = ~a[i] + c;
    c = (c && t == 0) ? 1 : 0;
    d[i] = t;
  }
}

INLINE void bit_not(u64* d, const u64* a, int n) {
  for (int i = 0; i < n; ++i) d[i] = ~a[i];
}

// d = low n words of a*b (a, b already extended to n words; two's complement wraps correctly mod 2^(64n)).
template <int N>
INLINE void mul(u64* d, const u64* a, const u64* b) {
  if (N == 1) {
    d[0] = a[0] * b[0];
    return;
  }
  u64 r[N];
  for (int i = 0; i < N; ++i) r[i] = 0;
  for (int i = 0; i < N; ++i) {
    if (!a[i]) continue;
    u64 carry = 0;
    for (int j = 0; i + j < N; ++j) {
      const u128 t = (u128)a[i] * b[j] + r[i + j] + carry;
      r[i + j] = (u64)t;
      carry = (u64)(t >> 64);
    }
  }
  for (int i = 0; i < N; ++i) d[i] = r[i];
}

// In-place shifts; `fill` is what enters from the top on right shifts (sign fill for arithmetic shifts).
INLINE void shl(u64* a, int n, int sh) {
  if (sh <= 0) return;
  if (sh >= 64 * n) {
    for (int i = 0; i < n; ++i) a[i] = 0;
    return;
  }
  const int ws = sh >> 6, bs = sh & 63;
  for (int i = n - 1; i >= 0; --i) {
    const int s = i - ws;
    u64 v = s >= 0 ? (a[s] << bs) : 0;
    if (bs && s - 1 >= 0) v |= a[s - 1] >> (64 - bs);
    a[i] = v;
  }
}

INLINE void shr(u64* a, int n, int sh, u64 fill) {
  if (sh <= 0) return;
  if (sh >= 64 * n) {
    for (int i = 0; i < n; ++i) a[i] = fill;
    return;
  }
  const int ws = sh >> 6, bs = sh & 63;
  for (int i = 0; i < n; ++i) {
    const int s = i + ws;
    u64 v = word_at(a, n, s, fill) >> bs;
    if (bs) v |= word_at(a, n, s + 1, fill) << (64 - bs);
    a[i] = v;
  }
}

// -1, 0, 1; both operands canonical with n words and the same signedness.
INLINE int cmp(const u64* a, const u64* b, int n, bool sgn) {
  if (sgn) {
    const i64 x = (i64)a[n - 1], y = (i64)b[n - 1];
    if (x != y) return x < y ? -1 : 1;
  } else if (a[n - 1] != b[n - 1]) {
    return a[n - 1] < b[n - 1] ? -1 : 1;
  }
  for (int i = n - 2; i >= 0; --i)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

INLINE int top_bit(const u64* a, int n) {
  for (int i = n - 1; i >= 0; --i)
    if (a[i]) return 64 * i + 63 - __builtin_clzll(a[i]);
  return -1;
}

// Unsigned long division of n-word magnitudes: q = a / b, r = a % b (b != 0).
template <int N>
INLINE void udivmod(u64* q, u64* r, const u64* a, const u64* b) {
  if (N == 1) {
    q[0] = a[0] / b[0];
    r[0] = a[0] % b[0];
    return;
  }
  u64 rem[N], quo[N];
  for (int i = 0; i < N; ++i) rem[i] = quo[i] = 0;
  for (int i = top_bit(a, N); i >= 0; --i) {
    shl(rem, N, 1);
    rem[0] |= (a[i >> 6] >> (i & 63)) & 1ULL;
    if (cmp(rem, b, N, false) >= 0) {
      sub(rem, rem, b, N);
      quo[i >> 6] |= 1ULL << (i & 63);
    }
  }
  for (int i = 0; i < N; ++i) {
    q[i] = quo[i];
    r[i] = rem[i];
  }
}

// Signed or unsigned division truncating toward zero, remainder with the dividend's sign (C semantics).
template <int N>
INLINE void divmod(u64* q, u64* r, const u64* a, const u64* b, bool sgn) {
  if (is_zero(b, N)) {  // C would trap; hardware returns all ones. Keep the simulation alive and defined.
    for (int i = 0; i < N; ++i) q[i] = ~0ULL, r[i] = a[i];
    return;
  }
  const bool na = sgn && (i64)a[N - 1] < 0, nb = sgn && (i64)b[N - 1] < 0;
  u64 ma[N], mb[N];
  if (na) negate(ma, a, N); else for (int i = 0; i < N; ++i) ma[i] = a[i];
  if (nb) negate(mb, b, N); else for (int i = 0; i < N; ++i) mb[i] = b[i];
  udivmod<N>(q, r, ma, mb);
  if (na != nb) negate(q, q, N);
  if (na) negate(r, r, N);
}

// Value (a * 2^exp2) rounded to nearest, ties to even, as a double / float.
template <int N>
INLINE double to_double(const u64* a, bool sgn, int exp2) {
  const bool neg = sgn && (i64)a[N - 1] < 0;
  u64 m[N];
  if (neg) negate(m, a, N); else for (int i = 0; i < N; ++i) m[i] = a[i];
  const int p = top_bit(m, N);
  if (p < 0) return 0.0;
  double v;
  if (p < 64) {
    v = std::ldexp((double)m[0], exp2);
  } else {
    // Top 64 bits with a sticky bit folded into bit 0: bit 0 is far below the double's rounding point, so
    // it only breaks exact ties, and the single conversion below rounds once and correctly.
    const int lo = p - 63;
    u64 t[N];
    for (int i = 0; i < N; ++i) t[i] = m[i];
    const bool sticky = any_below(m, N, lo, 0);
    shr(t, N, lo, 0);
    v = std::ldexp((double)(t[0] | (sticky ? 1ULL : 0ULL)), exp2 + lo);
  }
  return neg ? -v : v;
}

template <int N>
INLINE float to_float(const u64* a, bool sgn, int exp2) {
  const bool neg = sgn && (i64)a[N - 1] < 0;
  u64 m[N];
  if (neg) negate(m, a, N); else for (int i = 0; i < N; ++i) m[i] = a[i];
  const int p = top_bit(m, N);
  if (p < 0) return 0.0f;
  int lo = p - 63;
  if (lo < 0) lo = 0;
  const bool sticky = any_below(m, N, lo, 0);
  shr(m, N, lo, 0);
  const float v = std::ldexp((float)(m[0] | (sticky ? 1ULL : 0ULL)), exp2 + lo);
  return neg ? -v : v;
}

// Decimal string of an integer value.
template <int N>
inline std::string to_dec(const u64* a, bool sgn) {
  const bool neg = sgn && (i64)a[N - 1] < 0;
  u64 m[N];
  if (neg) negate(m, a, N); else for (int i = 0; i < N; ++i) m[i] = a[i];
  std::string s;
  u64 ten[N];
  for (int i = 0; i < N; ++i) ten[i] = 0;
  ten[0] = 10;
  do {
    u64 q[N], r[N];
    udivmod<N>(q, r, m, ten);
    s.insert(s.begin(), (char)('0' + (int)r[0]));
    for (int i = 0; i < N; ++i) m[i] = q[i];
  } while (!is_zero(m, N));
  if (neg) s.insert(s.begin(), '-');
  return s;
}

// Splits a double into an integer mantissa and a count of fractional bits: d = m * 2^-frac exactly.
// Infinities and NaN are treated as +-2^1024 (beyond every representable range: they saturate, or wrap to 0).
INLINE void split_double(double d, i64& m, int& frac) {
  u64 bits;
  std::memcpy(&bits, &d, sizeof bits);
  const bool neg = (bits >> 63) != 0;
  const int e = (int)((bits >> 52) & 0x7ff);
  u64 man = bits & ((1ULL << 52) - 1ULL);
  if (e == 0x7ff) {
    m = neg ? -1 : 1;
    frac = -1024;
    return;
  }
  if (e == 0) {
    frac = 1074;
  } else {
    man |= 1ULL << 52;
    frac = 1075 - e;
  }
  m = neg ? -(i64)man : (i64)man;
}

// The target of a conversion. Runtime values, so one compiled routine serves every type; the typed wrapper below
// passes constants and the compiler folds them away.
struct fx_spec {
  int W, I;
  bool S;
  ap_q_mode Q;
  ap_o_mode O;
  int N;
};

#if defined(__GNUC__)
#define FIRMFLOW_AP_FORCE_INLINE inline __attribute__((always_inline))
#else
#define FIRMFLOW_AP_FORCE_INLINE inline
#endif

// The one conversion rule of ap_fixed: the exact source value (src * 2^-F2, SN words, signed if S2) is scaled to
// the target's LSB, rounded by Q, then fitted into W bits by O. The source may have any number of fractional
// bits (negative too); shifts beyond what can matter are clamped so the temporary (TN words, at least
// (64*SN + W + 6)/64 + 1) stays small. dst has (W+63)/64 words.
template <int TN>
FIRMFLOW_AP_FORCE_INLINE void fx_convert_core(u64* dst, const fx_spec& sp, const u64* src, int SN, long F2, bool S2) {
  const int W = sp.W, NW = (W + 63) / 64, NB = sp.N;
  u64 t[TN];
  extend(t, TN, src, SN, S2);
  const bool srcneg = S2 && (i64)src[SN - 1] < 0;
  const u64 fill = srcneg ? ~0ULL : 0ULL;
  const long sh_l = (long)(W - sp.I) - F2;
  bool lD;
  if (sh_l >= 0) {
    const int sh = sh_l > W + 2 ? W + 2 : (int)sh_l;
    shl(t, TN, sh);
    lD = get_bit(t, TN, W, fill);
  } else {
    const int k = -sh_l > 64 * SN + 2 ? 64 * SN + 2 : (int)-sh_l;
    const bool qb = get_bit(t, TN, k - 1, fill);
    const bool r = any_below(t, TN, k - 1, fill);
    shr(t, TN, k, fill);
    lD = get_bit(t, TN, W, fill);
    bool inc = false;
    switch (sp.Q) {
      case AP_TRN: inc = false; break;
      case AP_TRN_ZERO: inc = srcneg && (qb || r); break;
      case AP_RND: inc = qb; break;
      case AP_RND_ZERO: inc = qb && (srcneg || r); break;
      case AP_RND_MIN_INF: inc = qb && r; break;
      case AP_RND_INF: inc = qb && (!srcneg || r); break;
      case AP_RND_CONV: inc = qb && ((t[0] & 1ULL) || r); break;
    }
    if (inc) add_one(t, TN);
  }
  const bool qneg = (i64)t[TN - 1] < 0;
  const bool fits = sp.S ? all_from(t, TN, W - 1, qneg) : (!qneg && all_from(t, TN, W, false));
  for (int i = 0; i < NW; ++i) dst[i] = t[i];
  normalize(dst, NW, W, sp.S);
  if (fits) {
    // AP_SAT_SYM never produces the most negative code: it is replaced by the symmetric minimum.
    if (sp.O == AP_SAT_SYM && sp.S && qneg && !any_below(dst, NW, W - 1, 0)) {
      put_bit(dst, NW, 0, true);
      normalize(dst, NW, W, sp.S);
    }
    return;
  }
  switch (sp.O) {
    case AP_SAT:
    case AP_SAT_SYM:
      for (int i = 0; i < NW; ++i) dst[i] = 0;
      if (!qneg) {  // maximum: all ones below the sign bit (all ones for unsigned)
        for (int i = 0; i < NW; ++i) dst[i] = ~0ULL;
        if (sp.S) put_bit(dst, NW, W - 1, false);
      } else if (sp.S) {  // minimum, or the symmetric minimum 100..01 (which is -1 when W == 1)
        put_bit(dst, NW, W - 1, true);
        if (sp.O == AP_SAT_SYM) put_bit(dst, NW, 0, true);
      }
      normalize(dst, NW, W, sp.S);
      break;
    case AP_SAT_ZERO:
      for (int i = 0; i < NW; ++i) dst[i] = 0;
      break;
    case AP_WRAP:
      if (NB > 0) {
        if (sp.S) {
          put_bit(dst, NW, W - 1, qneg);
          for (int b = AP_MAX(W - NB, 0); b <= W - 2; ++b) put_bit(dst, NW, b, !qneg);
        } else {
          for (int b = AP_MAX(W - NB, 0); b <= W - 1; ++b) put_bit(dst, NW, b, true);
        }
        normalize(dst, NW, W, sp.S);
      }
      break;
    case AP_WRAP_SM: {
      const bool ro = get_bit(dst, NW, W - 1, 0);
      if (NB == 0) {
        if (lD != ro) {
          bit_not(dst, dst, NW);
          put_bit(dst, NW, W - 1, lD);
        }
      } else {
        if (NB == 1 && qneg != ro) {
          bit_not(dst, dst, NW);
        } else if (NB > 1) {
          if (get_bit(dst, NW, W - NB, 0) == qneg) bit_not(dst, dst, NW);
          for (int b = AP_MAX(W - NB, 0); b <= W - 2; ++b) put_bit(dst, NW, b, !qneg);
        }
        put_bit(dst, NW, W - 1, qneg);
      }
      normalize(dst, NW, W, sp.S);
      break;
    }
  }
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int NB, int SN>
FIRMFLOW_AP_FORCE_INLINE void fx_convert(u64* dst, const u64* src, int F2, bool S2) {
  enum { TN = (64 * SN + W + 6 + 63) / 64 + 1 };
  const fx_spec sp = {W, I, S, Q, O, NB};
  fx_convert_core<TN>(dst, sp, src, SN, F2, S2);
}

}  // namespace ap_detail

#endif
