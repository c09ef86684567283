// What a multi-instance deployment promises when things break, against real processes: Redis
// killed and restarted mid-run (AOF on), and a `serve --redis` instance killed with SIGKILL while
// clients read from it. A missing redis-server fails these tests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckArgs, runCheck } from '../../scripts/commands/check.ts';
import { fetchText, openStream, postJson, type StreamProbe } from './http-probe.ts';
import { createReferenceServer, RedisReplayLog, type ReferenceServer } from './index.ts';
import { startRedis, startServe, type RedisInstance, type ServeInstance } from './test-brokers.ts';

const datas = (s: StreamProbe) => s.events.map((e) => e.data);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis stopped and restarted mid-run (AOF)', () => {
  let redis: RedisInstance;
  let a: ReferenceServer;
  let b: ReferenceServer;
  const stores: RedisReplayLog[] = [];
  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
    for (let i = 0; i < 2; i++) stores.push(await RedisReplayLog.connect({ url: redis.url, prefix: 'restart', commandTimeoutMs: 1000, maxReconnectDelayMs: 200 }));
    a = await createReferenceServer({ heartbeatMs: 0, retryMs: 200, store: stores[0] });
    b = await createReferenceServer({ heartbeatMs: 0, retryMs: 200, store: stores[1] });
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all(stores.map((s) => s.close()));
    await redis?.dispose();
  });

  it('publishing answers 503 while Redis is down; open streams stay open and catch up; nothing lost or repeated', async () => {
    const ch = 'outage';
    const sa = await openStream(`${a.url}/channels/${ch}`);
    const sb = await openStream(`${b.url}/channels/${ch}`);
    try {
      for (let i = 1; i <= 10; i++) expect((await postJson(`${(i % 2 ? a : b).url}/channels/${ch}`, { data: `before-${i}` })).status).toBe(201);
      await sa.until((p) => p.events.length === 10, 5000, '10 events on a');

      await redis.kill();
      for (const srv of [a, b]) {
        const r = await postJson(`${srv.url}/channels/${ch}`, { data: 'while-down' });
        expect(r.status).toBe(503);
        expect(r.headers['retry-after']).toBe('1');
        expect(r.json<{ error: string }>().error).toMatch(/^replay store unavailable: .+; retry later$/);
      }
      // A new stream during the outage opens and ends at once: the client retries and resumes later.
      const during = await fetchText(`${b.url}/channels/${ch}`, { headers: { 'Last-Event-ID': '3' } });
      expect(during.status).toBe(200);
      expect(during.text).toBe('retry: 200\n\n');

      await redis.restart();
      // The first publish after the restart retries with one Idempotency-Key until the store is back: stored once.
      const deadline = Date.now() + 15_000;
      let status = 0;
      while (status !== 201 && Date.now() < deadline) {
        status = (await postJson(`${a.url}/channels/${ch}`, { data: 'after-1' }, { 'Idempotency-Key': 'after-1' })).status;
        if (status !== 201) await sleep(100);
      }
      expect(status).toBe(201);
      expect((await postJson(`${a.url}/channels/${ch}`, { data: 'after-1' }, { 'Idempotency-Key': 'after-1' })).json()).toEqual({ id: '11' });
      for (let i = 2; i <= 10; i++) expect((await postJson(`${(i % 2 ? a : b).url}/channels/${ch}`, { data: `after-${i}` })).status).toBe(201);

      const expected = [...Array.from({ length: 10 }, (_, i) => `before-${i + 1}`), ...Array.from({ length: 10 }, (_, i) => `after-${i + 1}`)];
      for (const s of [sa, sb]) {
        await s.until((p) => p.events.length >= 20, 10_000, '20 events');
        await sleep(200); // nothing more may follow
        expect(datas(s)).toEqual(expected);
        expect(s.events.map((e) => e.lastEventId)).toEqual(expected.map((_, i) => String(i + 1)));
        expect(s.ended).toBe(false);
      }
      // The streams survived the restart in Redis (AOF): a client resumes from an id issued before it.
      const resumed = await openStream(`${b.url}/channels/${ch}`, { headers: { 'Last-Event-ID': '8' } });
      try {
        await resumed.until((p) => p.events.length >= 12, 5000, 'replay after the restart');
        expect(datas(resumed)).toEqual(expected.slice(8));
      } finally {
        resumed.destroy();
      }
    } finally {
      sa.destroy();
      sb.destroy();
    }
  }, 60_000);
});

describe('serve --redis instances as processes', () => {
  let redis: RedisInstance;
  let a: ServeInstance;
  let b: ServeInstance;
  beforeAll(async () => {
    redis = await startRedis();
    const args = ['--redis', redis.url, '--redis-prefix', 'procs', '--heartbeat', '0', '--retry', '200'];
    [a, b] = await Promise.all([startServe(args), startServe(args)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.dispose();
  });

  it('a client of an instance killed with SIGKILL reconnects to the other with Last-Event-ID and gets exactly what it missed', async () => {
    const ch = 'crash';
    const s1 = await openStream(`${a.url}/channels/${ch}`);
    for (let i = 1; i <= 5; i++) expect((await postJson(`${b.url}/channels/${ch}`, { data: `e${i}` })).status).toBe(201);
    await s1.until((p) => p.events.length === 5, 5000, 'five events on a');
    await a.kill();
    await s1.closed(5000);
    expect(s1.endedCleanly).toBe(false);
    // Published while the client has no stream.
    for (let i = 6; i <= 8; i++) expect((await postJson(`${b.url}/channels/${ch}`, { data: `e${i}` })).status).toBe(201);
    const last = s1.events[s1.events.length - 1]!.lastEventId;
    const s2 = await openStream(`${b.url}/channels/${ch}`, { headers: { 'Last-Event-ID': last } });
    try {
      await s2.until((p) => p.events.length === 3, 5000, 'the missed events');
      expect((await postJson(`${b.url}/channels/${ch}`, { data: 'e9' })).status).toBe(201);
      await s2.until((p) => p.events.length === 4, 5000, 'a live event');
      expect(datas(s2)).toEqual(['e6', 'e7', 'e8', 'e9']);
      expect(s2.events.map((e) => e.lastEventId)).toEqual(['6', '7', '8', '9']);
    } finally {
      s2.destroy();
    }
    // Restarted, the instance serves the same history.
    await a.restart();
    const s3 = await openStream(`${a.url}/channels/${ch}`, { headers: { 'Last-Event-ID': '7' } });
    try {
      await s3.until((p) => p.events.length === 2, 5000, 'replay on the restarted instance');
      expect(datas(s3)).toEqual(['e8', 'e9']);
    } finally {
      s3.destroy();
    }
  }, 60_000);

  it('check A --peer B passes the cluster cases on this deployment', async () => {
    const o = parseCheckArgs([
      `${a.url}/channels/{channel}`, '--publish', `${a.url}/channels/{channel}`, '--peer', `${b.url}/channels/{channel}`, '--peer-publish', `${b.url}/channels/{channel}`,
      '--area', 'cluster', '--header-timeout', '2000', '--delivery-timeout', '2000', '--seed', '7',
    ]);
    const r = await runCheck(o);
    expect(r.cases.filter((c) => c.area === 'cluster').map((c) => `${c.id} ${c.verdict}${c.reason ? ` ${c.reason}` : ''}`)).toEqual([
      'server.cluster.fanout PASS', 'server.cluster.resume-on-peer PASS', 'server.cluster.ids-unique PASS', 'server.cluster.publish-during-switch PASS',
    ]);
  }, 60_000);
});
