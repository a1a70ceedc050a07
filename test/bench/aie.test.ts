import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/api.js';
import { renderHtml } from '../../src/bench/html.js';
import { bench } from '../../src/bench/run.js';
import { sweep } from '../../src/bench/sweep.js';
import { formatBench } from '../../src/bench/text.js';
import { run } from '../../src/cli/main.js';
import { JET_TAGGER, qdqMlp } from '../../backends/aie/test/host-models.js';
import { HAVE_SHARED, manifest, readCase } from '../helpers/shared-models.js';
import { capture, chromium, CHROMIUM, expectValid } from './helpers.js';

/*
 * `firmflow bench` / report / sweep on the AIE backend: every reference model of ../shared/models the AIE lowering
 * accepts (the others are refused at conversion and skipped), and the int8 QDQ jet tagger 16-64-32-32-5. The host
 * functional model (g++) and the emulator agree bit for bit; the estimate is the AIE performance model through the
 * generic estimate section (latency, II, throughput, named resources).
 */
const tmp = mkdtempSync(join(tmpdir(), 'firmflow-bench-aie-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!HAVE_SHARED)('firmflow bench on AIE (../shared/models)', () => {
  for (const m of manifest()) {
    it(m.name, async (ctx) => {
      const c = readCase(m);
      let project;
      try {
        project = await convert(c.path, { backend: 'AIE', projectName: 'bench' } as never);
      } catch (e) {
        if ((e as { name?: string }).name === 'FirmflowError') ctx.skip();
        throw e;
      }
      const dir = join(tmp, m.name);
      await project.write(dir);
      // Emulator + host model once on the project object; the reopened folder (what `firmflow bench <dir>` does) then
      // reuses the cached build.
      const r = await bench({ project, outputDir: dir, referenceModel: c.path, inputs: c.inputs as never });
      expectValid(r);
      expect(r.model.backend).toBe('AIE');
      expect(r.settings.samples).toBe(16);
      expect(r.accuracy.summary.bitExact).toBe(true);
      for (const o of r.accuracy.outputs) {
        expect(o.bitExact!.mismatches).toBe(0);
        expect(o.emulator!.maxAbsError).toBeLessThanOrEqual(m.quantized ? m.tolerance.atol : 1e-3);
      }
      const e = r.estimates!;
      expect(e.source).toMatch(/AIE estimate/);
      expect(e.total.latencyCycles).toBeGreaterThan(0);
      expect(e.total.ii).toBeGreaterThan(0);
      expect(e.total.dsp).toBeNull();
      const tiles = e.resources!.find((x) => x.name === 'tiles')!;
      expect(tiles.used).toBeGreaterThan(0);
      expect(tiles.fraction).toBeCloseTo(tiles.used / tiles.available!, 12);
      expect(r.layers.every((l) => l.estimate?.resources?.['tiles'] !== undefined)).toBe(true);
      const sumTiles = r.layers.reduce((a, l) => a + (l.estimate?.resources?.['tiles'] ?? 0), 0);
      expect(sumTiles).toBe(tiles.used);
      expect(formatBench(r)).toMatch(/tiles \d+\/\d+/);
      const html = renderHtml(r);
      expect(html).toContain('id="resources-table"');
      expect(html).toContain('data-resource="tiles"');

      const again = await bench({ projectDir: dir, referenceModel: c.path, inputs: c.inputs as never });
      expectValid(again);
      expect(again.timings.compile?.cached).toBe(true);
      expect(again.accuracy.summary.bitExact).toBe(true);
      expect(again.estimates!.total).toEqual(e.total);

      await expect(sweep({ model: c.path, convert: { backend: 'AIE' }, reuse: [1, 2], precision: ['fixed<16,6>'], samples: 4, jobs: 0 }))
        .rejects.toThrow(/backend 'AIE' does not use the precision or the reuse factor/);
    }, 120_000);
  }
});

