/*
 * Whether any plugin's loading was abandoned after its time limit: kept apart from plugins.ts so the CLI can ask
 * at exit without loading the registry (and every op handler and pass with it) on commands that never used it.
 */

let anyTimedOut = false;

export function markPluginTimedOut(): void {
  anyTimedOut = true;
}

/**
 * Whether a plugin's loading was abandoned after its timeout. Its code may still hold timers or handles that
 * keep the process alive, so the CLI ends the process explicitly when its work is done.
 */
export function pluginsTimedOut(): boolean {
  return anyTimedOut;
}
