// firmflow host-simulation implementation of ap_int_base / ap_int / ap_uint (our own code, API-compatible
// with the AMD arbitrary-precision types; never used for synthesis). Include ap_int.h, not this file.
#ifndef FIRMFLOW_AP_INT_BASE_H
#define FIRMFLOW_AP_INT_BASE_H

#include <type_traits>
#include "ap_common.h"

// Width and signedness of the C integer types when they meet an ap_ type (the vendor's rule).
template <typename T> struct ap_ctype { enum { ok = 0, width = 1, sgn = 0 }; };
#define FIRMFLOW_AP_CTYPE(T, W, S) \
  template <> struct ap_ctype<T> { enum { ok = 1, width = (W), sgn = (S) }; };
FIRMFLOW_AP_CTYPE(bool, 1, 0)
FIRMFLOW_AP_CTYPE(char, 8, (CHAR_MIN < 0))
FIRMFLOW_AP_CTYPE(signed char, 8, 1)
FIRMFLOW_AP_CTYPE(unsigned char, 8, 0)
FIRMFLOW_AP_CTYPE(short, 8 * (int)sizeof(short), 1)
FIRMFLOW_AP_CTYPE(unsigned short, 8 * (int)sizeof(short), 0)
FIRMFLOW_AP_CTYPE(int, 8 * (int)sizeof(int), 1)
FIRMFLOW_AP_CTYPE(unsigned int, 8 * (int)sizeof(int), 0)
FIRMFLOW_AP_CTYPE(long, 8 * (int)sizeof(long), 1)
FIRMFLOW_AP_CTYPE(unsigned long, 8 * (int)sizeof(long), 0)
FIRMFLOW_AP_CTYPE(long long, 64, 1)
FIRMFLOW_AP_CTYPE(unsigned long long, 64, 0)
#undef FIRMFLOW_AP_CTYPE

namespace ap_detail {
// Result-type rules for integer operands (width, signedness).
template <int W1, bool S1, int W2, bool S2> struct int_rtype {
  enum {
    mult_w = W1 + W2, mult_s = S1 || S2,
    plus_w = AP_MAX(W1 + (S2 && !S1), W2 + (S1 && !S2)) + 1, plus_s = S1 || S2,
    minus_w = AP_MAX(W1 + (S2 && !S1), W2 + (S1 && !S2)) + 1, minus_s = true,
    logic_w = AP_MAX(W1 + (S2 && !S1), W2 + (S1 && !S2)), logic_s = S1 || S2,
    div_w = W1 + S2, div_s = S1 || S2,
    mod_w = AP_MIN(W1, W2 + (!S2 && S1)), mod_s = S1
  };
};

// Storage proxies shared by the bit/range reference types of ap_int and ap_fixed.
struct bits_view {
  u64* w;
  int nw, width;
  bool sgn;
};

inline u64 read_range(const bits_view& v, int hi, int lo) {
  u64 out = 0;
  for (int i = hi; i >= lo; --i) out = (out << 1) | (get_bit(v.w, v.nw, i, 0) ? 1ULL : 0ULL);
  return out;
}
}  // namespace ap_detail

// Bit select: x[i] reads and writes one bit.
template <int _AP_W, bool _AP_S>
struct ap_bit_ref {
  ap_detail::bits_view v;
  int idx;
  ap_bit_ref(const ap_detail::bits_view& view, int i) : v(view), idx(i) {}
  operator bool() const { return ap_detail::get_bit(v.w, v.nw, idx, 0); }
  bool to_bool() const { return (bool)*this; }
  bool get() const { return (bool)*this; }
  ap_bit_ref& operator=(bool b) {
    ap_detail::put_bit(v.w, v.nw, idx, b);
    ap_detail::normalize(v.w, v.nw, v.width, v.sgn);
    return *this;
  }
  ap_bit_ref& operator=(const ap_bit_ref& o) { return *this = (bool)o; }
  template <typename T> ap_bit_ref& operator=(T x) { return *this = (x != 0); }
  bool operator~() const { return !(bool)*this; }
};

