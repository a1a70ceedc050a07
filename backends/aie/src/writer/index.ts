/*
 * The AIE writer: a complete AI Engine project from EJS templates (templates/project, templates/kernels,
 * templates/harness): ADF graph, kernel sources, configuration and weight headers, app.cpp, Makefile, aie.cfg,
 * PLIO input data with the emulator's golden outputs, the board harness, and firmflow.json (to reopen the project
 * for `firmflow predict --emulate` and `firmflow report`).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph, PluginAPI, WriteContext } from 'firmflow';
import { jsonSafe } from 'firmflow';
import { bf16FromBits, bf16Round, emulateGraph } from '../emulate.js';
import { loadDevice } from '../devices.js';
import type { AieDataType, AieGraphMeta, AieTilingParameters } from '../lowered.js';
import { buildProjectModel, type ArrayDecl, type PlioModel, type ProjectModel } from './model.js';
import { graphExtras } from './graph-extras.js';
import { serializeLowered } from './serialize.js';
import { templatesDir } from './templates.js';

export { templatesDir };


/** Graph iterations the generated data files hold. */
export const DATA_ITERATIONS = 4;

const HOST_CTYPE: Record<AieDataType, string> = { int8: 'int8_t', int16: 'int16_t', int32: 'int32_t', bf16: 'uint16_t' };
const PLATFORM: Record<string, string> = { 'AIE-ML': 'xilinx_vek280_base_202420_1', 'AIE-MLv2': 'xilinx_vek385_base_202520_1' };

/**
 * C++ array initializer body, 16 values a line (deterministic). bfloat16 arrays hold bf16 bit patterns (as
 * weightsCodes does) and are printed as the float literals of their values, which convert to bfloat16 exactly.
 */
export function arrayBody(a: ArrayDecl): string {
  const lines: string[] = [];
  const v = a.values;
  const lit = (x: number): string => (a.ctype === 'float' ? floatLiteral(x) : a.ctype === 'bfloat16' ? floatLiteral(bf16FromBits(x)) : String(x));
  for (let i = 0; i < v.length; i += 16) {
    const row: string[] = [];
    for (let j = i; j < Math.min(i + 16, v.length); j++) row.push(lit(v[j]));
    lines.push(`  ${row.join(', ')},`);
  }
  return lines.join('\n');
}

function floatLiteral(x: number): string {
  const s = String(Math.fround(x));
  return /[.eE]/.test(s) ? `${s}f` : `${s}.0f`;
}

/** adf::tiling initializer of an access pattern. */
export function tilingInit(t: AieTilingParameters): string {
  const parts = [
    `.buffer_dimension = {${t.buffer_dimension.join(', ')}}`,
    `.tiling_dimension = {${t.tiling_dimension.join(', ')}}`,
    `.offset = {${t.offset.join(', ')}}`,
  ];
  if (t.tile_traversal.length) parts.push(`.tile_traversal = {${t.tile_traversal.map((s) => `{.dimension = ${s.dimension}, .stride = ${s.stride}, .wrap = ${s.wrap}}`).join(', ')}}`);
  if (t.padding?.length) parts.push(`.boundary_dimension = {${t.padding.map((p, i) => t.buffer_dimension[i] - p.after).join(', ')}}`);
  return `{${parts.join(', ')}}`;
}

/**
 * PLIO text (UG1076 "TXT File Format"): one stream word per line, widthBits / element bits values a line (128-bit
 * PLIO: 16 int8, 8 int16, 8 bf16 or 4 int32 values), the last word zero-padded. Integers in decimal; bf16 values in decimal
 * too, each exactly a bf16 number (the shortest decimal that reads back as that number), so a reader that parses
 * float and rounds to bf16 gets the same bits.
 */
export function plioText(values: ArrayLike<number>, dtype: AieDataType, widthBits: number): string {
  const per = widthBits / (dtype === 'int8' ? 8 : dtype === 'int32' ? 32 : 16);
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += per) {
    const row: number[] = [];
    for (let j = 0; j < per; j++) row.push(i + j < values.length ? values[i + j] : 0);
    lines.push(row.join(' '));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Deterministic test inputs (a fixed-seed generator): codes spread over half the type's range; bf16 values are
 * bf16 numbers (rounded to nearest even), so the data files hold exactly what a bf16 port receives.
 */
export function testCodes(count: number, dtype: AieDataType, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = new Array(count);
  const span = dtype === 'int8' ? 128 : dtype === 'int16' || dtype === 'int32' ? 8192 : 4;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32;
    out[i] = dtype === 'bf16' ? bf16Round(Math.round((u * 2 - 1) * span * 256) / 256) : Math.floor(u * span) - span / 2;
  }
  return out;
}

/** Inputs (codes) and the emulator's outputs (codes) for DATA_ITERATIONS iterations. */
export function goldenData(graph: Graph, model: ProjectModel): Map<string, ArrayLike<number>> {
  const data = new Map<string, ArrayLike<number>>();
  const feeds: Record<string, { shape: number[]; data: number[] }> = {};
  model.plios.filter((p) => p.direction === 'in').forEach((p, i) => {
    const codes = testCodes(p.elements * DATA_ITERATIONS, p.dtype, 0x5eed + i * 7919);
    data.set(p.id, codes);
    feeds[p.port] = { shape: [p.shape[0] * DATA_ITERATIONS, ...p.shape.slice(1)], data: codes };
  });
  const outs = emulateGraph(graph, feeds, { codes: true });
  for (const p of model.plios.filter((x) => x.direction === 'out')) {
    const o = outs[p.port];
    if (o) data.set(p.id, o.codes);
  }
  return data;
}

