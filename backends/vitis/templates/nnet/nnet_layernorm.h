// Layer normalization over the last axis (rows of n_in values):
//   sum = accum(sum_i x_i)                       (one accum conversion per add, exact by default)
//   mean = accum(sum * inv_n)                    (inv_n = ufixed<32,1,RND_CONV,SAT>(1 / n), written by the writer)
//   dev_i = x_i - mean                           (exact)
//   sq = accum(sum_i dev_i * dev_i)              (one accum conversion per add)
//   var = accum(sq * inv_n)
//   inv_std = table[idx(var)]                    (table of 1 / sqrt(v + epsilon) over [0, 2^r))
//   y_i = result(dev_i * inv_std * gamma_i + beta_i)   (exact, converted once)
#ifndef NNET_LAYERNORM_H_
#define NNET_LAYERNORM_H_

#include "nnet_common.h"

namespace nnet {

struct layernorm_config {
  static const unsigned n_in = 1, n_rows = 1;
  static const bool has_bias = true;
  static const unsigned table_size = 1024;
  static const int table_shift = 0;
  static const long long table_offset = 0;
  typedef ap_fixed<32, 16> accum_t;
  typedef ap_ufixed<32, 1, AP_RND_CONV, AP_SAT> inv_n_t;
  typedef ap_ufixed<18, 8> table_t;
  typedef ap_fixed<16, 6> scale_t;
  typedef ap_fixed<16, 6> shift_t;
};

template <class data_T, class res_T, typename CONFIG_T, class N_T, class T_T, class G_T, class B_T>
void layernorm_row(const data_T x[CONFIG_T::n_in], res_T y[CONFIG_T::n_in], const N_T inv_n[], const T_T table[],
                   const G_T gamma[], const B_T beta[]) {
  NNET_PRAGMA(HLS INLINE)
  typedef typename CONFIG_T::accum_t acc_t;
  const typename CONFIG_T::inv_n_t in = value<typename CONFIG_T::inv_n_t>(inv_n[0]);
  acc_t sum = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    NNET_PRAGMA(HLS UNROLL)
    sum += x[i];
  }
  const acc_t mean = sum * in;
  acc_t sq = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    NNET_PRAGMA(HLS UNROLL)
    sq += (x[i] - mean) * (x[i] - mean);
  }
  const acc_t var = sq * in;
  const typename CONFIG_T::table_t inv_std =
      value<typename CONFIG_T::table_t>(table[table_index<CONFIG_T::table_size, CONFIG_T::table_shift, CONFIG_T::table_offset>(code_of(var))]);
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    NNET_PRAGMA(HLS UNROLL)
    if (CONFIG_T::has_bias) {
      y[i] = (res_T)((x[i] - mean) * inv_std * value<typename CONFIG_T::scale_t>(gamma[i]) + value<typename CONFIG_T::shift_t>(beta[i]));
    } else {
      y[i] = (res_T)((x[i] - mean) * inv_std * value<typename CONFIG_T::scale_t>(gamma[i]));
    }
  }
}

template <class data_T, class res_T, typename CONFIG_T, class N_T, class T_T, class G_T, class B_T>
void layernorm(const data_T data[CONFIG_T::n_rows * CONFIG_T::n_in], res_T res[CONFIG_T::n_rows * CONFIG_T::n_in],
               const N_T inv_n[], const T_T table[], const G_T gamma[], const B_T beta[]) {
  NNET_PRAGMA(HLS INLINE off)
  for (unsigned r = 0; r < CONFIG_T::n_rows; r++) {
    NNET_PRAGMA(HLS PIPELINE)
    layernorm_row<data_T, res_T, CONFIG_T>(data + r * CONFIG_T::n_in, res + r * CONFIG_T::n_in, inv_n, table, gamma, beta);
  }
}

}  // namespace nnet

#endif
