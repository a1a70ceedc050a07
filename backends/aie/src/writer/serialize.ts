/*
 * The lowered graph as JSON inside firmflow.json, so a written project can be reopened without the model: the
 * emulator needs the nodes, their AIE layers (codes as typed arrays) and the tensor shapes; constants are kept
 * by shape only (their values live in the layers' codes).
 */
import { FirmflowError, Graph, type Attrs } from 'firmflow';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const TYPED: Record<string, { new (a: ArrayLike<number>): ArrayLike<number> }> = {
  Int8Array, Int16Array, Int32Array, Float32Array, Float64Array, Uint8Array,
};

function enc(v: unknown): Json | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : { $num: String(v) };
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v)) return { $typed: v.constructor.name, values: Array.from(v as unknown as ArrayLike<number>) };
  if (Array.isArray(v)) return v.map((x) => enc(x) ?? null);
  if (typeof v === 'object') {
    const o: Record<string, Json> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = enc((v as Record<string, unknown>)[k]);
      if (x !== undefined) o[k] = x;
    }
    return o;
  }
  return undefined;
}

function dec(v: Json): unknown {
  if (Array.isArray(v)) return v.map(dec);
  if (v && typeof v === 'object') {
    if (typeof v['$typed'] === 'string' && Array.isArray(v['values'])) {
      const C = TYPED[v['$typed'] as string];
      if (!C) throw new Error(`unknown typed array ${String(v['$typed'])}`);
      return new C(v['values'] as number[]);
    }
    if (typeof v['$num'] === 'string') return Number(v['$num']);
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = dec(x);
    return o;
  }
  return v;
}

export function serializeLowered(g: Graph): Json {
  const used = new Set<string>();
  const nodes = g.topoOrder().map((n) => {
    for (const t of [...n.inputs, ...n.outputs]) if (t !== '') used.add(t);
    return { name: n.name, op: n.op, attrs: enc(n.attrs) ?? {}, inputs: n.inputs, outputs: n.outputs, aie: enc(withoutPlanning(n.meta['aie'])) ?? null };
  });
  for (const p of [...g.inputs, ...g.outputs]) used.add(p.tensor);
  const tensors = [...used].sort().map((name) => {
    const t = g.tensor(name);
    return { name, shape: t.shape, dtype: t.dtype, constant: t.data !== undefined };
  });
  return { name: g.name, inputs: g.inputs.map((p) => ({ ...p })), outputs: g.outputs.map((p) => ({ ...p })), tensors, nodes, aie: enc(withoutTimings(g.meta['aie'])) ?? null } as unknown as Json;
}

/** A view's regions are planning facts (the memory plan and the writer read them); the emulator needs only attrs. */
function withoutPlanning(layer: unknown): unknown {
  if (!layer || typeof layer !== 'object') return layer;
  const { regions: _r, ...rest } = layer as Record<string, unknown>;
  void _r;
  return rest;
}

function withoutTimings(m: unknown): unknown {
  if (!m || typeof m !== 'object') return m;
  const { planningMs: _t, ...rest } = m as Record<string, unknown>;
  void _t;
  return rest;
}

export function deserializeLowered(json: unknown, where: string): Graph {
  try {
    const j = json as { name: string; inputs: { name: string; tensor: string }[]; outputs: { name: string; tensor: string }[]; tensors: { name: string; shape: (number | string)[]; dtype: string; constant: boolean }[]; nodes: { name: string; op: string; attrs: Json; inputs: string[]; outputs: string[]; aie: Json }[]; aie: Json };
    const g = new Graph(j.name);
    for (const t of j.tensors) g.addTensor({ name: t.name, shape: t.shape, dtype: t.dtype as never, ...(t.constant ? { data: new Float32Array(0) } : {}) });
    for (const n of j.nodes) g.addNode({ name: n.name, op: n.op, attrs: dec(n.attrs) as Attrs, inputs: n.inputs, outputs: n.outputs, meta: { aie: dec(n.aie) } });
    g.inputs = j.inputs;
    g.outputs = j.outputs;
    g.meta['aie'] = dec(j.aie);
    return g;
  } catch (e) {
    throw new FirmflowError('project.open', `${where}: the lowered graph cannot be read (${(e as Error).message})`);
  }
}
