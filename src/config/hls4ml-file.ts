import { FirmflowError } from '../errors.js';
import { HLS4ML_UNIMPLEMENTED } from './hls4ml-names.js';

/*
 * hls4ml's configuration file as firmflow options: its project keys become the core's options, its HLSConfig's
 * sections the backend's Model / LayerType / LayerName, and the keys firmflow does not implement are refused, all of
 * them in one message. Backend keys (Part, ClockPeriod, IOType) are the backend's: its option schema names them
 * (OptionSpec.configKeys).
 */

/** hls4ml's top-level keys of the core's options. */
const CORE_KEYS: Readonly<Record<string, string>> = { OutputDir: 'outputDir', ProjectName: 'projectName', Backend: 'backend' };
/** The sections an HLSConfig holds. */
const SECTIONS = ['Model', 'LayerType', 'LayerName'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The config with hls4ml's spellings turned into firmflow's (other keys as they are). */
export function fromHls4mlConfig(raw: Record<string, unknown>, where: string): Record<string, unknown> {
  const refused = Object.keys(raw).filter((k) => k in HLS4ML_UNIMPLEMENTED);
  const hls = raw['HLSConfig'];
  if (hls !== undefined && !isObj(hls)) throw new FirmflowError('config.key', `${where}: HLSConfig must be a mapping of Model, LayerType, LayerName, got ${JSON.stringify(hls)}`, { key: 'HLSConfig' });
  const inner = Object.keys(hls ?? {}).filter((k) => !SECTIONS.includes(k));
  if (refused.length || inner.length) {
    const lines = [
      ...refused.map((k) => `'${k}' (${HLS4ML_UNIMPLEMENTED[k]})`),
      ...inner.map((k) => `'HLSConfig.${k}' (${HLS4ML_UNIMPLEMENTED[k] ?? `an HLSConfig holds ${SECTIONS.join(', ')}`})`),
    ];
    throw new FirmflowError('config.key', `${where}: hls4ml key${lines.length > 1 ? 's' : ''} not implemented by firmflow: ${lines.join('; ')}`, { key: [...refused, ...inner][0] });
  }
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown, as: string): void => {
    if (k in out) throw new FirmflowError('config.key', `${where}: option '${k}' is given twice (as '${as}')`, { key: as });
    out[k] = v;
  };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'HLSConfig') continue;
    put(CORE_KEYS[k] ?? k, v, k);
  }
  for (const [k, v] of Object.entries(hls ?? {})) put(k, v, `HLSConfig.${k}`);
  return out;
}
