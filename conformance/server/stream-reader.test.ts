// Hostile targets end a read with a named reason, quickly, never a hang or an unbounded buffer.
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRawTcpTarget, type RawTcpTarget } from './raw-tcp-target.ts';
import { readResponse } from './stream-reader.ts';

let target: RawTcpTarget;
let base = '';

// A raw TCP server so headers and bodies can be as broken as we like.
beforeAll(async () => {
  target = await startRawTcpTarget(({ path, socket, every }) => {
    const head = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n';
    switch (path) {
      case '/endless-line':
        socket.write(`${head}data: `);
        every(1, () => socket.write('x'.repeat(16 * 1024)));
        break;
      case '/endless-headers':
        socket.write('HTTP/1.1 200 OK\r\n');
        every(1, () => socket.write(`x-pad: ${'y'.repeat(1000)}\r\n`));
        break;
      case '/firehose':
        socket.write(head);
        every(1, () => socket.write(`data: ${'z'.repeat(1000)}\n\n`.repeat(64)));
        break;
      case '/drip': {
        socket.write(head);
        const text = 'data: slow\n\n';
        let i = 0;
        every(40, () => socket.write(text[i++ % text.length]!));
        break;
      }
      case '/loop-a': socket.end('HTTP/1.1 302 Found\r\nlocation: /loop-b\r\ncontent-length: 0\r\n\r\n'); break;
      case '/loop-b': socket.end('HTTP/1.1 302 Found\r\nlocation: /loop-a\r\ncontent-length: 0\r\n\r\n'); break;
      case '/reset-before': socket.resetAndDestroy(); break;
      case '/reset-mid': socket.write(`${head}data: half`, () => setTimeout(() => socket.resetAndDestroy(), 20)); break;
      case '/silent': break; // accepts, never answers
      case '/gzip': {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\nconnection: close\r\n\r\nnot gzip at all');
        break;
      }
      default: socket.end(`${head}data: ok\n\n`);
    }
  });
  base = target.base;
});

afterAll(() => target.close());

const read = (path: string, extra: Partial<Parameters<typeof readResponse>[0]> = {}) =>
  readResponse({ url: `${base}${path}`, headerTimeoutMs: 1000, totalTimeMs: 1500, maxBodyBytes: 256 * 1024, maxLineBytes: 32 * 1024, ...extra });

describe('readResponse against hostile targets', () => {
  it('reads a normal stream to EOF and parses events with arrival times', async () => {
    const r = await read('/ok');
    expect(r).toMatchObject({ status: 200, end: 'eof' });
    expect(r.events.map((e) => e.data)).toEqual(['ok']);
    expect(r.headersAt).toBeGreaterThanOrEqual(0);
  });
  it('endless line → line-cap, bounded memory', async () => {
    const r = await read('/endless-line');
    expect(r.end).toBe('line-cap');
    expect(r.body.byteLength).toBeLessThanOrEqual(32 * 1024 + 16);
  });
  it('never-ending headers → header-overflow', async () => {
    const r = await read('/endless-headers');
    expect(r.end).toBe('header-overflow');
    expect(r.status).toBe(0);
  });
  it('gigabytes of data → byte-cap at the limit', async () => {
    const r = await read('/firehose');
    expect(r.end).toBe('byte-cap');
    expect(r.body.byteLength).toBe(256 * 1024);
  });
  it('slow drip → time-up with what arrived', async () => {
    const r = await read('/drip', { totalTimeMs: 600 });
    expect(r.end).toBe('time-up');
    expect(r.elapsedMs).toBeLessThan(1000);
    expect(r.body.byteLength).toBeGreaterThan(0);
  });
  it('redirect loop → redirect-loop naming the URLs', async () => {
    const r = await read('/loop-a');
    expect(r.end).toBe('redirect-loop');
    expect(r.endDetail).toMatch(/loop-b -> .*loop-a/);
  });
  it('connection reset before and after headers', async () => {
    expect((await read('/reset-before')).end).toBe('reset');
    const mid = await read('/reset-mid');
    expect(mid.status).toBe(200);
    expect(mid.end).toBe('reset');
  });
  it('a silent server → header-timeout', async () => {
    const r = await read('/silent', { headerTimeoutMs: 300 });
    expect(r.end).toBe('header-timeout');
    expect(r.elapsedMs).toBeLessThan(800);
  });
  it('refused connection and DNS failure → unreachable; bad URL → bad-url', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect((await readResponse({ url: `http://127.0.0.1:${port}/`, headerTimeoutMs: 1000, totalTimeMs: 1000 })).end).toBe('unreachable');
    const dns = await readResponse({ url: 'http://sse-conformance-test.invalid/', headerTimeoutMs: 2000, totalTimeMs: 2000 });
    expect(['unreachable', 'header-timeout']).toContain(dns.end);
    expect((await readResponse({ url: 'ftp://x/', headerTimeoutMs: 100, totalTimeMs: 100 })).end).toBe('bad-url');
  });
  it('broken gzip → decode-error when decompressing', async () => {
    expect((await read('/gzip', { decompress: true })).end).toBe('decode-error');
  });
  it('aborts promptly on the signal', async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 100);
    const r = await read('/drip', { totalTimeMs: 5000, signal: c.signal });
    expect(r.end).toBe('aborted');
  });
});

describe('readResponse with node:http', () => {
  it('follows a redirect and reports it', async () => {
    const srv = http.createServer((req, res) => {
      if (req.url === '/from') res.writeHead(307, { location: '/to' }).end();
      else res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: moved\n\n');
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const r = await readResponse({ url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/from`, headerTimeoutMs: 1000, totalTimeMs: 1000 });
      expect(r.redirects.map((x) => x.status)).toEqual([307]);
      expect(r.events[0]?.data).toBe('moved');
    } finally {
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    }
  });
});
