#!/usr/bin/env node
// Entry point for the `sse-conformance` command: runs the compiled CLI (built on `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/scripts/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('sse-conformance: dist/ is missing; run `npm run build` (it runs on `npm install`).\n');
  process.exit(70);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
