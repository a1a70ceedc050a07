// Pooling on NHWC data (1-D data is height 1).
// Max: the largest tap inside the input (padding never wins), converted to the result type.
// Average: acc = accum(sum of the taps inside the input), y = result(acc * inv_count[count]) where count is the
// number of taps inside the input (or the whole window with count_include_pad) and inv_count[] holds 1/count in
// the `scale` type, quantized once in TypeScript.
// Global pooling reduces all pixels of a channel the same way (inv_count has one entry, at index 0).
#ifndef NNET_POOLING_H_
#define NNET_POOLING_H_

#include "nnet_common.h"

namespace nnet {

struct pool_config {
  static const unsigned in_height = 1, in_width = 1, n_chan = 1;
  static const unsigned pool_height = 1, pool_width = 1;
  static const unsigned stride_height = 1, stride_width = 1;
  static const unsigned dilation_height = 1, dilation_width = 1;
  static const unsigned pad_top = 0, pad_left = 0;
  static const unsigned out_height = 1, out_width = 1;
  static const bool is_max = true;
  static const bool count_include_pad = false;
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<32, 16> accum_t;
  typedef ap_fixed<18, 8> scale_t;
};

template <class data_T, class out_T, typename CONFIG_T, class S_T>
void pool_pixel(const data_T* buf, unsigned rows_mod, unsigned oh, unsigned ow, out_T out[CONFIG_T::n_chan],
                const S_T inv_count[]) {
  NNET_PRAGMA(HLS INLINE)
  typedef typename CONFIG_T::accum_t acc_t;
  for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
    NNET_PRAGMA(HLS UNROLL)
    acc_t acc = 0;
    data_T best = 0;
    unsigned count = 0;
    for (unsigned kh = 0; kh < CONFIG_T::pool_height; kh++) {
      for (unsigned kw = 0; kw < CONFIG_T::pool_width; kw++) {
        const int ih = (int)(oh * CONFIG_T::stride_height + kh * CONFIG_T::dilation_height) - (int)CONFIG_T::pad_top;
        const int iw = (int)(ow * CONFIG_T::stride_width + kw * CONFIG_T::dilation_width) - (int)CONFIG_T::pad_left;
        if (ih < 0 || ih >= (int)CONFIG_T::in_height || iw < 0 || iw >= (int)CONFIG_T::in_width) continue;
        const data_T x = buf[(((unsigned)ih % rows_mod) * CONFIG_T::in_width + (unsigned)iw) * CONFIG_T::n_chan + c];
        if (CONFIG_T::is_max) {
          if (count == 0 || x > best) best = x;
        } else {
          acc += x;
        }
        count++;
      }
    }
    if (CONFIG_T::is_max) {
      out[c] = (out_T)best;
    } else {
      const unsigned n = CONFIG_T::count_include_pad ? CONFIG_T::pool_height * CONFIG_T::pool_width : count;
      out[c] = (out_T)(acc * value<typename CONFIG_T::scale_t>(inv_count[n]));
    }
  }
}

template <class data_T, class res_T, typename CONFIG_T, class S_T>
void pooling2d(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
               res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan], const S_T inv_count[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = data complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = res complete)
  for (unsigned p = 0; p < CONFIG_T::out_height * CONFIG_T::out_width; p++) {
    NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
    pool_pixel<data_T, res_T, CONFIG_T>(data, CONFIG_T::in_height, p / CONFIG_T::out_width, p % CONFIG_T::out_width,
                                        res + p * CONFIG_T::n_chan, inv_count);
  }
}

template <typename CONFIG_T>
inline int pool_last_row(unsigned oh) {
  const int r = (int)(oh * CONFIG_T::stride_height + (CONFIG_T::pool_height - 1) * CONFIG_T::dilation_height) - (int)CONFIG_T::pad_top;
  return r < 0 ? 0 : (r > (int)CONFIG_T::in_height - 1 ? (int)CONFIG_T::in_height - 1 : r);
}

