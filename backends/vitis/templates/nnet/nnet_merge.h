// Two-input element-wise layers with broadcasting (Add, Sub, Mul: the exact result converted to the result type)
// and concatenation. Broadcast inputs are read through strides over the output's (up to) 4 per-sample axes: an
// input's stride is 0 along an axis it is broadcast over.
#ifndef NNET_MERGE_H_
#define NNET_MERGE_H_

#include "nnet_common.h"

namespace nnet {

struct merge_config {
  static const unsigned n_out = 1;
  static const unsigned d0 = 1, d1 = 1, d2 = 1, d3 = 1;  // output axes, outermost first
  static const unsigned a_s0 = 0, a_s1 = 0, a_s2 = 0, a_s3 = 1;
  static const unsigned b_s0 = 0, b_s1 = 0, b_s2 = 0, b_s3 = 1;
  static const bool same_shape = true;
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<16, 6> a_t;
  typedef ap_fixed<16, 6> b_t;
};

struct op_add {
  template <class res_T, class A, class B>
  static res_T apply(const A& a, const B& b) { return (res_T)(a + b); }
};
struct op_sub {
  template <class res_T, class A, class B>
  static res_T apply(const A& a, const B& b) { return (res_T)(a - b); }
};
struct op_mul {
  template <class res_T, class A, class B>
  static res_T apply(const A& a, const B& b) { return (res_T)(a * b); }
};

struct op_prelu {  // a >= 0 ? result(a) : result(a * slope), the slope broadcast like any operand
  template <class res_T, class A, class B>
  static res_T apply(const A& a, const B& b) { return a >= 0 ? (res_T)a : (res_T)(a * b); }
};

template <typename CONFIG_T>
inline void merge_offsets(unsigned i, unsigned& ia, unsigned& ib) {
  const unsigned i3 = i % CONFIG_T::d3, i2 = (i / CONFIG_T::d3) % CONFIG_T::d2;
  const unsigned i1 = (i / (CONFIG_T::d3 * CONFIG_T::d2)) % CONFIG_T::d1, i0 = i / (CONFIG_T::d3 * CONFIG_T::d2 * CONFIG_T::d1);
  ia = i0 * CONFIG_T::a_s0 + i1 * CONFIG_T::a_s1 + i2 * CONFIG_T::a_s2 + i3 * CONFIG_T::a_s3;
  ib = i0 * CONFIG_T::b_s0 + i1 * CONFIG_T::b_s1 + i2 * CONFIG_T::b_s2 + i3 * CONFIG_T::b_s3;
}

template <class a_T, class b_T, class res_T, typename CONFIG_T, class OP>
void merge(const a_T a[], const b_T b[], res_T res[CONFIG_T::n_out]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  for (unsigned i = 0; i < CONFIG_T::n_out; i++) {
    NNET_PRAGMA(HLS UNROLL)
    unsigned ia = i, ib = i;
    if (!CONFIG_T::same_shape) merge_offsets<CONFIG_T>(i, ia, ib);
    res[i] = OP::template apply<res_T>(value<typename CONFIG_T::a_t>(a[ia]), value<typename CONFIG_T::b_t>(b[ib]));
  }
}

// io_stream, both operands streams of the same shape and beat size.
template <class a_T, class b_T, class res_T, typename CONFIG_T, class OP>
void merge_stream(hls::stream<a_T>& a, hls::stream<b_T>& b, hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename res_T::value_type out_t;
  enum { P = res_T::size };
  for (unsigned n = 0; n < CONFIG_T::n_out / P; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    const a_T x = a.read();
    const b_T y = b.read();
    res_T out;
    for (unsigned i = 0; i < (unsigned)P; i++) {
      NNET_PRAGMA(HLS UNROLL)
      out[i] = OP::template apply<out_t>(x[i], y[i]);
    }
    res.write(out);
  }
}

// io_stream, operand `a` a stream of the output's shape, `b` a constant array (broadcast through its strides).
// const_first swaps the operands' order (for Sub).
template <class a_T, class b_T, class res_T, typename CONFIG_T, class OP, bool const_first>
void merge_const_stream(hls::stream<a_T>& a, const b_T b[], hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename res_T::value_type out_t;
  enum { P = res_T::size };
  for (unsigned n = 0; n < CONFIG_T::n_out / P; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    const a_T x = a.read();
    res_T out;
    for (unsigned i = 0; i < (unsigned)P; i++) {
      NNET_PRAGMA(HLS UNROLL)
      unsigned ia, ib;
      merge_offsets<CONFIG_T>(n * P + i, ia, ib);
      const typename CONFIG_T::b_t y = value<typename CONFIG_T::b_t>(b[ib]);
      out[i] = const_first ? OP::template apply<out_t>(y, x[i]) : OP::template apply<out_t>(x[i], y);
    }
    res.write(out);
  }
}

// Concatenation: each input is copied into its slice of the output. With n_outer blocks along the axes before
// the concatenation axis, an input contributes in_inner consecutive values to every out_inner-long block.
struct concat_config {
  static const unsigned n_outer = 1;
  static const unsigned in_inner = 1;
  static const unsigned out_inner = 1;
  static const unsigned offset = 0;
  typedef ap_fixed<16, 6> in_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void concat_part(const data_T data[CONFIG_T::n_outer * CONFIG_T::in_inner], res_T res[CONFIG_T::n_outer * CONFIG_T::out_inner]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE)
  for (unsigned o = 0; o < CONFIG_T::n_outer; o++) {
    for (unsigned i = 0; i < CONFIG_T::in_inner; i++) {
      NNET_PRAGMA(HLS UNROLL)
      res[o * CONFIG_T::out_inner + CONFIG_T::offset + i] = (res_T)value<typename CONFIG_T::in_t>(data[o * CONFIG_T::in_inner + i]);
    }
  }
}

// io_stream concatenation of two streams along the last axis (channels of a pixel): beat n of each input makes
// beat n of the output.
struct concat_stream_config {
  static const unsigned n_beats = 1;
};

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void concat_last_stream(hls::stream<a_T>& a, hls::stream<b_T>& b, hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename res_T::value_type out_t;
  enum { PA = a_T::size, PB = b_T::size };
  static_assert((unsigned)res_T::size == (unsigned)(PA + PB), "output beat holds both inputs' beats");
  for (unsigned n = 0; n < CONFIG_T::n_beats; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    const a_T x = a.read();
    const b_T y = b.read();
    res_T out;
    for (unsigned i = 0; i < (unsigned)PA; i++) {
      NNET_PRAGMA(HLS UNROLL)
      out[i] = (out_t)x[i];
    }
    for (unsigned i = 0; i < (unsigned)PB; i++) {
      NNET_PRAGMA(HLS UNROLL)
      out[PA + i] = (out_t)y[i];
    }
    res.write(out);
  }
}

}  // namespace nnet

#endif
