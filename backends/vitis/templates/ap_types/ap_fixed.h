// firmflow host-simulation header: ap_fixed<W,I,Q,O,N>, ap_ufixed<W,I,Q,O,N>.
// Our own implementation with the vendor's names and semantics; synthesis uses the vendor's ap_fixed.h.
#ifndef FIRMFLOW_AP_FIXED_H
#define FIRMFLOW_AP_FIXED_H
#include "ap_int.h"
#endif
