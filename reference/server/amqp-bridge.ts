/**
 * Message-queue bridges: messages published to a broker become events on channels. A bridge only
 * sees a {@link BridgeSink} (the hub's publish into the replay store), so every instance's
 * subscribers get a bridged event the way they get one POSTed to any instance: through the store.
 *
 * The AMQP bridge (RabbitMQ; `serve --amqp <url> --amqp-exchange <name>`):
 * - Topology (declared on every (re)connect): the exchange (`topic`, durable), one durable queue
 *   `<exchange>.sse` bound with `#` that every instance subscribes to (each message is stored once,
 *   by the instance that takes it, and the store fans it out to every instance), and a
 *   durable dead-letter queue `<exchange>.sse.dead`. The queue has a single active consumer: one
 *   instance stores the messages in queue order while the others stand by (RabbitMQ hands the
 *   queue to another when it goes), so channels get events in publish order; a message refused
 *   with 503 and requeued can still land after later ones.
 * - A message: routing key = channel; `type` property (or header `sse-event`) = event type; header
 *   `sse-id` = the event id (optional; the store assigns one otherwise); `messageId` property = the
 *   de-duplication key; body = the data as UTF-8, or bytes sent as one Base64 line when the content
 *   type is `application/octet-stream`.
 * - Acknowledged only after the store has the event: an instance that dies mid-message leaves it
 *   unacknowledged, the broker redelivers it, and the store answers a redelivery with the event it
 *   already holds (by messageId). Store unavailable: the message is returned to the queue and retried.
 * - Malformed (bad channel name, invalid UTF-8, bad id or type, closed channel): published to the
 *   dead-letter queue with the reason in header `x-sse-reject-reason` (and the routing key in
 *   `x-sse-routing-key`), confirmed, then acknowledged. Nothing a message holds can crash the server.
 */
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { PublishError, isValidChannelName, type PublishInput } from './hub.ts';
import type { StoredEvent } from './replay-log.ts';

/** Where a bridge puts events: the hub's publish into the (shared) replay store. */
export interface BridgeSink {
  publish(channel: string, input: PublishInput): Promise<StoredEvent>;
}

/** A message-queue bridge: started once, closed on shutdown. */
export interface MessageBridge {
  readonly name: string;
  /** Connects, declares its topology and starts consuming; rejects when the broker is not reachable. */
  start(sink: BridgeSink): Promise<void>;
  close(): Promise<void>;
}

export interface AmqpBridgeOptions {
  /** `amqp://user:pass@host:port[/vhost]`. */
  readonly url: string;
  readonly exchange: string;
  /** Unacknowledged messages per instance. @defaultValue 64 */
  readonly prefetch?: number | undefined;
  /** Time to reach the broker at start-up. @defaultValue 10000 */
  readonly connectTimeoutMs?: number | undefined;
  readonly log?: ((level: 'info' | 'warn' | 'error', message: string) => void) | undefined;
}

/** Header names of the message format. */
export const AMQP_HEADERS = { event: 'sse-event', id: 'sse-id', reason: 'x-sse-reject-reason', routingKey: 'x-sse-routing-key' } as const;

const EXCHANGE_NAME = /^[A-Za-z0-9._:-]{1,200}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Turns a message into an event, or says why it cannot be one. */
export function inputFromMessage(msg: Pick<ConsumeMessage, 'content' | 'fields' | 'properties'>): { channel: string; input: PublishInput } | { reason: string } {
  const channel = msg.fields.routingKey;
  if (!isValidChannelName(channel)) return { reason: `routing key ${JSON.stringify(channel.slice(0, 60))} is not a channel name (1-200 of A-Z a-z 0-9 . _ ~ -)` };
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  const rawType = msg.properties.type ?? headers[AMQP_HEADERS.event];
  const rawId = headers[AMQP_HEADERS.id];
  const asText = (v: unknown): string | undefined | null => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : Buffer.isBuffer(v) ? (() => { try { return utf8.decode(v); } catch { return null; } })() : null);
  const event = asText(rawType);
  if (event === null) return { reason: 'the event type (type property or sse-event header) is not a UTF-8 string' };
  const id = asText(rawId);
  if (id === null) return { reason: 'the sse-id header is not a UTF-8 string' };
  const messageId = asText(msg.properties.messageId);
  const binary = msg.properties.contentType === 'application/octet-stream';
  let data: string | undefined;
  if (!binary) {
    try {
      data = utf8.decode(msg.content);
    } catch {
      return { reason: 'the body is not valid UTF-8 (send bytes with content type application/octet-stream)' };
    }
  }
  return {
    channel,
    input: {
      event, id,
      data,
      binary: binary ? new Uint8Array(msg.content) : undefined,
      dedupeKey: messageId ?? undefined,
    },
  };
}

export class AmqpBridge implements MessageBridge {
  readonly name = 'amqp';
  readonly #options: AmqpBridgeOptions;
  readonly #log: NonNullable<AmqpBridgeOptions['log']>;
  #model: RecoveringChannelModel | undefined;
  #closed = false;

