/*
 * Plugin entry of firmflow's built-in FPGA HLS backends, 'Vitis' and 'Vivado'. firmflow's own package.json declares
 * it (the "firmflow" field), so the built-ins are discovered exactly like third-party plugins.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PluginAPI } from 'firmflow';
import { VITIS_FLAVOR, VIVADO_FLAVOR, makeBackend, type ProjectExtension } from './backend.js';
import { VITIS_FLOWS } from './passes/index.js';

export const meta = { name: 'firmflow-vitis', version: '0.1.0' };

/**
 * Imports a sibling module of this folder when it is part of the build (the writer, host simulation and emulator
 * are separate modules). A module that exists but fails to import is an error, not a silent omission.
 */
async function optionalModule(rel: string): Promise<Record<string, unknown> | undefined> {
  const js = new URL(rel, import.meta.url);
  const ts = new URL(rel.replace(/\.js$/, '.ts'), import.meta.url);
  if (!existsSync(fileURLToPath(js)) && !existsSync(fileURLToPath(ts))) return undefined;
  // A relative specifier in a variable: resolved against this module by Node (dist) and by vitest (src, .ts).
  const spec: string = rel;
  return (await import(spec)) as Record<string, unknown>;
}

function extensionOf(mod: Record<string, unknown> | undefined, names: string[]): ProjectExtension | undefined {
  if (!mod) return undefined;
  for (const n of names) if (typeof mod[n] === 'function') return mod[n] as ProjectExtension;
  return undefined;
}

/** Registers the flows, passes and both backends (without writers or project extensions beyond `extensions`). */
export function registerBackends(api: PluginAPI, extensions: ProjectExtension[] = []): void {
  for (const { flow, passes } of VITIS_FLOWS) {
    api.registerFlow(flow);
    for (const p of passes) api.registerPass(p, { flow: flow.name });
  }
  for (const flavor of [VITIS_FLAVOR, VIVADO_FLAVOR]) api.registerBackend(flavor.backend, makeBackend(flavor, extensions));
}

export async function register(api: PluginAPI): Promise<void> {
  // Writers (backends/vitis/templates/project): one per flavour, registered by the writer module.
  const writer = await optionalModule('./writer/index.js');
  if (writer && typeof writer['registerVitisWriters'] === 'function') {
    await (writer['registerVitisWriters'] as (api: PluginAPI) => void | Promise<void>)(api);
  }

  // Project extensions: compile/predict (host simulation) and emulate (TypeScript emulator).
  const extensions: ProjectExtension[] = [];
  const compile = extensionOf(await optionalModule('./project.js'), ['extendProject', 'extendVitisProject']);
  if (compile) extensions.push(compile);
  const emulate = extensionOf(await optionalModule('./emulate/index.js'), ['extendProject', 'extendEmulate']);
  if (emulate) extensions.push(emulate);
  // project.estimate(): latency and resource estimate (backends/vitis/estimate)
  const estimate = extensionOf(await optionalModule('./estimate/index.js'), ['extendProject']);
  if (estimate) extensions.push(estimate);

  registerBackends(api, extensions);
}

export default { meta, register };
