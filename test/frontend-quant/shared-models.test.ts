/**
 * The shared quantized reference models (QDQ, QONNX Quant, Brevitas binarized) load, verify, and the float
 * interpreter, running the quantizers with their float semantics, reproduces their reference outputs.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/onnx/frontend.js';
import type { QuantizerNote } from '../../src/onnx/ops/quant.js';
import { HAVE_SHARED, manifest, readCase, SHARED_MODELS } from '../helpers/shared-models.js';
import { checkSharedModel } from '../frontend-spatial/helpers.js';

const NAMES = ['qdq_int8_mlp_pow2', 'qonnx_style_mlp', 'bnn_model_fc_1layer'];

describe.skipIf(!HAVE_SHARED)(`shared quantized models (${SHARED_MODELS})`, () => {
  for (const name of NAMES) {
    it(`${name} matches its reference outputs`, () => {
      const m = manifest().find((e) => e.name === name);
      if (!m) throw new Error(`${name} is missing from the manifest`);
      checkSharedModel(m);
    });
  }

  it('folded weight quantizers keep their notes (qonnx_style_mlp: int6 narrow, int4, int8)', () => {
    const m = manifest().find((e) => e.name === 'qonnx_style_mlp')!;
    const g = loadModel(readCase(m).path);
    const notes = ['fc1_w_q', 'fc2_w_q', 'fc3_w_q'].map((t) => g.tensor(t).meta['quantizer'] as QuantizerNote);
    expect(notes.map((n) => [n.bits, n.signed, n.narrow, n.scale[0]])).toEqual([[6, true, true, 0.015625], [4, true, false, 0.125], [8, true, false, 0.0078125]]);
    // Activation quantizers stay as IR nodes.
    expect([...g.nodes.values()].filter((n) => n.op === 'Quant').length).toBe(3);
  });
});
