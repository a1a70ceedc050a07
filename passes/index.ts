import { registerFlow, registerPass } from '../src/pipeline/flows.js';
import type { Pass } from '../src/pipeline/pass.js';
import { annotateWeightPrecision } from './annotate-weight-precision.js';
import { batchNormToScaleShift } from './batchnorm-to-scaleshift.js';
import { cancelTransposes } from './cancel-transposes.js';
import { channelsLast } from './channels-last.js';
import { collapseReshapes } from './collapse-reshapes.js';
import { constantFolding } from './constant-folding.js';
import { deadCodeElimination } from './dead-code.js';
import { flattenIntoDense } from './flatten-into-dense.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { fuseDenseBias } from './fuse-dense-bias.js';
import { gemmToDense } from './gemm-to-dense.js';
import { lowerQdq } from './lower-qdq.js';
import { lowerQonnxQuant, typeBipolarQuant } from './lower-qonnx-quant.js';
import { matmulToDense } from './matmul-to-dense.js';
import { removeIdentity } from './remove-identity.js';
import { removeNoopReshape } from './remove-noop-reshape.js';
import { sinkTransposes } from './sink-transposes.js';

/**
 * The shared passes, in the order the `optimize` flow runs them each round. Quantizers are lowered before layers
 * are rewritten (so a quantizer between a product and its bias is seen), BatchNormalization folds before the
 * lone ones become ScaleShift, and layout conversion comes after folding (a BN folds into its Conv while both
 * are still channels-first).
 */
export const SHARED_PASSES: readonly Pass[] = [
  annotateWeightPrecision,
  constantFolding,
  removeIdentity,
  lowerQdq,
  lowerQonnxQuant,
  typeBipolarQuant,
  gemmToDense,
  matmulToDense,
  fuseDenseBias,
  foldBatchNorm,
  batchNormToScaleShift,
  removeNoopReshape,
  collapseReshapes,
  channelsLast,
  sinkTransposes,
  cancelTransposes,
  flattenIntoDense,
  deadCodeElimination,
];

export const OPTIMIZE_FLOW = 'optimize';

let registered = false;

/** Registers the `optimize` flow and its passes once (later calls do nothing). */
export function ensureSharedPasses(): void {
  if (registered) return;
  registered = true;
  registerFlow({ name: OPTIMIZE_FLOW, passes: [], description: 'target-independent IR optimizations shared by every backend' }, 'firmflow');
  for (const p of SHARED_PASSES) registerPass(p, { flow: OPTIMIZE_FLOW }, 'firmflow');
}

export {
  annotateWeightPrecision, batchNormToScaleShift, cancelTransposes, channelsLast, collapseReshapes, constantFolding,
  deadCodeElimination, flattenIntoDense, foldBatchNorm, fuseDenseBias, gemmToDense, lowerQdq, lowerQonnxQuant,
  matmulToDense, removeIdentity, removeNoopReshape, sinkTransposes, typeBipolarQuant,
};
