import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convert } from '../../src/api.js';
import type { FirmflowError } from '../../src/errors.js';
import { renderHtml } from '../../src/bench/html.js';
import { bench } from '../../src/bench/run.js';
import { sweep } from '../../src/bench/sweep.js';
import { formatBench } from '../../src/bench/text.js';
import { run } from '../../src/cli/main.js';
import { JET_TAGGER, qdqMlp } from '../../backends/aie/test/host-models.js';
import { HAVE_SHARED, manifest, readCase } from '../helpers/shared-models.js';
import { capture, chromium, CHROMIUM, expectValid } from './helpers.js';

/*
 * `firmflow bench` / report / sweep on the AIE backend over every reference model of ../shared/models, each with its
 * expected outcome in EXPECTED (a model missing from the table, or behaving otherwise, fails), and the int8 QDQ jet
 * tagger 16-64-32-32-5. aie.mode is the default 'auto': integer kernels for a model with quantizers, bf16 otherwise.
 *
 * - 'int': power-of-two QDQ, bit-exact against onnxruntime (the integer kernels reproduce its int8 arithmetic); a
 *   model with a float output (no quantizer) writes it as exact int32 codes, within `maxError` of the float32
 *   reference (its own rounding) and the manifest's tolerance.
 * - 'bf16': the host model (g++) equals the emulator bit for bit; the emulator is within BF16_TOL of the reference
 *   outputs and the per-layer trace explains every layer (sound bf16 bounds); classifiers keep the reference class.
 *   BF16_TOL: bf16 keeps 8 significant bits (unit roundoff u = 2^-8); a Dense layer rounds its input, its weights and
 *   its output to bf16 (3u relative to the size of the products' sum) and accumulates K products in fp32
 *   (K 2^-24), so L layers are within ((3L + 1) u + sum_l K_l 2^-24) max|y_ref| (+1 u: the graph input's rounding).
 *   A model without Dense layers states its own bound as `tolU` (units of u max|y_ref|, derived at its entry).
 *   A model whose output is a final Sigmoid (`sigmoid`, its Dense bound taken on the Sigmoid's input z, in units of
 *   max|z| with z = logit(y_ref) recovered from the reference): the Sigmoid is 1/4-Lipschitz and its table gives
 *   bf16(sigmoid) of its bf16 input exactly (u |y|), so its bound is dense(max|z|) / 4 + u max|y_ref| (the Dense
 *   formula in units of max|y_ref| would not be sound: sigmoid outputs near 1 come from |z| up to ~9 here).
 *   Measured maxima are listed in `measured` (a regression that loosens the arithmetic shows up long before the
 *   tolerance). Softmax outputs are in [0, 1], so their scale is max|y_ref| <= 1.
 * - 'refused': conversion throws FirmflowError 'aie.unsupported' (before anything is written) naming the node and op.
 *
 * Runtime: g++ host builds (~5-20 s each on 2 cores, cached by content under ~/.cache/firmflow) are done for the int
 * model and five bf16 models (three_layer_keras: batch 1 with the bf16 Softmax kernel; jet_tagger_mlp: symbolic batch,
 * 8 rows per iteration; add_broadcast: the Add of a broadcast runtime operand; two_layer_keras and mlp_bn: the bf16
 * Sigmoid table lookup); the other bf16 models (three_layer_pytorch: the same network as three_layer_keras;
 * gemm_transB: one Dense) run through the emulator only, which those builds prove bit-exact with the host model.
 */
