/*
 * The kernels of the Vitis/Vivado backend and the op -> kernel map, built once. Everything else (planning,
 * precision, tables, streams, the writer, the emulator, the estimator) looks a node's kernel up here.
 */
import { activation } from './activation.js';
import { bipolarQuant } from './bipolar-quant.js';
import { concat } from './concat.js';
import type { VitisKernel } from './contract.js';
import { conv } from './conv.js';
import { dense } from './dense.js';
import { fixedCast } from './fixed-cast.js';
import { globalPooling } from './global-pooling.js';
import { layernorm } from './layernorm.js';
import { merge } from './merge.js';
import { pad } from './pad.js';
import { pooling } from './pooling.js';
import { prelu } from './prelu.js';
import { rescale } from './rescale.js';
import { reshape } from './reshape.js';
import { resize } from './resize.js';
import { scaleShift } from './scale-shift.js';
import { softmax } from './softmax.js';
import { tableActivation } from './table-activation.js';
import { transpose } from './transpose.js';

export type { DefaultResult, PrecisionContext, StreamKind, TableContext, VitisKernel } from './contract.js';

/** Every kernel module (the table kernels first: TABLES_OF, and the messages listing it, keep this order). */
export const KERNELS: readonly VitisKernel[] = [
  tableActivation, softmax, layernorm, dense, conv, pooling, globalPooling, activation, fixedCast, bipolarQuant, prelu,
  scaleShift, merge, rescale, reshape, transpose, concat, pad, resize,
];

/** The op -> kernel map of a list of kernels; an op claimed by two kernels is an error. */
export function kernelMap(kernels: readonly VitisKernel[]): ReadonlyMap<string, VitisKernel> {
  const map = new Map<string, VitisKernel>();
  for (const k of kernels) {
    for (const op of k.ops) {
      const other = map.get(op);
      if (other) throw new Error(`op ${op} is claimed by two Vitis kernels, '${other.name}' and '${k.name}'`);
      map.set(op, k);
    }
  }
  return map;
}

const BY_OP = kernelMap(KERNELS);

/** The kernel implementing an op, if any. */
export function kernelFor(op: string): VitisKernel | undefined {
  return BY_OP.get(op);
}

/** Ops with a kernel, sorted (for listings). */
export const SUPPORTED_OPS: readonly string[] = [...BY_OP.keys()].sort();

/** Lookup tables per op (the names TableSize / TableRange objects and table Precision roles use). */
export const TABLES_OF: Readonly<Record<string, string[]>> = Object.fromEntries(
  [...BY_OP].filter(([, k]) => k.tables?.length).map(([op, k]) => [op, [...k.tables!]]),
);
