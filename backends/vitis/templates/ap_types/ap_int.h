// firmflow host-simulation header: ap_int<W>, ap_uint<W> (and ap_fixed, so either include works alone).
// Our own implementation with the vendor's names and semantics; synthesis uses the vendor's ap_int.h.
#ifndef FIRMFLOW_AP_INT_H
#define FIRMFLOW_AP_INT_H
#include "ap_int_base.h"
#include "ap_fixed_base.h"
#endif
