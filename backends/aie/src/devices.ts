/*
 * AI Engine device descriptions. The built-in devices are JSON files in ../devices (shipped with the package);
 * a user adds a device by writing a file of the same form and passing its path as the `device` option.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FirmflowError } from 'firmflow';
import type { AieDataType } from './lowered.js';

/** Operand pair of a matrix product, as the device tables key it: `int8xint8`, `int16xint8`, `bf16xbf16` ... */
export type OperandPair = `${AieDataType}x${AieDataType}`;

export interface AieDevice {
  name: string;
  aliases: string[];
  family: string;
  part?: string;
  board?: string;
  /** AIE array clock. */
  clockMHz: number;
  /** Compute tiles: columns x rows. */
  grid: { columns: number; rows: number };
  /** Peak MACs per cycle per tile, by operand pair. */
  macsPerCycle: Partial<Record<OperandPair, number>>;
  /** aie::mmul shapes [m, k, n] per operand pair, preferred first. */
  microtiles: Partial<Record<OperandPair, [number, number, number][]>>;
  /** Tile data memory as banks; reservedBytes (stack + heap) come out of the last bank. */
  dataMemory: { banks: number; bankBytes: number; reservedBytes: number };
  programMemoryBytes: number;
  vectorBits: number;
  /** Accumulator bits moved per cycle on a cascade link. */
  cascadeBits: number;
  /** Bits per cycle of one AXI4-Stream port / DMA channel. */
  streamBitsPerCycle: number;
  tileDma: { s2mm: number; mm2s: number };
  /** Memory tiles: one per column per row; DMA channels per memory tile; reach = neighbours a channel addresses. */
  memoryTile: { bytes: number; rows: number; banks: number; dma: { s2mm: number; mm2s: number }; neighbourReach: number };
  plio: { widthBits: number; plClockMHz: number; inputsPerColumn: number; outputsPerColumn: number };
  /**
   * GMIO (DDR <-> array through the interface tiles' DMA over the NoC): MM2S channels usable for GMIO inputs in the
   * whole array, and the DDR bandwidth they share (GB/s). Each channel moves at most one stream word per cycle.
   * Defaults (assumed, override in a device file): 2 channels per column, 25.6 GB/s.
   */
  gmio: { mm2sChannels: number; ddrGBps: number };
  /** Cycle overheads of the analytic model. */
  overheads: { kernelCallCycles: number; loopCycles: number; dmaSetupCycles: number; cascadeHopCycles: number };
  notes?: string[];
  /** File it was read from. */
  file?: string;
}

/** Folder of the built-in device files: the package's devices/ (one level up from src/ and dist/, two from a nested build). */
export const DEVICES_DIR = ['../devices/', '../../devices/'].map((p) => fileURLToPath(new URL(p, import.meta.url))).find((d) => existsSync(d)) ?? fileURLToPath(new URL('../devices/', import.meta.url));

const OPERAND_PAIRS: OperandPair[] = ['int8xint8', 'int16xint8', 'int8xint16', 'int16xint16', 'bf16xbf16'];

function bad(where: string, field: string, msg: string): never {
  throw new FirmflowError('aie.device', `${where}: field '${field}' ${msg}`, { field });
}

function obj(v: unknown, where: string, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(where, field, `must be an object, got ${JSON.stringify(v)}`);
  return v as Record<string, unknown>;
}

