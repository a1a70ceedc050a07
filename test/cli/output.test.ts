import { describe, expect, it } from 'vitest';
import { Progress, table, type Io } from '../../src/cli/output.js';
import { run } from '../../src/cli/main.js';
import { resetPlugins, resetRegistry, registerBackend } from '../../src/registry/index.js';

function fakeIo(isTTY: boolean): Io & { o: string; e: string } {
  const io = { o: '', e: '', isTTY, out: (t: string) => { io.o += t; }, err: (t: string) => { io.e += t; } };
  return io;
}

describe('CLI output helpers', () => {
  it('shows progress only on a terminal, and clears it', () => {
    const tty = fakeIo(true);
    const p = new Progress(tty);
    p.step('loading model.onnx');
    p.done();
    expect(tty.e).toBe('\r\x1b[2Kfirmflow: loading model.onnx ...\r\x1b[2K');
    const pipe = fakeIo(false);
    new Progress(pipe).step('loading');
    expect(pipe.e).toBe('');
  });

  it('aligns table columns, numbers to the right', () => {
    expect(table([['a', 'bb', 'n'], ['ccc', 'd', 10], ['e', 'f', 7]])).toBe('a    bb   n\nccc  d   10\ne    f    7\n');
  });

  it('run() maps results to exit codes and prints JSON on stdout', async () => {
    resetRegistry();
    resetPlugins({ cwd: '/', envPlugins: '' });
    registerBackend('InProc', { flows: ['optimize'], description: 'in-process' });
    const io = fakeIo(false);
    expect(await run(['node', 'firmflow', 'backends', '--json'], io)).toBe(0);
    expect(JSON.parse(io.o).find((b: { name: string }) => b.name === 'InProc')).toEqual({ name: 'InProc', description: 'in-process', source: 'user code', flows: ['optimize'], writer: 'InProc' });
    const bad = fakeIo(false);
    expect(await run(['node', 'firmflow', 'passes', '--backend', 'none'], bad)).toBe(1);
    expect(bad.e).toMatch(/^error: unknown backend 'none' \(available: .*InProc.*\)\n$/);
    const help = fakeIo(false);
    expect(await run(['node', 'firmflow', '--help'], help)).toBe(0);
    expect(help.o).toMatch(/Usage: firmflow/);
    resetRegistry();
  });
});
