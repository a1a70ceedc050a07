// firmflow kernel library: everything a generated project includes.
#ifndef NNET_H_
#define NNET_H_

#include "nnet_common.h"
#include "nnet_activation.h"
#include "nnet_conv.h"
#include "nnet_dense.h"
#include "nnet_layernorm.h"
#include "nnet_merge.h"
#include "nnet_pooling.h"
#include "nnet_softmax.h"
#include "nnet_transform.h"

#endif