function posInt(o: Record<string, unknown>, key: string, where: string, prefix: string, dflt?: number): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) bad(where, prefix + key, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function nonNegInt(o: Record<string, unknown>, key: string, where: string, prefix: string, dflt?: number): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(where, prefix + key, `must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v;
}

function posNum(o: Record<string, unknown>, key: string, where: string, prefix: string, dflt?: number): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) bad(where, prefix + key, `must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Checks a parsed device description and returns it typed. Every error names the file (or 'device') and the
 * field, e.g. `device file my.json: field 'grid.columns' must be a positive integer, got 0`.
 */
export function validateDevice(raw: unknown, where = 'device'): AieDevice {
  const o = obj(raw, where, '(root)');
  if (typeof o['name'] !== 'string' || o['name'].trim() === '') bad(where, 'name', `must be a non-empty string, got ${JSON.stringify(o['name'])}`);
  const aliases = o['aliases'] ?? [];
  if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== 'string')) bad(where, 'aliases', 'must be a list of strings');
  const grid = obj(o['grid'], where, 'grid');
  const macs = obj(o['macsPerCycle'], where, 'macsPerCycle');
  const macsPerCycle: AieDevice['macsPerCycle'] = {};
  for (const [k, v] of Object.entries(macs)) {
    if (!OPERAND_PAIRS.includes(k as OperandPair)) bad(where, `macsPerCycle.${k}`, `is not an operand pair (known: ${OPERAND_PAIRS.join(', ')})`);
    macsPerCycle[k as OperandPair] = posInt(macs, k, where, 'macsPerCycle.');
  }
  if (!macsPerCycle.int8xint8) bad(where, 'macsPerCycle.int8xint8', 'is required');
  const mt = obj(o['microtiles'], where, 'microtiles');
  const microtiles: AieDevice['microtiles'] = {};
  for (const [k, v] of Object.entries(mt)) {
    if (!OPERAND_PAIRS.includes(k as OperandPair)) bad(where, `microtiles.${k}`, `is not an operand pair (known: ${OPERAND_PAIRS.join(', ')})`);
    if (!Array.isArray(v) || v.length === 0) bad(where, `microtiles.${k}`, 'must be a non-empty list of [m, k, n] shapes');
    microtiles[k as OperandPair] = v.map((s, i) => {
      if (!Array.isArray(s) || s.length !== 3 || s.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
        bad(where, `microtiles.${k}[${i}]`, `must be [m, k, n] with positive integers, got ${JSON.stringify(s)}`);
      }
      return [s[0], s[1], s[2]] as [number, number, number];
    });
    if (!macsPerCycle[k as OperandPair]) bad(where, `macsPerCycle.${k}`, `is required because microtiles.${k} is given`);
  }
  const dm = obj(o['dataMemory'], where, 'dataMemory');
  const dataMemory = {
    banks: posInt(dm, 'banks', where, 'dataMemory.'),
    bankBytes: posInt(dm, 'bankBytes', where, 'dataMemory.'),
    reservedBytes: nonNegInt(dm, 'reservedBytes', where, 'dataMemory.', 0),
  };
  if (dataMemory.reservedBytes >= dataMemory.bankBytes) bad(where, 'dataMemory.reservedBytes', `(${dataMemory.reservedBytes}) must be smaller than one bank (${dataMemory.bankBytes})`);
  const mtile = obj(o['memoryTile'], where, 'memoryTile');
  const mdma = obj(mtile['dma'], where, 'memoryTile.dma');
  const tdma = obj(o['tileDma'] ?? { s2mm: 2, mm2s: 2 }, where, 'tileDma');
  const plio = obj(o['plio'], where, 'plio');
  const ov = obj(o['overheads'] ?? {}, where, 'overheads');
  const gm = obj(o['gmio'] ?? {}, where, 'gmio');
  const notes = o['notes'];
  if (notes !== undefined && (!Array.isArray(notes) || notes.some((n) => typeof n !== 'string'))) bad(where, 'notes', 'must be a list of strings');
  const dev: AieDevice = {
    name: o['name'] as string,
    aliases: aliases as string[],
    family: typeof o['family'] === 'string' ? o['family'] : 'custom',
    part: typeof o['part'] === 'string' ? o['part'] : undefined,
    board: typeof o['board'] === 'string' ? o['board'] : undefined,
    clockMHz: posNum(o, 'clockMHz', where, ''),
    grid: { columns: posInt(grid, 'columns', where, 'grid.'), rows: posInt(grid, 'rows', where, 'grid.') },
    macsPerCycle,
    microtiles,
    dataMemory,
    programMemoryBytes: posInt(o, 'programMemoryBytes', where, ''),
    vectorBits: posInt(o, 'vectorBits', where, '', 512),
    cascadeBits: posInt(o, 'cascadeBits', where, '', 512),
    streamBitsPerCycle: posInt(o, 'streamBitsPerCycle', where, '', 32),
    tileDma: { s2mm: posInt(tdma, 's2mm', where, 'tileDma.'), mm2s: posInt(tdma, 'mm2s', where, 'tileDma.') },
    memoryTile: {
      bytes: posInt(mtile, 'bytes', where, 'memoryTile.'),
      rows: nonNegInt(mtile, 'rows', where, 'memoryTile.'),
      banks: posInt(mtile, 'banks', where, 'memoryTile.', 16),
      dma: { s2mm: posInt(mdma, 's2mm', where, 'memoryTile.dma.'), mm2s: posInt(mdma, 'mm2s', where, 'memoryTile.dma.') },
      neighbourReach: nonNegInt(mtile, 'neighbourReach', where, 'memoryTile.', 1),
    },
    plio: {
      widthBits: posInt(plio, 'widthBits', where, 'plio.'),
      plClockMHz: posNum(plio, 'plClockMHz', where, 'plio.'),
      inputsPerColumn: posInt(plio, 'inputsPerColumn', where, 'plio.', 8),
      outputsPerColumn: posInt(plio, 'outputsPerColumn', where, 'plio.', 6),
    },
    gmio: {
      mm2sChannels: posInt(gm, 'mm2sChannels', where, 'gmio.', 2 * posInt(grid, 'columns', where, 'grid.')),
      ddrGBps: posNum(gm, 'ddrGBps', where, 'gmio.', 25.6),
    },
    overheads: {
      kernelCallCycles: nonNegInt(ov, 'kernelCallCycles', where, 'overheads.', 26),
      loopCycles: nonNegInt(ov, 'loopCycles', where, 'overheads.', 9),
      dmaSetupCycles: nonNegInt(ov, 'dmaSetupCycles', where, 'overheads.', 32),
      cascadeHopCycles: nonNegInt(ov, 'cascadeHopCycles', where, 'overheads.', 4),
    },
    notes: notes as string[] | undefined,
  };
  return dev;
}

