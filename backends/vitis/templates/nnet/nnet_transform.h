// Data movement: copies with a layout change (Transpose, broadcast), zero padding, nearest upsampling, and the
// io_stream helpers that repack beats or buffer a whole tensor. Values are converted to the result type on the way
// (normally the same type, so nothing changes).
#ifndef NNET_TRANSFORM_H_
#define NNET_TRANSFORM_H_

#include "nnet_common.h"

namespace nnet {

// out[i] = in[sum_k idx_k(i) * s_k] over the output's four axes d0..d3 (outermost first).
struct gather_config {
  static const unsigned n_out = 1;
  static const unsigned d0 = 1, d1 = 1, d2 = 1, d3 = 1;
  static const unsigned s0 = 0, s1 = 0, s2 = 0, s3 = 1;
  typedef ap_fixed<16, 6> in_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void gather(const data_T data[], res_T res[CONFIG_T::n_out]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_out; i++) {
    NNET_PRAGMA(HLS UNROLL)
    const unsigned i3 = i % CONFIG_T::d3, i2 = (i / CONFIG_T::d3) % CONFIG_T::d2;
    const unsigned i1 = (i / (CONFIG_T::d3 * CONFIG_T::d2)) % CONFIG_T::d1, i0 = i / (CONFIG_T::d3 * CONFIG_T::d2 * CONFIG_T::d1);
    res[i] = (res_T)value<typename CONFIG_T::in_t>(data[i0 * CONFIG_T::s0 + i1 * CONFIG_T::s1 + i2 * CONFIG_T::s2 + i3 * CONFIG_T::s3]);
  }
}

// Constant padding over up to four axes: out axis k has size d_k, the input sits at offset b_k with size e_k.
struct pad_config {
  static const unsigned n_out = 1;
  static const unsigned d0 = 1, d1 = 1, d2 = 1, d3 = 1;
  static const unsigned e0 = 1, e1 = 1, e2 = 1, e3 = 1;
  static const unsigned b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  typedef ap_fixed<16, 6> pad_t;
};

template <class data_T, class res_T, typename CONFIG_T, class P_T>
void pad(const data_T data[], res_T res[CONFIG_T::n_out], const P_T pad_value[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_out; i++) {
    NNET_PRAGMA(HLS UNROLL)
    const int i3 = (int)(i % CONFIG_T::d3) - (int)CONFIG_T::b3, i2 = (int)((i / CONFIG_T::d3) % CONFIG_T::d2) - (int)CONFIG_T::b2;
    const int i1 = (int)((i / (CONFIG_T::d3 * CONFIG_T::d2)) % CONFIG_T::d1) - (int)CONFIG_T::b1;
    const int i0 = (int)(i / (CONFIG_T::d3 * CONFIG_T::d2 * CONFIG_T::d1)) - (int)CONFIG_T::b0;
    const bool inside = i0 >= 0 && i0 < (int)CONFIG_T::e0 && i1 >= 0 && i1 < (int)CONFIG_T::e1 && i2 >= 0 && i2 < (int)CONFIG_T::e2 &&
                        i3 >= 0 && i3 < (int)CONFIG_T::e3;
    if (inside) {
      res[i] = (res_T)data[((i0 * CONFIG_T::e1 + i1) * CONFIG_T::e2 + i2) * CONFIG_T::e3 + i3];
    } else {
      res[i] = (res_T)value<typename CONFIG_T::pad_t>(pad_value[0]);
    }
  }
}

// io_stream zero padding of the spatial axes of an NHWC pixel stream.
struct pad_stream_config {
  static const unsigned in_height = 1, in_width = 1, n_chan = 1;
  static const unsigned pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  typedef ap_fixed<16, 6> pad_t;
};

template <class data_T, class res_T, typename CONFIG_T, class P_T>
void pad_stream(hls::stream<data_T>& data, hls::stream<res_T>& res, const P_T pad_value[]) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename res_T::value_type out_t;
  enum { P = res_T::size, OW = CONFIG_T::in_width + CONFIG_T::pad_left + CONFIG_T::pad_right };
  static_assert((unsigned)data_T::size == (unsigned)res_T::size && (unsigned)res_T::size == CONFIG_T::n_chan, "one pixel per beat");
  const out_t pv = (out_t)value<typename CONFIG_T::pad_t>(pad_value[0]);
  for (unsigned h = 0; h < CONFIG_T::in_height + CONFIG_T::pad_top + CONFIG_T::pad_bottom; h++) {
    for (unsigned w = 0; w < (unsigned)OW; w++) {
      NNET_PRAGMA(HLS PIPELINE)
      res_T out;
      const bool inside = h >= CONFIG_T::pad_top && h < CONFIG_T::pad_top + CONFIG_T::in_height && w >= CONFIG_T::pad_left &&
                          w < CONFIG_T::pad_left + CONFIG_T::in_width;
      if (inside) {
        const data_T in = data.read();
        for (unsigned i = 0; i < (unsigned)P; i++) out[i] = (out_t)in[i];
      } else {
        for (unsigned i = 0; i < (unsigned)P; i++) out[i] = pv;
      }
      res.write(out);
    }
  }
}

