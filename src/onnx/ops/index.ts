import { ensureBuiltinIROps } from '../../ir/defs/index.js';
import { registerElementwiseHandlers } from './elementwise.js';

let done = false;

/** Registers the built-in ONNX op handlers (and the IR ops they lower to) once. */
export function ensureBuiltinOps(): void {
  if (done) return;
  done = true;
  ensureBuiltinIROps();
  registerElementwiseHandlers();
}