describe('firmflow bench on AIE: int8 QDQ jet tagger 16-64-32-32-5', () => {
  it('is bit-exact between the emulator and the host model, with the performance model as estimate', async () => {
    const model = join(tmp, 'jet_tagger_int8.onnx');
    writeFileSync(model, qdqMlp(JET_TAGGER));
    const r = await bench({ model, convert: { backend: 'AIE' }, samples: 200, outputDir: join(tmp, 'jet'), force: true });
    expectValid(r);
    expect(r.reference.executor).toBe('onnxruntime');
    expect(r.accuracy.summary.bitExact).toBe(true);
    expect(r.accuracy.summary.emulatorMaxAbsError).toBe(r.accuracy.summary.csimMaxAbsError);
    // QDQ int8 with power-of-two scales: the integer firmware reproduces onnxruntime's int8 arithmetic.
    expect(r.accuracy.summary.emulatorMaxAbsError).toBe(0);
    expect(r.layers.map((l) => l.op)).toEqual(['Dense', 'Dense', 'Dense', 'Dense']);
    const e = r.estimates!;
    expect(e.part).toBe('AIE-ML');
    expect(e.fits).toBe(true);
    expect(e.total.latencyNs).toBeCloseTo(e.total.latencyCycles! * e.clockPeriodNs!, 6);
    expect(e.total.samplesPerSecond).toBeGreaterThan(0);
    expect(e.resources!.map((x) => x.name)).toEqual(['tiles', 'memoryTiles', 'tileMemoryBytes', 'memoryTileBytes']);
    // Schema 1.1 only adds optional fields: a 1.0 consumer's report (without them) still validates.
    const v10 = JSON.parse(JSON.stringify(r));
    delete v10.estimates.resources;
    delete v10.estimates.bottleneck;
    for (const l of v10.layers) delete l.estimate?.resources;
    v10.schemaVersion = '1.0';
    expectValid(v10);
  }, 120_000);

  it('runs from the command line: bench (JSON and HTML), report on the written folder, sweep refuses the HLS grid', async () => {
    const model = join(tmp, 'jet_cli.onnx');
    writeFileSync(model, qdqMlp(JET_TAGGER));
    const dir = join(tmp, 'jet-cli'), json = join(tmp, 'jet-cli.json'), html = join(tmp, 'jet-cli.html');
    let c = capture();
    expect(await run(['node', 'firmflow', 'bench', model, '-b', 'AIE', '-n', '64', '--no-csim', '-o', dir, '--json', json, '--html', html], c.io), c.err()).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8'));
    expectValid(r);
    expect(r.timings.csim).toBeNull();
    expect(r.accuracy.summary.emulatorMaxAbsError).toBe(0);
    expect(c.out()).toMatch(/estimates \(AIE estimate model aie-perf-1, AIE-ML/);
    expect(readFileSync(html, 'utf8')).toContain('id="resources-table"');
    if (CHROMIUM) {
      // Rendered: one graph node per AIE layer with its cycles and tiles, the resource table, the estimate cards.
      const dom = await chromium(['--dump-dom'], html);
      expect(dom.match(/<g class="layer-node"/g)?.length).toBe(4);
      expect(dom).toMatch(/36 cyc · II 36 · tiles \d+/);
      expect(dom).toContain('data-resource="tiles"');
      expect(dom).toContain('est. tiles');
    }
    c = capture();
    expect(await run(['node', 'firmflow', 'report', dir], c.io), c.err()).toBe(0);
    expect(c.out()).toContain(`${r.estimates.total.latencyCycles}`);
    c = capture();
    expect(await run(['node', 'firmflow', 'sweep', model, '-b', 'AIE', '--reuse', '1,2', '--precision', 'fixed<16,6>', '-n', '4', '-j', '1'], c.io)).toBe(1);
    expect(c.err()).toMatch(/backend 'AIE' does not use the precision or the reuse factor/);
  }, 120_000);
});
