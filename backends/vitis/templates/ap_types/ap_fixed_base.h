// firmflow host-simulation implementation of ap_fixed_base / ap_fixed / ap_ufixed (our own code, API-compatible
// with the AMD arbitrary-precision types; never used for synthesis). Include ap_fixed.h, not this file.
#ifndef FIRMFLOW_AP_FIXED_BASE_H
#define FIRMFLOW_AP_FIXED_BASE_H

#include "ap_int_base.h"

namespace ap_detail {
// Result types of fixed-point operations (W, I, signedness): exact for +, -, *, as the vendor defines them.
template <int W1, int I1, bool S1, int W2, int I2, bool S2>
struct fx_rtype {
  enum {
    F1 = W1 - I1, F2 = W2 - I2, F = AP_MAX(F1, F2),
    IL = AP_MAX(I1 + (S2 && !S1), I2 + (S1 && !S2)),
    mult_w = W1 + W2, mult_i = I1 + I2, mult_s = S1 || S2,
    plus_w = IL + 1 + F, plus_i = IL + 1, plus_s = S1 || S2,
    minus_w = IL + 1 + F, minus_i = IL + 1, minus_s = true,
    logic_w = IL + F, logic_i = IL, logic_s = S1 || S2,
    div_w = S2 + W1 + AP_MAX(F2, 0), div_i = S2 + I1 + F2, div_s = S1 || S2
  };
};

template <int W, int I, bool S> struct fx_factory;
template <int W, int I> struct fx_factory<W, I, true> { typedef ap_fixed<W, I> type; };
template <int W, int I> struct fx_factory<W, I, false> { typedef ap_ufixed<W, I> type; };
}  // namespace ap_detail

// Bit and range references into an ap_fixed's raw bits (bit 0 is the LSB of the stored word).
template <int _AP_W, int _AP_I, bool _AP_S, ap_q_mode _AP_Q, ap_o_mode _AP_O, int _AP_N>
struct af_bit_ref : ap_bit_ref<_AP_W, _AP_S> {
  af_bit_ref(const ap_detail::bits_view& v, int i) : ap_bit_ref<_AP_W, _AP_S>(v, i) {}
  using ap_bit_ref<_AP_W, _AP_S>::operator=;
};
template <int _AP_W, int _AP_I, bool _AP_S, ap_q_mode _AP_Q, ap_o_mode _AP_O, int _AP_N>
struct af_range_ref : ap_range_ref<_AP_W, _AP_S> {
  af_range_ref(const ap_detail::bits_view& v, int h, int l) : ap_range_ref<_AP_W, _AP_S>(v, h, l) {}
  using ap_range_ref<_AP_W, _AP_S>::operator=;
};

template <int _AP_W, int _AP_I, bool _AP_S, ap_q_mode _AP_Q, ap_o_mode _AP_O, int _AP_N>
struct ap_fixed_base {
  static_assert(_AP_W >= 1, "ap_fixed width must be at least 1");
  static_assert(_AP_S || _AP_O != AP_WRAP_SM, "ap_ufixed cannot use AP_WRAP_SM");
  enum { NW = (_AP_W + 63) / 64, FRAC = _AP_W - _AP_I };
  static const int width = _AP_W;
  static const int iwidth = _AP_I;
  static const bool sign_flag = _AP_S;
  static const ap_q_mode qmode = _AP_Q;
  static const ap_o_mode omode = _AP_O;
  ap_detail::u64 bits_[NW];

  template <int _AP_W2, int _AP_I2, bool _AP_S2>
  struct RType {
    typedef ap_detail::fx_rtype<_AP_W, _AP_I, _AP_S, _AP_W2, _AP_I2, _AP_S2> R;
    typedef ap_fixed_base<R::mult_w, R::mult_i, (bool)R::mult_s> mult_base;
    typedef ap_fixed_base<R::plus_w, R::plus_i, (bool)R::plus_s> plus_base;
    typedef ap_fixed_base<R::minus_w, R::minus_i, (bool)R::minus_s> minus_base;
    typedef ap_fixed_base<R::logic_w, R::logic_i, (bool)R::logic_s> logic_base;
    typedef ap_fixed_base<R::div_w, R::div_i, (bool)R::div_s> div_base;
    typedef typename ap_detail::fx_factory<R::mult_w, R::mult_i, (bool)R::mult_s>::type mult;
    typedef typename ap_detail::fx_factory<R::plus_w, R::plus_i, (bool)R::plus_s>::type plus;
    typedef typename ap_detail::fx_factory<R::minus_w, R::minus_i, (bool)R::minus_s>::type minus;
    typedef typename ap_detail::fx_factory<R::logic_w, R::logic_i, (bool)R::logic_s>::type logic;
    typedef typename ap_detail::fx_factory<R::div_w, R::div_i, (bool)R::div_s>::type div;
    typedef typename ap_detail::fx_factory<_AP_W, _AP_I, _AP_S>::type arg1;
  };

