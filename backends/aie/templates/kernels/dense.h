// firmflow AIE kernel library: Dense / MatMul over aie::mmul microtiles, split along a cascade chain.
//
// Buffers (docs/design/aie-backend.md, "Data layouts"): A is [TILE_M/m][TILE_K/k][m][k], B (weights or the runtime
// second operand) is [TILE_K/k][TILE_N/n][k][n], C is [TILE_M/m][TILE_N/n][m][n]. The bias (int32, already at the
// product scale) starts the accumulator of the first kernel of the chain; the last kernel applies srs with
// Cfg::SHIFT (or Cfg::shift_of(column) for per-channel weights), then the fused ReLU and a narrow output's clamp.
// An int32 output (Cfg::INT32_OUT: a float graph output with no quantizer) keeps the exact accumulator instead: srs
// with shift 0 to int32, shifted left by Cfg::UPSHIFT (or Cfg::UPSHIFTS[column]) onto the output grid, plus the bias
// on that grid, which the chain's last kernel holds.
#pragma once
#include <type_traits>

#include "firmflow_aie.h"

namespace firmflow {

template <typename Cfg>
struct mmul_of {
  using type = aie::mmul<Cfg::MM_M, Cfg::MM_K, Cfg::MM_N, typename Cfg::a_t, typename Cfg::w_t, typename Cfg::acc_t>;
};

// One block row (MM_M rows) times one block column (MM_N columns) over this kernel's K slice. B holds NB block
// columns per block row (the whole TILE_N, or one streamed chunk of CHUNK_N).
template <typename Cfg, typename MMUL, unsigned NB = Cfg::TILE_N / Cfg::MM_N>
inline void mac_block(MMUL& acc, const typename Cfg::a_t* __restrict pa, const typename Cfg::w_t* __restrict pb) {
  constexpr unsigned KB = Cfg::TILE_K / Cfg::MM_K;
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
  if constexpr (Cfg::HAS_BIAS && !Cfg::INT32_OUT) {
    // The bias row repeated over the MM_M rows of the block.
    aie::vector<typename Cfg::bias_t, Cfg::MM_N> row = aie::load_v<Cfg::MM_N>(bias + nb * Cfg::MM_N);
    aie::vector<typename Cfg::bias_t, MMUL::size_C> blk;
    for (unsigned r = 0; r < Cfg::MM_M; ++r) blk.insert(r, row);
    acc = aie::accum<typename Cfg::acc_t, MMUL::size_C>(blk);
  } else {
    acc = aie::zeros<typename Cfg::acc_t, MMUL::size_C>();
  }
}

// int32 output codes: y = P * 2^UPSHIFT + B, exact within the bound quantize.ts checks (|y| < 2^31 for every input).
template <typename Cfg, unsigned COL0, typename MMUL>
inline aie::vector<int32, MMUL::size_C> int32_block(MMUL& acc, const typename Cfg::bias_t* bias, unsigned nb) {
  using A = aie::accum<typename Cfg::acc_t, MMUL::size_C>;
  const aie::vector<int32, MMUL::size_C> p = acc.template to_vector<int32>(0);
  aie::vector<int32, MMUL::size_C> blk = aie::zeros<int32, MMUL::size_C>();
  if constexpr (Cfg::HAS_BIAS) {
    const aie::vector<int32, Cfg::MM_N> row = aie::load_v<Cfg::MM_N>(bias + nb * Cfg::MM_N);
    for (unsigned r = 0; r < Cfg::MM_M; ++r) blk.insert(r, row);
  }
  if constexpr (Cfg::PER_COLUMN_UPSHIFT) {
    // Per-channel weights: one upshift per column group of the block.
    alignas(32) int32 tmp[MMUL::size_C];
    for (unsigned c = 0; c < Cfg::MM_N; ++c) {
      const aie::vector<int32, MMUL::size_C> col = aie::add(A(p, Cfg::UPSHIFTS[COL0 + nb * Cfg::MM_N + c]), A(blk)).template to_vector<int32>(0);
      for (unsigned r = 0; r < Cfg::MM_M; ++r) tmp[r * Cfg::MM_N + c] = col[r * Cfg::MM_N + c];
    }
    return aie::load_v<MMUL::size_C>(tmp);
  } else {
    return aie::add(A(p, Cfg::UPSHIFT), A(blk)).template to_vector<int32>(0);
  }
}

// COL0: the kernel's first output column in the layer (chain c of an N split starts at c * TILE_N); it picks the
// kernel's per-column shifts out of Cfg::SHIFTS (or upshifts out of Cfg::UPSHIFTS).
template <typename Cfg, unsigned COL0 = 0, typename MMUL>
inline void store_block(MMUL& acc, typename Cfg::out_t* __restrict pc, unsigned nb, int shift = Cfg::SHIFT, const typename Cfg::bias_t* bias = nullptr) {
  aie::vector<typename Cfg::out_t, MMUL::size_C> v;
  if constexpr (Cfg::INT32_OUT) {
    static_assert(std::is_same_v<typename Cfg::out_t, int32>, "an INT32_OUT layer writes int32 codes");
    (void)shift;
    v = int32_block<Cfg, COL0>(acc, bias, nb);
  } else if constexpr (Cfg::PER_COLUMN_SHIFT) {
    // Columns with different shifts: one srs per column group of the block (MM_N distinct shifts).
    aie::accum<typename Cfg::acc_t, MMUL::size_C> a = acc.to_accum();
    alignas(32) typename Cfg::out_t tmp[MMUL::size_C];
    for (unsigned c = 0; c < Cfg::MM_N; ++c) {
      aie::vector<typename Cfg::out_t, MMUL::size_C> col = a.template to_vector<typename Cfg::out_t>(Cfg::SHIFTS[COL0 + nb * Cfg::MM_N + c]);
      for (unsigned r = 0; r < Cfg::MM_M; ++r) tmp[r * Cfg::MM_N + c] = col[r * Cfg::MM_N + c];
    }
    v = aie::load_v<MMUL::size_C>(tmp);
  } else {
    v = acc.template to_vector<typename Cfg::out_t>(shift);
  }
  if constexpr (Cfg::RELU) v = aie::max(v, aie::zeros<typename Cfg::out_t, MMUL::size_C>());
  aie::store_v(pc, clamp_codes<Cfg>(v));
}

// The body shared by every role: loops over output blocks, cascade in/out by role.
template <typename Cfg, Role R, unsigned B_BATCH_STRIDE, unsigned COL0 = 0>
inline void dense_body(const typename Cfg::a_t* __restrict A, const typename Cfg::w_t* __restrict B, const typename Cfg::bias_t* bias,
                       typename Cfg::out_t* __restrict C, input_cascade<typename Cfg::acc_t>* cin, output_cascade<typename Cfg::acc_t>* cout,
                       int shift = Cfg::SHIFT) {
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
          if constexpr (R == Role::single || R == Role::last) store_block<Cfg, COL0>(acc, Cb + (mb * NB + nb) * MMUL::size_C, nb, shift, bias);
          else writeincr(cout, acc.to_accum());
        }
    }
  }
}

