/*
 * A runtime operand of an Add that broadcasts (numpy / ONNX rules) against the other, full-shape operand, seen as the
 * row-parallel kernels see tensors: rows of the output's last-axis length C, all leading axes flattened. The
 * patterns the AIE Add implements are those where output row r reads one row of the operand b,
 *   row(r) = floor(r / group) mod period,
 * and that row holds C values (b broadcasts over rows) or one value added to the whole output row (b's last axis is
 * 1). In axis terms b's leading axes are: broadcast (1) axes, then kept axes (equal to the output's), then broadcast
 * axes again; e.g. [1, C] and [N, 1, C] (group 3) of an [N, 3, C] output, [N, 3, 1] (one value per row), [1, 3, C]
 * (period 3, repeated over N). A broadcast axis between kept axes ([N, 1, 5, C] of [N, 2, 5, C]) is not one of them.
 * quantize.ts refuses the rest by these rules, the writer and the memory plan take the kernels' windows from here.
 */
import { sizeOf } from 'firmflow';

export interface RowBroadcast {
  /** Output rows (leading axes flattened) and row length C. */
  rows: number;
  cols: number;
  /** Consecutive output rows that read the same row of b. */
  group: number;
  /** Rows of b (the kept axes); b repeats after them when leading axes broadcast. */
  period: number;
  /** Leading broadcast repetitions of b (1: b's rows cover the output once). */
  repeat: number;
  /** Values per row of b: C, or 1 (b's last axis broadcasts along the row). */
  bCols: number;
}

/** How `bShape` broadcasts to `outShape` in rows, or why the AIE Add does not implement it. */
export function rowBroadcast(outShape: number[], bShape: number[]): RowBroadcast | string {
  const r = outShape.length;
  if (bShape.length > r) return `has shape ${JSON.stringify(bShape)}, of higher rank than the output ${JSON.stringify(outShape)}`;
  const bs = [...new Array<number>(r - bShape.length).fill(1), ...bShape];
  for (let i = 0; i < r; i++) {
    if (bs[i] !== 1 && bs[i] !== outShape[i]) return `of shape ${JSON.stringify(bShape)} does not broadcast to the output ${JSON.stringify(outShape)}`;
  }
  const cols = outShape[r - 1] ?? 1;
  const bCols = bs[r - 1] ?? 1;
  // Leading axes of more than one element: kept (b has them) or broadcast (b has 1).
  const lead = outShape.slice(0, -1).map((d, i) => ({ d, kept: bs[i] === d })).filter((x) => x.d !== 1);
  let i = 0;
  let repeat = 1, period = 1, group = 1;
  for (; i < lead.length && !lead[i].kept; i++) repeat *= lead[i].d;
  for (; i < lead.length && lead[i].kept; i++) period *= lead[i].d;
  for (; i < lead.length && !lead[i].kept; i++) group *= lead[i].d;
  if (i < lead.length) {
    return `of shape ${JSON.stringify(bShape)} broadcasts to ${JSON.stringify(outShape)} along a leading axis between axes it keeps; the AIE Add broadcasts a runtime operand over the outer leading axes, the inner leading axes and the last axis only (its rows repeat, or each serves consecutive output rows)`;
  }
  return { rows: sizeOf(outShape.slice(0, -1)), cols, group, period, repeat, bCols };
}

/**
 * The rows of b kernel c of a row split (output rows [c*tileM, (c+1)*tileM), padding rows of an uneven split
 * included) reads: `rows` rows from row starts[c] of b, the same count for every kernel. Without leading
 * repetitions a kernel reads only the rows its output rows use; with them, all of b (its rows wrap).
 */
export function broadcastWindows(b: RowBroadcast, tileM: number, casNum: number): { rows: number; starts: number[]; whole: boolean } {
  if (b.repeat > 1) return { rows: b.period, starts: new Array<number>(casNum).fill(0), whole: true };
  const starts: number[] = [];
  let rows = 1;
  for (let c = 0; c < casNum; c++) {
    const first = Math.floor((c * tileM) / b.group);
    const last = Math.floor((c * tileM + tileM - 1) / b.group);
    starts.push(first);
    rows = Math.max(rows, last - first + 1);
  }
  return { rows, starts, whole: rows === b.period && starts.every((s) => s === 0) };
}
