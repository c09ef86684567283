// The Redis Streams store against a real private redis-server (Debian package; a missing one fails
// these tests): ids, replay, retention, de-duplication, and two reference server instances sharing
// it (fan-out, resume on the other instance, register-then-replay under concurrent publishing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, postJson, type StreamProbe } from './http-probe.ts';
import { createReferenceServer, type ReferenceServer } from './index.ts';
import { RedisReplayLog } from './redis-store.ts';
import { startRedis, type RedisInstance } from './test-brokers.ts';

let redis: RedisInstance;
let n = 0;
const fresh = () => `r${++n}-${Math.random().toString(36).slice(2, 8)}`;
const stores: RedisReplayLog[] = [];

async function store(options: { maxEvents?: number; maxAgeMs?: number; prefix?: string } = {}): Promise<RedisReplayLog> {
  const s = await RedisReplayLog.connect({ url: redis.url, prefix: options.prefix ?? 'test', replay: { maxEvents: options.maxEvents, maxAgeMs: options.maxAgeMs } });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await redis?.dispose();
});

describe('RedisReplayLog', () => {
  it('assigns contiguous seqs across two store instances and replays after any of their ids', async () => {
    const [a, b] = [await store(), await store()];
    const ch = fresh();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await (i % 2 ? b : a).append(ch, { data: `d${i}` })).id);
    expect(ids).toEqual(['1', '2', '3', '4', '5', '6']);
    const r = await b.since(ch, '2');
    expect(r.gap).toBeUndefined();
    expect(r.events.map((e) => [e.id, e.data])).toEqual([['3', 'd2'], ['4', 'd3'], ['5', 'd4'], ['6', 'd5']]);
    expect((await a.since(ch, '6')).events).toEqual([]);
    expect(await a.size(ch)).toBe(6);
    expect((await a.all(ch)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // Frames are the same bytes an in-memory store would write.
    expect((await a.find(ch, '3'))?.frame.toString()).toBe('id: 3\ndata: d2\n\n');
  });

  it('answers unknown, malformed and evicted ids with a gap and everything retained (count and age)', async () => {
    const s = await store({ maxEvents: 3 });
    const ch = fresh();
    for (let i = 1; i <= 5; i++) await s.append(ch, { data: `d${i}`, event: i === 5 ? 'last' : undefined });
    expect(await s.size(ch)).toBe(3);
    for (const requested of ['2', 'nope', '99', '0', '1-0', 'x'.repeat(300)]) {
      const r = await s.since(ch, requested);
      expect(r.gap, requested).toEqual({ requested, oldestRetained: '3' });
      expect(r.events.map((e) => e.id)).toEqual(['3', '4', '5']);
    }
    expect((await s.find(ch, '5'))?.event).toBe('last');
    const aged = await store({ maxAgeMs: 150 });
    const ch2 = fresh();
    await aged.append(ch2, { data: 'old' });
    await new Promise((r) => setTimeout(r, 400));
    await aged.append(ch2, { data: 'new' });
    expect((await aged.all(ch2)).map((e) => e.data)).toEqual(['new']);
    expect((await aged.since(ch2, '1')).gap).toEqual({ requested: '1', oldestRetained: '2' });
  });

  it('resolves publisher ids (latest wins), never confuses them with seqs, and de-duplicates by key', async () => {
    const s = await store();
    const ch = fresh();
    await s.append(ch, { data: 'a', id: 'x' });
    await s.append(ch, { data: 'b', id: '1' }); // seq 2, publisher id "1": "1" names this one, not seq 1
    await s.append(ch, { data: 'c', id: 'x' });
    await s.append(ch, { data: 'd' });
    expect((await s.since(ch, 'x')).events.map((e) => e.data)).toEqual(['d']);
    expect((await s.since(ch, '1')).events.map((e) => e.data)).toEqual(['c', 'd']);
    expect((await s.since(ch, '4')).events).toEqual([]);
    const first = await s.append(ch, { data: 'm', dedupeKey: 'msg-1' });
    const again = await s.append(ch, { data: 'm', dedupeKey: 'msg-1' });
    expect(again.seq).toBe(first.seq);
    expect(await s.size(ch)).toBe(5);
  });

  it('keeps channels of different prefixes apart and refuses publishing to a closed channel', async () => {
    const [p, q] = [await store({ prefix: 'p1' }), await store({ prefix: 'p2' })];
    const ch = fresh();
    await p.append(ch, { data: 'p' });
    expect(await q.size(ch)).toBe(0);
    await p.live.closeChannel(ch);
    await expect(p.append(ch, { data: 'late' })).rejects.toMatchObject({ status: 410 });
    expect(await p.size(ch)).toBe(0);
  });

  it('refuses a non-Redis URL and an unreachable Redis within the connect timeout', async () => {
    await expect(RedisReplayLog.connect({ url: 'http://127.0.0.1:1' })).rejects.toThrow(/not a Redis URL/);
    const started = Date.now();
    await expect(RedisReplayLog.connect({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

async function pair(prefix: string, options: Parameters<typeof createReferenceServer>[0] = {}): Promise<[ReferenceServer, ReferenceServer]> {
  const make = async () => createReferenceServer({ heartbeatMs: 0, retryMs: 200, store: await store({ prefix }), ...options });
  return [await make(), await make()];
}

const ids = (s: StreamProbe) => s.events.map((e) => e.lastEventId);
const datas = (s: StreamProbe) => s.events.map((e) => e.data);

describe('two reference server instances sharing one Redis', () => {
  let a: ReferenceServer;
  let b: ReferenceServer;
  beforeAll(async () => {
    [a, b] = await pair('pair');
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('delivers an event POSTed to one instance to the subscribers of both, with one id', async () => {
    const ch = fresh();
    const [sa, sb] = [await openStream(`${a.url}/channels/${ch}`), await openStream(`${b.url}/channels/${ch}`)];
    try {
      const p1 = await postJson(`${a.url}/channels/${ch}`, { data: 'via a', event: 'x' });
      const p2 = await postJson(`${b.url}/channels/${ch}`, { data: 'via b' });
      expect([p1.status, p2.status]).toEqual([201, 201]);
      expect([p1.json<{ id: string }>().id, p2.json<{ id: string }>().id]).toEqual(['1', '2']);
      for (const s of [sa, sb]) {
        await s.until((p) => p.events.length >= 2, 5000, 'both events');
        expect(s.events.map((e) => [e.type, e.data, e.lastEventId])).toEqual([['x', 'via a', '1'], ['message', 'via b', '2']]);
      }
    } finally {
      sa.destroy();
      sb.destroy();
    }
  });

  it('resumes on the other instance after an id the first one issued: exactly the events after it', async () => {
    const ch = fresh();
    const sa = await openStream(`${a.url}/channels/${ch}`);
    for (let i = 1; i <= 3; i++) await a.publishAsync(ch, { data: `e${i}` });
    await sa.until((p) => p.events.length === 3, 5000, 'three events');
    sa.destroy();
    for (let i = 4; i <= 6; i++) await (i % 2 ? a : b).publishAsync(ch, { data: `e${i}` });
    const sb = await openStream(`${b.url}/channels/${ch}`, { headers: { 'Last-Event-ID': sa.events[1]!.lastEventId } });
    try {
      await sb.until((p) => p.events.length >= 4, 5000, 'replay');
      await a.publishAsync(ch, { data: 'e7' });
      await sb.until((p) => p.events.length >= 5, 5000, 'live event');
      expect(datas(sb)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
      expect(ids(sb)).toEqual(['3', '4', '5', '6', '7']);
    } finally {
      sb.destroy();
    }
  });

  it('an unknown id on the other instance gets the in-band replay-gap notice, then everything retained', async () => {
    const ch = fresh();
    await a.publishAsync(ch, { data: 'kept' });
    const sb = await openStream(`${b.url}/channels/${ch}`, { headers: { 'Last-Event-ID': 'never-issued' } });
    try {
      await sb.until((p) => p.events.length >= 2, 5000, 'gap + event');
      expect(sb.events[0]!.type).toBe('replay-gap');
      expect(JSON.parse(sb.events[0]!.data)).toEqual({ requested: 'never-issued', truncated: false, oldestRetained: '1' });
      expect(datas(sb).slice(1)).toEqual(['kept']);
    } finally {
      sb.destroy();
    }
  });

  it('register-then-replay across instances: clients hopping between instances while both publish get every event once, in order', async () => {
    const ch = fresh();
    const total = 120;
    await a.publishAsync(ch, { data: 'm0' }); // id 1: every client starts from it
    let published = 0;
    const publishing = (async () => {
      while (published < total) {
        const srv = published % 2 ? a : b;
        await srv.publishAsync(ch, { data: `m${published + 1}` });
        published++;
        if (published % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Three clients, each reconnecting to the other instance after a few events, with Last-Event-ID.
    const clients = [0, 1, 2].map(async (k) => {
      const got: { id: string; data: string }[] = [];
      let hop = k;
      while (got.length < total) {
        const srv = hop++ % 2 ? a : b;
        const last = got[got.length - 1]?.id ?? '1';
        const s = await openStream(`${srv.url}/channels/${ch}`, { headers: { 'Last-Event-ID': last } });
        const want = Math.min(total, got.length + 7 + k) - got.length;
        try {
          await s.until((p) => p.events.length >= want, 10_000, `${want} more events after ${last}`);
        } finally {
          s.destroy();
        }
        for (const e of s.events) got.push({ id: e.lastEventId, data: e.data });
      }
      return got;
    });
    const results = await Promise.all(clients);
    await publishing;
    for (const got of results) {
      expect(got.map((g) => g.data)).toEqual(Array.from({ length: total }, (_, i) => `m${i + 1}`));
      expect(got.map((g) => g.id)).toEqual(Array.from({ length: total }, (_, i) => String(i + 2)));
    }
  }, 60_000);

  it('closing a channel on one instance ends streams on both and later GETs answer 204 on both', async () => {
    const ch = fresh();
    const sb = await openStream(`${b.url}/channels/${ch}`);
    await a.publishAsync(ch, { data: 'x' });
    await sb.until((p) => p.events.length === 1, 5000, 'event');
    const del = await postJson(`${a.url}/channels/${ch}`, '').catch(() => undefined);
    expect(del?.status).toBe(400); // an empty body is not a publish
    const { fetchText } = await import('./http-probe.ts');
    expect((await fetchText(`${a.url}/channels/${ch}`, { method: 'DELETE' })).status).toBe(204);
    await sb.closed(5000);
    expect(sb.endedCleanly).toBe(true);
    expect((await fetchText(`${b.url}/channels/${ch}`)).status).toBe(204);
    expect((await postJson(`${b.url}/channels/${ch}`, { data: 'late' })).status).toBe(410);
  });
});

describe('live feed after a lost pub/sub connection', () => {
  it('events published while an instance\'s subscriber connection was cut are caught up from the stream, in order, once', async () => {
    const [a, b] = await pair('cut');
    const ch = fresh();
    const s = await openStream(`${b.url}/channels/${ch}`);
    try {
      await a.publishAsync(ch, { data: 'p1' });
      await s.until((p) => p.events.length === 1, 5000, 'first event');
      // Cut every pub/sub connection (b's subscriber among them) and publish at once through a.
      const { createClient } = await import('@redis/client');
      const admin = createClient({ url: redis.url });
      admin.on('error', () => undefined);
      await admin.connect();
      try {
        // The last event published right after the cut has no later message to reveal the gap:
        // only the catch-up after the reconnect can deliver it.
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
        await a.publishAsync(ch, { data: 'p2' });
        await s.until((p) => p.events.length >= 2, 10_000, 'p2 after the reconnect');
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
        for (let i = 3; i <= 6; i++) await a.publishAsync(ch, { data: `p${i}` });
      } finally {
        await admin.close();
      }
      await s.until((p) => p.events.length >= 6, 10_000, 'caught-up events');
      await new Promise((r) => setTimeout(r, 300));
      expect(datas(s)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
      expect(ids(s)).toEqual(['1', '2', '3', '4', '5', '6']);
    } finally {
      s.destroy();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('an Idempotency-Key publishes once over HTTP, on either instance (and in memory too)', async () => {
    const [a, b] = await pair('idem');
    const mem = await createReferenceServer({ heartbeatMs: 0 });
    try {
      for (const [first, second] of [[a, b], [mem, mem]] as const) {
        const ch = fresh();
        const r1 = await postJson(`${first.url}/channels/${ch}`, { data: 'x' }, { 'Idempotency-Key': 'k-1' });
        const r2 = await postJson(`${second.url}/channels/${ch}`, { data: 'x' }, { 'Idempotency-Key': 'k-1' });
        const r3 = await postJson(`${second.url}/channels/${ch}`, { data: 'y' }, { 'Idempotency-Key': 'k-2' });
        expect([r1.json(), r2.json(), r3.json()]).toEqual([{ id: '1' }, { id: '1' }, { id: '2' }]);
        expect((await postJson(`${first.url}/channels/${ch}`, { data: 'z' }, { 'Idempotency-Key': '' })).status).toBe(400);
      }
    } finally {
      await Promise.all([a.close(), b.close(), mem.close()]);
    }
  });
});

describe('register-then-replay when the live feed lags behind the replay read', () => {
  it('an event the client already has (named by Last-Event-ID) that reaches this instance late is not sent again', async () => {
    const inner = await store({ prefix: 'lag' });
    // Instance b's live feed delivers every event 400 ms late (a slow pub/sub path).
    const lagging: RedisReplayLog = Object.create(inner, {
      live: { value: { ...inner.live, healthy: true, instanceId: inner.live.instanceId, unwatch: (c: string) => inner.live.unwatch(c), closeChannel: (c: string) => inner.live.closeChannel(c),
        watch: (c: string, h: { event: (e: never) => void; closed: () => void }) => inner.live.watch(c, { event: (e) => void setTimeout(() => h.event(e as never), 400), closed: h.closed }) } },
    }) as RedisReplayLog;
    for (const m of ['append', 'since', 'replayFrames', 'find', 'all', 'size', 'drop'] as const) (lagging as unknown as Record<string, unknown>)[m] = (inner[m] as (...a: unknown[]) => unknown).bind(inner);
    const a = await createReferenceServer({ heartbeatMs: 0, store: await store({ prefix: 'lag' }) });
    const b = await createReferenceServer({ heartbeatMs: 0, store: lagging });
    const ch = fresh();
    const watcher = await openStream(`${b.url}/channels/${ch}`); // b watches the channel already
    const sa = await openStream(`${a.url}/channels/${ch}`);
    try {
      await a.publishAsync(ch, { data: 'n' });
      await sa.until((p) => p.events.length === 1, 5000, 'event on a');
      // The client moves to b at once, before b's (late) live copy of the event arrives.
      const sb = await openStream(`${b.url}/channels/${ch}`, { headers: { 'Last-Event-ID': sa.events[0]!.lastEventId } });
      try {
        await new Promise((r) => setTimeout(r, 700));
        await a.publishAsync(ch, { data: 'n+1' });
        await sb.until((p) => p.events.length >= 1, 5000, 'the next event');
        await new Promise((r) => setTimeout(r, 600));
        expect(datas(sb)).toEqual(['n+1']);
      } finally {
        sb.destroy();
      }
    } finally {
      watcher.destroy();
      sa.destroy();
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('Idempotency-Key retries on the in-memory store', () => {
  it('a retry answered with the stored event is not sent again to live subscribers', async () => {
    const mem = await createReferenceServer({ heartbeatMs: 0 });
    try {
      await postJson(`${mem.url}/channels/idem`, { data: 'once' }, { 'Idempotency-Key': 'k' });
      const s = await openStream(`${mem.url}/channels/idem`);
      try {
        expect((await postJson(`${mem.url}/channels/idem`, { data: 'once' }, { 'Idempotency-Key': 'k' })).json()).toEqual({ id: '1' });
        await postJson(`${mem.url}/channels/idem`, { data: 'next' });
        await s.until((p) => p.events.length >= 1, 5000, 'the next event');
        await new Promise((r) => setTimeout(r, 200));
        expect(datas(s)).toEqual(['next']);
      } finally {
        s.destroy();
      }
    } finally {
      await mem.close();
    }
  });
});

describe('replayFrames (the replay as one buffer)', () => {
  it('equals the frames of since(), after trimming, with publisher ids, and from the stream when the frames list is gone', async () => {
    const s = await store({ maxEvents: 5, prefix: 'frames' });
    const ch = fresh();
    for (let i = 1; i <= 8; i++) await s.append(ch, { data: `line ${i}\nsecond`, event: i % 3 ? undefined : 'third', id: i === 6 ? 'custom-6' : undefined });
    const expectSame = async (id: string) => {
      const [full, fast] = [await s.since(ch, id), await s.replayFrames(ch, id)];
      expect(fast.frames.toString()).toBe(Buffer.concat(full.events.map((e) => e.frame)).toString());
      expect(fast.count).toBe(full.events.length);
      expect(fast.gap).toEqual(full.gap);
      expect(fast.afterSeq).toBe(full.afterSeq);
      expect(fast.lastSeq).toBe(8);
    };
    for (const id of ['4', '5', 'custom-6', '7', '8', '2', 'nope']) await expectSame(id);
    expect((await s.replayFrames(ch, '5')).frames.toString()).toBe('id: custom-6\nevent: third\ndata: line 6\ndata: second\n\nid: 7\ndata: line 7\ndata: second\n\nid: 8\ndata: line 8\ndata: second\n\n');
    // Without the frames list (e.g. entries written by an older version) the stream answers alike.
    const { createClient } = await import('@redis/client');
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      await admin.sendCommand(['DEL', `frames:frames:${ch}`]);
    } finally {
      await admin.close();
    }
    for (const id of ['4', 'custom-6', 'nope']) await expectSame(id);
  });
});
