import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelBuilder, runCli } from 'firmflow';

/*
 * Graph outputs that no layer produces (issue 15, item 3): an output that is also a graph input (g++ said
 * `redefinition of act_x`) or a constant (the C simulation returned zeros in the wrong shape) is refused by name
 * on both backends, before anything is written.
 */

const tmp = mkdtempSync(join(tmpdir(), 'ff-outputs-'));

function model(extra: 'input' | 'constant'): string {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 4]);
  m.initializer('w', [1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
  m.node('MatMul', ['x', 'w'], ['y'], {}, { name: 'mm' });
  m.output('y', 'float32', ['N', 2]);
  if (extra === 'input') m.output('x', 'float32', ['N', 4]);
  else {
    m.initializer('c', [0.5, -0.25], [2]);
    m.output('c', 'float32', [2]);
  }
  const file = join(tmp, `${extra}.onnx`);
  writeFileSync(file, m.toBytes());
  return file;
}

async function convertCli(file: string, backend: string): Promise<{ code: number; err: string; out: string }> {
  let err = '';
  const out = join(tmp, `${backend}-${Math.random().toString(36).slice(2)}`);
  const code = await runCli(['node', 'firmflow', 'convert', file, '-b', backend, '-o', out], { out: () => {}, err: (t) => { err += t; }, isTTY: false });
  return { code, err, out };
}

describe('graph outputs no layer produces', () => {
  it.each(['Vitis', 'Vivado'])('%s refuses an output that is the graph input, and a constant output, by name', async (backend) => {
    const a = await convertCli(model('input'), backend);
    expect(a.code).toBe(1);
    expect(a.err).toContain("graph output 'x' is the graph input 'x' itself");
    expect(a.err).toContain('nothing was written');
    expect(existsSync(a.out)).toBe(false);
    const b = await convertCli(model('constant'), backend);
    expect(b.code).toBe(1);
    expect(b.err).toContain("graph output 'c' is a constant");
    expect(existsSync(b.out)).toBe(false);
  });

  it('AIE refuses both by name before writing', async () => {
    const a = await convertCli(model('input'), 'AIE');
    expect(a.code).toBe(1);
    expect(a.err).toContain("graph output 'x' is not produced by an AIE kernel");
    expect(existsSync(a.out)).toBe(false);
    const b = await convertCli(model('constant'), 'AIE');
    expect(b.code).toBe(1);
    expect(b.err).toContain("tensor 'c' is read by the AIE graph but nothing writes it");
    expect(existsSync(b.out)).toBe(false);
  });
});
