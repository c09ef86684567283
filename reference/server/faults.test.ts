import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchText, openStream, type StreamProbe } from './http-probe.ts';
import { BUFFERING_FAULT_BYTES, FAULTS, parseFaults, type FaultName } from './faults.ts';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { createReferenceServer, type ReferenceServer } from './index.ts';

let srv: ReferenceServer;
let n = 0;
const fresh = () => `f${++n}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  srv = await createReferenceServer({
    heartbeatMs: 30,
    allowRequestFaults: true,
    auth: { tokens: { locked: 'tok-locked' } },
  });
});
afterAll(() => srv.close());

async function stream(channel: string, fault: FaultName | '', headers: Record<string, string> = {}): Promise<StreamProbe> {
  const s = await openStream(`${srv.url}/channels/${channel}${fault ? `?fault=${fault}` : ''}`, { headers });
  await until(() => srv.subscriberCount(channel) > 0);
  return s;
}

async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('fault switches (each breaks exactly one thing)', () => {
  it('are all documented, off by default, and parsed strictly', () => {
    expect(FAULTS.map((f) => f.name)).toHaveLength(19);
    for (const f of FAULTS) expect(f.description.length).toBeGreaterThan(10);
    expect(parseFaults('bad-retry, no-heartbeat')).toEqual(['bad-retry', 'no-heartbeat']);
    expect(() => parseFaults('bad-retry,nope')).toThrow(/unknown fault "nope"; known faults: content-type-wrong/);
  });

  it('are refused per request unless allowed, and unknown names are a 400', async () => {
    const plain = await createReferenceServer({ heartbeatMs: 0 });
    try {
      const r = await fetchText(`${plain.url}/channels/x?fault=bad-retry`);
      expect(r.status).toBe(400);
      expect(r.text).toMatch(/disabled/);
    } finally {
      await plain.close();
    }
    const unknown = await fetchText(`${srv.url}/channels/x?fault=nope`);
    expect(unknown.status).toBe(400);
    expect(unknown.text).toMatch(/unknown fault/);
  });

  it('content-type-wrong / content-type-missing', async () => {
    const ok = await stream(fresh(), '');
    const wrong = await stream(fresh(), 'content-type-wrong');
    const missing = await stream(fresh(), 'content-type-missing');
    for (const s of [ok, wrong, missing]) s.destroy();
    expect(ok.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(wrong.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(missing.headers['content-type']).toBeUndefined();
    expect(missing.status).toBe(200);
  });

  it('missing-blank-line: events run together', async () => {
    const ch = fresh();
    const s = await stream(ch, 'missing-blank-line');
    try {
      srv.publish(ch, { data: 'one' });
      srv.publish(ch, { data: 'two' });
      await s.until((p) => p.body().includes('data: two\n'));
      expect(s.body().toString()).toContain('id: 1\ndata: one\nid: 2\ndata: two\n');
      expect(s.events).toEqual([]);
    } finally {
      s.destroy();
    }
  });

  it('raw-newline-in-data: line 2 becomes a bogus field', async () => {
    const ch = fresh();
    const s = await stream(ch, 'raw-newline-in-data');
    try {
      srv.publish(ch, { data: 'first\nsecond' });
      await s.until((p) => p.events.length === 1);
      expect(s.body().toString()).toContain('data: first\nsecond\n\n');
      expect(s.events[0]!.data).toBe('first');
    } finally {
      s.destroy();
    }
  });

  it('invalid-utf8: data carries bytes that are not UTF-8', async () => {
    const ch = fresh();
    const s = await stream(ch, 'invalid-utf8');
    try {
      srv.publish(ch, { data: 'ok' });
      await s.until((p) => p.events.length === 1);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(s.body())).toThrow();
      expect(s.events[0]!.data).toBe('\uFFFD(ok');
    } finally {
      s.destroy();
    }
  });

  it('bad-retry: retry with a unit, which clients ignore', async () => {
    const s = await stream(fresh(), 'bad-retry');
    try {
      await s.until((p) => p.body().length > 0);
      expect(s.body().toString().startsWith('retry: 1.5s\n\n')).toBe(true);
      expect(s.retries).toEqual([]);
    } finally {
      s.destroy();
    }
  });

  it('ids-not-monotonic: unique ids out of order, replay still resolves them', async () => {
    const ch = fresh();
    const s = await stream(ch, 'ids-not-monotonic');
    try {
      for (let i = 0; i < 4; i++) srv.publish(ch, { data: `e${i}` });
      await s.until((p) => p.events.length === 4);
      expect(s.events.map((e) => e.lastEventId)).toEqual(['0', '3', '2', '5']);
    } finally {
      s.destroy();
    }
    const again = await openStream(`${srv.url}/channels/${ch}?fault=ids-not-monotonic`, { headers: { 'Last-Event-ID': '3' } });
    try {
      await again.until((p) => p.events.length === 2);
      expect(again.events.map((e) => e.data)).toEqual(['e2', 'e3']);
    } finally {
      again.destroy();
    }
  });

  it('ignore-last-event-id: replays from the start', async () => {
    const ch = fresh();
    for (let i = 1; i <= 3; i++) srv.publish(ch, { data: `e${i}` });
    const s = await openStream(`${srv.url}/channels/${ch}?fault=ignore-last-event-id`, { headers: { 'Last-Event-ID': '2' } });
    try {
      await s.until((p) => p.events.length === 3);
      expect(s.events.map((e) => e.data)).toEqual(['e1', 'e2', 'e3']);
    } finally {
      s.destroy();
    }
  });

  it('duplicate-on-replay: re-sends the event named by Last-Event-ID', async () => {
    const ch = fresh();
    for (let i = 1; i <= 3; i++) srv.publish(ch, { data: `e${i}` });
    const s = await openStream(`${srv.url}/channels/${ch}?fault=duplicate-on-replay`, { headers: { 'Last-Event-ID': '2' } });
    try {
      await s.until((p) => p.events.length === 2);
      expect(s.events.map((e) => e.data)).toEqual(['e2', 'e3']);
    } finally {
      s.destroy();
    }
  });

  it('auth-bypass / no-www-authenticate', async () => {
    expect((await fetchText(`${srv.url}/channels/locked`)).status).toBe(401);
    const bypass = await openStream(`${srv.url}/channels/locked?fault=auth-bypass`);
    bypass.destroy();
    expect(bypass.status).toBe(200);
    const bare = await fetchText(`${srv.url}/channels/locked?fault=no-www-authenticate`);
    expect(bare.status).toBe(401);
    expect(bare.headers['www-authenticate']).toBeUndefined();
  });

  it('buffering: holds bytes until 64 KiB have accumulated', async () => {
    const ch = fresh();
    const s = await stream(ch, 'buffering');
    const healthy = await stream(ch, 'no-heartbeat');
    try {
      srv.publish(ch, { data: 'small' });
      await healthy.until((p) => p.events.length === 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.body().length).toBe(0);
      srv.publish(ch, { data: 'x'.repeat(BUFFERING_FAULT_BYTES) });
      await s.until((p) => p.events.length === 2);
    } finally {
      s.destroy();
      healthy.destroy();
    }
  });

  it('compression-unflushed: gzip for a request that accepts it, held in the compressor until the stream ends; identity otherwise', async () => {
    const ch = fresh();
    const gz = await stream(ch, 'compression-unflushed', { 'Accept-Encoding': 'gzip, deflate, br' });
    const plain = await stream(ch, 'compression-unflushed');
    const refused = await stream(ch, 'compression-unflushed', { 'Accept-Encoding': 'gzip;q=0, br' });
    try {
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.headers['vary']).toBe('Accept-Encoding');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(refused.headers['content-encoding']).toBeUndefined();
      srv.publish(ch, { data: 'held' });
      await plain.until((p) => p.events.length === 1);
      await refused.until((p) => p.events.length === 1);
      await new Promise((r) => setTimeout(r, 150));
      // At most the gzip header: nothing of the event is decodable from what arrived.
      expect(gunzipSync(gz.body(), { finishFlush: zlibConstants.Z_SYNC_FLUSH }).toString('utf8')).toBe('');
      srv.closeChannel(ch);
      await gz.closed();
      expect(gunzipSync(gz.body()).toString('utf8')).toContain('data: held\n\n');
    } finally {
      gz.destroy();
      plain.destroy();
      refused.destroy();
    }
  });

  it('no-heartbeat: idle streams get no comment lines', async () => {
    const ch = fresh();
    const quiet = await stream(ch, 'no-heartbeat');
    const normal = await stream(ch, '');
    try {
      await normal.until((p) => p.comments.length >= 3, 5000);
      expect(quiet.comments).toEqual([]);
    } finally {
      quiet.destroy();
      normal.destroy();
    }
  });

  it('ignore-204: closed channels keep streaming 200', async () => {
    const ch = fresh();
    srv.closeChannel(ch);
    expect((await fetchText(`${srv.url}/channels/${ch}`)).status).toBe(204);
    const s = await openStream(`${srv.url}/channels/${ch}?fault=ignore-204`);
    s.destroy();
    expect(s.status).toBe(200);
  });

  it('server-wide faults apply to every request', async () => {
    const faulty = await createReferenceServer({ heartbeatMs: 0, faults: ['bad-retry'] });
    try {
      const s = await openStream(`${faulty.url}/channels/x`);
      await s.until((p) => p.body().length > 0);
      s.destroy();
      expect(s.body().toString()).toBe('retry: 1.5s\n\n');
    } finally {
      await faulty.close();
    }
  });
});