  INLINE void clear_all() { for (int i = 0; i < NW; ++i) bits_[i] = 0; }
  ap_detail::bits_view view() const { ap_detail::bits_view v = {const_cast<ap_detail::u64*>(bits_), NW, _AP_W, _AP_S}; return v; }
  template <int SN>
  INLINE void assign_raw(const ap_detail::u64* src, int F2, bool S2) {
    ap_detail::fx_convert<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N, SN>(bits_, src, F2, S2);
  }

  // ---- construction: every source is taken at its exact value and fitted with this type's Q and O modes
  INLINE ap_fixed_base() { clear_all(); }
  INLINE ap_fixed_base(const ap_fixed_base& o) { for (int i = 0; i < NW; ++i) bits_[i] = o.bits_[i]; }
  template <int _AP_W2, int _AP_I2, bool _AP_S2, ap_q_mode _AP_Q2, ap_o_mode _AP_O2, int _AP_N2>
  INLINE ap_fixed_base(const ap_fixed_base<_AP_W2, _AP_I2, _AP_S2, _AP_Q2, _AP_O2, _AP_N2>& o) {
    assign_raw<ap_fixed_base<_AP_W2, _AP_I2, _AP_S2, _AP_Q2, _AP_O2, _AP_N2>::NW>(o.bits_, _AP_W2 - _AP_I2, _AP_S2);
  }
  template <int _AP_W2, bool _AP_S2>
  INLINE ap_fixed_base(const ap_int_base<_AP_W2, _AP_S2>& o) { assign_raw<ap_int_base<_AP_W2, _AP_S2>::NW>(o.bits_, 0, _AP_S2); }
  template <int _AP_W2, bool _AP_S2>
  INLINE ap_fixed_base(const ap_range_ref<_AP_W2, _AP_S2>& r) { *this = ap_fixed_base(ap_uint<_AP_W2>(r.get())); }
  template <int _AP_W2, bool _AP_S2>
  INLINE ap_fixed_base(const ap_bit_ref<_AP_W2, _AP_S2>& b) { *this = ap_fixed_base((bool)b); }
#define FIRMFLOW_FX_CTOR_INT(T)                                                  \
  INLINE ap_fixed_base(T x) {                                                    \
    const ap_detail::u64 w = (ap_detail::u64)(ap_detail::i64)x;                  \
    assign_raw<1>(&w, 0, ap_ctype<T>::sgn);                                      \
  }
  FIRMFLOW_FX_CTOR_INT(bool)
  FIRMFLOW_FX_CTOR_INT(char)
  FIRMFLOW_FX_CTOR_INT(signed char)
  FIRMFLOW_FX_CTOR_INT(unsigned char)
  FIRMFLOW_FX_CTOR_INT(short)
  FIRMFLOW_FX_CTOR_INT(unsigned short)
  FIRMFLOW_FX_CTOR_INT(int)
  FIRMFLOW_FX_CTOR_INT(unsigned int)
  FIRMFLOW_FX_CTOR_INT(long)
  FIRMFLOW_FX_CTOR_INT(long long)
#undef FIRMFLOW_FX_CTOR_INT
  INLINE ap_fixed_base(unsigned long x) { const ap_detail::u64 w = x; assign_raw<1>(&w, 0, false); }
  INLINE ap_fixed_base(unsigned long long x) { const ap_detail::u64 w = x; assign_raw<1>(&w, 0, false); }
  INLINE ap_fixed_base(double d) {
    ap_detail::i64 m;
    int frac;
    ap_detail::split_double(d, m, frac);
    const ap_detail::u64 w = (ap_detail::u64)m;
    assign_raw<1>(&w, frac, true);
  }
  INLINE ap_fixed_base(float f) : ap_fixed_base((double)f) {}
  INLINE ap_fixed_base(const char* s) : ap_fixed_base(std::strtod(s, 0)) {}