// Range select: x.range(hi, lo) reads as an unsigned value of the selected bits and can be assigned.
template <int _AP_W, bool _AP_S>
struct ap_range_ref {
  ap_detail::bits_view v;
  int hi, lo;
  ap_range_ref(const ap_detail::bits_view& view, int h, int l) : v(view), hi(h), lo(l) {}
  int length() const { return hi - lo + 1; }
  ap_uint<_AP_W> get() const;
  operator ap_ulong() const { return to_uint64(); }
  ap_ulong to_uint64() const { return ap_detail::read_range(v, hi, lo); }
  ap_slong to_int64() const { return (ap_slong)to_uint64(); }
  unsigned to_uint() const { return (unsigned)to_uint64(); }
  int to_int() const { return (int)to_uint64(); }
  bool and_reduce() const { for (int i = lo; i <= hi; ++i) if (!ap_detail::get_bit(v.w, v.nw, i, 0)) return false; return true; }
  bool or_reduce() const { for (int i = lo; i <= hi; ++i) if (ap_detail::get_bit(v.w, v.nw, i, 0)) return true; return false; }
  template <int W2, bool S2> ap_range_ref& operator=(const ap_int_base<W2, S2>& x) {
    for (int i = lo; i <= hi; ++i) ap_detail::put_bit(v.w, v.nw, i, ap_detail::get_bit(x.bits_, ap_int_base<W2, S2>::NW, i - lo, ap_detail::fill_of(x.bits_, ap_int_base<W2, S2>::NW, S2)));
    ap_detail::normalize(v.w, v.nw, v.width, v.sgn);
    return *this;
  }
  ap_range_ref& operator=(ap_ulong x) {
    for (int i = lo; i <= hi; ++i) ap_detail::put_bit(v.w, v.nw, i, (i - lo) < 64 ? ((x >> (i - lo)) & 1ULL) != 0 : false);
    ap_detail::normalize(v.w, v.nw, v.width, v.sgn);
    return *this;
  }
  ap_range_ref& operator=(const ap_range_ref& o) { return *this = (ap_ulong)o.to_uint64(); }
  ap_range_ref& operator=(int x) { return *this = (ap_ulong)(ap_slong)x; }
  ap_range_ref& operator=(unsigned x) { return *this = (ap_ulong)x; }
  ap_range_ref& operator=(long x) { return *this = (ap_ulong)x; }
  ap_range_ref& operator=(ap_slong x) { return *this = (ap_ulong)x; }
};

template <int _AP_W, bool _AP_S>
struct ap_int_base {
  static_assert(_AP_W >= 1, "ap_int width must be at least 1");
  enum { NW = (_AP_W + 63) / 64 };
  static const int width = _AP_W;
  static const bool sign_flag = _AP_S;
  ap_detail::u64 bits_[NW];

  template <int _AP_W2, bool _AP_S2>
  struct RType {
    typedef ap_detail::int_rtype<_AP_W, _AP_S, _AP_W2, _AP_S2> R;
    typedef ap_int_base<R::mult_w, (bool)R::mult_s> mult;
    typedef ap_int_base<R::plus_w, (bool)R::plus_s> plus;
    typedef ap_int_base<R::minus_w, (bool)R::minus_s> minus;
    typedef ap_int_base<R::logic_w, (bool)R::logic_s> logic;
    typedef ap_int_base<R::div_w, (bool)R::div_s> div;
    typedef ap_int_base<R::mod_w, (bool)R::mod_s> mod;
    typedef ap_int_base<_AP_W, _AP_S> arg1;
  };

  INLINE void clear_all() { for (int i = 0; i < NW; ++i) bits_[i] = 0; }
  INLINE void set_word(ap_detail::u64 x, bool neg) {
    bits_[0] = x;
    for (int i = 1; i < NW; ++i) bits_[i] = neg ? ~0ULL : 0ULL;
    ap_detail::normalize(bits_, NW, _AP_W, _AP_S);
  }
  ap_detail::bits_view view() const { ap_detail::bits_view v = {const_cast<ap_detail::u64*>(bits_), NW, _AP_W, _AP_S}; return v; }

