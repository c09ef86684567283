/**
 * Test fixture: a raw TCP "HTTP server" on 127.0.0.1 whose answers can be as broken as a test
 * likes (endless headers, endless lines, resets). It owns the bookkeeping every such test needs:
 * open sockets and repeating writers are tracked and ended by `close()`, so nothing outlives the test.
 */
import * as net from 'node:net';

export interface RawRequest {
  /** The request path (from the request line), `/` when unreadable. */
  readonly path: string;
  readonly socket: net.Socket;
  /** Runs `fn` every `ms` until it returns false or the socket is gone; stopped by `close()` too. */
  every(ms: number, fn: () => boolean): void;
}

export interface RawTcpTarget {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  close(): Promise<void>;
}

export async function startRawTcpTarget(onRequest: (request: RawRequest) => void): Promise<RawTcpTarget> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (req) => {
      const path = /^[A-Z]+ (\S+)/.exec(req.toString('latin1'))?.[1] ?? '/';
      const every = (ms: number, fn: () => boolean): void => {
        const t = setInterval(() => {
          if (socket.destroyed || !fn()) {
            clearInterval(t);
            timers.delete(t);
          }
        }, ms);
        timers.add(t);
      };
      onRequest({ path, socket, every });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    async close() {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