  INLINE ap_fixed_base& operator=(const ap_fixed_base& o) { for (int i = 0; i < NW; ++i) bits_[i] = o.bits_[i]; return *this; }
  template <int _AP_W2, int _AP_I2, bool _AP_S2, ap_q_mode _AP_Q2, ap_o_mode _AP_O2, int _AP_N2>
  INLINE ap_fixed_base& operator=(const ap_fixed_base<_AP_W2, _AP_I2, _AP_S2, _AP_Q2, _AP_O2, _AP_N2>& o) {
    assign_raw<ap_fixed_base<_AP_W2, _AP_I2, _AP_S2, _AP_Q2, _AP_O2, _AP_N2>::NW>(o.bits_, _AP_W2 - _AP_I2, _AP_S2);
    return *this;
  }

  // Raw access: the W stored bits as an integer.
  INLINE ap_fixed_base& setBits(ap_ulong bv) {
    bits_[0] = bv;
    for (int i = 1; i < NW; ++i) bits_[i] = 0;
    ap_detail::normalize(bits_, NW, _AP_W, _AP_S);
    return *this;
  }
  static INLINE ap_fixed_base bitsToFixed(ap_ulong bv) { ap_fixed_base t; t.setBits(bv); return t; }

  // ---- conversions
  INLINE ap_int_base<AP_MAX(_AP_I, 1), _AP_S> to_ap_int_base(bool = true) const { return ap_int_base<AP_MAX(_AP_I, 1), _AP_S>(*this); }
  INLINE double to_double() const { return ap_detail::to_double<NW>(bits_, _AP_S, -FRAC); }
  INLINE float to_float() const { return ap_detail::to_float<NW>(bits_, _AP_S, -FRAC); }
  INLINE int to_int() const { return ap_int_base<64, _AP_S>(*this).to_int(); }
  INLINE unsigned to_uint() const { return ap_int_base<64, _AP_S>(*this).to_uint(); }
  INLINE ap_slong to_int64() const { return ap_int_base<64, _AP_S>(*this).to_int64(); }
  INLINE ap_ulong to_uint64() const { return ap_int_base<64, _AP_S>(*this).to_uint64(); }
  INLINE long to_long() const { return (long)to_int64(); }
  INLINE unsigned long to_ulong() const { return (unsigned long)to_uint64(); }
  INLINE char to_char() const { return (char)to_int(); }
  INLINE bool to_bool() const { return !ap_detail::is_zero(bits_, NW); }
  INLINE operator long double() const { return (long double)to_double(); }
  INLINE operator double() const { return to_double(); }
  INLINE operator float() const { return to_float(); }
  INLINE operator bool() const { return to_bool(); }
  INLINE operator char() const { return (char)to_int(); }
  INLINE operator signed char() const { return (signed char)to_int(); }
  INLINE operator unsigned char() const { return (unsigned char)to_uint(); }
  INLINE operator short() const { return (short)to_int(); }
  INLINE operator unsigned short() const { return (unsigned short)to_uint(); }
  INLINE operator int() const { return to_int(); }
  INLINE operator unsigned int() const { return to_uint(); }
  INLINE operator long() const { return to_long(); }
  INLINE operator unsigned long() const { return to_ulong(); }
  INLINE operator ap_slong() const { return to_int64(); }
  INLINE operator ap_ulong() const { return to_uint64(); }
  INLINE int length() const { return _AP_W; }
  INLINE int wl() const { return _AP_W; }
  INLINE int iwl() const { return _AP_I; }
  INLINE ap_q_mode q_mode() const { return _AP_Q; }
  INLINE ap_o_mode o_mode() const { return _AP_O; }
  INLINE int n_bits() const { return _AP_N; }
  INLINE bool is_neg() const { return _AP_S && (ap_detail::i64)bits_[NW - 1] < 0; }
  INLINE bool is_zero() const { return ap_detail::is_zero(bits_, NW); }

