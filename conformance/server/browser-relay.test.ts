// The relay forwards unchanged, records request headers, and ends event streams cleanly on demand.
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type BrowserRelay } from './browser-relay.ts';

let target: http.Server;
let targetUrl: string;
let relay: BrowserRelay;

beforeAll(async () => {
  target = http.createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: last-event-id=${req.headers['last-event-id'] ?? ''}\n\n`);
      return; // stays open
    }
    res.writeHead(404, { 'content-type': 'text/plain', 'x-echo': String(req.headers['x-probe'] ?? '') }).end('nope');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  relay = await startRelay({ headerTimeoutMs: 2000 });
});

afterAll(async () => {
  await relay.close();
  target.closeAllConnections();
  await new Promise<void>((r) => target.close(() => r()));
});

/** GET through the relay as a proxy client does (absolute URI); resolves when the response ends. */
function viaRelay(path: string, headers: Record<string, string>, onData?: (text: string) => void): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const proxy = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, path: `${targetUrl}${path}`, headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; onData?.(body); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('browser relay', () => {
  it('forwards requests and responses unchanged and records the request headers', async () => {
    const r = await viaRelay('/missing', { 'x-probe': 'p1' });
    expect(r).toMatchObject({ status: 404, body: 'nope' });
    expect(r.headers['x-echo']).toBe('p1');
    expect(relay.requests.at(-1)).toMatchObject({ method: 'GET', target: `${targetUrl}/missing`, tunnel: false, status: 404 });
    expect(relay.requests.at(-1)!.headers['x-probe']).toBe('p1');
    // What the browser was offered is kept for the cases: response headers and the body bytes as forwarded.
    expect(relay.requests.at(-1)!.responseHeaders?.['x-echo']).toBe('p1');
    expect([relay.requests.at(-1)!.bytes, Buffer.concat(relay.requests.at(-1)!.body).toString()]).toEqual([4, 'nope']);
  });

  it('ends an open event stream cleanly when asked, and only event streams', async () => {
    const ended = new Promise<{ body: string }>((resolve, reject) => {
      void viaRelay('/stream', { 'last-event-id': '41' }, (body) => {
        if (body.includes('\n\n')) expect(relay.endStreams()).toBe(1);
      }).then(resolve, reject);
    });
    const r = await ended;
    expect(r.body).toBe('data: last-event-id=41\n\n');
    expect(relay.requests.at(-1)!.headers['last-event-id']).toBe('41');
    expect(relay.endStreams()).toBe(0);
  });

  it('answers a request that is not an absolute http URL with 400', async () => {
    const proxy = new URL(relay.url);
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: proxy.hostname, port: proxy.port, path: '/relative', timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    expect(status).toBe(400);
  });

  it('tunnels CONNECT (HTTPS) byte for byte and cuts the tunnel when asked', async () => {
    const proxy = new URL(relay.url);
    const target = new URL(targetUrl);
    const socket = net.connect(Number(proxy.port), proxy.hostname);
    let text = '';
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
      if (text.includes('data: last-event-id=7\n\n')) expect(relay.endStreams()).toBe(1);
    });
    socket.on('error', () => undefined);
    socket.write(`CONNECT ${target.host} HTTP/1.1\r\nHost: ${target.host}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 100));
    // Over the tunnel the client speaks to the target directly (TLS in real use; plain here).
    socket.write(`GET /stream HTTP/1.1\r\nHost: ${target.host}\r\nLast-Event-ID: 7\r\n\r\n`);
    const timer = setTimeout(() => socket.destroy(), 5000);
    await closed;
    clearTimeout(timer);
    expect(text).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(text).toContain('data: last-event-id=7\n\n');
    expect(relay.requests.at(-1)).toMatchObject({ method: 'CONNECT', target: target.host, tunnel: true });
  });
});
