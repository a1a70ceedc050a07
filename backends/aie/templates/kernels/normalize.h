// firmflow AIE kernel library: int8 and bf16 Softmax, int8 and bf16 LayerNorm over the last axis (ROWS rows of LEN
// values).
//
// The integer algorithms are specified in firmflow's AIE emulator (backends/aie/src/emulate.ts); every table and
// constant comes from the generated tables header, computed once by firmflow. Per element: table loads, integer
// multiplies and srs; per row: one scalar division (softmax) or one table lookup (layernorm).
#pragma once
#include <cmath>

#include "firmflow_aie.h"

namespace firmflow {

inline int log2_floor(long long v) {
  int p = 0;
  while ((v >> (p + 1)) != 0) ++p;
  return p;
}

// Softmax. Cfg: a_t (int8), out_t, ROWS, LEN, EXP_FRAC (14), RECIP_BITS (28), OUT_FRAC, ROUNDING, SATURATION.
template <typename Cfg>
class Softmax {
  alignas(32) int32 exp_[256];
  alignas(32) int16 e_[Cfg::LEN];

 public:
  Softmax(const int32 (&table)[256]) {
    for (unsigned i = 0; i < 256; ++i) exp_[i] = table[i];
  }
  void run(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
    set_modes<Cfg>();
    const typename Cfg::a_t* __restrict pi = in.data();
    typename Cfg::out_t* __restrict po = out.data();
    for (unsigned r = 0; r < Cfg::ROWS; ++r) {
      int m = pi[0];
      for (unsigned j = 1; j < Cfg::LEN; ++j) m = pi[j] > m ? pi[j] : m;
      int S = 0;
      for (unsigned j = 0; j < Cfg::LEN; ++j)
        chess_prepare_for_pipelining {
          int d = m - pi[j];
          e_[j] = (int16)exp_[d > 255 ? 255 : d];
          S += e_[j];
        }
      const int p = log2_floor(S);
      const int Sn = S >> (p - Cfg::EXP_FRAC);
      const int16 rcp = (int16)((1 << Cfg::RECIP_BITS) / Sn);
      const int shift = p + Cfg::RECIP_BITS - Cfg::EXP_FRAC - Cfg::OUT_FRAC;
      constexpr unsigned L = 16;
      unsigned j = 0;
      for (; j + L <= Cfg::LEN; j += L)
        chess_prepare_for_pipelining {
          aie::accum<acc32, L> acc = aie::mul(aie::load_v<L>(e_ + j), rcp);
          aie::store_v(po + j, acc.template to_vector<typename Cfg::out_t>(shift));
        }
      for (; j < Cfg::LEN; ++j) {
        aie::accum<acc32, L> acc = aie::mul(aie::broadcast<int16, L>(e_[j]), rcp);
        po[j] = acc.template to_vector<typename Cfg::out_t>(shift)[0];
      }
      pi += Cfg::LEN;
      po += Cfg::LEN;
    }
  }
  static void registerKernelClass() { REGISTER_FUNCTION(Softmax::run); }
};

// bf16 Softmax. Cfg: a_t = out_t = bfloat16, ROWS, LEN, E0, E1 (exponent fields the table covers). Constructor: the
// exp table, EXP[(E - E0) * 128 + M] = exp(-1.M * 2^(E - 127)) in fp32 (firmflow's softmaxBf16Table). Per row, in fp32
// with bf16 roundings exactly where the emulator (softmaxRowBf16) has them: d = bf16(x - max) looked up (1 below the
// table, 0 above it), the sum in ascending order, one reciprocal, one product per element rounded to bf16.
template <typename Cfg>
class SoftmaxBf16 {
  alignas(32) float exp_[(Cfg::E1 - Cfg::E0) * 128];
  alignas(32) float e_[Cfg::LEN];

 public:
  SoftmaxBf16(const float (&table)[(Cfg::E1 - Cfg::E0) * 128]) {
    for (unsigned i = 0; i < (Cfg::E1 - Cfg::E0) * 128; ++i) exp_[i] = table[i];
  }
  void run(adf::input_buffer<bfloat16>& in, adf::output_buffer<bfloat16>& out) {
    const bfloat16* __restrict pi = in.data();
    bfloat16* __restrict po = out.data();
    for (unsigned r = 0; r < Cfg::ROWS; ++r) {
      float m = pi[0];
      for (unsigned j = 1; j < Cfg::LEN; ++j) m = float(pi[j]) > m ? float(pi[j]) : m;
      float S = 0.0f;
      for (unsigned j = 0; j < Cfg::LEN; ++j)
        chess_prepare_for_pipelining {
          const float d = float(bfloat16(float(pi[j]) - m));
          uint32 u;
          __builtin_memcpy(&u, &d, sizeof u);
          const int ex = int((u >> 23) & 0xffu);
          const float v = ex < Cfg::E0 ? 1.0f : ex >= Cfg::E1 ? 0.0f : exp_[(ex - Cfg::E0) * 128 + int((u >> 16) & 0x7fu)];
          e_[j] = v;
          S += v;
        }
      const float rcp = 1.0f / S;
      for (unsigned j = 0; j < Cfg::LEN; ++j) po[j] = bfloat16(e_[j] * rcp);
      pi += Cfg::LEN;
      po += Cfg::LEN;
    }
  }
  static void registerKernelClass() { REGISTER_FUNCTION(SoftmaxBf16::run); }
};

// LayerNorm. Cfg: a_t (int8), out_t, ROWS, LEN, EPS_V, NORM_FRAC (12), RSQ_BITS (21), GAMMA_FRAC, OUT_FRAC,
// ROUNDING, SATURATION. Constructor: gamma (int16, GAMMA_FRAC), beta (int32, NORM_FRAC + GAMMA_FRAC), the 1536-entry
// reciprocal square root table.
template <typename Cfg>
class LayerNorm {
  alignas(32) int16 gamma_[Cfg::LEN];
  alignas(32) int32 beta_[Cfg::LEN];
  alignas(32) int16 rsq_[1536];

