/**
 * Child process of the cluster benchmark: one reference server instance (in-memory store, or the
 * Redis store with the AMQP bridge when given), so its memory can be measured alone. Started as
 * `node --expose-gc --import tsx cluster-server.ts '<json config>'`; sends `{ url }` over IPC,
 * then answers `{ cmd: 'mem' }` with `{ rss, heap }` after a full GC.
 */
import { AmqpBridge, createReferenceServer, RedisReplayLog, type ReplayLog } from '../../reference/server/index.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { redis?: string; prefix?: string; amqp?: string; exchange?: string };
const store: ReplayLog | undefined = config.redis ? await RedisReplayLog.connect({ url: config.redis, prefix: config.prefix ?? 'bench', replay: { maxEvents: 20_000, maxAgeMs: 600_000 } }) : undefined;
const srv = await createReferenceServer({
  heartbeatMs: 0, replay: { maxEvents: 20_000, maxAgeMs: 600_000 }, store,
  bridges: config.amqp && config.exchange ? [new AmqpBridge({ url: config.amqp, exchange: config.exchange })] : [],
});
process.send?.({ url: srv.url });
process.on('message', (m: { cmd?: string }) => {
  if (m.cmd !== 'mem') return;
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.send?.({ rss, heap: heapUsed });
});
process.on('disconnect', () => {
  void srv.close().then(async () => { await store?.close?.(); }).finally(() => process.exit(0));
});
