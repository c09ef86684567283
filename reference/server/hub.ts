/**
 * The hub: channels, publishing and fan-out. Each event is encoded once into a Buffer that every
 * subscriber (and every later replay) writes as is. Subscribing reads the replay log and registers
 * for live events in the same synchronous step, so replay-then-live has no gap and no duplicate
 * (SRV-LAST-EVENT-ID-RESUME), however publishes interleave with reconnects.
 */
import { assertValidId, bytesToBase64, encodeEvent, SseEncodeError } from '../encoder.ts';
import type { FaultName } from './faults.ts';
import type { ReplayLog, StoredEvent } from './replay-log.ts';
import { scrambledId, type Subscriber } from './subscriber.ts';

/** What a publisher sends: `data` (text) or `binary` (sent as one Base64 data line), not both. */
export interface PublishInput {
  event?: string | undefined;
  data?: string | undefined;
  binary?: Uint8Array | undefined;
  /** The event id; omitted: the server assigns the channel's next sequence number. */
  id?: string | undefined;
}

export type PublishErrorCode = 'SSEC_ERR_BAD_PUBLISH' | 'SSEC_ERR_CHANNEL_CLOSED';

/** A publish that cannot be accepted; `status` is the HTTP answer (400 or 410). */
export class PublishError extends Error {
  override name = 'PublishError';
  constructor(
    readonly code: PublishErrorCode,
    readonly status: 400 | 410,
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
  readonly onDebug?: ((message: string, channel: string) => void) | undefined;
}

export class Hub {
  readonly #log: ReplayLog;
  readonly #heartbeatMs: number;
  /** Open subscriptions per channel; a channel without subscribers has no entry. */
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  /** Last seq per channel (kept after subscribers leave so ids never repeat). */
  readonly #seq = new Map<string, number>();
  readonly #closed = new Set<string>();
  #subscriberCount = 0;
  #shuttingDown = false;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: HubOptions) {
    this.#log = options.log;
    this.#heartbeatMs = options.heartbeatMs;
  }

  isClosed(channel: string): boolean {
    return this.#closed.has(channel);
  }

  publish(channel: string, input: PublishInput): StoredEvent {
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
    const seq = (this.#seq.get(channel) ?? 0) + 1;
    this.#seq.set(channel, seq);
    const text = data ?? bytesToBase64(binary!);
    const wireId = id ?? String(seq);
    const stored: StoredEvent = {
      seq,
      id: wireId,
      assignedId: id === undefined,
      event: event === '' ? undefined : event,
      data: text,
      storedAt: Date.now(),
      frame: Buffer.from(encodeEvent({ id: wireId, event, data: text }), 'utf8'),
    };
    this.#log.append(channel, stored);
    const subs = this.#subscribers.get(channel);
    if (subs) for (const sub of subs) sub.sendEvent(stored);
    return stored;
  }

  /**
   * Writes the replay for `lastEventId` (if any) and registers for live events, in one step.
   * An id the log does not hold gets a `replay-gap` event, then every retained event.
   */
  subscribe(sub: Subscriber, lastEventId: string | undefined): void {
    if (this.#shuttingDown) {
      // A request that slipped in on a kept-alive connection during shutdown: end it so the client reconnects elsewhere.
      sub.end();
      return;
    }
    const channel = sub.channel;
    if (lastEventId !== undefined && lastEventId !== '') this.#replay(sub, lastEventId);
    let set = this.#subscribers.get(channel);
    if (!set) {
      set = new Set();
      this.#subscribers.set(channel, set);
    }
    set.add(sub);
    this.#subscriberCount++;
    this.#startHeartbeat();
  }

  #replay(sub: Subscriber, requested: string): void {
    const channel = sub.channel;
    const faults: ReadonlySet<FaultName> = sub.faults;
    if (faults.has('ignore-last-event-id')) {
      sub.sendEvents(this.#log.all(channel));
      return;
    }
    let lookup = requested;
    if (faults.has('ids-not-monotonic') && /^\d{1,15}$/.test(requested)) {
      const unscrambled = scrambledId(Number(requested));
      if (this.#log.find(channel, unscrambled)?.assignedId) lookup = unscrambled;
    }
    const result = this.#log.since(channel, lookup);
    if (result.gap) {
      const requestedEcho = requested.length > GAP_ECHO_LIMIT ? requested.slice(0, GAP_ECHO_LIMIT) : requested;
      const notice = { requested: requestedEcho, truncated: requested.length > GAP_ECHO_LIMIT, oldestRetained: result.gap.oldestRetained };
      // No id: the client's last event ID stays as it was until a real event arrives.
      sub.write(encodeEvent({ event: REPLAY_GAP_EVENT, data: JSON.stringify(notice) }));
      sub.sendEvents(result.events);
      return;
    }
    const events = faults.has('duplicate-on-replay') ? [this.#log.find(channel, lookup)!, ...result.events] : result.events;
    sub.sendEvents(events);
  }

  unsubscribe(sub: Subscriber): void {
    const set = this.#subscribers.get(sub.channel);
    if (!set?.delete(sub)) return;
    this.#subscriberCount--;
    if (set.size === 0) this.#subscribers.delete(sub.channel);
    if (this.#subscriberCount === 0) this.#stopHeartbeat();
  }

  /** Closes a channel: its streams end cleanly and later subscriptions are refused (204). */
  close(channel: string): number {
    this.#closed.add(channel);
    this.#log.drop(channel);
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
