#!/usr/bin/env node
// Entry point for the `sse-conformance` command: runs the compiled CLI (dist/ ships in the package; a clone builds it with `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/scripts/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('sse-conformance: dist/ is missing; in a clone of the repository run `npm run build` (npm start and npm test build first).\n');
  process.exit(70);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
