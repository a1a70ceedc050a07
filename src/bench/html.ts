import type { BenchReport, LayerReport } from './types.js';

/*
 * The bench report as one self-contained HTML file: inline CSS and SVG, no executable script, no external resource (it must
 * open from a mail attachment or an air-gapped machine). Sections: summary, the model graph (layered layout, one
 * box per layer with its precision, estimated cycles and resources, coloured by its trace), the accuracy histogram,
 * the per-layer error chart and table, estimates and notes. The report JSON is embedded for tools.
 */

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Compact number for tables and labels. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(digits - 1).replace('e+', 'e');
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return v.toPrecision(digits);
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v === 1 ? '100%' : `${(v * 100).toFixed(v > 0.99 ? 2 : 1)}%`);

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

// ------------------------------------------------------------------------------------------------------ graph

interface Placed { id: string; x: number; y: number; w: number; h: number; layer?: LayerReport; port?: string }

const NODE_W = 236, NODE_H = 84, PORT_H = 30, GAP_X = 28, GAP_Y = 34, PAD = 16;

/** Longest-path layering (each layer one row below its deepest input), top to bottom. */
export function layoutGraph(report: BenchReport): { nodes: Placed[]; edges: { from: Placed; to: Placed }[]; width: number; height: number } {
  const byName = new Map(report.layers.map((l) => [l.name, l]));
  const level = new Map<string, number>();
  for (const p of report.model.inputs) level.set(`input:${p.name}`, 0);
  for (const l of report.layers) {
    // Layers come in topological order, so every producer has its level already.
    const from = l.from.map((f) => level.get(f) ?? 0);
    level.set(l.name, (from.length ? Math.max(...from) : 0) + 1);
  }
  const outputLevel = Math.max(1, ...report.layers.map((l) => level.get(l.name)!)) + 1;
  const rows: string[][] = [];
  const add = (id: string, lv: number): void => { (rows[lv] ??= []).push(id); };
  for (const p of report.model.inputs) add(`input:${p.name}`, 0);
  for (const l of report.layers) add(l.name, level.get(l.name)!);
  for (const p of report.model.outputs) add(`output:${p.name}`, outputLevel);
  const widest = Math.max(...rows.filter(Boolean).map((r) => r.length));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const placed = new Map<string, Placed>();
  let y = PAD;
  for (const row of rows) {
    if (!row) continue;
    const isPort = row.every((id) => id.startsWith('input:') || id.startsWith('output:'));
    const h = isPort ? PORT_H : NODE_H;
    const rowW = row.length * NODE_W + (row.length - 1) * GAP_X;
    let x = (width - rowW) / 2;
    for (const id of row) {
      const layer = byName.get(id);
      const port = id.startsWith('input:') || id.startsWith('output:') ? id : undefined;
      placed.set(id, { id, x, y, w: NODE_W, h: layer ? NODE_H : PORT_H, layer, port });
      x += NODE_W + GAP_X;
    }
    y += h + GAP_Y;
  }
  const edges: { from: Placed; to: Placed }[] = [];
  for (const l of report.layers) for (const f of l.from) if (placed.has(f)) edges.push({ from: placed.get(f)!, to: placed.get(l.name)! });
  // Outputs hang below the layer that produces them: the last layer with no consumer, matched by position.
  const consumed = new Set(report.layers.flatMap((l) => l.from));
  const sinks = report.layers.filter((l) => !consumed.has(l.name));
  report.model.outputs.forEach((p, i) => {
    const sink = sinks[Math.min(i, sinks.length - 1)];
    if (sink) edges.push({ from: placed.get(sink.name)!, to: placed.get(`output:${p.name}`)! });
  });
  return { nodes: [...placed.values()], edges, width, height: y - GAP_Y + PAD };
}

