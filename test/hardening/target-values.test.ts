import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from 'firmflow';
import { mlp } from '../vitis/models.js';

/*
 * CLI values that reach generated files (issue 15, item 8): a hostile `--part` (Tcl), clock period or project name
 * never lands in project.tcl, the scripts or the C++; each is refused by name or made an identifier.
 */

function capture(): { io: { out(t: string): void; err(t: string): void; isTTY: boolean }; err: () => string } {
  let e = '';
  return { io: { out: () => {}, err: (t) => { e += t; }, isTTY: false }, err: () => e };
}

const tmp = mkdtempSync(join(tmpdir(), 'ff-values-'));
const model = join(tmp, 'm.onnx');
writeFileSync(model, mlp([4, 3], '', undefined, 3));
const convert = async (...args: string[]): Promise<{ code: number; err: string; out: string }> => {
  const out = join(tmp, `p${Math.random().toString(36).slice(2)}`);
  const c = capture();
  const code = await runCli(['node', 'firmflow', 'convert', model, '-b', 'Vitis', '-o', out, ...args], c.io);
  return { code, err: c.err(), out };
};

describe('values that reach generated files', () => {
  const hostileParts = [
    'xc"; exec touch /tmp/x; puts "',
    'xc[exec touch /tmp/x]',
    'xc$env(HOME)',
    'xcvu13p\nputs pwned',
    'xc vu13p',
    'xc\\u13p',
    '-xcvu13p',
  ];

  it.each(hostileParts)('refuses --part %j by name, before writing anything', async (part) => {
    const r = await convert('--part', part);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: option 'part' must be an FPGA part number/);
    expect(existsSync(r.out)).toBe(false);
  });

  it('refuses the same part from a config file and -O', async () => {
    const cfg = join(tmp, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ backend: 'Vitis', part: 'xc"; exec touch /tmp/x; puts "' }));
    const viaConfig = await convert('--config', cfg);
    expect(viaConfig.code).toBe(1);
    expect(viaConfig.err).toMatch(/option 'part' must be an FPGA part number/);
    const viaO = await convert('-O', 'part=xc[exec touch /tmp/x]');
    expect(viaO.code).toBe(1);
    expect(existsSync(viaO.out)).toBe(false);
  });

  it('writes an ordinary part and clock period as given', async () => {
    const r = await convert('--part', 'xck26-sfvc784-2LV-c', '--clock-period', '3.3');
    expect(r.code).toBe(0);
    expect(readFileSync(join(r.out, 'project.tcl'), 'utf8')).toContain('set part "xck26-sfvc784-2LV-c"\nset clock_period 3.3\n');
  });

  it('refuses a clock period that is not a positive finite number', async () => {
    for (const v of ['1e400', '-5', '0', '5; exec touch /tmp/x']) {
      const r = await convert('--clock-period', v);
      expect(r.code, v).toBe(1);
      expect(existsSync(r.out), v).toBe(false);
    }
  });

  it('makes a hostile project name an identifier in every file', async () => {
    const r = await convert('--project-name', 'a"; exec touch /tmp/x; #\n$(id)');
    expect(r.code).toBe(0);
    const name = JSON.parse(readFileSync(join(r.out, 'firmflow.json'), 'utf8')).projectName as string;
    expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
    for (const f of ['project.tcl', 'build_prj.tcl', 'build_lib.sh', `firmware/${name}.cpp`, `firmware/${name}.h`]) {
      expect(readFileSync(join(r.out, f), 'utf8'), f).not.toMatch(/exec touch|\$\(id\)|"; /);
    }
  });
});
