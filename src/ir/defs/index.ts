import { registerElementwiseOps } from './elementwise.js';
import { registerLoweredOps } from './lowered.js';
import { registerMathOps } from './math.js';
import { registerQuantOps } from './quant.js';
import { registerShapeOps } from './shape.js';
import { registerSpatialOps } from './spatial.js';

let done = false;

/** Registers the core IR op definitions once. */
export function ensureBuiltinIROps(): void {
  if (done) return;
  done = true;
  registerElementwiseOps();
  registerMathOps();
  registerShapeOps();
  registerQuantOps();
  registerSpatialOps();
  registerLoweredOps();
}
