import { registerElementwiseOps } from './elementwise.js';

let done = false;

/** Registers the core IR op definitions once. */
export function ensureBuiltinIROps(): void {
  if (done) return;
  done = true;
  registerElementwiseOps();
}