// Dense with tile-resident weights (constructor arguments: the kernel's blocked weight slice and bias slice). COL0:
// the kernel's first output column (per-column shifts).
template <typename Cfg, Role R, unsigned COL0 = 0>
class Dense {
  alignas(32) typename Cfg::w_t w_[Cfg::TILE_K * Cfg::TILE_N];
  alignas(32) typename Cfg::bias_t b_[Cfg::TILE_N];

 public:
  Dense(const typename Cfg::w_t (&w)[Cfg::TILE_K * Cfg::TILE_N], const typename Cfg::bias_t (&b)[Cfg::TILE_N]) {
    for (unsigned i = 0; i < Cfg::TILE_K * Cfg::TILE_N; ++i) w_[i] = w[i];
    for (unsigned i = 0; i < Cfg::TILE_N; ++i) b_[i] = b[i];
  }
  void run_single(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
    dense_body<Cfg, Role::single, 0, COL0>(in.data(), w_, b_, out.data(), nullptr, nullptr);
  }
  void run_first(adf::input_buffer<typename Cfg::a_t>& in, output_cascade<typename Cfg::acc_t>* cout) {
    dense_body<Cfg, Role::first, 0, COL0>(in.data(), w_, b_, nullptr, nullptr, cout);
  }
  void run_middle(adf::input_buffer<typename Cfg::a_t>& in, input_cascade<typename Cfg::acc_t>* cin, output_cascade<typename Cfg::acc_t>* cout) {
    dense_body<Cfg, Role::middle, 0, COL0>(in.data(), w_, b_, nullptr, cin, cout);
  }
  void run_last(adf::input_buffer<typename Cfg::a_t>& in, input_cascade<typename Cfg::acc_t>* cin, adf::output_buffer<typename Cfg::out_t>& out) {
    dense_body<Cfg, Role::last, 0, COL0>(in.data(), w_, b_, out.data(), cin, nullptr);
  }
  static void registerKernelClass() {
    if constexpr (R == Role::single) REGISTER_FUNCTION(Dense::run_single);
    else if constexpr (R == Role::first) REGISTER_FUNCTION(Dense::run_first);
    else if constexpr (R == Role::middle) REGISTER_FUNCTION(Dense::run_middle);
    else REGISTER_FUNCTION(Dense::run_last);
  }
};