  INLINE ap_int_base() { clear_all(); }
  template <int _AP_W2, bool _AP_S2>
  INLINE ap_int_base(const ap_int_base<_AP_W2, _AP_S2>& o) {
    ap_detail::extend(bits_, NW, o.bits_, ap_int_base<_AP_W2, _AP_S2>::NW, _AP_S2);
    ap_detail::normalize(bits_, NW, _AP_W, _AP_S);
  }
  template <int _AP_W2, int _AP_I2, bool _AP_S2, ap_q_mode _AP_Q2, ap_o_mode _AP_O2, int _AP_N2>
  INLINE ap_int_base(const ap_fixed_base<_AP_W2, _AP_I2, _AP_S2, _AP_Q2, _AP_O2, _AP_N2>& f) {
    // C-style conversion: drop the fraction toward zero, keep the low W bits.
    ap_detail::fx_convert<_AP_W, _AP_W, _AP_S, AP_TRN_ZERO, AP_WRAP, 0, ap_fixed_base<_AP_W2, _AP_I2, _AP_S2, _AP_Q2, _AP_O2, _AP_N2>::NW>(
        bits_, f.bits_, _AP_W2 - _AP_I2, _AP_S2);
  }
  template <int _AP_W2, bool _AP_S2>
  INLINE ap_int_base(const ap_range_ref<_AP_W2, _AP_S2>& r) {
    clear_all();
    for (int i = r.lo; i <= r.hi && i - r.lo < _AP_W; ++i) ap_detail::put_bit(bits_, NW, i - r.lo, ap_detail::get_bit(r.v.w, r.v.nw, i, 0));
    ap_detail::normalize(bits_, NW, _AP_W, _AP_S);
  }
  template <int _AP_W2, bool _AP_S2>
  INLINE ap_int_base(const ap_bit_ref<_AP_W2, _AP_S2>& b) { set_word((bool)b ? 1 : 0, false); }

#define FIRMFLOW_CTOR_INT(T)                                                                   \
  INLINE ap_int_base(T x) {                                                                    \
    set_word((ap_detail::u64)(ap_detail::i64)x, ap_ctype<T>::sgn && (ap_detail::i64)x < 0);    \
  }
  FIRMFLOW_CTOR_INT(bool)
  FIRMFLOW_CTOR_INT(char)
  FIRMFLOW_CTOR_INT(signed char)
  FIRMFLOW_CTOR_INT(unsigned char)
  FIRMFLOW_CTOR_INT(short)
  FIRMFLOW_CTOR_INT(unsigned short)
  FIRMFLOW_CTOR_INT(int)
  FIRMFLOW_CTOR_INT(unsigned int)
  FIRMFLOW_CTOR_INT(long)
  FIRMFLOW_CTOR_INT(long long)
#undef FIRMFLOW_CTOR_INT
  INLINE ap_int_base(unsigned long x) { set_word((ap_detail::u64)x, false); }
  INLINE ap_int_base(unsigned long long x) { set_word((ap_detail::u64)x, false); }
  INLINE ap_int_base(double d) {
    ap_detail::i64 m;
    int frac;
    ap_detail::split_double(d, m, frac);
    ap_detail::u64 w = (ap_detail::u64)m;
    ap_detail::fx_convert<_AP_W, _AP_W, _AP_S, AP_TRN_ZERO, AP_WRAP, 0, 1>(bits_, &w, frac, true);
  }
  INLINE ap_int_base(float f) : ap_int_base((double)f) {}
  // Numeric string in base 10, or 0x / 0b / 0o prefixed; a leading '-' negates.
  INLINE ap_int_base(const char* s, int radix = 10) {
    clear_all();
    bool neg = false;
    if (*s == '-') { neg = true; ++s; } else if (*s == '+') ++s;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { radix = 16; s += 2; }
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) { radix = 2; s += 2; }
    else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) { radix = 8; s += 2; }
    ap_detail::u64 r[NW + 1], acc[NW + 1], rad[NW + 1], dig[NW + 1];
    for (int i = 0; i <= NW; ++i) acc[i] = rad[i] = dig[i] = 0;
    rad[0] = (ap_detail::u64)radix;
    for (; *s; ++s) {
      const char c = *s;
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
      if (d >= radix) break;
      ap_detail::mul<NW + 1>(r, acc, rad);
      dig[0] = (ap_detail::u64)d;
      ap_detail::add(acc, r, dig, NW + 1);
    }
    if (neg) ap_detail::negate(acc, acc, NW + 1);
    for (int i = 0; i < NW; ++i) bits_[i] = acc[i];
    ap_detail::normalize(bits_, NW, _AP_W, _AP_S);
  }

  // ---- conversions
  INLINE bool is_neg() const { return _AP_S && (ap_detail::i64)bits_[NW - 1] < 0; }
  INLINE ap_slong to_int64() const { return (ap_slong)bits_[0]; }
  INLINE ap_ulong to_uint64() const { return (ap_ulong)bits_[0]; }
  INLINE int to_int() const { return (int)(ap_slong)bits_[0]; }
  INLINE unsigned to_uint() const { return (unsigned)bits_[0]; }
  INLINE long to_long() const { return (long)(ap_slong)bits_[0]; }
  INLINE unsigned long to_ulong() const { return (unsigned long)bits_[0]; }
  INLINE char to_char() const { return (char)bits_[0]; }
  INLINE bool to_bool() const { return !ap_detail::is_zero(bits_, NW); }
  INLINE double to_double() const { return ap_detail::to_double<NW>(bits_, _AP_S, 0); }
  INLINE float to_float() const { return ap_detail::to_float<NW>(bits_, _AP_S, 0); }
  typedef typename std::conditional<(_AP_W <= 32), typename std::conditional<_AP_S, int, unsigned int>::type,
                                    typename std::conditional<_AP_S, ap_slong, ap_ulong>::type>::type RetType;
  INLINE operator RetType() const { return (RetType)bits_[0]; }
  INLINE int length() const { return _AP_W; }
  std::string to_string(int radix = 2, bool sign = _AP_S) const {
    if (radix == 10) {
      ap_detail::u64 m[NW];
      for (int i = 0; i < NW; ++i) m[i] = bits_[i];
      ap_detail::normalize(m, NW, _AP_W, _AP_S && sign);  // unsigned reading: only the W stored bits
      return ap_detail::to_dec<NW>(m, _AP_S && sign);
    }
    std::string s;
    const int step = radix == 16 ? 4 : radix == 8 ? 3 : 1;
    for (int i = 0; i < _AP_W; i += step) {
      int d = 0;
      for (int k = step - 1; k >= 0; --k) d = (d << 1) | (i + k < _AP_W && ap_detail::get_bit(bits_, NW, i + k, 0) ? 1 : 0);
      s.insert(s.begin(), (char)(d < 10 ? '0' + d : 'a' + d - 10));
    }
    return (radix == 16 ? "0x" : radix == 8 ? "0o" : "0b") + s;
  }

  // ---- bit access
  INLINE ap_bit_ref<_AP_W, _AP_S> operator[](int i) { return ap_bit_ref<_AP_W, _AP_S>(view(), i); }
  INLINE bool operator[](int i) const { return ap_detail::get_bit(bits_, NW, i, 0); }
  template <int W2, bool S2> INLINE ap_bit_ref<_AP_W, _AP_S> operator[](const ap_int_base<W2, S2>& i) { return (*this)[i.to_int()]; }
  template <int W2, bool S2> INLINE bool operator[](const ap_int_base<W2, S2>& i) const { return (*this)[i.to_int()]; }
  INLINE ap_bit_ref<_AP_W, _AP_S> bit(int i) { return (*this)[i]; }
  INLINE bool bit(int i) const { return (*this)[i]; }
  INLINE bool get_bit(int i) const { return (*this)[i]; }
  INLINE void set_bit(int i, bool b) { ap_detail::put_bit(bits_, NW, i, b); ap_detail::normalize(bits_, NW, _AP_W, _AP_S); }
  INLINE void set(int i) { set_bit(i, true); }
  INLINE void clear(int i) { set_bit(i, false); }
  INLINE bool sign() const { return is_neg(); }
  INLINE bool iszero() const { return ap_detail::is_zero(bits_, NW); }
  INLINE bool is_zero() const { return iszero(); }
  INLINE ap_range_ref<_AP_W, _AP_S> range(int hi, int lo) const { return ap_range_ref<_AP_W, _AP_S>(view(), hi, lo); }
  INLINE ap_range_ref<_AP_W, _AP_S> range() const { return range(_AP_W - 1, 0); }
  template <int W2, bool S2, int W3, bool S3>
  INLINE ap_range_ref<_AP_W, _AP_S> range(const ap_int_base<W2, S2>& hi, const ap_int_base<W3, S3>& lo) const { return range(hi.to_int(), lo.to_int()); }
  INLINE ap_range_ref<_AP_W, _AP_S> operator()(int hi, int lo) const { return range(hi, lo); }
  INLINE bool and_reduce() const { return range().and_reduce(); }
  INLINE bool or_reduce() const { return !iszero(); }
  INLINE bool xor_reduce() const { bool x = false; for (int i = 0; i < _AP_W; ++i) x ^= (*this)[i]; return x; }
  INLINE int countLeadingZeros() const {
    for (int i = _AP_W - 1; i >= 0; --i) if ((*this)[i]) return _AP_W - 1 - i;
    return _AP_W;
  }

  // ---- unary
  INLINE ap_int_base operator+() const { return *this; }
  INLINE ap_int_base<_AP_W + 1, true> operator-() const {
    ap_int_base<_AP_W + 1, true> r(*this);
    ap_detail::negate(r.bits_, r.bits_, ap_int_base<_AP_W + 1, true>::NW);
    ap_detail::normalize(r.bits_, ap_int_base<_AP_W + 1, true>::NW, _AP_W + 1, true);
    return r;
  }
  INLINE ap_int_base operator~() const {
    ap_int_base r;
    ap_detail::bit_not(r.bits_, bits_, NW);
    ap_detail::normalize(r.bits_, NW, _AP_W, _AP_S);
    return r;
  }
  INLINE bool operator!() const { return iszero(); }
  INLINE ap_int_base& operator++() { ap_detail::add_one(bits_, NW); ap_detail::normalize(bits_, NW, _AP_W, _AP_S); return *this; }
  INLINE ap_int_base& operator--() {
    ap_detail::u64 one[NW];
    for (int i = 0; i < NW; ++i) one[i] = 0;
    one[0] = 1;
    ap_detail::sub(bits_, bits_, one, NW);
    ap_detail::normalize(bits_, NW, _AP_W, _AP_S);
    return *this;
  }
  INLINE const ap_int_base operator++(int) { ap_int_base r(*this); ++*this; return r; }
  INLINE const ap_int_base operator--(int) { ap_int_base r(*this); --*this; return r; }

  // ---- shifts keep the left operand's type (bits shifted out are lost)
  INLINE ap_int_base operator<<(int sh) const {
    if (sh < 0) return *this >> -sh;
    ap_int_base r(*this);
    ap_detail::shl(r.bits_, NW, sh);
    ap_detail::normalize(r.bits_, NW, _AP_W, _AP_S);
    return r;
  }
  INLINE ap_int_base operator>>(int sh) const {
    if (sh < 0) return *this << -sh;
    ap_int_base r(*this);
    ap_detail::shr(r.bits_, NW, sh, ap_detail::fill_of(bits_, NW, _AP_S));
    return r;
  }
  INLINE ap_int_base operator<<(unsigned sh) const { return *this << (int)sh; }
  INLINE ap_int_base operator>>(unsigned sh) const { return *this >> (int)sh; }
  template <int W2, bool S2> INLINE ap_int_base operator<<(const ap_int_base<W2, S2>& sh) const { return *this << sh.to_int(); }
  template <int W2, bool S2> INLINE ap_int_base operator>>(const ap_int_base<W2, S2>& sh) const { return *this >> sh.to_int(); }
  template <typename T> INLINE ap_int_base& operator<<=(const T& sh) { *this = *this << sh; return *this; }
  template <typename T> INLINE ap_int_base& operator>>=(const T& sh) { *this = *this >> sh; return *this; }

  // ---- compound assignment (the full-precision result is converted back, keeping the low bits)
  template <typename T> INLINE ap_int_base& operator+=(const T& o) { *this = ap_int_base(*this + o); return *this; }
  template <typename T> INLINE ap_int_base& operator-=(const T& o) { *this = ap_int_base(*this - o); return *this; }
  template <typename T> INLINE ap_int_base& operator*=(const T& o) { *this = ap_int_base(*this * o); return *this; }
  template <typename T> INLINE ap_int_base& operator/=(const T& o) { *this = ap_int_base(*this / o); return *this; }
  template <typename T> INLINE ap_int_base& operator%=(const T& o) { *this = ap_int_base(*this % o); return *this; }
  template <typename T> INLINE ap_int_base& operator&=(const T& o) { *this = ap_int_base(*this & o); return *this; }
  template <typename T> INLINE ap_int_base& operator|=(const T& o) { *this = ap_int_base(*this | o); return *this; }
  template <typename T> INLINE ap_int_base& operator^=(const T& o) { *this = ap_int_base(*this ^ o); return *this; }
};

