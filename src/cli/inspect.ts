import type { Graph, IRNode } from '../ir/graph.js';
import { formatShape, type Dim } from '../ir/types.js';
import { getFlow } from '../pipeline/flows.js';
import { runFlows } from '../pipeline/driver.js';
import { findBackend } from '../registry/registry.js';
import { SHARED_FLOWS, ensureSharedFlows } from '../registry/shared.js';
import type { BackendInfo } from '../registry/types.js';
import { table } from './output.js';

export interface TensorView { name: string; shape: Dim[]; dtype: string; constant: boolean }

export interface NodeView {
  name: string;
  op: string;
  /** The ONNX op the node came from, when it differs. */
  from?: string;
  inputs: TensorView[];
  outputs: TensorView[];
  /** Elements of the node's constant inputs. */
  parameters: number;
  /** Per backend: true, or the reason it cannot implement the node. */
  support?: Record<string, true | string>;
}

export interface GraphView {
  name: string;
  inputs: TensorView[];
  outputs: TensorView[];
  nodes: NodeView[];
  totals: { nodes: number; parameters: number; ops: Record<string, number> };
}

export interface InspectReport {
  model: string;
  meta: Record<string, unknown>;
  loaded: GraphView;
  /** After the shared flows; null when none are registered. */
  optimized: GraphView | null;
  sharedFlows: string[];
  backends: string[];
}

function tensorView(g: Graph, name: string): TensorView {
  const t = g.tensor(name);
  return { name: t.name, shape: [...t.shape], dtype: t.dtype, constant: t.data !== undefined };
}

function graphView(g: Graph, backends: BackendInfo[]): GraphView {
  const nodes: NodeView[] = g.topoOrder().map((n: IRNode) => {
    const inputs = n.inputs.filter((i) => i !== '').map((i) => tensorView(g, i));
    const v: NodeView = {
      name: n.name,
      op: n.op,
      inputs,
      outputs: n.outputs.map((o) => tensorView(g, o)),
      parameters: inputs.reduce((s, t) => s + (t.constant ? (g.tensor(t.name).data?.length ?? 0) : 0), 0),
    };
    if (n.origin && n.origin.op !== n.op) v.from = n.origin.op;
    if (backends.length) {
      v.support = {};
      for (const b of backends) {
        const be = findBackend(b.name);
        if (!be?.supports) { v.support[b.name] = true; continue; }
        try {
          v.support[b.name] = be.supports(n, g);
        } catch (e) {
          v.support[b.name] = `supports() failed: ${(e as Error).message}`;
        }
      }
    }
    return v;
  });
  const ops: Record<string, number> = {};
  for (const n of nodes) ops[n.op] = (ops[n.op] ?? 0) + 1;
  return {
    name: g.name,
    inputs: g.inputs.map((p) => ({ ...tensorView(g, p.tensor), name: p.name })),
    outputs: g.outputs.map((p) => ({ ...tensorView(g, p.tensor), name: p.name })),
    nodes,
    totals: { nodes: nodes.length, parameters: g.parameterCount(), ops: Object.fromEntries(Object.entries(ops).sort()) },
  };
}

/**
 * Describes a loaded model, and the same model after the shared flows, with each backend's verdict on every
 * node of the graph backends actually see (the optimized one when the shared flows exist).
 */
export function inspectGraph(model: string, graph: Graph, backends: BackendInfo[], log?: (m: string) => void): InspectReport {
  ensureSharedFlows();
  const shared = SHARED_FLOWS.filter((f) => getFlow(f));
  let optimized: GraphView | null = null;
  if (shared.length) {
    const g = graph.clone();
    runFlows(g, shared, { log });
    optimized = graphView(g, backends);
  }
  return {
    model,
    meta: graph.meta,
    loaded: graphView(graph, optimized ? [] : backends),
    optimized,
    sharedFlows: shared,
    backends: backends.map((b) => b.name),
  };
}

function shapes(ts: TensorView[]): string {
  return ts.map((t) => formatShape(t.shape)).join(' ');
}

function viewText(v: GraphView, backends: string[]): string {
  const head = ['node', 'op', 'inputs', 'outputs', 'params', ...backends];
  const rows: (string | number)[][] = [head];
  for (const n of v.nodes) {
    const acts = n.inputs.filter((t) => !t.constant);
    const support = backends.map((b) => {
      const s = n.support?.[b];
      return s === true ? 'yes' : s === undefined ? '-' : `no: ${s}`;
    });
    rows.push([n.name, n.from ? `${n.op} (${n.from})` : n.op, shapes(acts), shapes(n.outputs), n.parameters, ...support]);
  }
  let s = table(rows, '  ');
  const ops = Object.entries(v.totals.ops).map(([o, c]) => `${o} x${c}`).join(', ');
  s += `  total: ${v.totals.nodes} nodes, ${v.totals.parameters} parameters${ops ? ` (${ops})` : ''}\n`;
  return s;
}

export function inspectText(r: InspectReport): string {
  const m = r.meta;
  const facts = [
    m.irVersion !== undefined ? `IR ${String(m.irVersion)}` : '',
    m.opsets ? `opsets ${Object.entries(m.opsets as Record<string, number>).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}` : '',
    m.producer ? `producer ${String(m.producer)}` : '',
  ].filter(Boolean);
  let s = `model ${r.model}${facts.length ? ` (${facts.join('; ')})` : ''}\n`;
  const io = (label: string, ts: TensorView[]): string => `${label}: ${ts.map((t) => `${t.name} ${formatShape(t.shape)} ${t.dtype}`).join(', ') || 'none'}\n`;
  s += io('inputs', r.loaded.inputs);
  s += io('outputs', r.loaded.outputs);
  s += `\nas loaded:\n${viewText(r.loaded, r.optimized ? [] : r.backends)}`;
  if (r.optimized) s += `\nafter the shared passes (${r.sharedFlows.join(', ')}):\n${viewText(r.optimized, r.backends)}`;
  else s += '\n(no shared flows are registered: the graph is shown as loaded)\n';
  if (r.backends.length === 0) s += '\nno backends are available to judge support (firmflow backends lists them)\n';
  return s;
}
