/**
 * The hub: channels, publishing and fan-out. Each event is encoded once into a Buffer that every
 * subscriber (and every later replay) writes as is. Subscribing reads the replay log and registers
 * for live events in the same synchronous step, so replay-then-live has no gap and no duplicate
 * (SRV-LAST-EVENT-ID-RESUME), however publishes interleave with reconnects.
 */
import { assertValidId, bytesToBase64, encodeEvent, SseEncodeError } from '../encoder.ts';
import type { FaultName } from './faults.ts';
import { InMemoryReplayLog, type EventDraft, type LiveFeed, type MaybePromise, type ReplayLog, type StoredEvent } from './replay-log.ts';
import { scrambledId, type Subscriber } from './subscriber.ts';

/** What a publisher sends: `data` (text) or `binary` (sent as one Base64 data line), not both. */
export interface PublishInput {
  event?: string | undefined;
  data?: string | undefined;
  binary?: Uint8Array | undefined;
  /** The event id; omitted: the server assigns the channel's next sequence number. */
  id?: string | undefined;
  /** De-duplication key (message-queue bridge: the message id); shared stores append a key once. */
  dedupeKey?: string | undefined;
}

export type PublishErrorCode = 'SSEC_ERR_BAD_PUBLISH' | 'SSEC_ERR_CHANNEL_CLOSED' | 'SSEC_ERR_STORE_UNAVAILABLE';

