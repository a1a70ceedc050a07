/* Where the package's templates are (a leaf module: the writer and the project model both read it). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's templates folder (from src/ under vitest or from dist/). */
export function templatesDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const t = join(d, 'templates');
    if (existsSync(join(t, 'kernels', 'firmflow_aie.h'))) return t;
    d = dirname(d);
  }
  throw new Error('the AIE package templates folder was not found');
}
