import type { GraphPass } from '../src/pipeline/pass.js';
import { affineQuantOf, bipolarTypeOf, fixedTypeOf, type QuantizerSpec } from './fixed-types.js';

/** What the frontend records on a constant it folded through a quantizer (tensor.meta.quantizer). */
interface RecordedQuantizer {
  op?: string;
  signed?: boolean;
  narrow?: boolean;
  bits?: number;
  scale?: number | ArrayLike<number>;
  zeropt?: number | ArrayLike<number>;
  roundingMode?: string;
  axis?: number;
  scaleShape?: number[];
}

/** The channel axis of a per-channel note: QDQ gives it, a QONNX note has it in the broadcast shape of its scale. */
function noteAxis(rec: RecordedQuantizer, rank: number): number | undefined {
  if (rec.axis !== undefined) return rec.axis;
  const sh = rec.scaleShape;
  if (!sh) return undefined;
  const big = sh.map((d, i) => (d > 1 ? i + rank - sh.length : -1)).filter((a) => a >= 0);
  return big.length === 1 ? big[0] : undefined;
}

const arr = (v: number | ArrayLike<number> | undefined, dflt: number): ArrayLike<number> =>
  v === undefined ? [dflt] : typeof v === 'number' ? [v] : v;

/**
 * Constants that went through a quantizer hold exact grid values already; this records the grid on the tensor
 * (a fixed-point type when there is one, else the affine quantization) so backends can store them as integers.
 */
export const annotateWeightPrecision: GraphPass = {
  name: 'annotate-weight-precision',
  match: 'graph',
  description: 'record the quantizer type of quantized constants',
  transform(graph) {
    let changes = 0;
    for (const t of graph.tensors.values()) {
      const rec = t.meta['quantizer'] as RecordedQuantizer | undefined;
      if (!t.data || !rec || t.precision || t.quant || t.meta['quantizerApplied']) continue;
      t.meta['quantizerApplied'] = true;
      if (rec.op === 'BipolarQuant') {
        t.precision = bipolarTypeOf(arr(rec.scale, 1));
      } else if (typeof rec.bits === 'number') {
        const spec: QuantizerSpec = {
          bits: rec.bits,
          signed: rec.signed !== false,
          narrow: rec.narrow === true,
          scale: arr(rec.scale, 1),
          zeroPoint: arr(rec.zeropt, 0),
          // The values are on the grid already: how they were rounded does not matter any more.
          roundingMode: 'ROUND',
          axis: noteAxis(rec, t.shape.length),
        };
        const fixed = fixedTypeOf(spec);
        if (fixed) t.precision = fixed;
        else t.quant = affineQuantOf(spec);
      }
      changes++;
    }
    return changes;
  },
};
