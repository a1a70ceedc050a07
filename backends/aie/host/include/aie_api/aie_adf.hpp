// firmflow host model of aie_api's ADF glue: cascade reads and writes of whole accumulators.
#pragma once

#include <adf.h>
#include "aie.hpp"

template <unsigned N, typename Tag>
aie::accum<Tag, N> readincr_v(input_cascade<Tag>* c) {
  aie::accum<Tag, N> r;
  for (unsigned i = 0; i < N; ++i) r.set_lane(i, c->pop());
  return r;
}

template <typename Tag, unsigned N>
void writeincr(output_cascade<Tag>* c, const aie::accum<Tag, N>& a) {
  for (unsigned i = 0; i < N; ++i) c->push(a.lane(i));
}
