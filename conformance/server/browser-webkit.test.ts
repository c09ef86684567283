// `check --browser webkit` against the reference server through real WebKitGTK (WebKitWebDriver +
// MiniBrowser under a private Xvfb; CI installs it, a machine without it FAILS here), plus the
// WebKit pitfalls the cases must survive: a Basic challenge (MiniBrowser's own login dialog) and
// a 401 whose body never ends both leave the page CONNECTING; the case ends by its own limits
// with the reason, never a verdict about the browser.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceServer } from '../../reference/server/index.ts';
import type { RunResult } from '../model.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import type { WebKitLaunchedBrowser } from '../browsers.ts';
import { liveWebKitGroups } from '../webkit.ts';
import { PROBE_ORIGIN_HOST } from './browser.ts';
import { BrowserSessionUnsupportedError, LoopbackAliases, openWebKitSession } from './browser-webkit.ts';

afterEach(() => {
  // Every run closes its browsers: no display, driver or MiniBrowser outlives it.
  expect(liveWebKitGroups()).toEqual([]);
});

function verdicts(r: RunResult): Record<string, string> {
  return Object.fromEntries(r.cases.filter((c) => c.verdict !== 'SKIP').map((c) => [c.id.replace('server.browser.webkit.', ''), c.verdict]));
}

function explain(r: RunResult): string {
  return r.cases.filter((c) => c.verdict !== 'SKIP').map((c) => `${c.verdict} ${c.id}: ${c.reason ?? ''}\n${c.evidence.map((e) => `  ${e.label}:\n${e.text.replace(/^/gm, '    ')}`).join('\n')}`).join('\n');
}

