import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyCounts, type CaseResult, type RunResult, type Verdict } from '../model.ts';
import { command as reportCommand } from '../../scripts/commands/report.ts';
import { UsageError } from '../../scripts/cli.ts';
import { renderCompatibilityHtml, renderCompatibilityMarkdown } from './compatibility.ts';

function caseResult(id: string, verdict: Verdict, requirementIds: string[], extra: Partial<CaseResult> = {}): CaseResult {
  return {
    id, title: `title of ${id}`, area: id.split('.')[1]!, requirementIds, description: '', expectation: '', verdict,
    reason: verdict === 'PASS' ? undefined : `reason for ${id} <b>`, checks: [], evidence: [{ kind: 'events', label: 'observed by the client', text: '+1ms open' }],
    measurements: [], durationMs: 5, ...extra,
  };
}

function run(name: string, version: string | undefined, cases: CaseResult[]): RunResult {
  const counts = emptyCounts();
  for (const c of cases) counts[c.verdict]++;
  return {
    schema: 'sse-conformance/run-result', schemaVersion: 1, harness: { name: 'sse-conformance', version: '0.1.0' }, mode: 'client',
    target: { name, version }, seed: 1, startedAt: '2026-11-22T05:00:00.000Z', endedAt: '2026-11-22T05:01:00.000Z', strict: false, options: {},
    summary: { selected: cases.length, run: cases.length, counts, staleBaseline: [], ok: counts.FAIL === 0 }, cases,
  };
}

const a = run('Chromium 156.0.8078.79', 'Chromium 156.0.8078.79', [
  caseResult('client.reconnect.respects-retry-lower-bound', 'PASS', ['RECONNECT-DELAY'], { measurements: [{ name: 'reconnect-delay', value: 312, unit: 'ms' }] }),
  caseResult('client.status.401-fails', 'PASS', ['RESP-STATUS-NON-200-FAILS']),
  caseResult('client.request.custom-headers-kept-on-reconnect', 'UNSUPPORTED', ['RECONNECT-SAME-REQUEST']),
]);
const b = run('undici EventSource', '7.30.2', [
  caseResult('client.reconnect.respects-retry-lower-bound', 'FAIL', ['RECONNECT-DELAY'], { measurements: [{ name: 'reconnect-delay', value: 120, unit: 'ms' }] }),
  caseResult('client.status.401-fails', 'SKIP', ['RESP-STATUS-NON-200-FAILS']),
  caseResult('client.parse.bom-split-across-chunks', 'NON_STRICT', ['PARSE-BOM']),
]);

let dir: string | undefined;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compatibility matrix', () => {
  it('renders columns with versions, a WebKit column not in this run, grouped rows, delays and evidence links', () => {
    const html = renderCompatibilityHtml([a, b]);
    expect(html).toContain('<th>Chromium 156.0.8078.79<br>');
    expect(html).toContain('undici EventSource 7.30.2');
    expect(html).toMatch(/<th class="nc">WebKit<br><small>not in this run/);
    expect(html).toContain('href="#ev-undici-eventsource-7-30-2-client-reconnect-respects-retry-lower-bound"');
    expect(html).toContain('id="ev-undici-eventsource-7-30-2-client-reconnect-respects-retry-lower-bound"');
    expect(html).toContain('312 ms');
    expect(html).toContain('reason for client.request.custom-headers-kept-on-reconnect &lt;b&gt;');
    expect(html).not.toContain('<b>"'); // escaped
    expect(html).toContain('Decoding and chunk boundaries');
    expect(html.indexOf('Decoding and chunk boundaries')).toBeLessThan(html.indexOf('Processing model'));
    expect(html).toContain('not run'); // SKIP cell
    expect(html).not.toMatch(/<script|<link|src="http/); // self-contained
  });

  it('a WebKit column names its engine (WebCore EventSource on libsoup, not Safari) and replaces the placeholder column', () => {
    const w = run('WebKitGTK 2.50.6', 'WebKitGTK 2.50.6', [
      caseResult('client.last-event-id.id-only-block-updates', 'FAIL', ['LAST-EVENT-ID-HEADER'], { reason: 'id-only-block: expected request #1: last-event-id: "3"; got last-event-id: "1"' }),
    ]);
    const html = renderCompatibilityHtml([a, w]);
    expect(html).toContain("<th>WebKitGTK 2.50.6<br><small>WebCore EventSource; network stack libsoup, not Safari's CFNetwork</small>");
    expect(html).not.toContain('not in this run');
    const md = renderCompatibilityMarkdown([a, w]);
    expect(md).toContain("WebKitGTK 2.50.6: WebCore EventSource; network stack libsoup, not Safari's CFNetwork.");
    expect(md).toContain('| Scenario | Chromium 156.0.8078.79 | WebKitGTK 2.50.6 |');
    expect(md).toContain("### WebKitGTK 2.50.6 (WebCore EventSource; network stack libsoup, not Safari's CFNetwork)");
    expect(md).toContain('- **FAIL** `client.last-event-id.id-only-block-updates`: id-only-block: expected request #1: last-event-id: "3"; got last-event-id: "1"');
  });

  it('renders the Markdown table with the same cells and a findings list', () => {
    const md = renderCompatibilityMarkdown([a, b], { htmlHref: 'compatibility.html' });
    expect(md).toContain('| Scenario | Chromium 156.0.8078.79 | undici EventSource 7.30.2 | WebKit (not in this run) |');
    expect(md).toContain('| `client.reconnect.respects-retry-lower-bound` | [PASS 312 ms](compatibility.html#ev-chromium-156-0-8078-79-client-reconnect-respects-retry-lower-bound) | [FAIL 120 ms](compatibility.html#ev-undici-eventsource-7-30-2-client-reconnect-respects-retry-lower-bound) | – |');
    expect(md).toContain('- **NON-STRICT** `client.parse.bom-split-across-chunks`');
  });

  it('report command: merges files, and names a bad file with exit 64', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ssec-report-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(a));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
    writeFileSync(join(dir, 'bad.json'), '{"schema":"other"}');
    expect(await reportCommand.run([join(dir, 'a.json'), join(dir, 'b.json'), '--html', join(dir, 'out/m.html'), '--markdown', join(dir, 'out/m.md')])).toBe(0);
    expect(readFileSync(join(dir, 'out/m.html'), 'utf8')).toContain('undici EventSource 7.30.2');
    expect(readFileSync(join(dir, 'out/m.md'), 'utf8')).toContain('](m.html#ev-');
    await expect(reportCommand.run([join(dir, 'bad.json')])).rejects.toThrow(/bad\.json: not an sse-conformance run result/);
    await expect(reportCommand.run([join(dir, 'missing.json')])).rejects.toThrow(UsageError);
    await expect(reportCommand.run([])).rejects.toThrow(UsageError);
  });
});