function nodeColour(l: LayerReport): { fill: string; stroke: string } {
  if (l.trace?.exceeds) return { fill: '#fde8e8', stroke: '#c0392b' };
  if (l.trace && l.trace.overflows > 0) return { fill: '#fff4e0', stroke: '#d68910' };
  const op = l.op;
  if (/Dense|Conv|MatMul|Gemm/.test(op)) return { fill: '#e6f0fb', stroke: '#2e6eb5' };
  if (/Softmax|Sigmoid|Tanh|Relu|Elu|Selu|Softplus|Softsign|Clip|Activation/.test(op)) return { fill: '#eaf7ee', stroke: '#2f8f4e' };
  return { fill: '#f1f1f4', stroke: '#6b6b80' };
}

function graphSvg(report: BenchReport): string {
  const { nodes, edges, width, height } = layoutGraph(report);
  const parts: string[] = [];
  parts.push(`<svg id="graph" class="graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="model graph">`);
  parts.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#778"/></marker></defs>');
  for (const e of edges) {
    const x1 = e.from.x + e.from.w / 2, y1 = e.from.y + e.from.h, x2 = e.to.x + e.to.w / 2, y2 = e.to.y;
    const my = (y1 + y2) / 2;
    parts.push(`<path class="edge" d="M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2 - 2}" fill="none" stroke="#778" stroke-width="1.4" marker-end="url(#arrow)"/>`);
  }
  for (const n of nodes) {
    if (n.layer) {
      const l = n.layer;
      const c = nodeColour(l);
      const est = l.estimate;
      const named = est?.resources && est.dsp === null && est.lut === null ? Object.entries(est.resources) : null;
      const estLine = est
        ? `${fmt(est.latencyCycles)} cyc · II ${fmt(est.ii)} · ${named ? named.map(([k, v]) => `${k} ${fmt(v)}`).join(' · ') : `DSP ${fmt(est.dsp)} · LUT ${fmt(est.lut)}`}`
        : 'no estimate';
      const errLine = l.trace ? `max|err| ${fmt(l.trace.maxAbsError)}${l.trace.exceeds ? ' ▲ unexplained' : ''}${l.trace.overflows ? ` · ${l.trace.overflows} ${l.trace.overflowKind ?? 'overflowed'}` : ''}` : '';
      parts.push(`<g class="layer-node" data-layer="${esc(l.name)}" data-op="${esc(l.op)}" transform="translate(${n.x},${n.y})">`);
      parts.push(`<title>${esc(`${l.name} (${l.op}${l.kernel ? `, ${l.kernel}` : ''})\n${l.precision ?? ''}\n${estLine}\n${errLine}`)}</title>`);
      parts.push(`<rect width="${n.w}" height="${n.h}" rx="7" fill="${c.fill}" stroke="${c.stroke}" stroke-width="${l.trace?.exceeds ? 2.5 : 1.3}"/>`);
      parts.push(`<text x="10" y="18" class="n-title">${esc(truncate(l.name, 30))}</text>`);
      parts.push(`<text x="${n.w - 10}" y="18" class="n-op" text-anchor="end">${esc(truncate(l.op, 12))}</text>`);
      parts.push(`<text x="10" y="36" class="n-prec">${esc(truncate(l.precision ?? 'no precision', 36))}</text>`);
      parts.push(`<text x="10" y="54" class="n-est">${esc(truncate(estLine, 40))}</text>`);
      if (errLine) parts.push(`<text x="10" y="72" class="n-err${l.trace?.exceeds ? ' bad' : ''}">${esc(truncate(errLine, 40))}</text>`);
      parts.push('</g>');
    } else {
      const isIn = n.port!.startsWith('input:');
      const name = n.port!.slice(isIn ? 6 : 7);
      const p = (isIn ? report.model.inputs : report.model.outputs).find((q) => q.name === name);
      const label = `${isIn ? 'in' : 'out'} ${name} [${p?.shape.join('×') ?? ''}]${p?.precision ? ` ${p.precision}` : ''}`;
      parts.push(`<g class="port-node" data-port="${esc(n.port!)}" transform="translate(${n.x},${n.y})"><rect width="${n.w}" height="${n.h}" rx="15" fill="#fff" stroke="#99a" stroke-dasharray="4 3"/><text x="${n.w / 2}" y="19" text-anchor="middle" class="n-port">${esc(truncate(label, 38))}</text></g>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

// ------------------------------------------------------------------------------------------------------ charts

function histogramSvg(report: BenchReport): string {
  const h = report.accuracy.histogram;
  if (!h) return '<p class="muted" id="histogram-missing">No histogram: the reference or the firmware executors did not run.</p>';
  const W = 560, H = 240, L = 56, R = 14, T = 16, B = 40;
  const max = Math.max(1, ...h.counts);
  const bw = (W - L - R) / h.counts.length;
  const parts = [`<svg id="histogram" class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="error histogram">`];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#556"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#556"/>`);
  h.counts.forEach((c, i) => {
    const bh = ((H - T - B) * c) / max;
    parts.push(`<rect class="hist-bar" data-count="${c}" x="${(L + i * bw + 0.5).toFixed(1)}" y="${(H - B - bh).toFixed(1)}" width="${Math.max(bw - 1, 0.5).toFixed(1)}" height="${bh.toFixed(1)}" fill="#2e6eb5"><title>${esc(`[${fmt(h.edges[i])}, ${fmt(h.edges[i + 1])}): ${c}`)}</title></rect>`);
  });
  const lo = h.edges[0], hi = h.edges[h.edges.length - 1];
  for (const [v, x] of [[lo, L], [0, (L + W - R) / 2], [hi, W - R]] as const) {
    parts.push(`<text x="${x}" y="${H - B + 16}" text-anchor="middle" class="axis">${esc(fmt(v))}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" class="axis">${esc(`${h.source === 'emulator' ? 'emulator' : 'C simulation'} − reference (all output values)`)}</text>`);
  parts.push(`<text x="${L - 6}" y="${T + 8}" text-anchor="end" class="axis">${fmt(max)}</text><text x="${L - 6}" y="${H - B}" text-anchor="end" class="axis">0</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function traceChartSvg(report: BenchReport): string {
  const rows = report.layers.filter((l) => l.trace && l.trace.maxAbsError !== null);
  if (!rows.length) return '<p class="muted" id="trace-chart-missing">No per-layer trace: the backend has no emulator trace.</p>';
  const vals = rows.flatMap((l) => [l.trace!.maxAbsError!, l.trace!.bound ?? 0]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(vals.length ? Math.min(...vals) : 1e-6));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(vals.length ? Math.max(...vals) : 1)));
  const W = 560, L = 150, R = 16, T = 10, rowH = 20, B = 34;
  const H = T + rows.length * rowH + B;
  const xOf = (v: number): number => L + ((W - L - R) * (Math.log10(v) - lo)) / (hi - lo);
  const parts = [`<svg id="trace-chart" class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="per-layer error">`];
  for (let d = lo; d <= hi; d++) {
    const x = xOf(10 ** d);
    parts.push(`<line x1="${x}" y1="${T}" x2="${x}" y2="${H - B}" stroke="#e2e2ea"/><text x="${x}" y="${H - B + 14}" text-anchor="middle" class="axis">1e${d}</text>`);
  }
  rows.forEach((l, i) => {
    const t = l.trace!;
    const y = T + i * rowH;
    const v = t.maxAbsError!;
    const w = v > 0 ? Math.max(xOf(Math.max(v, 10 ** lo)) - L, 1) : 0;
    const colour = t.exceeds ? '#c0392b' : t.overflows ? '#d68910' : '#2f8f4e';
    parts.push(`<text x="${L - 6}" y="${y + 14}" text-anchor="end" class="axis">${esc(truncate(l.name, 22))}</text>`);
    parts.push(`<rect class="trace-bar" data-layer="${esc(l.name)}" x="${L}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${colour}"><title>${esc(`${l.name}: max|err| ${fmt(v)}, bound ${fmt(t.bound)}`)}</title></rect>`);
    if (t.bound && t.bound > 0 && Number.isFinite(t.bound)) {
      const bx = xOf(Math.max(t.bound, 10 ** lo));
      parts.push(`<line class="trace-bound" x1="${bx}" y1="${y + 1}" x2="${bx}" y2="${y + rowH - 1}" stroke="#222" stroke-width="2"/>`);
    }
  });
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle" class="axis">max |error| vs the float model (log scale); tick: bound from precision</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

// ------------------------------------------------------------------------------------------------------ tables

function layerTable(report: BenchReport): string {
  const head = ['#', 'layer', 'op', 'precision', 'max|err|', 'mean|err|', 'bound', 'err/bound', 'overflows', 'cycles', 'II', 'DSP', 'LUT', 'FF', 'BRAM18K'];
  const rows = report.layers.map((l) => {
    const t = l.trace, e = l.estimate;
    const cls = t?.exceeds ? ' class="layer-row bad"' : ' class="layer-row"';
    const cells = [
      String(l.index), esc(l.name), esc(l.op + (l.kernel ? ` (${l.kernel})` : '')), `<code>${esc(l.precision ?? '–')}</code>`,
      fmt(t?.maxAbsError), fmt(t?.meanAbsError), fmt(t?.bound), fmt(t?.ratio),
      t ? (t.overflows ? `${t.overflows} ${esc(t.overflowKind ?? '')}` : '0') : '–',
      fmt(e?.latencyCycles), fmt(e?.ii), fmt(e?.dsp), fmt(e?.lut), fmt(e?.ff), fmt(e?.bram18k),
    ];
    return `<tr${cls} data-layer="${esc(l.name)}">${cells.map((c, i) => `<td${i >= 4 && i !== 8 ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  return `<table id="layer-table"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function summaryCards(r: BenchReport): string {
  const s = r.accuracy.summary;
  const e = r.estimates;
  const cards: [string, string, string?][] = [
    ['emulator max |err|', fmt(s.emulatorMaxAbsError)],
    ['C sim max |err|', fmt(s.csimMaxAbsError)],
    ['mean |err|', fmt(s.meanAbsError)],
    ['argmax agreement', pct(s.argmaxAgreement)],
    ['emulator = C sim', s.bitExact === null ? '–' : s.bitExact ? 'bit-exact' : 'DIFFER', s.bitExact === false ? 'bad' : s.bitExact ? 'good' : undefined],
  ];
  if (e) {
    cards.push(['est. latency', `${fmt(e.total.latencyCycles)} cyc / ${fmt(e.total.latencyNs)} ns`]);
    cards.push(['est. II', `${fmt(e.total.ii)} cyc`]);
    if (e.total.dsp === null && e.total.lut === null && e.resources?.length) {
      cards.push(['est. throughput', `${fmt(e.total.samplesPerSecond)} samples/s`]);
      for (const x of e.resources) cards.push([`est. ${x.name}`, `${fmt(x.used)}${x.available !== null ? ` / ${fmt(x.available)}` : ''}`]);
    } else {
      cards.push(['est. DSP / LUT', `${fmt(e.total.dsp)} / ${fmt(e.total.lut)}`]);
      cards.push(['est. FF / BRAM18K', `${fmt(e.total.ff)} / ${fmt(e.total.bram18k)}`]);
    }
  }
  if (r.timings.csim) cards.push(['C sim', `${fmt(Math.round(r.timings.csim.samplesPerSecond))} samples/s`]);
  if (r.timings.emulator) cards.push(['emulator', `${fmt(Math.round(r.timings.emulator.samplesPerSecond))} samples/s`]);
  return `<div class="cards" id="summary">${cards.map(([k, v, c]) => `<div class="card${c ? ` ${c}` : ''}"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</div>`;
}

function outputsTable(r: BenchReport): string {
  const rows = r.accuracy.outputs.map((o) => `<tr><td>${esc(o.name)}</td><td>[${o.shape.join('×')}]</td><td class="num">${fmt(o.csim?.maxAbsError)}</td><td class="num">${fmt(o.emulator?.maxAbsError)}</td><td class="num">${fmt((o.emulator ?? o.csim)?.meanAbsError)}</td><td class="num">${fmt((o.emulator ?? o.csim)?.rmsError)}</td><td class="num">${o.classifier ? pct((o.emulator ?? o.csim)?.argmaxAgreement) : 'n/a'}</td><td>${o.bitExact ? (o.bitExact.equal ? 'bit-exact' : `${o.bitExact.mismatches} differ (max ${fmt(o.bitExact.maxAbsDifference)})`) : '–'}</td></tr>`);
  return `<table id="outputs-table"><thead><tr><th>output</th><th>shape</th><th>C sim max|err|</th><th>emulator max|err|</th><th>mean|err|</th><th>rms</th><th>argmax agreement</th><th>emulator vs C sim</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function estimatesSection(r: BenchReport): string {
  const e = r.estimates;
  if (!e) return '<p class="muted">No estimates: the backend does not estimate latency and resources.</p>';
  const u = e.utilization;
  const util = u ? `<p>Part <b>${esc(e.part ?? e.partNumber ?? '?')}</b>${e.partNumber && e.partNumber !== e.part ? ` (${esc(e.partNumber)})` : ''} at ${fmt(e.clockPeriodNs)} ns: DSP ${pct(u.dsp)}, LUT ${pct(u.lut)}, FF ${pct(u.ff)}, BRAM ${pct(u.bram18k)}, URAM ${pct(u.uram)}${e.fits === false ? ' — <b class="badtext">does not fit</b>' : ''}.</p>` : '';
  const notes = e.notes.length ? `<details><summary>Assumptions of the estimate (${e.notes.length})</summary><ul>${e.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></details>` : '';
  const res = e.resources?.length
    ? `<table id="resources-table"><thead><tr><th>resource</th><th>used</th><th>available</th><th>fraction</th></tr></thead><tbody>${e.resources.map((x) => `<tr data-resource="${esc(x.name)}"><td>${esc(x.name)}</td><td class="num">${fmt(x.used)}</td><td class="num">${fmt(x.available)}</td><td class="num">${pct(x.fraction)}</td></tr>`).join('')}</tbody></table>`
    : '';
  const target = !u && e.part ? `<p>Target <b>${esc(e.part)}</b>${e.clockPeriodNs ? ` at ${fmt(e.clockPeriodNs)} ns` : ''}${e.fits === false ? ' — <b class="badtext">does not fit</b>' : ''}.</p>` : '';
  const bottleneck = e.bottleneck ? `<p>Bottleneck: ${esc(e.bottleneck)}.</p>` : '';
  return `<p>${esc(e.source)}: ${fmt(e.total.latencyCycles)} cycles (${fmt(e.total.latencyNs)} ns), II ${fmt(e.total.ii)}, ${fmt(e.total.samplesPerSecond)} samples/s.</p>${util}${target}${bottleneck}${res}${notes}`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d2b;margin:0;background:#f7f7fa}
header{background:#1f2a44;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c9d1e6;font-size:13px}
main{padding:16px 24px;display:grid;grid-template-columns:minmax(280px,auto) 1fr;gap:18px;align-items:start}
section{background:#fff;border:1px solid #dfe0ea;border-radius:8px;padding:12px 16px;overflow:auto}
section h2{font-size:15px;margin:0 0 8px}.full{grid-column:1/-1}.col{display:flex;flex-direction:column;gap:18px}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid #dfe0ea;border-radius:6px;padding:6px 10px;min-width:112px;background:#fbfbfd}
.card .k{font-size:11px;color:#667;text-transform:uppercase;letter-spacing:.03em}.card .v{font-size:16px;font-weight:600}
.card.good .v{color:#1e7b3c}.card.bad .v,.badtext{color:#b0281a}
table{border-collapse:collapse;font-size:12.5px;width:100%}th,td{padding:3px 7px;border-bottom:1px solid #ececf2;text-align:left;white-space:nowrap}
th{background:#f1f2f7;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}tr.bad td{background:#fdeeee}
code{font-size:12px}.muted{color:#778}svg text{font-family:system-ui,sans-serif}
.n-title{font-size:12.5px;font-weight:600;fill:#1d1d2b}.n-op{font-size:11px;fill:#556}.n-prec{font-size:11px;fill:#234;font-family:ui-monospace,monospace}
.n-est{font-size:10.5px;fill:#445}.n-err{font-size:10.5px;fill:#2f6f3e}.n-err.bad{fill:#b0281a;font-weight:600}.n-port{font-size:11px;fill:#445}
.axis{font-size:10.5px;fill:#445}ul{margin:4px 0;padding-left:20px}
`;

/** The HTML report. */
export function renderHtml(r: BenchReport): string {
  const title = `${r.model.name} on ${r.model.backend}`;
  const ref = r.reference.executor === 'onnxruntime' ? `onnxruntime ${r.reference.version ?? ''}`.trim() : r.reference.executor === 'interpreter' ? 'firmflow float interpreter' : 'none';
  const inputs = r.settings.inputSource === 'file' ? 'inputs from a file' : `random inputs (seed ${r.settings.seed}; ${r.settings.ranges.map((x) => `${x.input} in [${fmt(x.min, 7)}, ${fmt(x.max, 7)}]`).join(', ')})`;
  const opts = Object.entries(r.settings.options).map(([k, v]) => `${k} ${v}`).join(', ');
  const data = JSON.stringify(r).replace(/</g, '\\u003c');
  const warnings = r.warnings.length ? `<section class="full" id="warnings"><h2>Warnings (${r.warnings.length})</h2><ul>${r.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : '';
  const trace = r.trace
    ? `<p>${r.trace.firstUnexplained ? `First layer whose error its precision does not explain: <b class="badtext">${esc(r.trace.firstUnexplained)}</b>.` : 'Every layer\'s error is explained by its precision.'}${r.trace.overflowed.length ? ` Overflows: ${r.trace.overflowed.map((o) => `${esc(o.layer)} ${o.count} ${esc(o.kind)}`).join(', ')}.` : ''}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="firmflow ${esc(r.tool.version)}">
<title>firmflow bench: ${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>firmflow bench — ${esc(title)}</h1>
<p>${esc(r.model.path ?? r.model.projectDir ?? '')} · ${r.settings.samples} samples, ${esc(inputs)} · reference: ${esc(ref)} · ${esc(opts)} · ${esc(r.createdAt)}</p></header>
<main>
<section class="full"><h2>Summary</h2>${summaryCards(r)}${r.reference.note ? `<p class="muted">${esc(r.reference.note)}</p>` : ''}</section>
<section id="graph-section"><h2>Model graph (${r.layers.length} layers)</h2>${graphSvg(r)}</section>
<div class="col">
<section id="histogram-section"><h2>Accuracy: error histogram</h2>${histogramSvg(r)}${outputsTable(r)}</section>
<section id="trace-section"><h2>Per-layer error (emulator trace)</h2>${traceChartSvg(r)}${trace}</section>
<section id="estimates-section"><h2>Estimates</h2>${estimatesSection(r)}</section>
</div>
<section class="full" id="layers-section"><h2>Layers</h2>${layerTable(r)}</section>
${warnings}
</main>
<script type="application/json" id="bench-data">${data}</script>
</body>
</html>
`;
}