template <int _AP_W, bool _AP_S>
ap_uint<_AP_W> ap_range_ref<_AP_W, _AP_S>::get() const {
  ap_uint<_AP_W> r;
  for (int i = lo; i <= hi; ++i) r.set_bit(i - lo, ap_detail::get_bit(v.w, v.nw, i, 0));
  return r;
}

template <int _AP_W>
struct ap_int : ap_int_base<_AP_W, true> {
  typedef ap_int_base<_AP_W, true> Base;
  using Base::Base;
  INLINE ap_int() : Base() {}
  INLINE ap_int(const Base& b) : Base(b) {}
};

template <int _AP_W>
struct ap_uint : ap_int_base<_AP_W, false> {
  typedef ap_int_base<_AP_W, false> Base;
  using Base::Base;
  INLINE ap_uint() : Base() {}
  INLINE ap_uint(const Base& b) : Base(b) {}
};

// ---- binary arithmetic between ap_int_base values: exact, in the vendor's result types
namespace ap_detail {
template <typename R, int W1, bool S1, int W2, bool S2>
INLINE void operands(u64* x, u64* y, const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
  extend(x, R::NW, a.bits_, ap_int_base<W1, S1>::NW, S1);
  extend(y, R::NW, b.bits_, ap_int_base<W2, S2>::NW, S2);
}
}  // namespace ap_detail

