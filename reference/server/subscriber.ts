/**
 * One open event stream: writes frames to its response, enforces the per-connection buffer cap
 * (a slow consumer is disconnected rather than buffered without bound) and applies the
 * connection's framing faults. Healthy connections write the shared, pre-encoded frame buffer.
 */
import type { ServerResponse } from 'node:http';
import { createGzip, type Gzip } from 'node:zlib';
import { encodeComment } from '../encoder.ts';
import { BUFFERING_FAULT_BYTES, type FaultName } from './faults.ts';
import type { StoredEvent } from './replay-log.ts';

const HEARTBEAT = Buffer.from(encodeComment('heartbeat'), 'utf8');
/** Bytes the `invalid-utf8` fault inserts: C3 starts a 2-byte sequence, 28 is not a continuation byte. */
const INVALID_UTF8 = Buffer.from([0xc3, 0x28]);

/** Faults that change how an event is framed; without them the shared frame is written. */
const FRAMING_FAULTS: readonly FaultName[] = ['missing-blank-line', 'raw-newline-in-data', 'invalid-utf8', 'ids-not-monotonic'];

/** The id the `ids-not-monotonic` fault puts on the wire for a server-assigned seq (an involution). */
export function scrambledId(seq: number): string {
  return String(seq ^ 1);
}

/** Encodes an event the way a connection with these faults writes it. */
export function faultyFrame(event: StoredEvent, faults: ReadonlySet<FaultName>): Buffer {
  const lines: string[] = [];
  lines.push(`id: ${event.assignedId && faults.has('ids-not-monotonic') ? scrambledId(event.seq) : event.id}`);
  if (event.event !== undefined && event.event !== '') lines.push(`event: ${event.event}`);
  const dataLines = faults.has('raw-newline-in-data') ? [event.data] : event.data.split(/\r\n|\r|\n/);
  let head = lines.join('\n') + '\n';
  const rest = dataLines.map((line) => `data: ${line}\n`);
  const end = faults.has('missing-blank-line') ? '' : '\n';
  if (faults.has('invalid-utf8')) {
    const first = rest.shift() ?? 'data: \n';
    return Buffer.concat([Buffer.from(head + 'data: ', 'utf8'), INVALID_UTF8, Buffer.from(first.slice('data: '.length) + rest.join('') + end, 'utf8')]);
  }
  head += rest.join('') + end;
  return Buffer.from(head, 'utf8');
}

export interface SubscriberOptions {
  readonly channel: string;
  readonly res: ServerResponse;
  readonly faults: ReadonlySet<FaultName>;
  /** Userland bytes queued for this connection beyond which it is dropped. */
  readonly maxBufferedBytes: number;
  /** Called once when the connection is dropped for being too slow. */
  readonly onSlow: (subscriber: Subscriber, bufferedBytes: number) => void;
  /**
   * The `compression-unflushed` fault for this request (it accepts gzip): every byte goes through
   * a gzip stream that is never flushed; the caller has sent `Content-Encoding: gzip`.
   */
  readonly gzipUnflushed?: boolean | undefined;
}

export class Subscriber {
  readonly channel: string;
  readonly faults: ReadonlySet<FaultName>;
  readonly #res: ServerResponse;
  readonly #maxBuffered: number;
  readonly #onSlow: SubscriberOptions['onSlow'];
  readonly #customFraming: boolean;
  /** Bytes held back by the `buffering` fault; null when the fault is off. */
  #held: Buffer[] | null;
  #heldBytes = 0;
  /** The `compression-unflushed` fault's compressor, piped into the response; null when off. */
  readonly #gzip: Gzip | null;
  #done = false;
  /** Seq of the last event written (replay or live): live events at or below it are not written again. */
  lastSeq = 0;
  /** Live events held back while an asynchronous replay is read (null: deliver at once). */
  pending: StoredEvent[] | null = null;

  constructor(options: SubscriberOptions) {
    this.channel = options.channel;
    this.faults = options.faults;
    this.#res = options.res;
    this.#maxBuffered = options.maxBufferedBytes;
    this.#onSlow = options.onSlow;
    this.#customFraming = FRAMING_FAULTS.some((f) => options.faults.has(f));
    this.#held = options.faults.has('buffering') ? [] : null;
    this.#gzip = options.gzipUnflushed ? createGzip() : null;
    if (this.#gzip) {
      this.#gzip.pipe(this.#res);
      this.#res.once('close', () => this.#gzip!.destroy());
    }
  }

  /** True once ended, destroyed or closed by the peer. */
  get done(): boolean {
    return this.#done || this.#res.destroyed;
  }

  /** Whether this connection writes stored frames as they are (no framing faults): a replay may then be written as one buffer. */
  get writesStoredFrames(): boolean {
    return !this.#customFraming;
  }

  /** Whether this connection wants heartbeats. */
  get wantsHeartbeat(): boolean {
    return !this.faults.has('no-heartbeat');
  }

  sendEvent(event: StoredEvent): void {
    this.write(this.#customFraming ? faultyFrame(event, this.faults) : event.frame);
  }

  /** Several events in one write (replay). */
  sendEvents(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    if (events.length === 1) return this.sendEvent(events[0]!);
    this.write(Buffer.concat(events.map((e) => (this.#customFraming ? faultyFrame(e, this.faults) : e.frame))));
  }

  heartbeat(): void {
    this.write(HEARTBEAT);
  }

  write(chunk: Buffer | string): void {
    if (this.done) return;
    // The backlog is what the peer has not taken yet from earlier writes; a frame larger than the
    // cap on its own is not a slow consumer.
    const backlog = this.#res.writableLength;
    if (backlog > this.#maxBuffered) {
      this.#done = true;
      this.#onSlow(this, backlog);
      this.#res.destroy();
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.#held) {
      this.#held.push(bytes);
      this.#heldBytes += bytes.length;
      if (this.#heldBytes < BUFFERING_FAULT_BYTES) return;
      const all = Buffer.concat(this.#held);
      this.#held = [];
      this.#heldBytes = 0;
      this.#send(all);
    } else {
      this.#send(bytes);
    }
  }

  /** To the peer, through the unflushed compressor when that fault is on (zlib emits only full output chunks). */
  #send(bytes: Buffer): void {
    if (this.#gzip) this.#gzip.write(bytes);
    else this.#res.write(bytes);
  }

  /** Ends the stream cleanly (terminating chunk), flushing anything the buffering fault held. */
  end(): void {
    if (this.done) return;
    this.#done = true;
    if (this.#held && this.#heldBytes > 0) this.#send(Buffer.concat(this.#held));
    this.#held = null;
    if (this.#gzip) {
      this.#gzip.end(); // the pipe ends the response after the compressor's last bytes
      return;
    }
    // The h2-reset-on-end fault: over HTTP/2, half an event, then RST_STREAM instead of END_STREAM.
    const h2 = (this.#res as unknown as { stream?: { close(code: number): void } }).stream;
    if (h2 && this.faults.has('h2-reset-on-end')) {
      this.#res.write('data: cut off in the mid', () => h2.close(0x2 /* INTERNAL_ERROR */));
      return;
    }
    this.#res.end();
  }
}
