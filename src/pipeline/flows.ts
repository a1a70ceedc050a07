import { FirmflowError } from '../errors.js';
import type { Flow, Pass } from './pass.js';

/** Passes and flows, by name. Backends and plugins add theirs through the registry API. */
interface PassEntry { pass: Pass; source: string }
interface FlowEntry { flow: Flow; source: string }

const passes = new Map<string, PassEntry>();
const flows = new Map<string, FlowEntry>();

export interface PassPlacement {
  flow: string;
  before?: string;
  after?: string;
}

export function registerFlow(flow: Flow, source = 'user code'): void {
  const prev = flows.get(flow.name);
  if (prev) throw new FirmflowError('registry.duplicate', `flow '${flow.name}' from ${source} is already registered by ${prev.source}`);
  flows.set(flow.name, { flow: { ...flow, passes: [...flow.passes], requires: [...(flow.requires ?? [])] }, source });
}

/**
 * Registers a pass and places it in a flow: at the end, or before/after a named pass of that flow. The flow must
 * exist; a pass name may be registered once.
 */
export function registerPass(pass: Pass, placement?: PassPlacement, source = 'user code'): void {
  const prev = passes.get(pass.name);
  if (prev) throw new FirmflowError('registry.duplicate', `pass '${pass.name}' from ${source} is already registered by ${prev.source}`);
  if (placement) {
    const f = flows.get(placement.flow);
    if (!f) throw new FirmflowError('registry.flow', `pass '${pass.name}' from ${source} names flow '${placement.flow}', which does not exist (known: ${[...flows.keys()].join(', ') || 'none'})`);
    const list = f.flow.passes;
    const anchor = placement.before ?? placement.after;
    if (placement.before && placement.after) throw new FirmflowError('registry.flow', `pass '${pass.name}': give either 'before' or 'after', not both`);
    if (anchor !== undefined) {
      const i = list.indexOf(anchor);
      if (i < 0) throw new FirmflowError('registry.flow', `pass '${pass.name}' is to go ${placement.before ? 'before' : 'after'} '${anchor}', which is not in flow '${placement.flow}' (${list.join(', ')})`);
      list.splice(placement.before ? i : i + 1, 0, pass.name);
    } else {
      list.push(pass.name);
    }
  }
  passes.set(pass.name, { pass, source });
}

export function getPass(name: string): Pass | undefined {
  return passes.get(name)?.pass;
}

export function getFlow(name: string): Flow | undefined {
  return flows.get(name)?.flow;
}

export function listFlows(): Flow[] {
  return [...flows.values()].map((f) => f.flow);
}

export function passSource(name: string): string | undefined {
  return passes.get(name)?.source;
}

/** Removes everything a test registered; built-ins are re-registered by their ensure functions. */
export function unregisterPass(name: string): void {
  passes.delete(name);
  for (const f of flows.values()) f.flow.passes = f.flow.passes.filter((p) => p !== name);
}

export function unregisterFlow(name: string): void {
  flows.delete(name);
}

/**
 * The flows to run to reach `targets`, requirements first (depth-first, in the order given), each once.
 * A missing flow or a requirement cycle is an error.
 */
export function resolveFlowOrder(targets: string[]): Flow[] {
  const order: Flow[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new FirmflowError('registry.flow', `flows require each other in a cycle: ${[...path, name].join(' -> ')}`);
    const f = flows.get(name)?.flow;
    if (!f) {
      const by = path.length ? ` (required by '${path[path.length - 1]}')` : '';
      throw new FirmflowError('registry.flow', `flow '${name}'${by} is not registered`);
    }
    state.set(name, 'visiting');
    for (const r of f.requires ?? []) visit(r, [...path, name]);
    state.set(name, 'done');
    order.push(f);
  };
  for (const t of targets) visit(t, []);
  return order;
}
