import { describe, expect, it } from 'vitest';
import { InMemoryReplayLog, type StoredEvent } from './replay-log.ts';

function ev(seq: number, storedAt = Date.now(), id = String(seq)): StoredEvent {
  return { seq, id, assignedId: id === String(seq), event: undefined, data: `d${seq}`, storedAt, frame: Buffer.from(`id: ${id}\ndata: d${seq}\n\n`) };
}

describe('InMemoryReplayLog', () => {
  it('returns the events after a retained id, and a gap with everything retained otherwise', () => {
    const log = new InMemoryReplayLog({ maxEvents: 3 });
    for (let i = 1; i <= 5; i++) log.record('c', ev(i));
    expect(log.size('c')).toBe(3);
    expect(log.since('c', '3').events.map((e) => e.id)).toEqual(['4', '5']);
    expect(log.since('c', '3').gap).toBeUndefined();
    expect(log.since('c', '5').events).toEqual([]);
    const evicted = log.since('c', '2');
    expect(evicted.gap).toEqual({ requested: '2', oldestRetained: '3' });
    expect(evicted.events.map((e) => e.id)).toEqual(['3', '4', '5']);
    expect(log.since('other', '1')).toEqual({ events: [], gap: { requested: '1', oldestRetained: null } });
  });

  it('evicts by age lazily, without timers', () => {
    let now = 1000;
    const log = new InMemoryReplayLog({ maxEvents: 100, maxAgeMs: 50 }, () => now);
    log.record('c', ev(1, 1000));
    log.record('c', ev(2, 1040));
    now = 1060; // event 1 is 60 ms old
    expect(log.all('c').map((e) => e.id)).toEqual(['2']);
    expect(log.since('c', '1').gap).toEqual({ requested: '1', oldestRetained: '2' });
    now = 2000;
    expect(log.size('c')).toBe(0);
  });

  it('finds the latest event when a publisher reuses an id', () => {
    const log = new InMemoryReplayLog();
    log.record('c', ev(1, Date.now(), 'x'));
    log.record('c', ev(2));
    log.record('c', ev(3, Date.now(), 'x'));
    log.record('c', ev(4));
    expect(log.find('c', 'x')?.seq).toBe(3);
    expect(log.since('c', 'x').events.map((e) => e.seq)).toEqual([4]);
  });

  it('stays bounded and correct across compaction of many events', () => {
    const log = new InMemoryReplayLog({ maxEvents: 10 });
    for (let i = 1; i <= 5000; i++) log.record('c', ev(i));
    expect(log.size('c')).toBe(10);
    expect(log.since('c', '4995').events.map((e) => e.seq)).toEqual([4996, 4997, 4998, 4999, 5000]);
    expect(log.find('c', '4990')).toBeUndefined();
    expect(log.find('c', '4991')?.seq).toBe(4991);
  });

  it('keeps nothing with maxEvents 0, drops channels, and rejects bad limits', () => {
    const none = new InMemoryReplayLog({ maxEvents: 0 });
    none.record('c', ev(1));
    expect(none.since('c', '1').gap).toBeDefined();
    const log = new InMemoryReplayLog();
    log.record('c', ev(1));
    log.drop('c');
    expect(log.size('c')).toBe(0);
    expect(() => new InMemoryReplayLog({ maxEvents: -1 })).toThrow(RangeError);
    expect(() => new InMemoryReplayLog({ maxAgeMs: Number.NaN })).toThrow(RangeError);
  });
});
