// Host-simulation fast paths (our own code). Compiled only when __SYNTHESIS__ is not defined: Vitis/Vivado HLS never
// see them, and the kernels' synthesizable bodies stay the reference. A fast path does the same arithmetic on the
// integer codes of the fixed-point values (value = code * 2^-F) in native integers (int16 codes, int32 or 64-bit
// sums) or in doubles holding exact integers, and is taken only when that is provably identical to the ap_fixed
// arithmetic: every type involved is known and at most 62 bits wide, and a bound
// computed from the actual constants shows that no conversion to the accumulator can round or overflow. Otherwise the
// kernel runs its ordinary body. The one conversion that may round or saturate (accumulator -> result) follows the
// ap_fixed rules for every quantization mode and for the overflow modes SAT, SAT_ZERO, SAT_SYM and WRAP.
// Defining NNET_HOST_REFERENCE (e.g. -DNNET_HOST_REFERENCE) turns the fast paths off, so a host build runs exactly the
// kernel bodies HLS synthesizes (the tests compare both).
#ifndef NNET_HOST_H_
#define NNET_HOST_H_

#include "nnet_common.h"

#if !defined(__SYNTHESIS__) && !defined(NNET_HOST_REFERENCE)
#define NNET_HOST_FAST 1
#endif

#ifdef NNET_HOST_FAST
#include <type_traits>
#include <vector>