  // Exact decimal text (radix 10), or the raw bits (radix 2/8/16).
  std::string to_string(int radix = 2, bool sign = _AP_S) const {
    if (radix != 10) return ap_int_base<_AP_W, _AP_S>(raw()).to_string(radix, sign);
    enum { DN = (AP_MAX(AP_MAX(_AP_W, FRAC), _AP_I) + 8 + 63) / 64 + 1 };
    ap_detail::u64 m[DN], ip[DN], fp[DN], ten[DN], tmp[DN];
    ap_detail::extend(m, DN, bits_, NW, _AP_S);
    const bool neg = _AP_S && (ap_detail::i64)m[DN - 1] < 0;
    if (neg) ap_detail::negate(m, m, DN);
    for (int i = 0; i < DN; ++i) { ip[i] = m[i]; fp[i] = m[i]; ten[i] = 0; }
    ten[0] = 10;
    std::string s = neg ? "-" : "";
    if (FRAC > 0) {
      ap_detail::shr(ip, DN, FRAC, 0);
      for (int b = FRAC; b < 64 * DN; ++b) ap_detail::put_bit(fp, DN, b, false);
    } else {
      ap_detail::shl(ip, DN, -FRAC);
      for (int i = 0; i < DN; ++i) fp[i] = 0;
    }
    s += ap_detail::to_dec<DN>(ip, false);
    if (!ap_detail::is_zero(fp, DN)) {
      s += '.';
      while (!ap_detail::is_zero(fp, DN)) {
        ap_detail::mul<DN>(tmp, fp, ten);
        for (int i = 0; i < DN; ++i) fp[i] = tmp[i];
        ap_detail::shr(tmp, DN, FRAC, 0);
        s += (char)('0' + (int)tmp[0]);
        for (int b = FRAC; b < 64 * DN; ++b) ap_detail::put_bit(fp, DN, b, false);
      }
    }
    return s;
  }

  // ---- bit access on the stored word
  INLINE ap_uint<_AP_W> raw() const { ap_uint<_AP_W> r; for (int i = 0; i < NW; ++i) r.bits_[i] = bits_[i]; ap_detail::normalize(r.bits_, NW, _AP_W, false); return r; }
  INLINE af_bit_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> operator[](int i) { return af_bit_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N>(view(), i); }
  INLINE bool operator[](int i) const { return ap_detail::get_bit(bits_, NW, i, 0); }
  template <int W2, bool S2> INLINE af_bit_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> operator[](const ap_int_base<W2, S2>& i) { return (*this)[i.to_int()]; }
  INLINE af_bit_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> bit(int i) { return (*this)[i]; }
  INLINE bool bit(int i) const { return (*this)[i]; }
  // get_bit/set_bit index bits relative to the binary point (index 0 is the unit bit), as the vendor does.
  INLINE bool get_bit(int index) const { return (*this)[index + FRAC]; }
  INLINE void set_bit(int index, bool b) { ap_detail::put_bit(bits_, NW, index + FRAC, b); ap_detail::normalize(bits_, NW, _AP_W, _AP_S); }
  INLINE af_range_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> range(int hi, int lo) const { return af_range_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N>(view(), hi, lo); }
  INLINE af_range_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> range() const { return range(_AP_W - 1, 0); }
  template <int W2, bool S2, int W3, bool S3>
  INLINE af_range_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> range(const ap_int_base<W2, S2>& hi, const ap_int_base<W3, S3>& lo) const { return range(hi.to_int(), lo.to_int()); }
  INLINE af_range_ref<_AP_W, _AP_I, _AP_S, _AP_Q, _AP_O, _AP_N> operator()(int hi, int lo) const { return range(hi, lo); }

  // ---- unary
  INLINE ap_fixed_base operator+() const { return *this; }
  INLINE typename ap_detail::fx_factory<_AP_W + 1, _AP_I + 1, true>::type operator-() const {
    typename ap_detail::fx_factory<_AP_W + 1, _AP_I + 1, true>::type r(*this);
    enum { RN = ap_fixed_base<_AP_W + 1, _AP_I + 1, true>::NW };
    ap_detail::negate(r.bits_, r.bits_, RN);
    ap_detail::normalize(r.bits_, RN, _AP_W + 1, true);
    return r;
  }
  INLINE ap_fixed_base<_AP_W, _AP_I, true, _AP_Q, _AP_O, _AP_N> getNeg() const {
    ap_fixed_base<_AP_W, _AP_I, true, _AP_Q, _AP_O, _AP_N> r;
    ap_detail::negate(r.bits_, bits_, NW);
    ap_detail::normalize(r.bits_, NW, _AP_W, true);
    return r;
  }
  INLINE ap_fixed_base<_AP_W, _AP_I, _AP_S> operator~() const {
    ap_fixed_base<_AP_W, _AP_I, _AP_S> r;
    ap_detail::bit_not(r.bits_, bits_, NW);
    ap_detail::normalize(r.bits_, NW, _AP_W, _AP_S);
    return r;
  }
  INLINE bool operator!() const { return is_zero(); }
  INLINE ap_fixed_base& operator++() { *this += ap_fixed_base<AP_MAX(FRAC, 0) + 2, 2, false>(1); return *this; }
  INLINE ap_fixed_base& operator--() { *this -= ap_fixed_base<AP_MAX(FRAC, 0) + 2, 2, false>(1); return *this; }
  INLINE const ap_fixed_base operator++(int) { ap_fixed_base r(*this); ++*this; return r; }
  INLINE const ap_fixed_base operator--(int) { ap_fixed_base r(*this); --*this; return r; }

