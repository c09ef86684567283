/**
 * Reliability under abuse: many clients dropping abruptly, hostile Last-Event-ID values, and
 * publish storms while subscribers reconnect. Assertions are on counts and contents, never on timing.
 */
import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchText, openStream, type StreamProbe } from './http-probe.ts';
import { createReferenceServer, type ReferenceServer } from './index.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw client that drops the connection (FIN or RST) once some event bytes have arrived. */
function dropMidStream(port: number, channel: string, reset: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw client saw no event within 10 s'));
    }, 10_000);
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('data: ')) return;
      clearTimeout(timer);
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
      resolve();
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(`GET /channels/${channel} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  });
}

describe('1,000 clients dropping abruptly mid-stream', () => {
  it('leaves no subscribers, connections, listeners or timers behind, and memory returns near baseline', async () => {
    const srv = await createReferenceServer({ heartbeatMs: 25, replay: { maxEvents: 50 } });
    let publishing: NodeJS.Timeout | undefined;
    try {
      const listeners = () => ['request', 'connection', 'clientError', 'close'].map((e) => srv.server.listenerCount(e));
      const baseListeners = listeners();
      const storm = async (clients: number) => {
        for (let wave = 0; wave < clients / 250; wave++) {
          await Promise.all(Array.from({ length: 250 }, (_, i) => dropMidStream(srv.port, `ch${i % 10}`, i % 2 === 0)));
        }
        await waitFor(() => srv.subscriberCount() === 0 && srv.stats().connections === 0, 20_000, 'all subscribers and sockets gone');
      };
      publishing = setInterval(() => {
        for (let c = 0; c < 10; c++) srv.publish(`ch${c}`, { event: 'tick', data: 'x'.repeat(200) });
      }, 2);
      await storm(250); // warm-up: JIT, pools, and each channel's full log
      const baseTimers = timers();
      const baseHeap = heapAfterGc();
      await storm(1000);
      clearInterval(publishing);
      publishing = undefined;
      const grown = heapAfterGc() - baseHeap;
      console.info(`heap after 1,000 dropped clients: ${(grown / 1024).toFixed(0)} KiB above baseline`);
      expect(srv.stats()).toMatchObject({ subscribers: 0, channels: 0, connections: 0, heartbeatTimerActive: false });
      expect(listeners()).toEqual(baseListeners);
      expect(timers()).toBeLessThanOrEqual(baseTimers);
      // 1,000 leaked connections would hold well over 10 MB (sockets, responses, parsers).
      expect(grown).toBeLessThan(4 * 1024 * 1024);
    } finally {
      if (publishing) clearInterval(publishing);
      await srv.close();
    }
  });
});

describe('hostile Last-Event-ID values', () => {
  let srv: ReferenceServer;
  beforeAll(async () => {
    srv = await createReferenceServer({ heartbeatMs: 0 });
    srv.publish('h', { data: 'one' });
    srv.publish('h', { data: 'two' });
  });
  afterAll(() => srv.close());

  async function gapFor(headers: Record<string, string>, query = ''): Promise<{ requested: string; truncated: boolean; oldestRetained: string | null }> {
    const s = await openStream(`${srv.url}/channels/h${query}`, { headers });
    try {
      await s.until((p) => p.events.length === 3, 5000, 'gap notice and replay');
      expect(s.events[0]!.type).toBe('replay-gap');
      expect(s.events.slice(1).map((e) => e.data)).toEqual(['one', 'two']);
      return JSON.parse(s.events[0]!.data) as { requested: string; truncated: boolean; oldestRetained: string | null };
    } finally {
      s.destroy();
    }
  }

  it('answers a large id in-band with a truncated echo', async () => {
    const notice = await gapFor({ 'Last-Event-ID': 'z'.repeat(8000) });
    expect(notice).toEqual({ requested: 'z'.repeat(256), truncated: true, oldestRetained: '1' });
  });

  it('answers ids with control characters, NUL, invalid UTF-8 or non-ASCII in-band', async () => {
    expect((await gapFor({}, '?lastEventId=a%0Ab%0D%00c')).requested).toBe('a\nb\r\0c');
    expect((await gapFor({}, '?lastEventId=%FF%FE')).requested).toBe('\uFFFD\uFFFD');
    expect((await gapFor({ 'Last-Event-ID': '  -1 ' })).requested).toBe('-1'); // HTTP strips outer whitespace
    expect((await gapFor({ 'Last-Event-ID': '1e3' })).requested).toBe('1e3');
    expect((await gapFor({}, '?lastEventId=%E2%80%A6')).requested).toBe('\u2026');
  });

  it('answers a header beyond the size limit with 431 and keeps serving', async () => {
    const r = await fetchText(`${srv.url}/channels/h`, { headers: { 'Last-Event-ID': 'x'.repeat(20_000) } }).catch((e: Error) => e);
    if (r instanceof Error) throw r;
    expect(r.status).toBe(431);
    const ok = await openStream(`${srv.url}/channels/h`, { headers: { 'Last-Event-ID': '1' } });
    try {
      await ok.until((p) => p.events.length === 1);
      expect(ok.events[0]!.data).toBe('two');
    } finally {
      ok.destroy();
    }
  });
});

describe('publish storms while subscribers reconnect', () => {
  it('deliver every event exactly once in order, whatever the disconnect points (property)', async () => {
    const srv = await createReferenceServer({ heartbeatMs: 0, replay: { maxEvents: 10_000 } });
    const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
    console.info(`publish-storm property: seed ${seed} (rerun with FC_SEED=${seed})`);
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 20, max: 300 }),
          fc.integer({ min: 1, max: 20 }),
          fc.array(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 6 }), { minLength: 1, maxLength: 3 }),
          async (total, burst, plans) => {
            const channel = `storm${++run}`;
            // Everyone is subscribed before the first publish: their first connection has no Last-Event-ID.
            const first = await Promise.all(plans.map(() => openStream(`${srv.url}/channels/${channel}`)));
            await waitFor(() => srv.subscriberCount(channel) === plans.length, 5000, 'initial subscriptions');
            const publisher = (async () => {
              for (let i = 1; i <= total; i++) {
                srv.publish(channel, { data: `e${i}` });
                if (i % burst === 0) await new Promise((r) => setImmediate(r));
              }
            })();
            const received = await Promise.all(plans.map((drops, i) => subscribeWithDrops(srv, channel, first[i]!, drops, total)));
            await publisher;
            const expected = Array.from({ length: total }, (_, i) => `e${i + 1}`);
            for (const got of received) expect(got).toEqual(expected);
          },
        ),
        { numRuns: 50, seed, endOnFailure: true },
      );
      await waitFor(() => srv.subscriberCount() === 0, 5000, 'subscribers gone');
    } finally {
      await srv.close();
    }
  });
});

/**
 * One subscriber: after receiving `drops[k]` more events it drops the connection abruptly
 * (partial events in flight are lost, as for a real client), then reconnects with its last id.
 */
async function subscribeWithDrops(srv: ReferenceServer, channel: string, first: StreamProbe, drops: readonly number[], total: number): Promise<string[]> {
  const got: string[] = [];
  let lastId = '';
  for (let k = 0; ; k++) {
    const s: StreamProbe = k === 0 ? first : await openStream(`${srv.url}/channels/${channel}`, { headers: { 'Last-Event-ID': lastId } });
    const target = k < drops.length ? got.length + drops[k]! : total;
    try {
      await s.until((p) => got.length + p.events.length >= Math.min(target, total), 10_000, `event ${Math.min(target, total)} of ${total}`);
    } finally {
      s.destroy();
    }
    await s.closed();
    for (const e of s.events) {
      if (e.type === 'replay-gap') throw new Error(`unexpected replay gap: ${e.data}`);
      got.push(e.data);
    }
    lastId = s.events.at(-1)?.lastEventId ?? lastId;
    if (got.length >= total) return got;
  }
}