#define FIRMFLOW_AP_INT_BINOP(OP, RT, BODY)                                                               \
  template <int W1, bool S1, int W2, bool S2>                                                          \
  INLINE typename ap_int_base<W1, S1>::template RType<W2, S2>::RT operator OP(const ap_int_base<W1, S1>& a, \
                                                                               const ap_int_base<W2, S2>& b) { \
    typedef typename ap_int_base<W1, S1>::template RType<W2, S2>::RT R;                                  \
    R r;                                                                                                 \
    ap_detail::u64 x[R::NW], y[R::NW];                                                                   \
    ap_detail::operands<R>(x, y, a, b);                                                                  \
    BODY;                                                                                                \
    ap_detail::normalize(r.bits_, R::NW, R::width, R::sign_flag);                                        \
    return r;                                                                                            \
  }
FIRMFLOW_AP_INT_BINOP(+, plus, ap_detail::add(r.bits_, x, y, R::NW))
FIRMFLOW_AP_INT_BINOP(-, minus, ap_detail::sub(r.bits_, x, y, R::NW))
FIRMFLOW_AP_INT_BINOP(*, mult, ap_detail::mul<R::NW>(r.bits_, x, y))
FIRMFLOW_AP_INT_BINOP(&, logic, for (int i = 0; i < R::NW; ++i) r.bits_[i] = x[i] & y[i])
FIRMFLOW_AP_INT_BINOP(|, logic, for (int i = 0; i < R::NW; ++i) r.bits_[i] = x[i] | y[i])
FIRMFLOW_AP_INT_BINOP(^, logic, for (int i = 0; i < R::NW; ++i) r.bits_[i] = x[i] ^ y[i])
#undef FIRMFLOW_AP_INT_BINOP

