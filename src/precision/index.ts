export * from './parse.js';
export * from './config.js';
export * from './infer.js';
export * from './calibrate.js';
export * from './command.js';
