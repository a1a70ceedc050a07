// Softmax over the last axis, rows of n_in values.
// stable: m = max_j x_j; t_j = min(m - x_j, t_max) (exact codes, >= 0); two-level exp:
// e_j = exp_t(exp_table[i] * exp_fine[f]) with i the high bits of t_j, f the next ones (exp_table[0] == exp_fine[0]
// == 1.0, so the largest input gets exactly 1); s = exp_sum(sum_j e_j) (summed exactly, converted once);
// inv = inv_table[idx(s)]; y_j = result(e_j * inv).
// argmax: one-hot of the first largest input.
#ifndef NNET_SOFTMAX_H_
#define NNET_SOFTMAX_H_

#include "nnet_common.h"

namespace nnet {

struct softmax_config {
  static const unsigned n_in = 1;
  static const unsigned n_rows = 1;
  static const unsigned reuse_factor = 1;
  static const unsigned exp_table_size = 1024;
  // t = m - x (code): i = t >> exp_shift (t << -exp_shift when negative), f = (t mod 2^exp_shift) >> exp_fine_shift.
  static const int exp_shift = 0;
  static const int exp_fine_shift = 0;
  static const unsigned exp_fine_size = 1;
  static const long long exp_t_max = 1023;
  static const unsigned inv_table_size = 1024;
  static const int inv_table_shift = 0;
  static const long long inv_table_offset = 0;
  typedef ap_ufixed<18, 1> exp_table_t;
  typedef ap_ufixed<18, 1> exp_fine_t;
  typedef ap_ufixed<18, 1> inv_table_t;
  typedef ap_ufixed<24, 7> exp_sum_t;
  // Wide enough for n_in table entries: the sum is exact and converted to exp_sum_t once.
  typedef ap_ufixed<28, 11> exp_acc_t;
};

// exp(-t) from the two tables (t >= 0, a code with the input's fractional bits).
template <typename CONFIG_T, class E_T, class F_T>
inline typename CONFIG_T::exp_table_t softmax_exp(long long t, const E_T exp_table[], const F_T exp_fine[]) {
  NNET_PRAGMA(HLS INLINE)
  typedef typename CONFIG_T::exp_table_t exp_t;
  enum { SH = CONFIG_T::exp_shift >= 0 ? CONFIG_T::exp_shift : 0, LSH = CONFIG_T::exp_shift < 0 ? -CONFIG_T::exp_shift : 0 };
  if (t > CONFIG_T::exp_t_max) t = CONFIG_T::exp_t_max;
  if (CONFIG_T::exp_shift < 0) return value<exp_t>(exp_table[(unsigned)(t << LSH)]);
  const unsigned i = (unsigned)(t >> SH);
  const exp_t hi = value<exp_t>(exp_table[i]);
  if (CONFIG_T::exp_fine_size <= 1) return hi;
  const unsigned f = (unsigned)((t & ((1LL << SH) - 1)) >> CONFIG_T::exp_fine_shift);
  return (exp_t)(hi * value<typename CONFIG_T::exp_fine_t>(exp_fine[f]));
}

template <class data_T, class res_T, typename CONFIG_T, class E_T, class F_T, class I_T>
void softmax_row(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in], const E_T exp_table[], const F_T exp_fine[], const I_T inv_table[]) {
  NNET_PRAGMA(HLS INLINE)
  typedef typename CONFIG_T::exp_table_t exp_t;
  long long codes[CONFIG_T::n_in];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = codes complete)
  long long m = code_of(data[0]);
  for (unsigned j = 0; j < CONFIG_T::n_in; j++) {
    NNET_PRAGMA(HLS UNROLL)
    codes[j] = code_of(data[j]);
    if (codes[j] > m) m = codes[j];
  }
  exp_t e[CONFIG_T::n_in];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = e complete)
  typename CONFIG_T::exp_acc_t sum = 0;
  for (unsigned j = 0; j < CONFIG_T::n_in; j++) {
    NNET_PRAGMA(HLS UNROLL)
    // m - x_j has the fraction bits of x, so its code is the difference of the codes.
    e[j] = softmax_exp<CONFIG_T>(m - codes[j], exp_table, exp_fine);
    sum += e[j];
  }
  const typename CONFIG_T::exp_sum_t s = sum;
  const typename CONFIG_T::inv_table_t inv = value<typename CONFIG_T::inv_table_t>(
      inv_table[table_index<CONFIG_T::inv_table_size, CONFIG_T::inv_table_shift, CONFIG_T::inv_table_offset>(code_of(s))]);
  for (unsigned j = 0; j < CONFIG_T::n_in; j++) {
    NNET_PRAGMA(HLS UNROLL)
    res[j] = (res_T)(e[j] * inv);
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void argmax_row(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
  NNET_PRAGMA(HLS INLINE)
  unsigned best = 0;
  for (unsigned j = 1; j < CONFIG_T::n_in; j++) {
    NNET_PRAGMA(HLS UNROLL)
    if (data[j] > data[best]) best = j;
  }
  for (unsigned j = 0; j < CONFIG_T::n_in; j++) {
    NNET_PRAGMA(HLS UNROLL)
    res[j] = j == best ? (res_T)1 : (res_T)0;
  }
}

template <class data_T, class res_T, typename CONFIG_T, class E_T, class F_T, class I_T>
void softmax_stable(const data_T data[CONFIG_T::n_rows * CONFIG_T::n_in], res_T res[CONFIG_T::n_rows * CONFIG_T::n_in],
                    const E_T exp_table[], const F_T exp_fine[], const I_T inv_table[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  for (unsigned r = 0; r < CONFIG_T::n_rows; r++) {
    NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
    softmax_row<data_T, res_T, CONFIG_T>(data + r * CONFIG_T::n_in, res + r * CONFIG_T::n_in, exp_table, exp_fine, inv_table);
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax_argmax(const data_T data[CONFIG_T::n_rows * CONFIG_T::n_in], res_T res[CONFIG_T::n_rows * CONFIG_T::n_in]) {
  NNET_PRAGMA(HLS INLINE off)
  for (unsigned r = 0; r < CONFIG_T::n_rows; r++) {
    NNET_PRAGMA(HLS PIPELINE)
    argmax_row<data_T, res_T, CONFIG_T>(data + r * CONFIG_T::n_in, res + r * CONFIG_T::n_in);
  }
}

// io_stream: each row is gathered from its beats, normalized, and written back in beats of the same size.
template <class data_T, class res_T, typename CONFIG_T, class E_T, class F_T, class I_T>
void softmax_stable_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const E_T exp_table[], const F_T exp_fine[],
                           const I_T inv_table[]) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  enum { IP = data_T::size, OP = res_T::size };
  static_assert(CONFIG_T::n_in % IP == 0 && CONFIG_T::n_in % OP == 0, "beats must tile the rows");
  for (unsigned r = 0; r < CONFIG_T::n_rows; r++) {
    in_t x[CONFIG_T::n_in];
    out_t y[CONFIG_T::n_in];
    NNET_PRAGMA(HLS ARRAY_PARTITION variable = x complete)
    NNET_PRAGMA(HLS ARRAY_PARTITION variable = y complete)
    for (unsigned b = 0; b < CONFIG_T::n_in / IP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      const data_T beat = data.read();
      for (unsigned i = 0; i < (unsigned)IP; i++) x[b * IP + i] = beat[i];
    }
    softmax_row<in_t, out_t, CONFIG_T>(x, y, exp_table, exp_fine, inv_table);
    for (unsigned b = 0; b < CONFIG_T::n_in / OP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      res_T beat;
      for (unsigned i = 0; i < (unsigned)OP; i++) beat[i] = y[b * OP + i];
      res.write(beat);
    }
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void softmax_argmax_stream(hls::stream<data_T>& data, hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  enum { IP = data_T::size, OP = res_T::size };
  for (unsigned r = 0; r < CONFIG_T::n_rows; r++) {
    in_t x[CONFIG_T::n_in];
    out_t y[CONFIG_T::n_in];
    for (unsigned b = 0; b < CONFIG_T::n_in / IP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      const data_T beat = data.read();
      for (unsigned i = 0; i < (unsigned)IP; i++) x[b * IP + i] = beat[i];
    }
    argmax_row<in_t, out_t, CONFIG_T>(x, y);
    for (unsigned b = 0; b < CONFIG_T::n_in / OP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      res_T beat;
      for (unsigned i = 0; i < (unsigned)OP; i++) beat[i] = y[b * OP + i];
      res.write(beat);
    }
  }
}

}  // namespace nnet

#endif
