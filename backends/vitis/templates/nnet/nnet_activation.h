// Element-wise layers: activations, scale-shift, casts. Each op is a functor applied by one io_parallel and one
// io_stream driver; p0/p1 are the op's constant arrays (tables, per-channel or scalar factors, as named below).
// Channel of element e: (e / inner) % n_chan. Table lookups use nnet::table_index with the config's table_*
// constants (written from the table's range and the input type).
#ifndef NNET_ACTIVATION_H_
#define NNET_ACTIVATION_H_

#include "nnet_common.h"
#include "nnet_host.h"
#include "nnet_rescale.h"

namespace nnet {

struct activ_config {
  static const unsigned n_in = 1;
  static const unsigned n_chan = 1;
  static const unsigned inner = 1;
  static const unsigned reuse_factor = 1;
  static const unsigned table_size = 1024;
  static const int table_shift = 0;
  static const long long table_offset = 0;
  static const bool has_min = true, has_max = true, has_shift = true;
  static const unsigned n_scale = 1, n_shift = 1;
  typedef ap_fixed<32, 16> accum_t;
  typedef ap_fixed<18, 8> scale_t;
  typedef ap_fixed<18, 8> shift_t;
  typedef ap_fixed<18, 8> table_t;
};

// A placeholder for an op's unused constant array.
typedef ap_uint<1> no_const_t;

template <typename CONFIG_T, class data_T>
inline unsigned activ_index(const data_T& x) {
  return table_index<CONFIG_T::table_size, CONFIG_T::table_shift, CONFIG_T::table_offset>(code_of(x));
}

struct op_linear {  // Identity / FixedCast: y = result(x)
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0*, const P1*) { return (res_T)x; }
};
struct op_relu {
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0*, const P1*) { return x > 0 ? (res_T)x : (res_T)0; }
};
struct op_leaky_relu {  // p0[0] = alpha (scale_t)
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1*) {
    return x >= 0 ? (res_T)x : (res_T)(x * value<typename CONFIG_T::scale_t>(p0[0]));
  }
};
struct op_clip {  // p0[0] = min, p1[0] = max (scale_t); a bound the model leaves open is skipped (has_min/has_max)
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1* p1) {
    const typename CONFIG_T::scale_t lo = value<typename CONFIG_T::scale_t>(p0[0]);
    const typename CONFIG_T::scale_t hi = value<typename CONFIG_T::scale_t>(p1[0]);
    if (CONFIG_T::has_min && x < lo) return (res_T)lo;
    if (CONFIG_T::has_max && x > hi) return (res_T)hi;
    return (res_T)x;
  }
};
struct op_hard_sigmoid {  // y = result(clip(alpha * x + beta, 0, 1)), all exact; p0[0] = alpha, p1[0] = beta (scale_t)
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1* p1) {
    const typename CONFIG_T::scale_t alpha = value<typename CONFIG_T::scale_t>(p0[0]);
    const typename CONFIG_T::scale_t beta = value<typename CONFIG_T::scale_t>(p1[0]);
    if (x * alpha + beta <= 0) return (res_T)0;
    if (x * alpha + beta >= 1) return (res_T)1;
    return (res_T)(x * alpha + beta);
  }
};
struct op_softsign {  // y = result(accum(x) / (1 + |x|)): the vendor's division, quotient truncated to accum's fraction
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0*, const P1*) {
    const typename CONFIG_T::accum_t num = x;
    const typename CONFIG_T::accum_t den = (x < 0 ? (typename CONFIG_T::accum_t)(1 - x) : (typename CONFIG_T::accum_t)(1 + x));
    return (res_T)(num / den);
  }
};
struct op_bipolar {  // BipolarQuant: y = result(x >= 0 ? scale : -scale); p0[0] = scale
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1*) {
    const typename CONFIG_T::scale_t s = value<typename CONFIG_T::scale_t>(p0[0]);
    return x >= 0 ? (res_T)s : (res_T)(-s);
  }
};
struct op_table {  // Sigmoid, Tanh, Softplus: y = result(table[idx(x)]); p0 = table
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1*) {
    return (res_T)value<typename CONFIG_T::table_t>(p0[activ_index<CONFIG_T>(x)]);
  }
};
struct op_elu {  // x >= 0: result(x); else result(table[idx(x)]) (the table covers the negative side); p0 = table
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1*) {
    if (x >= 0) return (res_T)x;
    return (res_T)value<typename CONFIG_T::table_t>(p0[activ_index<CONFIG_T>(x)]);
  }
};
struct op_hardswish {  // x >= 3 (code >= linear_bound, written from TypeScript): result(x); else result(table[idx(x)]); p0 = table
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1*) {
    if (code_of(x) >= CONFIG_T::linear_bound) return (res_T)x;
    return (res_T)value<typename CONFIG_T::table_t>(p0[activ_index<CONFIG_T>(x)]);
  }
};
struct op_selu {  // x >= 0: result(gamma * x); else result(table[idx(x)]); p0 = table, p1[0] = gamma (scale_t)
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned, const P0* p0, const P1* p1) {
    if (x >= 0) return (res_T)(x * value<typename CONFIG_T::scale_t>(p1[0]));
    return (res_T)value<typename CONFIG_T::table_t>(p0[activ_index<CONFIG_T>(x)]);
  }
};
struct op_scale_shift {  // acc = x * scale[c]; acc += shift[c]; y = result(acc) (exact with the default accum)
  template <class res_T, typename CONFIG_T, class data_T, class P0, class P1>
  static res_T apply(const data_T& x, unsigned c, const P0* p0, const P1* p1) {
    typename CONFIG_T::accum_t t = x * value<typename CONFIG_T::scale_t>(p0[CONFIG_T::n_scale == 1 ? 0 : c]);
    if (CONFIG_T::has_shift) t += (typename CONFIG_T::accum_t)value<typename CONFIG_T::shift_t>(p1[CONFIG_T::n_shift == 1 ? 0 : c]);
    return (res_T)t;
  }
};
#ifdef NNET_HOST_FAST
namespace host {
// Element-wise ops that are a function of the input's code alone, then the one conversion to the result type:
// ReLU keeps a positive code and makes the rest 0 ((res_T)0 has code 0 in every type); Identity keeps the code.
// quant<res_T, F of the input> is that conversion (res_T)x bit for bit.
template <class OP>
struct code_op {
  enum { known = 0 };
  static inline long long apply(long long c) { return c; }
};
template <>
struct code_op<op_relu> {
  enum { known = 1 };
  static inline long long apply(long long c) { return c > 0 ? c : 0; }
};
template <>
struct code_op<op_linear> {
  enum { known = 1 };
  static inline long long apply(long long c) { return c; }
};

template <class data_T, class res_T, class OP>
struct activation_codes {
  enum { usable = code_op<OP>::known && small<data_T>::value && quant<res_T, fx<data_T>::F>::ok };
  static inline res_T one(const data_T& x) { return from_code<res_T>(quant<res_T, fx<data_T>::F>::apply(code_op<OP>::apply(code(x)))); }
};
}  // namespace host
#endif

