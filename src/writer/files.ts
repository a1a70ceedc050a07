import { ejs } from '../util/lazy-deps.js';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FirmflowError } from '../errors.js';
import type { OutputFiles } from '../registry/types.js';

type Compiled = (data: Record<string, unknown>) => string;
const compiled = new Map<string, Compiled>();

/**
 * Renders an EJS template file to a string. `<%= %>` does not HTML-escape (templates emit C++ and scripts);
 * `include` resolves relative to the template. Compiled templates are cached per process.
 */
export function renderTemplate(templateFile: string, data: Record<string, unknown>): string {
  const file = resolve(templateFile);
  let fn = compiled.get(file);
  if (!fn) {
    let src: string;
    try {
      src = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read template ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      fn = ejs().compile(src, {
        filename: file,
        escape: (v: unknown) => (v === undefined || v === null ? '' : String(v)),
        async: false,
      }) as unknown as Compiled;
    } catch (e) {
      throw new Error(`template ${file} does not compile: ${(e as Error).message}`);
    }
    compiled.set(file, fn);
  }
  return fn(data).replace(/\r\n/g, '\n');
}

/** Path segments allowed in output paths: a second net behind the writers' own name sanitizing. */
const SEGMENT_RE = /^[A-Za-z0-9_+@-][A-Za-z0-9_.+@-]*$|^\.[A-Za-z0-9_+@-][A-Za-z0-9_.+@-]*$/;

/** Checks a writer-relative output path and returns it absolute inside `root`. */
export function outputPath(root: string, relPath: string): string {
  const parts = relPath.split('/');
  if (relPath === '' || isAbsolute(relPath) || relPath.includes('\\') || parts.some((p) => !SEGMENT_RE.test(p))) {
    throw new FirmflowError('output.path', `output path ${JSON.stringify(relPath)} is not a plain relative path (letters, digits, _ . + @ - and / only, no '..')`);
  }
  return join(root, ...parts);
}

/** Writes text with \n line endings, creating parent folders. */
export function writeTextFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content.replace(/\r\n/g, '\n'), 'utf8');
}

export function writeBinaryFile(path: string, data: Uint8Array | ArrayBufferView): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Renders an EJS template file into `outPath`. */
export function renderTemplateTo(templateFile: string, outPath: string, data: Record<string, unknown>): void {
  writeTextFile(outPath, renderTemplate(templateFile, data));
}

/** The file helpers a writer receives: everything stays inside `root`, and writing a path twice is an error. */
export function createOutputFiles(root: string): OutputFiles {
  const written = new Set<string>();
  const claim = (rel: string): string => {
    const abs = outputPath(root, rel);
    if (written.has(rel)) throw new Error(`writer wrote ${rel} twice`);
    written.add(rel);
    return abs;
  };
  return {
    root,
    text(rel, content) {
      const p = claim(rel);
      writeTextFile(p, content);
      return p;
    },
    binary(rel, data) {
      const p = claim(rel);
      writeBinaryFile(p, data);
      return p;
    },
    render(templateFile, rel, data) {
      const text = renderTemplate(templateFile, data);
      const p = claim(rel);
      writeTextFile(p, text);
      return p;
    },
    copy(src, rel) {
      const p = claim(rel);
      mkdirSync(dirname(p), { recursive: true });
      copyFileSync(src, p);
      return p;
    },
    written: () => [...written].sort(),
  };
}
