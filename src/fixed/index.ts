export * from './types.js';
export * from './fixed.js';
export * from './quantize.js';
