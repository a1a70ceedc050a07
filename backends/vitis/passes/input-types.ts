/*
 * Graph inputs that feed a model's own quantizer (a Rescale: non-power-of-two scale or non-zero zero point): the
 * input type must hold the quantizer's whole input range, or values saturate before the model clips them (a
 * QONNX keyword-spotting MLP's 8-bit input quantizer of scale 0.83 covers +-105; the default fixed<16,6> holds
 * +-32).
 */
import { type FixedType, fracBits, type Graph, quantRange } from 'firmflow';
import { numeric } from './precision-rules.js';

/**
 * Largest |x| a Rescale reading `tensor` (as its operand 0) does not saturate: every x beyond rounds to the end of
 * the integer range, half a level included. Undefined when no quantizer reads it.
 */
export function quantizerInputBound(graph: Graph, tensor: string): number | undefined {
  let bound: number | undefined;
  for (const n of graph.consumers(tensor)) {
    if (n.op !== 'Rescale' || n.inputs[0] !== tensor || !graph.isConstant(n.inputs[1])) continue;
    const s = numeric(graph.tensor(n.inputs[1]));
    const z = n.inputs[2] && graph.isConstant(n.inputs[2]) ? numeric(graph.tensor(n.inputs[2])) : new Float64Array([0]);
    const [qmin, qmax] = quantRange(Number(n.attrs['bits'] ?? 8), n.attrs['signed'] !== false, n.attrs['narrow'] === true);
    for (let i = 0; i < s.length; i++) {
      const zi = z[z.length === 1 ? 0 : i] ?? 0;
      const m = Math.max(Math.abs(qmin - zi - 0.5), Math.abs(qmax - zi + 0.5)) * Math.abs(s[i]);
      bound = Math.max(bound ?? 0, m);
    }
  }
  return bound;
}

/**
 * The default input type widened (integer bits added, fractional bits kept) until it holds the range of the
 * quantizers the input feeds; the default itself when it already does or no quantizer reads the input.
 */
export function inputTypeFor(graph: Graph, tensor: string, data: FixedType): FixedType {
  const bound = quantizerInputBound(graph, tensor);
  return bound === undefined ? data : widenedToHold(data, bound);
}

/** `data` with integer bits added (fractional bits kept) until it holds +-bound; `data` when it does already. */
export function widenedToHold(data: FixedType, bound: number): FixedType {
  if (!(bound > 0)) return data;
  // Signed: a quantizer's input range is on both sides of zero (below it, at least half a level).
  if (data.signed && 2 ** (data.integer - 1) >= bound) return data;
  const integer = Math.max(data.integer, Math.ceil(Math.log2(bound)) + 1);
  return { ...data, signed: true, integer, width: integer + fracBits(data) };
}