function readDeviceFile(file: string, where: string): AieDevice {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FirmflowError('aie.device', `${where}: cannot be read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FirmflowError('aie.device', `${where}: is not valid JSON (${(e as Error).message})`);
  }
  return { ...validateDevice(raw, where), file };
}

let builtins: AieDevice[] | undefined;

/** The devices shipped with the package, in file-name order. */
export function builtinDevices(): AieDevice[] {
  if (!builtins) {
    builtins = readdirSync(DEVICES_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readDeviceFile(resolve(DEVICES_DIR, f), `device file ${f}`));
  }
  return builtins;
}

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]/g, '');

/**
 * A device by built-in name or alias (case-insensitive: 'AIE-ML', 'VEK280', 'aie-mlv2', 'VEK385' ...), by JSON
 * file path (relative to `baseDir`), or a description object.
 */
export function loadDevice(spec: string | Record<string, unknown> | AieDevice, baseDir = process.cwd()): AieDevice {
  if (typeof spec === 'object') return validateDevice(spec, 'device');
  const want = norm(spec);
  for (const d of builtinDevices()) if (norm(d.name) === want || d.aliases.some((a) => norm(a) === want)) return d;
  const looksLikeFile = spec.endsWith('.json') || spec.includes('/') || spec.includes('\\');
  if (looksLikeFile) {
    const file = isAbsolute(spec) ? spec : resolve(baseDir, spec);
    if (!existsSync(file)) throw new FirmflowError('aie.device', `device file ${spec} does not exist (looked at ${file})`);
    return readDeviceFile(file, `device file ${spec}`);
  }
  const known = builtinDevices().map((d) => `${d.name} (${d.aliases.slice(0, 2).join(', ')})`).join('; ');
  throw new FirmflowError('aie.device', `unknown AIE device '${spec}'; built-in devices: ${known}; or give a device JSON file`);
}

export function tilesOf(d: AieDevice): number {
  return d.grid.columns * d.grid.rows;
}

/** Usable bytes of each data-memory bank (the reserved stack and heap come out of the last one). */
export function bankCapacities(d: AieDevice): number[] {
  const caps = new Array<number>(d.dataMemory.banks).fill(d.dataMemory.bankBytes);
  caps[caps.length - 1] -= d.dataMemory.reservedBytes;
  return caps;
}

export function operandPair(a: AieDataType, w: AieDataType): OperandPair {
  return `${a}x${w}` as OperandPair;
}

/** Bytes a stream port moves per AIE cycle. */
export function streamBytesPerCycle(d: AieDevice): number {
  return d.streamBitsPerCycle / 8;
}

/** Bytes one GMIO channel moves per AIE cycle (one stream word), and all GMIO channels together (DDR bound). */
export function gmioBytesPerCycle(d: AieDevice): { channel: number; ddr: number } {
  return { channel: streamBytesPerCycle(d), ddr: (d.gmio.ddrGBps * 1e9) / (d.clockMHz * 1e6) };
}

/** Bytes one PLIO moves per AIE cycle (PL width x PL clock, in AIE cycles). */
export function plioBytesPerCycle(d: AieDevice): number {
  return Math.min((d.plio.widthBits / 8) * (d.plio.plClockMHz / d.clockMHz), streamBytesPerCycle(d));
}
