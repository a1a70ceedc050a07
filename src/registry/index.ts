export {
  BUILTIN_SOURCE, USER_SOURCE, backendSource, createPluginSession, findBackend, getWriter, registerBackend, registerFlow,
  registerOpHandler, registerPass, registerWriter, registeredBackends, resetRegistry, hasFlow,
} from './registry.js';
export { getAvailableBackends, getBackend, getPluginWarnings, listPlugins, loadAllPlugins, resetPlugins, takePluginWarnings, usePlugin } from './plugins.js';
export { PLUGIN_ENV, SUPPORTED_API_VERSIONS, discoverPlugins, firmflowRoot, type DiscoveryOptions } from './discovery.js';
export { SHARED_FLOWS, ensureSharedFlows } from './shared.js';
export type * from './types.js';
