// The playback server over HTTP/2 (h2c and h2 over TLS): scripted chunks arrive as separate DATA
// frames, a scripted reset is RST_STREAM on that stream only, connection-specific script headers are
// dropped, and the request log records the HTTP version and the request headers (no pseudo-headers).
import { rmSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readResponse } from '../../conformance/server/stream-reader.ts';
import { makeThrowawayPki } from '../../conformance/server/throwaway-ca.ts';
import { createTransport } from '../../conformance/server/transport.ts';
import { createPlaybackServer, type PlaybackServer } from './playback.ts';

const pki = makeThrowawayPki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));
const open: PlaybackServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

describe.each([['h2c', false], ['h2 over TLS', true]] as const)('playback over HTTP/2 (%s)', (_name, tls) => {
  const transport = createTransport({ http2: true, ...(tls ? { ca: pki.caPem } : {}) });

  it('plays chunks with their boundaries, ends with END_STREAM, logs the request', async () => {
    const server = await createPlaybackServer({ http2: true, ...(tls ? { tls: { cert: pki.certPem, key: pki.keyPem } } : {}) });
    open.push(server);
    const scenario = server.mount({
      responses: [{ status: 200, headers: { 'content-type': 'text/event-stream', connection: 'keep-alive' }, chunks: [{ text: 'data: a\n\n' }, { text: 'data: b\n\n', delayMs: 150 }] }],
    });
    expect(scenario.url.startsWith(tls ? 'https://' : 'http://')).toBe(true);
    const r = await readResponse({ url: scenario.url, headers: { 'last-event-id': '7' }, headerTimeoutMs: 3000, totalTimeMs: 5000, transport });
    expect(r.end).toBe('eof');
    expect(r.http2?.endStream).toBe(true);
    expect(r.http2?.protocol).toBe(tls ? 'h2' : 'h2c');
    expect(r.events.map((e) => e.data)).toEqual(['a', 'b']);
    expect(r.chunks.length).toBe(2);
    expect(r.chunks[1]!.at - r.chunks[0]!.at).toBeGreaterThan(100);
    expect(Object.keys(r.headers)).not.toContain('connection');
    const logged = scenario.requests[0]!;
    expect(logged.httpVersion).toBe('2.0');
    expect(logged.headers['last-event-id']).toBe('7');
    expect(Object.keys(logged.headers).some((h) => h.startsWith(':'))).toBe(false);
    expect(logged.endedBy).toBe('server-close');
  });

  it('a scripted reset is RST_STREAM on that stream (the session lives on)', async () => {
    const server = await createPlaybackServer({ http2: true, ...(tls ? { tls: { cert: pki.certPem, key: pki.keyPem } } : {}) });
    open.push(server);
    const scenario = server.mount({ responses: [{ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [{ text: 'data: partial' }], end: 'reset', endDelayMs: 50 }] });
    const r = await readResponse({ url: scenario.url, headerTimeoutMs: 3000, totalTimeMs: 5000, transport });
    expect(r.end).toBe('reset');
    expect(r.endDetail).toContain('RST_STREAM INTERNAL_ERROR (2)');
    expect(new TextDecoder().decode(r.body)).toBe('data: partial');
    expect(scenario.requests[0]!.endedBy).toBe('server-reset');
  });
});
