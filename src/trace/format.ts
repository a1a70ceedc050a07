import type { TraceLayerSummary, TraceReportLike } from './report.js';

/*
 * The trace as the fixed-width table `firmflow predict --trace` prints: a row per layer, then the sample count with
 * the backend's account of its bound, the first layer whose error its arithmetic does not explain, and the
 * overflows. Backends add columns of their own after 'op'.
 */

/** A column of the backend's own: its heading and its cell of a row (left-aligned). */
export interface TraceColumn<L> {
  head: string;
  cell(row: L): string;
}

export interface TraceTableOptions<L extends TraceLayerSummary> {
  /** Columns between 'op' and 'type'. */
  columns?: readonly TraceColumn<L>[];
  /** What follows "<n> samples" on the summary line: the reference used and how the bound is made. */
  legend: string;
  /** What explains an error, as the summary says it ('precision', 'arithmetic'). */
  explainedBy: string;
  /** A note on the first unexplained layer when it did not overflow (''); default: its float values exceed the type's range. */
  rangeNote?(row: L): string;
}

/** A number in 3 significant digits, exponent form when tiny or large; 'n/a' for NaN, 'inf' for an infinite bound. */
export function formatTraceNumber(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (v === Infinity) return 'inf';
  if (v === 0) return '0';
  return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
}

function exceedsRange(row: TraceLayerSummary): string {
  return row.floatRange[1] > row.typeRange[1] || row.floatRange[0] < row.typeRange[0] ? '; float values exceed the type\'s range' : '';
}

/** The table of a trace report. */
export function formatTraceTable<L extends TraceLayerSummary>(report: TraceReportLike<L>, options: TraceTableOptions<L>): string {
  const fmt = formatTraceNumber;
  const own = options.columns ?? [];
  const head = ['#', 'layer', 'op', ...own.map((c) => c.head), 'type', 'max|err|', 'mean|err|', 'bound', 'err/bound', 'overflows', ''];
  const body = report.layers.map((r) => [
    r.index < 0 ? 'in' : String(r.index), r.layer, r.op, ...own.map((c) => c.cell(r)), r.type,
    fmt(r.maxAbsError), fmt(r.meanAbsError), fmt(r.bound), fmt(r.ratio), r.overflows ? `${r.overflows} ${r.overflowKind}` : '0',
    r === report.firstUnexplained ? '<- first unexplained' : r.exceeds ? '!' : '',
  ]);
  // The numeric columns (errors to overflows) are right-aligned.
  const firstNumber = 4 + own.length, lastNumber = firstNumber + 4;
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= firstNumber && i <= lastNumber ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ''];
  lines.push(`${report.samples} sample${report.samples === 1 ? '' : 's'}${options.legend}`);
  const f = report.firstUnexplained;
  if (f) {
    const note = f.overflows ? `; ${f.overflows} value(s) ${f.overflowKind}` : (options.rangeNote ?? exceedsRange)(f);
    lines.push(`First layer whose error its ${options.explainedBy} does not explain: '${f.layer}' (${f.op}, ${f.type}): max |err| ${fmt(f.maxAbsError)} > bound ${fmt(f.bound)} on ${f.samplesExceeding} sample(s)${note}.`);
  } else lines.push(`Every layer's error is explained by its ${options.explainedBy}.`);
  if (report.overflowed.length) lines.push(`Overflows: ${report.overflowed.map((o) => `'${o.layer}' ${o.count} ${o.kind}`).join(', ')}.`);
  return lines.join('\n');
}