namespace nnet {
namespace host {

// Format of a fixed-point or integer type: width W, fractional bits F, signedness S, modes Q and O, saturation bits N.
template <class T>
struct fx {
  enum { known = 0, W = 64, F = 0, S = 1, N = 0 };
  static const ap_q_mode Q = AP_TRN;
  static const ap_o_mode O = AP_WRAP;
};
template <int W_, int I_, ap_q_mode Q_, ap_o_mode O_, int N_>
struct fx<ap_fixed<W_, I_, Q_, O_, N_> > {
  enum { known = 1, W = W_, F = W_ - I_, S = 1, N = N_ };
  static const ap_q_mode Q = Q_;
  static const ap_o_mode O = O_;
};
template <int W_, int I_, ap_q_mode Q_, ap_o_mode O_, int N_>
struct fx<ap_ufixed<W_, I_, Q_, O_, N_> > {
  enum { known = 1, W = W_, F = W_ - I_, S = 0, N = N_ };
  static const ap_q_mode Q = Q_;
  static const ap_o_mode O = O_;
};
// Integers take a fixed-point value's integer part (the fraction truncated toward zero), then wrap.
template <int W_>
struct fx<ap_int<W_> > {
  enum { known = 1, W = W_, F = 0, S = 1, N = 0 };
  static const ap_q_mode Q = AP_TRN_ZERO;
  static const ap_o_mode O = AP_WRAP;
};
template <int W_>
struct fx<ap_uint<W_> > {
  enum { known = 1, W = W_, F = 0, S = 0, N = 0 };
  static const ap_q_mode Q = AP_TRN_ZERO;
  static const ap_o_mode O = AP_WRAP;
};

// A type whose codes this file handles: known, at most 62 bits, an overflow mode quantize() implements.
template <class T>
struct small {
  enum { value = fx<T>::known && fx<T>::W <= 62 && fx<T>::N == 0 && fx<T>::O != AP_WRAP_SM };
};

// Smallest and largest code of T (for types that are `small`).
template <class T>
inline long long min_code() {
  enum { W = fx<T>::W > 62 ? 62 : fx<T>::W };
  return fx<T>::S ? -(1LL << (W - 1)) : 0;
}
template <class T>
inline long long max_code() {
  enum { W = fx<T>::W > 62 ? 62 : fx<T>::W };
  return fx<T>::S ? (1LL << (W - 1)) - 1 : (1LL << W) - 1;
}

// The integer code of a value. Our host ap_types keep the stored word sign- or zero-extended, so the word is the
// code; other implementations (the vendor's C simulation) go through range().
template <class T>
inline long long code(const T& x) {
#ifdef FIRMFLOW_AP_FIXED_BASE_H
  return (long long)x.bits_[0];
#else
  return code_of(x);
#endif
}

// The value of type T whose code is c (c within T's range).
template <class T>
inline T from_code(long long c) {
  T t;
#ifdef FIRMFLOW_AP_FIXED_BASE_H
  t.bits_[0] = (unsigned long long)c;
#else
  t.range(fx<T>::W - 1, 0) = (ap_ulong)c;
#endif
  return t;
}

// T(v) for the exact value v = c * 2^-FIN: T's quantization mode on the dropped bits, then its overflow mode.
// Requires |c| < 2^62 and, when T has more fractional bits than FIN, c * 2^(F - FIN) within 62 bits (shift_ok).
template <class T, int FIN>
struct quant {
  enum {
    F = fx<T>::F,
    UP = F >= FIN ? F - FIN : 0,
    DOWN = FIN > F ? FIN - F : 0,
    ok = small<T>::value && UP <= 62 && DOWN <= 62
  };
  static inline long long apply(long long c) {
    long long v;
    if (DOWN == 0) {
      v = c * (1LL << (UP > 62 ? 0 : UP));
    } else {
      enum { K = DOWN == 0 ? 1 : (DOWN > 62 ? 62 : DOWN) };
      v = c >> K;  // floor
      const unsigned long long rem = (unsigned long long)c & ((1ULL << K) - 1ULL);
      const bool qb = ((rem >> (K - 1)) & 1ULL) != 0;           // the first dropped bit (one half)
      const bool r = (rem & ((1ULL << (K - 1)) - 1ULL)) != 0;   // anything below it
      const bool neg = c < 0;
      bool inc = false;
      switch (fx<T>::Q) {
        case AP_TRN: inc = false; break;
        case AP_TRN_ZERO: inc = neg && (qb || r); break;
        case AP_RND: inc = qb; break;
        case AP_RND_ZERO: inc = qb && (neg || r); break;
        case AP_RND_MIN_INF: inc = qb && r; break;
        case AP_RND_INF: inc = qb && (!neg || r); break;
        case AP_RND_CONV: inc = qb && ((v & 1) || r); break;
      }
      v += inc ? 1 : 0;
    }
    // Overflow without branches on the value (selects), so loops over many outputs vectorize.
    const long long lo = min_code<T>(), hi = max_code<T>();
    switch (fx<T>::O) {
      case AP_SAT_ZERO: return (v < lo || v > hi) ? 0 : v;
      case AP_WRAP: {
        enum { W = fx<T>::W > 62 ? 62 : fx<T>::W };
        const unsigned long long low = (unsigned long long)v & ((1ULL << W) - 1ULL);
        if (!fx<T>::S) return (long long)low;
        return (long long)(low << (64 - W)) >> (64 - W);  // sign-extend bit W - 1
      }
      case AP_SAT_SYM: {
        // In range, only the most negative code changes (to lo + 1); below the range the result is lo + 1 too.
        const long long low = fx<T>::S ? lo + 1 : lo;
        return v < low ? low : (v > hi ? hi : v);
      }
      default:  // AP_SAT
        return v < lo ? lo : (v > hi ? hi : v);
    }
  }
};

// Convolution on codes (see nnet_conv.h for the arithmetic). Per call the weights are read once as codes and the
// worst case of every output's sum is bounded: |accum(b)| + sum_k |w_k| * 2^SH * max|x| <= the accumulator's largest
// code. Then each product converted to accum is exact (SH >= 0: the accumulator has all the product's fractional
// bits) and no partial sum can overflow, so the sum of the codes equals the ap_fixed accumulation bit for bit. The
// sum of products (units 2^-(Fx + Fw)) is formed in doubles, which are exact integers below 2^53 (also checked by the
// bound), and then shifted to the accumulator's units and added to the bias.
template <class in_t, class out_t, typename CONFIG_T, class W_T, class B_T>
struct conv_codes {
  typedef typename CONFIG_T::accum_t acc_t;
  typedef typename CONFIG_T::weight_t weight_t;
  typedef typename CONFIG_T::bias_t bias_t;
  enum {
    CG = CONFIG_T::n_chan / CONFIG_T::n_groups,
    MG = CONFIG_T::n_filt / CONFIG_T::n_groups,
    NF = CONFIG_T::n_filt,
    K = CONFIG_T::filt_height * CONFIG_T::filt_width * (CONFIG_T::n_chan / CONFIG_T::n_groups),
    SH = (int)fx<acc_t>::F - (int)fx<in_t>::F - (int)fx<weight_t>::F,
    SHP = SH > 0 ? (SH > 30 ? 30 : SH) : 0,
    usable = small<in_t>::value && small<weight_t>::value && small<acc_t>::value && small<out_t>::value && fx<acc_t>::S &&
             fx<in_t>::W <= 32 && fx<weight_t>::W <= 32 && SH >= 0 && SH <= 30 && quant<out_t, fx<acc_t>::F>::ok
  };
  std::vector<double> w;       // K x NF weight codes (the product's units are 2^-(Fx + Fw))
  std::vector<long long> b;    // accum(bias) codes (units of the accumulator)
  bool ok;

