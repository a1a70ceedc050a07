/*
 * What the AIE tests that build and run generated projects share: whether a C++ compiler is here (tests that need
 * one skip without it), the firmflow CLI of this checkout, and a scratch folder removed after the test file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { ensureSharedFlows, loadModel, runFlows, type Graph } from 'firmflow';

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
