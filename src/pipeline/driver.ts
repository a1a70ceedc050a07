import { performance } from 'node:perf_hooks';
import { FirmflowError, isProgrammingError, quoted } from '../errors.js';
import { checkFinite } from '../onnx/tensor.js';
import type { Graph, IRNode } from '../ir/graph.js';
import { blameSync } from '../registry/blame.js';
import { getPass, passSource, resolveFlowOrder } from './flows.js';
import type { Flow, Pass, PassContext, PassRecord } from './pass.js';

export interface RunFlowsOptions {
  backend?: string;
  options?: Record<string, unknown>;
  /** Run Graph.verify() after every flow (default true). */
  verify?: boolean;
  /** Receives log lines of passes and the driver. */
  log?: (message: string) => void;
}

export interface FlowsResult {
  /** Flows run, in order. */
  flows: string[];
  records: PassRecord[];
}

/**
 * Runs the flows needed for `targets` on `graph`, in dependency order. Each flow repeats its passes until a
 * whole round changes nothing (bounded by maxIterations; not converging is an error naming the passes that
 * kept changing the graph).
 */
export function runFlows(graph: Graph, targets: string[], opts: RunFlowsOptions = {}): FlowsResult {
  const log = opts.log ?? (() => {});
  const ctx: PassContext = { backend: opts.backend, options: opts.options ?? {}, log };
  const records = new Map<string, PassRecord>();
  const order = resolveFlowOrder(targets);
  for (const flow of order) {
    runFlow(graph, flow, ctx, records, log);
    checkConstantsFinite(graph, flow.name);
    if (opts.verify !== false) {
      try {
        graph.verify();
      } catch (e) {
        if (isProgrammingError(e)) throw e;
        const msg = e instanceof Error ? e.message : String(e);
        throw new FirmflowError('ir.verify', `after flow '${flow.name}': ${msg}`);
      }
    }
  }
  return { flows: order.map((f) => f.name), records: [...records.values()] };
}

/**
 * Passes compute new constants from the model's (BatchNormalization folded into a scale, a weight transposed
 * ...); finite inputs can still give NaN or an infinity (a variance of -epsilon), which fixed-point types cannot
 * hold. Checked after every flow, so the next flow (a backend's) never sees one.
 */
function checkConstantsFinite(graph: Graph, flow: string): void {
  for (const t of graph.tensors.values()) {
    if (!t.data) continue;
    checkFinite(t.data, t.shape.map((d) => (typeof d === 'number' ? d : 1)), `the constant ${quoted(t.name)}, computed by flow '${flow}' from the model's constants,`, String(graph.meta.source ?? graph.name));
  }
}

function runFlow(graph: Graph, flow: Flow, ctx: PassContext, records: Map<string, PassRecord>, log: (m: string) => void): void {
  const list: Pass[] = flow.passes.map((name) => {
    const p = getPass(name);
    if (!p) throw new FirmflowError('registry.pass', `flow '${flow.name}' lists pass '${name}', which is not registered`);
    return p;
  });
  const max = flow.fixedPoint === false ? 1 : flow.maxIterations ?? 50;
  let lastChanged: string[] = [];
  for (let iter = 0; iter < max; iter++) {
    lastChanged = [];
    for (const pass of list) {
      const t0 = performance.now();
      const changes = runPass(graph, pass, ctx);
      const ms = performance.now() - t0;
      const key = `${flow.name}/${pass.name}`;
      const rec = records.get(key) ?? { flow: flow.name, pass: pass.name, changes: 0, ms: 0, runs: 0 };
      rec.changes += changes;
      rec.ms += ms;
      rec.runs += 1;
      records.set(key, rec);
      if (changes > 0) {
        lastChanged.push(pass.name);
        log(`${flow.name}: ${pass.name} changed ${changes}`);
      }
    }
    if (lastChanged.length === 0 || flow.fixedPoint === false) return;
  }
  throw new FirmflowError(
    'pipeline.converge',
    `flow '${flow.name}' did not converge after ${max} rounds; still changing the graph: ${lastChanged.join(', ')}`,
  );
}

/**
 * Runs one pass once over the graph; returns its change count. A pass registered by a plugin that fails with
 * anything but a FirmflowError is reported as that plugin's failure (exit 1), not as firmflow's internal error.
 */
export function runPass(graph: Graph, pass: Pass, ctx: PassContext): number {
  return blameSync(passSource(pass.name), `pass '${pass.name}'`, () => applyPass(graph, pass, ctx));
}

function applyPass(graph: Graph, pass: Pass, ctx: PassContext): number {
  if (pass.match === 'graph') {
    const r = pass.transform(graph, ctx);
    return typeof r === 'number' ? r : r ? 1 : 0;
  }
  const ops = new Set(pass.match);
  let changes = 0;
  const candidates: IRNode[] = graph.topoOrder().filter((n) => ops.has(n.op));
  for (const node of candidates) {
    // A previous transform in this sweep may have removed or replaced the node.
    if (graph.nodes.get(node.name) !== node || !ops.has(node.op)) continue;
    if (pass.transform(node, graph, ctx)) changes++;
  }
  return changes;
}
