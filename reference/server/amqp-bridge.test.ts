// The AMQP bridge against a real private RabbitMQ node (started once for this file, ~2 s) and a real
// Redis: messages on the exchange reach the subscribers of both instances, are acknowledged only
// once stored, are stored once however often they are delivered, and malformed ones go to the
// dead-letter queue with the reason. A missing rabbitmq-server or redis-server fails these tests.
import type { Channel, ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AmqpBridge, inputFromMessage, type BridgeSink } from './amqp-bridge.ts';
import { PublishError } from './hub.ts';
import { openStream } from './http-probe.ts';
import { createReferenceServer, RedisReplayLog, type ReferenceServer } from './index.ts';
import { InMemoryReplayLog, type StoredEvent } from './replay-log.ts';
import { startRabbit, startRedis, type RabbitInstance, type RedisInstance } from './test-brokers.ts';

let rabbit: RabbitInstance;
let redis: RedisInstance;
let conn: ChannelModel;
let ch: Channel;
let n = 0;
const fresh = (tag: string) => `${tag}${++n}-${Math.random().toString(36).slice(2, 7)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  [rabbit, redis] = await Promise.all([startRabbit(), startRedis()]);
  const amqp = await import('amqplib');
  conn = await amqp.connect(rabbit.url);
  ch = await conn.createChannel();
}, 90_000);
afterAll(async () => {
  await conn?.close().catch(() => undefined);
  await Promise.all([rabbit?.dispose(), redis?.dispose()]);
}, 30_000);

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('inputFromMessage', () => {
  const msg = (routingKey: string, content: Buffer, properties: Record<string, unknown> = {}) =>
    ({ content, fields: { routingKey }, properties: { headers: {}, ...properties } }) as unknown as Parameters<typeof inputFromMessage>[0];
  it('maps routing key, type, sse-id, messageId and body; octet-stream bodies become binary', () => {
    expect(inputFromMessage(msg('news', Buffer.from('héllo'), { type: 'headline', messageId: 'm-1', headers: { 'sse-id': 'x1' } }))).toEqual({
      channel: 'news', input: { event: 'headline', id: 'x1', data: 'héllo', binary: undefined, dedupeKey: 'm-1' },
    });
    const bin = inputFromMessage(msg('news', Buffer.from([0, 255]), { contentType: 'application/octet-stream', headers: { 'sse-event': 'blob' } }));
    expect(bin).toMatchObject({ channel: 'news', input: { event: 'blob', binary: new Uint8Array([0, 255]) } });
  });
  it('names what is wrong with a malformed message', () => {
    expect(inputFromMessage(msg('bad key!', Buffer.from('x')))).toEqual({ reason: expect.stringMatching(/not a channel name/) });
    expect(inputFromMessage(msg('ok', Buffer.from([0xc3, 0x28])))).toEqual({ reason: expect.stringMatching(/not valid UTF-8/) });
    expect(inputFromMessage(msg('ok', Buffer.from('x'), { headers: { 'sse-id': 42 } }))).toEqual({ reason: expect.stringMatching(/sse-id/) });
  });
});

describe('AMQP bridge on two instances sharing Redis', () => {
  const exchange = 'sse-test-events';
  let a: ReferenceServer;
  let b: ReferenceServer;
  const stores: RedisReplayLog[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) stores.push(await RedisReplayLog.connect({ url: redis.url, prefix: 'amqp' }));
    a = await createReferenceServer({ heartbeatMs: 0, store: stores[0], bridges: [new AmqpBridge({ url: rabbit.url, exchange })] });
    b = await createReferenceServer({ heartbeatMs: 0, store: stores[1], bridges: [new AmqpBridge({ url: rabbit.url, exchange })] });
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('delivers messages to the subscribers of both instances, each once, redeliveries included', async () => {
    const channel = fresh('amqp');
    const [sa, sb] = [await openStream(`${a.url}/channels/${channel}`), await openStream(`${b.url}/channels/${channel}`)];
    try {
      ch.publish(exchange, channel, Buffer.from('first'), { type: 'greeting', messageId: 'm-1' });
      ch.publish(exchange, channel, Buffer.from('first'), { type: 'greeting', messageId: 'm-1' }); // the same message again
      ch.publish(exchange, channel, Buffer.from([1, 2, 255]), { contentType: 'application/octet-stream', messageId: 'm-2', headers: { 'sse-event': 'blob' } });
      ch.publish(exchange, channel, Buffer.from('third'), { messageId: 'm-3', headers: { 'sse-id': 'custom-3' } });
      for (const s of [sa, sb]) {
        await s.until((p) => p.events.length >= 3, 10_000, 'three bridged events');
        await sleep(300);
        expect(s.events.map((e) => [e.type, e.data, e.lastEventId])).toEqual([['greeting', 'first', '1'], ['blob', 'AQL/', '2'], ['message', 'third', 'custom-3']]);
      }
    } finally {
      sa.destroy();
      sb.destroy();
    }
  }, 30_000);

  it('sends malformed messages to the dead-letter queue with the reason, and keeps serving', async () => {
    const channel = fresh('dlq');
    const dlq = `${exchange}.sse.dead`;
    await ch.purgeQueue(dlq);
    const s = await openStream(`${a.url}/channels/${channel}`);
    try {
      ch.publish(exchange, 'bad key!', Buffer.from('x'), { messageId: 'bad-1' });
      ch.publish(exchange, channel, Buffer.from([0xc3, 0x28]), { messageId: 'bad-2' });
      ch.publish(exchange, channel, Buffer.from('fine'), { messageId: 'ok-1' });
      await s.until((p) => p.events.length === 1, 10_000, 'the valid message');
      expect(s.events[0]!.data).toBe('fine');
      const dead: { reason: string; key: string }[] = [];
      await until(async () => {
        const m = await ch.get(dlq, { noAck: true });
        if (m) dead.push({ reason: String(m.properties.headers?.['x-sse-reject-reason']), key: String(m.properties.headers?.['x-sse-routing-key']) });
        return dead.length === 2;
      }, 'two dead letters');
      expect(dead.map((d) => d.key).sort()).toEqual(['bad key!', channel].sort());
      expect(dead.find((d) => d.key === 'bad key!')?.reason).toMatch(/not a channel name/);
      expect(dead.find((d) => d.key === channel)?.reason).toMatch(/not valid UTF-8/);
    } finally {
      s.destroy();
    }
  }, 30_000);
});

describe('acknowledgement after storing', () => {
  it('a consumer that dies mid-message loses nothing: the broker redelivers to another, stored once; a 503 store requeues', async () => {
    const exchange = fresh('ack-test');
    const store = new InMemoryReplayLog();
    const stored: StoredEvent[] = [];
    let failures = 2;
    const good: BridgeSink = {
      async publish(channel, input) {
        if (failures-- > 0) throw new PublishError('SSEC_ERR_STORE_UNAVAILABLE', 503, 'replay store unavailable: test');
        const before = store.size(channel);
        const e = store.append(channel, { data: input.data ?? '', dedupeKey: input.dedupeKey });
        if (store.size(channel) > before) stored.push(e);
        return e;
      },
    };
    // This consumer takes messages and never finishes storing them (an instance dying mid-message).
    const hanging: BridgeSink = { publish: () => new Promise<never>(() => undefined) };
    const dying = new AmqpBridge({ url: rabbit.url, exchange, prefetch: 5 });
    await dying.start(hanging);
    const survivor = new AmqpBridge({ url: rabbit.url, exchange, prefetch: 5 });
    try {
      for (let i = 1; i <= 10; i++) ch.publish(exchange, 'orders', Buffer.from(`o${i}`), { messageId: `o${i}` });
      await sleep(500);
      await dying.close(); // its unacknowledged messages go back to the queue
      await survivor.start(good);
      await until(() => stored.length === 10, 'all ten stored');
      await sleep(300);
      expect(stored.map((e) => e.data).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `o${i + 1}`).sort());
      expect(failures).toBeLessThan(0); // two attempts were refused with 503 and requeued
      const q = await ch.checkQueue(`${exchange}.sse`);
      expect(q.messageCount).toBe(0);
    } finally {
      await Promise.all([dying.close(), survivor.close()]);
    }
  }, 30_000);

  it('start-up against an unreachable broker fails within the connect timeout', async () => {
    const bridge = new AmqpBridge({ url: 'amqp://guest:guest@127.0.0.1:1', exchange: 'x', connectTimeoutMs: 500 });
    const t0 = Date.now();
    await expect(bridge.start({ publish: () => Promise.reject(new Error('unused')) })).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(8000);
    await bridge.close();
    expect(() => new AmqpBridge({ url: 'http://x', exchange: 'x' })).toThrow(/not an AMQP URL/);
    expect(() => new AmqpBridge({ url: 'amqp://x', exchange: 'bad name' })).toThrow(/exchange name/);
  }, 15_000);
});
