// Chaos, seeded and replayable (SSE_CHAOS_SEED=<n> replays a run; the seed is in the test name):
// two `serve --redis --amqp` processes, a private Redis (AOF) and RabbitMQ. Subscribers hop between
// the instances at random, reconnecting with Last-Event-ID, while M events are published through
// both instances over HTTP (Idempotency-Key, retried until stored) and through the exchange
// (messageId); meanwhile one instance is killed with SIGKILL and restarted, and Redis is killed and
// restarted once. Every subscriber must end with exactly the M events, once each, in the store's
// order (ids increasing), and the events published over HTTP in the order they were published.
import type { ConfirmChannel, ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../scripts/test-seed.ts';
import { openStream, postJson, type StreamProbe } from './http-probe.ts';
import { RedisReplayLog } from './redis-store.ts';
import { startRabbit, startRedis, startServe, type RabbitInstance, type RedisInstance, type ServeInstance } from './test-brokers.ts';

const SEED = Number(process.env['SSE_CHAOS_SEED'] ?? 20261207);
const M = 200;
const SUBSCRIBERS = 6;
const CHANNEL = 'chaos';
const EXCHANGE = 'chaos-events';

// A seeded PRNG, so a seed replays the same schedule.
const prng = seededRandom;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: RedisInstance;
let rabbit: RabbitInstance;
let instances: ServeInstance[] = [];
let amqpConn: ChannelModel | undefined;

beforeAll(async () => {
  [redis, rabbit] = await Promise.all([startRedis({ persistent: true }), startRabbit()]);
  const args = ['--redis', redis.url, '--redis-prefix', 'chaos', '--replay-size', '10000', '--heartbeat', '0', '--retry', '100', '--amqp', rabbit.url, '--amqp-exchange', EXCHANGE];
  instances = await Promise.all([startServe(args), startServe(args)]);
}, 90_000);
afterAll(async () => {
  await amqpConn?.close().catch(() => undefined);
  await Promise.all(instances.map((i) => i.stop()));
  await Promise.all([redis?.dispose(), rabbit?.dispose()]);
}, 30_000);

describe('chaos: two instances, Redis and RabbitMQ', () => {
  it(`every subscriber ends with exactly the ${M} events, in order, once (seed ${SEED})`, async () => {
    const rand = prng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const amqp = await import('amqplib');
    amqpConn = await amqp.connect(rabbit.url);
    const confirm: ConfirmChannel = await amqpConn.createConfirmChannel();
    await confirm.assertExchange(EXCHANGE, 'topic', { durable: true });

    // Event 0 is stored before anyone subscribes: every subscriber starts after its id.
    expect((await postJson(`${instances[0]!.url}/channels/${CHANNEL}`, { data: 'ev-0' }, { 'Idempotency-Key': 'ev-0' })).status).toBe(201);
    const down = new Set<number>();
    let stop = false;
    const problems: string[] = [];

    // Subscribers: each its own random schedule, drawn up front so the seed fixes it.
    const subscribers = Array.from({ length: SUBSCRIBERS }, (_, k) => {
      const r = prng(SEED * 31 + k);
      const got: { id: string; data: string }[] = [];
      const trace: string[] = [];
      const run = (async () => {
        let last = '1';
        while (!stop && got.length < M) {
          const i = Math.floor(r() * instances.length);
          let s: StreamProbe;
          try {
            s = await openStream(`${instances[i]!.url}/channels/${CHANNEL}`, { headers: { 'Last-Event-ID': last }, timeoutMs: 2000 });
          } catch {
            await sleep(30);
            continue;
          }
          const want = got.length + 1 + Math.floor(r() * 25);
          const before = got.length;
          await Promise.race([s.until((p) => before + p.events.length >= want, 1500).catch(() => undefined), sleep(50 + r() * 400)]);
          s.destroy();
          trace.push(`instance ${i}, Last-Event-ID ${last}: ${s.events.map((e) => e.lastEventId).join(' ')}${s.ended ? ' (ended)' : ''}`);
          for (const e of s.events) {
            if (e.type !== 'message') problems.push(`subscriber ${k} got a ${e.type} event: ${e.data.slice(0, 120)}`);
            got.push({ id: e.lastEventId, data: e.data });
          }
          if (s.events.length) last = s.events[s.events.length - 1]!.lastEventId;
        }
      })();
      return { got, run, trace };
    });

    // Chaos schedule over the publishing timeline.
    const killAt = 40 + Math.floor(rand() * 40);
    const victim = Math.floor(rand() * instances.length);
    const redisAt = 110 + Math.floor(rand() * 40);
    const chaos: Promise<void>[] = [];

    const httpOrder: string[] = [];
    for (let k = 1; k <= M; k++) {
      if (k === killAt) {
        down.add(victim);
        await instances[victim]!.kill();
        chaos.push((async () => {
          await sleep(300 + rand() * 700);
          await instances[victim]!.restart();
          down.delete(victim);
        })());
      }
      if (k === redisAt) {
        await redis.kill();
        chaos.push((async () => {
          await sleep(200 + rand() * 500);
          await redis.restart();
        })());
      }
      const data = `ev-${k}`;
      if (rand() < 0.3) {
        // Through the exchange: the bridge of whichever instance takes it stores it (requeued while Redis is down).
        await new Promise<void>((resolve, reject) => confirm.publish(EXCHANGE, CHANNEL, Buffer.from(data), { messageId: data, persistent: true }, (err: unknown) => (err ? reject(err as Error) : resolve())));
      } else {
        httpOrder.push(data);
        const deadline = Date.now() + 30_000;
        for (;;) {
          const up = [0, 1].filter((i) => !down.has(i));
          const target = instances[up.length ? pick(up) : 0]!;
          const status = await postJson(`${target.url}/channels/${CHANNEL}`, { data }, { 'Idempotency-Key': data }).then((r) => r.status, () => 0);
          if (status === 201) break;
          if (Date.now() > deadline) throw new Error(`could not publish ${data} within 30 s (last status ${status})`);
          await sleep(25);
        }
      }
      await sleep(rand() * 20);
    }
    await Promise.all(chaos);

    const finished = Promise.all(subscribers.map((s) => s.run));
    const timeout = sleep(60_000).then(() => 'timeout');
    const outcome = await Promise.race([finished.then(() => 'done'), timeout]);
    stop = true;
    await finished;
    expect(problems).toEqual([]);
    expect(outcome, `subscribers got ${subscribers.map((s) => s.got.length).join(', ')} of ${M}`).toBe('done');

    // The store's order is the order: every event once.
    const store = await RedisReplayLog.connect({ url: redis.url, prefix: 'chaos' });
    let stored: string[];
    let storedIds: string[];
    try {
      const all = await store.all(CHANNEL);
      stored = all.map((e) => e.data).slice(1);
      storedIds = all.map((e) => e.id).slice(1);
    } finally {
      await store.close();
    }
    expect([...stored].sort()).toEqual(Array.from({ length: M }, (_, i) => `ev-${i + 1}`).sort());
    expect(stored.filter((d) => httpOrder.includes(d))).toEqual(httpOrder);
    for (const [k, s] of subscribers.entries()) {
      const seen = new Map<string, number>();
      const dups = s.got.map((g, i) => { const first = seen.get(g.data); seen.set(g.data, i); return first === undefined ? undefined : `${g.data} (id ${g.id}) at ${first} and ${i}`; }).filter(Boolean);
      expect(dups, `subscriber ${k}: events received twice; connections:\n${s.trace.slice(-12).join('\n')}`).toEqual([]);
      expect(s.got.map((g) => g.data), `subscriber ${k}`).toEqual(stored);
      expect(s.got.map((g) => g.id), `subscriber ${k}`).toEqual(storedIds);
    }
    expect(storedIds.every((id, i) => i === 0 || Number(id) > Number(storedIds[i - 1]))).toBe(true);
  }, 150_000);
});
