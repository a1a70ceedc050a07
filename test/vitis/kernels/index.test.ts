import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMULATED_OPS } from '../../../backends/vitis/emulate/index.js';
import { KERNELS, kernelFor, kernelMap, SUPPORTED_OPS, TABLES_OF } from '../../../backends/vitis/kernels/index.js';
import { dense } from '../../../backends/vitis/kernels/dense.js';
import { templatesDir } from '../../../backends/vitis/writer/index.js';

describe('the op -> kernel map', () => {
  it('gives every supported op exactly one kernel, and only the ops kernels claim', () => {
    const claimed = KERNELS.flatMap((k) => k.ops);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect([...claimed].sort()).toEqual(SUPPORTED_OPS);
    for (const op of SUPPORTED_OPS) expect(kernelFor(op)?.ops, op).toContain(op);
    expect(kernelFor('Identity')).toBeUndefined();
    // the emulator implements exactly the ops with a kernel
    expect(EMULATED_OPS).toEqual(SUPPORTED_OPS);
  });

  it('refuses two kernels claiming one op', () => {
    expect(() => kernelMap([dense, { ...dense, name: 'dense2' }])).toThrow("op Dense is claimed by two Vitis kernels, 'dense' and 'dense2'");
  });

  it('names C++ headers that exist in the kernel library', () => {
    for (const k of KERNELS) expect(existsSync(join(templatesDir(), 'nnet', k.header)), `${k.name}: ${k.header}`).toBe(true);
  });

  it('lists the lookup tables per op from the kernels, in the order configuration messages name them', () => {
    expect(Object.keys(TABLES_OF)).toEqual(['Sigmoid', 'Tanh', 'Elu', 'Selu', 'Softplus', 'HardSwish', 'Softmax', 'LayerNormalization']);
    expect(TABLES_OF).toEqual({
      Elu: ['table'], HardSwish: ['table'], LayerNormalization: ['table'], Selu: ['table'], Sigmoid: ['table'], Softmax: ['exp_table', 'inv_table'], Softplus: ['table'], Tanh: ['table'],
    });
  });
});
