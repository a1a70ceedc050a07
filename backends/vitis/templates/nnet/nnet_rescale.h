// Rescale: fake quantization onto an affine integer grid whose scale is not a power of two (a QuantizeLinear ->
// DequantizeLinear pair or a QONNX Quant the shared passes could not turn into a fixed-point type).
// Integer arithmetic on codes (docs/design/vitis-backend.md, "Rescale"):
//   p = code(x) * code(inv_scale[c])                       exact, F = F_x + F_inv fractional bits
//   ONNX order:   q = clamp(round(p / 2^F) + zp[c], q_min, q_max)
//   QONNX order:  q = clamp(round((p + zp[c] * 2^F) / 2^F), q_min, q_max)   (zero_point_before_rounding)
//   y = result((q - zp[c]) * scale[c])                     exact product, converted once
// round() is the model's rounding mode, applied to the exact rational p / 2^F with integer shifts.
#ifndef NNET_RESCALE_H_
#define NNET_RESCALE_H_

#include "nnet_common.h"

namespace nnet {

enum rescale_rounding { RESCALE_ROUND = 0, RESCALE_CEIL, RESCALE_FLOOR, RESCALE_UP, RESCALE_DOWN, RESCALE_HALF_UP, RESCALE_HALF_DOWN };

struct rescale_config {
  static const unsigned n_in = 1;
  static const unsigned n_chan = 1;
  static const unsigned inner = 1;
  static const unsigned n_scale = 1;
  static const unsigned n_zero = 1;
  static const int rounding = RESCALE_ROUND;
  static const bool zero_point_before_rounding = false;
  // Fractional bits of p = code(x) * code(inv_scale).
  static const int prod_frac = 0;
  static const long long q_lower_bound = -128;
  static const long long q_upper_bound = 127;
  static const unsigned reuse_factor = 1;
  typedef ap_ufixed<24, 4> inv_scale_t;
  typedef ap_ufixed<18, 1> scale_t;
  typedef ap_int<8> zero_t;
};

// floor(p / 2^F) for F >= 0 (arithmetic shift of a two's complement integer).
template <int F>
inline long long floor_shift(long long p) {
  return p >> F;
}

// The integer nearest to p / 2^F by one of the QONNX rounding modes.
template <int F, int MODE>
inline long long round_codes(long long p) {
  if (F <= 0) return p * (1LL << (F < 0 ? -F : 0));
  enum { S = F > 0 ? F : 1 };
  const long long half = 1LL << (S - 1);
  const long long fl = floor_shift<S>(p);
  const long long ce = -floor_shift<S>(-p);
  const long long mag = p < 0 ? -p : p;
  switch (MODE) {
    case RESCALE_CEIL: return ce;
    case RESCALE_FLOOR: return fl;
    case RESCALE_UP: return p < 0 ? fl : ce;
    case RESCALE_DOWN: return p < 0 ? ce : fl;
    case RESCALE_HALF_UP: {
      const long long r = floor_shift<S>(mag + half);
      return p < 0 ? -r : r;
    }
    case RESCALE_HALF_DOWN: {
      const long long r = -floor_shift<S>(half - mag);
      return p < 0 ? -r : r;
    }
    default: {  // half to even
      const long long rem = p - fl * (1LL << S);
      if (rem > half || (rem == half && (fl & 1))) return fl + 1;
      return fl;
    }
  }
}

template <typename CONFIG_T, class res_T, class data_T, class I_T, class S_T, class Z_T>
inline res_T rescale_one(const data_T& x, unsigned c, const I_T inv_scale[], const S_T scale[], const Z_T zero_point[]) {
  NNET_PRAGMA(HLS INLINE)
  const long long zp = code_of(value<typename CONFIG_T::zero_t>(zero_point[CONFIG_T::n_zero == 1 ? 0 : c]));
  const long long inv = code_of(value<typename CONFIG_T::inv_scale_t>(inv_scale[CONFIG_T::n_scale == 1 ? 0 : c]));
  enum { F = CONFIG_T::prod_frac, FS = F > 0 ? F : 0 };
  long long p = code_of(x) * inv;
  long long q;
  if (CONFIG_T::zero_point_before_rounding) {
    q = round_codes<CONFIG_T::prod_frac, CONFIG_T::rounding>(p + zp * (1LL << FS));
  } else {
    q = round_codes<CONFIG_T::prod_frac, CONFIG_T::rounding>(p) + zp;
  }
  if (q < CONFIG_T::q_lower_bound) q = CONFIG_T::q_lower_bound;
  if (q > CONFIG_T::q_upper_bound) q = CONFIG_T::q_upper_bound;
  const ap_int<34> level = q - zp;
  return (res_T)(level * value<typename CONFIG_T::scale_t>(scale[CONFIG_T::n_scale == 1 ? 0 : c]));
}

template <class data_T, class res_T, typename CONFIG_T, class I_T, class S_T, class Z_T>
void rescale(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in], const I_T inv_scale[], const S_T scale[],
             const Z_T zero_point[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    NNET_PRAGMA(HLS UNROLL)
    res[i] = rescale_one<CONFIG_T, res_T>(data[i], (i / CONFIG_T::inner) % CONFIG_T::n_chan, inv_scale, scale, zero_point);
  }
}

template <class data_T, class res_T, typename CONFIG_T, class I_T, class S_T, class Z_T>
void rescale_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const I_T inv_scale[], const S_T scale[],
                    const Z_T zero_point[]) {
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
      out[i] = rescale_one<CONFIG_T, out_t>(in[i], (e / CONFIG_T::inner) % CONFIG_T::n_chan, inv_scale, scale, zero_point);
    }
    res.write(out);
  }
}

}  // namespace nnet

#endif
