// firmflow AIE kernel library: Dense / MatMul over aie::mmul microtiles, split along a cascade chain.
//
// Buffers (docs/design/aie-backend.md, "Data layouts"): A is [TILE_M/m][TILE_K/k][m][k], B (weights or the runtime
// second operand) is [TILE_K/k][TILE_N/n][k][n], C is [TILE_M/m][TILE_N/n][m][n]. The bias (int32, already at the
// product scale) starts the accumulator of the first kernel of the chain; the last kernel applies srs with
// Cfg::SHIFT (or Cfg::shift_of(column) for per-channel weights), then the fused ReLU.
#pragma once
#include "firmflow_aie.h"

namespace firmflow {

template <typename Cfg>
struct mmul_of {
  using type = aie::mmul<Cfg::MM_M, Cfg::MM_K, Cfg::MM_N, typename Cfg::a_t, typename Cfg::w_t, typename Cfg::acc_t>;
};

// One block row (MM_M rows) times one block column (MM_N columns) over this kernel's K slice.
template <typename Cfg, typename MMUL>
inline void mac_block(MMUL& acc, const typename Cfg::a_t* __restrict pa, const typename Cfg::w_t* __restrict pb) {
  constexpr unsigned KB = Cfg::TILE_K / Cfg::MM_K;
  constexpr unsigned NB = Cfg::TILE_N / Cfg::MM_N;
  for (unsigned kb = 0; kb < KB; ++kb)
    chess_prepare_for_pipelining chess_loop_range(1, ) {
      auto a = aie::load_v<MMUL::size_A>(pa);
      pa += MMUL::size_A;
      auto b = aie::load_v<MMUL::size_B>(pb);
      pb += MMUL::size_B * NB;
      acc.mac(a, b);
    }
}

template <typename Cfg, typename MMUL>
inline void init_block(MMUL& acc, const typename Cfg::bias_t* bias, unsigned nb) {
  if constexpr (Cfg::HAS_BIAS) {
    // The bias row repeated over the MM_M rows of the block.
    aie::vector<typename Cfg::bias_t, Cfg::MM_N> row = aie::load_v<Cfg::MM_N>(bias + nb * Cfg::MM_N);
    aie::vector<typename Cfg::bias_t, MMUL::size_C> blk;
    for (unsigned r = 0; r < Cfg::MM_M; ++r) blk.insert(r, row);
    acc = aie::accum<typename Cfg::acc_t, MMUL::size_C>(blk);
  } else {
    acc = aie::zeros<typename Cfg::acc_t, MMUL::size_C>();
  }
}

template <typename Cfg, typename MMUL>
inline void store_block(MMUL& acc, typename Cfg::out_t* __restrict pc, unsigned nb) {
  aie::vector<typename Cfg::out_t, MMUL::size_C> v;
  if constexpr (Cfg::PER_COLUMN_SHIFT) {
    // Columns with different shifts: one srs per column group of the block (MM_N distinct shifts).
    aie::accum<typename Cfg::acc_t, MMUL::size_C> a = acc.to_accum();
    alignas(32) typename Cfg::out_t tmp[MMUL::size_C];
    for (unsigned c = 0; c < Cfg::MM_N; ++c) {
      aie::vector<typename Cfg::out_t, MMUL::size_C> col = a.template to_vector<typename Cfg::out_t>(Cfg::SHIFTS[nb * Cfg::MM_N + c]);
      for (unsigned r = 0; r < Cfg::MM_M; ++r) tmp[r * Cfg::MM_N + c] = col[r * Cfg::MM_N + c];
    }
    v = aie::load_v<MMUL::size_C>(tmp);
  } else {
    v = acc.template to_vector<typename Cfg::out_t>(Cfg::SHIFT);
  }
  if constexpr (Cfg::RELU) v = aie::max(v, aie::zeros<typename Cfg::out_t, MMUL::size_C>());
  aie::store_v(pc, v);
}

// The body shared by every role: loops over output blocks, cascade in/out by role.
template <typename Cfg, Role R, unsigned B_BATCH_STRIDE>
inline void dense_body(const typename Cfg::a_t* __restrict A, const typename Cfg::w_t* __restrict B, const typename Cfg::bias_t* bias,
                       typename Cfg::out_t* __restrict C, input_cascade<typename Cfg::acc_t>* cin, output_cascade<typename Cfg::acc_t>* cout) {
  using MMUL = typename mmul_of<Cfg>::type;
  constexpr unsigned MB = Cfg::TILE_M / Cfg::MM_M;
  constexpr unsigned KB = Cfg::TILE_K / Cfg::MM_K;
  constexpr unsigned NB = Cfg::TILE_N / Cfg::MM_N;
  set_modes<Cfg>();
  // BATCH independent products (batched MatMul): A, B and C advance by one tile each; Dense weights are shared.
  for (unsigned bt = 0; bt < Cfg::BATCH; ++bt) {
    const typename Cfg::a_t* __restrict Ab = A + bt * Cfg::TILE_M * Cfg::TILE_K;
    const typename Cfg::w_t* __restrict Bb = B + bt * B_BATCH_STRIDE;
    typename Cfg::out_t* __restrict Cb = C ? C + bt * Cfg::TILE_M * Cfg::TILE_N : C;
    for (unsigned mb = 0; mb < MB; ++mb) {
      for (unsigned nb = 0; nb < NB; ++nb)
        chess_prepare_for_pipelining {
          MMUL acc;
          if constexpr (R == Role::single || R == Role::first) init_block<Cfg>(acc, bias, nb);
          else acc = readincr_v<MMUL::size_C>(cin);
          mac_block<Cfg>(acc, Ab + mb * KB * MMUL::size_A, Bb + nb * MMUL::size_B);
          if constexpr (R == Role::single || R == Role::last) store_block<Cfg>(acc, Cb + (mb * NB + nb) * MMUL::size_C, nb);
          else writeincr(cout, acc.to_accum());
        }
    }
  }
}

// Dense with tile-resident weights (constructor arguments: the kernel's blocked weight slice and bias slice).
template <typename Cfg, Role R>
class Dense {
  alignas(32) typename Cfg::w_t w_[Cfg::TILE_K * Cfg::TILE_N];
  alignas(32) typename Cfg::bias_t b_[Cfg::TILE_N];

