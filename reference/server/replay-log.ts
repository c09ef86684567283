/**
 * The replay log: a bounded, per-channel record of recent events, the "dead-letter store" a
 * reconnecting client is served from (SRV-LAST-EVENT-ID-RESUME). The hub only talks to the
 * {@link ReplayLog} interface, so another store (e.g. Redis Streams) can replace the in-memory one.
 *
 * The interface is synchronous: the hub relies on "read the log, then register for live events"
 * happening in one turn of the event loop, which is what makes replay-then-live gap-free and
 * duplicate-free. A networked store keeps that guarantee by answering from a local tail cache.
 */

/** One event as stored: its wire frame is encoded once and shared by every subscriber. */
export interface StoredEvent {
  /** Position in the channel, 1, 2, 3…: strictly increasing, never reused. */
  readonly seq: number;
  /** The id on the wire: `String(seq)` unless the publisher gave its own. */
  readonly id: string;
  /** True when the server assigned {@link id} (it is then `String(seq)`). */
  readonly assignedId: boolean;
  readonly event: string | undefined;
  readonly data: string;
  /** Epoch milliseconds when stored, for age-based eviction. */
  readonly storedAt: number;
  /** The encoded event (UTF-8), written as is to every subscriber. */
  readonly frame: Buffer;
}

/** What a reconnecting client gets. */
export interface ReplayResult {
  /** Retained events after the requested one, oldest first. */
  readonly events: readonly StoredEvent[];
  /**
   * Set when the requested id is not in the log (evicted, from before a restart, or never
   * issued): `events` is then everything retained, and the client may have missed events.
   */
  readonly gap?: { readonly requested: string; readonly oldestRetained: string | null } | undefined;
}

export interface ReplayLog {
  /** Stores an event (the hub has assigned `seq` and encoded `frame`). */
  append(channel: string, event: StoredEvent): void;
  /** Everything retained after `lastEventId` (see {@link ReplayResult.gap}). */
  since(channel: string, lastEventId: string): ReplayResult;
  /** The stored event with this id, if retained (latest one when a publisher reused an id). */
  find(channel: string, id: string): StoredEvent | undefined;
  /** Everything retained, oldest first. */
  all(channel: string): readonly StoredEvent[];
  /** Drops a channel's events. */
  drop(channel: string): void;
  /** Number of events retained for a channel. */
  size(channel: string): number;
}

export interface ReplayLimits {
  /** Events kept per channel. @defaultValue 1000 */
  maxEvents?: number | undefined;
  /** Age after which an event is dropped, in ms. @defaultValue 300000 (5 minutes) */
  maxAgeMs?: number | undefined;
}

export const DEFAULT_REPLAY_MAX_EVENTS = 1000;
export const DEFAULT_REPLAY_MAX_AGE_MS = 5 * 60_000;

interface ChannelLog {
  /** Ring of events, oldest at `head`. */
  events: StoredEvent[];
  head: number;
  /** id → latest seq with that id. */
  byId: Map<string, number>;
}

/**
 * In-memory log. Eviction is lazy (on append and read), so it owns no timers. Lookup by id is
 * O(1); seqs are contiguous, so a found seq gives its position directly.
 */
export class InMemoryReplayLog implements ReplayLog {
  readonly #maxEvents: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #channels = new Map<string, ChannelLog>();

  constructor(limits: ReplayLimits = {}, now: () => number = Date.now) {
    this.#maxEvents = limits.maxEvents ?? DEFAULT_REPLAY_MAX_EVENTS;
    this.#maxAgeMs = limits.maxAgeMs ?? DEFAULT_REPLAY_MAX_AGE_MS;
    if (!Number.isSafeInteger(this.#maxEvents) || this.#maxEvents < 0) throw new RangeError(`replay maxEvents must be a non-negative integer, got ${String(limits.maxEvents)}`);
    if (!(this.#maxAgeMs >= 0)) throw new RangeError(`replay maxAgeMs must be a non-negative number, got ${String(limits.maxAgeMs)}`);
    this.#now = now;
  }

  append(channel: string, event: StoredEvent): void {
    if (this.#maxEvents === 0) return;
    let log = this.#channels.get(channel);
    if (!log) {
      log = { events: [], head: 0, byId: new Map() };
      this.#channels.set(channel, log);
    }
    log.events.push(event);
    log.byId.set(event.id, event.seq);
    this.#evict(log);
  }

  since(channel: string, lastEventId: string): ReplayResult {
    const log = this.#live(channel);
    const retained = log ? log.events.slice(log.head) : [];
    const found = log ? this.#indexOf(log, lastEventId) : -1;
    if (found >= 0 && log) return { events: log.events.slice(found + 1) };
    return { events: retained, gap: { requested: lastEventId, oldestRetained: retained[0]?.id ?? null } };
  }

  find(channel: string, id: string): StoredEvent | undefined {
    const log = this.#live(channel);
    if (!log) return undefined;
    const i = this.#indexOf(log, id);
    return i >= 0 ? log.events[i] : undefined;
  }

  all(channel: string): readonly StoredEvent[] {
    const log = this.#live(channel);
    return log ? log.events.slice(log.head) : [];
  }

  drop(channel: string): void {
    this.#channels.delete(channel);
  }

  size(channel: string): number {
    const log = this.#live(channel);
    return log ? log.events.length - log.head : 0;
  }

  #indexOf(log: ChannelLog, id: string): number {
    const seq = log.byId.get(id);
    const first = log.events[log.head];
    if (seq === undefined || !first) return -1;
    const i = log.head + (seq - first.seq);
    return i >= log.head && i < log.events.length && log.events[i]?.seq === seq ? i : -1;
  }

  #live(channel: string): ChannelLog | undefined {
    const log = this.#channels.get(channel);
    if (log) this.#evict(log);
    return log;
  }

  #evict(log: ChannelLog): void {
    const oldestAllowed = this.#now() - this.#maxAgeMs;
    while (log.head < log.events.length) {
      const first = log.events[log.head]!;
      if (log.events.length - log.head <= this.#maxEvents && first.storedAt >= oldestAllowed) break;
      if (log.byId.get(first.id) === first.seq) log.byId.delete(first.id);
      log.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (log.head > 1024 && log.head * 2 > log.events.length) {
      log.events = log.events.slice(log.head);
      log.head = 0;
    }
  }
}
