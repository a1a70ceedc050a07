/*
 * Every AIE kernel module, and the op -> kernel and layer kind -> kernel maps built once from their `ops`. The
 * stages of the backend look kernels up here; a new kernel is one module under kernels/ plus its line in KERNELS.
 */
import type { AieKernelKind } from '../lowered.js';
import { activation } from './activation.js';
import { add } from './add.js';
import type { AieKernel, KernelLayout } from './contract.js';
import { layernorm } from './layernorm.js';
import { product } from './product.js';
import { relu } from './relu.js';
import { softmax } from './softmax.js';
import { transpose } from './transpose.js';
import { view } from './view.js';

export type { AieKernel, KernelLayout } from './contract.js';

export const KERNELS: readonly AieKernel[] = [product, add, relu, activation, softmax, layernorm, transpose, view];

/** IR ops the AIE lowering implements, and the layer kind each becomes. */
export const SUPPORTED_OPS: Readonly<Record<string, AieKernelKind>> = Object.fromEntries(KERNELS.flatMap((k) => Object.entries(k.ops)));

const BY_KIND = new Map<AieKernelKind, AieKernel>(KERNELS.flatMap((k) => Object.values(k.ops).map((kind) => [kind, k] as const)));
const BY_OP = new Map<string, AieKernel>(KERNELS.flatMap((k) => Object.keys(k.ops).map((op) => [op, k] as const)));

/** The kernel module of a layer kind (AieLayer.kernel). */
export function kernelOf(kind: AieKernelKind): AieKernel {
  const k = BY_KIND.get(kind);
  if (!k) throw new Error(`no AIE kernel module for layer kind '${kind as string}'`);
  return k;
}

/** How layers of a kind are planned (kernels/contract.ts KernelLayout). */
export function layoutOf(kind: AieKernelKind): KernelLayout {
  return kernelOf(kind).layout;
}

/** The kernel module implementing an IR op, if any. */
export function kernelForOp(op: string): AieKernel | undefined {
  return BY_OP.get(op);
}