  conv_codes(const W_T weights[], const B_T biases[]) : ok(false) {
    if (!usable) return;
    w.resize((size_t)K * NF);
    b.resize(NF);
    for (unsigned j = 0; j < (unsigned)(K * NF); j++) w[j] = (double)code(value<weight_t>(weights[j]));
    const long long acc_max = max_code<acc_t>();
    const long long x_max = fx<in_t>::S ? (1LL << (fx<in_t>::W - 1)) : (1LL << fx<in_t>::W) - 1;
    for (unsigned m = 0; m < (unsigned)NF; m++) {
      b[m] = CONFIG_T::has_bias ? code((acc_t)value<bias_t>(biases[m])) : 0;
      const long long room = acc_max - (b[m] < 0 ? -b[m] : b[m]);
      if (room < 0) return;
      long long limit = (room >> SHP) / x_max;                 // sum_k |w_k| may not exceed this
      if (limit > (1LL << 53) / x_max) limit = (1LL << 53) / x_max;  // and the double sums stay exact
      long long s = 0;
      for (unsigned k = 0; k < (unsigned)K; k++) {
        const long long a = (long long)w[(size_t)k * NF + m];
        s += a < 0 ? -a : a;
        if (s > limit) return;
      }
    }
    ok = true;
  }

  // One output pixel from a code buffer laid out as conv_pixel's (row ih at ih % rows_mod).
  void pixel(const double* buf, unsigned rows_mod, unsigned oh, unsigned ow, out_t out[]) const {
    double acc[NF];
    for (unsigned m = 0; m < (unsigned)NF; m++) acc[m] = 0;
    const double* wt = &w[0];
    for (unsigned kh = 0; kh < CONFIG_T::filt_height; kh++) {
      const int ih = (int)(oh * CONFIG_T::stride_height + kh * CONFIG_T::dilation_height) - (int)CONFIG_T::pad_top;
      if (ih < 0 || ih >= (int)CONFIG_T::in_height) continue;
      const double* row = buf + ((unsigned)ih % rows_mod) * CONFIG_T::in_width * CONFIG_T::n_chan;
      for (unsigned kw = 0; kw < CONFIG_T::filt_width; kw++) {
        const int iw = (int)(ow * CONFIG_T::stride_width + kw * CONFIG_T::dilation_width) - (int)CONFIG_T::pad_left;
        if (iw < 0 || iw >= (int)CONFIG_T::in_width) continue;
        const double* px = row + (unsigned)iw * CONFIG_T::n_chan;
        const double* wk = wt + (size_t)(kh * CONFIG_T::filt_width + kw) * CG * NF;
        for (unsigned c = 0; c < (unsigned)CG; c++) {
          const double* wr = wk + (size_t)c * NF;
          for (unsigned g = 0; g < CONFIG_T::n_groups; g++) {
            const double x = px[g * CG + c];
            for (unsigned mm = 0; mm < (unsigned)MG; mm++) acc[g * MG + mm] += x * wr[g * MG + mm];
          }
        }
      }
    }
    for (unsigned m = 0; m < (unsigned)NF; m++) {
      out[m] = from_code<out_t>(quant<out_t, fx<acc_t>::F>::apply((long long)acc[m] * (1LL << SHP) + b[m]));
    }
  }
};

// A type whose codes fit an int16 (the narrowest native type the Dense path stores codes in).
template <class T>
struct fits16 {
  enum { value = fx<T>::S ? fx<T>::W <= 16 : fx<T>::W <= 15 };
};

// The host build is -O2, whose cost model leaves these integer loops scalar; the code paths below are plain integer
// arithmetic, so vectorizing them changes no result.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("O3")
#endif

// Dense on codes (see nnet_dense.h for the arithmetic): acc = accum(b) + sum_k accum(x_k * w_k), in ascending k.
// As for convolutions, a bound over the actual weights, |accum(b)| + sum_k |w_k| * 2^SH * max|x| <= the
// accumulator's largest code, proves every product converts to accum exactly and no partial sum overflows, so the
// integer sum equals the ap_fixed accumulation bit for bit. Codes are stored as int16 when both types fit, else
// int32. Per call, when a bound on every partial sum stays below 2^31 - the smaller of max_n sum_k |w_kn| times
// max_k |x_k| and max |w| times sum_k |x_k|, over this call's inputs - the sums run in int32 (the loop the compiler vectorizes best), otherwise in doubles, whose sums of integer products are
// exact below 2^53 (the construction checks that bound for the type's largest |x|; SSE2 has no 64-bit integer
// multiply, so doubles are also the faster wide path). Built once per layer (weights are constants) and then only
// read, so threads of the host program share it.
template <class in_t, class out_t, typename CONFIG_T, class W_T, class B_T>
struct dense_codes {
  typedef typename CONFIG_T::accum_t acc_t;
  typedef typename CONFIG_T::weight_t weight_t;
  typedef typename CONFIG_T::bias_t bias_t;
  enum {
    NI = CONFIG_T::n_in,
    NO = CONFIG_T::n_out,
    SH = (int)fx<acc_t>::F - (int)fx<in_t>::F - (int)fx<weight_t>::F,
    SHP = SH > 0 ? (SH > 30 ? 30 : SH) : 0,
    usable = small<in_t>::value && small<weight_t>::value && small<acc_t>::value && small<out_t>::value && fx<acc_t>::S &&
             (fx<in_t>::S ? fx<in_t>::W <= 32 : fx<in_t>::W <= 31) && fx<weight_t>::W <= 32 && SH >= 0 && SH <= 30 &&
             quant<out_t, fx<acc_t>::F>::ok
  };
  typedef typename std::conditional<fits16<in_t>::value && fits16<weight_t>::value, short, int>::type code_t;
  std::vector<code_t> w;       // NI x NO weight codes, K-major as the weights array
  std::vector<double> wd;      // the same codes as doubles (the wide path)
  std::vector<long long> b;    // accum(bias) codes
  const W_T* key;              // the weights these codes were made from
  long long widest;            // max over the outputs of sum_k |w_kn|
  long long wmax;              // max |w_kn|
  bool ok;

