// firmflow host model of the AI Engine toolchain: scalar and accumulator type names.
// Our own functional model (not AMD code): just enough for firmflow's generated projects to build with g++.
#pragma once
#include <bit>
#include <cstdint>

using int8 = std::int8_t;
using uint8 = std::uint8_t;
using int16 = std::int16_t;
using uint16 = std::uint16_t;
using int32 = std::int32_t;
using uint32 = std::uint32_t;
using int64 = std::int64_t;
using uint64 = std::uint64_t;

// Accumulator element tags (lane widths of the AIE accumulator registers).
struct acc32 {};
struct acc48 {};
struct acc64 {};
struct accfloat {};

// bfloat16: the upper 16 bits of an IEEE float. Conversion from float rounds to nearest, ties to even (the
// TypeScript emulator's bf16Round); NaN stays NaN. Arithmetic goes through float.
struct bfloat16 {
  std::uint16_t bits = 0;
  constexpr bfloat16() = default;
  constexpr bfloat16(float f) : bits(round_bits(f)) {}  // NOLINT: implicit, as the vendor type converts
  constexpr operator float() const { return std::bit_cast<float>(std::uint32_t(bits) << 16); }  // NOLINT
  static constexpr bfloat16 from_bits(std::uint16_t b) {
    bfloat16 r;
    r.bits = b;
    return r;
  }
  static constexpr std::uint16_t round_bits(float f) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
    if ((u & 0x7f800000u) == 0x7f800000u && (u & 0x007fffffu)) return std::uint16_t((u >> 16) | 0x0040u);
    return std::uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
};

// Data memory banks (placement hint for buffers; no meaning on the host).
enum class aie_dm_resource { none, a, b, c, d, stack };
