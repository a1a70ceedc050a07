/*
 * What the AIE tests that build and run generated projects share: whether a C++ compiler is here (tests that need
 * one skip without it), the firmflow CLI of this checkout, and a scratch folder removed after the test file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { convert, ensureSharedFlows, loadModel, runFlows, type Graph } from 'firmflow';
import { compileHost, openProject } from '../src/index.js';

export const hasCxx = spawnSync(process.env['CXX'] || 'g++', ['--version']).status === 0;

export const CLI = join(import.meta.dirname, '../../../bin/firmflow.js');

/** A fresh folder under the system's temp folder; call at a test file's top level (it registers the cleanup there). */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The float model of ONNX bytes as the trace compares against it: the optimized IR, before any AIE lowering. */
export function referenceOf(bytes: Uint8Array): Graph {
  const g = loadModel(bytes);
  ensureSharedFlows();
  runFlows(g, ['optimize']);
  return g;
}

/** Outputs of a host run or an emulation of a written project, by output name. */
export type HostOutputs = Record<string, { shape: number[]; codes: ArrayLike<number>; data: ArrayLike<number>; frac: number; type: string }>;

/**
 * Converts `bytes` for the AIE, writes the project to `dir`, builds its host model with g++ (no warnings) and checks
 * that the host run and the emulator give the same shapes, scales and codes on every output; returns the emulator's.
 */
export async function hostEqualsEmulator(dir: string, bytes: Uint8Array, feed: Record<string, { shape: number[]; data: ArrayLike<number> }>, options: Record<string, unknown> = {}): Promise<HostOutputs> {
  const p = await convert(bytes, { backend: 'AIE', projectName: basename(dir), ...options } as never);
  await p.write(dir);
  expect(compileHost(dir).warnings).toBe('');
  return openedHostEqualsEmulator(dir, feed);
}

/** The written and compiled project in `dir` on the host model and on the emulator: the same shapes and codes. */
export async function openedHostEqualsEmulator(dir: string, feed: Record<string, { shape: number[]; data: ArrayLike<number> }>): Promise<HostOutputs> {
  const opened = await openProject(dir);
  const host = (await opened.predict(feed, {})) as unknown as HostOutputs;
  const emu = (await opened.emulate!(feed, {})) as unknown as HostOutputs;
  for (const k of Object.keys(emu)) {
    expect(host[k].shape, k).toEqual(emu[k].shape);
    expect(host[k].frac, k).toBe(emu[k].frac);
    expect(Array.from(host[k].codes), k).toEqual(Array.from(emu[k].codes));
  }
  return emu;
}
