// Browser verdicts judged from what the browser and its connection actually got, not from the
// harness's own timing (issue 10): a server that sends its history in one write on connect, and a
// compressing layer that holds events back from a browser (which asks for gzip) while the harness's
// connection (which does not) reads them. Real Chromium, one launch per check run.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseResult, RunResult } from '../model.ts';
import { createReferenceServer } from '../../reference/server/index.ts';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import type { RelayedRequest } from './browser-relay.ts';
import { offeredTo } from './browser-wire.ts';
import { owedToBrowser } from './browser.ts';

const BURST = Array.from({ length: 6 }, (_, i) => `id: ${i + 1}\ndata: history ${i + 1}\n\n`);

/**
 * `/burst`: the retained history (ids 1..6) in one write on connect, then only what follows the
 * client's Last-Event-ID (a replaying channel/history server); `/burst-forgetful` sends the whole
 * history on every connection. `/gzip`: the same six events, but
 * gzip-compressed when the request accepts gzip, through a compressor that is never flushed (a
 * framework's compression middleware): such a client gets no byte of the body; `/gzip-flushed`
 * flushes the compressor after writing, as compression done right for event streams does.
 */
function startTarget(): Promise<{ url: string; requests: { path: string; lastEventId: string | undefined; acceptEncoding: string | undefined }[]; close(): Promise<void> }> {
  const requests: { path: string; lastEventId: string | undefined; acceptEncoding: string | undefined }[] = [];
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const lastEventId = req.headers['last-event-id'] as string | undefined;
    const acceptEncoding = req.headers['accept-encoding'];
    requests.push({ path, lastEventId, acceptEncoding });
    open.add(res);
    res.on('close', () => open.delete(res));
    if (path === '/burst' || path === '/burst-forgetful') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      // The forgetful variant ignores Last-Event-ID: every connection gets the whole history again.
      const from = lastEventId === undefined || path === '/burst-forgetful' ? 0 : Number(lastEventId);
      res.write(`retry: 300\n\n${BURST.slice(from).join('')}`);
    } else if (path === '/gzip' || path === '/gzip-flushed') {
      if (/\bgzip\b/.test(acceptEncoding ?? '')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'content-encoding': 'gzip', vary: 'accept-encoding' });
        res.flushHeaders();
        const gzip = zlib.createGzip();
        gzip.pipe(res);
        gzip.write(BURST.join('')); // without flush() the compressor keeps the small body to itself
        if (path === '/gzip-flushed') gzip.flush();
        res.on('close', () => gzip.destroy());
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', vary: 'accept-encoding' });
        res.write(BURST.join(''));
      }
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    resolve({
      url: `http://127.0.0.1:${port}`,
      requests,
      async close() {
        for (const r of open) r.destroy();
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
      },
    });
  }));
}

function explain(c: CaseResult | undefined): string {
  return c ? `${c.verdict}: ${c.reason ?? ''}\n${c.checks.map((k) => `  ${k.verdict} ${k.name}: ${k.actual}`).join('\n')}\n${c.evidence.map((e) => `  ${e.label}:\n${e.text.replace(/^/gm, '    ')}`).join('\n')}` : 'no such case';
}

describe('offeredTo: what the relay forwarded, decoded as the browser decodes it', () => {
  const relayed = (body: Buffer, headers: Record<string, string> = {}): RelayedRequest =>
    ({ method: 'GET', target: 'http://x/', tunnel: false, at: 0, headers: {}, responseHeaders: headers, bytes: body.length, body: [body] });

  it('an id-only block sets the last event ID without an event; an event cut off by the end does not', () => {
    const o = offeredTo(relayed(Buffer.from('id: 1\ndata: a\n\nid: 2\n\nid: 3\ndata: cut')));
    expect(o.events.map((e) => e.data)).toEqual(['a']);
    expect([o.lastEventId, o.complete, o.encoding]).toEqual(['2', true, undefined]);
  });

  it('decodes an unfinished gzip stream up to what was flushed; held-back input yields nothing', () => {
    const gzip = zlib.createGzip();
    const out: Buffer[] = [];
    gzip.on('data', (b: Buffer) => out.push(b));
    gzip.write('id: 1\ndata: a\n\n');
    return new Promise<void>((done) => gzip.flush(() => {
      gzip.write('id: 2\ndata: b\n\n'); // written, never flushed
      const o = offeredTo(relayed(Buffer.concat(out), { 'content-encoding': 'gzip' }));
      expect([o.events.length, o.lastEventId, o.complete]).toEqual([1, '1', true]);
      expect(offeredTo(relayed(Buffer.alloc(0), { 'content-encoding': 'gzip' }))).toMatchObject({ bytes: 0, events: [], complete: true });
      const unknown = offeredTo(relayed(Buffer.from('xx'), { 'content-encoding': 'zstd-future' }));
      expect([unknown.decodedBytes, unknown.complete]).toEqual([undefined, false]);
      gzip.destroy();
      done();
    }));
  });
});

describe('owedToBrowser: which of the harness\'s events the browser had a chance to get', () => {
  const ev = (data: string, lastEventId: string, at: number, type = 'message') => ({ type, data, lastEventId, at });
  // The harness connected at 1000; the browser's stream opened at 1200; the window ended at 3000.
  const when = { readStart: 1000, browserOpen: 1200, windowEnd: 3000, types: new Set(['message']) };

  it('history sent to every connection is owed even when the harness got it before the browser connected', () => {
    const history = [ev('h1', '1', 5), ev('h2', '2', 5)];
    expect(owedToBrowser(history, { ...when, primary: history }).map((e) => e.data)).toEqual(['h1', 'h2']);
  });

  it('a live event is owed only while the browser\'s stream was open, with 500 ms to spare; id-less repeats are not history', () => {
    const live = [ev('before', '7', 100), ev('during', '8', 900), ev('too late', '9', 1700), ev('tick', '', 50), ev('other type', '10', 900, 'x')];
    expect(owedToBrowser(live, { ...when, primary: [ev('tick', '', 40)] }).map((e) => e.data)).toEqual(['during']);
  });
});

