// firmflow AIE kernel library: common definitions. Generated projects copy this file unchanged.
#pragma once

#include <adf.h>
#include <aie_api/aie.hpp>
#include <aie_api/aie_adf.hpp>

// Compiler hints of the AIE compiler (chess); other compilers (x86sim's g++, host builds) ignore them.
#ifndef __AIENGINE__
#ifndef chess_prepare_for_pipelining
#define chess_prepare_for_pipelining
#endif
#ifndef chess_loop_range
#define chess_loop_range(...)
#endif
#endif

namespace firmflow {

// Position of a kernel along a cascade chain: the first writes partial sums to the cascade, middle ones read and
// write it, the last reads it and stores the shift-round-saturated result; a chain of one is `single`.
enum class Role { single, first, middle, last };

// Rounding and saturation are modes of the vector unit, set once per kernel invocation.
template <typename Cfg>
inline void set_modes() {
  aie::set_rounding(Cfg::ROUNDING);
  aie::set_saturation(Cfg::SATURATION);
}

// A narrow output quantizer (int4 / uint6 codes held in int8, uint8 in int16): srs saturates to out_t, then the
// codes are clamped to the quantizer's own range [CLAMP_MIN, CLAMP_MAX] (computed in TypeScript, quantize.ts).
template <typename Cfg, unsigned N>
inline aie::vector<typename Cfg::out_t, N> clamp_codes(const aie::vector<typename Cfg::out_t, N>& v) {
  if constexpr (Cfg::CLAMP) {
    using T = typename Cfg::out_t;
    return aie::min(aie::max(v, aie::broadcast<T, N>(T(Cfg::CLAMP_MIN))), aie::broadcast<T, N>(T(Cfg::CLAMP_MAX)));
  } else {
    return v;
  }
}

}  // namespace firmflow