export function writeAieProject(ctx: WriteContext): void {
  const graph = ctx.graph;
  const meta = graph.meta['aie'] as AieGraphMeta | undefined;
  const model = buildProjectModel(graph, ctx.projectName);
  // Location constraints of buffers and the runtime parameters (aie.rtp; swaps the kernel classes that take them).
  const extras = graphExtras(graph, model);
  const T = templatesDir();
  const P = join(T, 'project');
  const f = ctx.files;
  const name = model.name;
  const inputs = model.plios.filter((p) => p.direction === 'in');
  const outputs = model.plios.filter((p) => p.direction === 'out');
  const arrayType: Record<string, string> = {};
  for (const l of model.layers) for (const a of l.arrays) arrayType[a.name] = a.ctype;
  const libs = [...new Set(model.layers.map((l) => l.library))].sort();
  const headers = [...model.layers.filter((l) => l.arrays.length).map((l) => l.header), ...libs.map((l) => `kernels/${l}`)];
  const common = { ...model, ...extras, name, headers, inputs, outputs, iterations: DATA_ITERATIONS, arrayType, tiling: tilingInit };

  f.render(join(P, 'graph.h.ejs'), 'src/graph.h', common);
  f.render(join(P, 'app.cpp.ejs'), 'src/app.cpp', common);
  f.render(join(P, 'parameters.h.ejs'), 'src/parameters.h', common);
  for (const l of model.layers) {
    if (l.arrays.length) f.render(join(P, 'weights.h.ejs'), `src/${l.header}`, { layer: l, body: arrayBody });
    f.render(join(P, 'kernel.cc.ejs'), `src/kernels/${l.id}.cc`, { layer: l });
  }
  for (const file of readdirSync(join(T, 'kernels')).sort()) f.copy(join(T, 'kernels', file), `src/kernels/${file}`);
  const plMHz = plClock(model.device, meta?.deviceFile);
  f.render(join(P, 'aie.cfg.ejs'), 'aie.cfg', { name, stack: 1024, heap: 1024, plMHz });
  f.render(join(P, 'Makefile.ejs'), 'Makefile', { ...common, platform: PLATFORM[model.device] ?? 'xilinx_vek280_base_202420_1' });

  const data = goldenData(graph, model);
  for (const p of inputs) f.text(p.file, plioText(data.get(p.id) ?? [], p.dtype, p.widthBits));
  for (const p of outputs) f.text(`data/golden/${p.id}.txt`, plioText(data.get(p.id) ?? [], p.dtype, p.widthBits));
  // Memory-tile weight stores, for the board harness's GMIO transfers (the same values as the weights headers).
  for (const g of model.gmio) f.text(`data/weights/${g.id}.txt`, plioText(g.values, g.dtype, 128));

  f.copy(join(T, 'harness', 'mm2s.cpp'), 'harness/pl/mm2s.cpp');
  f.copy(join(T, 'harness', 's2mm.cpp'), 'harness/pl/s2mm.cpp');
  f.render(join(T, 'harness', 'system.cfg.ejs'), 'harness/system.cfg', common);
  f.render(join(T, 'harness', 'host.cpp.ejs'), 'harness/host/host.cpp', { ...common, ctype: HOST_CTYPE });

  const port = (p: PlioModel) => ({ name: p.port, tensor: p.tensor, plio: p.id, file: p.file, dtype: p.dtype, frac: p.frac, shape: p.shape, elementsPerIteration: p.elements });
  const { projectName: _n, ...options } = ctx.options;
  void _n;
  const manifest = {
    firmflow: 1,
    kind: 'aie-project',
    backend: 'AIE',
    projectName: name,
    device: model.device,
    // Kernel arithmetic ('int' or 'bf16') and why (aie.mode as given, or what 'auto' saw in the model).
    mode: meta?.mode,
    ...(meta?.modeChoice ? { modeChoice: meta.modeChoice } : {}),
    rowsPerIteration: model.rowsPerIteration,
    dataIterations: DATA_ITERATIONS,
    options: jsonSafe(options),
    inputs: inputs.map(port),
    outputs: outputs.map(port),
    kernels: model.layers.reduce((a, l) => a + l.kernels.length, 0),
    layers: model.layers.map((l) => ({ node: l.node, kernel: l.kind, kernels: l.kernels.map((k) => ({ id: k.id, ...(k.location ?? {}) })), summary: l.summary })),
    sharedBuffers: model.shared.map((b) => ({ name: b.name, dims: b.dims, writers: b.writers.length, readers: b.readers.length })),
    // Runtime parameters and the values app.cpp writes (graph.update) before graph.run.
    runtimeParameters: extras.rtp.map((r) => ({ port: r.port, kernel: r.kernel, input: r.index, type: r.ctype, kind: r.kind, node: r.node, value: r.value })),
    // Planning times change from run to run; the written project stays byte-identical without them.
    plan: meta ? jsonSafe({ ...meta, sharedBuffers: undefined, planningMs: undefined }) : undefined,
    lowered: serializeLowered(graph),
  };
  f.text('firmflow.json', `${JSON.stringify(manifest, null, 1)}\n`);
}

function plClock(device: string, file?: string): number {
  try {
    return loadDevice(file ?? device).plio.plClockMHz;
  } catch {
    return 312.5;
  }
}


export function registerAieWriter(api: Pick<PluginAPI, 'registerWriter'>): void {
  api.registerWriter('AIE', { write: (ctx) => writeAieProject(ctx) });
}
