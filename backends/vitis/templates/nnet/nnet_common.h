// firmflow kernel library: shared definitions (our own code).
// Every kernel is a function template over a config struct written by the project writer; the arithmetic is the
// one of docs/design/vitis-backend.md, which the TypeScript emulator follows bit for bit.
#ifndef NNET_COMMON_H_
#define NNET_COMMON_H_

#include "ap_fixed.h"
#include "ap_int.h"
#include "hls_stream.h"

// HLS directives go through _Pragma so that host compilers never see an unknown pragma (g++ -Wall warns about
// them) while Vitis/Vivado HLS, which define __SYNTHESIS__, receive them unchanged.
#ifdef __SYNTHESIS__
#define NNET_PRAGMA(x) _Pragma(#x)
#else
#define NNET_PRAGMA(x)
#endif

// Storage binding of ROM-like constant arrays differs between the tools.
#ifdef FIRMFLOW_VIVADO
#define NNET_ROM(var) NNET_PRAGMA(HLS RESOURCE variable = var core = ROM_nP_BRAM)
#else
#define NNET_ROM(var) NNET_PRAGMA(HLS BIND_STORAGE variable = var type = rom_np impl = bram)
#endif

namespace nnet {

// One stream beat: a fixed number of values (the channels of a pixel, or a whole vector).
template <class T, unsigned N>
struct array {
  typedef T value_type;
  static const unsigned size = N;
  T data[N];
  T& operator[](unsigned i) { return data[i]; }
  const T& operator[](unsigned i) const { return data[i]; }
};

// Constants are stored either in their own type (host simulation: filled from weights.bin) or as the integer codes
// of that type (synthesis headers: exact integer literals). value<T>() gives the typed value in both cases; the
// reinterpretation of the code's bits costs no hardware.
template <class T>
inline T value(const T& v) {
  return v;
}
template <class T, int W>
inline T value(const ap_int<W>& code) {
  T t;
  t.range(W - 1, 0) = code.range(W - 1, 0);
  return t;
}
template <class T, int W>
inline T value(const ap_uint<W>& code) {
  T t;
  t.range(W - 1, 0) = code.range(W - 1, 0);
  return t;
}

// Integer code of a fixed-point value (value = code * 2^-(W - I)).
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline long long code_of(const ap_fixed<W, I, Q, O, N>& x) {
  ap_int<W> c;
  c.range(W - 1, 0) = x.range(W - 1, 0);
  return c.to_int64();
}
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N>
inline long long code_of(const ap_ufixed<W, I, Q, O, N>& x) {
  ap_uint<W> c;
  c.range(W - 1, 0) = x.range(W - 1, 0);
  return (long long)c.to_uint64();
}
template <int W>
inline long long code_of(const ap_int<W>& x) {
  return x.to_int64();
}
template <int W>
inline long long code_of(const ap_uint<W>& x) {
  return (long long)x.to_uint64();
}

// Index into a lookup table of `size` entries over [lo, hi) with size / (hi - lo) = 2^k, from a code with F fractional
// bits: floor((x - lo) * 2^k) = floor(code * 2^(k - F)) - lo * 2^k, with shift = F - k and offset = lo * 2^k (an
// integer: lo is a multiple of the table step). Clamped to the table, so values beyond the range read the end
// entries.
template <unsigned size, int shift, long long offset>
inline unsigned table_index(long long code) {
  long long i;
  if (shift >= 0) {
    i = code >> (shift >= 0 ? shift : 0);
  } else {
    i = code * (1LL << (shift < 0 ? -shift : 0));
  }
  i -= offset;
  if (i < 0) return 0;
  if (i > (long long)size - 1) return size - 1;
  return (unsigned)i;
}

template <class T>
inline T max_of(const T& a, const T& b) {
  return a >= b ? a : b;
}

// io_stream line buffers: reads input row `ih` (in_width pixels of n_chan values, data_T::size values per beat)
// into slot ih % LBR of a circular buffer of LBR rows. Shared by the stream convolution and pooling kernels.
template <class data_T, typename CONFIG_T, int LBR>
inline void read_row_into_line_buffer(hls::stream<data_T>& data, typename data_T::value_type lb[], unsigned ih) {
  NNET_PRAGMA(HLS INLINE)
  enum { IP = data_T::size };
  for (unsigned b = 0; b < CONFIG_T::in_width * (CONFIG_T::n_chan / IP); b++) {
    NNET_PRAGMA(HLS PIPELINE)
    const data_T beat = data.read();
    const unsigned base = ((ih % LBR) * CONFIG_T::in_width) * CONFIG_T::n_chan + b * IP;
    for (unsigned i = 0; i < (unsigned)IP; i++) {
      NNET_PRAGMA(HLS UNROLL)
      lb[base + i] = beat[i];
    }
  }
}

}  // namespace nnet

#endif
