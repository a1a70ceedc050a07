import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Backends import the core as 'firmflow' (the package's public API); in tests that is the TypeScript source, so
    // tests, the core and every backend share one copy of the core (one registry), as the built package does.
    alias: [{ find: /^firmflow$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) }],
  },
  test: {
    include: ['test/**/*.test.ts', 'backends/*/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup.ts'],
  },
});