  // ---- shifts move the stored bits and keep the type; bits shifted out are lost (the vendor default)
  INLINE ap_fixed_base operator<<(int sh) const {
    if (sh < 0) return *this >> -sh;
    ap_fixed_base r(*this);
    ap_detail::shl(r.bits_, NW, sh);
    ap_detail::normalize(r.bits_, NW, _AP_W, _AP_S);
    return r;
  }
  INLINE ap_fixed_base operator>>(int sh) const {
    if (sh < 0) return *this << -sh;
    ap_fixed_base r(*this);
    ap_detail::shr(r.bits_, NW, sh, ap_detail::fill_of(bits_, NW, _AP_S));
    return r;
  }
  INLINE ap_fixed_base operator<<(unsigned sh) const { return *this << (int)sh; }
  INLINE ap_fixed_base operator>>(unsigned sh) const { return *this >> (int)sh; }
  template <int W2, bool S2> INLINE ap_fixed_base operator<<(const ap_int_base<W2, S2>& sh) const { return *this << sh.to_int(); }
  template <int W2, bool S2> INLINE ap_fixed_base operator>>(const ap_int_base<W2, S2>& sh) const { return *this >> sh.to_int(); }
  template <typename T> INLINE ap_fixed_base& operator<<=(const T& sh) { *this = *this << sh; return *this; }
  template <typename T> INLINE ap_fixed_base& operator>>=(const T& sh) { *this = *this >> sh; return *this; }
  template <int _AP_SHIFT> INLINE ap_fixed_base<_AP_W, _AP_I + _AP_SHIFT, _AP_S> lshift() const { ap_fixed_base<_AP_W, _AP_I + _AP_SHIFT, _AP_S> r; for (int i = 0; i < NW; ++i) r.bits_[i] = bits_[i]; return r; }
  template <int _AP_SHIFT> INLINE ap_fixed_base<_AP_W, _AP_I - _AP_SHIFT, _AP_S> rshift() const { ap_fixed_base<_AP_W, _AP_I - _AP_SHIFT, _AP_S> r; for (int i = 0; i < NW; ++i) r.bits_[i] = bits_[i]; return r; }

  // ---- compound assignment: exact result, then converted with this type's Q and O modes
  template <typename T> INLINE ap_fixed_base& operator+=(const T& o) { *this = *this + o; return *this; }
  template <typename T> INLINE ap_fixed_base& operator-=(const T& o) { *this = *this - o; return *this; }
  template <typename T> INLINE ap_fixed_base& operator*=(const T& o) { *this = *this * o; return *this; }
  template <typename T> INLINE ap_fixed_base& operator/=(const T& o) { *this = *this / o; return *this; }
  template <typename T> INLINE ap_fixed_base& operator&=(const T& o) { *this = *this & o; return *this; }
  template <typename T> INLINE ap_fixed_base& operator|=(const T& o) { *this = *this | o; return *this; }
  template <typename T> INLINE ap_fixed_base& operator^=(const T& o) { *this = *this ^ o; return *this; }
};

template <int _AP_W, int _AP_I, ap_q_mode _AP_Q, ap_o_mode _AP_O, int _AP_N>
struct ap_fixed : ap_fixed_base<_AP_W, _AP_I, true, _AP_Q, _AP_O, _AP_N> {
  typedef ap_fixed_base<_AP_W, _AP_I, true, _AP_Q, _AP_O, _AP_N> Base;
  using Base::Base;
  INLINE ap_fixed() : Base() {}
  INLINE ap_fixed(const ap_fixed& o) : Base(static_cast<const Base&>(o)) {}
  INLINE ap_fixed& operator=(const ap_fixed& o) { Base::operator=(static_cast<const Base&>(o)); return *this; }
  template <typename T> INLINE ap_fixed& operator=(const T& o) { Base::operator=(Base(o)); return *this; }
};

