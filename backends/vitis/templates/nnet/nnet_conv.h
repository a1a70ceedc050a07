// Convolutions on NHWC data with HWIO weights (1-D data is height 1). Per output pixel and filter m the kernel is
// a Dense over the receptive field in HWIO order, k = (kh * filt_width + kw) * chan_per_group + c:
// y = result(accum(b[m]) + sum_k accum(x_k * w[k][m])); padding taps are exact zeros and are skipped. Groups cover
// standard (1), depthwise (n_chan) and grouped convolutions; pointwise is filt 1x1. The parallelization factor PF
// computes PF output pixels per pipeline step (PF copies of the multipliers); it changes the schedule only.
#ifndef NNET_CONV_H_
#define NNET_CONV_H_

#include "nnet_common.h"
#include "nnet_host.h"

namespace nnet {

struct conv_config {
  static const unsigned in_height = 1, in_width = 1, n_chan = 1;
  static const unsigned filt_height = 1, filt_width = 1, n_filt = 1, n_groups = 1;
  static const unsigned stride_height = 1, stride_width = 1;
  static const unsigned dilation_height = 1, dilation_width = 1;
  static const unsigned pad_top = 0, pad_left = 0;
  static const unsigned out_height = 1, out_width = 1;
  static const unsigned reuse_factor = 1;
  static const unsigned parallelization = 1;
  static const bool strategy_resource = false;
  static const bool has_bias = true;
  typedef ap_fixed<32, 16> accum_t;
  typedef ap_fixed<16, 6> weight_t;
  typedef ap_fixed<16, 6> bias_t;
};

// One output pixel from a row-major [rows][in_width][n_chan] buffer whose row ih lives at ih % rows_mod (the whole
// input in io_parallel, a circular line buffer in io_stream).
template <class data_T, class out_T, typename CONFIG_T, class W_T, class B_T>
void conv_pixel(const data_T* buf, unsigned rows_mod, unsigned oh, unsigned ow, out_T out[CONFIG_T::n_filt],
                const W_T weights[], const B_T biases[]) {
  NNET_PRAGMA(HLS INLINE)
  typedef typename CONFIG_T::accum_t acc_t;
  enum {
    CG = CONFIG_T::n_chan / CONFIG_T::n_groups,
    MG = CONFIG_T::n_filt / CONFIG_T::n_groups,
    K = CONFIG_T::filt_height * CONFIG_T::filt_width * (CONFIG_T::n_chan / CONFIG_T::n_groups),
    R = CONFIG_T::reuse_factor,
    BF = (K * CONFIG_T::n_filt) / CONFIG_T::reuse_factor
  };
  static_assert((K * CONFIG_T::n_filt) % CONFIG_T::reuse_factor == 0, "reuse factor must divide the multiplications per pixel");
  acc_t acc[CONFIG_T::n_filt];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
  for (unsigned m = 0; m < CONFIG_T::n_filt; m++) {
    NNET_PRAGMA(HLS UNROLL)
    acc[m] = CONFIG_T::has_bias ? (acc_t)value<typename CONFIG_T::bias_t>(biases[m]) : (acc_t)0;
  }
  // The flat weight index j = r * BF + i walks k ascending for every filter (k = j / n_filt, m = j % n_filt).
  for (unsigned r = 0; r < (unsigned)R; r++) {
    NNET_PRAGMA(HLS PIPELINE II = 1)
    for (unsigned i = 0; i < (unsigned)BF; i++) {
      NNET_PRAGMA(HLS UNROLL)
      const unsigned j = r * BF + i;
      const unsigned k = j / CONFIG_T::n_filt, m = j % CONFIG_T::n_filt;
      const unsigned c = k % CG, kw = (k / CG) % CONFIG_T::filt_width, kh = k / (CG * CONFIG_T::filt_width);
      const int ih = (int)(oh * CONFIG_T::stride_height + kh * CONFIG_T::dilation_height) - (int)CONFIG_T::pad_top;
      const int iw = (int)(ow * CONFIG_T::stride_width + kw * CONFIG_T::dilation_width) - (int)CONFIG_T::pad_left;
      if (ih < 0 || ih >= (int)CONFIG_T::in_height || iw < 0 || iw >= (int)CONFIG_T::in_width) continue;
      const unsigned ch = (m / MG) * CG + c;
      const data_T x = buf[(((unsigned)ih % rows_mod) * CONFIG_T::in_width + (unsigned)iw) * CONFIG_T::n_chan + ch];
      acc[m] += (acc_t)(x * value<typename CONFIG_T::weight_t>(weights[j]));
    }
  }
  for (unsigned m = 0; m < CONFIG_T::n_filt; m++) {
    NNET_PRAGMA(HLS UNROLL)
    out[m] = (out_T)acc[m];
  }
}

template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void conv_2d(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
             res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt], const W_T weights[],
             const B_T biases[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  enum { NPIX = CONFIG_T::out_height * CONFIG_T::out_width, PF = CONFIG_T::parallelization };
  static_assert(PF >= 1 && NPIX % PF == 0, "the parallelization factor must divide the output pixels");
#ifdef NNET_HOST_FAST
  {
    typedef host::conv_codes<data_T, res_T, CONFIG_T, W_T, B_T> codes_t;
    if (codes_t::usable) {
      const codes_t cc(weights, biases);
      if (cc.ok) {
        std::vector<double> x((size_t)CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan);
        for (size_t i = 0; i < x.size(); i++) x[i] = (double)host::code(data[i]);
        for (unsigned p = 0; p < (unsigned)NPIX; p++) {
          cc.pixel(&x[0], CONFIG_T::in_height, p / CONFIG_T::out_width, p % CONFIG_T::out_width, res + p * CONFIG_T::n_filt);
        }
        return;
      }
    }
  }
#endif
  for (unsigned p0 = 0; p0 < (unsigned)NPIX; p0 += PF) {
    NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
    for (unsigned q = 0; q < (unsigned)PF; q++) {
      NNET_PRAGMA(HLS UNROLL)
      const unsigned p = p0 + q;
      conv_pixel<data_T, res_T, CONFIG_T>(data, CONFIG_T::in_height, p / CONFIG_T::out_width, p % CONFIG_T::out_width,
                                          res + p * CONFIG_T::n_filt, weights, biases);
    }
  }
}

// The kernel names of the lowering: one arithmetic, the strategy only changes the schedule pragmas above.
template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void conv_1d(const data_T data[], res_T res[], const W_T weights[], const B_T biases[]) {
  NNET_PRAGMA(HLS INLINE)
  conv_2d<data_T, res_T, CONFIG_T>(data, res, weights, biases);
}

// Last input row an output row reads (clamped into the input: padding rows need no data).
template <typename CONFIG_T>
inline int last_row_of(unsigned oh) {
  const int r = (int)(oh * CONFIG_T::stride_height + (CONFIG_T::filt_height - 1) * CONFIG_T::dilation_height) - (int)CONFIG_T::pad_top;
  return r < 0 ? 0 : (r > (int)CONFIG_T::in_height - 1 ? (int)CONFIG_T::in_height - 1 : r);
}

#ifdef NNET_HOST_FAST
// Host simulation of conv_2d_stream on integer codes (nnet_host.h); false, before reading anything, when the fast
// path does not apply to these types or weights.
template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
bool conv_2d_stream_host(hls::stream<data_T>& data, hls::stream<res_T>& res, const W_T weights[], const B_T biases[]) {
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  typedef host::conv_codes<in_t, out_t, CONFIG_T, W_T, B_T> codes_t;
  enum {
    LB = (CONFIG_T::filt_height - 1) * CONFIG_T::dilation_height + 1,
    LBR = LB < (int)CONFIG_T::in_height ? LB : CONFIG_T::in_height,
    IP = data_T::size,
    OP = res_T::size
  };
  if (!codes_t::usable) return false;
  const codes_t cc(weights, biases);
  if (!cc.ok) return false;
  std::vector<double> lb((size_t)LBR * CONFIG_T::in_width * CONFIG_T::n_chan);
  out_t px[CONFIG_T::n_filt];
  unsigned oh = 0;
  for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
    double* row = &lb[(size_t)(ih % LBR) * CONFIG_T::in_width * CONFIG_T::n_chan];
    for (unsigned b = 0; b < CONFIG_T::in_width * (CONFIG_T::n_chan / IP); b++) {
      const data_T beat = data.read();
      for (unsigned i = 0; i < (unsigned)IP; i++) row[b * IP + i] = (double)host::code(beat[i]);
    }
    while (oh < CONFIG_T::out_height && last_row_of<CONFIG_T>(oh) <= (int)ih) {
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
        cc.pixel(&lb[0], LBR, oh, ow, px);
        for (unsigned b = 0; b < CONFIG_T::n_filt / OP; b++) {
          res_T beat;
          for (unsigned i = 0; i < (unsigned)OP; i++) beat[i] = px[b * OP + i];
          res.write(beat);
        }
      }
      oh++;
    }
  }
  return true;
}
#endif

