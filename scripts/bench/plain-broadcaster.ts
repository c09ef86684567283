/**
 * The fan-out benchmark's baseline peer: the smallest correct SSE broadcaster on node:http, the
 * kind a team writes by hand. One channel, no replay, no ids, no heartbeats, no backpressure
 * policy: each frame is encoded once and written to every open response.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PlainBroadcaster {
  readonly url: string;
  readonly subscribers: number;
  /** Writes `data: <data>\n\n` (data without line breaks) to every subscriber. */
  publish(data: string): void;
  close(): Promise<void>;
}

export async function createPlainBroadcaster(): Promise<PlainBroadcaster> {
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || !req.url?.startsWith('/channels/')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
    res.flushHeaders();
    open.add(res);
    res.on('close', () => open.delete(res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get subscribers() {
      return open.size;
    },
    publish(data) {
      const frame = Buffer.from(`data: ${data}\n\n`, 'utf8');
      for (const res of open) res.write(frame);
    },
    close() {
      for (const res of open) res.end();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
