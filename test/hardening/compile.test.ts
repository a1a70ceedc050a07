import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFirmflowError, runCli, withBuildLock } from 'firmflow';
import { HostSimulation } from '../../backends/vitis/project.js';
import { buildProject } from '../vitis/helpers.js';
import { mlp, numbers } from '../vitis/models.js';

/*
 * `compile` of a written Vitis project (issue 15): a lock per build folder, outputs renamed into place, an
 * up-to-date check on the outputs' content, and g++ rejecting generated C++ reported as an internal error.
 */

const CLI = join(import.meta.dirname, '..', '..', 'bin', 'firmflow.js');
const model = mlp([8, 12, 4], 'Relu', 'Softmax', 23);
const x = Float32Array.from(numbers(6 * 8, 4, 2));

/** A private copy of the shared compiled project (tests here rebuild and break it). */
async function copyOfProject(): Promise<string> {
  const b = await buildProject(model);
  const dir = join(mkdtempSync(join(tmpdir(), 'ff-compile-')), 'p');
  cpSync(b.dir, dir, { recursive: true });
  return dir;
}

const expected = async (): Promise<number[]> => {
  const b = await buildProject(model);
  return Array.from((await b.sim.predict({ x: { shape: [6, 8], data: x } }))['y'].data);
};

function capture(): { io: { out(t: string): void; err(t: string): void; isTTY: boolean }; err: () => string; out: () => string } {
  let o = '', e = '';
  return { io: { out: (t) => { o += t; }, err: (t) => { e += t; }, isTTY: false }, out: () => o, err: () => e };
}

const cli = (args: string[]): Promise<{ code: number; stderr: string; stdout: string }> => new Promise((resolveP) => {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  p.on('close', (code) => resolveP({ code: code ?? -1, stdout, stderr }));
});

describe('compile', () => {
  it('rebuilds a 0-byte binary left by a killed compile instead of calling it up to date', async () => {
    const dir = await copyOfProject();
    const first = await new HostSimulation(dir).compile();
    expect(first.cached).toBe(true);
    truncateSync(first.program, 0);
    const again = await new HostSimulation(dir).compile();
    expect(again.cached).toBe(false);
    expect(statSync(again.program).size).toBeGreaterThan(0);
    expect(Array.from((await new HostSimulation(dir).predict({ x: { shape: [6, 8], data: x } }))['y'].data)).toEqual(await expected());
    // A changed byte in the library is not up to date either.
    const lib = readFileSync(again.library);
    lib[lib.length - 1] ^= 0xff;
    writeFileSync(again.library, lib);
    expect((await new HostSimulation(dir).compile()).cached).toBe(false);
    expect((await new HostSimulation(dir).compile()).cached).toBe(true);
  }, 120_000);

  it('runs two concurrent compiles of one project one after the other (two processes), both succeed', async () => {
    const dir = await copyOfProject();
    const [a, b] = await Promise.all([cli(['compile', dir, '--force']), cli(['compile', dir, '--force'])]);
    expect([a.code, b.code, a.stderr + b.stderr]).toEqual([0, 0, '']);
    expect(a.stdout + b.stdout).toMatch(/compiled in[\s\S]*compiled in/);
    expect(readdirSync(join(dir, 'build')).filter((f) => f.startsWith('.firmflow-build-') || f.endsWith('.lock'))).toEqual([]);
    expect(Array.from((await new HostSimulation(dir).predict({ x: { shape: [6, 8], data: x } }))['y'].data)).toEqual(await expected());
  }, 120_000);

  it('waits for the lock in-process, says busy after the wait, and takes over the lock of a dead process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-lock-'));
    const order: string[] = [];
    const slow = withBuildLock(dir, async () => { order.push('a+'); await new Promise((r) => setTimeout(r, 150)); order.push('a-'); });
    const second = withBuildLock(dir, () => { order.push('b'); });
    await Promise.all([slow, second]);
    expect(order).toEqual(['a+', 'a-', 'b']);
    let busy: unknown;
    const holder = withBuildLock(dir, () => new Promise((r) => setTimeout(r, 300)));
    try { await withBuildLock(dir, () => 1, { waitMs: 50 }); } catch (e) { busy = e; }
    await holder;
    expect(isFirmflowError(busy) && (busy as Error).message).toMatch(/is being built by another compile \(process \d+\)/);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, '.firmflow-build.lock'), dead);
    expect(await withBuildLock(dir, () => 7, { waitMs: 0 })).toBe(7);
    expect(existsSync(join(dir, '.firmflow-build.lock'))).toBe(false);
    // A lock file without a PID (its process died between creating and writing it) is stale once it is old.
    writeFileSync(join(dir, '.firmflow-build.lock'), '');
    utimesSync(join(dir, '.firmflow-build.lock'), new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    expect(await withBuildLock(dir, () => 8, { waitMs: 0 })).toBe(8);
  });

  it('removes the temporary folder of a killed build', async () => {
    const dir = await copyOfProject();
    mkdirSync(join(dir, 'build', '.firmflow-build-999999'), { recursive: true });
    writeFileSync(join(dir, 'build', '.firmflow-build-999999', 'x.o'), '');
    await new HostSimulation(dir).compile({ force: true });
    expect(readdirSync(join(dir, 'build')).filter((f) => f.startsWith('.firmflow-build-'))).toEqual([]);
  }, 120_000);

  it('reports generated C++ that g++ rejects as an internal error (exit 2) with the compiler log', async () => {
    const dir = await copyOfProject();
    const manifest = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8')) as { projectName: string };
    appendFileSync(join(dir, 'firmware', `${manifest.projectName}.cpp`), '\nthis is not C++;\n');
    const c = capture();
    expect(await runCli(['node', 'firmflow', 'compile', dir], c.io)).toBe(2);
    const log = join(dir, 'build', 'compile.log');
    expect(c.err()).toContain(`internal error, please report: generated C++ did not compile (compiler log: ${log})`);
    expect(readFileSync(log, 'utf8')).toMatch(/error/);
    // The previous build's outputs are kept, but no longer count as up to date.
    expect(existsSync(join(dir, 'build', `${manifest.projectName}_predict`))).toBe(true);
  }, 120_000);
});