describe('check --browser webkit', () => {
  it('against the reference server: same events as the wire, reconnect with Last-Event-ID into the replay, stops on 401, cross-origin with credentials', async () => {
    const srv = await createReferenceServer({
      heartbeatMs: 1000, retryMs: 500, auth: { tokens: { private: 'reference-secret' } }, cors: { origins: [`http://${PROBE_ORIGIN_HOST}`], credentials: true },
    });
    let r: RunResult;
    try {
      r = await runCheck(parseCheckArgs([
        `${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '--protected-url', `${srv.url}/channels/private`,
        '--bearer', 'reference-secret', '--observe', '1000', '--header-timeout', '2000', '--delivery-timeout', '1000',
        '--case', 'server.browser.*', '--exclude', 'server.browser.*.connection-limit', '--browser', 'webkit', '--seed', '7', '--quiet',
      ]));
    } finally {
      await srv.close();
    }
    expect(verdicts(r), explain(r)).toEqual({ 'dispatch-matches-wire': 'PASS', 'reconnect-replay': 'PASS', '401-stops': 'PASS', 'cross-origin-credentials': 'PASS' });
    const replay = r.cases.find((c) => c.id === 'server.browser.webkit.reconnect-replay')!;
    // The version comes from the WebDriver session; the loopback target was reached under an alias, and the evidence says so.
    expect(replay.evidence.find((e) => e.label === 'browser')?.text).toMatch(/^WebKitGTK \d+\.\d+\.\d+; page http:\/\/127\.0\.0\.1:\d+\/__sse_conformance__\/page\.html; WebDriver session through the harness's proxy; loopback under an alias: 127\.0\.0\.1:\d+ as ssec-loopback-0\.test:\d+/);
    expect(replay.evidence.find((e) => e.kind === 'requests')?.text).toMatch(/Last-Event-ID: "2" \(seen by the relay\)/);
    expect(replay.measurements.find((m) => m.name === 'reconnect-delay')!.value).toBeGreaterThanOrEqual(450);
    const cors = r.cases.find((c) => c.id === 'server.browser.webkit.cross-origin-credentials')!;
    // MessageEvent.origin is the target's real origin (mapped back from the alias), as in the other engines.
    expect(cors.checks.find((c) => c.name === 'event-delivered')?.verdict).toBe('PASS');
  }, 90_000);

  it('a Cookie header from the configuration reaches WebKit as cookies set through WebDriver (every channel needs the token here)', async () => {
    const srv = await createReferenceServer({ heartbeatMs: 1000, retryMs: 500, auth: { tokens: { '*': 'cookie-secret' } } });
    let r: RunResult;
    try {
      r = await runCheck(parseCheckArgs([
        `${srv.url}/channels/{channel}`, '--publish', `${srv.url}/channels/{channel}`, '-H', 'Cookie: sse_token=cookie-secret',
        '--header-timeout', '2000', '--case', 'server.browser.webkit.dispatch-matches-wire', '--browser', 'webkit', '--seed', '7', '--quiet',
      ]));
    } finally {
      await srv.close();
    }
    // Without the cookie the browser's request would get 401 and the browser would not open the stream.
    expect(verdicts(r), explain(r)).toEqual({ 'dispatch-matches-wire': 'PASS' });
    expect(r.cases.find((c) => c.verdict === 'PASS')!.evidence.find((e) => e.kind === 'requests')?.text).toMatch(/-> 200/);
  }, 60_000);

  for (const pitfall of ['basic', 'endless-body'] as const) {
    it(`401-stops is UNSUPPORTED with the reason when ${pitfall === 'basic' ? 'a Basic challenge opens WebKit\'s own login dialog' : 'the 401 body never ends'}, and ends by its limits`, async () => {
      const target = await createReferenceServer({ heartbeatMs: 1000, retryMs: 500 });
      const protectedServer = http.createServer((_req, res) => {
        if (pitfall === 'basic') {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="ssec"', 'content-type': 'text/plain' }).end('no\n');
        } else {
          res.writeHead(401, { 'www-authenticate': 'Bearer realm="ssec"', 'content-type': 'text/plain' });
          res.write('refused, and this body never ends\n');
        }
      });
      await new Promise<void>((resolve) => protectedServer.listen(0, '127.0.0.1', resolve));
      const started = performance.now();
      let r: RunResult;
      try {
        r = await runCheck(parseCheckArgs([
          `${target.url}/channels/{channel}`, '--protected-url', `http://127.0.0.1:${(protectedServer.address() as AddressInfo).port}/stream`,
          '--header-timeout', '2000', '--case', 'server.browser.webkit.401-stops', '--browser', 'webkit', '--seed', '7', '--quiet',
        ]));
      } finally {
        protectedServer.closeAllConnections();
        await new Promise((resolve) => protectedServer.close(resolve));
        await target.close();
      }
      const c = r.cases.find((x) => x.id === 'server.browser.webkit.401-stops')!;
      expect(c.verdict, explain(r)).toBe('UNSUPPORTED');
      expect(c.reason).toMatch(pitfall === 'basic' ? /WWW-Authenticate: Basic, which WebKitGTK answers with its own login dialog that WebDriver cannot see or dismiss/ : /HTTP 401 response's body had not ended/);
      // What the browser did is still shown: one request, answered 401, and no error event.
      expect(c.evidence.find((e) => e.kind === 'requests')?.text).toMatch(/-> 401/);
      expect(c.evidence.find((e) => e.kind === 'events')?.text).toBe('(nothing)');
      expect(performance.now() - started).toBeLessThan(25_000);
    }, 60_000);
  }

  it('an HTTPS target is UNSUPPORTED in WebKit before anything starts (no interception: no page at an https: origin)', async () => {
    const notStarted = { name: 'webkit', version: 'WebKitGTK 0.0.0', host: { openSession: () => { throw new Error('must not start a session'); } } } as unknown as WebKitLaunchedBrowser;
    await expect(openWebKitSession({ browser: notStarted, pageOrigin: 'https://example.test', page: { streamUrl: 'https://example.test/s', withCredentials: false, types: [] }, headerTimeoutMs: 1000 }))
      .rejects.toThrow(BrowserSessionUnsupportedError);
  });

  it('loopback aliases: only loopback hosts get one, with the port kept, and everything maps back', () => {
    const a = new LoopbackAliases();
    expect(a.forBrowser('http://example.com:8080/x')).toBe('http://example.com:8080/x');
    expect(a.used).toBe(false);
    const browserUrl = a.forBrowser('http://127.0.0.1:8080/x?y=1');
    expect(browserUrl).toBe('http://ssec-loopback-0.test:8080/x?y=1');
    expect(a.forBrowser('http://127.0.0.1:8080/other')).toBe('http://ssec-loopback-0.test:8080/other');
    expect(a.forBrowser('http://localhost:9/')).toBe('http://ssec-loopback-1.test:9/');
    expect(a.forBrowser('http://[::1]:7/')).toBe('http://ssec-loopback-2.test:7/');
    expect(a.real(browserUrl)).toBe('http://127.0.0.1:8080/x?y=1');
    expect(a.real('http://sse-conformance.test/p')).toBe('http://sse-conformance.test/p');
    expect(a.realOrigin('http://ssec-loopback-0.test:8080')).toBe('http://127.0.0.1:8080');
    expect(a.realOrigin('http://ssec-loopback-0.test:8080/page.html')).toBe('http://127.0.0.1:8080/page.html');
    expect(a.realOrigin('http://ssec-loopback-0.test:80800')).toBe('http://ssec-loopback-0.test:80800');
    expect(a.describe()).toBe('127.0.0.1:8080 as ssec-loopback-0.test:8080, localhost:9 as ssec-loopback-1.test:9, [::1]:7 as ssec-loopback-2.test:7');
  });
});