// The body of a Dense whose weights stream from a memory tile: the weight port is an input_async_buffer that
// receives Cfg::CHUNKS chunks of TILE_K x CHUNK_N per invocation (adf::async_repetition), each blocked
// [TILE_K/k][CHUNK_N/n][k][n]. Chunk r holds output columns [r*CHUNK_N, (r+1)*CHUNK_N); the activation stays in its
// (synchronous) input buffer for all chunks. Per output block the arithmetic is the tile-resident kernel's
// (bias, K order, cascade, srs, ReLU), so both produce the same codes; only the order of the blocks differs
// (chunk-major), which every kernel of a chain shares, so the cascade words still pair up.
template <typename Cfg, Role R, unsigned COL0, typename WBuf>
inline void streamed_body(const typename Cfg::a_t* __restrict A, WBuf& w, const typename Cfg::bias_t* bias, typename Cfg::out_t* __restrict C,
                          input_cascade<typename Cfg::acc_t>* cin, output_cascade<typename Cfg::acc_t>* cout) {
  using MMUL = typename mmul_of<Cfg>::type;
  static_assert(Cfg::BATCH == 1, "a Dense shares its weights over the rows of one matrix");
  static_assert(Cfg::TILE_N == Cfg::CHUNK_N * Cfg::CHUNKS && Cfg::CHUNK_N % Cfg::MM_N == 0, "chunks of whole microtile columns tile TILE_N");
  constexpr unsigned MB = Cfg::TILE_M / Cfg::MM_M;
  constexpr unsigned KB = Cfg::TILE_K / Cfg::MM_K;
  constexpr unsigned NB = Cfg::TILE_N / Cfg::MM_N;
  constexpr unsigned CNB = Cfg::CHUNK_N / Cfg::MM_N;
  set_modes<Cfg>();
  for (unsigned r = 0; r < Cfg::CHUNKS; ++r) {
    w.acquire();
    const typename Cfg::w_t* __restrict B = w.data();
    for (unsigned mb = 0; mb < MB; ++mb) {
      for (unsigned j = 0; j < CNB; ++j)
        chess_prepare_for_pipelining {
          const unsigned nb = r * CNB + j;
          MMUL acc;
          if constexpr (R == Role::single || R == Role::first) init_block<Cfg>(acc, bias, nb);
          else acc = readincr_v<MMUL::size_C>(cin);
          mac_block<Cfg, MMUL, CNB>(acc, A + mb * KB * MMUL::size_A, B + j * MMUL::size_B);
          if constexpr (R == Role::single || R == Role::last) store_block<Cfg, COL0>(acc, C + (mb * NB + nb) * MMUL::size_C, nb, Cfg::SHIFT, bias);
          else writeincr(cout, acc.to_accum());
        }
    }
    w.release();
  }
}

// Dense with weights in a memory tile (weights: 'memtile'), streamed in chunks: port in[0] the activation, in[1]
// the weights (async), then the cascade; the constructor takes the bias slice only.
template <typename Cfg, Role R, unsigned COL0 = 0>
class DenseStreamed {
  alignas(32) typename Cfg::bias_t b_[Cfg::TILE_N];

 public:
  explicit DenseStreamed(const typename Cfg::bias_t (&b)[Cfg::TILE_N]) {
    for (unsigned i = 0; i < Cfg::TILE_N; ++i) b_[i] = b[i];
  }
  void run_single(adf::input_buffer<typename Cfg::a_t>& in, adf::input_async_buffer<typename Cfg::w_t>& w, adf::output_buffer<typename Cfg::out_t>& out) {
    streamed_body<Cfg, Role::single, COL0>(in.data(), w, b_, out.data(), nullptr, nullptr);
  }
  void run_first(adf::input_buffer<typename Cfg::a_t>& in, adf::input_async_buffer<typename Cfg::w_t>& w, output_cascade<typename Cfg::acc_t>* cout) {
    streamed_body<Cfg, Role::first, COL0>(in.data(), w, b_, nullptr, nullptr, cout);
  }
  void run_middle(adf::input_buffer<typename Cfg::a_t>& in, adf::input_async_buffer<typename Cfg::w_t>& w, input_cascade<typename Cfg::acc_t>* cin,
                  output_cascade<typename Cfg::acc_t>* cout) {
    streamed_body<Cfg, Role::middle, COL0>(in.data(), w, b_, nullptr, cin, cout);
  }
  void run_last(adf::input_buffer<typename Cfg::a_t>& in, adf::input_async_buffer<typename Cfg::w_t>& w, input_cascade<typename Cfg::acc_t>* cin,
                adf::output_buffer<typename Cfg::out_t>& out) {
    streamed_body<Cfg, Role::last, COL0>(in.data(), w, b_, out.data(), cin, nullptr);
  }
  static void registerKernelClass() {
    if constexpr (R == Role::single) REGISTER_FUNCTION(DenseStreamed::run_single);
    else if constexpr (R == Role::first) REGISTER_FUNCTION(DenseStreamed::run_first);
    else if constexpr (R == Role::middle) REGISTER_FUNCTION(DenseStreamed::run_middle);
    else REGISTER_FUNCTION(DenseStreamed::run_last);
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
