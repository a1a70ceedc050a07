import { FirmflowError } from 'firmflow';

/*
 * Option values that the writer prints into Tcl (project.tcl). Tcl substitutes `$`, `[`, `\` and ends a quoted
 * word at `"` even inside double quotes, so a value reaches the file only when it matches a strict pattern; the
 * option check (options.ts) and the writer use the same test, so no caller can skip it.
 */

/** AMD part numbers: letters, digits, `-`, `_`, `.` (xcvu13p-flga2577-2-e, xck26-sfvc784-2LV-c). */
const PART = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Why `v` is not a part number (a phrase completing "option 'part' ..."), or undefined. */
export function partProblem(v: unknown): string | undefined {
  return typeof v === 'string' && PART.test(v)
    ? undefined
    : `must be an FPGA part number (letters, digits, '-', '_', '.'; at most 64), got ${JSON.stringify(v)}`;
}

/** A clock period as Tcl reads it: a finite positive number. */
export function clockProblem(v: unknown): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : `must be a positive number of nanoseconds, got ${JSON.stringify(v)}`;
}

/** The values of project.tcl, refused (never escaped into something else) when they do not fit. */
export function tclTarget(part: unknown, clockPeriod: unknown): { part: string; clockPeriod: number } {
  const p = partProblem(part) ?? clockProblem(clockPeriod);
  if (p) throw new FirmflowError('options.value', `option '${partProblem(part) ? 'part' : 'clockPeriod'}' ${p}`);
  return { part: part as string, clockPeriod: clockPeriod as number };
}
