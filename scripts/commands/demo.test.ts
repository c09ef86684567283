import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseRunResult } from '../../conformance/report/json.ts';
import { validateJsonSchema } from '../../fixtures/vectors/json-schema-subset.ts';
import { main } from '../cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'ssec-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('demo (npm start) runs every case against the embedded reference server, all PASS, and writes every report', async () => {
  // The browser cases have their own (single) Chromium test: conformance/server/browser.test.ts.
  const code = await main(['demo', '--out', dir, '--property-runs', '3', '--exclude', 'server.browser.*']);
  expect(code).toBe(0);
  for (const f of ['result.json', 'junit.xml', 'report.html', 'summary.md', 'report.txt']) expect(existsSync(join(dir, f)), f).toBe(true);
  const result = parseRunResult(readFileSync(join(dir, 'result.json'), 'utf8'));
  // The multi-instance cases need --peer, the HTTP/2 rules --http2: the demo runs neither.
  expect(result.cases.filter((c) => !(c.verdict === 'UNSUPPORTED' && (c.area === 'cluster' || c.area === 'http2'))).map((c) => `${c.verdict} ${c.id}`)
    .filter((v) => !v.startsWith('PASS') && !v.startsWith('SKIP server.browser.'))).toEqual([]);
  expect(JSON.stringify(result)).not.toMatch(/Bearer [0-9a-f]{24}/);
  // The canonical result follows its published JSON Schema.
  const schema = JSON.parse(readFileSync(new URL('../../conformance/report/run-result.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  expect(validateJsonSchema(JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')), schema)).toEqual([]);
}, 30_000);
