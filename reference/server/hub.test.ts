import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseStream } from '../parser.ts';
import type { FaultName } from './faults.ts';
import { Hub, PublishError } from './hub.ts';
import { InMemoryReplayLog } from './replay-log.ts';
import { Subscriber } from './subscriber.ts';

/** A response double that records writes; `backlog` simulates bytes the peer has not taken. */
function fakeResponse() {
  const writes: Buffer[] = [];
  const raw: Buffer[] = [];
  const res = {
    writes,
    raw,
    backlog: 0,
    destroyed: false,
    ended: false,
    get writableLength() {
      return this.backlog;
    },
    write(chunk: Buffer) {
      raw.push(chunk);
      writes.push(Buffer.from(chunk));
      return true;
    },
    end() {
      this.ended = true;
    },
    destroy() {
      this.destroyed = true;
    },
    text: () => Buffer.concat(writes).toString('utf8'),
  };
  return res;
}

function subscriber(channel: string, faults: FaultName[] = [], maxBufferedBytes = 1 << 20) {
  const res = fakeResponse();
  const slow: number[] = [];
  const sub = new Subscriber({ channel, res: res as unknown as ServerResponse, faults: new Set(faults), maxBufferedBytes, onSlow: (_s, n) => slow.push(n) });
  return { sub, res, slow };
}

describe('Hub', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends heartbeats at the interval from one shared timer, only while someone listens', () => {
    const hub = new Hub({ log: new InMemoryReplayLog(), heartbeatMs: 1000 });
    const a = subscriber('c');
    const quiet = subscriber('c', ['no-heartbeat']);
    hub.subscribe(a.sub, undefined);
    hub.subscribe(quiet.sub, undefined);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(999);
    expect(a.res.writes).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(a.res.text()).toBe(': heartbeat\n');
    vi.advanceTimersByTime(2000);
    expect(parseStream([a.res.text()]).comments).toEqual([' heartbeat', ' heartbeat', ' heartbeat']);
    expect(quiet.res.writes).toHaveLength(0);
    hub.unsubscribe(a.sub);
    hub.unsubscribe(quiet.sub);
    hub.unsubscribe(quiet.sub); // twice is harmless
    expect(vi.getTimerCount()).toBe(0);
    expect(hub.stats()).toEqual({ channels: 0, subscribers: 0, closedChannels: 0, heartbeatTimerActive: false });
  });

  it('fans one shared frame out to every subscriber of the channel only', () => {
    const hub = new Hub({ log: new InMemoryReplayLog(), heartbeatMs: 0 });
    const a = subscriber('c');
    const b = subscriber('c');
    const other = subscriber('d');
    for (const s of [a, b, other]) hub.subscribe(s.sub, undefined);
    expect(vi.getTimerCount()).toBe(0);
    const stored = hub.publish('c', { event: 'x', data: 'hi' });
    // The very same Buffer for everyone: no per-subscriber encoding.
    expect(a.res.raw[0]).toBe(stored.frame);
    expect(b.res.raw[0]).toBe(stored.frame);
    expect(a.res.text()).toBe('id: 1\nevent: x\ndata: hi\n\n');
    expect(b.res.text()).toBe(a.res.text());
    expect(other.res.writes).toHaveLength(0);
  });

  it('cuts a subscriber whose backlog exceeds the cap when the next frame is due, once', () => {
    const hub = new Hub({ log: new InMemoryReplayLog(), heartbeatMs: 0 });
    const slow = subscriber('c', [], 100);
    const fine = subscriber('c', [], 100);
    hub.subscribe(slow.sub, undefined);
    hub.subscribe(fine.sub, undefined);
    hub.publish('c', { data: 'x'.repeat(500) }); // a large frame alone is not slowness
    expect(slow.res.destroyed).toBe(false);
    slow.res.backlog = 101;
    hub.publish('c', { data: 'y' });
    hub.publish('c', { data: 'z' });
    expect(slow.res.destroyed).toBe(true);
    expect(slow.slow).toEqual([101]);
    expect(slow.res.writes).toHaveLength(1);
    expect(fine.res.writes).toHaveLength(3);
  });

  it('closing a channel ends its streams, forgets its log and refuses publishes', () => {
    const hub = new Hub({ log: new InMemoryReplayLog(), heartbeatMs: 0 });
    const a = subscriber('c');
    hub.subscribe(a.sub, undefined);
    hub.publish('c', { data: '1' });
    expect(hub.close('c')).toBe(1);
    expect(a.res.ended).toBe(true);
    expect(hub.subscriberCount()).toBe(0);
    expect(hub.isClosed('c')).toBe(true);
    expect(() => hub.publish('c', { data: '2' })).toThrow(PublishError);
  });

  it('after endAll, new subscriptions are ended at once', () => {
    const hub = new Hub({ log: new InMemoryReplayLog(), heartbeatMs: 1000 });
    const a = subscriber('c');
    hub.subscribe(a.sub, undefined);
    hub.endAll();
    expect(a.res.ended).toBe(true);
    const late = subscriber('c');
    hub.subscribe(late.sub, undefined);
    expect(late.res.ended).toBe(true);
    expect(hub.stats().subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
