/**
 * The shared convolutional reference models load, verify, and the float interpreter reproduces their reference
 * outputs (they also need the math/shape handlers: Gemm, Flatten, Transpose, Selu, BatchNormalization ...).
 */
import { describe, it } from 'vitest';
import { HAVE_SHARED, manifest, SHARED_MODELS } from '../helpers/shared-models.js';
import { checkSharedModel } from './helpers.js';

const NAMES = ['conv1d_small', 'conv1d_small_keras', 'conv2d_small_keras', 'conv2d_small_mp_keras'];

describe.skipIf(!HAVE_SHARED)(`shared conv models (${SHARED_MODELS})`, () => {
  for (const name of NAMES) {
    it(`${name} matches its reference outputs`, () => {
      const m = manifest().find((e) => e.name === name);
      if (!m) throw new Error(`${name} is missing from the manifest`);
      checkSharedModel(m);
    });
  }
});
