import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkBytes, createPlaybackServer, type PlaybackServer } from './playback.ts';

let server: PlaybackServer;
beforeAll(async () => {
  server = await createPlaybackServer();
});
afterAll(async () => {
  await server.close();
});

/** GETs a URL and returns status, headers and the body as the list of pieces read from the socket. */
function get(url: string, headers: Record<string, string> = {}, maxMs = 2000): Promise<{ status: number; headers: Record<string, unknown>; pieces: Buffer[]; error?: string }> {
  return new Promise((resolve) => {
    const pieces: Buffer[] = [];
    const req = request(url, { headers }, (res) => {
      const timer = setTimeout(() => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, pieces, error: 'timeout' });
      }, maxMs);
      res.on('data', (d: Buffer) => pieces.push(d));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, pieces });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, pieces, error: e.message });
      });
    });
    req.on('error', (e) => resolve({ status: 0, headers: {}, pieces, error: e.message }));
    req.end();
  });
}

describe('playback server', () => {
  it('decodes chunk bytes from text, hex and base64 and rejects ambiguous chunks', () => {
    expect(chunkBytes({ text: 'é' })).toEqual(Buffer.from([0xc3, 0xa9]));
    expect(chunkBytes({ hex: 'ef bb bf' })).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(chunkBytes({ base64: 'AP8=' })).toEqual(Buffer.from([0, 255]));
    expect(() => chunkBytes({ text: 'a', hex: '61' })).toThrow(TypeError);
    expect(() => chunkBytes({ hex: 'abc' })).toThrow(TypeError);
  });

  it('answers request N with response N and logs each request with its headers', async () => {
    const m = server.mount({
      responses: [
        { status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [{ text: 'data: a\r' }, { text: '\n\n', delayMs: 30 }] },
        { status: 401 },
      ],
      afterScript: { status: 204 },
    });
    const first = await get(m.url, { 'Last-Event-ID': 'x' });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toBe('text/event-stream');
    expect(first.pieces.map((p) => p.toString())).toEqual(['data: a\r', '\n\n']); // boundary kept
    expect((await get(m.url)).status).toBe(401);
    expect((await get(`${m.url}again`)).status).toBe(204);
    expect(m.requests.map((r) => [r.index, r.path, r.status])).toEqual([[0, '/', 200], [1, '/', 401], [2, '/again', 204]]);
    expect(m.requests[0]!.headers['last-event-id']).toBe('x');
    expect(m.requests[0]!.endedBy).toBe('server-close');
    expect(m.requests[0]!.endedAt! - m.requests[0]!.time).toBeGreaterThanOrEqual(25);
  });

  it('resolves ./ redirects inside the scenario prefix, hangs and resets on request', async () => {
    const m = server.mount({
      responses: [
        { status: 302, headers: { location: './moved' } },
        { status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [{ text: 'data: x\n\n' }], end: 'hang' },
        { status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [{ text: 'data: y\n' }], end: 'reset' },
      ],
    });
    const redirect = await get(m.url);
    expect(redirect.status).toBe(302);
    expect(redirect.headers['location']).toBe(`/p/${m.key}/moved`);
    const hung = await get(`${server.url}/p/${m.key}/moved`, {}, 150);
    expect(hung.error).toBe('timeout');
    expect(hung.pieces.join('')).toBe('data: x\n\n');
    const reset = await get(m.url);
    expect(reset.error).toBeDefined();
    expect(m.requests[2]!.endedBy).toBe('server-reset');
    expect(server.requests.filter((r) => r.scenario === m.key)).toHaveLength(3);
  });

  it('serves static resources and 404s unknown scenarios (logged as unmatched)', async () => {
    server.setStatic('/page.html', { contentType: 'text/html', body: '<p>hi</p>' });
    const page = await get(`${server.url}/page.html`);
    expect(Buffer.concat(page.pieces).toString()).toBe('<p>hi</p>');
    expect((await get(`${server.url}/p/nope/`)).status).toBe(404);
    expect(server.requests.at(-1)!.scenario).toBe('');
  });
});