namespace ap_detail {
// Division and remainder are computed in a width that holds both operands, then narrowed to the result type.
template <int W1, bool S1, int W2, bool S2>
struct int_divtmp { typedef ap_int_base<AP_MAX(W1, W2) + 2, (S1 || S2)> T; };
}  // namespace ap_detail

template <int W1, bool S1, int W2, bool S2>
INLINE typename ap_int_base<W1, S1>::template RType<W2, S2>::div operator/(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
  typedef typename ap_detail::int_divtmp<W1, S1, W2, S2>::T T;
  T x(a), y(b), q, r;
  ap_detail::divmod<T::NW>(q.bits_, r.bits_, x.bits_, y.bits_, S1 || S2);
  return typename ap_int_base<W1, S1>::template RType<W2, S2>::div(q);
}
template <int W1, bool S1, int W2, bool S2>
INLINE typename ap_int_base<W1, S1>::template RType<W2, S2>::mod operator%(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
  typedef typename ap_detail::int_divtmp<W1, S1, W2, S2>::T T;
  T x(a), y(b), q, r;
  ap_detail::divmod<T::NW>(q.bits_, r.bits_, x.bits_, y.bits_, S1 || S2);
  return typename ap_int_base<W1, S1>::template RType<W2, S2>::mod(r);
}

