import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { templatesDir } from '../../../backends/vitis/writer/index.js';

/*
 * The layering of backends/vitis: kernels import engines, never each other; engines never import kernels; only the
 * dispatchers (the passes, writer, emulator and estimator drivers, and the configuration's table list) look kernels up.
 */
const ROOT = join(templatesDir(), '..');
const DISPATCHERS = [
  'config.ts', 'emulate/emulator.ts', 'emulate/trace.ts', 'estimate/index.ts', 'estimate/layers.ts',
  'passes/kernels.ts', 'passes/precision.ts', 'passes/stream.ts', 'passes/tables.ts', 'writer/model.ts',
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'templates' || f === 'dist' ? [] : sources(p);
    return f.endsWith('.ts') ? [relative(ROOT, p)] : [];
  });
}

const importsOf = (file: string): string[] => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);

describe('backends/vitis layering', () => {
  const files = sources(ROOT);

  it('only the dispatchers import kernels', () => {
    const importers = files.filter((f) => !f.startsWith('kernels/') && importsOf(f).some((i) => /(^|\/)kernels\//.test(i))).sort();
    expect(importers).toEqual([...DISPATCHERS].sort());
  });

  it('a kernel module imports engines and the contract, never another kernel', () => {
    const kernels = files.filter((f) => f.startsWith('kernels/') && f !== 'kernels/index.ts');
    expect(kernels.length).toBeGreaterThan(15);
    for (const k of kernels) {
      const siblings = importsOf(k).filter((i) => i.startsWith('./') && i !== './contract.js');
      expect(siblings, k).toEqual([]);
    }
  });
});
