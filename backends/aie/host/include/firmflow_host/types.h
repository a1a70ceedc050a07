// firmflow host model of the AI Engine toolchain: scalar and accumulator type names.
// Our own functional model (not AMD code): just enough for firmflow's generated projects to build with g++.
#pragma once
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

// Data memory banks (placement hint for buffers; no meaning on the host).
enum class aie_dm_resource { none, a, b, c, d, stack };
