// The HTTP/2 rules against a target Node's own http2 server cannot imitate: a raw h2c server that
// writes its frames by hand and sends `Connection: keep-alive` in a response (Node and nginx refuse
// to). The harness's client rejects that response as malformed (RFC 9113 §8.2.2) and
// server.http2.no-connection-headers FAILs naming it; plus the unfinished-event helper.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { unfinishedTail } from './http2.ts';

/** One HTTP/2 frame: 24-bit length, type, flags, stream id. */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK "literal header field without indexing, new name" (RFC 7541 §6.2.2), short strings only. */
function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]);
}

/** Answers every request stream with 200, the given extra header and one event (never ends). */
async function rawH2(extra: [string, string] | undefined): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let prefaceSeen = false;
    socket.write(frame(0x4, 0, 0, Buffer.alloc(0))); // our SETTINGS (none)
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      if (!prefaceSeen) {
        if (buffered.length < 24) return;
        buffered = buffered.subarray(24);
        prefaceSeen = true;
      }
      while (buffered.length >= 9) {
        const length = buffered.readUIntBE(0, 3);
        if (buffered.length < 9 + length) return;
        const type = buffered[3]!;
        const flags = buffered[4]!;
        const stream = buffered.readUInt32BE(5) & 0x7fffffff;
        buffered = buffered.subarray(9 + length);
        if (type === 0x4 && !(flags & 0x1)) socket.write(frame(0x4, 0x1, 0, Buffer.alloc(0))); // SETTINGS ack
        if (type === 0x1) {
          const block = Buffer.concat([Buffer.from([0x88]) /* :status 200 */, literal('content-type', 'text/event-stream'), ...(extra ? [literal(extra[0], extra[1])] : [])]);
          socket.write(frame(0x1, 0x4 /* END_HEADERS */, stream, block));
          socket.write(frame(0x0, 0, stream, Buffer.from('retry: 1000\n\ndata: hello\n\n')));
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/events`, server, sockets };
}

const open: { server: Server; sockets: Set<Socket> }[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) {
    for (const s of t.sockets) s.destroy();
    await new Promise((r) => t.server.close(r));
  }
});

describe('server.http2.no-connection-headers', () => {
  it('a response with Connection: keep-alive over h2 is rejected as malformed: FAIL, named', async () => {
    const t = await rawH2(['connection', 'keep-alive']);
    open.push(t);
    const r = await runCheck(parseCheckArgs([t.url, '--http2', '--case', 'server.http2.no-connection-headers', '--observe', '500', '--header-timeout', '2000', '--seed', '1']));
    const c = r.cases.find((x) => x.id === 'server.http2.no-connection-headers')!;
    expect(c.verdict, JSON.stringify(c.checks)).toBe('FAIL');
    expect(c.checks[0]!.actual).toMatch(/rejected the response as malformed.*PROTOCOL_ERROR|connection-specific/);
  });

  it('control: the same raw server without it PASSes (the frames themselves are well formed)', async () => {
    const t = await rawH2(undefined);
    open.push(t);
    const r = await runCheck(parseCheckArgs([t.url, '--http2', '--case', 'server.http2.no-connection-headers', '--observe', '500', '--header-timeout', '2000', '--seed', '1']));
    const c = r.cases.find((x) => x.id === 'server.http2.no-connection-headers')!;
    expect(c.verdict, JSON.stringify(c.checks)).toBe('PASS');
    expect(c.evidence.find((e) => e.label === 'HTTP/2')!.text).toMatch(/^h2c \(prior knowledge\)/);
  });
});

describe('unfinishedTail', () => {
  it('is what follows the last blank line, whatever the line endings', () => {
    expect(unfinishedTail(new TextEncoder().encode('data: a\n\ndata: b'))).toBe('data: b');
    expect(unfinishedTail(new TextEncoder().encode('data: a\r\n\r\n'))).toBe('');
    expect(unfinishedTail(new TextEncoder().encode('data: a\r\rid: 1\r'))).toBe('id: 1\r');
    expect(unfinishedTail(new TextEncoder().encode('data: x'))).toBe('data: x');
  });
});