const tmp = mkdtempSync(join(tmpdir(), 'firmflow-bench-aie-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const U_BF16 = 2 ** -8;

type Expected =
  | { outcome: 'int'; maxError?: number; why?: string }
  | { outcome: 'bf16'; dense: number[]; sigmoid?: boolean; classifier: boolean; csim: boolean; measured: number; tolU?: number; options?: Record<string, unknown>; why?: string }
  | { outcome: 'refused'; nodes: number; match: RegExp[]; why: string };

/** Not a Conv: the AIE op list has no convolution, pooling, Selu or BatchNorm outside a Dense. */
const EXPECTED: Record<string, Expected> = {
  // Dense -> ReLU -> Dense -> Sigmoid (bf16 table lookup, exact bf16(sigmoid) of its bf16 input): see `sigmoid` above.
  two_layer_keras: { outcome: 'bf16', dense: [10, 32], sigmoid: true, classifier: false, csim: true, measured: 0.0045 },
  three_layer_keras: { outcome: 'bf16', dense: [16, 64, 32, 32], classifier: true, csim: true, measured: 0.0055 },
  three_layer_pytorch: {
    outcome: 'bf16', dense: [16, 64, 32, 32], classifier: true, csim: false, measured: 0.00072, options: { inputShapes: { 0: ['N', 16] } },
    why: "the declared batch is the literal 789444 (rows independent): treated as symbolic with inputShapes; with it as declared the first Dense's rows do not fit a bank (refused naming 'Gemm_0', see below)",
  },
  conv1d_small_keras: { outcome: 'refused', nodes: 3, match: [/node 'Conv1D__' \(Conv\): op Conv is not supported/, /node 'Conv1D__2' \(Conv\)/], why: 'Conv is not in the AIE op list' },
  conv2d_small_keras: { outcome: 'refused', nodes: 1, match: [/node 'Conv2D__' \(Conv\): op Conv is not supported/], why: 'Conv is not in the AIE op list' },
  conv2d_small_mp_keras: {
    outcome: 'refused', nodes: 7, match: [/node 'Conv2D_1' \(Conv\): op Conv/, /node 'Selu' \(Selu\): op Selu/, /\(MaxPool\): op MaxPool/, /node 'BatchNormalization_1' \(ScaleShift\)/],
    why: 'Conv, Selu, MaxPool and a BatchNorm after a Conv (ScaleShift) are not in the AIE op list',
  },
  // Its 2-bit (+-1) tensors widen to int8 codes; BipolarQuant itself (a sign function) has no AIE kernel.
  bnn_model_fc_1layer: {
    outcome: 'refused', nodes: 3, match: [/\(BipolarQuant\): op BipolarQuant is not supported/, /node '\/linear\/Gemm' \(Dense\): output '\/linear\/Gemm_output_0' has no quantizer/],
    why: 'binarized: BipolarQuant is not an AIE op, and the Gemm between the two has a float output',
  },
  jet_tagger_mlp: { outcome: 'bf16', dense: [16, 64, 32, 32], classifier: true, csim: true, measured: 0.0060 },
  // The BatchNorm folds into the first Dense; the Sigmoid is a bf16 table lookup (see `sigmoid` above).
  mlp_bn: { outcome: 'bf16', dense: [16, 32], sigmoid: true, classifier: false, csim: true, measured: 0.0033 },
  conv1d_small: { outcome: 'refused', nodes: 2, match: [/node '\/conv\/Conv' \(Conv\): op Conv/, /node '\/pool\/MaxPool' \(MaxPool\): op MaxPool/], why: 'Conv and MaxPool are not in the AIE op list' },
  qdq_int8_mlp_pow2: { outcome: 'int' },
  // Its int6/int4 weights and uint6/uint8 activations legalize (int8 / int16 codes with the quantizers' clamps, the
  // float biases folded exactly); the float output 'y' (no quantizer) is fc3_gemm's exact accumulator written as
  // int32 codes at 2^-24 (backends/aie/test/int32-output.test.ts). Against the manifest's float32 reference the
  // error is the reference's own float32 rounding (measured 5.67e-7; its tolerance is 1e-5 + 1e-5 |y|).
  qonnx_style_mlp: { outcome: 'int', maxError: 5.67e-7, why: "float output 'y' as int32 codes (float32 rounding of the reference)" },
  gemm_transB: { outcome: 'bf16', dense: [8], classifier: false, csim: false, measured: 0.012 },
  // t = a + b (b [N,1,4] broadcast over axis 1: one b row per 3 rows of a), y = t + c (c [3,1] constant); no Dense, so
  // its tolerance is its own: a, b, c, t and y are each rounded to bf16 once (u times their magnitude), and on the
  // reference data max(|a| + |b| + |c| + |t| + |y|) = 2.69 max|y_ref| (measured 1.24 u max|y_ref|).
  add_broadcast: { outcome: 'bf16', dense: [], classifier: false, csim: true, measured: 0.0294, tolU: 3 },
  concat_axis1: { outcome: 'refused', nodes: 1, match: [/node 'concat' \(Concat\): output 'y' is a graph output made only of graph inputs \('a', 'b'\)/], why: 'nothing to compute: a view of graph inputs only' },
  reshape_flatten: { outcome: 'refused', nodes: 1, match: [/node 'flatten' \(Reshape\): output 'y' is a graph output and a region of graph input 'x'/], why: 'nothing to compute: a view of a graph input only' },
};

function argmaxRows(d: ArrayLike<number>, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < d.length / cols; r++) {
    let a = 0;
    for (let c = 1; c < cols; c++) if (d[r * cols + c] > d[r * cols + a]) a = c;
    out.push(a);
  }
  return out;
}

describe.skipIf(!HAVE_SHARED)('firmflow bench on AIE (../shared/models), expected outcome per model', () => {
  it('every shared model has an expected outcome, and every table entry a model', () => {
    expect(manifest().map((m) => m.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const m of manifest()) {
    const x = EXPECTED[m.name];
    if (!x) continue;
    const label = x.outcome === 'refused' ? `${m.name}: refused (${x.why})` : `${m.name}: converts in ${x.outcome} mode`;
    it(label, async () => {
      const c = readCase(m);
      if (x.outcome === 'refused') {
        const e = await convert(c.path, { backend: 'AIE', projectName: 'bench' } as never).then(() => undefined, (err: unknown) => err as FirmflowError);
        expect(e, 'conversion was expected to be refused').toBeDefined();
        expect(e!.name).toBe('FirmflowError');
        expect(e!.code).toBe('aie.unsupported');
        expect((e!.details as unknown[]).length, e!.message).toBe(x.nodes);
        for (const re of x.match) expect(e!.message).toMatch(re);
        return;
      }
      const opts = { backend: 'AIE', projectName: 'bench', ...(x.outcome === 'bf16' ? x.options ?? {} : {}) };
      const project = await convert(c.path, opts as never);
      const rep = (project as unknown as { report(): { mode: string; modeReason: string; text: string } }).report();
      expect(rep.mode).toBe(x.outcome);
      expect(rep.modeReason).toMatch(x.outcome === 'int' ? /aie\.mode 'auto': the model carries quantizers/ : /aie\.mode 'auto': the model has no quantizers/);
      expect(rep.text).toContain(x.outcome === 'int' ? 'integer mode (aie.mode' : 'bf16 mode (aie.mode');
      const dir = join(tmp, m.name);
      await project.write(dir);
      const written = JSON.parse(readFileSync(join(dir, 'firmflow.json'), 'utf8'));
      expect(written.mode).toBe(x.outcome);
      expect(written.modeChoice.requested).toBe('auto');
      const csim = x.outcome === 'int' || x.csim;
      // Emulator + host model once on the project object; the reopened folder (what `firmflow bench <dir>` does) then
      // reuses the cached build.
      const r = await bench({ project, outputDir: dir, referenceModel: c.path, inputs: c.inputs as never, csim, ...(x.outcome === 'bf16' && x.classifier ? { classifier: true } : {}) });
      expectValid(r);
      expect(r.model.backend).toBe('AIE');
      expect(r.settings.samples).toBe(16);
      // The settings show the options the AIE backend marks for reports (none): no FPGA options of another backend.
      expect(r.settings.options).toEqual({});
      if (csim) {
        expect(r.accuracy.summary.bitExact).toBe(true);
        for (const o of r.accuracy.outputs) expect(o.bitExact!.mismatches).toBe(0);
      } else {
        expect(r.timings.csim).toBeNull();
      }
      // The per-layer trace explains every layer's error (sound bounds, int or bf16).
      expect(r.trace?.firstUnexplained ?? null).toBeNull();
      expect(r.layers.every((l) => l.trace && !l.trace.exceeds)).toBe(true);
      const emu = project.emulate(c.inputs as never) as Record<string, { data: ArrayLike<number> }>;
      for (const o of r.accuracy.outputs) {
        const ref = c.outputs[o.name];
        const err = o.emulator!.maxAbsError;
        if (x.outcome === 'int') {
          if (x.maxError === undefined) {
            // QDQ int8 with power-of-two scales: the reference exactly.
            expect(err).toBe(0);
            continue;
          }
          // An int32 float output: within the manifest's tolerance, at the measured (float32 rounding) level.
          const tol = m.tolerance.atol + m.tolerance.rtol * Math.max(...ref.data.map(Math.abs));
          expect(err, `${m.name} ${o.name}: error ${err} vs the manifest's ${tol}`).toBeLessThanOrEqual(tol);
          expect(err).toBeLessThanOrEqual(x.maxError * 1.01);
          continue;
        }
        const refMax = Math.max(...ref.data.map(Math.abs));
        const denseU = (3 * x.dense.length + 1) * U_BF16 + x.dense.reduce((a, k) => a + k, 0) * 2 ** -24;
        // A final Sigmoid: the Dense bound holds on its input z = logit(y_ref) (scale max|z|), the Sigmoid carries it
        // with gain 1/4 and adds its own bf16 rounding (u |y|).
        const zMax = x.sigmoid ? Math.max(...ref.data.map((y) => Math.abs(Math.log(y / (1 - y))))) : 0;
        const tol = x.tolU !== undefined ? x.tolU * U_BF16 * refMax : x.sigmoid ? (denseU * zMax) / 4 + U_BF16 * refMax : denseU * refMax;
        expect(err, `${m.name} ${o.name}: bf16 error ${err} vs ${tol}`).toBeLessThanOrEqual(tol);
        expect(err).toBeGreaterThan(0);
        expect(err).toBeLessThanOrEqual(1.5 * x.measured);
        if (x.classifier) {
          const cols = ref.shape[ref.shape.length - 1];
          expect(argmaxRows(emu[o.name].data, cols)).toEqual(argmaxRows(ref.data, cols));
        }
      }
      const e = r.estimates!;
      expect(e.source).toMatch(/AIE estimate/);
      expect(e.total.latencyCycles).toBeGreaterThan(0);
      expect(e.total.ii).toBeGreaterThan(0);
      expect(e.total.dsp).toBeNull();
      const tiles = e.resources!.find((t) => t.name === 'tiles')!;
      expect(tiles.used).toBeGreaterThan(0);
      expect(tiles.fraction).toBeCloseTo(tiles.used / tiles.available!, 12);
      expect(r.layers.every((l) => l.estimate?.resources?.['tiles'] !== undefined)).toBe(true);
      const sumTiles = r.layers.reduce((a, l) => a + (l.estimate?.resources?.['tiles'] ?? 0), 0);
      expect(sumTiles).toBe(tiles.used);
      expect(formatBench(r)).toMatch(/tiles \d+\/\d+/);
      const html = renderHtml(r);
      expect(html).toContain('id="resources-table"');
      expect(html).toContain('data-resource="tiles"');

      if (csim) {
        const again = await bench({ projectDir: dir, referenceModel: c.path, inputs: c.inputs as never });
        expectValid(again);
        expect(again.timings.compile?.cached).toBe(true);
        expect(again.accuracy.summary.bitExact).toBe(true);
        expect(again.estimates!.total).toEqual(e.total);
      }

      await expect(sweep({ model: c.path, convert: { backend: 'AIE', ...(x.outcome === 'bf16' ? x.options ?? {} : {}) } as never, lists: [{ axis: 'reuseFactor', values: [1, 2], label: 'the reuse factor', flag: '--reuse' }], precision: ['fixed<16,6>'], samples: 4, jobs: 0 }))
        .rejects.toThrow(/backend 'AIE' does not use the precision or the reuse factor/);
    }, 120_000);
  }

  it("three_layer_pytorch as declared (batch 789444) is refused naming its first layer and the fix", async () => {
    const m = manifest().find((e) => e.name === 'three_layer_pytorch')!;
    await expect(convert(readCase(m).path, { backend: 'AIE' } as never)).rejects.toThrow(/layer 'Gemm_0' \(789444x16 @ 16x64.*inputShapes for a literal one/);
  });

  it("aie.mode 'int' on a float model is refused naming its first layer and pointing to bf16", async () => {
    const m = manifest().find((e) => e.name === 'gemm_transB')!;
    const e = await convert(readCase(m).path, { backend: 'AIE', aie: { mode: 'int' } } as never).then(() => undefined, (err: unknown) => err as FirmflowError);
    expect(e?.code).toBe('aie.unsupported');
    expect(e!.message).toContain("node 'gemm' (Dense): aie.mode 'int' needs int8/int16 tensors with power-of-two scales, but the model carries no quantizers");
    expect(e!.message).toContain("use aie.mode 'bf16'");
    expect((e!.details as unknown[]).length).toBe(1);
    // Explicit bf16 is what 'auto' chose.
    const p = await convert(readCase(m).path, { backend: 'AIE', aie: { mode: 'bf16' } } as never);
    const rep = (p as unknown as { report(): { mode: string; modeReason: string } }).report();
    expect(rep).toMatchObject({ mode: 'bf16', modeReason: "aie.mode 'bf16'" });
  });
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
