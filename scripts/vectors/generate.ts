/**
 * Writes fixtures/vectors/<area>.json from the drafts in this folder. The committed JSON is the
 * artifact; this script only keeps it consistent and deterministic. Run:
 *
 *   node --import tsx scripts/vectors/generate.ts          # rewrite the files
 *   node --import tsx scripts/vectors/generate.ts --check  # exit 1 if a file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { finish, stableJson, type Draft } from './draft.ts';
import * as bom from './bom.ts';
import * as chunking from './chunking.ts';
import * as comments from './comments.ts';
import * as dispatch from './dispatch.ts';
import * as eof from './eof.ts';
import * as fields from './fields.ts';
import * as id from './id.ts';
import * as knownFaults from './known-faults.ts';
import * as lineEndings from './line-endings.ts';
import * as retry from './retry.ts';
import * as utf8 from './utf8.ts';

interface Area {
  readonly description: string;
  readonly drafts: readonly Draft[];
}

const AREAS: Record<string, Area> = {
  'line-endings': lineEndings,
  bom,
  utf8,
  fields,
  comments,
  id,
  retry,
  dispatch,
  eof,
  chunking,
  'known-faults': knownFaults,
};

/** File name → file content, in a fixed order. */
export function buildVectorFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [area, { description, drafts }] of Object.entries(AREAS)) {
    const content = { $schema: './schema.json', area, description, vectors: drafts.map((d) => finish(area, d)) };
    files.set(`${area}.json`, stableJson(content));
  }
  return files;
}

const outputDir = new URL('../../fixtures/vectors/', import.meta.url);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, content] of buildVectorFiles()) {
    const path = fileURLToPath(new URL(name, outputDir));
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === content) continue;
    stale++;
    if (check) process.stderr.write(`stale: fixtures/vectors/${name}\n`);
    else writeFileSync(path, content);
  }
  if (check && stale > 0) process.exitCode = 1;
  process.stdout.write(`${check ? 'checked' : 'wrote'} ${stale} changed file(s)\n`);
}