 public:
  LayerNorm(const int16 (&gamma)[Cfg::LEN], const int32 (&beta)[Cfg::LEN], const int16 (&rsq)[1536]) {
    for (unsigned i = 0; i < Cfg::LEN; ++i) gamma_[i] = gamma[i];
    for (unsigned i = 0; i < Cfg::LEN; ++i) beta_[i] = beta[i];
    for (unsigned i = 0; i < 1536; ++i) rsq_[i] = rsq[i];
  }
  void run(adf::input_buffer<typename Cfg::a_t>& in, adf::output_buffer<typename Cfg::out_t>& out) {
    set_modes<Cfg>();
    const typename Cfg::a_t* __restrict pi = in.data();
    typename Cfg::out_t* __restrict po = out.data();
    for (unsigned r = 0; r < Cfg::ROWS; ++r) {
      long long sum = 0, sq = 0;
      for (unsigned j = 0; j < Cfg::LEN; ++j)
        chess_prepare_for_pipelining {
          sum += pi[j];
          sq += pi[j] * pi[j];
        }
      const long long V = (long long)Cfg::LEN * sq - sum * sum + Cfg::EPS_V;
      int s = log2_floor(V) - 13;
      if (s & 1) s -= 1;
      const long long Vn = s >= 0 ? (V >> s) : (V << -s);
      const int rsq = rsq_[(int)(Vn >> 4) - 512];
      const int n_shift = Cfg::RSQ_BITS + s / 2 - Cfg::NORM_FRAC;
      constexpr int o_shift = Cfg::NORM_FRAC + Cfg::GAMMA_FRAC - Cfg::OUT_FRAC;
      for (unsigned j = 0; j < Cfg::LEN; ++j)
        chess_prepare_for_pipelining {
          const long long c = (long long)Cfg::LEN * pi[j] - sum;
          aie::accum<acc64, 8> a;
          a.from_vector(aie::broadcast<int64, 8>(c * rsq), n_shift < 0 ? -n_shift : 0);
          const int32 n = a.template to_vector<int32>(n_shift > 0 ? n_shift : 0)[0];
          aie::accum<acc64, 8> b;
          b.from_vector(aie::broadcast<int64, 8>((long long)n * gamma_[j] + beta_[j]), o_shift < 0 ? -o_shift : 0);
          po[j] = b.template to_vector<typename Cfg::out_t>(o_shift > 0 ? o_shift : 0)[0];
        }
      pi += Cfg::LEN;
      po += Cfg::LEN;
    }
  }
  static void registerKernelClass() { REGISTER_FUNCTION(LayerNorm::run); }
};

// bf16 LayerNorm. Cfg: a_t = out_t = bfloat16, ROWS, LEN, EPS (fp32). Constructor: gamma and beta in fp32 (firmflow's
// layerNormBf16Constants). Per row, every step one IEEE fp32 operation rounded to nearest, in the order of the
// emulator (layerNormRowBf16): the sum in ascending order, mean = sum / LEN, the squares of x - mean each rounded
// and summed in ascending order, var = sum / LEN, r = 1 / sqrt(var + EPS) (sqrt correctly rounded), then per element
// ((x - mean) * r) * gamma + beta rounded to bf16. Each product is its own statement and must not be contracted
// into a fused multiply-add (g++ for the x86-64 baseline has none; a host build for an FMA target needs
// -ffp-contract=off).
template <typename Cfg>
class LayerNormBf16 {
  alignas(32) float gamma_[Cfg::LEN];
  alignas(32) float beta_[Cfg::LEN];

 public:
  LayerNormBf16(const float (&gamma)[Cfg::LEN], const float (&beta)[Cfg::LEN]) {
    for (unsigned i = 0; i < Cfg::LEN; ++i) gamma_[i] = gamma[i];
    for (unsigned i = 0; i < Cfg::LEN; ++i) beta_[i] = beta[i];
  }
  void run(adf::input_buffer<bfloat16>& in, adf::output_buffer<bfloat16>& out) {
    const bfloat16* __restrict pi = in.data();
    bfloat16* __restrict po = out.data();
    for (unsigned r = 0; r < Cfg::ROWS; ++r) {
      float S = 0.0f;
      for (unsigned j = 0; j < Cfg::LEN; ++j) chess_prepare_for_pipelining { S += float(pi[j]); }
      const float mean = S / float(Cfg::LEN);
      float Q = 0.0f;
      for (unsigned j = 0; j < Cfg::LEN; ++j)
        chess_prepare_for_pipelining {
          const float d = float(pi[j]) - mean;
          const float sq = d * d;
          Q += sq;
        }
      const float var = Q / float(Cfg::LEN);
      const float w = var + Cfg::EPS;
      const float s = std::sqrt(w);
      const float rs = 1.0f / s;
      for (unsigned j = 0; j < Cfg::LEN; ++j)
        chess_prepare_for_pipelining {
          const float d = float(pi[j]) - mean;
          const float n = d * rs;
          const float t = n * gamma_[j];
          po[j] = bfloat16(t + beta_[j]);
        }
      pi += Cfg::LEN;
      po += Cfg::LEN;
    }
  }
  static void registerKernelClass() { REGISTER_FUNCTION(LayerNormBf16::run); }
};

}  // namespace firmflow