template <int _AP_W, int _AP_I, ap_q_mode _AP_Q, ap_o_mode _AP_O, int _AP_N>
struct ap_ufixed : ap_fixed_base<_AP_W, _AP_I, false, _AP_Q, _AP_O, _AP_N> {
  typedef ap_fixed_base<_AP_W, _AP_I, false, _AP_Q, _AP_O, _AP_N> Base;
  using Base::Base;
  INLINE ap_ufixed() : Base() {}
  INLINE ap_ufixed(const ap_ufixed& o) : Base(static_cast<const Base&>(o)) {}
  INLINE ap_ufixed& operator=(const ap_ufixed& o) { Base::operator=(static_cast<const Base&>(o)); return *this; }
  template <typename T> INLINE ap_ufixed& operator=(const T& o) { Base::operator=(Base(o)); return *this; }
};

// ---- binary operations between fixed-point values
namespace ap_detail {
// Places a fixed-point operand into the words of a wider result type R with R's fraction count (exact).
template <typename R, int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
INLINE void align_to(u64* d, const ap_fixed_base<W, I, S, Q, O, N>& a) {
  extend(d, R::NW, a.bits_, ap_fixed_base<W, I, S, Q, O, N>::NW, S);
  shl(d, R::NW, (R::width - R::iwidth) - (W - I));
}
}  // namespace ap_detail

#define FIRMFLOW_FX_TPL \
  template <int W1, int I1, bool S1, ap_q_mode Q1, ap_o_mode O1, int N1, int W2, int I2, bool S2, ap_q_mode Q2, ap_o_mode O2, int N2>
#define FIRMFLOW_FX_A const ap_fixed_base<W1, I1, S1, Q1, O1, N1>& a
#define FIRMFLOW_FX_B const ap_fixed_base<W2, I2, S2, Q2, O2, N2>& b
#define FIRMFLOW_FX_RT(RT) typename ap_fixed_base<W1, I1, S1>::template RType<W2, I2, S2>::RT

#define FIRMFLOW_FX_ADDSUB(OP, RT, FN)                                 \
  FIRMFLOW_FX_TPL INLINE FIRMFLOW_FX_RT(RT) operator OP(FIRMFLOW_FX_A, FIRMFLOW_FX_B) { \
    typedef FIRMFLOW_FX_RT(RT) R;                                      \
    R r;                                                               \
    ap_detail::u64 x[R::NW], y[R::NW];                                 \
    ap_detail::align_to<R>(x, a);                                      \
    ap_detail::align_to<R>(y, b);                                      \
    FN(r.bits_, x, y, R::NW);                                          \
    ap_detail::normalize(r.bits_, R::NW, R::width, R::sign_flag);      \
    return r;                                                          \
  }
FIRMFLOW_FX_ADDSUB(+, plus, ap_detail::add)
FIRMFLOW_FX_ADDSUB(-, minus, ap_detail::sub)
#undef FIRMFLOW_FX_ADDSUB

namespace ap_detail {
INLINE void and_words(u64* d, const u64* a, const u64* b, int n) { for (int i = 0; i < n; ++i) d[i] = a[i] & b[i]; }
INLINE void or_words(u64* d, const u64* a, const u64* b, int n) { for (int i = 0; i < n; ++i) d[i] = a[i] | b[i]; }
INLINE void xor_words(u64* d, const u64* a, const u64* b, int n) { for (int i = 0; i < n; ++i) d[i] = a[i] ^ b[i]; }
}  // namespace ap_detail

#define FIRMFLOW_FX_LOGIC(OP, FN)                                      \
  FIRMFLOW_FX_TPL INLINE FIRMFLOW_FX_RT(logic) operator OP(FIRMFLOW_FX_A, FIRMFLOW_FX_B) { \
    typedef FIRMFLOW_FX_RT(logic) R;                                   \
    R r;                                                               \
    ap_detail::u64 x[R::NW], y[R::NW];                                 \
    ap_detail::align_to<R>(x, a);                                      \
    ap_detail::align_to<R>(y, b);                                      \
    FN(r.bits_, x, y, R::NW);                                          \
    ap_detail::normalize(r.bits_, R::NW, R::width, R::sign_flag);      \
    return r;                                                          \
  }
FIRMFLOW_FX_LOGIC(&, ap_detail::and_words)
FIRMFLOW_FX_LOGIC(|, ap_detail::or_words)
FIRMFLOW_FX_LOGIC(^, ap_detail::xor_words)
#undef FIRMFLOW_FX_LOGIC

