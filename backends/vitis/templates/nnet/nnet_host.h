// Host-simulation fast paths (our own code). Compiled only when __SYNTHESIS__ is not defined: Vitis/Vivado HLS never
// see them, and the kernels' synthesizable bodies stay the reference. A fast path does the same arithmetic on the
// integer codes of the fixed-point values (value = code * 2^-F) in 64-bit integers, and is taken only when that is
// provably identical to the ap_fixed arithmetic: every type involved is known and at most 62 bits wide, and a bound
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
      if (inc) v++;
    }
    const long long lo = min_code<T>(), hi = max_code<T>();
    if (v >= lo && v <= hi) {
      if (fx<T>::O == AP_SAT_SYM && fx<T>::S && v == lo) return lo + 1;
      return v;
    }
    switch (fx<T>::O) {
      case AP_SAT_ZERO: return 0;
      case AP_WRAP: {
        enum { W = fx<T>::W > 62 ? 62 : fx<T>::W };
        const unsigned long long low = (unsigned long long)v & ((1ULL << W) - 1ULL);
        if (fx<T>::S && ((low >> (W - 1)) & 1ULL)) return (long long)(low | ~((1ULL << W) - 1ULL));
        return (long long)low;
      }
      default:  // AP_SAT, AP_SAT_SYM
        if (v > hi) return hi;
        return fx<T>::S ? (fx<T>::O == AP_SAT_SYM ? lo + 1 : lo) : 0;
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

}  // namespace host
}  // namespace nnet

#endif  // NNET_HOST_FAST
#endif
