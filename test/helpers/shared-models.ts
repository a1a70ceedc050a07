import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/models beside the checkout (CI always has it; a user's clone may not). */
export const SHARED_MODELS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/models');
export const HAVE_SHARED = existsSync(join(SHARED_MODELS, 'manifest.json'));
if (!HAVE_SHARED) {
  console.warn(`[firmflow tests] ${SHARED_MODELS} is absent: tests over the shared reference models are skipped.`);
}

export interface ManifestEntry {
  name: string;
  onnx: string;
  inputs: string;
  outputs: string;
  declared_batch: number | string;
  tolerance: { atol: number; rtol: number; lsb?: number };
  quantized: boolean;
  op_types: string[];
}

export function manifest(): ManifestEntry[] {
  if (!HAVE_SHARED) return [];
  return JSON.parse(readFileSync(join(SHARED_MODELS, 'manifest.json'), 'utf8')).models;
}

export interface JsonTensor { dtype: string; shape: number[]; data: number[] }

export function readCase(m: ManifestEntry): { path: string; inputs: Record<string, JsonTensor>; outputs: Record<string, JsonTensor> } {
  return {
    path: join(SHARED_MODELS, m.onnx),
    inputs: JSON.parse(readFileSync(join(SHARED_MODELS, m.inputs), 'utf8')),
    outputs: JSON.parse(readFileSync(join(SHARED_MODELS, m.outputs), 'utf8')),
  };
}

/**
 * Options for a float reference model where the tolerance is 1e-3: fixed<32,16> data and wide tables for the
 * activations the shared models use (Softmax, Sigmoid, Selu), so the table step stays far below the tolerance.
 */
export const WIDE_FLOAT_OPTIONS = {
  precision: 'fixed<32,16>',
  config: {
    LayerType: {
      Softmax: { TableSize: 65536, Precision: { exp_table: 'ufixed<32,1,RND,SAT>', inv_table: 'ufixed<32,1,RND,SAT>' } },
      Sigmoid: { TableSize: 65536, Precision: { table: 'fixed<32,2,RND,SAT>' } },
      Selu: { TableSize: 65536, Precision: { table: 'fixed<32,4,RND,SAT>' } },
    },
  },
};
