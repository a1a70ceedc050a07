import { ensureSharedPasses } from '../../passes/index.js';

/** Flows every backend builds on; `firmflow passes` without a backend and `firmflow inspect` show these. */
export const SHARED_FLOWS = ['optimize'];

/**
 * Registers the shared passes and the `optimize` flow (idempotent). Everything that lists or runs flows calls
 * this first, so user passes can be placed into `optimize` before any conversion ran.
 */
export function ensureSharedFlows(): void {
  ensureSharedPasses();
}
