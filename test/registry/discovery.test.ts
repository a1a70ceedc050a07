import { mkdirSync, realpathSync, symlinkSync, cpSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFirmflowError } from '../../src/errors.js';
import {
  findBackend, getAvailableBackends, getBackend, getPluginWarnings, listPlugins, registerBackend, resetPlugins, resetRegistry,
} from '../../src/registry/index.js';
import { importedFixtures, makeProject, PLUGIN_FIXTURES, type TempProject } from '../fixtures/project.js';

let project: TempProject | undefined;

function setup(packages: Parameters<typeof makeProject>[0], env: string[] = []): TempProject {
  project = makeProject(packages);
  resetRegistry();
  // selfRoot: the temporary project, so firmflow's own built-in and workspace plugins stay out of these tests.
  resetPlugins({ cwd: project.root, selfRoot: project.root, envPlugins: env.map((e) => (e.startsWith('plugins/') ? join(project!.root, e) : e)).join(delimiter) });
  return project;
}

afterEach(() => {
  resetRegistry();
  resetPlugins();
  project?.cleanup();
  project = undefined;
});

const count = (name: string): number => importedFixtures().filter((n) => n === name).length;

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('discovery through installed packages', () => {
  it('lists plain and scoped packages from their manifests without importing them', () => {
    const p = setup(['basic', 'scoped', 'future']);
    const before = { basic: count('basic'), scoped: count('scoped'), future: count('future') };
    const found = listPlugins().filter((x) => x.origin === 'package');
    const byName = Object.fromEntries(found.map((x) => [x.name, x]));
    expect(Object.keys(byName).sort()).toEqual(['@firmflow-test/scoped', 'firmflow-plugin-basic', 'firmflow-plugin-future']);
    expect(byName['firmflow-plugin-basic']).toMatchObject({
      version: '1.0.0', status: 'found', backends: ['Basic'],
      packageDir: realpathSync(join(p.root, 'node_modules/firmflow-plugin-basic')),
      module: realpathSync(join(p.root, 'node_modules/firmflow-plugin-basic/plugin.js')),
    });
    expect(byName['@firmflow-test/scoped']).toMatchObject({ version: '2.0.0', status: 'found', backends: ['Scoped'] });
    // Listing ran no plugin code.
    expect({ basic: count('basic'), scoped: count('scoped'), future: count('future') }).toEqual(before);
  });

  it('refuses an unsupported apiVersion with a clear message and never imports it', async () => {
    setup(['basic', 'future']);
    const before = count('future');
    const fut = listPlugins().find((x) => x.name === 'firmflow-plugin-future')!;
    expect(fut.status).toBe('refused');
    expect(fut.reason).toMatch(/apiVersion 2.*supports apiVersion 1 only/);
    const warnings = getPluginWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^plugin package 'firmflow-plugin-future@9\.0\.0' was refused: it declares firmflow apiVersion 2/);
    const names = (await getAvailableBackends()).map((b) => b.name);
    expect(names).toContain('Basic');
    expect(names).not.toContain('Future');
    expect(count('future')).toBe(before);
  });

  it('imports a plugin lazily, when one of its backends is first needed (case-insensitive)', async () => {
    setup(['basic', 'scoped']);
    const before = { basic: count('basic'), scoped: count('scoped') };
    expect(findBackend('Basic')).toBeUndefined();
    const b = await getBackend('bAsIc');
    expect(b.name).toBe('Basic');
    expect(await getBackend('BASIC')).toBe(b);
    expect(count('basic')).toBe(before.basic + 1);
    // The scoped plugin declares only 'Scoped': it stays unimported.
    expect(count('scoped')).toBe(before.scoped);
    expect(listPlugins().find((x) => x.name === 'firmflow-plugin-basic')!.status).toBe('loaded');
    expect(listPlugins().find((x) => x.name === '@firmflow-test/scoped')!.status).toBe('found');
  });

  it('finds a workspace package through a symlink in node_modules once, by its real path', () => {
    const p = setup([]);
    // npm workspaces link packages/<name> into node_modules; a parent node_modules links it again.
    const ws = join(p.root, 'packages/basic');
    cpSync(join(PLUGIN_FIXTURES, 'basic'), ws, { recursive: true });
    symlinkSync(ws, join(p.root, 'node_modules/firmflow-plugin-basic'), 'dir');
    mkdirSync(join(p.root, 'app/node_modules'), { recursive: true });
    symlinkSync(ws, join(p.root, 'app/node_modules/firmflow-plugin-basic'), 'dir');
    resetPlugins({ cwd: join(p.root, 'app'), envPlugins: '' });
    const found = listPlugins().filter((x) => x.name === 'firmflow-plugin-basic');
    expect(found).toHaveLength(1);
    expect(found[0].packageDir).toBe(realpathSync(ws));
    expect(found[0].module).toBe(realpathSync(join(ws, 'plugin.js')));
  });

  it('an unknown backend lists the available ones', async () => {
    setup(['basic']);
    const e = await rejection(getBackend('nope'));
    expect(isFirmflowError(e)).toBe(true);
    expect(e.message).toMatch(/^unknown backend 'nope' \(available: .*Basic.*\)$/);
  });
});

