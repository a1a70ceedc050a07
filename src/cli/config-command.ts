import { InvalidArgumentError, type Command } from 'commander';
import { renameSync, writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { ConvertOptions } from '../api.js';
import { FirmflowError } from '../errors.js';
import type { ConfigGranularity } from '../registry/types.js';
import { backendOption } from './args.js';
import { addBackendFlags, backendFlagValues, type BackendFlag } from './backend-flags.js';
import { json, JSON_FLAG, JSON_HELP, jsonTarget, Progress, type Io } from './output.js';
import { precisionArg } from './values.js';
import { YAML } from '../util/lazy-deps.js';

/*
 * `firmflow config <model>`: the full editable configuration of a model on a backend (what hls4ml's
 * config_from_onnx_model gives, with every value resolved), written as a file `convert -c` reads back unchanged.
 */

function granularity(v: string): ConfigGranularity {
  if (v !== 'model' && v !== 'type' && v !== 'name') throw new InvalidArgumentError("must be 'model', 'type' or 'name'.");
  return v;
}

/** The configuration as file text: JSON for a .json path, else YAML. */
export function configText(config: Record<string, unknown>, path?: string): string {
  return path && extname(path).toLowerCase() === '.json' ? `${JSON.stringify(config, null, 2)}\n` : YAML.stringify(config);
}

/** Writes a file whole or not at all. */
function writeWhole(path: string, text: string): void {
  const full = resolve(path);
  try {
    writeFileSync(`${full}.tmp`, text);
    renameSync(`${full}.tmp`, full);
  } catch (e) {
    throw new FirmflowError('config.output', `${path}: cannot write the configuration (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function addConfigCommand(cmd: Command, io: Io, flags: { list: BackendFlag[]; mark: boolean }): void {
  const configCmd = cmd
    .command('config')
    .description("write a model's full editable configuration (every layer's settings, as the backend resolved them) in hls4ml's form, for convert -c")
    .argument('<model>', 'ONNX model file')
    .option('-b, --backend <name>', "backend (firmflow backends lists them; default: the config's, else Vitis)")
    .option('-c, --config <file>', 'start from this configuration (JSON or YAML; hls4ml files too)')
    .option('--precision <type>', "default precision, e.g. 'fixed<16,6>'", precisionArg)
    .option('-O, --option <key=value>', "a backend's own option without a flag (repeatable)", backendOption)
    .option('--granularity <g>', "model (the Model section), type (one entry per layer type) or name (one per layer)", granularity, 'name' as ConfigGranularity)
    .option('-o, --output <file>', 'write the configuration here (.json, else YAML); default: stdout')
    .option(JSON_FLAG, JSON_HELP, jsonTarget)
    .option('--verbose', 'stack traces of internal errors');
  const backendFlags = addBackendFlags(configCmd, flags.list, flags.mark);
  configCmd
    .action(async (model: string, o: { backend?: string; config?: string; precision?: string; option?: Record<string, unknown>; granularity: ConfigGranularity; output?: string; json?: boolean | string }) => {
      const progress = new Progress(io);
      try {
        progress.step(`converting ${model}`);
        const options: ConvertOptions = { ...(o.option ?? {}), ...backendFlagValues(o, backendFlags), backend: o.backend ?? (o.config ? undefined : 'Vitis') };
        if (options.backend === undefined) delete options.backend;
        if (o.config) options.config = o.config;
        if (o.precision) options.precision = o.precision;
        const { convert } = await import('../api.js');
        const project = await convert(model, options);
        progress.done();
        const configOf = project.backend.configOf;
        if (!configOf) throw new FirmflowError('config.backend', `backend '${project.backend.name}' does not write configurations (its options: firmflow convert -b ${project.backend.name} --help)`);
        const config = configOf.call(project.backend, project, o.granularity);
        if (o.output) {
          writeWhole(o.output, configText(config, o.output));
          if (o.json) return json(io, { written: resolve(o.output), config }, o.json);
          io.out(`wrote ${o.output} (${o.granularity} granularity, backend ${project.backend.name})\n`);
          return;
        }
        if (o.json) return json(io, config, o.json);
        io.out(configText(config));
      } finally {
        progress.done();
      }
    });
}
