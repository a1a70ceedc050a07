/*
 * The trace core both backends build `firmflow predict --trace` and bench's trace on: the float model's values
 * (float.ts), the per-layer statistics against a backend's bounds (compare.ts), the table (format.ts), the rows
 * (report.ts), and the inputs as users give them (feeds.ts). A backend keeps only its fixed-point values and its
 * per-kernel bounds.
 */
export * from './compare.js';
export * from './feeds.js';
export * from './float.js';
export * from './format.js';
export type * from './report.js';
