/*
 * A model's quantizers are part of its meaning: the type a QDQ pair, a QONNX Quant or a BipolarQuant fixed on a
 * tensor is kept whatever model-, type- or name-level precision is configured (a precision setting widens what is
 * not quantized, never what is). Only a setting naming the layer may ask for another type on such a tensor: a
 * narrower one is refused, a wider one is ignored with a warning.
 */
import { FirmflowError, type FixedType, formatType, fracBits, type Graph, type IRNode, sameType } from 'firmflow';
import type { PrecisionSetting } from '../layer-config.js';
import { describe, layerName, warn } from './common.js';
import { codeRange } from './precision-rules.js';

/** Whether every value of `inner` is a value of `outer`. */
export function holdsType(outer: FixedType, inner: FixedType): boolean {
  const shift = fracBits(outer) - fracBits(inner);
  if (shift < 0) return false;
  const [olo, ohi] = codeRange(outer), [ilo, ihi] = codeRange(inner);
  const s = BigInt(shift);
  return (ilo << s) >= olo && (ihi << s) <= ohi;
}

/**
 * The type of a tensor a quantizer fixed (`model`), given the setting of its role and whether that setting names
 * the layer. `what` says which tensor, for messages ("its result", "its weight 'w1'").
 */
export function quantizerType(graph: Graph, node: IRNode | undefined, what: string, model: FixedType, set: PrecisionSetting | undefined, named: boolean): FixedType {
  if (!named || !set || set === 'auto' || sameType(set, model)) return model;
  const who = node ? describe(node) : `graph input '${what}'`;
  const tensor = node ? ` for ${what}` : '';
  if (!holdsType(set, model)) {
    throw new FirmflowError(
      'config.value',
      `${who}: the configured precision ${formatType(set)}${tensor} is narrower than ${formatType(model)}, the type the model's quantizer fixed; a quantizer's clipping and rounding cannot be changed (remove the setting, or give a type that holds ${formatType(model)})`,
      { layer: node ? layerName(node) : what, key: 'Precision' },
    );
  }
  warn(graph, `${who}: the configured precision ${formatType(set)}${tensor} is ignored: the model's quantizer fixed ${formatType(model)}, which is kept`);
  return model;
}
