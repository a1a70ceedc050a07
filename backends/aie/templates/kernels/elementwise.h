// firmflow AIE kernel library: Add, ReLU / requantization, Transpose of the last two axes. Row-major buffers.
#pragma once
#include "firmflow_aie.h"

namespace firmflow {

// Add: both operands are moved to the finer scale by exact left shifts in the accumulator, added, then srs.
// Cfg: a_t, b_t, out_t, acc_t, LANES, SIZE (output elements), B_SIZE (elements of b; < SIZE when b is broadcast
// along the leading axes), SHIFT_A, SHIFT_B (left shifts), SHIFT (srs), RELU, ROUNDING, SATURATION.
template <typename Cfg>
inline void add_body(const typename Cfg::a_t* __restrict pa, const typename Cfg::b_t* __restrict pb, typename Cfg::out_t* __restrict po) {
  constexpr unsigned L = Cfg::LANES;
  set_modes<Cfg>();
  for (unsigned i = 0; i < Cfg::SIZE; i += L)
    chess_prepare_for_pipelining {
      aie::accum<typename Cfg::acc_t, L> acc;
      acc.from_vector(aie::load_v<L>(pa + i), Cfg::SHIFT_A);
      aie::accum<typename Cfg::acc_t, L> accb;
      accb.from_vector(aie::load_v<L>(pb + (i % Cfg::B_SIZE)), Cfg::SHIFT_B);
      acc = aie::add(acc, accb);
      aie::vector<typename Cfg::out_t, L> v = acc.template to_vector<typename Cfg::out_t>(Cfg::SHIFT);
      if constexpr (Cfg::RELU) v = aie::max(v, aie::zeros<typename Cfg::out_t, L>());
      aie::store_v(po + i, v);
    }
}

template <typename Cfg>
void add(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::b_t>& b, adf::output_buffer<typename Cfg::out_t>& out) {
  add_body<Cfg>(a.data(), b.data(), out.data());
}

// Add of a runtime tensor and a constant (a residual bias, a positional table): the constant lives in the tile.
template <typename Cfg>
class AddConst {
  alignas(32) typename Cfg::b_t c_[Cfg::B_SIZE];

 public:
  AddConst(const typename Cfg::b_t (&c)[Cfg::B_SIZE]) {
    for (unsigned i = 0; i < Cfg::B_SIZE; ++i) c_[i] = c[i];
  }
  void run(adf::input_buffer<typename Cfg::a_t>& a, adf::output_buffer<typename Cfg::out_t>& out) { add_body<Cfg>(a.data(), c_, out.data()); }
  static void registerKernelClass() { REGISTER_FUNCTION(AddConst::run); }
};

// ReLU with a change of scale: max(0, x), then srs by SHIFT (a negative SHIFT is a left shift: UPSHIFT).
template <typename Cfg>
void relu(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
  constexpr unsigned L = Cfg::LANES;
  set_modes<Cfg>();
  const typename Cfg::a_t* __restrict pi = in.data();
  typename Cfg::out_t* __restrict po = out.data();
  for (unsigned i = 0; i < Cfg::SIZE; i += L)
    chess_prepare_for_pipelining {
      auto x = aie::max(aie::load_v<L>(pi + i), aie::zeros<typename Cfg::a_t, L>());
      aie::accum<typename Cfg::acc_t, L> acc;
      acc.from_vector(x, Cfg::UPSHIFT);
      aie::store_v(po + i, acc.template to_vector<typename Cfg::out_t>(Cfg::SHIFT));
    }
}

// Transpose of the last two axes (ROWS x COLS -> COLS x ROWS), BATCH matrices; values are copied (same scale).
template <typename Cfg>
void transpose(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
  const typename Cfg::a_t* __restrict pi = in.data();
  typename Cfg::out_t* __restrict po = out.data();
  for (unsigned b = 0; b < Cfg::BATCH; ++b)
    for (unsigned r = 0; r < Cfg::ROWS; ++r)
      for (unsigned c = 0; c < Cfg::COLS; ++c)
        chess_prepare_for_pipelining po[b * Cfg::ROWS * Cfg::COLS + c * Cfg::ROWS + r] = pi[b * Cfg::ROWS * Cfg::COLS + r * Cfg::COLS + c];
}

}  // namespace firmflow
