/**
 * Bundles a TypeScript adapter into one plain .mjs file (esbuild, which tsx already brings), so
 * each scenario starts a bare `node` instead of compiling TypeScript again: on two shared cores
 * the per-process compile dominated exec runs of the TS adapters.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Returns a shell command running the bundled adapter (`node '<tmp>/<name>.mjs'`). */
export async function bundledAdapterCommand(name: 'reference' | 'faulty', outDir = mkdtempSync(join(tmpdir(), 'ssec-adapter-'))): Promise<{ command: string; file: string }> {
  const { buildSync } = await import('esbuild');
  const entry = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const file = join(outDir, `${basename(entry, '.ts')}.mjs`);
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: file,
    logLevel: 'error',
    // undici's CommonJS requires need a `require` inside the ES module.
    banner: { js: "import { createRequire as __ssecRequire } from 'node:module'; const require = __ssecRequire(import.meta.url);" },
  });
  return { command: `node '${file.replace(/'/g, `'\\''`)}'`, file };
}
