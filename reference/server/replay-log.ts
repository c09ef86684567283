/**
 * The replay log: a bounded, per-channel record of recent events, the "dead-letter store" a
 * reconnecting client is served from (SRV-LAST-EVENT-ID-RESUME). The hub only talks to the
 * {@link ReplayLog} interface: the in-memory store below answers synchronously, a networked store
 * (redis-store.ts: Redis Streams shared by several server instances) answers with promises.
 *
 * The store assigns each event its position (`seq`, 1, 2, 3… per channel), so ids stay unique and
 * increasing across every instance that shares the store. A store shared between instances also
 * has a {@link LiveFeed}: every instance's subscribers get every instance's events from it, in
 * `seq` order. With a synchronous store the hub reads the log and registers for live events in
 * one turn of the event loop; with an asynchronous one it registers first, buffers live events
 * while the replay is read, and drops from the buffer what the replay already covered (by `seq`):
 * either way replay-then-live has no gap and no duplicate.
 */
import { encodeEvent } from '../encoder.ts';

/** A value now, or later (networked stores). */
export type MaybePromise<T> = T | Promise<T>;

/** One event as stored: its wire frame is encoded once and shared by every subscriber. */
export interface StoredEvent {
  /** Position in the channel, 1, 2, 3…: strictly increasing, never reused (across instances for a shared store). */
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
  /** The store instance that appended it (shared stores), for diagnostics and fault switches. */
  readonly origin?: string | undefined;
  /** The de-duplication key it was appended with (Idempotency-Key, a message id), if any. */
  readonly dedupeKey?: string | undefined;
}

/** An event to append: the store assigns `seq` (and the id, unless the publisher gave one). */
export interface EventDraft {
  readonly id?: string | undefined;
  readonly event?: string | undefined;
  readonly data: string;
  /**
   * De-duplication key (e.g. a message-queue message id): a second append with a key the store
   * still retains returns the stored event instead of appending again (shared stores).
   */
  readonly dedupeKey?: string | undefined;
}

/** Builds the stored form of an event (encodes its frame once). */
export function makeStoredEvent(seq: number, draft: { id?: string | undefined; event?: string | undefined; data: string; dedupeKey?: string | undefined }, storedAt: number, origin?: string): StoredEvent {
  const wireId = draft.id ?? String(seq);
  const event = draft.event === '' ? undefined : draft.event;
  return {
    seq,
    id: wireId,
    assignedId: draft.id === undefined,
    event,
    data: draft.data,
    storedAt,
    frame: Buffer.from(encodeEvent({ id: wireId, event, data: draft.data }), 'utf8'),
    origin,
    dedupeKey: draft.dedupeKey,
  };
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
  /**
   * Seq of the event the id named (when found): live events up to it are not sent again, also when
   * nothing follows it yet (a live event that raced the replay read).
   */
  readonly afterSeq?: number | undefined;
}

export interface ReplayLog {
  /** Stores a new event and returns it with its `seq` (rejects or throws when the store is unavailable). */
  append(channel: string, draft: EventDraft): MaybePromise<StoredEvent>;
  /** Everything retained after `lastEventId` (see {@link ReplayResult.gap}). */
  since(channel: string, lastEventId: string): MaybePromise<ReplayResult>;
  /** The stored event with this id, if retained (latest one when a publisher reused an id). */
  find(channel: string, id: string): MaybePromise<StoredEvent | undefined>;
  /** Everything retained, oldest first. */
  all(channel: string): MaybePromise<readonly StoredEvent[]>;
  /** Drops a channel's events. */
  drop(channel: string): MaybePromise<void>;
  /** Number of events retained for a channel. */
  size(channel: string): MaybePromise<number>;
  /**
   * Present on stores shared between instances: live events come from here (the hub then does
   * not fan out what it appends itself), and closing a channel is shared.
   */
  readonly live?: LiveFeed | undefined;
  /**
   * Optional fast path of {@link since} for networked stores: the replay as the bytes to write
   * (the stored frames, concatenated), so 10,000 events cost one reply and one write. The hub uses
   * it for connections that write stored frames as they are (no framing faults).
   */
  replayFrames?(channel: string, lastEventId: string): Promise<FramesReplay>;
  /** Releases connections (shared stores). */
  close?(): Promise<void>;
}

