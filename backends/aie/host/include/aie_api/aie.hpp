// firmflow host model of aie_api: aie::vector, aie::accum, aie::mmul, shift-round-saturate, loads/stores and the
// elementwise operations firmflow's kernel library uses. Our own functional model (not AMD code): each operation is
// specified by its integer result, the one firmflow's TypeScript emulator (backends/aie/src/emulate.ts) computes.
//
// Accumulator lanes are held in int64; acc32 lanes wrap to 32 bits (two's complement) after every operation, the
// way the 32-bit accumulator registers do. to_vector<T>(shift) is srs: x / 2^shift rounded by the current rounding
// mode, then saturated (saturate / symmetric) or wrapped (none / truncate) to T.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../firmflow_host/types.h"

namespace aie {

enum class rounding_mode { floor, ceil, positive_inf, negative_inf, symmetric_inf, symmetric_zero, conv_even, conv_odd };
enum class saturation_mode { none, truncate, saturate, symmetric };

// The accumulator chosen by the operand types (int8/int16 operands: acc32; wider: acc64).
struct accauto {};

namespace detail {
inline rounding_mode& rounding_state() {
  static thread_local rounding_mode m = rounding_mode::floor;
  return m;
}
inline saturation_mode& saturation_state() {
  static thread_local saturation_mode m = saturation_mode::none;
  return m;
}

template <typename Tag>
struct is_acc_tag : std::bool_constant<std::is_same_v<Tag, acc32> || std::is_same_v<Tag, acc48> || std::is_same_v<Tag, acc64> || std::is_same_v<Tag, accfloat> || std::is_same_v<Tag, accauto>> {};

template <typename Tag>
constexpr int acc_bits() {
  if constexpr (std::is_same_v<Tag, acc32>) return 32;
  else if constexpr (std::is_same_v<Tag, acc48>) return 48;
  else return 64;
}

// Two's-complement wrap of v to `bits` bits.
inline std::int64_t wrap_bits(std::int64_t v, int bits) {
  if (bits >= 64) return v;
  const std::uint64_t m = (std::uint64_t(1) << bits) - 1;
  std::uint64_t u = std::uint64_t(v) & m;
  if (u & (std::uint64_t(1) << (bits - 1))) u |= ~m;
  return std::int64_t(u);
}

// x / 2^shift rounded by `mode` (a shift <= 0 is an exact left shift).
inline std::int64_t round_shift(std::int64_t x, int shift, rounding_mode mode) {
  if (shift <= 0) return shift == 0 ? x : std::int64_t(std::uint64_t(x) << -shift);
  if (shift >= 63) shift = 63;
  const std::int64_t q = x >> shift;  // floor (arithmetic shift)
  const std::int64_t r = x - std::int64_t(std::uint64_t(q) << shift);  // 0 <= r < 2^shift
  if (r == 0) return q;
  switch (mode) {
    case rounding_mode::floor: return q;
    case rounding_mode::ceil: return q + 1;
    default: break;
  }
  const std::int64_t half = std::int64_t(1) << (shift - 1);
  if (r > half) return q + 1;
  if (r < half) return q;
  switch (mode) {
    case rounding_mode::positive_inf: return q + 1;
    case rounding_mode::negative_inf: return q;
    case rounding_mode::symmetric_inf: return x > 0 ? q + 1 : q;
    case rounding_mode::symmetric_zero: return x > 0 ? q : q + 1;
    case rounding_mode::conv_even: return (q & 1) == 0 ? q : q + 1;
    case rounding_mode::conv_odd: return (q & 1) != 0 ? q : q + 1;
    default: return q;
  }
}

// Shift-round-saturate of one lane into T under the current modes.
template <typename T>
inline T srs(std::int64_t x, int shift) {
  const std::int64_t v = round_shift(x, shift, rounding_state());
  constexpr std::int64_t lo = std::int64_t(std::numeric_limits<T>::min());
  constexpr std::int64_t hi = std::int64_t(std::numeric_limits<T>::max());
  switch (saturation_state()) {
    case saturation_mode::saturate: return T(v < lo ? lo : v > hi ? hi : v);
    case saturation_mode::symmetric: {
      const std::int64_t l = std::is_signed_v<T> ? -hi : 0;
      return T(v < l ? l : v > hi ? hi : v);
    }
    default: return T(wrap_bits(v, int(sizeof(T) * 8)));
  }
}
}  // namespace detail

inline void set_rounding(rounding_mode m) { detail::rounding_state() = m; }
inline rounding_mode get_rounding() { return detail::rounding_state(); }
inline void set_saturation(saturation_mode m) { detail::saturation_state() = m; }
inline saturation_mode get_saturation() { return detail::saturation_state(); }

// ------------------------------------------------------------------------------------------------ vector

template <typename T, unsigned N>
class vector {
 public:
  using value_type = T;
  static constexpr unsigned size() { return N; }

