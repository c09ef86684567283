// The connection-limit case in real Chromium: eight EventSources from one page against the
// reference server over HTTP/1.1 (six open, two stall: INFO with the fixes) and over HTTP/2 with TLS
// (all eight open on one connection: PASS). A missing Chromium fails (the case is an ERROR).
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createReferenceServer } from '../../reference/server/index.ts';
import type { CaseResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { connectionsPageHtml, HTTP1_PER_HOST, STREAMS } from './browser-connections.ts';
import { makeThrowawayPki } from './throwaway-ca.ts';

const pki = makeThrowawayPki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

async function connectionLimit(http2: boolean): Promise<CaseResult> {
  const srv = await createReferenceServer({ heartbeatMs: 1000, ...(http2 ? { http2: true, tls: { cert: pki.certPem, key: pki.keyPem } } : {}) });
  try {
    const r = await runCheck(parseCheckArgs([
      `${srv.url}/channels/{channel}`, '--browser', 'chromium', '--case', 'server.browser.chromium.connection-limit', '--header-timeout', '2000', '--seed', '5',
      ...(http2 ? ['--http2', '--ca', pki.caFile] : []),
    ]));
    return r.cases.find((c) => c.id === 'server.browser.chromium.connection-limit')!;
  } finally {
    await srv.close();
  }
}

function explain(c: CaseResult): string {
  return `${c.verdict}: ${c.reason ?? ''}\n${c.checks.map((k) => k.actual).join('\n')}\n${c.evidence.map((e) => `${e.label}:\n${e.text}`).join('\n')}`;
}

describe('server.browser.<browser>.connection-limit', () => {
  it('over HTTP/1.1 six of eight open and the rest stall: INFO with the fixes and the observed number', async () => {
    const c = await connectionLimit(false);
    expect(c.verdict, explain(c)).toBe('INFO');
    expect(c.measurements.find((m) => m.name === 'streams-opened')?.value, explain(c)).toBe(HTTP1_PER_HOST);
    expect(c.checks[0]!.actual).toContain('#7 and #8 stalled');
    expect(c.checks[0]!.actual).toContain('http/1.1');
    expect(c.checks[0]!.actual).toMatch(/HTTP\/2.*one EventSource per page/);
  }, 60_000);

  it('over HTTP/2 (TLS, the run\'s CA trusted for this launch only) all eight open on one connection: PASS', async () => {
    const c = await connectionLimit(true);
    expect(c.verdict, explain(c)).toBe('PASS');
    expect(c.measurements.find((m) => m.name === 'streams-opened')?.value).toBe(STREAMS);
    expect(c.checks[0]!.actual).toContain('h2');
  }, 60_000);

  it('the page cannot be broken out of by its URL', () => {
    const html = connectionsPageHtml('http://x/</script><script>alert(1)</script>', 8);
    expect(html).not.toContain('</script><script>');
  });
});
