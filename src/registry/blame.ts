import { firstLine, FirmflowError, isFirmflowError } from '../errors.js';

/** Sources whose code is firmflow's own (shared passes, built-in backends): their failures are internal errors. */
const OWN_SOURCES = new Set(['firmflow', 'built-in']);

export function isPluginSource(source: string | undefined): source is string {
  return source !== undefined && !OWN_SOURCES.has(source);
}

/**
 * The error to raise when plugin code (a pass, writer or hook registered by `source`) threw `e`: a FirmflowError
 * is the plugin's own message and passes through; anything else is a bug of that plugin, not of firmflow, so it
 * becomes a FirmflowError (exit 1) that names the plugin and the one-line cause.
 */
export function pluginFailure(e: unknown, source: string | undefined, what: string): unknown {
  if (!isPluginSource(source) || isFirmflowError(e)) return e;
  return new FirmflowError('plugin.error', `${what} from ${source} failed: ${firstLine(e)}`, { source });
}

/** Runs synchronous plugin code, blaming its source for failures (see pluginFailure). */
export function blameSync<T>(source: string | undefined, what: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw pluginFailure(e, source, what);
  }
}

/** Runs asynchronous plugin code, blaming its source for failures (see pluginFailure). */
export async function blame<T>(source: string | undefined, what: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw pluginFailure(e, source, what);
  }
}
