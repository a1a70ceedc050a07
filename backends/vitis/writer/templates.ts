import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This backend's templates folder, backends/vitis/templates (from the sources, or from dist/ beside them). */
export function templatesDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const t of [join(d, 'templates'), join(d, 'backends', 'vitis', 'templates')]) if (existsSync(join(t, 'nnet'))) return t;
    d = dirname(d);
  }
  throw new Error('backends/vitis/templates not found next to the firmflow installation');
}