// io_stream with a line buffer of the window's rows, as conv_2d_stream.
template <class data_T, class res_T, typename CONFIG_T, class S_T>
void pooling2d_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const S_T inv_count[]) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  enum {
    LB = (CONFIG_T::pool_height - 1) * CONFIG_T::dilation_height + 1,
    LBR = LB < (int)CONFIG_T::in_height ? LB : CONFIG_T::in_height,
    IP = data_T::size,
    OP = res_T::size
  };
  static_assert(CONFIG_T::n_chan % IP == 0 && CONFIG_T::n_chan % OP == 0, "beats must tile the channels");
  in_t lb[LBR * CONFIG_T::in_width * CONFIG_T::n_chan];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = lb cyclic factor = CONFIG_T::n_chan)
  unsigned oh = 0;
  for (unsigned ih = 0; ih < CONFIG_T::in_height; ih++) {
    read_row_into_line_buffer<data_T, CONFIG_T, LBR>(data, lb, ih);
    while (oh < CONFIG_T::out_height && pool_last_row<CONFIG_T>(oh) <= (int)ih) {
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
        NNET_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
        out_t px[CONFIG_T::n_chan];
        NNET_PRAGMA(HLS ARRAY_PARTITION variable = px complete)
        pool_pixel<in_t, out_t, CONFIG_T>(lb, LBR, oh, ow, px, inv_count);
        for (unsigned b = 0; b < CONFIG_T::n_chan / OP; b++) {
          res_T beat;
          for (unsigned i = 0; i < (unsigned)OP; i++) {
            NNET_PRAGMA(HLS UNROLL)
            beat[i] = px[b * OP + i];
          }
          res.write(beat);
        }
      }
      oh++;
    }
  }
}

struct global_pool_config {
  static const unsigned n_pixels = 1, n_chan = 1;
  static const bool is_max = true;
  typedef ap_fixed<32, 16> accum_t;
  typedef ap_fixed<18, 8> scale_t;
};

template <class data_T, class res_T, typename CONFIG_T, class S_T>
void global_pooling(const data_T data[CONFIG_T::n_pixels * CONFIG_T::n_chan], res_T res[CONFIG_T::n_chan], const S_T inv_count[]) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename CONFIG_T::accum_t acc_t;
  for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
    NNET_PRAGMA(HLS PIPELINE)
    acc_t acc = 0;
    data_T best = data[c];
    for (unsigned p = 0; p < CONFIG_T::n_pixels; p++) {
      const data_T x = data[p * CONFIG_T::n_chan + c];
      if (CONFIG_T::is_max) {
        if (x > best) best = x;
      } else {
        acc += x;
      }
    }
    if (CONFIG_T::is_max) res[c] = (res_T)best;
    else res[c] = (res_T)(acc * value<typename CONFIG_T::scale_t>(inv_count[0]));
  }
}

template <class data_T, class res_T, typename CONFIG_T, class S_T>
void global_pooling_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const S_T inv_count[]) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  typedef typename CONFIG_T::accum_t acc_t;
  enum { IP = data_T::size, OP = res_T::size };
  static_assert(CONFIG_T::n_chan % IP == 0 && CONFIG_T::n_chan % OP == 0, "beats must tile the channels");
  acc_t acc[CONFIG_T::n_chan];
  in_t best[CONFIG_T::n_chan];
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
  NNET_PRAGMA(HLS ARRAY_PARTITION variable = best complete)
  for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
    NNET_PRAGMA(HLS UNROLL)
    acc[c] = 0;
    best[c] = 0;
  }
  for (unsigned p = 0; p < CONFIG_T::n_pixels; p++) {
    for (unsigned b = 0; b < CONFIG_T::n_chan / IP; b++) {
      NNET_PRAGMA(HLS PIPELINE)
      const data_T beat = data.read();
      for (unsigned i = 0; i < (unsigned)IP; i++) {
        NNET_PRAGMA(HLS UNROLL)
        const unsigned c = b * IP + i;
        if (CONFIG_T::is_max) {
          if (p == 0 || beat[i] > best[c]) best[c] = beat[i];
        } else {
          acc[c] += beat[i];
        }
      }
    }
  }
  for (unsigned b = 0; b < CONFIG_T::n_chan / OP; b++) {
    NNET_PRAGMA(HLS PIPELINE)
    res_T beat;
    for (unsigned i = 0; i < (unsigned)OP; i++) {
      NNET_PRAGMA(HLS UNROLL)
      const unsigned c = b * OP + i;
      if (CONFIG_T::is_max) beat[i] = (out_t)best[c];
      else beat[i] = (out_t)(acc[c] * value<typename CONFIG_T::scale_t>(inv_count[0]));
    }
    res.write(beat);
  }
}

}  // namespace nnet

#endif