FIRMFLOW_FX_TPL INLINE FIRMFLOW_FX_RT(mult) operator*(FIRMFLOW_FX_A, FIRMFLOW_FX_B) {
  typedef FIRMFLOW_FX_RT(mult) R;
  R r;
  ap_detail::u64 x[R::NW], y[R::NW];
  ap_detail::extend(x, R::NW, a.bits_, ap_fixed_base<W1, I1, S1, Q1, O1, N1>::NW, S1);
  ap_detail::extend(y, R::NW, b.bits_, ap_fixed_base<W2, I2, S2, Q2, O2, N2>::NW, S2);
  ap_detail::mul<R::NW>(r.bits_, x, y);
  ap_detail::normalize(r.bits_, R::NW, R::width, R::sign_flag);
  return r;
}

// Quotient truncated toward zero in the vendor's division type.
FIRMFLOW_FX_TPL INLINE FIRMFLOW_FX_RT(div) operator/(FIRMFLOW_FX_A, FIRMFLOW_FX_B) {
  typedef FIRMFLOW_FX_RT(div) R;
  enum { F2 = W2 - I2, TW = AP_MAX(W1 + AP_MAX(F2, 0), W2) + 2 };
  typedef ap_int_base<TW, (S1 || S2)> T;
  T x, y, q, rem;
  ap_detail::extend(x.bits_, T::NW, a.bits_, ap_fixed_base<W1, I1, S1, Q1, O1, N1>::NW, S1);
  ap_detail::shl(x.bits_, T::NW, AP_MAX((int)F2, 0));
  ap_detail::extend(y.bits_, T::NW, b.bits_, ap_fixed_base<W2, I2, S2, Q2, O2, N2>::NW, S2);
  ap_detail::divmod<T::NW>(q.bits_, rem.bits_, x.bits_, y.bits_, S1 || S2);
  R r;
  ap_detail::extend(r.bits_, R::NW, q.bits_, T::NW, S1 || S2);
  ap_detail::normalize(r.bits_, R::NW, R::width, R::sign_flag);
  return r;
}

FIRMFLOW_FX_TPL INLINE int ap_fixed_compare(FIRMFLOW_FX_A, FIRMFLOW_FX_B) {
  typedef ap_detail::fx_rtype<W1, I1, S1, W2, I2, S2> RT;
  typedef ap_fixed_base<RT::logic_w + 1, RT::logic_i + 1, (bool)RT::logic_s> C;
  ap_detail::u64 x[C::NW], y[C::NW];
  ap_detail::align_to<C>(x, a);
  ap_detail::align_to<C>(y, b);
  return ap_detail::cmp(x, y, C::NW, C::sign_flag);
}

#define FIRMFLOW_FX_REL(OP) \
  FIRMFLOW_FX_TPL INLINE bool operator OP(FIRMFLOW_FX_A, FIRMFLOW_FX_B) { return ap_fixed_compare(a, b) OP 0; }
FIRMFLOW_FX_REL(==)
FIRMFLOW_FX_REL(!=)
FIRMFLOW_FX_REL(<)
FIRMFLOW_FX_REL(<=)
FIRMFLOW_FX_REL(>)
FIRMFLOW_FX_REL(>=)
#undef FIRMFLOW_FX_REL
#undef FIRMFLOW_FX_TPL
#undef FIRMFLOW_FX_A
#undef FIRMFLOW_FX_B
#undef FIRMFLOW_FX_RT

// ---- fixed-point with ap_int and with C integers: the integer takes part as ap_fixed<W, W, S>
#define FIRMFLOW_FX_TPL1 template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N
#define FIRMFLOW_FX_X const ap_fixed_base<W, I, S, Q, O, N>& a
#define FIRMFLOW_FX_MIXED(OP, RT)                                                                                    \
  FIRMFLOW_FX_TPL1, int W2, bool S2>                                                                                  \
  INLINE typename ap_fixed_base<W, I, S>::template RType<W2, W2, S2>::RT operator OP(FIRMFLOW_FX_X, const ap_int_base<W2, S2>& b) { \
    return a OP ap_fixed_base<W2, W2, S2>(b);                                                                        \
  }                                                                                                                  \
  FIRMFLOW_FX_TPL1, int W2, bool S2>                                                                                  \
  INLINE typename ap_fixed_base<W2, W2, S2>::template RType<W, I, S>::RT operator OP(const ap_int_base<W2, S2>& b, FIRMFLOW_FX_X) { \
    return ap_fixed_base<W2, W2, S2>(b) OP a;                                                                        \
  }                                                                                                                  \
  FIRMFLOW_FX_TPL1, typename T>                                                                                       \
  INLINE typename std::enable_if<ap_ctype<T>::ok,                                                                    \
      typename ap_fixed_base<W, I, S>::template RType<ap_ctype<T>::width, ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>::RT>::type \
  operator OP(FIRMFLOW_FX_X, T b) {                                                                                  \
    return a OP ap_fixed_base<ap_ctype<T>::width, ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(b);                    \
  }                                                                                                                  \
  FIRMFLOW_FX_TPL1, typename T>                                                                                       \
  INLINE typename std::enable_if<ap_ctype<T>::ok,                                                                    \
      typename ap_fixed_base<ap_ctype<T>::width, ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>::template RType<W, I, S>::RT>::type \
  operator OP(T b, FIRMFLOW_FX_X) {                                                                                  \
    return ap_fixed_base<ap_ctype<T>::width, ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(b) OP a;                    \
  }
