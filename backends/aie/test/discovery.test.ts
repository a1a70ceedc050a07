/*
 * The AIE backend exists only through discovery: an installation of firmflow without the package lists no AIE;
 * installing a copy of the package into the project's node_modules makes `firmflow backends` find it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const PKG = join(import.meta.dirname, '..');
const ROOT = join(PKG, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'ff-aie-discovery-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A project whose node_modules holds a copy of the core and links to its dependencies, but no AIE package. */
function makeProject(): string {
  const proj = join(tmp, 'project');
  const nm = join(proj, 'node_modules');
  const core = join(nm, 'firmflow');
  mkdirSync(core, { recursive: true });
  // What the core package ships (package.json files), without the AIE backend's build.
  for (const f of ['package.json', 'bin', 'dist', 'backends/vitis/templates', 'backends/vitis/parts.json']) cpSync(join(ROOT, f), join(core, f), { recursive: true, filter: (src) => !src.includes(`${join('dist', 'backends', 'aie')}`) });
  if (existsSync(join(ROOT, 'src/onnx/onnx.proto'))) cpSync(join(ROOT, 'src/onnx/onnx.proto'), join(core, 'src/onnx/onnx.proto'));
  for (const e of readdirSync(join(ROOT, 'node_modules'))) {
    if (e === 'firmflow' || e.startsWith('firmflow-') || e === '.bin' || e.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', e), join(nm, e));
  }
  return proj;
}

function backends(proj: string): { status: number | null; out: string; err: string } {
  const env = { ...process.env };
  delete env['FIRMFLOW_BACKEND_PLUGINS'];
  const r = spawnSync(process.execPath, [join(proj, 'node_modules/firmflow/bin/firmflow.js'), 'backends'], { cwd: proj, env, encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('AIE backend discovery', () => {
  it('is absent where the package is not installed, and found once a copy is installed', () => {
    const proj = makeProject();
    const before = backends(proj);
    expect(before.err).toBe('');
    expect(before.status).toBe(0);
    expect(before.out).toMatch(/^Vitis\s/m);
    expect(before.out).not.toMatch(/^AIE\s/m);

    const dst = join(proj, 'node_modules', 'firmflow-backend-aie');
    for (const f of ['package.json', 'dist', 'templates', 'devices']) cpSync(join(PKG, f), join(dst, f), { recursive: true });
    const after = backends(proj);
    expect(after.status).toBe(0);
    expect(after.err).toBe('');
    expect(after.out).toMatch(/^AIE\s+plugin package 'firmflow-backend-aie@0\.1\.0'\s+aie:memory/m);
    expect(after.out).toMatch(/^Vitis\s/m);
  });
});