template <class data_T, class res_T, typename CONFIG_T, class OP, class P0, class P1>
void activation(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in], const P0* p0, const P1* p1) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
#ifdef NNET_HOST_FAST
  typedef host::activation_codes<data_T, res_T, OP> fast_t;
  if (fast_t::usable) {
    for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = fast_t::one(data[i]);
    return;
  }
#endif
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    NNET_PRAGMA(HLS UNROLL)
    res[i] = OP::template apply<res_T, CONFIG_T>(data[i], (i / CONFIG_T::inner) % CONFIG_T::n_chan, p0, p1);
  }
}

template <class data_T, class res_T, typename CONFIG_T, class OP, class P0, class P1>
void activation_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const P0* p0, const P1* p1) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename res_T::value_type out_t;
  enum { P = data_T::size };
  static_assert((unsigned)data_T::size == (unsigned)res_T::size, "element-wise layers keep the beat size");
  for (unsigned b = 0; b < CONFIG_T::n_in / P; b++) {
    NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
    const data_T in = data.read();
    res_T out;
    for (unsigned i = 0; i < (unsigned)P; i++) {
      NNET_PRAGMA(HLS UNROLL)
      const unsigned e = b * P + i;
#ifdef NNET_HOST_FAST
      typedef host::activation_codes<typename data_T::value_type, out_t, OP> fast_t;
      if (fast_t::usable) {
        out[i] = fast_t::one(in[i]);
        continue;
      }
#endif
      out[i] = OP::template apply<out_t, CONFIG_T>(in[i], (e / CONFIG_T::inner) % CONFIG_T::n_chan, p0, p1);
    }
    res.write(out);
  }
}

}  // namespace nnet

#endif