  vector() : v_{} {}
  T operator[](unsigned i) const { return v_[i]; }
  T get(unsigned i) const { return v_[i]; }
  vector& set(T x, unsigned i) {
    v_[i] = x;
    return *this;
  }
  // Writes a subvector at block position idx (elements idx*M .. idx*M+M-1).
  template <unsigned M>
  vector& insert(unsigned idx, const vector<T, M>& sub) {
    static_assert(N % M == 0, "insert: subvector size must divide the vector size");
    for (unsigned i = 0; i < M; ++i) v_[idx * M + i] = sub[i];
    return *this;
  }
  template <unsigned M>
  vector<T, M> extract(unsigned idx) const {
    vector<T, M> r;
    for (unsigned i = 0; i < M; ++i) r.set(v_[idx * M + i], i);
    return r;
  }
  T* data() { return v_; }
  const T* data() const { return v_; }

 private:
  T v_[N];
};

// ------------------------------------------------------------------------------------------------ accum

template <typename Tag, unsigned N>
class accum {
  static_assert(detail::is_acc_tag<Tag>::value, "accum: unknown accumulator tag");

 public:
  using value_type = Tag;
  static constexpr unsigned size() { return N; }
  static constexpr int bits = detail::acc_bits<Tag>();

  // accfloat lanes are fp32 values (their bit patterns in the lane storage, so cascades move them unchanged).
  static constexpr bool is_float = std::is_same_v<Tag, accfloat>;

  accum() : a_{} {}
  template <typename T>
  explicit accum(const vector<T, N>& v, int shift = 0) : a_{} {
    from_vector(v, shift);
  }
  // Loads lanes from a vector, shifted left by `shift` (integer accumulators); accfloat takes the values as fp32.
  template <typename T>
  accum& from_vector(const vector<T, N>& v, int shift = 0) {
    if constexpr (is_float) {
      for (unsigned i = 0; i < N; ++i) set_flane(i, float(v[i]));
    } else {
      for (unsigned i = 0; i < N; ++i) a_[i] = detail::wrap_bits(detail::round_shift(std::int64_t(v[i]), -shift, rounding_mode::floor), bits);
    }
    return *this;
  }
  // Shift-round-saturate every lane into T; accfloat lanes convert to T (bfloat16: round to nearest even).
  template <typename T>
  vector<T, N> to_vector(int shift = 0) const {
    vector<T, N> r;
    if constexpr (is_float) {
      (void)shift;
      for (unsigned i = 0; i < N; ++i) r.set(T(flane(i)), i);
    } else {
      for (unsigned i = 0; i < N; ++i) r.set(detail::srs<T>(a_[i], shift), i);
    }
    return r;
  }
  std::int64_t lane(unsigned i) const { return a_[i]; }
  void set_lane(unsigned i, std::int64_t v) { a_[i] = detail::wrap_bits(v, bits); }
  float flane(unsigned i) const {
    const std::uint32_t u = std::uint32_t(std::uint64_t(a_[i]));
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  void set_flane(unsigned i, float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    a_[i] = std::int64_t(u);
  }

 private:
  std::int64_t a_[N];
};

namespace detail {
template <typename T>
constexpr bool is_float_elem = std::is_same_v<T, bfloat16> || std::is_floating_point_v<T>;
template <typename TA, typename TB>
using default_acc = std::conditional_t<(is_float_elem<TA> || is_float_elem<TB>), accfloat, std::conditional_t<(sizeof(TA) <= 2 && sizeof(TB) <= 2), acc32, acc64>>;
template <typename Tag, typename TA, typename TB>
using resolve_acc = std::conditional_t<std::is_same_v<Tag, accauto>, default_acc<TA, TB>, Tag>;
}  // namespace detail

// ------------------------------------------------------------------------------------------------ construction

template <typename T, unsigned N>
auto zeros() {
  if constexpr (detail::is_acc_tag<T>::value) return accum<T, N>();
  else return vector<T, N>();
}

template <typename T, unsigned N>
vector<T, N> broadcast(T x) {
  vector<T, N> r;
  for (unsigned i = 0; i < N; ++i) r.set(x, i);
  return r;
}

template <unsigned N, typename T>
vector<std::remove_const_t<T>, N> load_v(const T* p) {
  vector<std::remove_const_t<T>, N> r;
  std::memcpy(r.data(), p, sizeof(T) * N);
  return r;
}

template <typename T, unsigned N>
T* store_v(T* p, const vector<T, N>& v) {
  std::memcpy(p, v.data(), sizeof(T) * N);
  return p + N;
}

// ------------------------------------------------------------------------------------------------ elementwise

template <typename T, unsigned N>
vector<T, N> max(const vector<T, N>& a, const vector<T, N>& b) {
  vector<T, N> r;
  for (unsigned i = 0; i < N; ++i) r.set(a[i] > b[i] ? a[i] : b[i], i);
  return r;
}
template <typename T, unsigned N>
vector<T, N> max(const vector<T, N>& a, T b) {
  return max(a, broadcast<T, N>(b));
}
template <typename T, unsigned N>
vector<T, N> min(const vector<T, N>& a, const vector<T, N>& b) {
  vector<T, N> r;
  for (unsigned i = 0; i < N; ++i) r.set(a[i] < b[i] ? a[i] : b[i], i);
  return r;
}

template <typename Tag, unsigned N>
accum<Tag, N> add(const accum<Tag, N>& a, const accum<Tag, N>& b) {
  accum<Tag, N> r;
  for (unsigned i = 0; i < N; ++i) {
    if constexpr (accum<Tag, N>::is_float) r.set_flane(i, a.flane(i) + b.flane(i));
    else r.set_lane(i, a.lane(i) + b.lane(i));
  }
  return r;
}
template <typename Tag, unsigned N>
accum<Tag, N> sub(const accum<Tag, N>& a, const accum<Tag, N>& b) {
  accum<Tag, N> r;
  for (unsigned i = 0; i < N; ++i) {
    if constexpr (accum<Tag, N>::is_float) r.set_flane(i, a.flane(i) - b.flane(i));
    else r.set_lane(i, a.lane(i) - b.lane(i));
  }
  return r;
}

// Lanewise product of a vector and a scalar (or two vectors) into the default accumulator.
template <typename T, unsigned N, typename U, typename = std::enable_if_t<std::is_arithmetic_v<U>>>
accum<detail::default_acc<T, U>, N> mul(const vector<T, N>& a, U b) {
  accum<detail::default_acc<T, U>, N> r;
  for (unsigned i = 0; i < N; ++i) r.set_lane(i, std::int64_t(a[i]) * std::int64_t(b));
  return r;
}
template <typename T, typename U, unsigned N>
accum<detail::default_acc<T, U>, N> mul(const vector<T, N>& a, const vector<U, N>& b) {
  accum<detail::default_acc<T, U>, N> r;
  for (unsigned i = 0; i < N; ++i) r.set_lane(i, std::int64_t(a[i]) * std::int64_t(b[i]));
  return r;
}

template <typename T, unsigned N>
T reduce_add(const vector<T, N>& v) {
  std::int64_t s = 0;
  for (unsigned i = 0; i < N; ++i) s += v[i];
  return T(s);
}
template <typename T, unsigned N>
T reduce_max(const vector<T, N>& v) {
  T m = v[0];
  for (unsigned i = 1; i < N; ++i) m = v[i] > m ? v[i] : m;
  return m;
}

// ------------------------------------------------------------------------------------------------ mmul

// C[M x N] (+)= A[M x K] * B[K x N]; A, B and C row-major within the microtile.
template <unsigned M, unsigned K, unsigned N, typename TA, typename TB, typename Tag = accauto>
class mmul {
 public:
  using acc_tag = detail::resolve_acc<Tag, TA, TB>;
  using accum_type = accum<acc_tag, M * N>;
  static constexpr unsigned size_A = M * K;
  static constexpr unsigned size_B = K * N;
  static constexpr unsigned size_C = M * N;

