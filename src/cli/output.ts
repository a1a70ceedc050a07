import { InvalidArgumentError } from 'commander';
import { renameSync, writeFileSync } from 'node:fs';
import { FirmflowError } from '../errors.js';

/** Terminal output helpers of the CLI: progress on a TTY, aligned tables, JSON on stdout or into a file. */

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (progress lines are shown only then). */
  isTTY: boolean;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  get isTTY() { return Boolean(process.stderr.isTTY); },
};

/** One status line on stderr, rewritten in place; silent when stderr is not a terminal. */
export class Progress {
  private shown = false;
  constructor(private readonly io: Io) {}

  step(message: string): void {
    if (!this.io.isTTY) return;
    const cols = (process.stderr.columns || 100) - 2;
    this.io.err(`\r\x1b[2K${`firmflow: ${message} ...`.slice(0, cols)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.io.err('\r\x1b[2K');
    this.shown = false;
  }
}

/** Columns two spaces apart; columns of numbers (below the header row) are right-aligned, header included. */
export function table(rows: (string | number)[][], indent = ''): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, String(c).length); });
  const body = rows.slice(1);
  const numeric = widths.map((_, i) => body.length > 0 && body.every((r) => typeof r[i] === 'number'));
  return rows
    .map((r) => indent + r.map((c, i) => (numeric[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n') + '\n';
}

/**
 * `--json [file]`, the same on every command: bare (or '-') prints JSON on stdout, a .json path writes it there (whole
 * or not at all). Only .json paths are taken, so `--json model.onnx` is refused instead of overwriting the model.
 */
export const JSON_FLAG = '--json [file]';
export const JSON_HELP = "machine-readable output: JSON on stdout, or written to <file>.json ('-': stdout)";
export function jsonTarget(v: string): string {
  if (v !== '-' && !/\.json$/i.test(v)) throw new InvalidArgumentError("expected a .json file to write, or '-' for stdout (a bare --json goes after the command's arguments).");
  return v;
}

/** Prints (or, with a file target from --json <file>, writes) a value as JSON. */
export function json(io: Io, value: unknown, target?: boolean | string): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (typeof target !== 'string' || target === '-') return io.out(text);
  try {
    writeFileSync(`${target}.tmp`, text);
    renameSync(`${target}.tmp`, target);
  } catch (e) {
    throw new FirmflowError('output.file', `cannot write ${target} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  io.err(`wrote ${target}\n`);
}
