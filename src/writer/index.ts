export { writeAtomically, cleanupPendingOutputs, type AtomicWriteOptions } from './atomic.js';
export { createOutputFiles, outputPath, renderTemplate, renderTemplateTo, writeBinaryFile, writeTextFile } from './files.js';
export { jsonSafe } from './json.js';
