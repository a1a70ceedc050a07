/* Helpers of the configuration tests: fixed-point types as the lowering writes them, nodes by ONNX name, refusals. */
import { isFirmflowError } from 'firmflow';

export const fx = (signed: boolean, width: number, integer: number, rounding = 'TRN', overflow = 'WRAP') => ({ signed, width, integer, rounding, overflow });

/** The IR node converted from the ONNX node `name`. */
export const node = (p: { graph: { nodes: Map<string, { origin?: { name: string } }> } }, name: string) =>
  [...p.graph.nodes.values()].find((n) => n.origin?.name === name) as never;

/** The message of the FirmflowError `p` rejects with (any other error is rethrown; success fails the test). */
export async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isFirmflowError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}
