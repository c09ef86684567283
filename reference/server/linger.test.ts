// Early answers to requests with a body the server does not read (a 413 for an oversized publish,
// a 401 before the body, a 404 on a POST to an unknown path) must reach the publisher: the server
// keeps reading and discarding the body for a bounded time (lingering close), because closing a
// socket with unread bytes makes the kernel answer with RST and the client can lose the answer.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceServer, type ReferenceServer } from './index.ts';

let srv: ReferenceServer;
beforeAll(async () => {
  srv = await createReferenceServer({ heartbeatMs: 0, maxPublishBytes: 1024, publishToken: 'pub' });
});
afterAll(() => srv.close());

/**
 * POSTs `size` bytes over a raw socket the way a busy publisher does: it writes the whole body before
 * it reads anything, then reads the answer. Resolves with the status and body it could read, or the
 * error it got instead (a server that closed with unread bytes resets the connection, which throws
 * away the answer waiting in the client's receive buffer).
 */
function bigPost(path: string, size: number, headers: Record<string, string> = {}): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port: srv.port });
    sock.pause();
    let received = '';
    let settled = false;
    const finish = (r: { status?: number; body?: string; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ error: `no complete answer within 20 s (read ${JSON.stringify(received.slice(0, 80))})` }), 20_000);
    const parse = () => {
      const head = received.indexOf('\r\n\r\n');
      if (head < 0) return;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(received.slice(0, head))?.[1] ?? 0);
      if (received.length >= head + 4 + length) finish({ status, body: received.slice(head + 4, head + 4 + length) });
    };
    sock.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      parse();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ error: `${e.code ?? e.message} (read ${JSON.stringify(received.slice(0, 40))})` }));
    sock.on('close', () => finish({ error: `closed (read ${JSON.stringify(received.slice(0, 40))})` }));
    sock.once('connect', async () => {
      const extra = Object.entries({ Authorization: 'Bearer pub', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n${extra}\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      for (let sent = 0; sent < size && !settled && !sock.destroyed; sent += chunk.length) {
        if (!sock.write(sent + chunk.length <= size ? chunk : chunk.subarray(0, size - sent))) {
          await new Promise<void>((r) => { sock.once('drain', r); sock.once('close', r); });
        }
      }
      // Only now read the answer.
      sock.resume();
    });
  });
}

describe('lingering close: early answers are readable, not reset', () => {
  it('a 20 MiB publish gets a readable 413 every time, with the server busy', async () => {
    // Keep the event loop busy in bursts while the uploads run (what "under CPU load" did to the old server).
    let busy = true;
    const burn = (async () => {
      while (busy) {
        const until = Date.now() + 30;
        while (Date.now() < until) { /* spin */ }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => bigPost(`/channels/big`, 20 * 1024 * 1024)));
      for (const r of results) {
        expect(r.error, JSON.stringify(r)).toBeUndefined();
        expect(r.status).toBe(413);
        expect(JSON.parse(r.body!)).toEqual({ error: 'publish body exceeds 1024 bytes' });
      }
    } finally {
      busy = false;
      await burn;
    }
  }, 60_000);

  it('the same for answers given before the body is read: 401 without the publish token, 404 on an unknown path', async () => {
    const unauthorized = await bigPost('/channels/big', 4 * 1024 * 1024, { Authorization: 'Bearer wrong' });
    expect(unauthorized.status).toBe(401);
    const notFound = await bigPost('/nowhere', 4 * 1024 * 1024);
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatch(/no route/);
  }, 30_000);

  it('stops lingering on a client that sends nothing more: the connection is cut after the idle limit', async () => {
    const sock = connect({ host: '127.0.0.1', port: srv.port });
    await new Promise((r) => sock.once('connect', r));
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      sock.once('close', () => resolve(Date.now() - t0));
    });
    // Declares 10 MiB, sends 2 KiB, then goes quiet.
    sock.write(`POST /channels/quiet HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer pub\r\nContent-Type: application/json\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n${'x'.repeat(2048)}`);
    const ms = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
    sock.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    // Not at once (it lingers, waiting for the rest), but after the idle limit (2 s), not never.
    expect(ms).toBeGreaterThanOrEqual(1500);
    expect(ms).toBeLessThan(12_000);
  }, 20_000);
});
