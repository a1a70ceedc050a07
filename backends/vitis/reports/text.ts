/*
 * Text reports: the co-simulation report (`<prj>/solution1/sim/report/<top>_cosim.rpt`) and Vivado's
 * `report_utilization` tables (post-synthesis or post-implementation). Both are ASCII tables whose column layout
 * changed between versions (Vitis adds a Total Execution Time column; Vivado 2020+ a Prohibited column), so columns
 * are found by their header names, never by position.
 */
import { readFileSync } from 'node:fs';
import { FirmflowError } from 'firmflow';
import type { CosimReport, Resources, UtilizationReport } from '../estimate/types.js';
import { reportNumber } from './csynth.js';

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new FirmflowError('report.read', `${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}

const cells = (line: string): string[] => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
const na = (s: string | undefined): number | undefined => (s === undefined || /^(NA|N\/A|-|)$/i.test(s) ? undefined : reportNumber(s));

/** Parses the text of a co-simulation report. */
export function parseCosimReport(text: string, file: string): CosimReport {
  const rows: CosimReport['rows'] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!/^\s*\|\s*(VHDL|Verilog|SystemC|C\/RTL|RTL)\s*\|/i.test(line)) continue;
    const c = cells(line);
    if (c.length < 8) throw new FirmflowError('report.cosim', `${file}: co-simulation row '${line.trim()}' has ${c.length} columns, expected at least 8 (RTL, status, latency min/avg/max, interval min/avg/max)`, { file });
    rows.push({
      language: c[0],
      status: c[1],
      latency: { min: na(c[2]), avg: na(c[3]), max: na(c[4]) },
      interval: { min: na(c[5]), avg: na(c[6]), max: na(c[7]) },
      ...(na(c[8]) !== undefined ? { totalCycles: na(c[8]) } : {}),
    });
  }
  if (rows.length === 0) {
    throw new FirmflowError('report.cosim', `${file}: no co-simulation result rows (| VHDL | ... or | Verilog | ...) found: not a cosim report, or the run failed before writing it`, { file });
  }
  return { file, rows };
}

export function readCosimReport(file: string): CosimReport {
  return parseCosimReport(read(file, 'co-simulation report'), file);
}

/** Site types of `report_utilization` by resource, first match wins (UltraScale 'CLB', 7 series 'Slice'). */
const SITES: [keyof Resources, RegExp, number][] = [
  ['lut', /^(CLB|Slice) LUTs\*?$/i, 1],
  ['ff', /^(CLB|Slice) Registers\*?$/i, 1],
  // a block RAM tile is 36 Kb: two 18 Kb blocks
  ['bram18k', /^Block RAM Tile\*?$/i, 2],
  ['uram', /^URAM\*?$/i, 1],
  ['dsp', /^DSPs\*?$/i, 1],
];

/** Parses the text of a Vivado `report_utilization` report. */
export function parseUtilizationReport(text: string, file: string): UtilizationReport {
  const lines = text.split(/\r?\n/);
  const resources: Partial<Resources> = {};
  const available: Partial<Resources> = {};
  let header: string[] | undefined;
  const info = (key: string) => {
    const m = lines.map((l) => new RegExp(`^\\|\\s*${key}\\s*:\\s*(.*)$`, 'i').exec(l)).find(Boolean);
    return m?.[1].trim();
  };
  for (const line of lines) {
    if (!/^\s*\|/.test(line)) continue;
    const c = cells(line);
    if (/^Site Type$/i.test(c[0])) { header = c.map((h) => h.toLowerCase()); continue; }
    if (!header) continue;
    const used = header.indexOf('used'), avail = header.indexOf('available');
    if (used < 0) continue;
    for (const [key, re, scale] of SITES) {
      if (resources[key] !== undefined || !re.test(c[0])) continue;
      const u = na(c[used]);
      if (u === undefined) throw new FirmflowError('report.utilization', `${file}: '${c[0]}' has no used count ('${c[used] ?? ''}')`, { file });
      resources[key] = u * scale;
      const a = avail >= 0 ? na(c[avail]) : undefined;
      if (a !== undefined) available[key] = a * scale;
    }
  }
  if (Object.keys(resources).length === 0) {
    throw new FirmflowError('report.utilization', `${file}: no utilization table (Site Type | Used | ... with CLB/Slice LUTs, registers, block RAM or DSPs) found: not a Vivado report_utilization report`, { file });
  }
  const tool = info('Tool Version');
  const design = info('Design');
  const device = info('Device');
  return { file, ...(tool ? { tool } : {}), ...(design ? { design } : {}), ...(device ? { device } : {}), resources, available };
}

export function readUtilizationReport(file: string): UtilizationReport {
  return parseUtilizationReport(read(file, 'utilization report'), file);
}
