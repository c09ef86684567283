/**
 * Child process of the fan-out benchmark: runs ONE server (so its memory can be measured alone)
 * and publishes from inside it at a fixed rate. `node --expose-gc --import tsx fanout-server.ts
 * <reference|plain|better-sse>`; it reports `{ ready, url }` over IPC, then answers requests
 * `{ id, cmd, ... }` with `{ id, result }` or `{ id, error }`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChannel, createSession } from 'better-sse';
import { createReferenceServer } from '../../reference/server/index.ts';
import { benchmarkData, nowMs } from './fanout-counter.ts';
import { createPlainBroadcaster } from './plain-broadcaster.ts';

export type ServerKind = 'reference' | 'plain' | 'better-sse';
export const CHANNEL = 'bench';

interface BenchServer {
  url: string;
  subscribers(): number;
  publish(data: string): void;
  close(): Promise<void>;
}

/** Replay-target log size: 10,000 replayed events after the one named by Last-Event-ID. */
export const REPLAY_LOG_EVENTS = 10_001;

async function start(kind: ServerKind): Promise<BenchServer> {
  if (kind === 'reference') {
    const srv = await createReferenceServer({ port: 0, heartbeatMs: 0, replay: { maxEvents: REPLAY_LOG_EVENTS, maxAgeMs: 600_000 } });
    return {
      url: `${srv.url}/channels/${CHANNEL}`,
      subscribers: () => srv.subscriberCount(CHANNEL),
      publish: (data) => void srv.publish(CHANNEL, { data }),
      close: () => srv.close(),
    };
  }
  if (kind === 'plain') {
    const b = await createPlainBroadcaster();
    return { url: `${b.url}/channels/${CHANNEL}`, subscribers: () => b.subscribers, publish: (data) => b.publish(data), close: () => b.close() };
  }
  // better-sse: sessions registered on one channel, heartbeats (keepAlive) off like the others.
  const channel = createChannel();
  const server = createServer((req, res) => {
    createSession(req, res, { keepAlive: null, serializer: (d) => String(d) }).then(
      (session) => channel.register(session),
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/channels/${CHANNEL}`,
    subscribers: () => channel.sessionCount,
    publish: (data) => void channel.broadcast(data, 'message'),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

async function memory(): Promise<{ rss: number; heapUsed: number }> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** Publishes `count` events at `rateHz`, each carrying its send time; resolves when all are sent with
 * how long each synchronous publish call (the server's own fan-out work) took. */
function publishAtRate(server: BenchServer, count: number, rateHz: number, size: number, startAtMs: number): Promise<{ sent: number; lateMs: number; beginMs: number; callMs: number[] }> {
  const period = 1000 / rateHz;
  const begin = Math.max(startAtMs, nowMs());
  const callMs: number[] = [];
  let sent = 0;
  let lateMs = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = nowMs();
      lateMs = Math.max(lateMs, now - (begin + sent * period));
      sent++;
      server.publish(benchmarkData(sent, now, size));
      callMs.push(nowMs() - now);
      if (sent === count) return resolve({ sent, lateMs, beginMs: begin, callMs });
      setTimeout(tick, Math.max(0, begin + sent * period - nowMs()));
    };
    setTimeout(tick, begin - nowMs());
  });
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  if (!['reference', 'plain', 'better-sse'].includes(kind)) throw new Error(`fanout-server: unknown server kind ${String(kind)}`);
  const server = await start(kind);
  process.on('message', (message: { id: number; cmd: string; count?: number; rateHz?: number; size?: number; startAtMs?: number }) => {
    const reply = (body: object): void => void process.send?.({ id: message.id, ...body });
    const run = async (): Promise<unknown> => {
      switch (message.cmd) {
        case 'memory':
          return memory();
        case 'subscribers':
          return server.subscribers();
        case 'publish':
          return publishAtRate(server, message.count ?? 1, message.rateHz ?? 10, message.size ?? 100, message.startAtMs ?? 0);
        case 'fill': {
          // Retained events for the replay measurement, as fast as possible.
          for (let seq = 1; seq <= (message.count ?? 0); seq++) server.publish(benchmarkData(seq, nowMs(), message.size ?? 100));
          return message.count;
        }
        case 'close':
          await server.close();
          setImmediate(() => process.exit(0));
          return true;
        default:
          throw new Error(`unknown command ${message.cmd}`);
      }
    };
    run().then((result) => reply({ result }), (error: Error) => reply({ error: error.message }));
  });
  process.on('disconnect', () => process.exit(0)); // the parent is gone: never linger
  process.send?.({ ready: true, url: server.url });
}

main().catch((error: Error) => {
  process.send?.({ ready: false, error: error.message });
  process.exit(1);
});