// io_stream: pixels arrive in raster order, `n_chan` values per pixel in one or more beats. A circular line
// buffer keeps the last (filt_height - 1) * dilation + 1 input rows; after each input row, every output row whose
// receptive field is complete is computed and written pixel by pixel.
template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void conv_2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const W_T weights[], const B_T biases[]) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  enum {
    LB = (CONFIG_T::filt_height - 1) * CONFIG_T::dilation_height + 1,
    LBR = LB < (int)CONFIG_T::in_height ? LB : CONFIG_T::in_height,
    IP = data_T::size,
    OP = res_T::size,
    PF = CONFIG_T::parallelization
  };
  static_assert(CONFIG_T::n_chan % IP == 0 && CONFIG_T::n_filt % OP == 0, "beats must tile the channels");
  static_assert(PF >= 1, "the parallelization factor is at least 1");
#ifdef NNET_HOST_FAST
  if (conv_2d_stream_host<data_T, res_T, CONFIG_T>(data, res, weights, biases)) return;
#endif
  in_t lb[LBR * CONFIG_T::in_width * CONFIG_T::n_chan];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = lb cyclic factor = CONFIG_T::n_chan)
  unsigned oh = 0;
  for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
    read_row_into_line_buffer<data_T, CONFIG_T, LBR>(data, lb, ih);
    while (oh < CONFIG_T::out_height && last_row_of<CONFIG_T>(oh) <= (int)ih) {
      // PF pixels of the row per pipeline step (the last step of a row may hold fewer).
      for (unsigned ow0 = 0; ow0 < CONFIG_T::out_width; ow0 += PF) {
        NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
        out_t px[PF][CONFIG_T::n_filt];
        NNET_PRAGMA(HLS ARRAY_PARTITION variable = px complete dim = 0)
        for (unsigned q = 0; q < (unsigned)PF; q++) {
          NNET_PRAGMA(HLS UNROLL)
          if (ow0 + q < CONFIG_T::out_width) conv_pixel<in_t, out_t, CONFIG_T>(lb, LBR, oh, ow0 + q, px[q], weights, biases);
        }
        for (unsigned q = 0; q < (unsigned)PF; q++) {
          if (ow0 + q < CONFIG_T::out_width) {
            for (unsigned b = 0; b < CONFIG_T::n_filt / OP; b++) {
              res_T beat;
              for (unsigned i = 0; i < (unsigned)OP; i++) {
                NNET_PRAGMA(HLS UNROLL)
                beat[i] = px[q][b * OP + i];
              }
              res.write(beat);
            }
          }
        }
      }
      oh++;
    }
  }
}

template <class data_T, class res_T, typename CONFIG_T, class W_T, class B_T>
void conv_1d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const W_T weights[], const B_T biases[]) {
  NNET_PRAGMA(HLS INLINE)
  conv_2d_stream<data_T, res_T, CONFIG_T>(data, res, weights, biases);
}

}  // namespace nnet

#endif
