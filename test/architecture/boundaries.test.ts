/*
 * The house rules of the layout (docs/ARCHITECTURE.md): the core (src/, passes/) knows no backend, and the backends
 * (their sources and their tests) reach the core only through its public API, the package name 'firmflow' — what a
 * third-party plugin gets. Checked on the import specifiers of every TypeScript file, resolved against the file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CORE = ['src', 'passes'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('dist-')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative specifiers of static imports, re-exports and dynamic imports with a literal. */
function relativeImports(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm)) specs.push(m[1]);
  return specs;
}

function topFolder(abs: string): string {
  return relative(REPO, abs).split(sep)[0];
}

/** Imports of `files` that land in one of `folders` (top-level folders of the repo). */
function crossings(files: string[], folders: string[], read = (f: string) => readFileSync(f, 'utf8')): string[] {
  const out: string[] = [];
  for (const f of files) {
    for (const s of relativeImports(read(f))) {
      const target = resolve(dirname(f), s);
      if (folders.includes(topFolder(target))) out.push(`${relative(REPO, f)} imports '${s}'`);
    }
  }
  return out;
}

describe('layout boundaries', () => {
  it('the backends (sources and tests) import the core only as the package "firmflow"', () => {
    const files = [...tsFiles(join(REPO, 'backends')), ...tsFiles(join(REPO, 'test/vitis'))];
    expect(files.length).toBeGreaterThan(50);
    expect(crossings(files, CORE)).toEqual([]);
  });

  it('the core imports nothing under backends/', () => {
    const files = CORE.flatMap((d) => tsFiles(join(REPO, d)));
    expect(files.length).toBeGreaterThan(50);
    expect(crossings(files, ['backends'])).toEqual([]);
  });

  it('the check sees a crossing when there is one', () => {
    const fake = join(REPO, 'backends/vitis/kernels/fake.ts');
    const text = "import { Graph } from '../../../src/ir/graph.js';\nimport type { X } from './dense.js';\nconst m = await import('../../../passes/index.js');\n";
    expect(crossings([fake], CORE, () => text)).toEqual([
      "backends/vitis/kernels/fake.ts imports '../../../src/ir/graph.js'",
      "backends/vitis/kernels/fake.ts imports '../../../passes/index.js'",
    ]);
  });
});