describe('discovery through FIRMFLOW_BACKEND_PLUGINS', () => {
  it('loads two modules, one through #exportName, and a package subpath', async () => {
    setup(['basic'], ['plugins/alpha.mjs', 'plugins/beta.mjs#registerBeta', 'firmflow-plugin-basic/extra.js#registerExtra']);
    const env = listPlugins().filter((x) => x.origin === 'env');
    expect(env.map((x) => [x.status, x.exportName, x.backends])).toEqual([
      ['found', undefined, undefined],
      ['found', 'registerBeta', undefined],
      ['found', 'registerExtra', undefined],
    ]);
    expect(env[2].module).toBe(realpathSync(join(project!.root, 'node_modules/firmflow-plugin-basic/extra.js')));
    const names = (await getAvailableBackends()).map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['Alpha', 'Beta', 'Basic', 'Extra']));
    expect(names).not.toContain('BetaDefault');
    expect(getPluginWarnings()).toEqual([]);
    expect((await getBackend('alpha')).description).toBe('from FIRMFLOW_BACKEND_PLUGINS');
  });

  it('a broken plugin gives a warning naming it and the reason; every other plugin still loads', async () => {
    setup(['basic', 'broken'], ['plugins/alpha.mjs', 'plugins/missing.mjs', 'plugins/beta.mjs#nope']);
    const names = (await getAvailableBackends()).map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['Alpha', 'Basic']));
    expect(names).not.toContain('Broken');
    const w = getPluginWarnings();
    expect(w).toHaveLength(3);
    expect(w.find((x) => x.includes('firmflow-plugin-broken'))).toMatch(/^plugin package 'firmflow-plugin-broken@0\.0\.1' failed to load: cannot import .*plugin\.js: boom while importing the broken fixture$/);
    expect(w.find((x) => x.includes('missing.mjs'))).toMatch(/missing\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: module file .*missing\.mjs does not exist/);
    expect(w.find((x) => x.includes('beta.mjs#nope'))).toMatch(/failed to load: the module has no export 'nope' \(it exports: register, registerBeta\)/);
    expect(listPlugins().find((x) => x.name === 'firmflow-plugin-broken')!.status).toBe('failed');
  });

  it('a plugin failing half-way through register leaves nothing registered', async () => {
    setup([], ['plugins/half.mjs', 'plugins/alpha.mjs']);
    const names = (await getAvailableBackends()).map((b) => b.name);
    expect(names).toContain('Alpha');
    expect(names).not.toContain('Half');
    expect(getPluginWarnings()).toEqual([expect.stringMatching(/half\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) failed to load: its register function threw: half-way failure$/)]);
  });

  it('a duplicate backend name is an error naming both sources', async () => {
    setup(['basic'], ['plugins/dup.mjs']);
    const dup = await rejection(getAvailableBackends());
    expect(isFirmflowError(dup)).toBe(true);
    expect(dup.message).toMatch(/^backend 'basic' from plugin '.*dup\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) is already registered by plugin package 'firmflow-plugin-basic@1\.0\.0' \(as 'Basic'\) \(a plugin that means to replace it registers it with \{ override: true \}\)$/);
    // The duplicate's registrations are taken back; the first owner keeps the name.
    expect(findBackend('basic')!.description).toBe('fixture backend');
    // From user code, the duplicate throws right away.
    let err: unknown;
    try {
      registerBackend('BASIC', { flows: [] });
    } catch (e) {
      err = e;
    }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toBe("backend 'BASIC' from user code is already registered by plugin package 'firmflow-plugin-basic@1.0.0' (as 'Basic')");
    // Every later lookup that loads the duplicate plugin meets the same error.
    expect(await rejection(getBackend('basic'))).toBe(dup);
  });

  it('a plugin object default export carries meta into its source label', async () => {
    setup([], ['plugins/meta.mjs', 'plugins/beta.mjs']);
    registerBackend('Mine', { flows: [] });
    const all = await getAvailableBackends();
    expect(all.find((b) => b.name === 'Mine')!.source).toBe('user code');
    expect(all.find((b) => b.name === 'MetaBackend')!.source).toMatch(/^plugin '.*meta\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\) \[meta-plugin@3\.1\.0\]$/);
    expect(all.find((b) => b.name === 'BetaDefault')!.source).toMatch(/^plugin '.*beta\.mjs' \(from FIRMFLOW_BACKEND_PLUGINS\)$/);
    expect(listPlugins().find((x) => x.name.endsWith('meta.mjs'))!.meta).toEqual({ name: 'meta-plugin', version: '3.1.0' });
  });
});

describe('explicit plugin objects', () => {
  it('usePlugin registers through a session; an op handler clash names both sources and takes everything back', async () => {
    setup([]);
    const { usePlugin } = await import('../../src/registry/index.js');
    const { getOpHandler } = await import('../../src/onnx/handlers.js');
    const handler = { op: 'Relu', opsets: [6, 21] as [number, number], inputs: [{ name: 'X' }], attributes: {}, lower() {} };
    let err: Error | undefined;
    try {
      await usePlugin({
        meta: { name: 'clash', version: '0.1.0' },
        register(api) {
          api.registerBackend('ClashBackend', { flows: [] });
          api.registerOpHandler(handler);
        },
      });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toBe("ONNX op handler for Relu from plugin 'clash@0.1.0' (user code) is already registered by firmflow");
    expect(findBackend('ClashBackend')).toBeUndefined();
    await usePlugin({ meta: { name: 'ops' }, register: (api) => api.registerOpHandler({ ...handler, op: 'TestOnlyOp', domains: ['com.firmflow.test'] }) });
    expect(getOpHandler('com.firmflow.test', 'TestOnlyOp')?.op).toBe('TestOnlyOp');
  });
});