FIRMFLOW_FX_MIXED(+, plus)
FIRMFLOW_FX_MIXED(-, minus)
FIRMFLOW_FX_MIXED(*, mult)
FIRMFLOW_FX_MIXED(/, div)
FIRMFLOW_FX_MIXED(&, logic)
FIRMFLOW_FX_MIXED(|, logic)
FIRMFLOW_FX_MIXED(^, logic)
#undef FIRMFLOW_FX_MIXED

#define FIRMFLOW_FX_MIXED_REL(OP)                                                                                   \
  FIRMFLOW_FX_TPL1, int W2, bool S2>                                                                                 \
  INLINE bool operator OP(FIRMFLOW_FX_X, const ap_int_base<W2, S2>& b) { return a OP ap_fixed_base<W2, W2, S2>(b); } \
  FIRMFLOW_FX_TPL1, int W2, bool S2>                                                                                 \
  INLINE bool operator OP(const ap_int_base<W2, S2>& b, FIRMFLOW_FX_X) { return ap_fixed_base<W2, W2, S2>(b) OP a; } \
  FIRMFLOW_FX_TPL1, typename T>                                                                                      \
  INLINE typename std::enable_if<ap_ctype<T>::ok, bool>::type operator OP(FIRMFLOW_FX_X, T b) {                      \
    return a OP ap_fixed_base<ap_ctype<T>::width, ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(b);                   \
  }                                                                                                                 \
  FIRMFLOW_FX_TPL1, typename T>                                                                                      \
  INLINE typename std::enable_if<ap_ctype<T>::ok, bool>::type operator OP(T b, FIRMFLOW_FX_X) {                      \
    return ap_fixed_base<ap_ctype<T>::width, ap_ctype<T>::width, (bool)ap_ctype<T>::sgn>(b) OP a;                   \
  }                                                                                                                 \
  FIRMFLOW_FX_TPL1> INLINE bool operator OP(FIRMFLOW_FX_X, double b) { return a.to_double() OP b; }                  \
  FIRMFLOW_FX_TPL1> INLINE bool operator OP(double b, FIRMFLOW_FX_X) { return b OP a.to_double(); }                  \
  FIRMFLOW_FX_TPL1> INLINE bool operator OP(FIRMFLOW_FX_X, float b) { return a.to_double() OP (double)b; }           \
  FIRMFLOW_FX_TPL1> INLINE bool operator OP(float b, FIRMFLOW_FX_X) { return (double)b OP a.to_double(); }
FIRMFLOW_FX_MIXED_REL(==)
FIRMFLOW_FX_MIXED_REL(!=)
FIRMFLOW_FX_MIXED_REL(<)
FIRMFLOW_FX_MIXED_REL(<=)
FIRMFLOW_FX_MIXED_REL(>)
FIRMFLOW_FX_MIXED_REL(>=)
#undef FIRMFLOW_FX_MIXED_REL

FIRMFLOW_FX_TPL1>
inline std::ostream& operator<<(std::ostream& os, FIRMFLOW_FX_X) {
  // Like a double of the same value, at the stream's precision.
  return os << a.to_double();
}
FIRMFLOW_FX_TPL1>
inline std::istream& operator>>(std::istream& is, ap_fixed_base<W, I, S, Q, O, N>& a) {
  double d;
  is >> d;
  a = ap_fixed_base<W, I, S, Q, O, N>(d);
  return is;
}
#undef FIRMFLOW_FX_TPL1
#undef FIRMFLOW_FX_X

#endif
