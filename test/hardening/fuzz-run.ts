/*
 * Runs fuzz cases in-process through the API (convert for the Vitis backend, then write for a sample) and sorts
 * the outcomes the way the CLI would: converted (exit 0), a FirmflowError (exit 1) or anything else (exit 2).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert, isFirmflowError } from 'firmflow';
import { useVitisFull } from '../vitis/helpers.js';
import { REPO } from '../fixtures/project.js';
import { fuzzCase, type FuzzCase } from './mutate.js';

export interface Outcome {
  case: FuzzCase;
  exit: 0 | 1 | 2;
  message?: string;
  ms: number;
}

export function bundledModels(): [string, Uint8Array][] {
  const dir = join(REPO, 'models');
  return readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort().map((f) => [f, readFileSync(join(dir, f))]);
}

/** What makes a message unfit for a terminal: control characters (other than a line break) or a blank line. */
export function messageProblem(message: string): string | undefined {
  if (/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(message)) return 'raw control character';
  if (/\n\s*\n/.test(message)) return 'blank line';
  if (/\n\s+at .+:\d+:\d+\)?$/m.test(message)) return 'stack trace';
  return undefined;
}

let caseDir: string | undefined;

/**
 * A folder for the fuzzed model file with the siblings its external data may point at: a data file, a named pipe
 * (opening it for reading would hang), a folder, an empty file and a link leaving the folder.
 */
function modelFolder(): string {
  if (caseDir) return caseDir;
  const dir = mkdtempSync(join(tmpdir(), 'firmflow-fuzz-model-'));
  writeFileSync(join(dir, 'data.bin'), Buffer.alloc(4096, 0x3f));
  execFileSync('mkfifo', [join(dir, 'pipe.bin')]);
  mkdirSync(join(dir, 'folder.bin'));
  writeFileSync(join(dir, 'empty.bin'), '');
  symlinkSync('/etc/hostname', join(dir, 'link-out.bin'));
  return (caseDir = dir);
}

export async function runCase(c: FuzzCase, write: boolean): Promise<Outcome> {
  const t0 = performance.now();
  let out: string | undefined;
  try {
    const model = join(modelFolder(), 'model.onnx');
    writeFileSync(model, c.bytes);
    const project = await convert(model, { backend: 'Vitis' });
    if (write) {
      out = mkdtempSync(join(tmpdir(), 'firmflow-fuzz-'));
      await project.write(join(out, 'p'));
    }
    return { case: c, exit: 0, ms: performance.now() - t0 };
  } catch (e) {
    const ms = performance.now() - t0;
    // In-process the Vitis backend is registered from source as user code, so its JavaScript errors arrive
    // blamed on a plugin ('plugin.error'); through the CLI it is built-in and they would be internal errors.
    if (isFirmflowError(e) && e.code !== 'plugin.error') return { case: c, exit: 1, message: e.message, ms };
    return { case: c, exit: 2, message: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e), ms };
  } finally {
    if (out) rmSync(out, { recursive: true, force: true });
  }
}

export async function runFuzz(seed: number, count: number, writeEvery = 10): Promise<Outcome[]> {
  await useVitisFull();
  const models = bundledModels();
  const outcomes: Outcome[] = [];
  for (let i = 0; i < count; i++) outcomes.push(await runCase(fuzzCase(seed, i, models), i % writeEvery === 0));
  return outcomes;
}
