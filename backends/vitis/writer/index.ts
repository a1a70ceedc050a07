import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatType, type Graph, jsonSafe, type PluginAPI, type WriteContext } from 'firmflow';
import { toolFlavor } from '../flavors.js';
import { tclTarget } from '../target-values.js';
import { HOST_CXXFLAGS, libName } from '../compile.js';
import { buildProjectModel, type ProjectModel } from './model.js';
import { templatesDir } from './templates.js';
import { encodeWeights, weightHeader } from './weights.js';
import { serializeGraph } from './serialize.js';
import { testbenchFiles, type TestbenchFiles } from './testbench.js';

export { templatesDir };

export type Flavor = 'Vitis' | 'Vivado';



/** The project manifest: resolved options, ports, per-layer kernels and types, and the lowered graph to reopen. */
function manifest(m: ProjectModel, ctx: WriteContext, flavor: Flavor): Record<string, unknown> {
  const info = m.lowered.info;
  const port = (p: ProjectModel['inputs'][number]) => ({
    name: p.name, tensor: p.tensor.name, id: p.tensor.id, shape: p.shape, size: p.size, precision: formatType(p.type),
    ...(p.beat ? { pack: p.beat.pack, beats: p.beat.beats } : {}),
  });
  const { projectName: _p, testbench: tbOpt, ...options } = ctx.options as Record<string, unknown>;
  void _p;
  // Inline test vectors stay out of the manifest (they are in tb_data/); a file name is kept.
  if (typeof tbOpt === 'string') options['testbench'] = tbOpt;
  return {
    firmflow: 1,
    kind: 'vitis-hls-project',
    backend: flavor,
    projectName: m.name,
    io: m.io,
    options: jsonSafe(options),
    inputs: m.inputs.map(port),
    outputs: m.outputs.map(port),
    inputLayouts: info.inputLayouts,
    outputLayouts: info.outputLayouts,
    warnings: info.warnings,
    layers: m.layers,
    summary: { nodes: m.layers.length, parameters: ctx.graph.parameterCount(), constants: m.consts.length, constantValues: m.consts.reduce((a, c) => a + c.codes.length, 0) },
    host: { cxxflags: HOST_CXXFLAGS, library: `build/lib${libName(m.name)}.so`, program: `build/${m.name}_predict`, weights: 'weights.bin' },
    graph: serializeGraph(ctx.graph, m.constants, m.names),
  };
}

export async function writeVitisProject(ctx: WriteContext, flavor: Flavor): Promise<void> {
  const opts = ctx.options as Record<string, unknown>;
  // Values printed into Tcl, checked before anything is rendered.
  const target = tclTarget(opts['part'] ?? toolFlavor(ctx.backend).defaultPart, opts['clockPeriod'] ?? 5);
  const m = buildProjectModel(ctx.graph as Graph, ctx.projectName);
  const tbOption = (ctx.options as Record<string, unknown>)['testbench'];
  // Test vectors first: a bad testbench file stops the write before anything is rendered.
  let tb: TestbenchFiles | undefined;
  if (tbOption !== undefined && tbOption !== null && tbOption !== false) {
    tb = await testbenchFiles(ctx.graph as Graph, tbOption, m.inputs, m.outputs, { inputs: m.lowered.info.inputLayouts ?? [] });
  }
  const T = templatesDir();
  const P = join(T, 'project');
  const f = ctx.files;
  const name = m.name;
  const vivado = flavor === 'Vivado';
  const stream = m.io === 'io_stream';
  const data = {
    name, backend: flavor, io: m.io, stream, vivado, guard: m.names.guard,
    inputs: m.inputs, outputs: m.outputs, typedefs: m.typedefs, consts: m.consts, configs: m.configs, indexMaps: m.indexMaps, body: m.body,
  };
  f.render(join(P, 'top.h.ejs'), `firmware/${name}.h`, data);
  f.render(join(P, 'top.cpp.ejs'), `firmware/${name}.cpp`, data);
  f.render(join(P, 'defines.h.ejs'), 'firmware/defines.h', data);
  f.render(join(P, 'parameters.h.ejs'), 'firmware/parameters.h', data);
  for (const c of m.consts) {
    f.render(join(P, 'weight.h.ejs'), `firmware/weights/${c.name}.h`, { c, cpp: formatType(c.type), body: weightHeader(c) });
  }
  for (const file of readdirSync(join(T, 'nnet')).sort()) f.copy(join(T, 'nnet', file), `firmware/nnet/${file}`);
  for (const file of readdirSync(join(T, 'ap_types')).sort()) f.copy(join(T, 'ap_types', file), `firmware/ap_types/${file}`);
  f.render(join(P, 'test.cpp.ejs'), `${name}_test.cpp`, data);
  f.render(join(P, 'host_bridge.cpp.ejs'), `host/${name}_bridge.cpp`, data);
  f.render(join(P, 'host_predict.cpp.ejs'), `host/${name}_predict.cpp`, data);
  f.render(join(P, 'project.tcl.ejs'), 'project.tcl', { name, ...target });
  f.render(join(P, 'build_prj.tcl.ejs'), 'build_prj.tcl', {
    name, vivado, tool: vivado ? 'vivado_hls' : 'vitis_hls',
    exportCommand: vivado ? 'export_design -format ip_catalog' : 'export_design -format ip_catalog -rtl verilog',
  });
  f.render(join(P, 'build_lib.sh.ejs'), 'build_lib.sh', { name, libName: libName(name), flags: HOST_CXXFLAGS.join(' ') });
  f.binary('weights.bin', encodeWeights(m.consts));
  f.text('tb_data/README', [
    'C-simulation test vectors of the testbench (' + name + '_test.cpp), one sample per line, values separated by spaces,',
    'every port in turn in the firmware\'s layout (channels-last ports permuted):',
    '  tb_input_features.dat     inputs (float values; each is converted to the input port\'s type)',
    '  tb_output_predictions.dat expected outputs (optional): the testbench then compares bit for bit',
    '  csim_results.log          written by the testbench: the C simulation\'s outputs',
    'firmflow writes the first two with option testbench=<inputs.json> (expected values from its emulator).',
    '',
  ].join('\n'));
  if (tb) {
    f.text('tb_data/tb_input_features.dat', tb.inputs);
    f.text('tb_data/tb_output_predictions.dat', tb.outputs);
  }
  const manifestJson = manifest(m, ctx, flavor);
  if (tb) manifestJson['testbench'] = { samples: tb.samples, inputs: 'tb_data/tb_input_features.dat', outputs: 'tb_data/tb_output_predictions.dat' };
  f.text('firmflow.json', `${JSON.stringify(manifestJson, null, 1)}\n`);
}

/** Registers the writers of the Vitis and Vivado backends. */
export function registerVitisWriters(api: Pick<PluginAPI, 'registerWriter'>): void {
  api.registerWriter('Vitis', { write: (ctx) => writeVitisProject(ctx, 'Vitis') });
  api.registerWriter('Vivado', { write: (ctx) => writeVitisProject(ctx, 'Vivado') });
}

export { resolve };
