// `check --browser chromium` against the reference server: with defaults every browser case
// PASSes; with ignore-last-event-id and auth-bypass on, the reconnect and 401 cases FAIL (and the
// others still pass). One real Chromium per run; the rest of this file needs no browser.
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceServer, type FaultName } from '../../reference/server/index.ts';
import type { RunResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { BROWSER_CASES, byId, parseBrowserList, probeOrigin, PROBE_ORIGIN_HOST } from './browser.ts';
import { pageHtml, parseReport } from './browser-page.ts';

async function checkThroughChromium(faults: readonly FaultName[], extra: readonly string[] = []): Promise<RunResult> {
  const srv = await createReferenceServer({
    heartbeatMs: 1000, retryMs: 500, faults,
    auth: { tokens: { private: 'reference-secret' } },
    cors: { origins: [`http://${PROBE_ORIGIN_HOST}`], credentials: true },
  });
  try {
    return await runCheck(parseCheckArgs([
      `${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '--protected-url', `${srv.url}/channels/private`,
      '--bearer', 'reference-secret', '--observe', '1000', '--header-timeout', '2000', '--delivery-timeout', '1000',
      // The connection limit has its own test (browser-connections.test.ts).
      '--case', 'server.browser.*', '--exclude', 'server.browser.*.connection-limit', '--browser', 'chromium', '--seed', '7', ...extra,
    ]));
  } finally {
    await srv.close();
  }
}

function verdicts(r: RunResult): Record<string, string> {
  return Object.fromEntries(r.cases.filter((c) => c.verdict !== 'SKIP').map((c) => [c.id.replace('server.browser.chromium.', ''), c.verdict]));
}

function explain(r: RunResult): string {
  return r.cases.filter((c) => c.verdict !== 'SKIP').map((c) => `${c.verdict} ${c.id}: ${c.reason ?? ''}\n${c.evidence.map((e) => `  ${e.label}:\n${e.text.replace(/^/gm, '    ')}`).join('\n')}`).join('\n');
}

describe('check --browser chromium against the reference server', () => {
  it('with defaults: the browser sees what the wire carries, reconnects with Last-Event-ID into the replay, stops on 401, reads cross-origin with credentials', async () => {
    const r = await checkThroughChromium([]);
    expect(verdicts(r), explain(r)).toEqual({
      'dispatch-matches-wire': 'PASS', 'reconnect-replay': 'PASS', '401-stops': 'PASS', 'cross-origin-credentials': 'PASS',
    });
    const replay = r.cases.find((c) => c.id === 'server.browser.chromium.reconnect-replay')!;
    expect(replay.checks.find((c) => c.name === 'last-event-id-sent')?.verdict).toBe('PASS');
    // The relay saw the header on the wire and Chromium's own request log (used for HTTPS) agrees.
    expect(replay.evidence.find((e) => e.kind === 'requests')?.text).toMatch(/Last-Event-ID: "2" \(seen by the relay; browser's request log: "2"\)/);
    // Gate only the lower bound of the spec-bounded delay: never before `retry` (500 ms).
    const delay = replay.measurements.find((m) => m.name === 'reconnect-delay')!.value;
    expect(delay).toBeGreaterThanOrEqual(450);
    expect(r.summary.ok).toBe(true);
  }, 60_000);

  it('with ignore-last-event-id and auth-bypass: the reconnect case and the 401 case FAIL, the others still pass', async () => {
    const r = await checkThroughChromium(['ignore-last-event-id', 'auth-bypass']);
    expect(verdicts(r), explain(r)).toEqual({
      'dispatch-matches-wire': 'PASS', 'reconnect-replay': 'FAIL', '401-stops': 'FAIL', 'cross-origin-credentials': 'PASS',
    });
    const replay = r.cases.find((c) => c.id === 'server.browser.chromium.reconnect-replay')!;
    expect(replay.reason).toContain('a, b already received');
    const stop = r.cases.find((c) => c.id === 'server.browser.chromium.401-stops')!;
    expect(stop.checks.find((c) => c.name === 'refused')).toMatchObject({ verdict: 'FAIL', security: true });
    expect(r.summary.ok).toBe(false);
  }, 60_000);
});

describe('browser cases without a browser', () => {
  const saved = process.env['CHROMIUM_PATH'];
  afterEach(() => {
    if (saved === undefined) delete process.env['CHROMIUM_PATH'];
    else process.env['CHROMIUM_PATH'] = saved;
  });

  it('a missing browser is an ERROR naming the install step, never a pass', async () => {
    process.env['CHROMIUM_PATH'] = '/nonexistent/sse-conformance-chromium';
    const r = await checkThroughChromium([], ['--case', 'server.browser.chromium.401-stops']);
    const c = r.cases.find((x) => x.id === 'server.browser.chromium.401-stops')!;
    expect(c.verdict).toBe('ERROR');
    expect(c.reason).toMatch(/not found at \/nonexistent.*apt-get install -y chromium/);
    expect(r.summary.ok).toBe(false);
  }, 20_000);

  it('--browser takes known names only; the catalog has four stable cases per browser', () => {
    expect(parseBrowserList('chromium, firefox,chromium')).toEqual(['chromium', 'firefox']);
    expect(() => parseBrowserList('safari')).toThrow(/unknown browser "safari" \(use chromium, firefox, webkit\)/);
    expect(() => parseBrowserList(',')).toThrow(/no browser named/);
    expect(() => parseCheckArgs(['http://127.0.0.1:1/', '--browser', 'edge'])).toThrow(/--browser: unknown browser/);
    expect(parseCheckArgs(['http://127.0.0.1:1/']).browsers).toEqual([]);
    expect(() => parseCheckArgs(['http://127.0.0.1:1/', '--area', 'browser'])).toThrow(/--area browser needs --browser/);
    expect(BROWSER_CASES.map((c) => c.id)).toEqual(['chromium', 'firefox', 'webkit'].flatMap((b) => ['dispatch-matches-wire', 'reconnect-replay', '401-stops', 'cross-origin-credentials'].map((k) => `server.browser.${b}.${k}`)));
    expect(probeOrigin('https://example.com:8443/sse')).toBe(`https://${PROBE_ORIGIN_HOST}`);
  });

  it('black-box pairing keys only the events that set a new id (a live stream differs per connection otherwise)', () => {
    const e = (type: string, data: string, lastEventId: string) => ({ type, data, lastEventId });
    const paired = byId([e('m', 'no id yet', ''), e('m', 'one', '1'), e('m', 'carried over', '1'), e('t', 'two', '2'), e('m', 'reset', ''), e('m', 'one again', '1')]);
    expect([...paired.entries()]).toEqual([['1', e('m', 'one again', '1')], ['2', e('t', 'two', '2')]]);
  });

  it('the page cannot be broken out of by its configuration, and malformed reports are dropped', () => {
    const html = pageHtml({ streamUrl: 'http://x/</script><script>alert(1)</script>', withCredentials: false, types: ['a\u2028b'] });
    expect(html.match(/<\/script>/g)).toHaveLength(1);
    expect(html).not.toContain('\u2028');
    expect(html).not.toMatch(/function ssecReport/); // the page must not shadow the exposed binding
    expect(parseReport('{"k":"event","type":"m","data":"d","lastEventId":"1","origin":"o","t":3,"n":4}')).toEqual({ k: 'event', type: 'm', data: 'd', lastEventId: '1', origin: 'o', t: 3, n: 4 });
    expect(html).toContain('report.n = count++'); // page order travels with every report
    expect(parseReport('{"k":"open"}')).toBeUndefined();
    expect(parseReport('not json')).toBeUndefined();
    expect(parseReport('{"k":"event","type":1}')).toBeUndefined();
  });
});