/** {@link ReplayLog.replayFrames}: what {@link ReplayResult} says, with the events as one buffer. */
export interface FramesReplay {
  readonly frames: Buffer;
  readonly count: number;
  /** Seq of the last event in `frames` (0 when none). */
  readonly lastSeq: number;
  readonly afterSeq?: number | undefined;
  readonly gap?: ReplayResult['gap'];
}

/** Live events of a shared store, from every instance. */
export interface LiveFeed {
  /**
   * Starts (or joins) watching a channel. Resolves once every event appended after this point
   * will reach `handlers.event`, in `seq` order, each once (a dropped connection is caught up
   * from the store); `closed` is true when the channel has been closed (by any instance).
   * Rejects when the store is unavailable.
   */
  watch(channel: string, handlers: LiveHandlers): Promise<{ closed: boolean }>;
  /** Stops watching (once every watcher has left). */
  unwatch(channel: string): void;
  /** Closes a channel for every instance: its events are dropped, watchers get `closed`. */
  closeChannel(channel: string): Promise<void>;
  /** Whether the store is reachable right now. */
  readonly healthy: boolean;
  /** This instance's id in the shared store (the `origin` of the events it appends). */
  readonly instanceId: string;
}

export interface LiveHandlers {
  event(event: StoredEvent): void;
  closed(): void;
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
  /** de-duplication key → seq, for retained events. */
  byKey: Map<string, number>;
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
  /** Last seq per channel, kept after a drop so ids never repeat. */
  readonly #seq = new Map<string, number>();

  constructor(limits: ReplayLimits = {}, now: () => number = Date.now) {
    this.#maxEvents = limits.maxEvents ?? DEFAULT_REPLAY_MAX_EVENTS;
    this.#maxAgeMs = limits.maxAgeMs ?? DEFAULT_REPLAY_MAX_AGE_MS;
    if (!Number.isSafeInteger(this.#maxEvents) || this.#maxEvents < 0) throw new RangeError(`replay maxEvents must be a non-negative integer, got ${String(limits.maxEvents)}`);
    if (!(this.#maxAgeMs >= 0)) throw new RangeError(`replay maxAgeMs must be a non-negative number, got ${String(limits.maxAgeMs)}`);
    this.#now = now;
  }

  /** Assigns the channel's next seq, stores the event and returns it. */
  append(channel: string, draft: EventDraft): StoredEvent {
    if (draft.dedupeKey !== undefined) {
      const log = this.#live(channel);
      const known = log?.byKey.get(draft.dedupeKey);
      const first = log?.events[log.head];
      // Already stored under this key (and still retained): that event, not a second one.
      if (log && known !== undefined && first && known >= first.seq) return log.events[log.head + (known - first.seq)]!;
    }
    const seq = (this.#seq.get(channel) ?? 0) + 1;
    this.#seq.set(channel, seq);
    const stored = makeStoredEvent(seq, draft, this.#now());
    this.record(channel, stored);
    if (draft.dedupeKey !== undefined) this.#channels.get(channel)?.byKey.set(draft.dedupeKey, seq);
    return stored;
  }

  /** Stores an event whose seq was assigned elsewhere (seqs of a channel must increase by one). */
  record(channel: string, event: StoredEvent): void {
    if (event.seq > (this.#seq.get(channel) ?? 0)) this.#seq.set(channel, event.seq);
    if (this.#maxEvents === 0) return;
    let log = this.#channels.get(channel);
    if (!log) {
      log = { events: [], head: 0, byId: new Map(), byKey: new Map() };
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
    if (found >= 0 && log) return { events: log.events.slice(found + 1), afterSeq: log.events[found]!.seq };
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
      if (first.dedupeKey !== undefined && log.byKey.get(first.dedupeKey) === first.seq) log.byKey.delete(first.dedupeKey);
      log.head++;
    }
    // Compact now and then so the array does not grow without bound.
    if (log.head > 1024 && log.head * 2 > log.events.length) {
      log.events = log.events.slice(log.head);
      log.head = 0;
    }
  }
}