  constructor(options: AmqpBridgeOptions) {
    if (!EXCHANGE_NAME.test(options.exchange)) throw new TypeError('AMQP exchange name: 1-200 of A-Z a-z 0-9 . _ : -');
    try {
      const u = new URL(options.url);
      if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw new Error('scheme');
    } catch {
      throw new TypeError(`not an AMQP URL: ${JSON.stringify(options.url.slice(0, 100))} (use amqp://user:pass@host:port)`);
    }
    this.#options = options;
    this.#log = options.log ?? (() => {});
  }

  get queue(): string {
    return `${this.#options.exchange}.sse`;
  }

  get deadLetterQueue(): string {
    return `${this.#options.exchange}.sse.dead`;
  }

  async start(sink: BridgeSink): Promise<void> {
    const amqp = await import('amqplib');
    const connect = (amqp.connect ?? (amqp as unknown as { default: typeof amqp }).default.connect) as typeof amqp.connect;
    const { exchange } = this.#options;
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const started = Date.now();
    let connected = false;
    const model = await connect(this.#options.url, {
      recovery: {
        initialDelay: 100,
        maxDelay: 1000,
        // Fail start-up within the time limit; once connected, keep retrying.
        calculateDelay: (attempt: number) => {
          if (!connected && Date.now() - started > timeoutMs) throw new Error(`AMQP broker not reachable within ${timeoutMs} ms`);
          return Math.min(100 * 2 ** (attempt - 1), 1000);
        },
        // Channels are not recovered: declare the topology and consume again on every connect.
        setup: async (m: ChannelModel) => {
          const ch: Channel = await m.createChannel();
          const confirm: ConfirmChannel = await m.createConfirmChannel();
          ch.on('error', (e: Error) => this.#log('warn', `AMQP channel: ${e.message}`));
          confirm.on('error', (e: Error) => this.#log('warn', `AMQP confirm channel: ${e.message}`));
          await ch.assertExchange(exchange, 'topic', { durable: true });
          // Single active consumer: one instance takes the messages in queue order (the others stand by
          // and take over when it goes), so events are stored in publish order.
          await ch.assertQueue(this.queue, { durable: true, arguments: { 'x-single-active-consumer': true } });
          await ch.assertQueue(this.deadLetterQueue, { durable: true });
          await ch.bindQueue(this.queue, exchange, '#');
          await ch.prefetch(this.#options.prefetch ?? 64);
          await ch.consume(this.queue, (msg) => {
            if (msg) void this.#handle(ch, confirm, sink, msg);
          }, { noAck: false });
          connected = true;
          this.#log('info', `AMQP bridge consuming ${this.queue} (exchange ${exchange})`);
        },
      },
    });
    model.on('error', (e: Error) => this.#log('warn', `AMQP connection: ${e.message}`));
    model.on('disconnect', (e: Error) => this.#log('warn', `AMQP connection lost: ${e?.message ?? 'closed'}; reconnecting`));
    this.#model = model;
  }

  async #handle(ch: Channel, confirm: ConfirmChannel, sink: BridgeSink, msg: ConsumeMessage): Promise<void> {
    const parsed = inputFromMessage(msg);
    if ('reason' in parsed) return this.#deadLetter(ch, confirm, msg, parsed.reason);
    try {
      await sink.publish(parsed.channel, parsed.input);
      ch.ack(msg);
    } catch (error) {
      if (error instanceof PublishError && error.status !== 503) return this.#deadLetter(ch, confirm, msg, error.message);
      // Store unavailable: back to the queue after a pause (redelivered to any instance).
      this.#log('warn', `AMQP message for ${parsed.channel} not stored (${(error as Error).message}); requeued`);
      setTimeout(() => {
        try {
          ch.nack(msg, false, true);
        } catch {
          // channel gone: the broker requeues unacknowledged messages itself
        }
      }, 250).unref();
    }
  }

  async #deadLetter(ch: Channel, confirm: ConfirmChannel, msg: ConsumeMessage, reason: string): Promise<void> {
    this.#log('warn', `AMQP message dead-lettered: ${reason}`);
    try {
      await new Promise<void>((resolve, reject) => {
        confirm.sendToQueue(this.deadLetterQueue, msg.content, {
          ...msg.properties,
          headers: { ...(msg.properties.headers ?? {}), [AMQP_HEADERS.reason]: reason, [AMQP_HEADERS.routingKey]: msg.fields.routingKey },
          persistent: true,
        }, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
      });
      ch.ack(msg);
    } catch (error) {
      // Not confirmed: leave it unacknowledged, the broker redelivers it.
      this.#log('error', `dead-lettering failed (${(error as Error).message}); the message stays in the queue`);
      try { ch.nack(msg, false, true); } catch { /* channel gone */ }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#model?.close();
    } catch {
      // already closed
    }
  }
}