template <int W1, bool S1, int W2, bool S2>
INLINE int ap_int_compare(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {
  typedef ap_int_base<AP_MAX(W1 + (S2 && !S1), W2 + (S1 && !S2)) + 1, (S1 || S2)> C;
  ap_detail::u64 x[C::NW], y[C::NW];
  ap_detail::operands<C>(x, y, a, b);
  return ap_detail::cmp(x, y, C::NW, S1 || S2);
}

#define FIRMFLOW_AP_INT_REL(OP)                                                                  \
  template <int W1, bool S1, int W2, bool S2>                                                 \
  INLINE bool operator OP(const ap_int_base<W1, S1>& a, const ap_int_base<W2, S2>& b) {       \
    return ap_int_compare(a, b) OP 0;                                                         \
  }
FIRMFLOW_AP_INT_REL(==)
FIRMFLOW_AP_INT_REL(!=)
FIRMFLOW_AP_INT_REL(<)
FIRMFLOW_AP_INT_REL(<=)
FIRMFLOW_AP_INT_REL(>)
FIRMFLOW_AP_INT_REL(>=)
#undef FIRMFLOW_AP_INT_REL

// ---- mixing with C integers: the C value takes part as an ap_int of its own width and signedness
#define FIRMFLOW_AP_INT_CBIN(OP, RT)                                                                            \
  template <int W, bool S, typename T>                                                                         \
  INLINE typename std::enable_if<ap_ctype<T>::ok,                                                              \
      typename ap_int_base<W, S>::template RType<ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>::RT>::type          \
  operator OP(const ap_int_base<W, S>& a, T b) {                                                               \
    return a OP ap_int_base<ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(b);                                    \
  }                                                                                                            \
  template <int W, bool S, typename T>                                                                         \
  INLINE typename std::enable_if<ap_ctype<T>::ok,                                                              \
      typename ap_int_base<ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>::template RType<W, S>::RT>::type          \
  operator OP(T a, const ap_int_base<W, S>& b) {                                                               \
    return ap_int_base<ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(a) OP b;                                    \
  }
FIRMFLOW_AP_INT_CBIN(+, plus)
FIRMFLOW_AP_INT_CBIN(-, minus)
FIRMFLOW_AP_INT_CBIN(*, mult)
FIRMFLOW_AP_INT_CBIN(/, div)
FIRMFLOW_AP_INT_CBIN(%, mod)
FIRMFLOW_AP_INT_CBIN(&, logic)
FIRMFLOW_AP_INT_CBIN(|, logic)
FIRMFLOW_AP_INT_CBIN(^, logic)
#undef FIRMFLOW_AP_INT_CBIN

#define FIRMFLOW_AP_INT_CREL(OP)                                                                  \
  template <int W, bool S, typename T>                                                         \
  INLINE typename std::enable_if<ap_ctype<T>::ok, bool>::type operator OP(const ap_int_base<W, S>& a, T b) { \
    return ap_int_compare(a, ap_int_base<ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(b)) OP 0;  \
  }                                                                                            \
  template <int W, bool S, typename T>                                                         \
  INLINE typename std::enable_if<ap_ctype<T>::ok, bool>::type operator OP(T a, const ap_int_base<W, S>& b) { \
    return ap_int_compare(ap_int_base<ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(a), b) OP 0;  \
  }                                                                                            \
  template <int W, bool S>                                                                     \
  INLINE bool operator OP(const ap_int_base<W, S>& a, double b) { return a.to_double() OP b; } \
  template <int W, bool S>                                                                     \
  INLINE bool operator OP(double a, const ap_int_base<W, S>& b) { return a OP b.to_double(); }
FIRMFLOW_AP_INT_CREL(==)
FIRMFLOW_AP_INT_CREL(!=)
FIRMFLOW_AP_INT_CREL(<)
FIRMFLOW_AP_INT_CREL(<=)
FIRMFLOW_AP_INT_CREL(>)
FIRMFLOW_AP_INT_CREL(>=)
#undef FIRMFLOW_AP_INT_CREL

template <int W, bool S>
inline std::ostream& operator<<(std::ostream& os, const ap_int_base<W, S>& x) {
  if (os.flags() & std::ios::hex) return os << x.to_string(16, false);
  return os << x.to_string(10);
}
template <int W, bool S>
inline std::istream& operator>>(std::istream& is, ap_int_base<W, S>& x) {
  std::string s;
  is >> s;
  x = ap_int_base<W, S>(s.c_str());
  return is;
}
template <int W, bool S>
inline std::ostream& operator<<(std::ostream& os, const ap_range_ref<W, S>& r) { return os << r.get(); }

#endif