// Nearest upsampling by integer factors: out[h][w][c] = in[h / scale_height][w / scale_width][c].
struct upsample_config {
  static const unsigned in_height = 1, in_width = 1, n_chan = 1;
  static const unsigned scale_height = 1, scale_width = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void upsample(const data_T data[], res_T res[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE)
  enum { OH = CONFIG_T::in_height * CONFIG_T::scale_height, OW = CONFIG_T::in_width * CONFIG_T::scale_width };
  for (unsigned i = 0; i < (unsigned)(OH * OW) * CONFIG_T::n_chan; i++) {
    NNET_PRAGMA(HLS UNROLL)
    const unsigned c = i % CONFIG_T::n_chan, w = (i / CONFIG_T::n_chan) % OW, h = i / (CONFIG_T::n_chan * OW);
    res[i] = (res_T)data[((h / CONFIG_T::scale_height) * CONFIG_T::in_width + w / CONFIG_T::scale_width) * CONFIG_T::n_chan + c];
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void upsample_stream(hls::stream<data_T>& data, hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename data_T::value_type in_t;
  typedef typename res_T::value_type out_t;
  enum { P = res_T::size };
  static_assert((unsigned)data_T::size == CONFIG_T::n_chan && (unsigned)res_T::size == CONFIG_T::n_chan, "one pixel per beat");
  in_t row[CONFIG_T::in_width * CONFIG_T::n_chan];
  for (unsigned h = 0; h < CONFIG_T::in_height; h++) {
    for (unsigned w = 0; w < CONFIG_T::in_width; w++) {
      NNET_PRAGMA(HLS PIPELINE)
      const data_T in = data.read();
      for (unsigned i = 0; i < (unsigned)P; i++) row[w * CONFIG_T::n_chan + i] = in[i];
    }
    for (unsigned r = 0; r < CONFIG_T::scale_height; r++) {
      for (unsigned w = 0; w < CONFIG_T::in_width * CONFIG_T::scale_width; w++) {
        NNET_PRAGMA(HLS PIPELINE)
        res_T out;
        for (unsigned i = 0; i < (unsigned)P; i++) out[i] = (out_t)row[(w / CONFIG_T::scale_width) * CONFIG_T::n_chan + i];
        res.write(out);
      }
    }
  }
}

// Nearest resizing by per-axis index maps (any layout, up to three axes per sample): out[i][j][k] =
// in[m0[i]][m1[j]][m2[k]], the maps computed once in TypeScript by the interpreter's own rule.
struct resize_config {
  static const unsigned n_out = 1;
  static const unsigned d0 = 1, d1 = 1, d2 = 1;  // output axes
  static const unsigned e1 = 1, e2 = 1;          // input axes 1 and 2
};

template <class data_T, class res_T, typename CONFIG_T>
void resize_nearest(const data_T data[], res_T res[CONFIG_T::n_out], const unsigned m0[], const unsigned m1[], const unsigned m2[]) {
  NNET_PRAGMA(HLS INLINE off)
  NNET_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_out; i++) {
    NNET_PRAGMA(HLS UNROLL)
    const unsigned k = i % CONFIG_T::d2, j = (i / CONFIG_T::d2) % CONFIG_T::d1, h = i / (CONFIG_T::d2 * CONFIG_T::d1);
    res[i] = (res_T)data[(m0[h] * CONFIG_T::e1 + m1[j]) * CONFIG_T::e2 + m2[k]];
  }
}

// io_stream repacking: the same n values in another beat size (Reshape, Flatten) and type.
template <class data_T, class res_T, unsigned N>
void repack_stream(hls::stream<data_T>& data, hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE off)
  typedef typename res_T::value_type out_t;
  enum { IP = data_T::size, OP = res_T::size };
  static_assert(N % IP == 0 && N % OP == 0, "beats must tile the tensor");
  if ((unsigned)IP == (unsigned)OP) {
    for (unsigned n = 0; n < N / IP; n++) {
      NNET_PRAGMA(HLS PIPELINE)
      const data_T in = data.read();
      res_T out;
      for (unsigned i = 0; i < (unsigned)OP; i++) out[i] = (out_t)in[i % IP];
      res.write(out);
    }
    return;
  }
  data_T in;
  res_T out;
  unsigned ii = IP, oi = 0;
  for (unsigned n = 0; n < N; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    if (ii == (unsigned)IP) {
      in = data.read();
      ii = 0;
    }
    out[oi++] = (out_t)in[ii++];
    if (oi == (unsigned)OP) {
      res.write(out);
      oi = 0;
    }
  }
}

// Whole-tensor buffering, for layers whose io_stream form reads an input out of order (Transpose, broadcasts,
// concatenation along an outer axis): the parallel kernel runs between these two.
template <class data_T, class T, unsigned N>
void stream_to_array(hls::stream<data_T>& data, T out[N]) {
  NNET_PRAGMA(HLS INLINE)
  enum { P = data_T::size };
  for (unsigned n = 0; n < N / P; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    const data_T in = data.read();
    for (unsigned i = 0; i < (unsigned)P; i++) out[n * P + i] = (T)in[i];
  }
}

template <class T, class res_T, unsigned N>
void array_to_stream(const T in[N], hls::stream<res_T>& res) {
  NNET_PRAGMA(HLS INLINE)
  typedef typename res_T::value_type out_t;
  enum { P = res_T::size };
  for (unsigned n = 0; n < N / P; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    res_T out;
    for (unsigned i = 0; i < (unsigned)P; i++) out[i] = (out_t)in[n * P + i];
    res.write(out);
  }
}

// A stream read by several layers is copied into one stream per reader.
template <class data_T, unsigned N_BEATS>
void clone_stream(hls::stream<data_T>& data, hls::stream<data_T>& a, hls::stream<data_T>& b) {
  NNET_PRAGMA(HLS INLINE off)
  for (unsigned n = 0; n < N_BEATS; n++) {
    NNET_PRAGMA(HLS PIPELINE)
    const data_T v = data.read();
    a.write(v);
    b.write(v);
  }
}

}  // namespace nnet

#endif
