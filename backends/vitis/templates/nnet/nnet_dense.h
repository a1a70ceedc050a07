// Dense layers: y[n] = result(accum(b[n]) + sum_k accum(x[k] * w[k][n])), W stored K-major (w[k * n_out + n]).
// Both strategies add the products of every output in ascending k, so their results are identical for any
// accumulator type; they differ only in how many multipliers work per clock cycle.
#ifndef NNET_DENSE_H_
#define NNET_DENSE_H_

#include "nnet_common.h"
#include "nnet_host.h"

namespace nnet {

struct dense_config {
  static const unsigned n_in = 1;
  static const unsigned n_out = 1;
  // Independent rows sharing the weights (a Dense applied to the last axis of a [rows, n_in] tensor).
  static const unsigned n_rows = 1;
  static const unsigned reuse_factor = 1;
  static const bool has_bias = true;
  static const bool strategy_resource = false;
  typedef ap_fixed<32, 16> accum_t;
  typedef ap_fixed<16, 6> weight_t;
  typedef ap_fixed<16, 6> bias_t;
};

// All n_in * n_out products in one pipeline stage (II = reuse factor lets the tool share multipliers).
template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void dense_latency(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                   const W_T weights[CONFIG_T::n_in * CONFIG_T::n_out], const B_T biases[CONFIG_T::n_out]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = weights complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = biases complete)
  typedef typename CONFIG_T::accum_t acc_t;
  acc_t acc[CONFIG_T::n_out];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
  for (unsigned n = 0; n < CONFIG_T::n_out; n++) {
    NNET_PRAGMA(HLS UNROLL)
    acc[n] = CONFIG_T::has_bias ? (acc_t)value<typename CONFIG_T::bias_t>(biases[n]) : (acc_t)0;
  }
  for (unsigned k = 0; k < CONFIG_T::n_in; k++) {
    NNET_PRAGMA(HLS UNROLL)
    for (unsigned n = 0; n < CONFIG_T::n_out; n++) {
      NNET_PRAGMA(HLS UNROLL)
      acc[n] += (acc_t)(data[k] * value<typename CONFIG_T::weight_t>(weights[k * CONFIG_T::n_out + n]));
    }
  }
  for (unsigned n = 0; n < CONFIG_T::n_out; n++) {
    NNET_PRAGMA(HLS UNROLL)
    res[n] = (res_T)acc[n];
  }
}

// Reuse factor R: the flat weight index j = r * BF + m runs over R pipelined steps of BF = n_in * n_out / R
// multipliers each, so weight bank m (cyclic partition) always feeds multiplier m and every output still sees its
// products in ascending k.
template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void dense_resource(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                    const W_T weights[CONFIG_T::n_in * CONFIG_T::n_out], const B_T biases[CONFIG_T::n_out]) {
  NNET_PRAGMA(HLS INLINE off)
  enum { R = CONFIG_T::reuse_factor, BF = (CONFIG_T::n_in * CONFIG_T::n_out) / CONFIG_T::reuse_factor };
  static_assert((CONFIG_T::n_in * CONFIG_T::n_out) % CONFIG_T::reuse_factor == 0, "reuse factor must divide n_in * n_out");
  NNET_PRAGMA(HLS ARRAY_RESHAPE variable = weights block factor = BF)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  NNET_ROM(weights)
  typedef typename CONFIG_T::accum_t acc_t;
  acc_t acc[CONFIG_T::n_out];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
  for (unsigned n = 0; n < CONFIG_T::n_out; n++) {
    NNET_PRAGMA(HLS UNROLL)
    acc[n] = CONFIG_T::has_bias ? (acc_t)value<typename CONFIG_T::bias_t>(biases[n]) : (acc_t)0;
  }
  for (unsigned r = 0; r < (unsigned)R; r++) {
    NNET_PRAGMA(HLS PIPELINE II = 1 rewind)
    for (unsigned m = 0; m < (unsigned)BF; m++) {
      NNET_PRAGMA(HLS UNROLL)
      const unsigned j = r * BF + m;
      const unsigned k = j / CONFIG_T::n_out;
      const unsigned n = j % CONFIG_T::n_out;
      acc[n] += (acc_t)(data[k] * value<typename CONFIG_T::weight_t>(weights[j]));
    }
  }
  for (unsigned n = 0; n < CONFIG_T::n_out; n++) {
    NNET_PRAGMA(HLS UNROLL)
    res[n] = (res_T)acc[n];
  }
}

template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void dense(const data_T data[CONFIG_T::n_rows * CONFIG_T::n_in], res_T res[CONFIG_T::n_rows * CONFIG_T::n_out],
           const W_T weights[CONFIG_T::n_in * CONFIG_T::n_out], const B_T biases[CONFIG_T::n_out]) {
  NNET_PRAGMA(HLS INLINE)
  for (unsigned row = 0; row < CONFIG_T::n_rows; row++) {
#ifdef NNET_HOST_FAST
    if (host::dense_codes<data_T, res_T, CONFIG_T, W_T, B_T>::apply(data + row * CONFIG_T::n_in, res + row * CONFIG_T::n_out, weights, biases)) continue;
#endif
    if (CONFIG_T::strategy_resource) {
      dense_resource<data_T, res_T, CONFIG_T>(data + row * CONFIG_T::n_in, res + row * CONFIG_T::n_out, weights, biases);
    } else {
      dense_latency<data_T, res_T, CONFIG_T>(data + row * CONFIG_T::n_in, res + row * CONFIG_T::n_out, weights, biases);
    }
  }
}

// io_stream: beats of `in_pack` values in, beats of `out_pack` values out (each row is read completely first).
template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void dense_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const W_T weights[CONFIG_T::n_in * CONFIG_T::n_out],
                  const B_T biases[CONFIG_T::n_out]) {
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  enum { IP = data_T::size, OP = res_T::size };
  static_assert(CONFIG_T::n_in % IP == 0 && CONFIG_T::n_out % OP == 0, "beats must tile the rows");
  for (unsigned row = 0; row < CONFIG_T::n_rows; row++) {
    in_t x[CONFIG_T::n_in];
    NNET_PRAGMA(HLS ARRAY_PARTITION variable = x complete)
    out_t y[CONFIG_T::n_out];
    NNET_PRAGMA(HLS ARRAY_PARTITION variable = y complete)
    for (unsigned b = 0; b < CONFIG_T::n_in / IP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      const data_T beat = data.read();
      for (unsigned i = 0; i < (unsigned)IP; i++) {
        NNET_PRAGMA(HLS UNROLL)
        x[b * IP + i] = beat[i];
      }
    }
#ifdef NNET_HOST_FAST
    const bool fast = host::dense_codes<in_t, out_t, CONFIG_T, W_T, B_T>::apply(x, y, weights, biases);
#else
    const bool fast = false;
#endif
    if (fast) {
      // the host path computed y
    } else if (CONFIG_T::strategy_resource) {
      dense_resource<in_t, out_t, CONFIG_T>(x, y, weights, biases);
    } else {
      dense_latency<in_t, out_t, CONFIG_T>(x, y, weights, biases);
    }
    for (unsigned b = 0; b < CONFIG_T::n_out / OP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      res_T beat;
      for (unsigned i = 0; i < (unsigned)OP; i++) {
        NNET_PRAGMA(HLS UNROLL)
        beat[i] = y[b * OP + i];
      }
      res.write(beat);
    }
  }
}

}  // namespace nnet

#endif