  dense_codes(const W_T weights[], const B_T biases[]) : key(weights), widest(0), wmax(0), ok(false) {
    if (!usable) return;
    w.resize((size_t)NI * NO);
    b.resize(NO);
    for (unsigned j = 0; j < (unsigned)(NI * NO); j++) w[j] = (code_t)code(value<weight_t>(weights[j]));
    const long long acc_max = max_code<acc_t>();
    const long long x_max = fx<in_t>::S ? (1LL << (fx<in_t>::W - 1)) : (1LL << fx<in_t>::W) - 1;
    for (unsigned n = 0; n < (unsigned)NO; n++) {
      b[n] = CONFIG_T::has_bias ? code((acc_t)value<bias_t>(biases[n])) : 0;
      const long long room = acc_max - (b[n] < 0 ? -b[n] : b[n]);
      if (room < 0) return;
      const long long limit = (room >> SHP) / x_max;
      long long s = 0;
      for (unsigned k = 0; k < (unsigned)NI; k++) {
        const long long a = w[(size_t)k * NO + n];
        const long long m = a < 0 ? -a : a;
        s += m;
        if (m > wmax) wmax = m;
        if (s > limit) return;
      }
      if (s > widest) widest = s;
    }
    if (widest > (1LL << 53) / x_max) return;
    wd.assign(w.begin(), w.end());
    ok = true;
  }

  template <class S, class C>
  static void sums(const int xc[], const C* wt, S acc[]) {
    for (unsigned n = 0; n < (unsigned)NO; n++) acc[n] = 0;
    for (unsigned k = 0; k < (unsigned)NI; k++) {
      // x in the weights' storage type (the codes fit it): short x short -> int is the multiply SSE2 vectorizes.
      const C xk = (C)xc[k];
      if (xk == 0) continue;  // common after a ReLU; adds nothing
      const C* wr = wt + (size_t)k * NO;
      for (unsigned n = 0; n < (unsigned)NO; n++) acc[n] += (S)xk * (S)wr[n];
    }
  }

  void run(const in_t x[], out_t y[]) const {
    int xc[NI];
    long long xm = 0, xs = 0;
    for (unsigned k = 0; k < (unsigned)NI; k++) {
      xc[k] = (int)code(x[k]);
      const long long a = xc[k] < 0 ? -(long long)xc[k] : xc[k];
      xs += a;
      if (a > xm) xm = a;
    }
    const long long room = (1LL << 31) - 1;
    if (xm == 0 || widest <= room / xm || wmax <= room / xs) {
      int acc[NO];
      sums(xc, &w[0], acc);
      for (unsigned n = 0; n < (unsigned)NO; n++) y[n] = from_code<out_t>(quant<out_t, fx<acc_t>::F>::apply((long long)acc[n] * (1LL << SHP) + b[n]));
    } else {
      double acc[NO];
      sums(xc, &wd[0], acc);
      for (unsigned n = 0; n < (unsigned)NO; n++) y[n] = from_code<out_t>(quant<out_t, fx<acc_t>::F>::apply((long long)acc[n] * (1LL << SHP) + b[n]));
    }
  }

  // The codes of one layer: built on the first call (thread-safe static initialization), rebuilt per call only if
  // the same configuration is ever called with other weights.
  static bool apply(const in_t x[], out_t y[], const W_T weights[], const B_T biases[]) {
    if (!usable) return false;
    static const dense_codes shared(weights, biases);
    if (shared.key == weights) {
      if (!shared.ok) return false;
      shared.run(x, y);
      return true;
    }
    const dense_codes mine(weights, biases);
    if (!mine.ok) return false;
    mine.run(x, y);
    return true;
  }
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

}  // namespace host
}  // namespace nnet

#endif  // NNET_HOST_FAST
#endif
