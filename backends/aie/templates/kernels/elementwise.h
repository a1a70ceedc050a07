// firmflow AIE kernel library: Add (equal shapes, a constant, a broadcast runtime operand), ReLU / requantization, Sigmoid / Tanh
// (table lookups), Transpose of the last two axes. Row-major buffers.
#pragma once
#include "firmflow_aie.h"

namespace firmflow {

// Add: both operands are moved to the finer scale by exact left shifts in the accumulator, added, then srs.
// Cfg: a_t, b_t, out_t, acc_t, LANES, SIZE (output elements), B_SIZE (elements of b, a multiple of LANES or at least
// SIZE rounded up to LANES; < SIZE when b repeats, e.g. a constant broadcast along the leading axes), SHIFT_A,
// SHIFT_B (left shifts), SHIFT (srs), RELU, ROUNDING, SATURATION, CLAMP (a narrow output's range). A SIZE that is not a multiple of LANES (a row
// split's kernel) ends with one partial vector, gathered and scattered lane by lane.
template <typename Cfg>
inline aie::vector<typename Cfg::out_t, Cfg::LANES> add_lanes(const aie::vector<typename Cfg::a_t, Cfg::LANES>& va, const aie::vector<typename Cfg::b_t, Cfg::LANES>& vb) {
  constexpr unsigned L = Cfg::LANES;
  aie::accum<typename Cfg::acc_t, L> acc;
  acc.from_vector(va, Cfg::SHIFT_A);
  aie::accum<typename Cfg::acc_t, L> accb;
  accb.from_vector(vb, Cfg::SHIFT_B);
  acc = aie::add(acc, accb);
  aie::vector<typename Cfg::out_t, L> v = acc.template to_vector<typename Cfg::out_t>(Cfg::SHIFT);
  if constexpr (Cfg::RELU) v = aie::max(v, aie::zeros<typename Cfg::out_t, L>());
  return clamp_codes<Cfg>(v);
}

template <typename Cfg>
inline void add_body(const typename Cfg::a_t* __restrict pa, const typename Cfg::b_t* __restrict pb, typename Cfg::out_t* __restrict po) {
  constexpr unsigned L = Cfg::LANES;
  static_assert(Cfg::B_SIZE % L == 0 || Cfg::B_SIZE >= Cfg::SIZE, "add: B_SIZE must be a multiple of LANES or cover SIZE");
  set_modes<Cfg>();
  unsigned i = 0;
  for (; i + L <= Cfg::SIZE; i += L)
    chess_prepare_for_pipelining {
      aie::store_v(po + i, add_lanes<Cfg>(aie::load_v<L>(pa + i), aie::load_v<L>(pb + (i % Cfg::B_SIZE))));
    }
  if constexpr (Cfg::SIZE % L != 0) {
    aie::vector<typename Cfg::a_t, L> va = aie::zeros<typename Cfg::a_t, L>();
    aie::vector<typename Cfg::b_t, L> vb = aie::zeros<typename Cfg::b_t, L>();
    const unsigned ib = i % Cfg::B_SIZE;
    for (unsigned j = 0; j < Cfg::SIZE % L; ++j) {
      va.set(pa[i + j], j);
      vb.set(pb[ib + j], j);
    }
    const aie::vector<typename Cfg::out_t, L> v = add_lanes<Cfg>(va, vb);
    for (unsigned j = 0; j < Cfg::SIZE % L; ++j) po[i + j] = v.get(j);
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

// Add of a runtime operand b that broadcasts (backends/aie/src/broadcast.ts): the kernel's output row r (row ROW0 + r
// of the layer) adds row ((ROW0 + r) / GROUP) % PERIOD - BASE of the kernel's b window (no % with PERIOD 0), which
// holds B_COLS values per row: COLS (b repeats over rows) or 1 (one value for the whole row). Cfg: as for add, and
// COLS (row length; SIZE is a whole number of rows), GROUP, PERIOD, B_COLS. Rows a whole number of vectors long are
// vectorized row by row; other row lengths gather b lane by lane.
template <typename Cfg, unsigned ROW0, unsigned BASE>
inline unsigned broadcast_row(unsigned r) {
  unsigned g = (ROW0 + r) / Cfg::GROUP;
  if constexpr (Cfg::PERIOD != 0) g %= Cfg::PERIOD;
  return (g - BASE) * Cfg::B_COLS;
}

template <typename Cfg, unsigned ROW0, unsigned BASE>
void add_broadcast(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::b_t>& b, adf::output_buffer<typename Cfg::out_t>& out) {
  constexpr unsigned L = Cfg::LANES, C = Cfg::COLS;
  static_assert(Cfg::SIZE % C == 0 && (Cfg::B_COLS == 1 || Cfg::B_COLS == C), "add_broadcast: SIZE is whole rows; b rows hold COLS or 1 values");
  set_modes<Cfg>();
  const typename Cfg::a_t* __restrict pa = a.data();
  const typename Cfg::b_t* __restrict pb = b.data();
  typename Cfg::out_t* __restrict po = out.data();
  if constexpr (C % L == 0) {
    for (unsigned r = 0; r < Cfg::SIZE / C; ++r) {
      const typename Cfg::b_t* br = pb + broadcast_row<Cfg, ROW0, BASE>(r);
      for (unsigned j = 0; j < C; j += L)
        chess_prepare_for_pipelining {
          aie::vector<typename Cfg::b_t, L> vb;
          if constexpr (Cfg::B_COLS == 1) vb = aie::broadcast<typename Cfg::b_t, L>(br[0]);
          else vb = aie::load_v<L>(br + j);
          aie::store_v(po + r * C + j, add_lanes<Cfg>(aie::load_v<L>(pa + r * C + j), vb));
        }
    }
  } else {
    for (unsigned i = 0; i < Cfg::SIZE; i += L) {
      const unsigned n = Cfg::SIZE - i < L ? Cfg::SIZE - i : L;
      aie::vector<typename Cfg::a_t, L> va = aie::zeros<typename Cfg::a_t, L>();
      aie::vector<typename Cfg::b_t, L> vb = aie::zeros<typename Cfg::b_t, L>();
      for (unsigned j = 0; j < n; ++j) {
        const unsigned e = i + j;
        va.set(pa[e], j);
        vb.set(pb[broadcast_row<Cfg, ROW0, BASE>(e / C) + (Cfg::B_COLS == 1 ? 0 : e % C)], j);
      }
      const aie::vector<typename Cfg::out_t, L> v = add_lanes<Cfg>(va, vb);
      for (unsigned j = 0; j < n; ++j) po[i + j] = v.get(j);
    }
  }
}

// ReLU with a change of scale: max(0, x), then srs by SHIFT (a negative SHIFT is a left shift: UPSHIFT). A SIZE
// that is not a multiple of LANES ends with one partial vector.
template <typename Cfg>
inline aie::vector<typename Cfg::out_t, Cfg::LANES> relu_lanes(const aie::vector<typename Cfg::a_t, Cfg::LANES>& in) {
  constexpr unsigned L = Cfg::LANES;
  auto x = aie::max(in, aie::zeros<typename Cfg::a_t, L>());
  aie::accum<typename Cfg::acc_t, L> acc;
  acc.from_vector(x, Cfg::UPSHIFT);
  return clamp_codes<Cfg>(acc.template to_vector<typename Cfg::out_t>(Cfg::SHIFT));
}

template <typename Cfg>
void relu(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
  constexpr unsigned L = Cfg::LANES;
  set_modes<Cfg>();
  const typename Cfg::a_t* __restrict pi = in.data();
  typename Cfg::out_t* __restrict po = out.data();
  unsigned i = 0;
  for (; i + L <= Cfg::SIZE; i += L)
    chess_prepare_for_pipelining {
      aie::store_v(po + i, relu_lanes<Cfg>(aie::load_v<L>(pi + i)));
    }
  if constexpr (Cfg::SIZE % L != 0) {
    aie::vector<typename Cfg::a_t, L> va = aie::zeros<typename Cfg::a_t, L>();
    for (unsigned j = 0; j < Cfg::SIZE % L; ++j) va.set(pi[i + j], j);
    const aie::vector<typename Cfg::out_t, L> v = relu_lanes<Cfg>(va);
    for (unsigned j = 0; j < Cfg::SIZE % L; ++j) po[i + j] = v.get(j);
  }
}

// Sigmoid / Tanh of int8 codes: OUT[i] = TABLE[IN[i] + 128]. Cfg: a_t = int8, out_t, SIZE. Constructor: the 256-entry
// table of output codes (firmflow's intActivationTable: the output quantizer's rounding, saturation and clamp of
// f(code 2^-frac_in) 2^frac_out, computed once in TypeScript); the kernel does no arithmetic on values.
template <typename Cfg>
class LookupInt8 {
  alignas(32) typename Cfg::out_t t_[256];

 public:
  LookupInt8(const typename Cfg::out_t (&table)[256]) {
    for (unsigned i = 0; i < 256; ++i) t_[i] = table[i];
  }
  void run(adf::input_buffer<int8>& in, adf::output_buffer<typename Cfg::out_t>& out) {
    const int8* __restrict pi = in.data();
    typename Cfg::out_t* __restrict po = out.data();
    for (unsigned i = 0; i < Cfg::SIZE; ++i)
      chess_prepare_for_pipelining {
        po[i] = t_[int(pi[i]) + 128];
      }
  }
  static void registerKernelClass() { REGISTER_FUNCTION(LookupInt8::run); }
};

// Sigmoid / Tanh in bf16, by the input's bit pattern b (sign s, exponent field E, mantissa m): a NaN passes through;
// E < E0 gives BELOW (or the input itself when BELOW_IDENTITY); E >= E1 gives SAT_POS / SAT_NEG; otherwise
// TABLE[(s (E1 - E0) + E - E0) 128 + m]. Cfg: a_t = out_t = bfloat16, SIZE, E0, E1, BELOW_IDENTITY, BELOW, SAT_POS,
// SAT_NEG. Constructor: the table of bf16 patterns (firmflow's bf16ActivationTable: bf16(f(x)) rounded once from
// double); the three rules equal bf16(f(x)) on every bf16 input.
template <typename Cfg>
class LookupBf16 {
  static constexpr unsigned N = 2 * (Cfg::E1 - Cfg::E0) * 128;
  alignas(32) uint16 t_[N];

 public:
  LookupBf16(const uint16 (&table)[N]) {
    for (unsigned i = 0; i < N; ++i) t_[i] = table[i];
  }
  void run(adf::input_buffer<bfloat16>& in, adf::output_buffer<bfloat16>& out) {
    const bfloat16* __restrict pi = in.data();
    bfloat16* __restrict po = out.data();
    for (unsigned i = 0; i < Cfg::SIZE; ++i)
      chess_prepare_for_pipelining {
        uint16 b;
        __builtin_memcpy(&b, static_cast<const void*>(pi + i), sizeof b);
        const unsigned e = (unsigned(b) >> 7) & 0xffu, s = unsigned(b) >> 15;
        uint16 r;
        if ((b & 0x7fffu) > 0x7f80u) r = b;
        else if (e < Cfg::E0) r = Cfg::BELOW_IDENTITY ? b : Cfg::BELOW;
        else if (e >= Cfg::E1) r = s ? Cfg::SAT_NEG : Cfg::SAT_POS;
        else r = t_[(s * (Cfg::E1 - Cfg::E0) + e - Cfg::E0) * 128u + (b & 0x7fu)];
        __builtin_memcpy(static_cast<void*>(po + i), &r, sizeof r);
      }
  }
  static void registerKernelClass() { REGISTER_FUNCTION(LookupBf16::run); }
};

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
