/**
 * Files the tool reads at run time, found relative to the installed package rather than to the
 * module that reads them: the same module runs from the TypeScript sources (tests, `tsx`) and
 * from `dist/` (the shipped CLI), one directory level apart, and from `node_modules/sse-conformance`
 * in a user's project. Every run-time read of a package file goes through {@link packageFile}, whose
 * argument must be listed in {@link RUNTIME_FILES}; the artifact test checks that `npm pack`
 * ships each entry, so a file left out of package.json's `files` fails the tests, not the user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Package-relative paths read at run time (a trailing `/` is a directory read as a whole). */
export const RUNTIME_FILES = [
  'package.json',
  'fixtures/scenarios/',
  'fixtures/vectors/',
  'fixtures/vectors/adapters/reference-adapter.mjs',
  'spec/README.md',
  'conformance/report/run-result.schema.json',
  'conformance/client/adapters/undici.mjs',
  'conformance/client/adapters/eventsource.mjs',
  'dist/conformance/client/adapters/reference.js',
] as const;

export type RuntimeFile = (typeof RUNTIME_FILES)[number];

let root: string | undefined;

/** The directory holding sse-conformance's package.json (the repository root or the installed package). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'sse-conformance') return (root = dir);
      } catch {
        // an unreadable manifest is not ours: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`sse-conformance: package root not found above ${fileURLToPath(import.meta.url)} (no package.json named sse-conformance)`);
    dir = parent;
  }
}

/** Absolute path of a run-time file of the package (directories end in the platform separator). */
export function packageFile(relative: RuntimeFile): string {
  const path = join(packageRoot(), relative);
  return relative.endsWith('/') && !path.endsWith('/') ? `${path}/` : path;
}
