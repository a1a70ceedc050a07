#!/usr/bin/env node
// Launcher: the CLI itself is compiled TypeScript in dist/ (npm install builds it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('firmflow is not built: run `npm run build` in its folder first\n');
  process.exit(2);
}
let cli;
try {
  cli = await import(main.href);
} catch (e) {
  process.stderr.write(`internal error: firmflow's compiled code does not load (${e?.message ?? e}); run \`npm run build\` again\n`);
  process.exit(2);
}
await cli.main();