 public:
  Dense(const typename Cfg::w_t (&w)[Cfg::TILE_K * Cfg::TILE_N], const typename Cfg::bias_t (&b)[Cfg::TILE_N]) {
    for (unsigned i = 0; i < Cfg::TILE_K * Cfg::TILE_N; ++i) w_[i] = w[i];
    for (unsigned i = 0; i < Cfg::TILE_N; ++i) b_[i] = b[i];
  }
  void run_single(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
    dense_body<Cfg, Role::single, 0>(in.data(), w_, b_, out.data(), nullptr, nullptr);
  }
  void run_first(adf::input_buffer<typename Cfg::a_t>& in, output_cascade<typename Cfg::acc_t>* cout) {
    dense_body<Cfg, Role::first, 0>(in.data(), w_, b_, nullptr, nullptr, cout);
  }
  void run_middle(adf::input_buffer<typename Cfg::a_t>& in, input_cascade<typename Cfg::acc_t>* cin, output_cascade<typename Cfg::acc_t>* cout) {
    dense_body<Cfg, Role::middle, 0>(in.data(), w_, b_, nullptr, cin, cout);
  }
  void run_last(adf::input_buffer<typename Cfg::a_t>& in, input_cascade<typename Cfg::acc_t>* cin, adf::output_buffer<typename Cfg::out_t>& out) {
    dense_body<Cfg, Role::last, 0>(in.data(), w_, b_, out.data(), cin, nullptr);
  }
  static void registerKernelClass() {
    if constexpr (R == Role::single) REGISTER_FUNCTION(Dense::run_single);
    else if constexpr (R == Role::first) REGISTER_FUNCTION(Dense::run_first);
    else if constexpr (R == Role::middle) REGISTER_FUNCTION(Dense::run_middle);
    else REGISTER_FUNCTION(Dense::run_last);
  }
};

// MatMul of two runtime operands (attention scores, context): B arrives on a second input buffer.
template <typename Cfg, Role R>
class MatMul {
 public:
  void run_single(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::w_t>& b, adf::output_buffer<typename Cfg::out_t>& out) {
    dense_body<Cfg, Role::single, Cfg::TILE_K * Cfg::TILE_N>(a.data(), b.data(), nullptr, out.data(), nullptr, nullptr);
  }
  void run_first(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::w_t>& b, output_cascade<typename Cfg::acc_t>* cout) {
    dense_body<Cfg, Role::first, Cfg::TILE_K * Cfg::TILE_N>(a.data(), b.data(), nullptr, nullptr, nullptr, cout);
  }
  void run_middle(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::w_t>& b, input_cascade<typename Cfg::acc_t>* cin,
                  output_cascade<typename Cfg::acc_t>* cout) {
    dense_body<Cfg, Role::middle, Cfg::TILE_K * Cfg::TILE_N>(a.data(), b.data(), nullptr, nullptr, cin, cout);
  }
  void run_last(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::w_t>& b, input_cascade<typename Cfg::acc_t>* cin,
                adf::output_buffer<typename Cfg::out_t>& out) {
    dense_body<Cfg, Role::last, Cfg::TILE_K * Cfg::TILE_N>(a.data(), b.data(), nullptr, out.data(), cin, nullptr);
  }
  static void registerKernelClass() {
    if constexpr (R == Role::single) REGISTER_FUNCTION(MatMul::run_single);
    else if constexpr (R == Role::first) REGISTER_FUNCTION(MatMul::run_first);
    else if constexpr (R == Role::middle) REGISTER_FUNCTION(MatMul::run_middle);
    else REGISTER_FUNCTION(MatMul::run_last);
  }
};

}  // namespace firmflow
