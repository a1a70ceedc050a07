/*
 * docs/ARCHITECTURE.md's op table tells where each op's story lives; this test holds every cell against the code, so
 * the table cannot drift: the handler file registers the ONNX op, the IR def file defines the IR op (and the IR op is
 * registered), the shared pass file exists, each backend's op -> kernel map gives the named kernel (whose module has
 * that file name), and the Vitis kernel's C++ header is the one named.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuiltinIROps, getIROp } from 'firmflow';
import { describe, expect, it } from 'vitest';
import { kernelForOp } from '../../backends/aie/src/kernels/index.js';
import { kernelFor } from '../../backends/vitis/kernels/index.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Row { onnx: string; handler: string; ir: string; def: string; pass: string; vitis: string; aie: string; cpp: string }

function rows(): Row[] {
  const doc = readFileSync(join(REPO, 'docs/ARCHITECTURE.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- op-table -->'), doc.indexOf('<!-- /op-table -->'));
  return table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ONNX op')).map((l) => {
    const c = l.split('|').slice(1, -1).map((s) => s.trim().replace(/^`|`$/g, ''));
    return { onnx: c[0], handler: c[1], ir: c[2], def: c[3], pass: c[4], vitis: c[5], aie: c[6], cpp: c[7] };
  });
}

const read = (rel: string): string => readFileSync(join(REPO, rel), 'utf8');
const NONE = '—';

describe('docs/ARCHITECTURE.md op table', () => {
  const table = rows();

  it('has the rows it was written with', () => {
    expect(table.length).toBeGreaterThanOrEqual(19);
    expect(table.map((r) => r.onnx)).toContain('HardSwish');
  });

  it.each(table.map((r) => [r.onnx, r] as const))('%s: every cell names what the code does', (_, r) => {
    expect(read(r.handler), r.handler).toMatch(new RegExp(`['"]${r.onnx}['"]`));
    ensureBuiltinIROps();
    expect(getIROp(r.ir), `IR op ${r.ir}`).toBeDefined();
    expect(read(r.def), r.def).toMatch(new RegExp(`\\b${r.ir}\\b`));
    if (r.pass !== NONE) expect(existsSync(join(REPO, r.pass)), r.pass).toBe(true);

    const v = kernelFor(r.ir);
    if (r.vitis === NONE) expect(v, `Vitis kernel of ${r.ir}`).toBeUndefined();
    else {
      expect(v?.name, `Vitis kernel of ${r.ir}`).toBe(r.vitis);
      expect(existsSync(join(REPO, 'backends/vitis/kernels', `${r.vitis}.ts`))).toBe(true);
      expect(v?.header).toBe(r.cpp);
      expect(existsSync(join(REPO, 'backends/vitis/templates/nnet', r.cpp))).toBe(true);
    }
    const a = kernelForOp(r.ir);
    if (r.aie === NONE) expect(a, `AIE kernel of ${r.ir}`).toBeUndefined();
    else {
      expect(a?.name, `AIE kernel of ${r.ir}`).toBe(r.aie);
      expect(existsSync(join(REPO, 'backends/aie/src/kernels', `${r.aie}.ts`))).toBe(true);
    }
  });
});
