import { ensureBuiltinIROps } from '../../ir/defs/index.js';
import { registerElementwiseHandlers } from './elementwise.js';
import { registerMathHandlers } from './math.js';
import { registerQuantHandlers } from './quant.js';
import { registerShapeHandlers } from './shape.js';
import { registerSpatialHandlers } from './spatial.js';

let done = false;

/** Registers the built-in ONNX op handlers (and the IR ops they lower to) once. */
export function ensureBuiltinOps(): void {
  if (done) return;
  done = true;
  ensureBuiltinIROps();
  registerElementwiseHandlers();
  registerMathHandlers();
  registerShapeHandlers();
  registerQuantHandlers();
  registerSpatialHandlers();
}
