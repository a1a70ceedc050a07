import { describe, expect, it } from 'vitest';
import { dataRolesOf } from '../../../backends/vitis/config.js';
import { KERNELS, kernelFor } from '../../../backends/vitis/kernels/index.js';

/* The per-op facts config.ts reads come from the kernel contracts (dataRoles, implementations), not from op names. */
describe('kernel facts the configuration reads', () => {
  it('a precision string sets scale and shift for the scale-like kernels, weight and bias for the others', () => {
    for (const op of ['ScaleShift', 'LayerNormalization', 'PRelu']) expect(dataRolesOf(op)).toEqual(['result', 'scale', 'shift']);
    for (const op of ['Dense', 'Conv', 'Relu', 'Softmax']) expect(dataRolesOf(op)).toEqual(['result', 'weight', 'bias']);
    expect(dataRolesOf('NoSuchOp')).toEqual(['result', 'weight', 'bias']);
  });

  it('only Softmax offers a choice of Implementation, stable by default', () => {
    expect(KERNELS.filter((k) => k.implementations).map((k) => k.name)).toEqual(['softmax']);
    expect(kernelFor('Softmax')!.implementations).toEqual(['stable', 'argmax']);
  });
});