describe('browser cases judge what the browser got (real Chromium)', () => {
  let target: Awaited<ReturnType<typeof startTarget>>;
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await target.close();
  });

  async function run(path: string, caseId: string): Promise<{ run: RunResult; c: CaseResult | undefined }> {
    const r = await runCheck(parseCheckArgs([`${target.url}${path}`, '--case', caseId, '--browser', 'chromium', '--observe', '1000', '--header-timeout', '2000', '--seed', '7']));
    return { run: r, c: r.cases.find((x) => x.id === caseId) };
  }

  it('a server sending ids 1..6 in one write on connect: the reconnect carrying Last-Event-ID 6 PASSes (no false FAIL against id 1)', async () => {
    const { c } = await run('/burst', 'server.browser.chromium.reconnect-replay');
    expect(c?.verdict, explain(c)).toBe('PASS');
    const sent = c!.checks.find((k) => k.name === 'last-event-id-sent')!;
    expect(sent.expected).toContain('Last-Event-ID: "6"');
    expect(sent.actual).toMatch(/^"6"; the browser dispatched 6 event\(s\)/);
    // The target saw the same header: the verdict rests on the wire, not on the harness's cut.
    expect(target.requests.filter((r) => r.path === '/burst' && r.lastEventId !== undefined).map((r) => r.lastEventId)).toEqual(['6']);
  }, 60_000);

  it('the same burst from a server that ignores Last-Event-ID still FAILs: the events the browser had come again', async () => {
    const { c } = await run('/burst-forgetful', 'server.browser.chromium.reconnect-replay');
    expect(c?.verdict, explain(c)).toBe('FAIL');
    expect(c!.checks.find((k) => k.name === 'last-event-id-sent')?.verdict).toBe('PASS');
    expect(c!.checks.find((k) => k.name === 'no-duplicates')).toMatchObject({ verdict: 'FAIL', actual: expect.stringMatching(/^ids sent again: "1", "2", "3", "4", "5"/) });
  }, 60_000);

  it('compression middleware holding events back from the browser: NON_STRICT naming gzip, not "nothing to compare"', async () => {
    const { c, run: r } = await run('/gzip', 'server.browser.chromium.dispatch-matches-wire');
    const received = c?.checks.find((k) => k.name === 'browser-received');
    expect(received?.verdict, explain(c)).toBe('NON_STRICT');
    expect(received!.actual).toMatch(/dispatched no event at all: the browser's response was compressed \(Content-Encoding: gzip\) because the browser asked for it \(Accept-Encoding: [^)]*gzip/);
    // At most the gzip header got through: nothing that decodes to an event.
    expect(received!.actual).toMatch(/the relay forwarded \d+ bytes \(Content-Encoding: gzip, 0 bytes decoded\): 0 complete event/);
    expect(received!.expected).toContain('parsed 6');
    expect(c!.checks.some((k) => k.name === 'same-events')).toBe(false);
    expect(c!.verdict).toBe('NON_STRICT');
    expect(r.summary.ok).toBe(true); // a SHOULD-level finding: only --strict fails the run on it
  }, 60_000);

  it('cooperative: the published events held back from the browser by unflushed gzip FAIL with the cause named', async () => {
    // The reference server behind a compressing proxy that never flushes; publishing goes to the server directly.
    const ref = await createReferenceServer({ heartbeatMs: 60_000, retryMs: 500 });
    const proxy = http.createServer((req, res) => {
      const upstream = http.get(`${ref.url}${req.url ?? '/'}`, { headers: { accept: 'text/event-stream' } }, (up) => {
        const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        if (!gzip) { up.pipe(res); return; }
        const z = zlib.createGzip();
        up.pipe(z).pipe(res);
        res.on('close', () => { up.destroy(); z.destroy(); });
      });
      res.on('close', () => upstream.destroy());
    });
    await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const id = 'server.browser.chromium.dispatch-matches-wire';
      const r = await runCheck(parseCheckArgs([`${proxyUrl}/channels/{channel}`, '--publish', `${ref.url}/channels/{channel}`, '--case', id, '--browser', 'chromium',
        '--header-timeout', '2000', '--delivery-timeout', '1000', '--seed', '7']));
      const c = r.cases.find((x) => x.id === id);
      expect(c?.verdict, explain(c)).toBe('FAIL');
      expect(c!.checks.find((k) => k.name === 'same-events')?.actual).toMatch(/\(browser 0, wire 5\); the browser's response was compressed \(Content-Encoding: gzip\)/);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((done) => proxy.close(() => done()));
      await ref.close();
    }
  }, 60_000);

  it('the same stream compressed and flushed per write PASSes: compression itself is no finding', async () => {
    const { c } = await run('/gzip-flushed', 'server.browser.chromium.dispatch-matches-wire');
    expect(c?.verdict, explain(c)).toBe('PASS');
    expect(c!.checks.find((k) => k.name === 'same-events')?.actual).toMatch(/^6 events with ids seen by both are identical/);
    expect(c!.checks.some((k) => k.name === 'browser-received')).toBe(false);
  }, 60_000);
});