  mmul() = default;
  mmul(const accum_type& c) : c_(c) {}  // NOLINT: implicit, as `acc = readincr_v<...>(cin)` needs

  // accfloat: every product is rounded to fp32 and added to the fp32 lane in ascending k (the emulator's order).
  void mac(const vector<TA, size_A>& a, const vector<TB, size_B>& b) {
    if constexpr (accum_type::is_float) {
      for (unsigned m = 0; m < M; ++m)
        for (unsigned n = 0; n < N; ++n) {
          float s = c_.flane(m * N + n);
          for (unsigned k = 0; k < K; ++k) {
            const float p = float(a[m * K + k]) * float(b[k * N + n]);
            s = s + p;
          }
          c_.set_flane(m * N + n, s);
        }
      return;
    }
    for (unsigned m = 0; m < M; ++m)
      for (unsigned n = 0; n < N; ++n) {
        std::int64_t s = c_.lane(m * N + n);
        for (unsigned k = 0; k < K; ++k) s += std::int64_t(a[m * K + k]) * std::int64_t(b[k * N + n]);
        c_.set_lane(m * N + n, s);
      }
  }
  void mul(const vector<TA, size_A>& a, const vector<TB, size_B>& b) {
    c_ = accum_type();
    mac(a, b);
  }
  accum_type to_accum() const { return c_; }
  template <typename T>
  vector<T, size_C> to_vector(int shift = 0) const {
    return c_.template to_vector<T>(shift);
  }

 private:
  accum_type c_;
};

}  // namespace aie
