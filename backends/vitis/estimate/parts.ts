/* The part table (backends/vitis/parts.json) and the lookup of a part number in it. */
import { readFileSync } from 'node:fs';
import { FirmflowError } from 'firmflow';
import type { FpgaPart } from './types.js';

let cache: FpgaPart[] | undefined;

/** parts.json lives in backends/vitis (also beside dist/backends/vitis/estimate when built: we look upwards). */
function load(): FpgaPart[] {
  if (cache) return cache;
  const candidates = ['../parts.json', '../../../../backends/vitis/parts.json'];
  for (const rel of candidates) {
    try {
      const j = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { parts: FpgaPart[] };
      cache = j.parts;
      return cache;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FirmflowError('vitis.parts', `backends/vitis/parts.json: ${(e as Error).message}`);
    }
  }
  throw new FirmflowError('vitis.parts', 'backends/vitis/parts.json (the FPGA part table) is missing from the installation');
}

/** Every part of the table. */
export function listParts(): FpgaPart[] {
  return load().map((p) => ({ ...p }));
}

/**
 * The table's entry for a part number: the device name is the longest table name the (lower-case) part number
 * starts with, so 'xcvu9p-flga2104-2L-e', 'xcvu9p' and 'XCVU9P-FLGA2104' all find xcvu9p. An unknown device is an
 * error listing the known ones.
 */
export function findPart(partNumber: string): FpgaPart {
  const pn = partNumber.trim().toLowerCase();
  const hit = load()
    .filter((p) => pn.startsWith(p.name))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!hit) {
    throw new FirmflowError(
      'vitis.part',
      `unknown FPGA part '${partNumber}': the estimate needs its resources; known devices: ${load().map((p) => p.name).join(', ')} (add it to backends/vitis/parts.json)`,
      { part: partNumber },
    );
  }
  return { ...hit };
}
