import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/bench/html.js';
import { bench } from '../../src/bench/run.js';
import type { BenchReport } from '../../src/bench/types.js';
import { REPO } from '../fixtures/project.js';
import { buildProject } from '../vitis/helpers.js';
import { CHROMIUM, chromium, expectValid } from './helpers.js';

/*
 * The self-contained HTML report of the jet tagger, rendered by headless Chromium: the DOM it builds has one graph
 * node per layer, one table row per layer, the histogram bars and one trace bar per layer; the page loads nothing.
 */

const JET = join(REPO, 'models/jet_tagger.onnx');
if (!CHROMIUM) console.warn('[firmflow tests] chromium is not installed (apt-get install chromium): the HTML rendering test is skipped.');

let report: BenchReport;
let html: string;
let file: string;

beforeAll(async () => {
  const b = await buildProject(JET, { projectName: 'bench' });
  report = await bench({ project: b.project, outputDir: b.dir, referenceModel: JET, samples: 200, range: [-4, 4] });
  html = renderHtml(report);
  file = join(mkdtempSync(join(tmpdir(), 'firmflow-html-')), 'report.html');
  writeFileSync(file, html);
});

const count = (s: string, re: RegExp): number => (s.match(re) ?? []).length;

describe('HTML report', () => {
  it('is self-contained: no external resource, no executable script, the report JSON embedded', () => {
    expectValid(report);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|\bsrc=|@import|url\(\s*['"]?(https?:|\/\/)/i);
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
    const embedded = /<script type="application\/json" id="bench-data">([\s\S]*?)<\/script>/.exec(html)![1];
    expect(JSON.parse(embedded)).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('escapes names from the model', () => {
    const evil = JSON.parse(JSON.stringify(report)) as BenchReport;
    evil.layers[0].name = '<script>alert(1)</script>';
    evil.model.name = 'a&b<i>';
    const h = renderHtml(evil);
    expect(h).not.toContain('<script>alert(1)</script>');
    expect(h).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(h).not.toContain('a&b<i>');
  });

  it.skipIf(!CHROMIUM)('renders in headless Chromium with the graph, the per-layer table and the charts', async () => {
    const dom = await chromium(['--dump-dom'], file);
    const layers = report.layers.length;
    expect(layers).toBe(8);
    // The graph: one node per layer (precision and estimate lines inside), one port per input and output,
    // an edge per connection (7 between layers, input -> first, last -> output).
    expect(count(dom, /<g class="layer-node"/g)).toBe(layers);
    expect(count(dom, /<g class="port-node"/g)).toBe(2);
    expect(count(dom, /<path class="edge"/g)).toBe(layers + 1);
    expect(count(dom, /class="n-prec">fixed&lt;16,6,RND_CONV,SAT&gt;</g)).toBe(7);
    expect(count(dom, /class="n-prec">ufixed&lt;16,0,RND_CONV,SAT&gt;</g)).toBe(1);
    // The per-layer table and trace chart: one row / bar per layer, in firmware order.
    expect(count(dom, /<tr class="layer-row"/g)).toBe(layers);
    expect(count(dom, /<rect class="trace-bar"/g)).toBe(layers);
    const rowOrder = [...dom.matchAll(/<tr class="layer-row[^"]*" data-layer="([^"]+)"/g)].map((m) => m[1]);
    expect(rowOrder).toEqual(report.layers.map((l) => l.name));
    // The histogram: 40 bins whose counts add up to every output value.
    const bars = [...dom.matchAll(/<rect class="hist-bar" data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(bars).toHaveLength(40);
    expect(bars.reduce((a, b) => a + b, 0)).toBe(200 * 5);
    expect(dom).toContain('bit-exact');
  });

  it.skipIf(!CHROMIUM)('takes a screenshot', async () => {
    const png = join(tmpdir(), `firmflow-report-${process.pid}.png`);
    await chromium(['--window-size=1400,1000', `--screenshot=${png}`], file);
    const buf = readFileSync(png);
    expect(buf.subarray(1, 4).toString()).toBe('PNG');
    expect(buf.readUInt32BE(16)).toBe(1400);
    expect(statSync(png).size).toBeGreaterThan(20_000);
  });
});
