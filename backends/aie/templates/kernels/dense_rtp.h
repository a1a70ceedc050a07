// firmflow AIE kernel library: Dense / MatMul whose requantization shift is a runtime parameter (option aie.rtp).
//
// The last (or single) kernel of a chain takes the srs shift as a scalar argument after its buffers and cascade,
// which makes it an asynchronous runtime-parameter port of the kernel (UG1603 "Runtime Parameter Specification"):
// the graph connects an adf::input_port to it with adf::connect<adf::parameter>(port, adf::async(k.in[i])) and the
// application writes it with graph.update(port, shift) before graph.run. The first and middle kernels of a chain
// only pass partial sums on and stay the plain Dense / MatMul. The arithmetic is dense.h's with `shift` for
// Cfg::SHIFT: per-column shifts (PER_COLUMN_SHIFT) and bf16 (no shift) are not runtime parameters.
#pragma once
#include "dense.h"

namespace firmflow {

template <typename Cfg, Role R>
class DenseRtp {
  static_assert(R == Role::single || R == Role::last, "only the kernel that applies srs takes the shift");
  static_assert(!Cfg::PER_COLUMN_SHIFT, "per-column shifts are constants of the kernel configuration");
  alignas(32) typename Cfg::w_t w_[Cfg::TILE_K * Cfg::TILE_N];
  alignas(32) typename Cfg::bias_t b_[Cfg::TILE_N];

 public:
  DenseRtp(const typename Cfg::w_t (&w)[Cfg::TILE_K * Cfg::TILE_N], const typename Cfg::bias_t (&b)[Cfg::TILE_N]) {
    for (unsigned i = 0; i < Cfg::TILE_K * Cfg::TILE_N; ++i) w_[i] = w[i];
    for (unsigned i = 0; i < Cfg::TILE_N; ++i) b_[i] = b[i];
  }
  void run_single(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out, int32 shift) {
    dense_body<Cfg, Role::single, 0>(in.data(), w_, b_, out.data(), nullptr, nullptr, shift);
  }
  void run_last(adf::input_buffer<typename Cfg::a_t>& in, input_cascade<typename Cfg::acc_t>* cin, adf::output_buffer<typename Cfg::out_t>& out,
                int32 shift) {
    dense_body<Cfg, Role::last, 0>(in.data(), w_, b_, out.data(), cin, nullptr, shift);
  }
  static void registerKernelClass() {
    if constexpr (R == Role::single) REGISTER_FUNCTION(DenseRtp::run_single);
    else REGISTER_FUNCTION(DenseRtp::run_last);
  }
};

template <typename Cfg, Role R>
class MatMulRtp {
  static_assert(R == Role::single || R == Role::last, "only the kernel that applies srs takes the shift");
  static_assert(!Cfg::PER_COLUMN_SHIFT, "per-column shifts are constants of the kernel configuration");

 public:
  void run_single(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::w_t>& b, adf::output_buffer<typename Cfg::out_t>& out,
                  int32 shift) {
    dense_body<Cfg, Role::single, Cfg::TILE_K * Cfg::TILE_N>(a.data(), b.data(), nullptr, out.data(), nullptr, nullptr, shift);
  }
  void run_last(adf::input_buffer<typename Cfg::a_t>& a, adf::input_buffer<typename Cfg::w_t>& b, input_cascade<typename Cfg::acc_t>* cin,
                adf::output_buffer<typename Cfg::out_t>& out, int32 shift) {
    dense_body<Cfg, Role::last, Cfg::TILE_K * Cfg::TILE_N>(a.data(), b.data(), nullptr, out.data(), cin, nullptr, shift);
  }
  static void registerKernelClass() {
    if constexpr (R == Role::single) REGISTER_FUNCTION(MatMulRtp::run_single);
    else REGISTER_FUNCTION(MatMulRtp::run_last);
  }
};

}  // namespace firmflow