/** A publish that cannot be accepted; `status` is the HTTP answer (400, 410, or 503 when a shared store is unreachable). */
export class PublishError extends Error {
  override name = 'PublishError';
  constructor(
    readonly code: PublishErrorCode,
    readonly status: 400 | 410 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** Names that are safe in a URL path segment and in logs. */
const CHANNEL_NAME = /^[A-Za-z0-9._~-]{1,200}$/;

export function isValidChannelName(name: string): boolean {
  return CHANNEL_NAME.test(name);
}

/** Longest `requested` id echoed back in a `replay-gap` event. */
const GAP_ECHO_LIMIT = 256;

/** The in-band notice for an unknown or expired Last-Event-ID (whatwg/html#8297). */
export const REPLAY_GAP_EVENT = 'replay-gap';

export interface HubStats {
  readonly channels: number;
  readonly subscribers: number;
  readonly closedChannels: number;
  readonly heartbeatTimerActive: boolean;
}

export interface HubOptions {
  readonly log: ReplayLog;
  /** 0 disables heartbeats. */
  readonly heartbeatMs: number;
  /** Server-wide fault switches (the cluster faults act on publishing and the live feed). */
  readonly faults?: ReadonlySet<FaultName> | undefined;
  readonly onDebug?: ((message: string, channel: string) => void) | undefined;
  /** A shared store failed under an open stream or a subscription (the stream was ended). */
  readonly onStoreError?: ((message: string, channel: string) => void) | undefined;
}

/** Time a channel stays watched on a shared store after its last local subscriber left (reconnects reuse it). */
const UNWATCH_DELAY_MS = 2000;

function storeUnavailable(error: unknown): PublishError {
  return new PublishError('SSEC_ERR_STORE_UNAVAILABLE', 503, `replay store unavailable: ${error instanceof Error ? error.message : String(error)}; retry later`);
}

export class Hub {
  readonly #log: ReplayLog;
  readonly #live: LiveFeed | undefined;
  readonly #heartbeatMs: number;
  readonly #faults: ReadonlySet<FaultName>;
  readonly #onStoreError: (message: string, channel: string) => void;
  /** Open subscriptions per channel; a channel without subscribers has no entry. */
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #closed = new Set<string>();
  /** Shared store: channels being watched on the live feed. */
  readonly #watching = new Map<string, Promise<{ closed: boolean }>>();
  readonly #unwatchTimers = new Map<string, NodeJS.Timeout>();
  /** `replay-local-only` fault: only the events this instance published, replayed from its own memory. */
  readonly #localLog: InMemoryReplayLog | undefined;
  /** `per-instance-ids` fault: this instance's own id counter per channel. */
  readonly #localIds = new Map<string, number>();
  /** In-memory store: last seq fanned out per channel (a de-duplicated append is not sent again). */
  readonly #lastAppended = new Map<string, number>();
  #subscriberCount = 0;
  #shuttingDown = false;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: HubOptions) {
    this.#log = options.log;
    this.#live = options.log.live;
    this.#heartbeatMs = options.heartbeatMs;
    this.#faults = options.faults ?? new Set();
    this.#onStoreError = options.onStoreError ?? (() => {});
    this.#localLog = this.#faults.has('replay-local-only') ? new InMemoryReplayLog({ maxEvents: 10_000 }) : undefined;
  }

  /** Whether the store is shared between instances (asynchronous, with a live feed). */
  get shared(): boolean {
    return this.#live !== undefined;
  }

  isClosed(channel: string): boolean {
    return this.#closed.has(channel);
  }

  #draft(channel: string, input: PublishInput): EventDraft {
    if (!isValidChannelName(channel)) throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, `invalid channel name ${JSON.stringify(channel.slice(0, 40))}: use 1-200 of A-Z a-z 0-9 . _ ~ -`);
    if (this.#closed.has(channel)) throw new PublishError('SSEC_ERR_CHANNEL_CLOSED', 410, `channel ${JSON.stringify(channel)} is closed`);
    const { data, binary, event, id } = input;
    if (data !== undefined && binary !== undefined) throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, 'give either "data" or "binary", not both');
    if (data === undefined && binary === undefined) throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, '"data" (a string) or "binary" (Base64) is required');
    if (data !== undefined && typeof data !== 'string') throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, '"data" must be a string');
    if (binary !== undefined && !(binary instanceof Uint8Array)) throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, '"binary" must be bytes');
    if (event !== undefined && (typeof event !== 'string' || /[\r\n]/.test(event))) throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, '"event" must be a string without CR or LF');
    if (id !== undefined) {
      if (typeof id !== 'string' || id === '') throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, '"id" must be a non-empty string (an empty id would reset the client\'s last event ID)');
      try {
        assertValidId(id);
      } catch (error) {
        if (error instanceof SseEncodeError) throw new PublishError('SSEC_ERR_BAD_PUBLISH', 400, `"id" ${error.message}`);
        throw error;
      }
    }
    let wireId = id;
    if (wireId === undefined && this.#faults.has('per-instance-ids')) {
      // Fault: ids from this instance's own counter, so two instances issue the same ids.
      const n = (this.#localIds.get(channel) ?? 0) + 1;
      this.#localIds.set(channel, n);
      wireId = String(n);
    }
    return { id: wireId, event, data: data ?? bytesToBase64(binary!), dedupeKey: input.dedupeKey };
  }

  /** Publishes on a synchronous (in-memory) store; a shared store needs {@link publishAsync}. */
  publish(channel: string, input: PublishInput): StoredEvent {
    const draft = this.#draft(channel, input);
    const stored = this.#log.append(channel, draft);
    if (stored instanceof Promise) {
      stored.catch(() => undefined);
      throw new TypeError('this replay store is asynchronous: use publishAsync()');
    }
    this.#afterAppend(channel, stored);
    return stored;
  }

  /** Publishes on any store; rejects with PublishError (400, 410, or 503 when a shared store is unreachable). */
  async publishAsync(channel: string, input: PublishInput): Promise<StoredEvent> {
    const draft = this.#draft(channel, input);
    let stored: StoredEvent;
    try {
      stored = await this.#log.append(channel, draft);
    } catch (error) {
      if (error instanceof PublishError) throw error;
      throw storeUnavailable(error);
    }
    this.#afterAppend(channel, stored);
    return stored;
  }

  #afterAppend(channel: string, stored: StoredEvent): void {
    // A shared store delivers through its live feed (in seq order, every instance alike).
    if (this.#live) {
      this.#localLog?.record(channel, stored);
      return;
    }
    // An Idempotency-Key retry answered with the stored event: nothing new to send.
    if (stored.seq <= (this.#lastAppended.get(channel) ?? 0)) return;
    this.#lastAppended.set(channel, stored.seq);
    this.#localLog?.record(channel, stored);
    const subs = this.#subscribers.get(channel);
    if (subs) for (const sub of subs) this.#deliver(sub, stored);
  }

  #deliver(sub: Subscriber, event: StoredEvent): void {
    if (sub.pending) {
      sub.pending.push(event);
      return;
    }
    if (event.seq <= sub.lastSeq) return;
    sub.lastSeq = event.seq;
    sub.sendEvent(event);
  }

  /**
   * Writes the replay for `lastEventId` (if any) and registers for live events, in one step
   * (synchronous stores; a shared store uses {@link prepare} and {@link subscribeAsync}).
   * An id the log does not hold gets a `replay-gap` event, then every retained event.
   */
  subscribe(sub: Subscriber, lastEventId: string | undefined): void {
    if (this.#shuttingDown) {
      // A request that slipped in on a kept-alive connection during shutdown: end it so the client reconnects elsewhere.
      sub.end();
      return;
    }
    if (lastEventId !== undefined && lastEventId !== '') {
      const done = this.#replay(sub, lastEventId);
      if (done instanceof Promise) throw new TypeError('this replay store is asynchronous: use subscribeAsync()');
    }
    this.#register(sub);
  }

  /**
   * Shared store: makes sure the channel is watched on the live feed before the stream's headers
   * go out (so anything published after the client saw them reaches it). Resolves `closed` when
   * the channel was closed; rejects when the store is unreachable.
   */
  async prepare(channel: string): Promise<{ closed: boolean }> {
    if (!this.#live) return { closed: this.#closed.has(channel) };
    const timer = this.#unwatchTimers.get(channel);
    if (timer) {
      clearTimeout(timer);
      this.#unwatchTimers.delete(channel);
    }
    let watching = this.#watching.get(channel);
    if (!watching) {
      watching = this.#live.watch(channel, {
        event: (e) => this.#onLive(channel, e),
        closed: () => this.#closeLocal(channel),
      });
      this.#watching.set(channel, watching);
      watching.catch(() => {
        if (this.#watching.get(channel) === watching) this.#watching.delete(channel);
      });
    }
    let result: { closed: boolean };
    try {
      result = await watching;
    } catch (error) {
      this.#releaseLater(channel);
      throw error;
    }
    if (result.closed) this.#closed.add(channel);
    if (!this.#subscribers.has(channel)) this.#releaseLater(channel);
    return { closed: this.#closed.has(channel) };
  }

  #onLive(channel: string, event: StoredEvent): void {
    // Fault: live events reach only the subscribers of the instance they were published on.
    if (this.#faults.has('local-fanout-only') && event.origin !== this.#live?.instanceId) return;
    const subs = this.#subscribers.get(channel);
    if (subs) for (const sub of subs) this.#deliver(sub, event);
  }

  /**
   * Shared store: registers the subscriber (buffering live events), writes the replay, then the
   * buffered live events the replay did not cover (by seq), then goes live. When the store fails
   * the stream is ended: the client reconnects with its Last-Event-ID and loses nothing.
   */
  async subscribeAsync(sub: Subscriber, lastEventId: string | undefined): Promise<void> {
    if (this.#shuttingDown) {
      sub.end();
      return;
    }
    const resuming = lastEventId !== undefined && lastEventId !== '';
    if (resuming) sub.pending = [];
    this.#register(sub);
    if (!resuming) return;
    try {
      await this.#replay(sub, lastEventId);
    } catch (error) {
      this.#onStoreError(`replay failed, stream ended so the client resumes later: ${error instanceof Error ? error.message : String(error)}`, sub.channel);
      sub.pending = null;
      sub.end();
      this.unsubscribe(sub);
      return;
    }
    const buffered = sub.pending ?? [];
    sub.pending = null;
    for (const e of buffered) this.#deliver(sub, e);
  }

  #register(sub: Subscriber): void {
    const channel = sub.channel;
    let set = this.#subscribers.get(channel);
    if (!set) {
      set = new Set();
      this.#subscribers.set(channel, set);
    }
    set.add(sub);
    this.#subscriberCount++;
    this.#startHeartbeat();
  }

  /** Writes the replay; synchronous for a synchronous store. Sets `sub.lastSeq` to the last event written. */
  #replay(sub: Subscriber, requested: string): void | Promise<void> {
    const channel = sub.channel;
    const faults: ReadonlySet<FaultName> = sub.faults;
    const log: ReplayLog = this.#localLog && (faults.has('replay-local-only') || this.#faults.has('replay-local-only')) ? this.#localLog : this.#log;
    const send = (events: readonly StoredEvent[]): void => {
      sub.sendEvents(events);
      const last = events[events.length - 1];
      if (last && last.seq > sub.lastSeq) sub.lastSeq = last.seq;
    };
    if (faults.has('ignore-last-event-id')) return then(log.all(channel), send);
    // Fast path: the replay as one buffer of stored frames (no framing or replay faults on this connection).
    if (log.replayFrames && sub.writesStoredFrames && !faults.has('duplicate-on-replay') && !faults.has('ids-not-monotonic')) {
      return log.replayFrames(channel, requested).then((r) => {
        if (r.gap) sub.write(gapNotice(requested, r.gap.oldestRetained));
        if (r.count > 0) sub.write(r.frames);
        const upTo = Math.max(r.lastSeq, r.afterSeq ?? 0);
        if (upTo > sub.lastSeq) sub.lastSeq = upTo;
      });
    }
    const withLookup = (lookup: string): void | Promise<void> => then(log.since(channel, lookup), (result) => {
      if (result.gap) {
        sub.write(gapNotice(requested, result.gap.oldestRetained));
        send(result.events);
        return;
      }
      if (result.afterSeq !== undefined && result.afterSeq > sub.lastSeq) sub.lastSeq = result.afterSeq;
      if (!faults.has('duplicate-on-replay')) return send(result.events);
      return then(log.find(channel, lookup), (named) => send(named ? [named, ...result.events] : result.events));
    });
    if (faults.has('ids-not-monotonic') && /^\d{1,15}$/.test(requested)) {
      const unscrambled = scrambledId(Number(requested));
      return then(log.find(channel, unscrambled), (found) => withLookup(found?.assignedId ? unscrambled : requested));
    }
    return withLookup(requested);
  }

  unsubscribe(sub: Subscriber): void {
    const set = this.#subscribers.get(sub.channel);
    if (!set?.delete(sub)) return;
    this.#subscriberCount--;
    if (set.size === 0) {
      this.#subscribers.delete(sub.channel);
      this.#releaseLater(sub.channel);
    }
    if (this.#subscriberCount === 0) this.#stopHeartbeat();
  }

  #releaseLater(channel: string): void {
    if (!this.#live || this.#unwatchTimers.has(channel) || !this.#watching.has(channel)) return;
    const timer = setTimeout(() => {
      this.#unwatchTimers.delete(channel);
      if (this.#subscribers.has(channel)) return;
      this.#watching.delete(channel);
      this.#live?.unwatch(channel);
    }, UNWATCH_DELAY_MS);
    timer.unref();
    this.#unwatchTimers.set(channel, timer);
  }

  /** Closes a channel: its streams end cleanly and later subscriptions are refused (204). */
  close(channel: string): number {
    const ended = this.#closeLocal(channel);
    if (this.#live) {
      this.#live.closeChannel(channel).catch((error: unknown) => this.#onStoreError(`closing the channel in the shared store failed: ${error instanceof Error ? error.message : String(error)}`, channel));
    } else {
      const dropped = this.#log.drop(channel);
      if (dropped instanceof Promise) dropped.catch(() => undefined);
    }
    return ended;
  }

  /** {@link close}, resolved once a shared store has recorded it (rejects with a 503 PublishError when it cannot). */
  async closeAsync(channel: string): Promise<number> {
    if (!this.#live) return this.close(channel);
    try {
      await this.#live.closeChannel(channel);
    } catch (error) {
      throw storeUnavailable(error);
    }
    return this.#closeLocal(channel);
  }

  #closeLocal(channel: string): number {
    this.#closed.add(channel);
    this.#localLog?.drop(channel);
    const set = this.#subscribers.get(channel);
    if (!set) return 0;
    const subs = [...set];
    for (const sub of subs) {
      sub.end();
      this.unsubscribe(sub);
    }
    return subs.length;
  }

  /** Ends a channel's open streams cleanly without closing it: clients reconnect and resume. */
  endStreams(channel: string): number {
    const set = this.#subscribers.get(channel);
    if (!set) return 0;
    const subs = [...set];
    for (const sub of subs) {
      sub.end();
      this.unsubscribe(sub);
    }
    return subs.length;
  }

  /** Ends every open stream cleanly and refuses new ones (server shutdown). */
  endAll(): void {
    this.#shuttingDown = true;
    for (const set of [...this.#subscribers.values()]) {
      for (const sub of [...set]) {
        sub.end();
        this.unsubscribe(sub);
      }
    }
    for (const timer of this.#unwatchTimers.values()) clearTimeout(timer);
    this.#unwatchTimers.clear();
    for (const channel of this.#watching.keys()) this.#live?.unwatch(channel);
    this.#watching.clear();
    this.#stopHeartbeat();
  }

  subscriberCount(channel?: string): number {
    return channel === undefined ? this.#subscriberCount : (this.#subscribers.get(channel)?.size ?? 0);
  }

  stats(): HubStats {
    return {
      channels: this.#subscribers.size,
      subscribers: this.#subscriberCount,
      closedChannels: this.#closed.size,
      heartbeatTimerActive: this.#heartbeat !== undefined,
    };
  }

  // One shared timer for all connections (not one per connection): nothing to leak per client.
  #startHeartbeat(): void {
    if (this.#heartbeat || this.#heartbeatMs <= 0) return;
    this.#heartbeat = setInterval(() => {
      for (const set of this.#subscribers.values()) for (const sub of set) if (sub.wantsHeartbeat) sub.heartbeat();
    }, this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}

/** The in-band notice for an unknown id. No id: the client's last event ID stays as it was until a real event arrives. */
function gapNotice(requested: string, oldestRetained: string | null): string {
  const requestedEcho = requested.length > GAP_ECHO_LIMIT ? requested.slice(0, GAP_ECHO_LIMIT) : requested;
  return encodeEvent({ event: REPLAY_GAP_EVENT, data: JSON.stringify({ requested: requestedEcho, truncated: requested.length > GAP_ECHO_LIMIT, oldestRetained }) });
}

/** Applies `f` now for a plain value, or when a promise resolves (keeps synchronous stores synchronous). */
function then<T, R>(value: MaybePromise<T>, f: (v: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
