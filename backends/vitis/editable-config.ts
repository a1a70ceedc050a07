/*
 * `firmflow config` for the Vitis/Vivado backends: the configuration a converted project resolved to, written back
 * as hls4ml's file (project keys and HLSConfig's Model / LayerType / LayerName) with every value explicit: each
 * layer's precisions (every role the reader takes), reuse factor, strategy, tables and Softmax implementation.
 * Converting with it (`convert -c`) gives the same project; editing it is how a user tunes one layer.
 */
import { formatType, nodesByName, type ConfigGranularity, type FixedType, type Graph, type IRNode, type Project } from 'firmflow';
import { DEFAULT_DATA, ROLES, TABLES_OF, type LayerConfig } from './config.js';
import { graphInfo, hlsOf, readLoweredGraph, type HlsLayer } from './lowered.js';
import { CONFIG_KEY } from './passes/common.js';

type Entry = Record<string, unknown>;

/** A layer's settings, every one explicit. */
function layerEntry(node: IRNode, h: HlsLayer): Entry {
  const precision: Record<string, string> = {};
  for (const role of ROLES) if (h.types[role]) precision[role] = formatType(h.types[role]);
  const e: Entry = { Precision: precision, ReuseFactor: h.reuseFactor, Strategy: h.strategy === 'resource' ? 'Resource' : 'Latency' };
  if (h.parallelization !== undefined) e['ParallelizationFactor'] = h.parallelization;
  const configured = node.meta[CONFIG_KEY] as LayerConfig | undefined;
  const tables = Object.entries(h.tables ?? {}).filter(([k]) => (TABLES_OF[node.op] ?? []).includes(k)); // configurable ones
  if (tables.length) e['TableSize'] = Object.fromEntries(tables.map(([k, t]) => [k, t.size]));
  // A table's range as configured: the stored table may hold it transformed (softmax's exp over -x), so only a
  // range the user set is written back; the others stay the kernel's defaults.
  if (configured && Object.keys(configured.tableRange).length) e['TableRange'] = { ...configured.tableRange };
  const implementation = configured?.implementation;
  if (implementation) e['Implementation'] = implementation;
  return e;
}

/** The settings all entries agree on (a LayerType entry for layers of one op). */
function common(entries: Entry[]): Entry {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const out: Entry = {};
  for (const [k, v] of Object.entries(entries[0])) {
    if (k === 'Precision' || k === 'TableSize' || k === 'TableRange') {
      const sub = Object.fromEntries(Object.entries(v as Entry).filter(([r, x]) => entries.every((e) => same((e[k] as Entry | undefined)?.[r], x))));
      if (Object.keys(sub).length) out[k] = sub;
    } else if (entries.every((e) => same(e[k], v))) out[k] = v;
  }
  return out;
}

/** The key a layer is configured by: its ONNX name when no other node shares it, else its own. */
function layerKey(node: IRNode, names: Map<string, IRNode[]>): string {
  const origin = node.origin?.name;
  return origin && names.get(origin)?.length === 1 ? origin : node.name;
}

function sections(graph: Graph, granularity: ConfigGranularity): Entry {
  const nodes = [...graph.nodes.values()].filter((n) => n.meta['hls'] !== undefined).sort((a, b) => hlsOf(a).index - hlsOf(b).index);
  const out: Entry = {};
  if (granularity === 'type') {
    const byOp = new Map<string, Entry[]>();
    for (const n of nodes) byOp.set(n.op, [...(byOp.get(n.op) ?? []), layerEntry(n, hlsOf(n))]);
    out['LayerType'] = Object.fromEntries([...byOp].map(([op, es]) => [op, common(es)]));
  } else if (granularity === 'name') {
    const names = nodesByName(graph);
    const entries: [string, Entry][] = readLoweredGraph(graph).inputs.map((p): [string, Entry] => [p.name, { Precision: formatType(p.precision as FixedType) }]);
    for (const n of nodes) entries.push([layerKey(n, names), layerEntry(n, hlsOf(n))]);
    out['LayerName'] = Object.fromEntries(entries);
  }
  return out;
}

/** Backend.configOf of the Vitis/Vivado backends. */
export function editableConfig(project: Project, granularity: ConfigGranularity): Record<string, unknown> {
  const o = project.options;
  // The data type as a plain Precision sets weights too, so it is written only when the user chose one (as the
  // precision option did); the backend's default data type leaves weights their derived widths.
  const data = graphInfo(project.graph).defaultPrecision;
  const model: Entry = data === formatType(DEFAULT_DATA) ? {} : { Precision: data };
  Object.assign(model, { ReuseFactor: o['reuseFactor'], Strategy: o['strategy'] === 'resource' ? 'Resource' : 'Latency' });
  if (o['reuseFactorPolicy'] !== undefined) model['ReuseFactorPolicy'] = o['reuseFactorPolicy'];
  if (o['fifoDepth'] !== undefined) model['FifoDepth'] = o['fifoDepth'];
  const hls = sections(project.graph, granularity);
  const top: Entry = { Backend: project.backend.name, ProjectName: project.projectName };
  if (o.outputDir) top['OutputDir'] = o.outputDir;
  if (o['part'] !== undefined) top['Part'] = o['part'];
  top['ClockPeriod'] = o['clockPeriod'];
  top['IOType'] = graphInfo(project.graph).io;
  return { ...top, HLSConfig: { Model: model, ...hls } };
}
