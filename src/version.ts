import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firmflowRoot } from './registry/discovery.js';

/** firmflow's version, from its package.json ('unknown' when it cannot be read). */
export function version(): string {
  try {
    return JSON.parse(readFileSync(join(firmflowRoot(), 'package.json'), 'utf8')).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
